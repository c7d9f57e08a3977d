package verdict

import (
	"fmt"
	"strings"

	"github.com/projectcalico/calico/libcalico-go/lib/selector"
	"github.com/projectcalico/calico/libcalico-go/lib/selector/parser"
)

// Selectors are parsed and evaluated by Calico's own selector parser
// (libcalico-go/lib/selector and its parser package). What feeds them is
// mirrored from Calico's source, because the packages that hold it import
// github.com/projectcalico/api, which the module proxy does not serve:
//
//   - a pod's workload endpoint labels: the pod's labels plus
//     projectcalico.org/namespace, projectcalico.org/orchestrator = k8s and
//     projectcalico.org/serviceaccount
//     (libcalico-go/lib/backend/k8s/conversion/workload_endpoint_default.go);
//   - its namespace's labels, inherited from the namespace's profile
//     kns.<namespace> under the prefix pcns., plus
//     pcns.projectcalico.org/name = <namespace>
//     (conversion.NamespaceToProfile); the endpoint's own labels win over
//     the profile's (felix/labelindex InheritIndex, itemData.Get);
//   - a rule's selector, namespaceSelector and notSelector combined into one
//     selector, the namespaceSelector's labels prefixed with pcns. by the
//     parser's own PrefixVisitor, all() in a namespaceSelector meaning
//     has(projectcalico.org/namespace) and, in a namespaced policy, the
//     policy's namespace added when any selector is given
//     (libcalico-go/lib/backend/syncersv1/updateprocessors/rules.go,
//     getEndpointSelector);
//   - a policy's selector: (selector) && projectcalico.org/namespace ==
//     '<namespace>' for a namespaced policy (networkpolicyprocessor.go); a
//     GlobalNetworkPolicy's namespaceSelector appended with the pcns. prefix
//     (globalnetworkpolicyprocessor.go, selectors.go).
//
// All from github.com/projectcalico/calico at the module proxy's snapshot
// v1.11.0-cni-plugin.0.20250813170300-a0db560f0520.

// The label names Calico adds (api/pkg/apis/projectcalico/v3 and
// libcalico-go/lib/backend/k8s/conversion/constants.go).
const (
	labelNamespace       = "projectcalico.org/namespace"
	labelOrchestrator    = "projectcalico.org/orchestrator"
	labelServiceAccount  = "projectcalico.org/serviceaccount"
	orchestratorK8s      = "k8s"
	namespaceLabelPrefix = "pcns."
	nameLabel            = "projectcalico.org/name"
	metadataNameLabel    = "kubernetes.io/metadata.name"
)

// endpointLabels are a workload endpoint's labels with its namespace
// profile's as parent, looked up as felix's label index does.
type endpointLabels struct {
	own    map[string]string
	parent map[string]string
}

// Get implements parser.Labels: the endpoint's own label first, then the
// profile's.
func (l endpointLabels) Get(name string) (string, bool) {
	if v, ok := l.own[name]; ok {
		return v, true
	}
	v, ok := l.parent[name]
	return v, ok
}

var _ parser.Labels = endpointLabels{}

// podLabels returns the labels a pod's workload endpoint carries for
// selectors.
func podLabels(p Pod) endpointLabels {
	own := map[string]string{}
	for k, v := range p.Labels {
		own[k] = v
	}
	own[labelNamespace] = p.Namespace
	own[labelOrchestrator] = orchestratorK8s
	if p.ServiceAccount != "" && len(p.ServiceAccount) < 63 {
		own[labelServiceAccount] = p.ServiceAccount
	}
	parent := map[string]string{}
	for k, v := range namespaceLabels(p) {
		parent[namespaceLabelPrefix+k] = v
	}
	parent[namespaceLabelPrefix+nameLabel] = p.Namespace
	return endpointLabels{own: own, parent: parent}
}

// namespaceLabels returns the pod's namespace labels, with the one the API
// server always sets.
func namespaceLabels(p Pod) map[string]string {
	out := map[string]string{metadataNameLabel: p.Namespace}
	for k, v := range p.NamespaceLabels {
		out[k] = v
	}
	return out
}

// parseSelector parses a selector with Calico's parser; "" is all().
func parseSelector(s string) (selector.Selector, error) {
	sel, err := selector.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("selector %q: %w", s, err)
	}
	return sel, nil
}

// prefixSelector returns s with every label name prefixed, as Calico's
// parseSelectorAttachPrefix does with the parser's PrefixVisitor.
func prefixSelector(s, prefix string) (string, error) {
	sel, err := parser.Parse(s)
	if err != nil {
		return "", fmt.Errorf("selector %q: %w", s, err)
	}
	sel.AcceptVisitor(parser.PrefixVisitor{Prefix: prefix})
	return sel.String(), nil
}

// entityRuleSelector mirrors getEndpointSelector: the one selector an entity
// rule's selector and namespaceSelector make in a policy of namespace ns
// ("" for a global policy). "" means the rule has no selector.
func entityRuleSelector(namespaceSelector, endpointSelector, notSelector, ns string) (string, error) {
	var nsSelector string
	if namespaceSelector != "" {
		var err error
		if nsSelector, err = prefixSelector(namespaceSelector, namespaceLabelPrefix); err != nil {
			return "", err
		}
		nsSelector = strings.ReplaceAll(nsSelector, "all()", "has("+labelNamespace+")")
		nsSelector = strings.ReplaceAll(nsSelector, "global()", "!has("+labelNamespace+")")
	} else if ns != "" {
		nsSelector = fmt.Sprintf("%s == '%s'", labelNamespace, ns)
	}
	sel := endpointSelector
	if nsSelector != "" && (sel != "" || notSelector != "" || namespaceSelector != "") {
		if sel != "" {
			sel = fmt.Sprintf("(%s) && (%s)", nsSelector, sel)
		} else {
			sel = nsSelector
		}
	}
	return sel, nil
}

// policySelector mirrors the policy processors: a namespaced policy selects
// only endpoints of its namespace; a global policy's namespaceSelector is
// appended with the pcns. prefix.
func policySelector(sel, namespaceSelector, ns string) (string, error) {
	if ns != "" {
		nsSel := fmt.Sprintf("%s == '%s'", labelNamespace, ns)
		if sel == "" {
			return nsSel, nil
		}
		return fmt.Sprintf("(%s) && %s", sel, nsSel), nil
	}
	if namespaceSelector != "" {
		prefixed, err := prefixSelector(namespaceSelector, namespaceLabelPrefix)
		if err != nil {
			return "", err
		}
		if sel != "" {
			sel = fmt.Sprintf("(%s) && %s", sel, prefixed)
		} else {
			sel = prefixed
		}
		sel = strings.ReplaceAll(sel, "all()", "has("+labelNamespace+")")
	}
	return sel, nil
}
