package registry

import (
	"github.com/helm-netpol/helm-netpol/internal/config"
	"github.com/helm-netpol/helm-netpol/internal/engine"
	"github.com/helm-netpol/helm-netpol/internal/engine/calico"
	"github.com/helm-netpol/helm-netpol/internal/engine/cilium"
	"github.com/helm-netpol/helm-netpol/internal/engine/clusternetworkpolicy"
	"github.com/helm-netpol/helm-netpol/internal/engine/kubernetes"
)

// renderers maps each engine to its dialect.
var Renderers = map[config.Engine]engine.Renderer{
	config.EngineKubernetes:           kubernetes.RenderKubernetes,
	config.EngineCilium:               cilium.RenderCilium,
	config.EngineCalico:               calico.RenderCalico,
	config.EngineClusterNetworkPolicy: clusternetworkpolicy.RenderClusterNetworkPolicy,
}
