package cilium

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/helm-netpol/helm-netpol/internal/config"
	"github.com/helm-netpol/helm-netpol/internal/engine"
	"github.com/helm-netpol/helm-netpol/internal/manifest"
	"github.com/helm-netpol/helm-netpol/internal/plan"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// CiliumNetworkPolicy is a cilium.io/v2 CiliumNetworkPolicy with the fields helm-netpol
// renders; the json tags are those of Cilium's CRD.
type CiliumNetworkPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              ciliumRule `json:"spec"`
}

// ciliumRule is the spec. Ingress and Egress hold ciliumIngressRule / ciliumEgressRule
// values, and the user's passthrough rules as they were written.
type ciliumRule struct {
	EndpointSelector metav1.LabelSelector `json:"endpointSelector"`
	Ingress          []any                `json:"ingress,omitempty"`
	Egress           []any                `json:"egress,omitempty"`
}

type ciliumIngressRule struct {
	FromEndpoints []metav1.LabelSelector `json:"fromEndpoints,omitempty"`
	FromCIDRSet   []ciliumCIDRRule       `json:"fromCIDRSet,omitempty"`
	FromEntities  []string               `json:"fromEntities,omitempty"`
	ToPorts       []ciliumPortRule       `json:"toPorts,omitempty"`
}

type ciliumEgressRule struct {
	ToEndpoints []metav1.LabelSelector `json:"toEndpoints,omitempty"`
	ToCIDRSet   []ciliumCIDRRule       `json:"toCIDRSet,omitempty"`
	ToEntities  []string               `json:"toEntities,omitempty"`
	ToPorts     []ciliumPortRule       `json:"toPorts,omitempty"`
}

type ciliumCIDRRule struct {
	CIDR   string   `json:"cidr"`
	Except []string `json:"except,omitempty"`
}

type ciliumPortRule struct {
	Ports []ciliumPort   `json:"ports"`
	Rules *ciliumL7Rules `json:"rules,omitempty"`
}

type ciliumPort struct {
	Port     string `json:"port"`
	EndPort  int32  `json:"endPort,omitempty"`
	Protocol string `json:"protocol"`
}

type ciliumL7Rules struct {
	DNS []ciliumDNSRule `json:"dns"`
}

type ciliumDNSRule struct {
	MatchPattern string `json:"matchPattern"`
}

// Cilium's names for what a Kubernetes policy says with namespaces, and its entities.
const (
	ciliumNamespaceKey       = "k8s:io.kubernetes.pod.namespace"
	ciliumNamespaceLabelsKey = "k8s:io.cilium.k8s.namespace.labels."
	ciliumEntityAll          = "all"
	ciliumEntityHost         = "host"
	ciliumEntityAPIServer    = "kube-apiserver"
	// ciliumMaxPorts is how many ports one toPorts entry may list.
	CiliumMaxPorts = 40
)

// ciliumPeers is what one Cilium rule selects. Cilium refuses a rule that combines
// endpoints, CIDRs and entities, so a Kubernetes rule becomes one Cilium rule per kind.
type ciliumPeers struct {
	endpoints []metav1.LabelSelector
	cidrs     []ciliumCIDRRule
	entities  []string
}

// The object this engine renders.
const (
	APIVersion = "cilium.io/v2"
	Kind       = "CiliumNetworkPolicy"
)

// Render renders a policy as a cilium.io/v2 CiliumNetworkPolicy.
//
// A rule list that is empty does not isolate in Cilium, and a spec whose lists are all empty
// is refused, so a direction that must isolate without allowing anything gets the rule `{}`:
// it selects no peer and puts the pods into default deny for that direction. That is also
// the default-deny's form; ingressDeny would beat every allowlist.
func Render(p *plan.Policy, meta metav1.ObjectMeta) (any, error) {
	cnp := &CiliumNetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: APIVersion, Kind: Kind},
		ObjectMeta: meta,
	}
	spec := &cnp.Spec
	if p.Deny {
		spec.Ingress = []any{ciliumIngressRule{}}
		if p.EgressIsolated {
			spec.Egress = []any{ciliumEgressRule{}}
		}
		return cnp, nil
	}
	if p.Selector != nil {
		spec.EndpointSelector = *p.Selector.DeepCopy()
	}
	var errs []error
	var origins engine.RuleOrigins
	for _, r := range p.Ingress {
		peers, ports, err := ciliumTranslate(p, r, plan.Ingress, noL7)
		errs = append(errs, err)
		for _, ps := range peers {
			origins.Add("ingress", len(spec.Ingress), r.Origin)
			spec.Ingress = append(spec.Ingress, ciliumIngressRule{FromEndpoints: ps.endpoints, FromCIDRSet: ps.cidrs, FromEntities: ps.entities, ToPorts: ports})
		}
	}
	for i, m := range p.Native.Ingress {
		origins.Add("ingress", len(spec.Ingress), fmt.Sprintf("networkPolicy.cilium.ingress[%d]", i))
		spec.Ingress = append(spec.Ingress, m)
	}
	if len(spec.Ingress) == 0 && !p.IngressOpen {
		spec.Ingress = []any{ciliumIngressRule{}}
	}
	if !p.EgressIsolated {
		origins.Set(&cnp.ObjectMeta)
		return cnp, errors.Join(errs...)
	}
	dnsProxy := plan.HasToFQDNs(p.Native.Egress)
	for _, r := range p.Egress {
		peers, ports, err := ciliumTranslate(p, r, plan.Egress, l7For(dnsProxy, r))
		errs = append(errs, err)
		for _, ps := range peers {
			origins.Add("egress", len(spec.Egress), r.Origin)
			spec.Egress = append(spec.Egress, ciliumEgressRule{ToEndpoints: ps.endpoints, ToCIDRSet: ps.cidrs, ToEntities: ps.entities, ToPorts: ports})
		}
	}
	for i, m := range p.Native.Egress {
		origins.Add("egress", len(spec.Egress), fmt.Sprintf("networkPolicy.cilium.egress[%d]", i))
		spec.Egress = append(spec.Egress, m)
	}
	if len(spec.Egress) == 0 {
		spec.Egress = []any{ciliumEgressRule{}}
	}
	origins.Set(&cnp.ObjectMeta)
	return cnp, errors.Join(errs...)
}

// ciliumTranslate translates one rule: the peers of one Cilium rule per kind of peer, and
// the ports they share. rules says which L7 rules to attach. On error it returns no peers.
func ciliumTranslate(p *plan.Policy, r plan.Rule, dir plan.Direction, rules l7) ([]ciliumPeers, []ciliumPortRule, error) {
	ports, err := ciliumPorts(p, r, dir, rules)
	if err != nil {
		return nil, nil, err
	}
	peers, err := ciliumRulePeers(r)
	if err != nil {
		return nil, nil, err
	}
	return peers, ports, nil
}

// ciliumRulePeers translates the peers of a rule, one entry per kind of peer.
func ciliumRulePeers(r plan.Rule) ([]ciliumPeers, error) {
	switch {
	case r.Apiserver:
		return []ciliumPeers{{entities: []string{ciliumEntityAPIServer}}}, nil
	case len(r.Peers) == 0:
		// Never [{}], which selects no peer at all.
		return []ciliumPeers{{entities: []string{ciliumEntityAll}}}, nil
	}
	// One entry for the selectors and one for the CIDRs, in the order they first appear.
	var out []ciliumPeers
	selectors, cidrs := -1, -1
	entry := func(i *int) *ciliumPeers {
		if *i < 0 {
			*i = len(out)
			out = append(out, ciliumPeers{})
		}
		return &out[*i]
	}
	var errs []error
	node := false
	for i, peer := range r.Peers {
		if b := peer.IPBlock; b != nil && r.NodeLocal {
			// The node's own addresses (node-local DNS) have the host identity, which no
			// CIDR rule matches.
			node = true
			continue
		}
		if b := peer.IPBlock; b != nil {
			e := entry(&cidrs)
			e.cidrs = append(e.cidrs, ciliumCIDRRule{CIDR: b.CIDR, Except: b.Except})
			continue
		}
		sel, err := ciliumPeerSelector(peer)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s[%d]: %w", r.Origin, i, err))
			continue
		}
		e := entry(&selectors)
		e.endpoints = append(e.endpoints, sel)
	}
	if node {
		out = append(out, ciliumPeers{entities: []string{ciliumEntityHost}})
	}
	if r.FromApiserver {
		out = append(out, ciliumPeers{entities: []string{ciliumEntityAPIServer}})
	}
	return out, errors.Join(errs...)
}

// ciliumPeerSelector translates a pod/namespace peer into one endpoint selector. Pod label
// keys are copied as they are; a selector without a namespace key is confined by Cilium to
// the policy's own namespace, as a podSelector alone is in kubernetes. Namespace label keys
// take Cilium's prefixes. A namespaceSelector that requires no namespace label to be present
// ({}, or only NotIn/DoesNotExist) also matches peers outside every namespace in Cilium (the
// world, the host), so it is given an explicit "in some namespace" requirement.
func ciliumPeerSelector(peer networkingv1.NetworkPolicyPeer) (metav1.LabelSelector, error) {
	var sel metav1.LabelSelector
	if ps := peer.PodSelector; ps != nil {
		sel = *ps.DeepCopy()
	}
	ns := peer.NamespaceSelector
	if ns == nil {
		return sel, nil
	}
	positive := false
	for _, k := range config.SortedKeys(ns.MatchLabels) {
		if sel.MatchLabels == nil {
			sel.MatchLabels = map[string]string{}
		}
		sel.MatchLabels[ciliumNamespaceLabel(k)] = ns.MatchLabels[k]
		positive = true
	}
	for _, e := range ns.MatchExpressions {
		e := *e.DeepCopy()
		e.Key = ciliumNamespaceLabel(e.Key)
		sel.MatchExpressions = append(sel.MatchExpressions, e)
		positive = positive || e.Operator == metav1.LabelSelectorOpIn || e.Operator == metav1.LabelSelectorOpExists
	}
	if !positive {
		sel.MatchExpressions = append(sel.MatchExpressions, metav1.LabelSelectorRequirement{Key: ciliumNamespaceKey, Operator: metav1.LabelSelectorOpExists})
	}
	var errs []error
	check := func(key string) {
		name := strings.TrimPrefix(key, "k8s:")
		if msgs := validation.IsQualifiedName(name); len(msgs) > 0 {
			errs = append(errs, fmt.Errorf("namespaceSelector: Cilium sees namespace labels under the key %q, which is not a valid label key (%s): select the namespace by %s instead", key, strings.Join(msgs, "; "), manifest.LabelNamespaceName))
		}
	}
	for _, k := range config.SortedKeys(sel.MatchLabels) {
		if strings.HasPrefix(k, ciliumNamespaceLabelsKey) {
			check(k)
		}
	}
	for _, e := range sel.MatchExpressions {
		if strings.HasPrefix(e.Key, ciliumNamespaceLabelsKey) {
			check(e.Key)
		}
	}
	return sel, errors.Join(errs...)
}

// ciliumNamespaceLabel is Cilium's key for a namespace label: the namespace name is a label
// of every endpoint, other namespace labels are copied under a prefix.
func ciliumNamespaceLabel(key string) string {
	if key == manifest.LabelNamespaceName {
		return ciliumNamespaceKey
	}
	return ciliumNamespaceLabelsKey + key
}

// ciliumPorts translates the ports of a rule: numeric strings, upper-case protocols, "0" for
// every port of a protocol. rules == dnsProxyRule attaches the DNS proxy rule that toFQDNs depends on.
func ciliumPorts(p *plan.Policy, r plan.Rule, dir plan.Direction, rules l7) ([]ciliumPortRule, error) {
	ports, err := engine.NumericPorts(p, r, dir, config.EngineCilium)
	if err != nil || len(ports) == 0 {
		return nil, err
	}
	var out []ciliumPortRule
	for start := 0; start < len(ports); start += CiliumMaxPorts {
		pr := ciliumPortRule{}
		for _, np := range ports[start:min(start+CiliumMaxPorts, len(ports))] {
			pr.Ports = append(pr.Ports, ciliumPort{Port: strconv.Itoa(int(np.Port)), EndPort: np.End, Protocol: strings.ToUpper(string(np.Protocol))})
		}
		if rules == dnsProxyRule {
			pr.Rules = &ciliumL7Rules{DNS: []ciliumDNSRule{{MatchPattern: "*"}}}
		}
		out = append(out, pr)
	}
	return out, nil
}

// l7 says which L7 rules a rule's ports carry.
type l7 int

const (
	noL7         l7 = iota
	dnsProxyRule    // rules.dns: [{matchPattern: "*"}], which toFQDNs depends on
)

// l7For is the L7 rules of an egress rule: the DNS proxy rule on the DNS rule when the
// policy needs the proxy.
func l7For(dnsProxy bool, r plan.Rule) l7 {
	if dnsProxy && r.DNS {
		return dnsProxyRule
	}
	return noL7
}
