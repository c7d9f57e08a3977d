package trace

import (
	"fmt"
	"maps"
	"net/netip"
	"sort"
	"strings"

	"github.com/helm-netpol/helm-netpol/internal/config"
	"github.com/helm-netpol/helm-netpol/internal/engine"
	"github.com/helm-netpol/helm-netpol/internal/manifest"
	"github.com/helm-netpol/helm-netpol/internal/plan"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// CNI is the network plugin that enforces the policies: it decides which dialects count
// and how each is read.
type CNI string

const (
	// Kubernetes is the NetworkPolicy API's own semantics (and ClusterNetworkPolicy's), as a
	// plugin that implements them to the letter would enforce them.
	Kubernetes CNI = "kubernetes"
	// Cilium enforces CiliumNetworkPolicy, NetworkPolicy and ClusterNetworkPolicy through
	// its own identities.
	Cilium CNI = "cilium"
	// Calico enforces its NetworkPolicy, NetworkPolicy (as policies of its default tier)
	// and ClusterNetworkPolicy (as the tiers before and after it).
	Calico CNI = "calico"
)

// CNIs lists the plugins trace models.
var CNIs = []CNI{Kubernetes, Cilium, Calico}

// Workload is a workload of the stream, for probes that name one and for named ports.
type Workload struct {
	Kind, Name, Namespace string
	Labels                map[string]string
	Ports                 []NamedPort
	HostNetwork           bool
}

// Cluster is what probes are evaluated against: the policy objects of a stream read back,
// the plugin that enforces them, and the stream's workloads.
type Cluster struct {
	CNI     CNI
	Objects []*engine.Object
	// Namespace is the namespace of namespaced objects and workloads that carry none (the
	// release namespace); "default" when empty.
	Namespace string
	Workloads []Workload

	selectors map[*metav1.LabelSelector]labels.Selector
}

// CNIOf is the plugin the objects are written for: Cilium when one is a cilium.io object,
// Calico when one is a projectcalico.org object, else Kubernetes. Both: an error.
func CNIOf(objects []*engine.Object) (CNI, error) {
	seen := map[config.Engine]bool{}
	for _, o := range objects {
		seen[o.Dialect] = true
	}
	switch {
	case seen[config.EngineCilium] && seen[config.EngineCalico]:
		return "", fmt.Errorf("the stream holds both Cilium and Calico policies: say which plugin enforces them")
	case seen[config.EngineCilium]:
		return Cilium, nil
	case seen[config.EngineCalico]:
		return Calico, nil
	}
	return Kubernetes, nil
}

// endpoint is a pod: the workload's, or a peer.
type endpoint struct {
	namespace string
	labels    map[string]string
	nsLabels  map[string]string
	ports     []NamedPort // nil: unknown
	addr      netip.Addr  // invalid: not given
}

// peerKind is what a probe's peer is.
type peerKind int

const (
	peerPod peerKind = iota
	peerHost
	peerRemoteNode
	peerAPIServer
	peerWorld
	peerKubeDNS
)

type peer struct {
	kind peerKind
	pod  *endpoint
	addr netip.Addr // invalid: not given
}

// fromLocalNode says the peer is a process of the workload's own node: the host, or
// node-local-dns on it.
func (p *peer) fromLocalNode() bool { return p.kind == peerHost || p.kind == peerKubeDNS }

// match is a tri-state answer: no, yes, or that it cannot be told (why says what).
type match struct {
	yes, unknown bool
	why          string
}

var (
	no  = match{}
	yes = match{yes: true}
)

func unknown(format string, args ...any) match {
	return match{unknown: true, why: fmt.Sprintf(format, args...)}
}

// any is the match of alternatives: yes when one is, else unknown when one is.
func anyOf(ms ...match) match {
	out := no
	for _, m := range ms {
		if m.yes {
			return m
		}
		if m.unknown && !out.unknown {
			out = m
		}
	}
	return out
}

// probe is one evaluation: the probe resolved against the cluster.
type probe struct {
	c        *Cluster
	dir      plan.Direction
	workload *endpoint
	peer     *peer
	port     int32
	protocol string
}

// outcome is what a tier (or the default) says of a probe.
type outcome int

const (
	pass outcome = iota // the tier does not decide: the next one does
	allow
	deny
	undecided // an error: what decides cannot be evaluated
)

type result struct {
	outcome outcome
	reason  string
	object  string
	rule    string
}

// Evaluate answers a probe. An invalid probe, or one naming a workload the stream does not
// hold, is an error.
func (c *Cluster) Evaluate(pr Probe) (Verdict, error) {
	if err := pr.Validate(); err != nil {
		return Verdict{}, err
	}
	p, hostNetwork, err := c.resolve(pr)
	if err != nil {
		return Verdict{}, err
	}
	if hostNetwork {
		return Verdict{Allowed: true, Reason: "the workload's pods use the host network, which no pod policy selects"}, nil
	}
	if err := c.checkObjects(p); err != nil {
		return Verdict{Reason: "not evaluated", Error: err.Error()}, nil
	}
	r := p.evaluate()
	v := Verdict{Allowed: r.outcome == allow, Reason: r.reason, Object: r.object, Rule: r.rule}
	if r.outcome == undecided {
		v.Error = r.reason
		v.Reason = "not evaluated"
	}
	return v, nil
}

// evaluate runs the tiers in order: ClusterNetworkPolicy's Admin tier, the plugin's own
// (NetworkPolicy and the plugin's dialect), ClusterNetworkPolicy's Baseline tier; what
// none decides is allowed (network-policy-api v1alpha2 ClusterNetworkPolicySpec.Tier).
func (p *probe) evaluate() result {
	tiers := []func() result{
		func() result { return p.cnpTier("Admin") },
		p.ownTier,
		func() result { return p.cnpTier("Baseline") },
	}
	var passed []string
	for _, tier := range tiers {
		r := tier()
		if r.outcome != pass {
			if len(passed) > 0 {
				r.reason += " (after: " + strings.Join(passed, "; ") + ")"
			}
			return r
		}
		if r.reason != "" {
			passed = append(passed, r.reason)
		}
	}
	if len(passed) > 0 {
		return result{outcome: allow, reason: "allowed: " + strings.Join(passed, "; ") + ", and no later tier decides"}
	}
	return result{outcome: allow, reason: fmt.Sprintf("no policy selects the pod for %s", p.dir)}
}

// ownTier is the tier of the plugin's own policies and NetworkPolicy.
func (p *probe) ownTier() result {
	switch p.c.CNI {
	case Cilium:
		return p.ciliumTier()
	case Calico:
		return p.calicoTier()
	}
	return p.kubernetesTier()
}

// resolve turns a probe into endpoints.
func (c *Cluster) resolve(pr Probe) (*probe, bool, error) {
	p := &probe{c: c, dir: plan.Direction(pr.Direction), port: int32(pr.Port), protocol: strings.ToUpper(pr.Protocol)}
	w := pr.Workload
	hostNetwork := false
	if w.Kind != "" {
		found := false
		for _, sw := range c.Workloads {
			if strings.EqualFold(sw.Kind, w.Kind) && sw.Name == w.Name && (w.Namespace == "" || c.ns(sw.Namespace) == w.Namespace) {
				if found {
					return nil, false, fmt.Errorf("workload %s/%s: the stream holds it in more than one namespace: give its namespace", w.Kind, w.Name)
				}
				found = true
				w.Namespace, w.Labels, hostNetwork = c.ns(sw.Namespace), sw.Labels, sw.HostNetwork
				if w.Ports == nil {
					w.Ports = sw.Ports
				}
			}
		}
		if !found {
			return nil, false, fmt.Errorf("workload %s/%s: the stream holds no such workload", w.Kind, w.Name)
		}
	}
	if w.Namespace == "" {
		return nil, false, fmt.Errorf("workload: namespace is empty")
	}
	p.workload = c.endpoint(w, true)
	switch {
	case pr.Peer.Pod != nil:
		if pr.Peer.Pod.Namespace == "" {
			return nil, false, fmt.Errorf("peer pod: namespace is empty")
		}
		p.peer = &peer{kind: peerPod, pod: c.endpoint(*pr.Peer.Pod, false)}
	case pr.Peer.Entity == EntityHost:
		p.peer = &peer{kind: peerHost}
	case pr.Peer.Entity == EntityRemoteNode:
		p.peer = &peer{kind: peerRemoteNode}
	case pr.Peer.Entity == EntityKubeAPIServer:
		p.peer = &peer{kind: peerAPIServer}
	case pr.Peer.Entity == EntityKubeDNSService:
		p.peer = &peer{kind: peerKubeDNS}
	default:
		p.peer = &peer{kind: peerWorld}
	}
	if pr.Peer.IP != "" {
		a, _ := netip.ParseAddr(pr.Peer.IP)
		p.peer.addr = a.Unmap()
		if p.peer.pod != nil {
			p.peer.pod.addr = p.peer.addr
		}
	}
	return p, hostNetwork, nil
}

// ns is the namespace of something that carries ns: its own, or the release namespace.
func (c *Cluster) ns(ns string) string {
	switch {
	case ns != "":
		return ns
	case c.Namespace != "":
		return c.Namespace
	}
	return "default"
}

// endpoint makes a pod of the probe's: the namespace's name label added, and the declared
// ports of the stream's workload whose pods these are, when the probe gives none.
func (c *Cluster) endpoint(p Pod, workload bool) *endpoint {
	e := &endpoint{namespace: p.Namespace, labels: p.Labels, nsLabels: maps.Clone(p.NamespaceLabels), ports: p.Ports}
	if e.labels == nil {
		e.labels = map[string]string{}
	}
	if e.nsLabels == nil {
		e.nsLabels = map[string]string{}
	}
	if _, ok := e.nsLabels[manifest.LabelNamespaceName]; !ok {
		e.nsLabels[manifest.LabelNamespaceName] = p.Namespace
	}
	if e.ports == nil {
		for _, w := range c.Workloads {
			if c.ns(w.Namespace) == p.Namespace && len(w.Labels) > 0 && subset(w.Labels, e.labels) {
				e.ports = w.Ports
				break
			}
		}
	}
	_ = workload
	return e
}

func subset(a, b map[string]string) bool {
	for k, v := range a {
		if bv, ok := b[k]; !ok || bv != v {
			return false
		}
	}
	return true
}

// checkObjects refuses a probe when the stream holds a policy kind trace does not
// evaluate that the plugin enforces.
func (c *Cluster) checkObjects(p *probe) error {
	for _, o := range c.Objects {
		if !c.enforces(o) || o.Staged {
			continue
		}
		for _, u := range o.Unsupported {
			if strings.HasPrefix(u, "kind ") {
				return fmt.Errorf("%s: %s is not evaluated by trace", o.ID, u)
			}
		}
	}
	return nil
}

// enforces tells whether the plugin enforces an object's dialect.
func (c *Cluster) enforces(o *engine.Object) bool {
	switch o.Dialect {
	case config.EngineKubernetes, config.EngineClusterNetworkPolicy:
		return true
	case config.EngineCilium:
		return c.CNI == Cilium
	case config.EngineCalico:
		return c.CNI == Calico
	}
	return false
}

// selector converts a label selector once; nil for one that does not convert.
func (c *Cluster) selector(s *metav1.LabelSelector) (labels.Selector, error) {
	if s == nil {
		return labels.Everything(), nil
	}
	if c.selectors == nil {
		c.selectors = map[*metav1.LabelSelector]labels.Selector{}
	}
	if sel, ok := c.selectors[s]; ok {
		return sel, nil
	}
	sel, err := metav1.LabelSelectorAsSelector(s)
	if err != nil {
		return nil, err
	}
	c.selectors[s] = sel
	return sel, nil
}

// selects evaluates a Kubernetes label selector on labels.
func (c *Cluster) selects(s *metav1.LabelSelector, l map[string]string) match {
	sel, err := c.selector(s)
	if err != nil {
		return unknown("selector %v: %v", s, err)
	}
	if sel.Matches(labels.Set(l)) {
		return yes
	}
	return no
}

// selecting returns the objects that selects says select the workload's pod. An object of
// which it cannot tell, or a selecting one with a part trace cannot read, settles the
// probe instead: the match says how.
func (p *probe) selecting(selects func(o *engine.Object) match) ([]*engine.Object, match) {
	var out []*engine.Object
	for _, o := range p.c.Objects {
		m := selects(o)
		if m.unknown {
			return nil, m
		}
		if !m.yes {
			continue
		}
		if len(o.Unsupported) > 0 {
			return nil, objectUnsupported(o)
		}
		out = append(out, o)
	}
	return out, no
}

// rulePorts is where a rule's evaluation starts in every dialect: do its ports take the
// probe's, and can trace read the rest of the rule? open is false when that settles the
// rule, and m says how: it does not match, or it is unsupported. Else m is the ports'
// match, which the rest of the rule is to be taken with.
func (p *probe) rulePorts(o *engine.Object, r *engine.Rule) (m match, open bool) {
	m = p.portMatches(r.Ports)
	switch {
	case !m.yes && !m.unknown:
		return no, false
	case len(r.Unsupported) > 0:
		return unsupported(o, r), false
	}
	return m, true
}

// portMatches tells whether a rule's ports take the probe's port and protocol. A named port
// is resolved on the destination's declared ports: the workload's on ingress, the peer's
// on egress (a peer that is no pod has no named ports).
func (p *probe) portMatches(ports []engine.Port) match {
	if len(ports) == 0 {
		return yes
	}
	dst := p.workload
	if p.dir == plan.Egress {
		dst = p.peer.pod
	}
	out := no
	for _, port := range ports {
		proto := strings.ToUpper(port.Protocol)
		if proto != "" && proto != "ANY" && proto != p.protocol {
			continue
		}
		if port.Name != "" {
			switch {
			case dst == nil:
				continue
			case dst.ports == nil:
				if !out.unknown {
					out = unknown("the rule names port %q, and the declared ports of the %s are not known: give them in the probe", port.Name, map[plan.Direction]string{plan.Ingress: "workload", plan.Egress: "peer pod"}[p.dir])
				}
				continue
			}
			for _, dp := range dst.ports {
				dproto := strings.ToUpper(dp.Protocol)
				if dproto == "" {
					dproto = "TCP"
				}
				if dp.Name == port.Name && dp.Port == p.port && dproto == p.protocol {
					return yes
				}
			}
			continue
		}
		switch {
		case port.Port == 0:
			return yes
		case port.EndPort != 0 && p.port >= port.Port && p.port <= port.EndPort:
			return yes
		case p.port == port.Port:
			return yes
		}
	}
	return out
}

// addrIn tells whether the peer's address is in a CIDR, minus its exceptions. A pod or the
// world without an address is taken to have an IPv4 address in no prefix but 0.0.0.0/0;
// an entity without one cannot be told.
func (p *probe) addrIn(cidr string, except []string) match {
	prefix, err := netip.ParsePrefix(cidr)
	if err != nil {
		return unknown("CIDR %q: %v", cidr, err)
	}
	addr := p.peer.addr
	if !addr.IsValid() {
		if p.peer.kind != peerPod && p.peer.kind != peerWorld {
			return unknown("the peer is matched by address here, and the probe gives the %s no ip", entityName(p.peer.kind))
		}
		// An IPv4 address in no prefix but /0.
		in := func(s string) bool {
			q, err := netip.ParsePrefix(s)
			return err == nil && q.Bits() == 0 && q.Addr().Is4()
		}
		if !in(cidr) {
			return no
		}
		for _, e := range except {
			if in(e) {
				return no
			}
		}
		return yes
	}
	if !prefix.Contains(addr) {
		return no
	}
	for _, e := range except {
		q, err := netip.ParsePrefix(e)
		if err != nil {
			return unknown("except %q: %v", e, err)
		}
		if q.Contains(addr) {
			return no
		}
	}
	return yes
}

func entityName(k peerKind) string {
	return map[peerKind]string{peerPod: "pod", peerHost: EntityHost, peerRemoteNode: EntityRemoteNode, peerAPIServer: EntityKubeAPIServer, peerWorld: EntityWorld, peerKubeDNS: EntityKubeDNSService}[k]
}

// names lists object IDs for a reason.
func names(objects []*engine.Object) string {
	var out []string
	for _, o := range objects {
		out = append(out, o.ID)
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

// unsupported is the match of a rule that says something trace does not evaluate.
func unsupported(o *engine.Object, r *engine.Rule) match {
	return unknown("%s %s says what trace does not evaluate: %s", o.ID, r.Name(), strings.Join(r.Unsupported, "; "))
}

// objectUnsupported is the match of an object with an unsupported part, other than its kind.
func objectUnsupported(o *engine.Object) match {
	return unknown("%s says what trace does not evaluate: %s", o.ID, strings.Join(o.Unsupported, "; "))
}

// ruleResult names the rule that decided.
func ruleResult(out outcome, o *engine.Object, r *engine.Rule, reason string) result {
	return result{outcome: out, reason: reason, object: o.ID, rule: r.Name()}
}

func undecidedResult(m match) result { return result{outcome: undecided, reason: m.why} }
