package trace

import (
	"fmt"
	"sort"

	"github.com/helm-netpol/helm-netpol/internal/config"
	"github.com/helm-netpol/helm-netpol/internal/engine"
	"github.com/helm-netpol/helm-netpol/internal/plan"
)

// The Calico model, as Calico's documentation gives it (NetworkPolicy and Tier references;
// "Get started with policy tiers"; "Protect hosts"; the EntityRule and ServiceMatch
// comments of projectcalico/api v3):
//
//   - the policies of a tier that select the endpoint, for the direction (types), are
//     evaluated in order: lower order first, a policy without order last, equal orders by
//     name; within a policy, its rules in order;
//   - the first rule that matches decides: Allow and Deny end the evaluation, Pass skips
//     the rest of the tier, Log goes on;
//   - when policies of the tier select the endpoint and no rule matched, the tier's end
//     drops the traffic (the default tier's default action is Deny); a tier no policy of
//     which selects the endpoint is skipped;
//   - a Kubernetes NetworkPolicy is a policy of the default tier at order 1000 named
//     knp.default.<name>, its rules Allow rules;
//   - staged policies are evaluated and enforce nothing;
//   - "Calico allows all connections from processes running on the host to guest
//     workloads on the host" (Protect hosts);
//   - a rule's selector and namespaceSelector select pods only (Calico workload
//     endpoints; trace models no host endpoints or network sets): a selector alone within
//     the policy's namespace, a namespaceSelector ({}: all()) in the namespaces it
//     selects; nets and notNets match the peer's address; a rule says AND of what it says;
//   - services (destination) matches the Service's endpoints on their port only: the
//     kubernetes Service of default is the kube-apiserver, whose endpoints listen on 443
//     (managed clusters) or 6443 (kubeadm, OpenShift); trace takes either;
//   - selector expressions: see calico.ParseSelector; an endpoint's labels include
//     projectcalico.org/namespace and projectcalico.org/orchestrator, a namespace's
//     projectcalico.org/name.
//
// Tiers other than default, and GlobalNetworkPolicy, are not evaluated.

// calicoPolicy is a policy of the default tier.
type calicoPolicy struct {
	o     *engine.Object
	order *float64
	name  string
	k8s   bool
}

// calicoTier evaluates the default tier.
func (p *probe) calicoTier() result {
	pols, m := p.calicoPolicies()
	if m.unknown {
		return undecidedResult(m)
	}
	if len(pols) == 0 {
		return result{outcome: pass}
	}
	if p.dir == plan.Ingress && p.peer.fromLocalNode() {
		return result{outcome: allow, reason: "traffic from the pod's own node: Calico lets the host reach its pods"}
	}
	sortCalicoPolicies(pols)
	if res, decided := p.firstCalicoRule(pols); decided {
		return res
	}
	var objs []*engine.Object
	for _, pol := range pols {
		objs = append(objs, pol.o)
	}
	return result{outcome: deny, reason: fmt.Sprintf("denied at the end of the default tier: %s select the pod for %s, and none of their rules matches", names(objs), p.dir)}
}

// calicoPolicies are the policies of the default tier that select the pod for the probe's
// direction, in the stream's order. The match is unknown, and the policies nil, when one
// policy's selection, tier or content cannot be evaluated.
func (p *probe) calicoPolicies() ([]calicoPolicy, match) {
	var pols []calicoPolicy
	for _, o := range p.c.Objects {
		if o.Staged || !o.Isolates(p.dir) || p.c.ns(o.Namespace) != p.workload.namespace {
			continue
		}
		var pol calicoPolicy
		var m match
		switch o.Dialect {
		case config.EngineKubernetes:
			pol, m = p.knpCalicoPolicy(o)
		case config.EngineCalico:
			pol, m = p.calicoPolicyOf(o)
		default:
			continue
		}
		if m.unknown {
			return nil, m
		}
		if m.yes {
			pols = append(pols, pol)
		}
	}
	return pols, no
}

// knpCalicoPolicy is a Kubernetes NetworkPolicy as Calico sees it, a policy of the default
// tier at order 1000 named knp.default.<name>; the match tells whether it selects the pod.
func (p *probe) knpCalicoPolicy(o *engine.Object) (calicoPolicy, match) {
	m := p.c.selects(o.Subject.Pods, p.workload.labels)
	if !m.yes {
		return calicoPolicy{}, m
	}
	order := 1000.0
	return calicoPolicy{o: o, order: &order, name: "knp.default." + o.Name, k8s: true}, m
}

// calicoPolicyOf is a Calico NetworkPolicy as a policy of the default tier; the match
// tells whether it selects the pod, and is unknown for a policy of another tier or one
// saying what trace does not evaluate. A GlobalNetworkPolicy is not evaluated.
func (p *probe) calicoPolicyOf(o *engine.Object) (calicoPolicy, match) {
	if o.ClusterScoped {
		return calicoPolicy{}, no
	}
	if o.Subject.Expr == nil {
		return calicoPolicy{}, objectUnsupported(o)
	}
	if !o.Subject.Expr.Matches(calicoLabels(p.workload)) {
		return calicoPolicy{}, no
	}
	if o.Tier != "default" {
		return calicoPolicy{}, unknown("%s is in tier %s, whose place among the tiers trace does not know", o.ID, o.Tier)
	}
	if len(o.Unsupported) > 0 {
		return calicoPolicy{}, objectUnsupported(o)
	}
	return calicoPolicy{o: o, order: o.Order, name: o.Name}, yes
}

// sortCalicoPolicies puts policies in Calico's order: lower order first, a policy without
// order last, equal orders by name.
func sortCalicoPolicies(pols []calicoPolicy) {
	sort.SliceStable(pols, func(i, j int) bool {
		a, b := pols[i], pols[j]
		switch {
		case (a.order == nil) != (b.order == nil):
			return b.order == nil
		case a.order != nil && *a.order != *b.order:
			return *a.order < *b.order
		}
		return a.name < b.name
	})
}

// firstCalicoRule evaluates the policies' rules in order; the first rule that matches
// decides, unless it only logs. It reports false when no rule decides.
func (p *probe) firstCalicoRule(pols []calicoPolicy) (result, bool) {
	for _, pol := range pols {
		o := pol.o
		rules := o.Rules(p.dir)
		for i := range rules {
			r := &rules[i]
			m := p.calicoPolicyRule(pol, r)
			if m.unknown {
				return undecidedResult(m), true
			}
			if !m.yes {
				continue
			}
			if res, decided := calicoAction(o, r); decided {
				return res, true
			}
		}
	}
	return result{}, false
}

// calicoPolicyRule tells whether a rule of the policy matches the probe, read as its
// dialect's rule.
func (p *probe) calicoPolicyRule(pol calicoPolicy, r *engine.Rule) match {
	if pol.k8s {
		return p.k8sRule(pol.o, r, Calico)
	}
	return p.calicoRule(pol.o, r)
}

// calicoAction is what a matching rule decides: Allow and Deny end the evaluation, Pass
// skips the rest of the tier, Log goes on (false); an unknown action is undecided.
func calicoAction(o *engine.Object, r *engine.Rule) (result, bool) {
	switch r.Action {
	case "Allow":
		return ruleResult(allow, o, r, fmt.Sprintf("allowed by %s %s", o.ID, r.Name())), true
	case "Deny":
		return ruleResult(deny, o, r, fmt.Sprintf("denied by %s %s", o.ID, r.Name())), true
	case "Pass":
		return ruleResult(pass, o, r, fmt.Sprintf("passed on by %s %s", o.ID, r.Name())), true
	case "Log":
		return result{}, false
	}
	return undecidedResult(unknown("%s %s: action %q", o.ID, r.Name(), r.Action)), true
}

// calicoLabels are an endpoint's labels as Calico's selectors see them.
func calicoLabels(e *endpoint) map[string]string {
	out := map[string]string{"projectcalico.org/namespace": e.namespace, "projectcalico.org/orchestrator": "k8s"}
	for k, v := range e.labels {
		out[k] = v
	}
	return out
}

func calicoNamespaceLabels(e *endpoint) map[string]string {
	out := map[string]string{"projectcalico.org/name": e.namespace}
	for k, v := range e.nsLabels {
		out[k] = v
	}
	return out
}

// calicoRule tells whether a Calico rule matches the probe.
func (p *probe) calicoRule(o *engine.Object, r *engine.Rule) match {
	ports, open := p.rulePorts(o, r)
	if !open {
		return ports
	}
	family := yes
	if r.IPVersion != 0 {
		family = p.family(r.IPVersion)
	}
	peers := no
	if r.AnyPeer {
		peers = yes
	}
	for _, peer := range r.Peers {
		peers = anyOf(peers, p.calicoPeer(o, r, peer))
	}
	return all(ports, family, peers)
}

// family tells whether the peer's address is of an IP version.
func (p *probe) family(version int) match {
	addr := p.peer.addr
	switch {
	case addr.IsValid():
		if addr.Is4() == (version == 4) {
			return yes
		}
		return no
	case p.peer.kind == peerPod || p.peer.kind == peerWorld:
		if version == 4 { // taken to be IPv4 (Peer)
			return yes
		}
		return no
	}
	return unknown("the rule matches IPv%d only, and the probe gives the %s no ip", version, entityName(p.peer.kind))
}

func (p *probe) calicoPeer(o *engine.Object, r *engine.Rule, peer engine.Peer) match {
	switch peer.Kind {
	case engine.PeerService:
		s := peer.Service
		if s.Name == "kubernetes" && s.Namespace == "default" {
			if p.peer.kind == peerAPIServer && p.protocol == "TCP" && (p.port == 443 || p.port == 6443) {
				return yes
			}
			return no
		}
		return unknown("%s %s: the endpoints of Service %s/%s are not in the stream", o.ID, r.Name(), s.Namespace, s.Name)
	case engine.PeerCalico:
		conds := []match{}
		if peer.Selector != "" || peer.NamespaceSelector != "" {
			if p.peer.kind != peerPod {
				return no
			}
			pod := p.peer.pod
			if peer.NamespaceExpr != nil {
				conds = append(conds, boolMatch(peer.NamespaceExpr.Matches(calicoNamespaceLabels(pod))))
			} else {
				conds = append(conds, boolMatch(p.c.ns(o.Namespace) == pod.namespace))
			}
			if peer.SelectorExpr != nil {
				conds = append(conds, boolMatch(peer.SelectorExpr.Matches(calicoLabels(pod))))
			}
		}
		if len(peer.Nets) > 0 {
			in := no
			for _, n := range peer.Nets {
				in = anyOf(in, p.addrIn(n, nil))
			}
			conds = append(conds, in)
		}
		for _, n := range peer.NotNets {
			in := p.addrIn(n, nil)
			switch {
			case in.unknown:
				conds = append(conds, in)
			case in.yes:
				conds = append(conds, no)
			}
		}
		return all(conds...)
	}
	return unknown("%s %s: a peer of kind %s", o.ID, r.Name(), peer.Kind)
}

func boolMatch(b bool) match {
	if b {
		return yes
	}
	return no
}
