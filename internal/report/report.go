package report

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/helm-netpol/helm-netpol/internal/config"
	"github.com/helm-netpol/helm-netpol/internal/discover"
	"github.com/helm-netpol/helm-netpol/internal/findings"
	"github.com/helm-netpol/helm-netpol/internal/manifest"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Traffic is one opening (or closing) a rendered rule makes.
type Traffic struct {
	Direction string   `json:"direction"` // ingress or egress
	Action    string   `json:"action"`    // allow, deny or pass
	Ports     []string `json:"ports"`     // "9443/TCP (webhook)"; empty: every port
	Peers     []string `json:"peers"`     // who; empty: nobody (isolation only)
	Object    string   `json:"object"`    // the policy that says it
	Rule      string   `json:"rule"`      // the rule's place in it, and the config key behind it
}

// WorkloadReport is the traffic matrix of one workload.
type WorkloadReport struct {
	Workload string    `json:"workload"`
	Covered  bool      `json:"covered"`
	Traffic  []Traffic `json:"traffic"`
	// DeniedBy names the default-denies that select the workload's pods.
	DeniedBy []string `json:"deniedBy,omitempty"`
	// Config says where each key of the effective config came from.
	Config []ConfigKey `json:"config,omitempty"`
}

// ConfigKey is one key of an effective config and the layer that set it.
type ConfigKey struct {
	Key    string `json:"key"`
	Source string `json:"source"`
}

// Report is what helm-netpol report prints.
type Report struct {
	Workloads []WorkloadReport   `json:"workloads"`
	Denies    []Traffic          `json:"defaultDenies"`
	Findings  []findings.Finding `json:"findings"`
}

// nameNumberedPorts adds the pods' port names to port numbers: "9443/TCP (webhook)".
func NameNumberedPorts(ts []Traffic, w *discover.Workload) []Traffic {
	for i := range ts {
		if ts[i].Direction != "ingress" {
			continue
		}
		for j, p := range ts[i].Ports {
			num, proto, _ := strings.Cut(p, "/")
			n, err := strconv.Atoi(num)
			if err != nil {
				continue
			}
			for _, cp := range w.Ports {
				if int(cp.Port) == n && string(cp.Protocol) == proto && cp.Name != "" {
					ts[i].Ports[j] = p + " (" + cp.Name + ")"
				}
			}
		}
	}
	return ts
}

// readTraffic reads the rules of a rendered policy in its own dialect.
func ReadTraffic(n *yaml.RNode) ([]Traffic, error) {
	o := manifest.NewObject(n)
	var obj map[string]any
	raw, err := n.MarshalJSON()
	if err == nil {
		err = json.Unmarshal(raw, &obj)
	}
	if err != nil {
		return nil, fmt.Errorf("helm-netpol: %s: read back: %v", o.ID(), err)
	}
	spec, _ := obj["spec"].(map[string]any)
	origins := readRuleOrigins(n)
	var out []Traffic
	add := func(dir string, i int, t Traffic) {
		t.Direction, t.Object = dir, o.ID()
		t.Rule = fmt.Sprintf("%s[%d]", dir, i)
		if origin := origins[t.Rule]; origin != "" {
			t.Rule += " " + origin
		}
		out = append(out, t)
	}
	switch o.Group() {
	case "networking.k8s.io":
		for _, dir := range []string{"ingress", "egress"} {
			peersKey := map[string]string{"ingress": "from", "egress": "to"}[dir]
			for i, r := range maps(spec[dir]) {
				add(dir, i, Traffic{Action: "allow", Ports: readK8sPorts(r["ports"]), Peers: readK8sPeers(r[peersKey])})
			}
		}
	case "cilium.io":
		for _, dir := range []string{"ingress", "egress", "ingressDeny", "egressDeny"} {
			action, d := "allow", dir
			if strings.HasSuffix(dir, "Deny") {
				action, d = "deny", strings.TrimSuffix(dir, "Deny")
			}
			for i, r := range maps(spec[dir]) {
				add(d, i, Traffic{Action: action, Ports: readCiliumPorts(r["toPorts"]), Peers: readCiliumPeers(r, d)})
			}
		}
	case "projectcalico.org":
		for _, dir := range []string{"ingress", "egress"} {
			for i, r := range maps(spec[dir]) {
				src, _ := r["source"].(map[string]any)
				dst, _ := r["destination"].(map[string]any)
				peer := src
				if dir == "egress" {
					peer = dst
				}
				t := Traffic{Action: strings.ToLower(str(r["action"])), Ports: readCalicoPorts(r["protocol"], dst), Peers: readCalicoPeers(peer)}
				if md, ok := r["metadata"].(map[string]any); ok {
					ann, _ := md["annotations"].(map[string]any)
					origins[fmt.Sprintf("%s[%d]", dir, i)] = str(ann[manifest.AnnotationOrigin])
				}
				add(dir, i, t)
			}
		}
	case "policy.networking.k8s.io":
		for _, dir := range []string{"ingress", "egress"} {
			peersKey := map[string]string{"ingress": "from", "egress": "to"}[dir]
			for i, r := range maps(spec[dir]) {
				origins[fmt.Sprintf("%s[%d]", dir, i)] = str(r["name"])
				add(dir, i, Traffic{Action: strings.ToLower(str(r["action"])), Ports: readCNPPorts(r["protocols"]), Peers: readCNPPeers(r[peersKey])})
			}
		}
	default:
		return nil, fmt.Errorf("helm-netpol: %s: no reader for this dialect", o.ID())
	}
	return out, nil
}

func readRuleOrigins(n *yaml.RNode) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(n.GetAnnotations()[manifest.AnnotationRuleOrigins], "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok {
			out[k] = v
		}
	}
	return out
}

func maps(v any) []map[string]any {
	list, _ := v.([]any)
	out := make([]map[string]any, 0, len(list))
	for _, e := range list {
		m, _ := e.(map[string]any)
		if m == nil {
			m = map[string]any{}
		}
		out = append(out, m)
	}
	return out
}

func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// selector describes a label selector: "app=web", "every" when empty.
func selector(v any) string {
	m, _ := v.(map[string]any)
	var parts []string
	labels, _ := m["matchLabels"].(map[string]any)
	for _, k := range config.SortedKeys(labels) {
		parts = append(parts, k+"="+str(labels[k]))
	}
	for _, e := range maps(m["matchExpressions"]) {
		var vals []string
		for _, v := range anyList(e["values"]) {
			vals = append(vals, str(v))
		}
		parts = append(parts, fmt.Sprintf("%s %s (%s)", str(e["key"]), str(e["operator"]), strings.Join(vals, ",")))
	}
	if len(parts) == 0 {
		return "every"
	}
	return strings.Join(parts, ", ")
}

func anyList(v any) []any { l, _ := v.([]any); return l }

func protoOr(v any, def string) string {
	if s := str(v); s != "" {
		return s
	}
	return def
}

func readK8sPorts(v any) []string {
	var out []string
	for _, p := range maps(v) {
		port := str(p["port"])
		if port == "" {
			port = "every port"
		}
		if end := str(p["endPort"]); end != "" {
			port += "-" + end
		}
		out = append(out, port+"/"+protoOr(p["protocol"], "TCP"))
	}
	return out
}

func readK8sPeers(v any) []string {
	list := maps(v)
	if len(list) == 0 {
		return []string{"anywhere"}
	}
	var out []string
	for _, p := range list {
		switch {
		case p["ipBlock"] != nil:
			b, _ := p["ipBlock"].(map[string]any)
			s := str(b["cidr"])
			if ex := anyList(b["except"]); len(ex) > 0 {
				s += " except " + str(ex)
			}
			out = append(out, s)
		case p["namespaceSelector"] != nil && p["podSelector"] != nil:
			out = append(out, fmt.Sprintf("pods %s in namespaces %s", selector(p["podSelector"]), selector(p["namespaceSelector"])))
		case p["namespaceSelector"] != nil:
			out = append(out, "namespaces "+selector(p["namespaceSelector"]))
		default:
			out = append(out, "pods "+selector(p["podSelector"])+" in the own namespace")
		}
	}
	return out
}

func readCiliumPorts(v any) []string {
	var out []string
	for _, tp := range maps(v) {
		for _, p := range maps(tp["ports"]) {
			s := str(p["port"])
			if end := str(p["endPort"]); end != "" {
				s += "-" + end
			}
			s += "/" + protoOr(p["protocol"], "ANY")
			if tp["rules"] != nil {
				s += " (L7 " + str(tp["rules"]) + ")"
			}
			out = append(out, s)
		}
	}
	return out
}

func readCiliumPeers(r map[string]any, dir string) []string {
	prefix := map[string]string{"ingress": "from", "egress": "to"}[dir]
	var out []string
	for _, e := range anyList(r[prefix+"Entities"]) {
		out = append(out, "entity "+str(e))
	}
	for _, s := range maps(r[prefix+"Endpoints"]) {
		out = append(out, "endpoints "+selector(s))
	}
	for _, c := range anyList(r[prefix+"CIDR"]) {
		out = append(out, str(c))
	}
	for _, c := range maps(r[prefix+"CIDRSet"]) {
		s := str(c["cidr"])
		if ex := anyList(c["except"]); len(ex) > 0 {
			s += " except " + str(ex)
		}
		out = append(out, s)
	}
	for _, f := range maps(r["toFQDNs"]) {
		out = append(out, "fqdn "+str(f["matchName"])+str(f["matchPattern"]))
	}
	for _, s := range maps(r["toServices"]) {
		out = append(out, "service "+str(s))
	}
	return out
}

func readCalicoPorts(proto any, dst map[string]any) []string {
	ports := anyList(dst["ports"])
	p := protoOr(proto, "any protocol")
	if len(ports) == 0 {
		if proto == nil {
			return nil
		}
		return []string{"every port/" + p}
	}
	var out []string
	for _, port := range ports {
		out = append(out, str(port)+"/"+p)
	}
	return out
}

func readCalicoPeers(m map[string]any) []string {
	var out []string
	if s := str(m["selector"]); s != "" {
		out = append(out, "selector "+s)
	}
	if s := str(m["namespaceSelector"]); s != "" {
		out = append(out, "namespaces "+s)
	}
	for _, n := range anyList(m["nets"]) {
		out = append(out, str(n))
	}
	if svc, ok := m["services"].(map[string]any); ok {
		out = append(out, fmt.Sprintf("service %s/%s", str(svc["namespace"]), str(svc["name"])))
	}
	if len(out) == 0 {
		return []string{"anywhere"}
	}
	return out
}

func readCNPPorts(v any) []string {
	var out []string
	for _, p := range maps(v) {
		for _, proto := range []string{"tcp", "udp", "sctp"} {
			m, ok := p[proto].(map[string]any)
			if !ok {
				continue
			}
			name := strings.ToUpper(proto)
			switch {
			case m["destinationPort"] != nil:
				dp, _ := m["destinationPort"].(map[string]any)
				out = append(out, str(dp["number"])+"/"+name)
			case m["destinationPortRange"] != nil:
				pr, _ := m["destinationPortRange"].(map[string]any)
				out = append(out, str(pr["start"])+"-"+str(pr["end"])+"/"+name)
			default:
				out = append(out, "every port/"+name)
			}
		}
		if n := str(p["destinationNamedPort"]); n != "" {
			out = append(out, n)
		}
	}
	return out
}

func readCNPPeers(v any) []string {
	var out []string
	for _, p := range maps(v) {
		switch {
		case p["namespaces"] != nil:
			out = append(out, "namespaces "+selector(p["namespaces"]))
		case p["pods"] != nil:
			pods, _ := p["pods"].(map[string]any)
			out = append(out, fmt.Sprintf("pods %s in namespaces %s", selector(pods["podSelector"]), selector(pods["namespaceSelector"])))
		case p["networks"] != nil:
			for _, n := range anyList(p["networks"]) {
				out = append(out, str(n))
			}
		default:
			out = append(out, str(p))
		}
	}
	return out
}

// Markdown renders the report as Markdown tables.
func (r *Report) Markdown() string {
	var b strings.Builder
	b.WriteString("# Traffic allowed by the rendered policies\n")
	table := func(ts []Traffic) {
		b.WriteString("| direction | action | port | peers | object | rule |\n|---|---|---|---|---|---|\n")
		for _, t := range ts {
			ports := strings.Join(t.Ports, ", ")
			if ports == "" {
				ports = "every port"
			}
			peers := strings.Join(t.Peers, "; ")
			if peers == "" {
				peers = "nobody"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", t.Direction, t.Action, mdEscape(ports), mdEscape(peers), mdEscape(t.Object), mdEscape(t.Rule))
		}
	}
	for _, w := range r.Workloads {
		fmt.Fprintf(&b, "\n## %s\n\n", w.Workload)
		switch {
		case !w.Covered:
			b.WriteString("Not covered: no policy of helm-netpol selects it.\n")
		case len(w.Traffic) == 0:
			b.WriteString("Isolated: its policy allows nothing.\n")
		default:
			table(w.Traffic)
		}
		if len(w.Config) > 0 {
			b.WriteString("\nConfig:\n\n")
			for _, k := range w.Config {
				fmt.Fprintf(&b, "- `%s` from %s\n", k.Key, mdEscape(k.Source))
			}
		}
		if len(w.DeniedBy) > 0 {
			fmt.Fprintf(&b, "\nIn a namespace with a default-deny (%s): whatever the table does not allow is denied.\n", strings.Join(w.DeniedBy, ", "))
		}
	}
	if len(r.Denies) > 0 || hasDenyObjects(r) {
		b.WriteString("\n## Default-deny\n\n")
		b.WriteString("Every pod of the namespace is selected; what no allowlist opens is closed.\n\n")
		if len(r.Denies) > 0 {
			table(r.Denies)
		}
	}
	if len(r.Findings) > 0 {
		b.WriteString("\n## Findings\n\n")
		for _, f := range r.Findings {
			fmt.Fprintf(&b, "- %s: %s\n", f.Severity, mdEscape(f.Text()))
		}
	}
	return b.String()
}

func hasDenyObjects(r *Report) bool {
	for _, w := range r.Workloads {
		if len(w.DeniedBy) > 0 {
			return true
		}
	}
	return false
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// JSON renders the report for machines.
func (r *Report) JSON() (string, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	return string(b) + "\n", err
}

// Mermaid renders the ingress and egress of each workload as a flowchart.
func (r *Report) Mermaid() string {
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	ids := map[string]string{}
	id := func(label string) string {
		if v, ok := ids[label]; ok {
			return v
		}
		v := "n" + strconv.Itoa(len(ids))
		ids[label] = v
		fmt.Fprintf(&b, "  %s[%q]\n", v, label)
		return v
	}
	var edges []string
	for _, w := range r.Workloads {
		wid := id(w.Workload)
		for _, t := range w.Traffic {
			if t.Action != "allow" {
				continue
			}
			ports := strings.Join(t.Ports, ", ")
			if ports == "" {
				ports = "every port"
			}
			for _, p := range t.Peers {
				pid := id(p)
				if t.Direction == "ingress" {
					edges = append(edges, fmt.Sprintf("  %s -->|%q| %s", pid, ports, wid))
				} else {
					edges = append(edges, fmt.Sprintf("  %s -->|%q| %s", wid, ports, pid))
				}
			}
		}
	}
	sort.Strings(edges)
	for _, e := range edges {
		b.WriteString(e + "\n")
	}
	return b.String()
}
