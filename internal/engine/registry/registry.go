// Package registry maps each engine name to its dialect: adding an engine is its folder
// under internal/engine and one line here. TestEngineTable runs every engine of this table
// over every shared fixture kind.
package registry

import (
	"github.com/helm-netpol/helm-netpol/internal/config"
	"github.com/helm-netpol/helm-netpol/internal/engine"
	"github.com/helm-netpol/helm-netpol/internal/engine/calico"
	"github.com/helm-netpol/helm-netpol/internal/engine/cilium"
	"github.com/helm-netpol/helm-netpol/internal/engine/clusternetworkpolicy"
	"github.com/helm-netpol/helm-netpol/internal/engine/kubernetes"
)

// Dialect is what an engine renders, and how.
type Dialect struct {
	Render     engine.Renderer
	APIVersion string
	Kind       string
}

// Dialects are the engines, by name.
var Dialects = map[config.Engine]Dialect{
	config.EngineKubernetes:           {kubernetes.Render, kubernetes.APIVersion, kubernetes.Kind},
	config.EngineCilium:               {cilium.Render, cilium.APIVersion, cilium.Kind},
	config.EngineCalico:               {calico.Render, calico.APIVersion, calico.Kind},
	config.EngineClusterNetworkPolicy: {clusternetworkpolicy.Render, clusternetworkpolicy.APIVersion, clusternetworkpolicy.Kind},
}
