package report

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/helm-netpol/helm-netpol/internal/config"
	"github.com/helm-netpol/helm-netpol/internal/discover"
	"github.com/helm-netpol/helm-netpol/internal/engine"
	"github.com/helm-netpol/helm-netpol/internal/engine/registry"
	"github.com/helm-netpol/helm-netpol/internal/findings"
	"github.com/helm-netpol/helm-netpol/internal/manifest"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
	// PeerDetails are the peers as the engine reads them (selectors, CIDRs, entities);
	// AnyPeer says the rule matches every peer. PortDetails are the ports so.
	PeerDetails []engine.Peer `json:"peerDetails,omitempty"`
	AnyPeer     bool          `json:"anyPeer,omitempty"`
	PortDetails []engine.Port `json:"portDetails,omitempty"`
	// Staged says the object is one of Calico's staged kinds: evaluated and reported in
	// flow logs, not enforced.
	Staged bool `json:"staged,omitempty"`
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
	// Staged says the policies that select its pods (its allowlist, the default-deny of its
	// namespace) are staged: Calico reports what they would do, and enforces none of it.
	Staged bool `json:"staged,omitempty"`
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

// ReadTraffic reads the rules of a rendered policy in its own dialect (the engine's
// reader) and writes each as prose, with its structured peers and ports beside.
func ReadTraffic(n *yaml.RNode) ([]Traffic, error) {
	o, err := registry.Read(n)
	if err != nil {
		return nil, err
	}
	return TrafficOf(o), nil
}

// ScopeNamespace is the namespace an object is about: its own, or for a cluster-scoped
// one (ClusterNetworkPolicy) the namespace its subject names by kubernetes.io/metadata.name.
func ScopeNamespace(o *engine.Object) string {
	if !o.ClusterScoped {
		return o.Namespace
	}
	if ns := o.Subject.Namespaces; ns != nil {
		return ns.MatchLabels[manifest.LabelNamespaceName]
	}
	return ""
}

// TrafficOf writes the rules of an object read back as Traffic rows: ingress, then egress,
// then Cilium's deny lists.
func TrafficOf(o *engine.Object) []Traffic {
	var out []Traffic
	rules := append(append([]engine.Rule{}, o.Ingress...), o.Egress...)
	for _, list := range []string{"ingress", "egress", "ingressDeny", "egressDeny"} {
		for i := range rules {
			r := &rules[i]
			if r.List != list {
				continue
			}
			t := Traffic{
				Direction:   string(r.Direction),
				Action:      strings.ToLower(r.Action),
				Object:      o.ID,
				Staged:      o.Staged,
				Rule:        fmt.Sprintf("%s[%d]", r.Direction, r.Index),
				PeerDetails: r.Peers,
				AnyPeer:     r.AnyPeer,
				PortDetails: r.Ports,
			}
			if r.Origin != "" {
				t.Rule += " " + r.Origin
			}
			switch o.Dialect {
			case config.EngineKubernetes:
				t.Ports, t.Peers = k8sPorts(r.Ports), k8sPeers(r)
			case config.EngineCilium:
				t.Ports, t.Peers = ciliumPorts(r.Ports), ciliumPeers(r)
			case config.EngineCalico:
				t.Ports, t.Peers = calicoPorts(r.Ports), calicoPeers(r)
			case config.EngineClusterNetworkPolicy:
				t.Ports, t.Peers = cnpPorts(r.Ports), cnpPeers(r)
			}
			out = append(out, t)
		}
	}
	return out
}

// selector describes a label selector: "app=web", "every" when empty.
func selector(s *metav1.LabelSelector) string {
	var parts []string
	if s != nil {
		for _, k := range config.SortedKeys(s.MatchLabels) {
			parts = append(parts, k+"="+s.MatchLabels[k])
		}
		for _, e := range s.MatchExpressions {
			parts = append(parts, fmt.Sprintf("%s %s (%s)", e.Key, e.Operator, strings.Join(e.Values, ",")))
		}
	}
	if len(parts) == 0 {
		return "every"
	}
	return strings.Join(parts, ", ")
}

// cidr describes an address range with its exceptions.
func cidr(p engine.Peer) string {
	s := p.CIDR
	if len(p.Except) > 0 {
		b, _ := json.Marshal(p.Except)
		s += " except " + string(b)
	}
	return s
}

func portNumber(p engine.Port) string {
	if p.Name != "" {
		return p.Name
	}
	return strconv.Itoa(int(p.Port))
}

func k8sPorts(ports []engine.Port) []string {
	var out []string
	for _, p := range ports {
		port := portNumber(p)
		if p.Name == "" && p.Port == 0 {
			port = "every port"
		}
		if p.EndPort != 0 {
			port += "-" + strconv.Itoa(int(p.EndPort))
		}
		out = append(out, port+"/"+p.Protocol)
	}
	return out
}

func k8sPeers(r *engine.Rule) []string {
	if r.AnyPeer {
		return []string{"anywhere"}
	}
	var out []string
	for _, p := range r.Peers {
		switch {
		case p.Kind == engine.PeerCIDR:
			out = append(out, cidr(p))
		case p.Kind == engine.PeerPods && p.Namespaces != nil:
			out = append(out, fmt.Sprintf("pods %s in namespaces %s", selector(p.Pods), selector(p.Namespaces)))
		case p.Kind == engine.PeerNamespaces:
			out = append(out, "namespaces "+selector(p.Namespaces))
		default:
			out = append(out, "pods "+selector(p.Pods)+" in the own namespace")
		}
	}
	return out
}

func ciliumPorts(ports []engine.Port) []string {
	var out []string
	for _, p := range ports {
		if strings.HasPrefix(p.Protocol, "ICMP") {
			continue
		}
		s := portNumber(p)
		if p.EndPort != 0 {
			s += "-" + strconv.Itoa(int(p.EndPort))
		}
		s += "/" + p.Protocol
		if p.L7 != "" {
			s += " (L7 " + p.L7 + ")"
		}
		out = append(out, s)
	}
	return out
}

func ciliumPeers(r *engine.Rule) []string {
	var out []string
	for _, p := range r.Peers {
		switch p.Kind {
		case engine.PeerEntity:
			out = append(out, "entity "+p.Entity)
		case engine.PeerEndpoints:
			out = append(out, "endpoints "+selector(p.Endpoints))
		case engine.PeerCIDR:
			out = append(out, cidr(p))
		case engine.PeerFQDN:
			out = append(out, "fqdn "+p.FQDN)
		case engine.PeerService:
			out = append(out, "service "+p.Raw)
		default:
			out = append(out, p.Raw)
		}
	}
	return out
}

func calicoPorts(ports []engine.Port) []string {
	var out []string
	for _, p := range ports {
		proto := p.Protocol
		if proto == "" {
			proto = "any protocol"
		}
		switch {
		case p.Name != "":
			out = append(out, p.Name+"/"+proto)
		case p.Port == 0:
			out = append(out, "every port/"+proto)
		case p.EndPort != 0:
			out = append(out, fmt.Sprintf("%d:%d/%s", p.Port, p.EndPort, proto))
		default:
			out = append(out, fmt.Sprintf("%d/%s", p.Port, proto))
		}
	}
	return out
}

func calicoPeers(r *engine.Rule) []string {
	var out []string
	for _, p := range r.Peers {
		if p.Kind == engine.PeerService {
			out = append(out, fmt.Sprintf("service %s/%s", p.Service.Namespace, p.Service.Name))
			continue
		}
		if p.Selector != "" {
			out = append(out, "selector "+p.Selector)
		}
		if p.NamespaceSelector != "" {
			out = append(out, "namespaces "+p.NamespaceSelector)
		}
		out = append(out, p.Nets...)
	}
	if len(out) == 0 {
		return []string{"anywhere"}
	}
	return out
}

func cnpPorts(ports []engine.Port) []string {
	var out []string
	for _, p := range ports {
		switch {
		case p.Name != "":
			out = append(out, p.Name)
		case p.EndPort != 0:
			out = append(out, fmt.Sprintf("%d-%d/%s", p.Port, p.EndPort, p.Protocol))
		case p.Port == 0:
			out = append(out, "every port/"+p.Protocol)
		default:
			out = append(out, fmt.Sprintf("%d/%s", p.Port, p.Protocol))
		}
	}
	return out
}

func cnpPeers(r *engine.Rule) []string {
	var out []string
	last := ""
	for _, p := range r.Peers {
		switch p.Kind {
		case engine.PeerNamespaces:
			out = append(out, "namespaces "+selector(p.Namespaces))
		case engine.PeerPods:
			out = append(out, fmt.Sprintf("pods %s in namespaces %s", selector(p.Pods), selector(p.Namespaces)))
		case engine.PeerCIDR:
			out = append(out, p.CIDR)
		default:
			if p.Raw != last { // the names of one domainNames peer share it
				out = append(out, p.Raw)
			}
		}
		last = p.Raw
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
			action := t.Action
			if t.Staged {
				action += " (staged)"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", t.Direction, action, mdEscape(ports), mdEscape(peers), mdEscape(t.Object), mdEscape(t.Rule))
		}
	}
	for _, w := range r.Workloads {
		fmt.Fprintf(&b, "\n## %s\n\n", w.Workload)
		if w.Staged {
			b.WriteString("Staged: Calico evaluates the policies that select it and reports their verdicts in its flow logs, but enforces none of them.\n\n")
		}
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
		switch {
		case len(w.DeniedBy) > 0 && w.Staged:
			fmt.Fprintf(&b, "\nIn a namespace with a staged default-deny (%s): once enforced, whatever the table does not allow is denied; until then Calico reports it as denied.\n", strings.Join(w.DeniedBy, ", "))
		case len(w.DeniedBy) > 0:
			fmt.Fprintf(&b, "\nIn a namespace with a default-deny (%s): whatever the table does not allow is denied.\n", strings.Join(w.DeniedBy, ", "))
		}
	}
	if len(r.Denies) > 0 || hasDenyObjects(r) {
		b.WriteString("\n## Default-deny\n\n")
		b.WriteString("Every pod of the namespace is selected; what no allowlist opens is closed.\n\n")
		if hasStagedDeny(r) {
			b.WriteString("A staged default-deny closes nothing yet: Calico reports what it would close.\n\n")
		}
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

func hasStagedDeny(r *Report) bool {
	for _, w := range r.Workloads {
		if len(w.DeniedBy) > 0 && w.Staged {
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
			arrow := "-->" // a staged opening is dotted: reported, not enforced
			if t.Staged {
				arrow, ports = "-.->", "staged: "+ports
			}
			for _, p := range t.Peers {
				pid := id(p)
				if t.Direction == "ingress" {
					edges = append(edges, fmt.Sprintf("  %s %s|%q| %s", pid, arrow, ports, wid))
				} else {
					edges = append(edges, fmt.Sprintf("  %s %s|%q| %s", wid, arrow, ports, pid))
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
