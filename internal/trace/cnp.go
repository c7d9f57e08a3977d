package trace

import (
	"fmt"
	"sort"

	"github.com/helm-netpol/helm-netpol/internal/config"
	"github.com/helm-netpol/helm-netpol/internal/engine"
)

// The ClusterNetworkPolicy model (sigs.k8s.io/network-policy-api v0.3.0, apis/v1alpha2:
// ClusterNetworkPolicySpec.Tier and .Priority, the rule actions, the peers):
//
//   - tiers in order: Admin, then the NetworkPolicy tier (NetworkPolicy, and the plugin's
//     own policies), then Baseline; what no tier decides is allowed;
//   - within a tier, policies by priority, lower first; two policies of one priority that
//     both match a connection may be applied in any order: when they would decide it
//     differently, trace says the verdict is the implementation's;
//   - within a policy, the first rule whose peer and protocols match decides: Accept
//     allows, Deny denies, Pass leaves the tier;
//   - "v1.NetworkPolicy always makes a final decision for selected pods": the tier of
//     NetworkPolicy decides, per direction, for a pod a NetworkPolicy isolates in it, so
//     Baseline applies only where none does (on Calico, where a policy of its default tier
//     selects the pod; on Cilium, where one of its policies does);
//   - subject: namespaces, or pods in namespaces; peers: namespaces and pods select pods
//     (never host-network ones), networks select addresses (cluster-internal traffic
//     included; on Cilium they become CIDR selectors, which match world addresses only),
//     nodes select nodes (the host, other nodes, a host-network kube-apiserver), domain
//     names the addresses DNS answered, which trace cannot know.

// cnpTier evaluates the ClusterNetworkPolicies of a tier (Admin or Baseline).
func (p *probe) cnpTier(tier string) result {
	var pols []*engine.Object
	for _, o := range p.c.Objects {
		if o.Dialect != config.EngineClusterNetworkPolicy || o.Tier != tier || len(o.Rules(p.dir)) == 0 {
			continue
		}
		m := p.cnpSubject(o)
		if m.unknown {
			return undecidedResult(m)
		}
		if !m.yes {
			continue
		}
		if len(o.Unsupported) > 0 || o.Priority == nil {
			return undecidedResult(objectUnsupported(o))
		}
		pols = append(pols, o)
	}
	sort.SliceStable(pols, func(i, j int) bool {
		if *pols[i].Priority != *pols[j].Priority {
			return *pols[i].Priority < *pols[j].Priority
		}
		return pols[i].Name < pols[j].Name
	})
	for start := 0; start < len(pols); {
		end := start
		for end < len(pols) && *pols[end].Priority == *pols[start].Priority {
			end++
		}
		type decision struct {
			o *engine.Object
			r *engine.Rule
		}
		var decided []decision
		for _, o := range pols[start:end] {
			rules := o.Rules(p.dir)
			for i := range rules {
				r := &rules[i]
				m := p.cnpRule(o, r)
				if m.unknown {
					return undecidedResult(m)
				}
				if m.yes {
					decided = append(decided, decision{o, r})
					break
				}
			}
		}
		start = end
		if len(decided) == 0 {
			continue
		}
		d := decided[0]
		for _, other := range decided[1:] {
			if other.r.Action != d.r.Action {
				return undecidedResult(unknown("%s %s (%s) and %s %s (%s) both match at priority %d of tier %s: which applies is the implementation's choice", d.o.ID, d.r.Name(), d.r.Action, other.o.ID, other.r.Name(), other.r.Action, *d.o.Priority, tier))
			}
		}
		switch d.r.Action {
		case "Accept":
			return ruleResult(allow, d.o, d.r, fmt.Sprintf("allowed by %s %s", d.o.ID, d.r.Name()))
		case "Deny":
			return ruleResult(deny, d.o, d.r, fmt.Sprintf("denied by %s %s", d.o.ID, d.r.Name()))
		case "Pass":
			return ruleResult(pass, d.o, d.r, fmt.Sprintf("passed on by %s %s", d.o.ID, d.r.Name()))
		}
		return undecidedResult(unknown("%s %s: action %q", d.o.ID, d.r.Name(), d.r.Action))
	}
	if len(pols) > 0 {
		return result{outcome: pass, reason: fmt.Sprintf("no rule of %s (tier %s) matches", names(pols), tier)}
	}
	return result{outcome: pass}
}

// cnpSubject tells whether a ClusterNetworkPolicy selects the workload's pod.
func (p *probe) cnpSubject(o *engine.Object) match {
	if o.Subject.Namespaces == nil {
		return unknown("%s: no subject trace reads", o.ID)
	}
	return all(p.c.selects(o.Subject.Namespaces, p.workload.nsLabels), p.c.selects(o.Subject.Pods, p.workload.labels))
}

// cnpRule tells whether a ClusterNetworkPolicy rule matches the probe.
func (p *probe) cnpRule(o *engine.Object, r *engine.Rule) match {
	ports, open := p.rulePorts(o, r)
	if !open {
		return ports
	}
	peers := no
	for _, peer := range r.Peers {
		peers = anyOf(peers, p.cnpPeer(o, r, peer))
	}
	return all(ports, peers)
}

func (p *probe) cnpPeer(o *engine.Object, r *engine.Rule, peer engine.Peer) match {
	switch peer.Kind {
	case engine.PeerNamespaces, engine.PeerPods:
		if p.peer.kind != peerPod {
			return no
		}
		m := p.c.selects(peer.Namespaces, p.peer.pod.nsLabels)
		if peer.Kind == engine.PeerPods {
			m = all(m, p.c.selects(peer.Pods, p.peer.pod.labels))
		}
		return m
	case engine.PeerCIDR:
		if p.c.CNI == Cilium && p.peer.kind != peerWorld {
			return no
		}
		return p.addrIn(peer.CIDR, nil)
	case engine.PeerNodes:
		switch {
		case p.peer.kind == peerPod, p.peer.kind == peerWorld:
			return no
		case p.peer.kind == peerKubeDNS && p.c.CNI != Cilium:
			return no // node-local-dns's address is no node address; Cilium sees the host
		}
		if peer.Nodes != nil && (len(peer.Nodes.MatchLabels) > 0 || len(peer.Nodes.MatchExpressions) > 0) {
			return unknown("%s %s: a nodes peer selects by node labels, which probes do not carry", o.ID, r.Name())
		}
		return yes
	case engine.PeerFQDN:
		if p.peer.kind != peerWorld {
			return no
		}
		return unknown("%s %s: domainNames %s match the addresses DNS answers for them, which trace cannot know", o.ID, r.Name(), peer.FQDN)
	}
	return unknown("%s %s: a peer of kind %s", o.ID, r.Name(), peer.Kind)
}
