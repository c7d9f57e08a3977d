package trace

import (
	"fmt"
	"strings"

	"github.com/helm-netpol/helm-netpol/internal/config"
	"github.com/helm-netpol/helm-netpol/internal/engine"
	"github.com/helm-netpol/helm-netpol/internal/plan"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The Cilium model, as Cilium 1.20 resolves an endpoint's policy (pkg/policy/repository.go
// computePolicyEnforcementAndRules, rule.go, l4.go; pkg/k8s/apis/cilium.io/utils for how a
// CiliumNetworkPolicy's selectors are scoped; pkg/policy/api/entity.go for entities):
//
//   - every peer has an identity: a pod its labels (k8s source), its namespace
//     (io.kubernetes.pod.namespace), its namespace's labels
//     (io.cilium.k8s.namespace.labels.<key>) and the cluster (io.cilium.k8s.policy.cluster);
//     the node a pod runs on is reserved:host, another node reserved:remote-node, a
//     host-network kube-apiserver reserved:kube-apiserver on a remote node, node-local-dns
//     the host, an address outside the cluster reserved:world (and world-ipv4/-ipv6);
//   - CiliumNetworkPolicies and NetworkPolicies that select the pod are additive; a
//     direction is in default deny when one of them enables it (a rule for that direction,
//     unless enableDefaultDeny says otherwise); without default deny the direction allows
//     everything but what a deny rule denies;
//   - deny rules (ingressDeny, egressDeny) win over every allow;
//   - in default deny, traffic from the host is allowed (allow-localhost, default auto);
//   - endpointSelector applies in the policy's namespace; a fromEndpoints/toEndpoints
//     selector without a namespace key, and without a namespace label key, is scoped to it
//     too, and every one to the local cluster, unless it selects reserved labels;
//   - entities: all, world (world-ipv4, world-ipv6), cluster (pods of the cluster, host,
//     remote-node, kube-apiserver...), host, remote-node, kube-apiserver;
//   - a CIDR selector matches world addresses only: under the default
//     policy-cidr-match-mode, nodes, the host and in-cluster peers keep no CIDR labels;
//   - toFQDNs matches the addresses DNS answered, which trace cannot know: an address peer
//     meeting one is not evaluated; pods and entities never match one;
//   - ports: protocol ANY is TCP, UDP and SCTP, port 0 every port, a named port the
//     destination's; L7 rules let through what L4 allows and filter it further (the
//     verdict says so).

// ciliumTier evaluates the CiliumNetworkPolicies and NetworkPolicies that select the pod.
func (p *probe) ciliumTier() result {
	selected, m := p.ciliumSelected()
	if m.unknown {
		return undecidedResult(m)
	}
	if len(selected) == 0 {
		return result{outcome: pass}
	}
	if res, decided := p.ciliumDenyRules(selected); decided {
		return res
	}
	defaultDeny := p.ciliumDefaultDeny(selected)
	if p.dir == plan.Ingress && p.peer.fromLocalNode() && defaultDeny {
		return result{outcome: allow, reason: "traffic from the pod's own node: Cilium allows the host in default deny (allow-localhost)"}
	}
	if !defaultDeny {
		return result{outcome: allow, reason: fmt.Sprintf("no deny rule matches, and %s enable no default deny for %s", names(selected), p.dir)}
	}
	if res, decided := p.ciliumAllowRules(selected); decided {
		return res
	}
	return result{outcome: deny, reason: fmt.Sprintf("denied: %s put the pod in default deny for %s, and no rule of theirs allows it", names(selected), p.dir)}
}

// ciliumSelected are the policies that select the pod for the probe's direction, in the
// stream's order. The match is unknown, and the policies nil, when one policy's selection
// or content cannot be evaluated.
func (p *probe) ciliumSelected() ([]*engine.Object, match) {
	return p.selecting(p.ciliumPolicySelects)
}

// ciliumPolicySelects tells whether a policy applies to the pod: a NetworkPolicy that
// isolates the direction, or a namespaced CiliumNetworkPolicy with rules for it, in the
// pod's namespace and selecting it. Objects of other dialects select nothing.
func (p *probe) ciliumPolicySelects(o *engine.Object) match {
	switch o.Dialect {
	case config.EngineKubernetes:
		if o.Staged || !o.Isolates(p.dir) || p.c.ns(o.Namespace) != p.workload.namespace {
			return no
		}
		return p.c.selects(o.Subject.Pods, p.workload.labels)
	case config.EngineCilium:
		if len(o.Rules(p.dir)) == 0 || o.ClusterScoped || p.c.ns(o.Namespace) != p.workload.namespace {
			return no
		}
		return ciliumSelects(ciliumSubject(o, p.workload.namespace), p.workloadIdentity())
	}
	return no
}

// ciliumDefaultDeny tells whether one of the selected policies puts the pod in default
// deny for the probe's direction.
func (p *probe) ciliumDefaultDeny(selected []*engine.Object) bool {
	for _, o := range selected {
		if o.Isolates(p.dir) {
			return true
		}
	}
	return false
}

// ciliumDenyRules evaluates the deny rules of the selected CiliumNetworkPolicies, which
// win over every allow: it decides deny when one matches, and is undecided when none does
// and one cannot be evaluated. It reports false when no deny rule decides.
func (p *probe) ciliumDenyRules(selected []*engine.Object) (result, bool) {
	pending := no
	for _, o := range selected {
		if o.Dialect != config.EngineCilium {
			continue
		}
		rules := o.Rules(p.dir)
		for i := range rules {
			r := &rules[i]
			if r.Action != "Deny" {
				continue
			}
			m := p.ciliumRule(o, r)
			if m.yes {
				return ruleResult(deny, o, r, fmt.Sprintf("denied by %s %s (a deny rule wins over every allow)", o.ID, r.Name())), true
			}
			if m.unknown && !pending.unknown {
				pending = m
			}
		}
	}
	if pending.unknown {
		return undecidedResult(pending), true
	}
	return result{}, false
}

// ciliumAllowRules evaluates the allow rules of the selected policies: it decides allow
// when one matches, and is undecided when none does and one cannot be evaluated. It
// reports false when no allow rule decides.
func (p *probe) ciliumAllowRules(selected []*engine.Object) (result, bool) {
	pending := no
	for _, o := range selected {
		rules := o.Rules(p.dir)
		for i := range rules {
			r := &rules[i]
			if r.Action == "Deny" {
				continue
			}
			m := p.ciliumPolicyRule(o, r)
			if m.yes {
				return p.ciliumAllowed(o, r), true
			}
			if m.unknown && !pending.unknown {
				pending = m
			}
		}
	}
	if pending.unknown {
		return undecidedResult(pending), true
	}
	return result{}, false
}

// ciliumPolicyRule tells whether a rule of a policy matches the probe, read as its
// dialect's rule.
func (p *probe) ciliumPolicyRule(o *engine.Object, r *engine.Rule) match {
	if o.Dialect == config.EngineKubernetes {
		return p.k8sRule(o, r, Cilium)
	}
	return p.ciliumRule(o, r)
}

// ciliumAllowed is the verdict of an allow rule that matches, naming the L7 rules
// Cilium's proxy applies to what it lets through.
func (p *probe) ciliumAllowed(o *engine.Object, r *engine.Rule) result {
	reason := fmt.Sprintf("allowed by %s %s", o.ID, r.Name())
	if l7 := p.l7(r); l7 != "" {
		reason += ", through Cilium's proxy, which applies its L7 rules " + l7
	}
	return ruleResult(allow, o, r, reason)
}

// l7 returns the L7 rules of the first port of a rule that takes the probe.
func (p *probe) l7(r *engine.Rule) string {
	for _, port := range r.Ports {
		if port.L7 != "" && p.portMatches([]engine.Port{port}).yes {
			return port.L7
		}
	}
	return ""
}

// ciliumRule tells whether a CiliumNetworkPolicy rule matches the probe.
func (p *probe) ciliumRule(o *engine.Object, r *engine.Rule) match {
	ports, open := p.rulePorts(o, r)
	if !open {
		return ports
	}
	peers := no
	if r.AnyPeer {
		peers = yes
	}
	for _, peer := range r.Peers {
		peers = anyOf(peers, p.ciliumPeer(o, peer))
	}
	return all(ports, peers)
}

func (p *probe) ciliumPeer(o *engine.Object, peer engine.Peer) match {
	id := p.peerIdentity()
	switch peer.Kind {
	case engine.PeerEntity:
		return ciliumEntity(peer.Entity, id)
	case engine.PeerEndpoints:
		return ciliumSelects(scopeEndpointSelector(peer.Endpoints, p.c.ns(o.Namespace)), id)
	case engine.PeerCIDR:
		if p.peer.kind != peerWorld {
			return no
		}
		return p.addrIn(peer.CIDR, peer.Except)
	case engine.PeerFQDN:
		if p.peer.kind != peerWorld {
			return no
		}
		return unknown("%s: toFQDNs %s matches the addresses DNS answers for it, which trace cannot know", o.ID, peer.FQDN)
	}
	return unknown("%s: a peer of kind %s", o.ID, peer.Kind)
}

// identity is a Cilium identity's labels: source -> key -> value.
type identity map[string]map[string]string

func (id identity) add(source, key, value string) {
	if id[source] == nil {
		id[source] = map[string]string{}
	}
	id[source][key] = value
}

// get looks a selector key up: "source:key", or a bare key (or any:key) in any source.
func (id identity) get(key string) (string, bool) {
	source, k := splitSource(key)
	if source == "any" {
		for _, src := range []string{"k8s", "reserved"} {
			if v, ok := id[src][k]; ok {
				return v, true
			}
		}
		return "", false
	}
	v, ok := id[source][k]
	return v, ok
}

// splitSource splits a Cilium label key into its source and key (pkg/labels parseSource):
// "$host" is reserved:host, a key without a source is of any source.
func splitSource(key string) (string, string) {
	if strings.HasPrefix(key, "$") {
		return "reserved", key[1:]
	}
	if src, k, ok := strings.Cut(key, ":"); ok {
		if src == "" || src == "unspec" {
			src = "any"
		}
		return src, k
	}
	return "any", key
}

const (
	ciliumNamespace       = "io.kubernetes.pod.namespace"
	ciliumNamespaceLabels = "io.cilium.k8s.namespace.labels."
	ciliumCluster         = "io.cilium.k8s.policy.cluster"
	ciliumServiceAccount  = "io.cilium.k8s.policy.serviceaccount"
	ciliumClusterName     = "default"
)

func podIdentity(e *endpoint) identity {
	id := identity{}
	for k, v := range e.labels {
		id.add("k8s", k, v)
	}
	id.add("k8s", ciliumNamespace, e.namespace)
	for k, v := range e.nsLabels {
		id.add("k8s", ciliumNamespaceLabels+k, v)
	}
	id.add("k8s", ciliumCluster, ciliumClusterName)
	return id
}

func (p *probe) workloadIdentity() identity { return podIdentity(p.workload) }

func (p *probe) peerIdentity() identity {
	id := identity{}
	switch p.peer.kind {
	case peerPod:
		return podIdentity(p.peer.pod)
	case peerHost, peerKubeDNS:
		id.add("reserved", "host", "")
	case peerRemoteNode:
		id.add("reserved", "remote-node", "")
	case peerAPIServer:
		id.add("reserved", "kube-apiserver", "")
		id.add("reserved", "remote-node", "")
	case peerWorld:
		id.add("reserved", "world", "")
		if p.peer.addr.IsValid() && p.peer.addr.Is6() {
			id.add("reserved", "world-ipv6", "")
		} else {
			id.add("reserved", "world-ipv4", "")
		}
	}
	return id
}

// ciliumEntity tells whether an entity selects an identity (pkg/policy/api/entity.go
// EntitySelectorMapping; cluster as InitEntities makes it).
func ciliumEntity(entity string, id identity) match {
	reserved := func(names ...string) match {
		for _, n := range names {
			if _, ok := id["reserved"][n]; ok {
				return yes
			}
		}
		return no
	}
	switch entity {
	case "all":
		return yes
	case "world":
		return reserved("world", "world-ipv4", "world-ipv6")
	case "world-ipv4", "world-ipv6", "host", "remote-node", "kube-apiserver", "init", "ingress", "health", "unmanaged", "none":
		return reserved(entity)
	case "cluster", "cluster-mesh":
		if v, ok := id["k8s"][ciliumCluster]; ok && (v == ciliumClusterName || entity == "cluster-mesh") {
			return yes
		}
		return reserved("host", "remote-node", "init", "ingress", "health", "unmanaged", "kube-apiserver")
	}
	return unknown("entity %q: not one trace knows", entity)
}

// scopeEndpointSelector scopes a peer selector of a namespaced policy as Cilium does
// (getEndpointSelector): to the policy's namespace unless it names a namespace or a
// namespace label, and to the local cluster unless it names one; one that names a
// reserved label is left as it is.
func scopeEndpointSelector(sel *metav1.LabelSelector, namespace string) *metav1.LabelSelector {
	s := normalized(sel)
	if hasPrefix(s, "reserved:") {
		return s
	}
	if !hasKey(s, "k8s:"+ciliumNamespace) && !hasKey(s, "any:"+ciliumNamespace) &&
		!hasPrefix(s, "k8s:"+ciliumNamespaceLabels) && !hasPrefix(s, "any:"+ciliumNamespaceLabels) {
		s.MatchLabels["k8s:"+ciliumNamespace] = namespace
	}
	if !hasKey(s, "k8s:"+ciliumCluster) && !hasKey(s, "any:"+ciliumCluster) {
		s.MatchLabels["k8s:"+ciliumCluster] = ciliumClusterName
	}
	return s
}

// normalized copies a selector with every key source-prefixed ("app" becomes "any:app").
func normalized(sel *metav1.LabelSelector) *metav1.LabelSelector {
	out := &metav1.LabelSelector{MatchLabels: map[string]string{}}
	if sel == nil {
		return out
	}
	for k, v := range sel.MatchLabels {
		src, key := splitSource(k)
		out.MatchLabels[src+":"+key] = v
	}
	for _, e := range sel.MatchExpressions {
		e := *e.DeepCopy()
		src, key := splitSource(e.Key)
		e.Key = src + ":" + key
		out.MatchExpressions = append(out.MatchExpressions, e)
	}
	return out
}

func hasKey(s *metav1.LabelSelector, key string) bool {
	if _, ok := s.MatchLabels[key]; ok {
		return true
	}
	for _, e := range s.MatchExpressions {
		if e.Key == key {
			return true
		}
	}
	return false
}

func hasPrefix(s *metav1.LabelSelector, prefix string) bool {
	for k := range s.MatchLabels {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	for _, e := range s.MatchExpressions {
		if strings.HasPrefix(e.Key, prefix) {
			return true
		}
	}
	return false
}

// ciliumSelects evaluates an endpoint selector on an identity, with Kubernetes selector
// semantics (NotIn and DoesNotExist match a missing label). A selector on the service
// account cannot be evaluated: probes carry none.
func ciliumSelects(sel *metav1.LabelSelector, id identity) match {
	s := normalized(sel)
	if hasKey(s, "k8s:"+ciliumServiceAccount) || hasKey(s, "any:"+ciliumServiceAccount) {
		return unknown("a selector on %s: probes carry no service account", ciliumServiceAccount)
	}
	for k, v := range s.MatchLabels {
		if got, ok := id.get(k); !ok || got != v {
			return no
		}
	}
	for _, e := range s.MatchExpressions {
		v, ok := id.get(e.Key)
		in := false
		for _, x := range e.Values {
			in = in || x == v
		}
		switch e.Operator {
		case metav1.LabelSelectorOpIn:
			if !ok || !in {
				return no
			}
		case metav1.LabelSelectorOpNotIn:
			if ok && in {
				return no
			}
		case metav1.LabelSelectorOpExists:
			if !ok {
				return no
			}
		case metav1.LabelSelectorOpDoesNotExist:
			if ok {
				return no
			}
		default:
			return unknown("selector operator %q", e.Operator)
		}
	}
	return yes
}

// ciliumSubject scopes a CiliumNetworkPolicy's endpointSelector to its namespace
// (ParseToCiliumRule adds the namespace match).
func ciliumSubject(o *engine.Object, namespace string) *metav1.LabelSelector {
	s := normalized(o.Subject.Pods)
	delete(s.MatchLabels, "any:"+ciliumNamespace)
	s.MatchLabels["k8s:"+ciliumNamespace] = namespace
	return s
}
