package verdict

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// Calico enforces a networking.k8s.io/v1 NetworkPolicy as a Calico
// NetworkPolicy named knp.default.<name> in the default tier at order 1000
// (Calico's "Kubernetes policy" docs; the converter's comment "We insert all
// the NetworkPolicy Policies at order 1000.0"). The translation below is our
// reading of that converter, K8sNetworkPolicyToCalico in
// libcalico-go/lib/backend/k8s/conversion/conversion.go of the module
// proxy's snapshot, which cannot be imported (it needs
// github.com/projectcalico/api):
//
//   - the policy's podSelector, and every peer's podSelector (even an absent
//     one), gain projectcalico.org/orchestrator == 'k8s';
//   - matchLabels become k == 'v', In / NotIn become k in {...} /
//     k not in {...}, Exists / DoesNotExist become has(k) / ! has(k), all
//     joined with &&; an empty namespaceSelector is all();
//   - one Allow rule per (peer, protocol), each protocol's ports in one
//     list, a port without a protocol TCP, a port with endPort a range;
//     no ports: one rule without protocol or ports; no peers: one rule
//     without a source (ingress) or destination (egress) selector;
//   - ipBlock becomes nets, its except notNets;
//   - policyTypes as given; none: Ingress only.
//
// The result goes through the same Calico rule model as a Calico policy.
// TestKubernetesAgreesWithCyclonus checks this reading against cyclonus on
// every golden fixture's kubernetes rendering.

const kubernetesPolicyOrder = 1000.0

func kubernetesPolicy(doc []byte) (*policy, error) {
	var np networkingv1.NetworkPolicy
	if err := yaml.UnmarshalStrict(doc, &np); err != nil {
		return nil, err
	}
	ns := np.Namespace
	if ns == "" {
		ns = "default"
	}
	order := kubernetesPolicyOrder
	spec := apiPolicySpec{Order: &order, Selector: k8sSelector(&np.Spec.PodSelector, true)}
	for _, r := range np.Spec.Ingress {
		rules, err := k8sRules(r.From, r.Ports, true)
		if err != nil {
			return nil, err
		}
		spec.Ingress = append(spec.Ingress, rules...)
	}
	for _, r := range np.Spec.Egress {
		rules, err := k8sRules(r.To, r.Ports, false)
		if err != nil {
			return nil, err
		}
		spec.Egress = append(spec.Egress, rules...)
	}
	for _, t := range np.Spec.PolicyTypes {
		spec.Types = append(spec.Types, string(t))
	}
	if len(spec.Types) == 0 {
		spec.Types = []string{"Ingress"}
	}
	name := "knp.default." + np.Name
	p := &policy{kind: "NetworkPolicy (networking.k8s.io/v1)", namespace: ns, name: np.Name, key: ns + "/" + name}
	if err := p.compile(spec); err != nil {
		return nil, err
	}
	return p, nil
}

// k8sSelector translates a label selector; pod selectors gain the
// orchestrator label.
func k8sSelector(s *metav1.LabelSelector, pod bool) string {
	var parts []string
	if pod {
		parts = append(parts, labelOrchestrator+" == '"+orchestratorK8s+"'")
	}
	if s == nil {
		return strings.Join(parts, " && ")
	}
	if !pod && len(s.MatchLabels) == 0 && len(s.MatchExpressions) == 0 {
		return "all()"
	}
	keys := make([]string, 0, len(s.MatchLabels))
	for k := range s.MatchLabels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s == '%s'", k, s.MatchLabels[k]))
	}
	for _, e := range s.MatchExpressions {
		values := strings.Join(e.Values, "', '")
		switch e.Operator {
		case metav1.LabelSelectorOpIn:
			parts = append(parts, fmt.Sprintf("%s in { '%s' }", e.Key, values))
		case metav1.LabelSelectorOpNotIn:
			parts = append(parts, fmt.Sprintf("%s not in { '%s' }", e.Key, values))
		case metav1.LabelSelectorOpExists:
			parts = append(parts, fmt.Sprintf("has(%s)", e.Key))
		case metav1.LabelSelectorOpDoesNotExist:
			parts = append(parts, fmt.Sprintf("! has(%s)", e.Key))
		}
	}
	return strings.Join(parts, " && ")
}

func k8sRules(peers []networkingv1.NetworkPolicyPeer, ports []networkingv1.NetworkPolicyPort, ingress bool) ([]apiRule, error) {
	// protocol -> ports; "" with nil: every protocol and port.
	byProtocol := map[string][]intOrString{}
	all := len(ports) == 0
	for _, p := range ports {
		proto := "TCP"
		if p.Protocol != nil {
			proto = string(*p.Protocol)
		}
		if p.Port == nil {
			byProtocol[proto] = nil
			continue
		}
		port := intOrString{str: p.Port.String()} // a number, or a port name
		if p.EndPort != nil {
			port = intOrString{str: fmt.Sprintf("%s:%d", p.Port.String(), *p.EndPort)}
		}
		if existing, ok := byProtocol[proto]; !ok || len(existing) > 0 {
			byProtocol[proto] = append(byProtocol[proto], port)
		}
	}
	if all {
		byProtocol = map[string][]intOrString{"": nil}
	}
	protocols := make([]string, 0, len(byProtocol))
	for k := range byProtocol {
		protocols = append(protocols, k)
	}
	sort.Strings(protocols)
	peerList := make([]*networkingv1.NetworkPolicyPeer, 0, len(peers))
	for i := range peers {
		peerList = append(peerList, &peers[i])
	}
	if len(peerList) == 0 {
		peerList = []*networkingv1.NetworkPolicyPeer{nil}
	}
	var rules []apiRule
	for _, proto := range protocols {
		var protocol *intOrString
		if proto != "" {
			protocol = &intOrString{str: proto}
		}
		for _, peer := range peerList {
			entity, err := k8sPeer(peer)
			if err != nil {
				return nil, err
			}
			r := apiRule{Action: "Allow", Protocol: protocol}
			entity.Ports = byProtocol[proto]
			if ingress {
				r.Destination.Ports = entity.Ports
				entity.Ports = nil
				r.Source = entity
			} else {
				r.Destination = entity
			}
			rules = append(rules, r)
		}
	}
	return rules, nil
}

func k8sPeer(peer *networkingv1.NetworkPolicyPeer) (apiEntityRule, error) {
	var e apiEntityRule
	if peer == nil {
		return e, nil
	}
	if peer.IPBlock != nil {
		p, err := netip.ParsePrefix(peer.IPBlock.CIDR)
		if err != nil {
			return e, fmt.Errorf("ipBlock: %w", err)
		}
		e.Nets = []string{p.Masked().String()}
		for _, ex := range peer.IPBlock.Except {
			p, err := netip.ParsePrefix(ex)
			if err != nil {
				return e, fmt.Errorf("ipBlock except: %w", err)
			}
			e.NotNets = append(e.NotNets, p.Masked().String())
		}
		return e, nil
	}
	e.Selector = k8sSelector(peer.PodSelector, true)
	if peer.NamespaceSelector != nil {
		e.NamespaceSelector = k8sSelector(peer.NamespaceSelector, false)
	}
	return e, nil
}
