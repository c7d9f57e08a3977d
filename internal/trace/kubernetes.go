package trace

import (
	"fmt"

	"github.com/helm-netpol/helm-netpol/internal/config"
	"github.com/helm-netpol/helm-netpol/internal/engine"
	"github.com/helm-netpol/helm-netpol/internal/plan"
)

// The NetworkPolicy model, as the networking.k8s.io/v1 API documents it (NetworkPolicySpec,
// NetworkPolicyPeer, IPBlock, NetworkPolicyPort):
//
//   - a pod is isolated for a direction when some policy of its namespace selects it and
//     has that policy type (policyTypes, defaulted to Ingress plus Egress when the policy
//     has egress rules); otherwise everything is allowed that way;
//   - an isolated pod gets the union of the rules of every policy that selects it: a
//     connection is allowed when one rule matches both its peer and its port;
//   - "traffic is allowed to a pod if ... the traffic source is the pod's local node"
//     (NetworkPolicySpec.ingress);
//   - a rule without from/to matches every peer, without ports every port; a podSelector
//     alone selects pods of the policy's namespace, a namespaceSelector ({}: all) with an
//     optional podSelector pods of the namespaces it selects; an ipBlock selects the
//     addresses of its CIDR minus its except, by the peer's address;
//   - a named port is the destination pod's declared port of that name and protocol.
//
// On Cilium a NetworkPolicy is translated (pkg/k8s/network_policy.go ParseNetworkPolicy):
// the same, but an ipBlock becomes a CIDR selector, which never matches pods, nodes or a
// host-network kube-apiserver (ipcache resolveLabels drops their CIDR labels under the
// default policy-cidr-match-mode), and a rule without peers selects every identity.

// kubernetesTier evaluates the NetworkPolicies of the pod's namespace.
func (p *probe) kubernetesTier() result {
	selected, m := p.k8sSelecting()
	if m.unknown {
		return undecidedResult(m)
	}
	if len(selected) == 0 {
		return result{outcome: pass}
	}
	if p.dir == plan.Ingress && p.peer.fromLocalNode() {
		return result{outcome: allow, reason: "traffic from the pod's own node: NetworkPolicy always allows it"}
	}
	return p.k8sUnion(selected, Kubernetes)
}

// k8sUnion allows what one rule of the selecting policies allows.
func (p *probe) k8sUnion(selected []*engine.Object, cni CNI) result {
	pending := no
	for _, o := range selected {
		rules := o.Rules(p.dir)
		for i := range rules {
			r := &rules[i]
			m := p.k8sRule(o, r, cni)
			if m.yes {
				return ruleResult(allow, o, r, fmt.Sprintf("allowed by %s %s", o.ID, r.Name()))
			}
			if m.unknown && !pending.unknown {
				pending = m
			}
		}
	}
	if pending.unknown {
		return undecidedResult(pending)
	}
	return result{outcome: deny, reason: fmt.Sprintf("denied: %s isolate the pod for %s, and no rule of theirs allows it", names(selected), p.dir)}
}

// k8sSelecting returns the NetworkPolicies that select the workload's pod and isolate it
// for the probe's direction.
func (p *probe) k8sSelecting() ([]*engine.Object, match) {
	return p.selecting(func(o *engine.Object) match {
		if o.Dialect != config.EngineKubernetes || o.Staged || !o.Isolates(p.dir) || p.c.ns(o.Namespace) != p.workload.namespace {
			return no
		}
		return p.c.selects(o.Subject.Pods, p.workload.labels)
	})
}

// k8sRule tells whether a NetworkPolicy rule matches the probe, on a plugin.
func (p *probe) k8sRule(o *engine.Object, r *engine.Rule, cni CNI) match {
	ports, open := p.rulePorts(o, r)
	if !open {
		return ports
	}
	peers := no
	if r.AnyPeer {
		peers = yes
	}
	for _, peer := range r.Peers {
		peers = anyOf(peers, p.k8sPeer(o, peer, cni))
	}
	return all(ports, peers)
}

// all is the match of conditions that must all hold: no when one does not.
func all(ms ...match) match {
	out := yes
	for _, m := range ms {
		if !m.yes && !m.unknown {
			return no
		}
		if m.unknown && !out.unknown {
			out = m
		}
	}
	return out
}

// k8sPeer tells whether a NetworkPolicyPeer matches the probe's peer.
func (p *probe) k8sPeer(o *engine.Object, peer engine.Peer, cni CNI) match {
	switch peer.Kind {
	case engine.PeerCIDR:
		if cni == Cilium && p.peer.kind != peerWorld {
			return no
		}
		return p.addrIn(peer.CIDR, peer.Except)
	case engine.PeerPods, engine.PeerNamespaces:
		if p.peer.kind != peerPod {
			return no
		}
		pod := p.peer.pod
		ns := yes
		if peer.Namespaces == nil {
			if p.c.ns(o.Namespace) != pod.namespace {
				ns = no
			}
		} else {
			ns = p.c.selects(peer.Namespaces, pod.nsLabels)
		}
		pods := yes
		if peer.Kind == engine.PeerPods {
			pods = p.c.selects(peer.Pods, pod.labels)
		}
		return all(ns, pods)
	}
	return unknown("%s: a peer of kind %s", o.ID, peer.Kind)
}
