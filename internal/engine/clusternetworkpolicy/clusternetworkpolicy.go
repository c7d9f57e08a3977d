package clusternetworkpolicy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/helm-netpol/helm-netpol/internal/config"
	"github.com/helm-netpol/helm-netpol/internal/engine"
	"github.com/helm-netpol/helm-netpol/internal/manifest"
	"github.com/helm-netpol/helm-netpol/internal/plan"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	cnpv1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"
)

// maxClusterNetworkPolicyItems is the most rules per direction, peers per rule and protocols
// per rule a ClusterNetworkPolicy takes.
const maxClusterNetworkPolicyItems = 25

// The object this engine renders.
const (
	APIVersion = "policy.networking.k8s.io/v1alpha2"
	Kind       = "ClusterNetworkPolicy"
)

// Render renders a policy as a policy.networking.k8s.io/v1alpha2
// ClusterNetworkPolicy in the Baseline tier, where a developer's NetworkPolicy still wins.
//
// The object is cluster-scoped: the namespace moves into the name and the subject. Rules do
// not isolate: the plan says how the rules end (p.Closing). An allowlist holds the user's
// passthrough rules and its Accept rules, and falls through; its closing Deny rules for the
// pods it selects are an object of their own, one priority later (plan.AllowlistPolicies).
func Render(p *plan.Policy, meta metav1.ObjectMeta) (any, error) {
	ns := p.ScopeNamespace
	if ns == "" {
		return nil, errors.New("a ClusterNetworkPolicy is cluster-scoped and selects the namespace it is about by name, and no namespace is known: set networkPolicy.namespace, or pass --namespace")
	}
	meta.Name = plan.ScopedName(ns, p.Name)
	meta.Namespace = ""
	own := metav1.LabelSelector{MatchLabels: map[string]string{manifest.LabelNamespaceName: ns}}
	cnp := &cnpv1alpha2.ClusterNetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: APIVersion, Kind: Kind},
		ObjectMeta: meta,
		Spec: cnpv1alpha2.ClusterNetworkPolicySpec{
			Tier:     cnpv1alpha2.BaselineTier,
			Priority: p.Order,
		},
	}
	spec := &cnp.Spec
	if p.Deny {
		spec.Subject.Namespaces = &own
		spec.Ingress = append(spec.Ingress, denyIngress())
		if p.EgressIsolated {
			spec.Egress = append(spec.Egress, denyEgress())
		}
		return cnp, nil
	}
	pods := &cnpv1alpha2.NamespacedPod{NamespaceSelector: own}
	if p.Selector != nil {
		pods.PodSelector = *p.Selector.DeepCopy()
	}
	spec.Subject.Pods = pods
	if p.Closing == plan.DenyOnly {
		if !p.IngressOpen {
			spec.Ingress = append(spec.Ingress, denyIngress())
		}
		if p.EgressIsolated {
			spec.Egress = append(spec.Egress, denyEgress())
		}
		return cnp, nil
	}
	return cnp, allowlistRules(spec, p, own)
}

// denyIngress is the rule that closes ingress: from every pod.
func denyIngress() cnpv1alpha2.ClusterNetworkPolicyIngressRule {
	return cnpv1alpha2.ClusterNetworkPolicyIngressRule{
		Name:   "deny",
		Action: cnpv1alpha2.ClusterNetworkPolicyRuleActionDeny,
		From:   []cnpv1alpha2.ClusterNetworkPolicyIngressPeer{{Namespaces: &metav1.LabelSelector{}}},
	}
}

// denyEgress is the rule that closes egress: to anywhere.
func denyEgress() cnpv1alpha2.ClusterNetworkPolicyEgressRule {
	return cnpv1alpha2.ClusterNetworkPolicyEgressRule{
		Name:   "deny",
		Action: cnpv1alpha2.ClusterNetworkPolicyRuleActionDeny,
		To:     cnpAnywhere(),
	}
}

// allowlistRules fills in an allowlist's rules, in each direction it isolates: the
// passthrough rules, the translated ones, and the closing deny where the plan closes with
// one. It refuses more rules in a direction than the API takes.
func allowlistRules(spec *cnpv1alpha2.ClusterNetworkPolicySpec, p *plan.Policy, own metav1.LabelSelector) error {
	closing := p.Closing == plan.CloseWithDeny
	var errs []error
	passthrough := "networkPolicy." + string(config.EngineClusterNetworkPolicy)
	spec.Ingress, errs = decodeRules[cnpv1alpha2.ClusterNetworkPolicyIngressRule](p.Native.Ingress, passthrough+".ingress")
	for _, r := range p.Ingress {
		rule, err := cnpIngressRule(p, r, own)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		spec.Ingress = append(spec.Ingress, rule)
	}
	if !p.IngressOpen && closing {
		spec.Ingress = append(spec.Ingress, denyIngress())
	}
	if p.EgressIsolated {
		var egressErrs []error
		spec.Egress, egressErrs = decodeRules[cnpv1alpha2.ClusterNetworkPolicyEgressRule](p.Native.Egress, passthrough+".egress")
		errs = append(errs, egressErrs...)
		for _, r := range p.Egress {
			rule, err := cnpEgressRule(p, r, own)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			spec.Egress = append(spec.Egress, rule)
		}
		if closing {
			spec.Egress = append(spec.Egress, denyEgress())
		}
	}
	what := "the translated rules"
	if closing {
		what += " and the closing deny"
	}
	for _, d := range []struct {
		name string
		n    int
	}{{"ingress", len(spec.Ingress)}, {"egress", len(spec.Egress)}} {
		if d.n > maxClusterNetworkPolicyItems {
			errs = append(errs, fmt.Errorf("%s: %d rules (%s.%s and %s), and a ClusterNetworkPolicy takes at most %d: merge rules that share their peers or ports, or shorten %s.%s", d.name, d.n, passthrough, d.name, what, maxClusterNetworkPolicyItems, passthrough, d.name))
		}
	}
	return errors.Join(errs...)
}

// cnpAnywhere is every destination: all pods, and every address of both families.
func cnpAnywhere() []cnpv1alpha2.ClusterNetworkPolicyEgressPeer {
	var networks []cnpv1alpha2.CIDR
	for _, c := range engine.AnywhereCIDRs {
		networks = append(networks, cnpv1alpha2.CIDR(c))
	}
	return []cnpv1alpha2.ClusterNetworkPolicyEgressPeer{
		{Namespaces: &metav1.LabelSelector{}},
		{Networks: networks},
	}
}

// ruleName names a generated rule after the config key it comes from, within the API's limit.
func ruleName(r plan.Rule) string {
	if len(r.Origin) > 100 {
		return r.Origin[:100]
	}
	return r.Origin
}

// cnpIngressRule translates one allow rule into an Accept rule. Ingress peers are pods and
// namespaces only: a rule without peers accepts every pod, and traffic from outside the pods
// (nodes, host-network pods, external clients) is never denied by these policies anyway.
func cnpIngressRule(p *plan.Policy, r plan.Rule, own metav1.LabelSelector) (cnpv1alpha2.ClusterNetworkPolicyIngressRule, error) {
	rule := cnpv1alpha2.ClusterNetworkPolicyIngressRule{Name: ruleName(r), Action: cnpv1alpha2.ClusterNetworkPolicyRuleActionAccept}
	var errs []error
	if r.Apiserver {
		errs = append(errs, fmt.Errorf("%s: a ClusterNetworkPolicy cannot name the kube-apiserver", r.Origin))
	}
	if len(r.Peers) == 0 {
		rule.From = []cnpv1alpha2.ClusterNetworkPolicyIngressPeer{{Namespaces: &metav1.LabelSelector{}}}
	}
	for i, peer := range r.Peers {
		if peer.IPBlock != nil {
			errs = append(errs, fmt.Errorf("%s[%d]: an ipBlock cannot be a ClusterNetworkPolicy ingress peer (its ingress peers are namespaces and pods only): select the peers by namespaceSelector or podSelector, or use engine kubernetes, cilium or calico", r.Origin, i))
			continue
		}
		ns, pods := cnpSelectorPeer(peer, own)
		rule.From = append(rule.From, cnpv1alpha2.ClusterNetworkPolicyIngressPeer{Namespaces: ns, Pods: pods})
	}
	protocols, err := cnpProtocols(p, r, plan.Ingress)
	errs = append(errs, err)
	rule.Protocols = protocols
	errs = append(errs, cnpCheckCounts(r, len(rule.From), len(rule.Protocols)))
	return rule, errors.Join(errs...)
}

// cnpEgressRule translates one allow rule into an Accept rule. The ipBlocks of a rule become
// one networks peer; an except cannot be expressed.
func cnpEgressRule(p *plan.Policy, r plan.Rule, own metav1.LabelSelector) (cnpv1alpha2.ClusterNetworkPolicyEgressRule, error) {
	rule := cnpv1alpha2.ClusterNetworkPolicyEgressRule{Name: ruleName(r), Action: cnpv1alpha2.ClusterNetworkPolicyRuleActionAccept}
	var errs []error
	if r.Apiserver {
		errs = append(errs, fmt.Errorf("%s: a ClusterNetworkPolicy cannot name the kube-apiserver: list its addresses in networkPolicy.egress.apiserver.cidrs", r.Origin))
	}
	if len(r.Peers) == 0 && !r.Apiserver {
		rule.To = cnpAnywhere()
	}
	var networks []cnpv1alpha2.CIDR
	seen := map[string]bool{}
	for i, peer := range r.Peers {
		if b := peer.IPBlock; b != nil {
			if len(b.Except) > 0 {
				errs = append(errs, fmt.Errorf("%s[%d]: ipBlock.except cannot be expressed in a ClusterNetworkPolicy: list the ranges to allow as separate CIDRs instead", r.Origin, i))
				continue
			}
			if !seen[b.CIDR] {
				seen[b.CIDR] = true
				networks = append(networks, cnpv1alpha2.CIDR(b.CIDR))
			}
			continue
		}
		ns, pods := cnpSelectorPeer(peer, own)
		rule.To = append(rule.To, cnpv1alpha2.ClusterNetworkPolicyEgressPeer{Namespaces: ns, Pods: pods})
	}
	if len(networks) > maxClusterNetworkPolicyItems {
		errs = append(errs, fmt.Errorf("%s: %d CIDRs, and a ClusterNetworkPolicy networks peer takes at most %d: split the rule", r.Origin, len(networks), maxClusterNetworkPolicyItems))
	}
	if len(networks) > 0 {
		rule.To = append(rule.To, cnpv1alpha2.ClusterNetworkPolicyEgressPeer{Networks: networks})
	}
	protocols, err := cnpProtocols(p, r, plan.Egress)
	errs = append(errs, err)
	rule.Protocols = protocols
	errs = append(errs, cnpCheckCounts(r, len(rule.To), len(rule.Protocols)))
	return rule, errors.Join(errs...)
}

// cnpSelectorPeer translates a pod/namespace peer: a podSelector alone means the policy's
// own namespace, a namespaceSelector alone every pod of the namespaces it selects ({}: all).
func cnpSelectorPeer(peer networkingv1.NetworkPolicyPeer, own metav1.LabelSelector) (*metav1.LabelSelector, *cnpv1alpha2.NamespacedPod) {
	switch {
	case peer.PodSelector == nil:
		return peer.NamespaceSelector.DeepCopy(), nil
	case peer.NamespaceSelector == nil:
		return nil, &cnpv1alpha2.NamespacedPod{NamespaceSelector: *own.DeepCopy(), PodSelector: *peer.PodSelector.DeepCopy()}
	}
	return nil, &cnpv1alpha2.NamespacedPod{NamespaceSelector: *peer.NamespaceSelector.DeepCopy(), PodSelector: *peer.PodSelector.DeepCopy()}
}

// cnpProtocols translates ports. A port without a number opens its whole protocol, which the
// API says as the range 1-65535.
func cnpProtocols(p *plan.Policy, r plan.Rule, dir plan.Direction) ([]cnpv1alpha2.ClusterNetworkPolicyProtocol, error) {
	ports, err := engine.NumericPorts(p, r, dir, config.EngineClusterNetworkPolicy)
	if err != nil {
		return nil, err
	}
	var out []cnpv1alpha2.ClusterNetworkPolicyProtocol
	for _, np := range ports {
		port := &cnpv1alpha2.Port{Number: np.Port}
		switch {
		case np.Port == 0:
			port = &cnpv1alpha2.Port{Range: &cnpv1alpha2.PortRange{Start: 1, End: 65535}}
		case np.End > 0:
			port = &cnpv1alpha2.Port{Range: &cnpv1alpha2.PortRange{Start: np.Port, End: np.End}}
		}
		var proto cnpv1alpha2.ClusterNetworkPolicyProtocol
		switch np.Protocol {
		case corev1.ProtocolTCP:
			proto.TCP = &cnpv1alpha2.ClusterNetworkPolicyProtocolTCP{DestinationPort: port}
		case corev1.ProtocolUDP:
			proto.UDP = &cnpv1alpha2.ClusterNetworkPolicyProtocolUDP{DestinationPort: port}
		case corev1.ProtocolSCTP:
			proto.SCTP = &cnpv1alpha2.ClusterNetworkPolicyProtocolSCTP{DestinationPort: port}
		default:
			return nil, fmt.Errorf("%s: protocol %q: must be one of TCP, UDP, SCTP", r.Origin, np.Protocol)
		}
		out = append(out, proto)
	}
	return out, nil
}

func cnpCheckCounts(r plan.Rule, peers, protocols int) error {
	var errs []error
	if peers > maxClusterNetworkPolicyItems {
		errs = append(errs, fmt.Errorf("%s: %d peers, and a ClusterNetworkPolicy rule takes at most %d: split the rule", r.Origin, peers, maxClusterNetworkPolicyItems))
	}
	if protocols > maxClusterNetworkPolicyItems {
		errs = append(errs, fmt.Errorf("%s: %d ports, and a ClusterNetworkPolicy rule takes at most %d: split the rule, or use a port range (port with endPort)", r.Origin, protocols, maxClusterNetworkPolicyItems))
	}
	return errors.Join(errs...)
}

// decodeRules decodes passthrough rules into their API type, each error naming the rule
// by path ("networkPolicy.clusterNetworkPolicy.ingress[2]").
func decodeRules[T any](rules []map[string]any, path string) ([]T, []error) {
	var out []T
	var errs []error
	for i, m := range rules {
		var rule T
		if err := decodeStrict(m, &rule); err != nil {
			errs = append(errs, fmt.Errorf("%s[%d]: %w", path, i, err))
			continue
		}
		out = append(out, rule)
	}
	return out, errs
}

// decodeStrict decodes a passthrough rule into its API type; an unknown field is an error,
// so that a typo does not vanish.
func decodeStrict(m map[string]any, into any) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		return errors.New(strings.TrimPrefix(err.Error(), "json: "))
	}
	return nil
}
