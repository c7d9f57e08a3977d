package verify

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/helm-netpol/helm-netpol/internal/engine"
	"github.com/helm-netpol/helm-netpol/internal/manifest"
	"github.com/helm-netpol/helm-netpol/internal/trace"
)

// Evaluator answers a probe: trace's Cluster.
type Evaluator interface {
	Evaluate(trace.Probe) (trace.Verdict, error)
}

// The reasons a flow is not judged.
const (
	ApartReply     = "reply"     // a reply packet: its destination port is the client's
	ApartUncovered = "uncovered" // neither end is a pod of a workload of the stream
	ApartDropped   = "dropped"   // the cluster dropped it already
	ApartNoPort    = "no-port"   // no TCP, UDP or SCTP port (ICMP ...)
)

// Group is the flows of one workload, direction, peer and port: its verdict, and for a
// drop the config that would allow it.
type Group struct {
	Direction string `json:"direction"`
	// Workload is the stream's workload whose pods the flows are ("Deployment shop/web").
	Workload string        `json:"workload"`
	Peer     string        `json:"peer"`
	Port     int           `json:"port"`
	Protocol string        `json:"protocol"`
	Flows    int           `json:"flows"`
	Line     int           `json:"firstLine"`
	Verdict  trace.Verdict `json:"verdict"`
	// Config is the YAML to add to the workload's helm-netpol.io/config.
	Config string `json:"config,omitempty"`

	peer Endpoint
	role string
}

// Apart is the flows set aside for one reason, between two ends on a port.
type Apart struct {
	Reason      string `json:"reason"`
	Source      string `json:"source"`
	Destination string `json:"destination"`
	Port        int    `json:"port,omitempty"`
	Protocol    string `json:"protocol"`
	Flows       int    `json:"flows"`
	Line        int    `json:"firstLine"`
}

// Report is what verify found.
type Report struct {
	Format string `json:"format"`
	// Flows is every flow read; Allowed, Dropped (would be dropped) and NotEvaluated
	// those judged, the Apart counts the others.
	Flows        int            `json:"flows"`
	Allowed      int            `json:"allowed"`
	Dropped      int            `json:"wouldDrop"`
	NotEvaluated int            `json:"notEvaluated"`
	ApartCounts  map[string]int `json:"notJudged"`
	Drops        []*Group       `json:"drops"`
	Undecided    []*Group       `json:"notEvaluatedGroups"`
	Apart        []*Apart       `json:"notJudgedGroups"`
}

// Verifier judges flows against a cluster's policies.
type Verifier struct {
	Eval      Evaluator
	Workloads []trace.Workload
	// Namespace is the namespace of workloads that carry none; "default" when empty.
	Namespace string
	// Objects are the policies read back; a drop on a port that a role's narrowed rule
	// of the workload's own policy opens is answered with the role's from knob.
	Objects []*engine.Object

	cache  map[string]trace.Verdict
	groups map[string]*Group
	apart  map[string]*Apart
	report Report
}

// Run reads every flow of r and judges it. A flow that cannot be read is a *LineError;
// a probe trace refuses is an error naming the line.
func (v *Verifier) Run(r *Reader) (*Report, error) {
	v.cache, v.groups, v.apart = map[string]trace.Verdict{}, map[string]*Group{}, map[string]*Apart{}
	v.report = Report{Format: r.Format(), ApartCounts: map[string]int{}}
	for {
		f, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if err := v.Add(f); err != nil {
			return nil, &LineError{Line: f.Line, Err: err}
		}
	}
	return v.Report(), nil
}

// Add judges one flow.
func (v *Verifier) Add(f Flow) error {
	if v.cache == nil {
		v.cache, v.groups, v.apart = map[string]trace.Verdict{}, map[string]*Group{}, map[string]*Apart{}
		v.report.ApartCounts = map[string]int{}
	}
	v.report.Flows++
	switch {
	case f.Dropped:
		v.setApart(ApartDropped, f)
		return nil
	case f.Reply:
		v.setApart(ApartReply, f)
		return nil
	case f.Protocol == "OTHER":
		v.setApart(ApartNoPort, f)
		return nil
	}
	src, dst := v.workloadOf(f.Source), v.workloadOf(f.Destination)
	if src == nil && dst == nil {
		v.setApart(ApartUncovered, f)
		return nil
	}
	// Both ends are judged where both are pods of the stream: the source's egress and the
	// destination's ingress must each allow the flow.
	var worst *Group
	var worstVerdict trace.Verdict
	for _, side := range []struct {
		dir  string
		w    *trace.Workload
		pod  Endpoint
		peer Endpoint
	}{{"egress", src, f.Source, f.Destination}, {"ingress", dst, f.Destination, f.Source}} {
		if side.w == nil {
			continue
		}
		verdict, err := v.evaluate(side.dir, side.pod, side.peer, f.Port, f.Protocol)
		if err != nil {
			return err
		}
		if verdict.Allowed {
			continue
		}
		g := v.group(side.dir, side.w, side.peer, f, verdict)
		g.Flows++
		if worst == nil || worstVerdict.Error != "" && verdict.Error == "" {
			worst, worstVerdict = g, verdict
		}
	}
	switch {
	case worst == nil:
		v.report.Allowed++
	case worstVerdict.Error != "":
		v.report.NotEvaluated++
	default:
		v.report.Dropped++
	}
	return nil
}

// workloadOf is the stream's workload whose pods the end is, or nil.
func (v *Verifier) workloadOf(e Endpoint) *trace.Workload {
	if !e.IsPod() {
		return nil
	}
	for i := range v.Workloads {
		w := &v.Workloads[i]
		if v.ns(w.Namespace) == e.Namespace && len(w.Labels) > 0 && subset(w.Labels, e.Labels) {
			return w
		}
	}
	return nil
}

func (v *Verifier) ns(ns string) string {
	switch {
	case ns != "":
		return ns
	case v.Namespace != "":
		return v.Namespace
	}
	return "default"
}

func subset(a, b map[string]string) bool {
	for k, val := range a {
		if bv, ok := b[k]; !ok || bv != val {
			return false
		}
	}
	return true
}

// evaluate asks trace, once per distinct question.
func (v *Verifier) evaluate(dir string, pod, peer Endpoint, port int, protocol string) (trace.Verdict, error) {
	var b strings.Builder
	b.WriteString(dir)
	b.WriteByte('|')
	writeEnd(&b, pod, false)
	b.WriteByte('|')
	writeEnd(&b, peer, true)
	b.WriteByte('|')
	b.WriteString(strconv.Itoa(port))
	b.WriteString(protocol)
	key := b.String()
	if verdict, ok := v.cache[key]; ok {
		return verdict, nil
	}
	p := trace.Probe{
		Direction: dir,
		Workload:  trace.Pod{Namespace: pod.Namespace, Labels: pod.Labels, NamespaceLabels: pod.NamespaceLabels},
		Peer:      probePeer(peer),
		Port:      port,
		Protocol:  protocol,
	}
	verdict, err := v.Eval.Evaluate(p)
	if err != nil {
		return trace.Verdict{}, fmt.Errorf("%s: %v", p, err)
	}
	v.cache[key] = verdict
	return verdict, nil
}

func writeEnd(b *strings.Builder, e Endpoint, withIP bool) {
	b.WriteString(e.Namespace)
	b.WriteByte('{')
	b.WriteString(labelString(e.Labels))
	b.WriteString("}{")
	b.WriteString(labelString(e.NamespaceLabels))
	b.WriteByte('}')
	b.WriteString(e.Entity)
	if withIP {
		b.WriteByte('@')
		b.WriteString(e.IP)
	}
}

// probePeer is trace's peer for an end: a pod (with its address), an entity (with its
// address), or an address, which is the world's.
func probePeer(e Endpoint) trace.Peer {
	switch {
	case e.IsPod():
		return trace.Peer{Pod: &trace.Pod{Namespace: e.Namespace, Labels: e.Labels, NamespaceLabels: e.NamespaceLabels}, IP: e.IP}
	case e.Entity != "":
		return trace.Peer{Entity: e.Entity, IP: e.IP}
	case e.IP != "":
		return trace.Peer{IP: e.IP}
	}
	return trace.Peer{Entity: trace.EntityWorld}
}

// groupPeer is the peer as a group names it: a pod without its address (the replicas of
// a workload are one peer), anything else with it.
func groupPeer(e Endpoint) Endpoint {
	if e.IsPod() {
		e.IP = ""
	}
	return e
}

func (v *Verifier) group(dir string, w *trace.Workload, peer Endpoint, f Flow, verdict trace.Verdict) *Group {
	peer = groupPeer(peer)
	name := w.Kind + " " + v.ns(w.Namespace) + "/" + w.Name
	key := dir + "|" + name + "|" + peer.String() + "|" + strconv.Itoa(f.Port) + f.Protocol
	if g, ok := v.groups[key]; ok {
		if g.Verdict.Error != "" && verdict.Error == "" {
			g.Verdict = verdict
		}
		return g
	}
	g := &Group{Direction: dir, Workload: name, Peer: peer.String(), Port: f.Port, Protocol: f.Protocol, Line: f.Line, Verdict: verdict, peer: peer}
	if dir == "ingress" {
		g.role = v.roleOf(w, f.Port, f.Protocol)
	}
	v.groups[key] = g
	return g
}

func (v *Verifier) setApart(reason string, f Flow) {
	v.report.ApartCounts[reason]++
	src, dst := groupPeer(f.Source), groupPeer(f.Destination)
	key := reason + "|" + src.String() + "|" + dst.String() + "|" + strconv.Itoa(f.Port) + f.Protocol
	if reason == ApartReply {
		// A reply's destination port is the client's ephemeral port: one group per pair.
		key = reason + "|" + src.String() + "|" + dst.String() + "|" + f.Protocol
	}
	a, ok := v.apart[key]
	if !ok {
		a = &Apart{Reason: reason, Source: src.String(), Destination: dst.String(), Port: f.Port, Protocol: f.Protocol, Line: f.Line}
		if reason == ApartReply || reason == ApartNoPort {
			a.Port = 0
		}
		v.apart[key] = a
	}
	a.Flows++
}

// Report is what was found so far, groups in order (workload, direction, peer, port).
func (v *Verifier) Report() *Report {
	r := v.report
	r.Drops, r.Undecided, r.Apart = nil, nil, nil
	for _, g := range v.groups {
		if g.Verdict.Error != "" {
			r.Undecided = append(r.Undecided, g)
			continue
		}
		if g.Config == "" {
			g.Config = Suggest(g.Direction, g.peer, g.Port, g.Protocol, g.role)
		}
		r.Drops = append(r.Drops, g)
	}
	for _, gs := range [][]*Group{r.Drops, r.Undecided} {
		sort.Slice(gs, func(i, j int) bool {
			a, b := gs[i], gs[j]
			if a.Workload != b.Workload {
				return a.Workload < b.Workload
			}
			if a.Direction != b.Direction {
				return a.Direction > b.Direction // ingress first
			}
			if a.Peer != b.Peer {
				return a.Peer < b.Peer
			}
			if a.Port != b.Port {
				return a.Port < b.Port
			}
			return a.Protocol < b.Protocol
		})
	}
	for _, a := range v.apart {
		r.Apart = append(r.Apart, a)
	}
	sort.Slice(r.Apart, func(i, j int) bool {
		a, b := r.Apart[i], r.Apart[j]
		if a.Reason != b.Reason {
			return a.Reason < b.Reason
		}
		if a.Source != b.Source {
			return a.Source < b.Source
		}
		if a.Destination != b.Destination {
			return a.Destination < b.Destination
		}
		if a.Port != b.Port {
			return a.Port < b.Port
		}
		return a.Protocol < b.Protocol
	})
	if r.Drops == nil {
		r.Drops = []*Group{}
	}
	return &r
}

// roles are the knobs whose narrowed ingress rule carries the origin networkPolicy.<role>.from.
var roles = []string{"webhook", "metrics", "gate", "otherPorts"}

// roleOf is the role whose narrowed rule, in the policy generated for w, opens the port.
func (v *Verifier) roleOf(w *trace.Workload, port int, protocol string) string {
	for _, o := range v.Objects {
		m, ok := manifest.ParseMarker(o.GeneratedFor)
		if !ok || m.Kind != w.Kind || m.Name != w.Name || m.Namespace != "" && v.ns(m.Namespace) != v.ns(w.Namespace) ||
			!o.ClusterScoped && v.ns(o.Namespace) != v.ns(w.Namespace) {
			continue
		}
		for _, r := range o.Ingress {
			for _, role := range roles {
				if r.Origin == "networkPolicy."+role+".from" && portIn(r.Ports, w, port, protocol) {
					return role
				}
			}
		}
	}
	return ""
}

func portIn(ports []engine.Port, w *trace.Workload, port int, protocol string) bool {
	for _, p := range ports {
		proto := p.Protocol
		if proto == "" {
			proto = "TCP"
		}
		if !strings.EqualFold(proto, protocol) {
			continue
		}
		n := int(p.Port)
		if p.Name != "" {
			for _, wp := range w.Ports {
				if wp.Name == p.Name {
					n = int(wp.Port)
				}
			}
		}
		if n == port || p.EndPort > 0 && n <= port && port <= int(p.EndPort) {
			return true
		}
	}
	return false
}
