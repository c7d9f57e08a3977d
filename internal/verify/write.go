package verify

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// WriteText writes a report for people: each group that would be dropped with the config
// that allows it, those not evaluated, a summary, and the flows not judged.
func WriteText(w io.Writer, r *Report) error {
	var b strings.Builder
	arrow := map[string]string{"ingress": "<-", "egress": "->"}
	for _, g := range r.Drops {
		fmt.Fprintf(&b, "WOULD DROP: %s %s %s %s %d/%s (%s, first on line %d)\n", g.Direction, g.Workload, arrow[g.Direction], g.Peer, g.Port, g.Protocol, plural(g.Flows, "flow"), g.Line)
		fmt.Fprintf(&b, "  %s\n", g.Verdict.Reason)
		fmt.Fprintf(&b, "  add to the helm-netpol.io/config of %s:\n", g.Workload)
		for _, l := range strings.Split(g.Config, "\n") {
			fmt.Fprintf(&b, "    %s\n", l)
		}
	}
	for _, g := range r.Undecided {
		fmt.Fprintf(&b, "NOT EVALUATED: %s %s %s %s %d/%s (%s, first on line %d)\n", g.Direction, g.Workload, arrow[g.Direction], g.Peer, g.Port, g.Protocol, plural(g.Flows, "flow"), g.Line)
		fmt.Fprintf(&b, "  %s\n", g.Verdict.Error)
	}
	fmt.Fprintf(&b, "%s: %d allowed, %d would be dropped (%s), %d not evaluated", plural(r.Flows, "flow"), r.Allowed, r.Dropped, plural(len(r.Drops), "group"), r.NotEvaluated)
	reasons := make([]string, 0, len(r.ApartCounts))
	for k := range r.ApartCounts {
		reasons = append(reasons, k)
	}
	sort.Strings(reasons)
	if len(reasons) > 0 {
		var parts []string
		for _, k := range reasons {
			parts = append(parts, fmt.Sprintf("%d %s", r.ApartCounts[k], apartName[k]))
		}
		fmt.Fprintf(&b, "; not judged: %s", strings.Join(parts, ", "))
	}
	b.WriteString("\n")
	for _, a := range r.Apart {
		port := a.Protocol
		if a.Port > 0 {
			port = fmt.Sprintf("%d/%s", a.Port, a.Protocol)
		}
		fmt.Fprintf(&b, "NOT JUDGED (%s): %s -> %s %s (%s, first on line %d)\n", apartName[a.Reason], a.Source, a.Destination, port, plural(a.Flows, "flow"), a.Line)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

var apartName = map[string]string{
	ApartDropped:   "dropped already",
	ApartReply:     "reply",
	ApartUncovered: "no pod of the stream",
	ApartNoPort:    "no port",
}

func plural(n int, what string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", what)
	}
	return fmt.Sprintf("%d %ss", n, what)
}
