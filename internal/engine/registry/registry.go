// Package registry maps each engine name to its dialect and each policy API group to its
// reader: adding an engine is its folder under internal/engine, one line in Dialects and
// one in Readers. TestEngineTable runs every engine of Dialects over every shared fixture
// kind.
package registry

import (
	"fmt"

	"github.com/helm-netpol/helm-netpol/internal/config"
	"github.com/helm-netpol/helm-netpol/internal/engine"
	"github.com/helm-netpol/helm-netpol/internal/engine/calico"
	"github.com/helm-netpol/helm-netpol/internal/engine/cilium"
	"github.com/helm-netpol/helm-netpol/internal/engine/clusternetworkpolicy"
	"github.com/helm-netpol/helm-netpol/internal/engine/kubernetes"
	"github.com/helm-netpol/helm-netpol/internal/manifest"
	"sigs.k8s.io/kustomize/kyaml/yaml"
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

// StagedDialects are the staged forms (networkPolicy.staged) of the engines that have one:
// Calico's staged kinds, which Calico evaluates and reports without enforcing. An engine
// missing here has none, and config validation refuses staged for it.
var StagedDialects = map[config.Engine]Dialect{
	config.EngineKubernetes: {kubernetes.RenderStaged, kubernetes.StagedAPIVersion, kubernetes.StagedKind},
	config.EngineCalico:     {calico.RenderStaged, calico.APIVersion, calico.StagedKind},
}

// DialectOf is the dialect an engine renders, staged or enforced.
func DialectOf(e config.Engine, staged bool) (Dialect, bool) {
	if staged {
		d, ok := StagedDialects[e]
		return d, ok
	}
	d, ok := Dialects[e]
	return d, ok
}

// Reader reads a policy object back in its dialect.
type Reader func(*manifest.Object) (*engine.Object, error)

// Readers maps each dialect's API group to its reader.
var Readers = map[string]Reader{
	"networking.k8s.io":        kubernetes.Read,
	"cilium.io":                cilium.Read,
	"projectcalico.org":        calico.Read,
	"policy.networking.k8s.io": clusternetworkpolicy.Read,
}

// Read reads a rendered policy object back in its own dialect.
func Read(n *yaml.RNode) (*engine.Object, error) {
	o := manifest.NewObject(n)
	if o == nil {
		return nil, fmt.Errorf("helm-netpol: object: read back: not a mapping")
	}
	read, ok := Readers[o.Group()]
	if o.Group() == "projectcalico.org" && o.Kind == kubernetes.StagedKind {
		read = kubernetes.Read // a Kubernetes NetworkPolicy spec under Calico's group
	}
	if !ok {
		return nil, fmt.Errorf("helm-netpol: %s: no reader for this dialect", o.ID())
	}
	obj, err := read(o)
	if err != nil {
		return nil, fmt.Errorf("helm-netpol: %s: read back: %v", o.ID(), err)
	}
	return obj, nil
}

// PolicyKinds are the kinds, by API group, that decide what traffic pods get, or change
// what a policy's selectors select: trace reads every one of them in a stream, and says
// so where it cannot evaluate one.
var PolicyKinds = map[string][]string{
	"networking.k8s.io":        {"NetworkPolicy"},
	"cilium.io":                {"CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy", "CiliumCIDRGroup"},
	"projectcalico.org":        {"NetworkPolicy", "GlobalNetworkPolicy", "StagedNetworkPolicy", "StagedGlobalNetworkPolicy", "StagedKubernetesNetworkPolicy", "NetworkSet", "GlobalNetworkSet", "HostEndpoint"},
	"policy.networking.k8s.io": {"ClusterNetworkPolicy", "AdminNetworkPolicy", "BaselineAdminNetworkPolicy"},
}

// IsPolicy tells whether an object is of a PolicyKinds kind.
func IsPolicy(o *manifest.Object) bool {
	for _, k := range PolicyKinds[o.Group()] {
		if k == o.Kind {
			return true
		}
	}
	return false
}
