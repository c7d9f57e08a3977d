package calico

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/helm-netpol/helm-netpol/internal/config"
	"github.com/helm-netpol/helm-netpol/internal/engine"
	"github.com/helm-netpol/helm-netpol/internal/manifest"
	"github.com/helm-netpol/helm-netpol/internal/plan"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// CalicoNetworkPolicy is a projectcalico.org/v3 NetworkPolicy with the fields helm-netpol
// renders; the json tags are those of Calico's CRD.
type CalicoNetworkPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              calicoSpec `json:"spec"`
}

// calicoSpec is the spec. Ingress and Egress hold the user's passthrough rules as they were
// written, then calicoRule values.
type calicoSpec struct {
	Tier     string   `json:"tier"`
	Order    *float64 `json:"order,omitempty"`
	Selector string   `json:"selector"`
	Types    []string `json:"types"`
	Ingress  []any    `json:"ingress,omitempty"`
	Egress   []any    `json:"egress,omitempty"`
}

type calicoRule struct {
	Metadata    *calicoRuleMetadata `json:"metadata,omitempty"`
	Action      string              `json:"action"`
	Protocol    string              `json:"protocol,omitempty"`
	Source      *calicoEntity       `json:"source,omitempty"`
	Destination *calicoEntity       `json:"destination,omitempty"`
}

// calicoRuleMetadata carries the config key a rule comes from.
type calicoRuleMetadata struct {
	Annotations map[string]string `json:"annotations"`
}

type calicoEntity struct {
	Selector          string               `json:"selector,omitempty"`
	NamespaceSelector string               `json:"namespaceSelector,omitempty"`
	Nets              []string             `json:"nets,omitempty"`
	NotNets           []string             `json:"notNets,omitempty"`
	Ports             []intstr.IntOrString `json:"ports,omitempty"`
	Services          *calicoServiceMatch  `json:"services,omitempty"`
}

type calicoServiceMatch struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace"`
}

const (
	calicoTierDefault = "default"
	calicoAllow       = "Allow"
	calicoAll         = "all()"
)

// The object this engine renders.
const (
	APIVersion = "projectcalico.org/v3"
	Kind       = "NetworkPolicy"
)

// The staged form: a StagedNetworkPolicy, which Calico evaluates and reports in its flow
// logs without enforcing it.
const StagedKind = "StagedNetworkPolicy"

// CalicoStagedNetworkPolicy is a projectcalico.org/v3 StagedNetworkPolicy: stagedAction
// beside the fields of a NetworkPolicy spec.
type CalicoStagedNetworkPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              calicoStagedSpec `json:"spec"`
}

type calicoStagedSpec struct {
	StagedAction string `json:"stagedAction"`
	calicoSpec
}

// Render renders a policy as a projectcalico.org/v3 NetworkPolicy. Tier and types are
// explicit, so the server adds nothing a GitOps tool would see as drift. The default-deny
// has no rule: the tier's implicit drop at its end denies what no earlier policy allowed.
func Render(p *plan.Policy, meta metav1.ObjectMeta) (any, error) {
	return render(p, meta)
}

// RenderStaged renders a policy as a StagedNetworkPolicy holding the spec Render gives, in
// the same tier and order, so that Calico evaluates it where the enforced policy will be.
// stagedAction is explicit, like tier and types. A staged default-deny's end-of-tier drop
// is reported, not enforced, like its rules.
func RenderStaged(p *plan.Policy, meta metav1.ObjectMeta) (any, error) {
	np, err := render(p, meta)
	return &CalicoStagedNetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: APIVersion, Kind: StagedKind},
		ObjectMeta: np.ObjectMeta,
		Spec:       calicoStagedSpec{StagedAction: engine.StagedActionSet, calicoSpec: np.Spec},
	}, err
}

func render(p *plan.Policy, meta metav1.ObjectMeta) (*CalicoNetworkPolicy, error) {
	order := float64(p.Order)
	np := &CalicoNetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: APIVersion, Kind: Kind},
		ObjectMeta: meta,
		Spec: calicoSpec{
			Tier:     calicoTierDefault,
			Order:    &order,
			Selector: calicoAll,
			Types:    []string{string(networkingv1.PolicyTypeIngress)},
		},
	}
	spec := &np.Spec
	if p.IngressOpen {
		spec.Types = nil
	}
	if p.EgressIsolated {
		spec.Types = append(spec.Types, string(networkingv1.PolicyTypeEgress))
	}
	if p.Deny {
		return np, nil
	}
	var errs []error
	if p.Selector != nil {
		sel, err := CalicoSelector(p.Selector)
		if err != nil {
			errs = append(errs, fmt.Errorf("the workload's selector: %w", err))
		}
		spec.Selector = sel
	}
	var err error
	spec.Ingress, err = calicoList(p.Native.Ingress, p.Ingress, plan.Ingress)
	errs = append(errs, err)
	if p.EgressIsolated {
		spec.Egress, err = calicoList(p.Native.Egress, p.Egress, plan.Egress)
		errs = append(errs, err)
	}
	return np, errors.Join(errs...)
}

// calicoList is one direction's rules: the passthrough rules as written first, so that a
// user's Deny or Pass takes effect, then the translated ones, each naming its config key.
func calicoList(native []map[string]any, rules []plan.Rule, dir plan.Direction) ([]any, error) {
	var out []any
	for _, m := range native {
		out = append(out, m)
	}
	var errs []error
	for _, r := range rules {
		translated, err := calicoRules(r, dir)
		errs = append(errs, err)
		for _, cr := range translated {
			cr.Metadata = calicoOrigin(r.Origin)
			out = append(out, cr)
		}
	}
	return out, errors.Join(errs...)
}

func calicoOrigin(origin string) *calicoRuleMetadata {
	if origin == "" {
		return nil
	}
	return &calicoRuleMetadata{Annotations: map[string]string{manifest.AnnotationOrigin: origin}}
}

// calicoRules translates one rule. A Calico rule matches one protocol and ANDs everything it
// says about the peer, so the rule becomes one Calico rule per peer and protocol; an
// ipBlock's except would otherwise narrow the other peers too.
func calicoRules(r plan.Rule, dir plan.Direction) ([]calicoRule, error) {
	if r.Apiserver {
		return []calicoRule{{
			Action:      calicoAllow,
			Destination: &calicoEntity{Services: &calicoServiceMatch{Name: "kubernetes", Namespace: "default"}},
		}}, nil
	}
	peers := []*calicoEntity{nil} // no peer: anywhere
	if len(r.Peers) > 0 {
		peers = peers[:0]
		var errs []error
		for i, peer := range r.Peers {
			e, err := calicoPeer(peer)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s[%d]: %w", r.Origin, i, err))
				continue
			}
			peers = append(peers, e)
		}
		if err := errors.Join(errs...); err != nil {
			return nil, err
		}
	}
	var out []calicoRule
	for _, peer := range peers {
		for _, g := range calicoPortGroups(r.Ports) {
			cr := calicoRule{Action: calicoAllow, Protocol: string(g.protocol)}
			var ports *calicoEntity
			if len(g.ports) > 0 {
				ports = &calicoEntity{Ports: g.ports}
			}
			switch {
			case dir == plan.Ingress:
				cr.Source, cr.Destination = peer, ports
			case peer == nil:
				cr.Destination = ports
			default:
				dest := *peer
				if ports != nil {
					dest.Ports = ports.Ports
				}
				cr.Destination = &dest
			}
			out = append(out, cr)
		}
	}
	return out, nil
}

// calicoPeer translates a Kubernetes peer. A selector without namespaceSelector stays in the
// policy's namespace in Calico as in Kubernetes; an empty namespaceSelector, which means
// every namespace in Kubernetes, must be all() in Calico, where an absent one means the own
// namespace.
func calicoPeer(peer networkingv1.NetworkPolicyPeer) (*calicoEntity, error) {
	if b := peer.IPBlock; b != nil {
		return &calicoEntity{Nets: []string{b.CIDR}, NotNets: b.Except}, nil
	}
	e := &calicoEntity{}
	var errs []error
	if peer.PodSelector != nil {
		sel, err := CalicoSelector(peer.PodSelector)
		if err != nil {
			errs = append(errs, fmt.Errorf("podSelector: %w", err))
		}
		e.Selector = sel
	}
	if peer.NamespaceSelector != nil {
		sel, err := CalicoSelector(peer.NamespaceSelector)
		if err != nil {
			errs = append(errs, fmt.Errorf("namespaceSelector: %w", err))
		}
		e.NamespaceSelector = sel
	}
	return e, errors.Join(errs...)
}

// calicoPortGroup is the ports of one protocol; no protocol and no ports mean all traffic.
type calicoPortGroup struct {
	protocol corev1.Protocol
	ports    []intstr.IntOrString
}

// calicoPortGroups splits ports by protocol, in the order the protocols first appear. Ranges
// become "a:b"; named ports stay names, which Calico resolves on the destination; a port
// that leaves the number open opens the whole protocol.
func calicoPortGroups(ports []networkingv1.NetworkPolicyPort) []calicoPortGroup {
	if len(ports) == 0 {
		return []calicoPortGroup{{}}
	}
	var groups []calicoPortGroup
	index := map[corev1.Protocol]int{}
	every := map[corev1.Protocol]bool{}
	for _, port := range ports {
		proto := engine.ProtocolOf(port.Protocol)
		i, ok := index[proto]
		if !ok {
			i = len(groups)
			index[proto] = i
			groups = append(groups, calicoPortGroup{protocol: proto})
		}
		switch {
		case port.Port == nil:
			every[proto] = true
		case port.Port.Type == intstr.String:
			groups[i].ports = append(groups[i].ports, *port.Port)
		case port.EndPort != nil && *port.EndPort > port.Port.IntVal:
			groups[i].ports = append(groups[i].ports, intstr.FromString(strconv.Itoa(int(port.Port.IntVal))+":"+strconv.Itoa(int(*port.EndPort))))
		default:
			groups[i].ports = append(groups[i].ports, *port.Port)
		}
	}
	for i := range groups {
		if every[groups[i].protocol] {
			groups[i].ports = nil
		}
	}
	return groups
}

// calicoSelector writes a Kubernetes label selector as a Calico selector expression: the
// requirements joined with &&, matchLabels in key order, an empty selector as all().
func CalicoSelector(sel *metav1.LabelSelector) (string, error) {
	if sel == nil {
		return calicoAll, nil
	}
	var parts []string
	var errs []error
	add := func(key, op string, values []string) {
		if err := calicoCheckKey(key); err != nil {
			errs = append(errs, err)
			return
		}
		quoted := make([]string, 0, len(values))
		for _, v := range values {
			q, err := calicoQuote(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("label %s: %w", key, err))
				return
			}
			quoted = append(quoted, q)
		}
		switch op {
		case "==":
			parts = append(parts, key+" == "+quoted[0])
		case "in", "not in":
			parts = append(parts, key+" "+op+" {"+strings.Join(quoted, ", ")+"}")
		case "has":
			parts = append(parts, "has("+key+")")
		case "!has":
			parts = append(parts, "!has("+key+")")
		}
	}
	for _, k := range config.SortedKeys(sel.MatchLabels) {
		add(k, "==", []string{sel.MatchLabels[k]})
	}
	for _, e := range sel.MatchExpressions {
		switch e.Operator {
		case metav1.LabelSelectorOpIn, metav1.LabelSelectorOpNotIn:
			if len(e.Values) == 0 {
				errs = append(errs, fmt.Errorf("label %s: operator %s needs at least one value", e.Key, e.Operator))
				continue
			}
			op := "in"
			if e.Operator == metav1.LabelSelectorOpNotIn {
				op = "not in"
			}
			add(e.Key, op, e.Values)
		case metav1.LabelSelectorOpExists:
			add(e.Key, "has", nil)
		case metav1.LabelSelectorOpDoesNotExist:
			add(e.Key, "!has", nil)
		default:
			errs = append(errs, fmt.Errorf("label %s: operator %q: must be one of In, NotIn, Exists, DoesNotExist", e.Key, e.Operator))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return "", err
	}
	if len(parts) == 0 {
		return calicoAll, nil
	}
	return strings.Join(parts, " && "), nil
}

// calicoCheckKey refuses a label key that Calico's selector tokenizer would not read as one
// label: letters, digits and _ . / - only.
func calicoCheckKey(key string) error {
	if key == "" || len(key) > 512 {
		return fmt.Errorf("label key %q: a Calico selector takes keys of 1 to 512 characters", key)
	}
	for _, c := range key {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '/' || c == '-') {
			return fmt.Errorf("label key %q: a Calico selector cannot express the character %q in a key", key, c)
		}
	}
	return nil
}

// calicoQuote quotes a label value for a Calico selector. Calico strings have no escapes: a
// value is quoted with the quote character it does not contain.
func calicoQuote(v string) (string, error) {
	switch {
	case !strings.Contains(v, "'"):
		return "'" + v + "'", nil
	case !strings.Contains(v, `"`):
		return `"` + v + `"`, nil
	}
	return "", fmt.Errorf("value %q holds both quote characters, which a Calico selector cannot express", v)
}
