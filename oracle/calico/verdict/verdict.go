// Package verdict judges connections against Calico policies: is a
// connection to or from a workload's pod allowed? Selectors are evaluated by
// Calico's own parser; tier, order and action semantics are our reading of
// Calico's reference docs (see README.md beside this module's go.mod).
package verdict

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/helm-netpol/helm-netpol/oracle/probe"
)

// Options describe the cluster around the probes.
type Options struct {
	// APIServerPorts are the ports (TCP) of the default/kubernetes Service's
	// endpoints, which a rule's `services: {name: kubernetes, namespace:
	// default}` matches: 443 and 6443 when empty (the apiserver's secure
	// port is 6443 on kubeadm clusters, 443 on many managed ones).
	APIServerPorts []int
	// APIServerIPs are the endpoints' addresses; the kube-apiserver entity
	// is always one of them.
	APIServerIPs []string
}

func (o Options) apiServerPorts() []int {
	if len(o.APIServerPorts) == 0 {
		return []int{443, 6443}
	}
	return o.APIServerPorts
}

// Model is a set of policies, parsed once, to judge probes against.
type Model struct {
	opts     Options
	policies []*policy // enforced ones, in felix's order
	staged   []*policy
}

// New parses documents (YAML or JSON, one object each): projectcalico.org/v3
// NetworkPolicy, GlobalNetworkPolicy and the staged kinds (never enforced),
// and networking.k8s.io/v1 NetworkPolicy as Calico enforces it. Other kinds
// are ignored. A field or a feature the oracle does not model refuses the
// document.
func New(docs [][]byte, opts Options) (*Model, error) {
	m := &Model{opts: opts}
	for i, doc := range docs {
		p, err := parseDocument(doc)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", i, err)
		}
		switch {
		case p == nil:
		case p.staged:
			m.staged = append(m.staged, p)
		default:
			m.policies = append(m.policies, p)
		}
	}
	// One tier (default): policies by order, a policy without order last,
	// equal orders by name (felix/calc/policy_sorter.go, PolKVLess).
	slices.SortStableFunc(m.policies, func(a, b *policy) int {
		switch {
		case a.order == nil && b.order == nil, a.order != nil && b.order != nil && *a.order == *b.order:
			return strings.Compare(a.key, b.key)
		case a.order == nil:
			return 1
		case b.order == nil:
			return -1
		case *a.order < *b.order:
			return -1
		}
		return 1
	})
	return m, nil
}

// Verdicts judges each probe.
func (m *Model) Verdicts(probes []Probe) ([]Verdict, error) {
	out := make([]Verdict, len(probes))
	for i, p := range probes {
		r, err := m.judge(p)
		if err != nil {
			return nil, fmt.Errorf("probe %d (%s): %w", i, p, err)
		}
		out[i] = r.Verdict
	}
	return out, nil
}

// result is a verdict with what decided it, for tests.
type result struct {
	Verdict
	selecting []*policy // the enforced policies selecting the workload in the probe's direction
	rule      *rule     // the rule that decided, if one did
	passed    bool      // a Pass rule sent the connection past the tier
}

// endpoint is one end of a connection as felix sees it.
type endpoint struct {
	pod       *Pod // nil: an address without a workload endpoint
	labels    endpointLabels
	addr      netip.Addr // invalid: not known
	apiserver bool
}

func (m *Model) workloadEndpoint(p Pod) endpoint {
	e := endpoint{pod: &p, labels: podLabels(p)}
	if p.IP != "" {
		e.addr = netip.MustParseAddr(p.IP)
	}
	return e
}

func (m *Model) peerEndpoint(p Peer) endpoint {
	var e endpoint
	if p.Pod != nil {
		e = m.workloadEndpoint(*p.Pod)
	}
	if p.IP != "" {
		e.addr = netip.MustParseAddr(p.IP)
	}
	if p.Entity == EntityKubeAPIServer {
		e.apiserver = true
	}
	if e.addr.IsValid() && p.Pod == nil {
		for _, ip := range m.opts.APIServerIPs {
			if a, err := netip.ParseAddr(ip); err == nil && a == e.addr {
				e.apiserver = true
			}
		}
	}
	return e
}

// judge follows a connection through the policies, as the Calico reference
// describes evaluation (Tier, "How policy is evaluated"): the policies that
// select the workload's endpoint and govern the direction (types), in order;
// within each, its rules in order; the first Allow or Deny decides, Log goes
// on, Pass leaves the tier. A tier that selected the endpoint but decided
// nothing drops the connection (its default action, Deny for the default
// tier). Past every tier, or when no policy selects the endpoint, the
// namespace's profile (kns.<namespace>, which allows everything) decides.
func (m *Model) judge(p Probe) (result, error) {
	if err := p.Validate(); err != nil {
		return result{}, err
	}
	w := m.workloadEndpoint(p.Workload)
	peer := m.peerEndpoint(p.Peer)
	src, dst := peer, w
	if p.Direction == Egress {
		src, dst = w, peer
	}
	var res result
	for _, pol := range m.policies {
		if pol.governs(p.Direction) && pol.selector.EvaluateLabels(w.labels) {
			res.selecting = append(res.selecting, pol)
		}
	}
	if len(res.selecting) == 0 {
		res.Allowed = true
		res.Reason = fmt.Sprintf("no policy selects the workload for %s: the namespace profile kns.%s allows", p.Direction, p.Workload.Namespace)
		return res, nil
	}
	proto := probe.Protocols[p.Protocol]
	// The connection's IP version: the peer's address's (the workload may
	// be dual-stack), else the workload's.
	version := 0
	for _, a := range []netip.Addr{peer.addr, w.addr} {
		if a.IsValid() && version == 0 {
			version = 4
			if a.Is6() && !a.Is4In6() {
				version = 6
			}
		}
	}
tier:
	for _, pol := range res.selecting {
		for i := range pol.rules[p.Direction] {
			r := &pol.rules[p.Direction][i]
			ok, err := m.matches(r, src, dst, p.Port, proto, version)
			if err != nil {
				return res, fmt.Errorf("%s: %w", r, err)
			}
			if !ok {
				continue
			}
			switch r.action {
			case "Allow":
				res.Allowed, res.rule = true, r
				res.Reason = "allowed by " + r.String()
				return res, nil
			case "Deny":
				res.rule = r
				res.Reason = "denied by " + r.String()
				return res, nil
			case "Pass":
				res.rule, res.passed = r, true
				break tier
			}
		}
	}
	if res.passed {
		res.Allowed = true
		res.Reason = fmt.Sprintf("passed by %s past the default tier, the last: the namespace profile kns.%s allows", res.rule, p.Workload.Namespace)
		return res, nil
	}
	names := make([]string, len(res.selecting))
	for i, pol := range res.selecting {
		names[i] = pol.String()
	}
	res.Reason = fmt.Sprintf("denied at the end of the default tier: no rule matched in %s", strings.Join(names, ", "))
	return res, nil
}

// matches says whether a rule matches the connection src -> dst on port
// and IP protocol proto, over IP version (4, 6, or 0 when no address is
// known) (felix ANDs every field a rule sets).
func (m *Model) matches(r *rule, src, dst endpoint, port, proto, version int) (bool, error) {
	if r.protocol != 0 && r.protocol != proto {
		return false, nil
	}
	if r.notProtocol != 0 && r.notProtocol == proto {
		return false, nil
	}
	if r.ipVersion != 0 {
		if version == 0 {
			return false, fmt.Errorf("ipVersion needs an address of the connection")
		}
		if version != r.ipVersion {
			return false, nil
		}
	}
	for _, side := range []struct {
		name string
		e    entityMatch
		ep   endpoint
	}{{"source", r.src, src}, {"destination", r.dst, dst}} {
		ok, err := m.entityMatches(side.e, side.ep, side.name == "destination", port, proto)
		if err != nil {
			return false, fmt.Errorf("%s: %w", side.name, err)
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}

func (m *Model) entityMatches(e entityMatch, ep endpoint, isDst bool, port, proto int) (bool, error) {
	if len(e.nets) > 0 || len(e.notNets) > 0 {
		if !ep.addr.IsValid() {
			return false, fmt.Errorf("nets need the address of %s", describe(ep))
		}
		if len(e.nets) > 0 && !slices.ContainsFunc(e.nets, func(n netip.Prefix) bool { return n.Contains(ep.addr) }) {
			return false, nil
		}
		if slices.ContainsFunc(e.notNets, func(n netip.Prefix) bool { return n.Contains(ep.addr) }) {
			return false, nil
		}
	}
	// A selector matches workload endpoints only: an address without one
	// is in none of the IP sets felix builds from selectors.
	if e.selector != nil && (ep.pod == nil || !e.selector.EvaluateLabels(ep.labels)) {
		return false, nil
	}
	if e.notSelector != nil && ep.pod != nil && e.notSelector.EvaluateLabels(ep.labels) {
		return false, nil
	}
	if e.service != nil {
		// The Service's endpoints (felix/serviceindex: address, protocol and
		// port from its EndpointSlices; a source match uses addresses only).
		if !ep.apiserver {
			return false, nil
		}
		if isDst && (proto != 6 || !slices.Contains(m.opts.apiServerPorts(), port)) {
			return false, nil
		}
	}
	if isDst {
		if len(e.ports) > 0 && !slices.ContainsFunc(e.ports, func(pm portMatch) bool { return portMatches(pm, ep, port, proto) }) {
			return false, nil
		}
		if slices.ContainsFunc(e.notPorts, func(pm portMatch) bool { return portMatches(pm, ep, port, proto) }) {
			return false, nil
		}
	}
	return true, nil
}

// portMatches says whether a destination port matches: a number or a range,
// or a name that the destination endpoint gives that port on that protocol
// (felix's named-port IP sets hold address, protocol and port).
func portMatches(pm portMatch, ep endpoint, port, proto int) bool {
	if pm.name == "" {
		return pm.min <= port && port <= pm.max
	}
	if ep.pod == nil {
		return false
	}
	for _, np := range ep.pod.Ports {
		p := np.Protocol
		if p == "" {
			p = "TCP"
		}
		if np.Name == pm.name && int(np.Port) == port && probe.Protocols[p] == proto {
			return true
		}
	}
	return false
}

func describe(ep endpoint) string {
	if ep.pod != nil {
		return "pod " + ep.pod.String()
	}
	return "the peer"
}

// Verdicts parses documents and judges probes in one call.
func Verdicts(docs [][]byte, probes []Probe, opts Options) ([]Verdict, error) {
	m, err := New(docs, opts)
	if err != nil {
		return nil, err
	}
	return m.Verdicts(probes)
}
