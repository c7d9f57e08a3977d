package registry

import (
	"github.com/helm-netpol/helm-netpol/internal/config"
	"github.com/helm-netpol/helm-netpol/internal/engine"
	"github.com/helm-netpol/helm-netpol/internal/engine/calico"
	"github.com/helm-netpol/helm-netpol/internal/engine/cilium"
	"github.com/helm-netpol/helm-netpol/internal/engine/clusternetworkpolicy"
	"github.com/helm-netpol/helm-netpol/internal/engine/kubernetes"
)

// Renderers maps each engine to its dialect: adding an engine is its folder under
// internal/engine and one line here.
var Renderers = map[config.Engine]engine.Renderer{
	config.EngineKubernetes:           kubernetes.Render,
	config.EngineCilium:               cilium.Render,
	config.EngineCalico:               calico.Render,
	config.EngineClusterNetworkPolicy: clusternetworkpolicy.Render,
}
