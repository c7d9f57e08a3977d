// Package verify judges recorded flows (Hubble's JSON, or a small CSV or JSON of this
// tool's) against the rendered policies through trace's evaluator: which of them the
// policies would drop, grouped by workload, peer and port, each with the config that
// would allow it. Replies, flows of pods the stream does not hold and flows dropped
// already are counted apart and never judged. Flows are read line by line and verdicts
// cached per distinct (workload, peer, port, protocol, direction), so memory grows with
// the distinct flows, not the lines.
//
// It may import every stage before it, trace included.
package verify

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
)

// Endpoint is one end of a recorded flow: a pod (namespace and labels, with its
// namespace's labels where the source says), an address, or both; or an entity.
type Endpoint struct {
	Namespace       string
	Labels          map[string]string
	NamespaceLabels map[string]string
	IP              string
	// Entity is a trace entity (host, remote-node, kube-apiserver, world) when the
	// source says the end is one (Hubble's reserved identities).
	Entity string
}

// IsPod says whether the end is a pod.
func (e Endpoint) IsPod() bool { return e.Namespace != "" && e.Entity == "" }

// String names an end: "ns/{k=v}", "ip 10.0.0.1", "entity world".
func (e Endpoint) String() string {
	var parts []string
	if e.IsPod() {
		parts = append(parts, e.Namespace+"/{"+labelString(e.Labels)+"}")
	}
	if e.Entity != "" {
		parts = append(parts, "entity "+e.Entity)
	}
	if e.IP != "" {
		parts = append(parts, "ip "+e.IP)
	}
	if len(parts) == 0 {
		return "unknown"
	}
	return strings.Join(parts, " ")
}

// Flow is one recorded connection (or packet) from Source to Destination.
type Flow struct {
	// Line is the line of the input it was read from.
	Line        int
	Source      Endpoint
	Destination Endpoint
	Port        int
	Protocol    string
	// Reply marks a reply packet (destination port is the client's); Dropped a flow the
	// cluster dropped already.
	Reply   bool
	Dropped bool
}

// volatileLabels are labels controllers put on pods that vary per rollout or replica;
// they are dropped so that a rollout's pods are one group (no policy rule selects them).
var volatileLabels = map[string]bool{
	"pod-template-hash":                  true,
	"controller-revision-hash":           true,
	"statefulset.kubernetes.io/pod-name": true,
	"apps.kubernetes.io/pod-index":       true,
	"pod-template-generation":            true,
}

func dropVolatile(l map[string]string) {
	for k := range l {
		if volatileLabels[k] {
			delete(l, k)
		}
	}
}

func labelString(l map[string]string) string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(l[k])
	}
	return b.String()
}

// checkFlow validates what every format must give.
func checkFlow(f *Flow) error {
	if f.Port < 0 || f.Port > 65535 {
		return fmt.Errorf("port %d: must be 1..65535", f.Port)
	}
	p := strings.ToUpper(f.Protocol)
	switch p {
	case "6":
		p = "TCP"
	case "17":
		p = "UDP"
	case "132":
		p = "SCTP"
	}
	switch p {
	case "TCP", "UDP", "SCTP":
	case "":
		return fmt.Errorf("protocol: missing")
	default:
		return fmt.Errorf("protocol %q: must be one of TCP, UDP, SCTP", f.Protocol)
	}
	f.Protocol = p
	for _, e := range []*Endpoint{&f.Source, &f.Destination} {
		if e.IP != "" {
			a, err := netip.ParseAddr(e.IP)
			if err != nil {
				return fmt.Errorf("address %q: %v", e.IP, err)
			}
			e.IP = a.Unmap().String()
		}
		dropVolatile(e.Labels)
	}
	if f.Port == 0 && !f.Dropped && !f.Reply {
		return fmt.Errorf("port: missing")
	}
	return nil
}
