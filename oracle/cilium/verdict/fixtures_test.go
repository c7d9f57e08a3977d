package verdict

import (
	"flag"
	"fmt"
	"log/slog"
	"maps"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/helm-netpol/helm-netpol/oracle/probe"
	"github.com/helm-netpol/helm-netpol/oracle/probe/golden"
	"sigs.k8s.io/yaml"
)

// fixturesDir holds the product's golden fixtures: <case>/input.yaml is
// what the post-renderer reads and <case>/want.yaml what it writes.
const fixturesDir = "../../../fixtures"

var showVerdicts = flag.Bool("verdicts", false, "log every verdict of TestFixtures")

// The catalogue's fixed addresses.
const (
	apiserverIP  = "10.0.0.1"   // the kube-apiserver's endpoint, on a control-plane node
	remoteNodeIP = "10.0.0.2"   // another node
	hostIP       = "10.0.0.3"   // the workload's node
	podIP        = "10.244.1.5" // a pod of the cluster
	worldIPv4    = "192.0.2.1"  // outside every listed CIDR
	worldIPv6    = "2001:db8:ffff::1"
	nodeLocalDNS = "169.254.20.10" // node-local-dns's address
	kubeletPort  = 10250
	freePort     = 12345 // declared by no workload, named by no rule
)

// workloadKinds are the kinds whose pods helm-netpol covers.
var workloadKinds = map[string]bool{"Deployment": true, "StatefulSet": true, "DaemonSet": true, "ReplicaSet": true, "Job": true, "CronJob": true, "Pod": true, "Rollout": true}

type fixture struct {
	name      string
	docs      [][]byte // the policies Cilium enforces, the generated ones and the chart's own
	workloads []fixtureWorkload
}

type fixtureWorkload struct {
	ref    string // the helm-netpol.io/generated-for value
	pod    Pod
	ports  []declaredPort
	config map[string]any // the workload's networkPolicy config
}

type declaredPort struct {
	port     int
	protocol string
}

// TestFixtures evaluates a catalogue of probes on every golden fixture whose
// generated policies Cilium enforces (CiliumNetworkPolicy, NetworkPolicy and
// ClusterNetworkPolicy renders). It asserts the properties that hold and
// should hold, and records which fixtures show the defects of issue 12
// without asserting today's output for them; -v prints that table.
func TestFixtures(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join(fixturesDir, "*", "want.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var table []string
	evaluated := 0
	checked := map[string]int{}
	for _, want := range dirs {
		dir := filepath.Dir(want)
		f, err := loadFixture(dir)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(dir), err)
			continue
		}
		if len(f.workloads) == 0 {
			continue // nothing Cilium enforces was generated (calico)
		}
		evaluated++
		t.Run(f.name, func(t *testing.T) {
			table = append(table, checkFixture(t, f, checked)...)
		})
	}
	if evaluated < 20 {
		t.Errorf("evaluated %d fixtures, want at least 20: is %s the fixtures directory?", evaluated, fixturesDir)
	}
	// Every property must have been checked somewhere, or it proves nothing.
	for _, p := range properties {
		if checked[p] == 0 {
			t.Errorf("property %q was checked on no fixture", p)
		}
	}
	t.Logf("properties checked: %v", checked)
	t.Logf("issue 12 defects and documented limits on Cilium 1.20.2:\n%s%s", tableHeader, strings.Join(table, ""))
}

const tableHeader = "| fixture | workload | finding | probe | verdict |\n|---|---|---|---|---|\n"

func loadFixture(dir string) (fixture, error) {
	f := fixture{name: filepath.Base(dir)}
	want, err := os.ReadFile(filepath.Join(dir, "want.yaml"))
	if err != nil {
		return f, err
	}
	input, err := os.ReadFile(filepath.Join(dir, "input.yaml"))
	if err != nil {
		return f, err
	}
	// --namespace: the release namespace, for objects that carry none.
	namespace := ""
	if b, err := os.ReadFile(filepath.Join(dir, "args")); err == nil {
		args := strings.Fields(string(b))
		for i, a := range args {
			if a == "--namespace" && i+1 < len(args) {
				namespace = args[i+1]
			}
		}
	}
	release := map[string]any{}
	if b, err := os.ReadFile(filepath.Join(dir, "netpol.yaml")); err == nil {
		if err := yaml.Unmarshal(b, &release); err != nil {
			return f, fmt.Errorf("netpol.yaml: %w", err)
		}
	}

	// The workloads, by apiVersion/kind/name, as the input has them (with
	// their config annotations).
	objects := map[string]map[string]any{}
	for _, doc := range probe.SplitYAML(input) {
		var obj map[string]any
		if err := yaml.Unmarshal(doc, &obj); err != nil {
			return f, fmt.Errorf("input.yaml: %w", err)
		}
		objects[golden.Str(obj, "apiVersion")+"/"+golden.Str(obj, "kind")+"/"+golden.Str(obj, "metadata", "name")] = obj
	}

	seen := map[string]bool{}
	for _, doc := range probe.SplitYAML(want) {
		ok, err := IsPolicy(doc)
		if err != nil {
			return f, fmt.Errorf("want.yaml: %w", err)
		}
		if !ok {
			continue
		}
		f.docs = append(f.docs, doc)
		var obj map[string]any
		if err := yaml.Unmarshal(doc, &obj); err != nil {
			return f, err
		}
		ref := golden.Str(obj, "metadata", "annotations", "helm-netpol.io/generated-for")
		w, ok := objects[golden.Unnamespaced(ref)]
		if !ok || seen[ref] || !workloadKinds[golden.Str(w, "kind")] {
			continue // not generated, or for a release, or a rewritten chart policy
		}
		seen[ref] = true
		fw, err := workloadOf(ref, w, release)
		if err != nil {
			return f, err
		}
		if fw.pod.Namespace == "" {
			fw.pod.Namespace = namespace
		}
		if fw.pod.Namespace == "" {
			fw.pod.Namespace = golden.Str(obj, "metadata", "namespace")
		}
		if fw.pod.Namespace == "" {
			fw.pod.Namespace = defaultNamespace
		}
		f.workloads = append(f.workloads, fw)
	}
	return f, nil
}

func workloadOf(ref string, obj, release map[string]any) (fixtureWorkload, error) {
	pod, config, err := golden.Workload(ref, obj, release)
	w := fixtureWorkload{ref: ref, pod: pod, config: config}
	for _, p := range pod.Ports {
		w.ports = append(w.ports, declaredPort{int(p.Port), p.Protocol})
	}
	// The probes name the workload by its labels alone, as they always have here: its
	// declared ports are probed, not handed to Cilium to resolve named ports with.
	w.pod.Ports = nil
	return w, err
}

// peer is a catalogue entry.
type peer struct {
	name string
	peer Peer
}

// catalogue returns the probe peers of a workload: issue 12's list.
func catalogue(f fixture, w fixtureWorkload, prefixes []netip.Prefix) []peer {
	instance := w.pod.Labels["app.kubernetes.io/instance"]
	if instance == "" {
		instance = "rel"
	}
	pod := func(p Pod) Peer { return Peer{Pod: &p} }
	peers := []peer{
		{"own pod", pod(w.pod)},
		{"release pod", pod(Pod{Namespace: w.pod.Namespace, Labels: map[string]string{"app.kubernetes.io/instance": instance, "app.kubernetes.io/name": "another-component"}})},
		{"namespace pod", pod(Pod{Namespace: w.pod.Namespace, Labels: map[string]string{"app.kubernetes.io/instance": "other-release", "app.kubernetes.io/name": "stranger"}})},
		{"monitoring pod", pod(Pod{Namespace: "monitoring", Labels: map[string]string{"app.kubernetes.io/name": "prometheus"}})},
		{"kube-dns pod", pod(Pod{Namespace: "kube-system", Labels: map[string]string{"k8s-app": "kube-dns"}})},
		{"kube-system pod", pod(Pod{Namespace: "kube-system", Labels: map[string]string{"k8s-app": "metrics-server"}})},
		{"kube-apiserver", Peer{Entity: EntityKubeAPIServer, IP: apiserverIP}},
		{"host", Peer{Entity: EntityHost, IP: hostIP}},
		{"remote-node", Peer{Entity: EntityRemoteNode, IP: remoteNodeIP}},
		{"node-local-dns", Peer{Entity: EntityKubeDNSService, IP: nodeLocalDNS}},
		{"pod IP", Peer{Pod: &Pod{Namespace: "elsewhere", Labels: map[string]string{"app": "unrelated"}}, IP: podIP}},
		{"world", Peer{IP: worldIPv4}},
		{"world v6", Peer{IP: worldIPv6}},
	}
	for _, o := range f.workloads {
		if o.ref != w.ref {
			peers = append(peers, peer{"release pod " + o.ref, pod(o.pod)})
		}
	}
	for _, a := range probe.CIDREdges(prefixes) {
		peers = append(peers, peer{a.Name, Peer{IP: a.Addr.String()}})
	}
	return peers
}

// ports returns the catalogue's ports: every declared port, every port a
// rule names, the kubelet's and a free one.
func ports(w fixtureWorkload, p parsed) []int {
	set := map[int]bool{kubeletPort: true, freePort: true, 53: true, 443: true}
	for _, d := range w.ports {
		set[d.port] = true
	}
	for _, e := range p.entries {
		for _, pr := range e.L4 {
			for _, pp := range pr.Ports {
				if n, err := strconv.Atoi(pp.Port); err == nil && n > 0 {
					set[n] = true
					if pp.EndPort > 0 {
						set[int(pp.EndPort)] = true
					}
				}
			}
		}
	}
	return slices.Sorted(maps.Keys(set))
}

type probeKey struct {
	dir   Direction
	peer  string
	port  int
	proto string
}

// The properties TestFixtures asserts, as counted.
var properties = []string{"selected", "default deny", "webhook", "metrics", "gate", "dns", "apiserver", "same release"}

func checkFixture(t *testing.T, f fixture, checked map[string]int) []string {
	// The agent's startup (the label filter, the cluster entity) comes
	// before parsing, as in Verdicts.
	if err := setup(); err != nil {
		t.Fatal(err)
	}
	p, err := parseDocuments(discard, f.docs)
	if err != nil {
		t.Fatalf("Cilium refuses the fixture's policies: %v", err)
	}
	var rows []string
	for _, w := range f.workloads {
		peers := catalogue(f, w, policyPrefixes(p))
		var probes []Probe
		var keys []probeKey
		for _, pe := range peers {
			for _, port := range ports(w, p) {
				for _, proto := range []string{"TCP", "UDP"} {
					for _, dir := range []Direction{Ingress, Egress} {
						probes = append(probes, Probe{Direction: dir, Workload: w.pod, Peer: pe.peer, Port: port, Protocol: proto})
						keys = append(keys, probeKey{dir, pe.name, port, proto})
					}
				}
			}
		}
		results, err := Options{}.results(f.docs, probes)
		if err != nil {
			t.Fatalf("%s: %v", w.ref, err)
		}
		got := map[probeKey]result{}
		for i, k := range keys {
			got[k] = results[i]
			if *showVerdicts {
				t.Logf("%s %s %s %d/%s: %v %s", w.ref, k.dir, k.peer, k.port, k.proto, results[i].Allowed, results[i].Reason)
			}
		}
		c := fixtureCheck{t: t, f: f, w: w, p: p, got: got, checked: checked}
		c.properties()
		rows = append(rows, c.findings()...)
	}
	return rows
}

type fixtureCheck struct {
	t       *testing.T
	f       fixture
	w       fixtureWorkload
	p       parsed
	got     map[probeKey]result
	checked map[string]int // property -> checks made
}

func (c fixtureCheck) verdict(k probeKey) result {
	r, ok := c.got[k]
	if !ok {
		c.t.Fatalf("%s: no probe %v in the catalogue", c.w.ref, k)
	}
	return r
}

// roleRules returns the entries selecting the workload whose rule origin is
// origin (or, with a trailing ".", starts with it).
func (c fixtureCheck) roleRules(origin string) []int {
	lbls := newIdentities(nil).pod(c.w.pod).LabelArray
	var out []int
	for i, e := range c.p.entries {
		o := c.p.rules[i].origin
		match := o == origin || strings.HasSuffix(origin, ".") && strings.HasPrefix(o, origin)
		if match && e.Subject != nil && e.Subject.Matches(lbls) {
			out = append(out, i)
		}
	}
	return out
}

// firstPort returns the first port of an entry, TCP unless it names UDP.
func (c fixtureCheck) firstPort(i int) (int, string, bool) {
	for _, pr := range c.p.entries[i].L4 {
		for _, pp := range pr.Ports {
			if n, err := strconv.Atoi(pp.Port); err == nil && n > 0 {
				proto := string(pp.Protocol)
				if proto != "UDP" {
					proto = "TCP"
				}
				return n, proto, true
			}
		}
	}
	return 0, "", false
}

func (c fixtureCheck) hasCIDRPeer(i int) bool {
	for _, sel := range c.p.entries[i].L3 {
		if len(sel.GetCIDRPrefixes()) > 0 {
			return true
		}
	}
	return false
}

// cidrCovers says whether a CIDR peer of entry i contains ip (its except
// ranges ignored).
func (c fixtureCheck) cidrCovers(i int, ip string) bool {
	addr := netip.MustParseAddr(ip)
	for _, r := range c.p.entries[i].L3.CIDRRules() {
		if p, err := netip.ParsePrefix(string(r.Cidr)); err == nil && p.Contains(addr) {
			for _, ex := range r.ExceptCIDRs {
				if ep, err := netip.ParsePrefix(string(ex)); err == nil && ep.Contains(addr) {
					return false
				}
			}
			return true
		}
	}
	return false
}

// userWritten says whether a rule is one the user or the chart wrote
// (passthrough, additionalIngress, egress.to, the chart's own or rewritten
// policies), as opposed to one helm-netpol derives for a role.
func userWritten(r rule) bool {
	o := r.origin
	for _, prefix := range []string{"networkPolicy.additionalIngress", "networkPolicy.egress.to", "networkPolicy.cilium.", "networkPolicy.calico.", "networkPolicy.clusterNetworkPolicy.", "networking.k8s.io/"} {
		if strings.HasPrefix(o, prefix) {
			return true
		}
	}
	return o == "" && !strings.HasPrefix(r.object, "ClusterNetworkPolicy") // a policy helm-netpol did not annotate: the chart's
}

func (c fixtureCheck) errorf(format string, args ...any) {
	c.t.Helper()
	c.t.Errorf("%s: "+format, append([]any{c.w.ref}, args...)...)
}

// properties asserts what holds and should hold.
func (c fixtureCheck) properties() {
	// Every covered workload is isolated for ingress: a policy selects it.
	c.checked["selected"]++
	if r := c.verdict(probeKey{Ingress, "namespace pod", freePort, "TCP"}); len(r.selecting) == 0 {
		c.errorf("no policy selects the workload for ingress")
	}

	// The default deny: an undeclared port is closed to a pod outside any
	// allowlist, and to the outside world, unless a rule the user or the
	// chart wrote opens it.
	for _, k := range []probeKey{
		{Ingress, "namespace pod", freePort, "TCP"},
		{Ingress, "kube-system pod", freePort, "TCP"},
		{Egress, "world", freePort, "TCP"},
		{Egress, "namespace pod", freePort, "TCP"},
	} {
		r := c.verdict(k)
		if k.dir == Egress && len(r.selecting) == 0 {
			continue // egress off
		}
		c.checked["default deny"]++
		if r.Allowed && !slices.ContainsFunc(r.rules, userWritten) {
			c.errorf("%s %s %d/%s is open: %s", k.dir, k.peer, k.port, k.proto, r.Reason)
		}
	}

	// An allowlisted port is open from the peer the config names.
	for _, i := range c.roleRules("networkPolicy.webhook") {
		if port, proto, ok := c.firstPort(i); ok && !c.hasCIDRPeer(i) {
			c.mustAllow("webhook", probeKey{Ingress, "kube-apiserver", port, proto})
		}
	}
	for _, role := range []struct{ origin, key, peer string }{
		{"networkPolicy.metrics", "metrics", "monitoring pod"},
		{"networkPolicy.gate", "gate", "namespace pod"},
	} {
		from, set := golden.MapAt(c.w.config, role.key)["from"].([]any)
		if set && len(from) > 0 && !(role.key == "metrics" && namesOnlyNamespace(from, "monitoring")) {
			continue // narrowed to peers outside the catalogue
		}
		for _, i := range append(c.roleRules(role.origin), c.roleRules(role.origin+".from")...) {
			if port, proto, ok := c.firstPort(i); ok {
				c.mustAllow(role.key, probeKey{Ingress, role.peer, port, proto})
			}
		}
	}
	egress := golden.MapAt(c.w.config, "egress")
	profile, _ := egress["dnsProfile"].(string)
	dnsNamespace, _ := egress["dnsNamespace"].(string)
	if (profile == "" || profile == "kube-dns" || profile == "node-local-dns") && (dnsNamespace == "" || dnsNamespace == "kube-system") {
		if len(c.roleRules("networkPolicy.egress.dns")) > 0 {
			c.mustAllow("dns", probeKey{Egress, "kube-dns pod", 53, "UDP"})
			c.mustAllow("dns", probeKey{Egress, "kube-dns pod", 53, "TCP"})
		}
	}
	for _, i := range c.roleRules("networkPolicy.egress.apiserver") {
		if !c.hasCIDRPeer(i) {
			c.mustAllow("apiserver", probeKey{Egress, "kube-apiserver", 443, "TCP"})
		}
	}
	if len(c.roleRules("networkPolicy.egress.sameRelease")) > 0 {
		for _, d := range c.w.ports {
			c.mustAllow("same release", probeKey{Egress, "own pod", d.port, d.protocol})
		}
	}
}

func namesOnlyNamespace(from []any, ns string) bool {
	for _, f := range from {
		m, _ := f.(map[string]any)
		if len(m) != 1 || len(golden.MapAt(m, "namespaceSelector")) != 1 {
			return false
		}
		if golden.Str(m, "namespaceSelector", "matchLabels", "kubernetes.io/metadata.name") == ns {
			return true
		}
	}
	return false
}

// mustAllow asserts a probe the property expects open.
func (c fixtureCheck) mustAllow(property string, k probeKey) {
	c.t.Helper()
	c.checked[property]++
	if r := c.verdict(k); !r.Allowed {
		c.errorf("%s: %s %s %d/%s is denied: %s", property, k.dir, k.peer, k.port, k.proto, r.Reason)
	}
}

// findings records the documented limits this fixture shows on Cilium, and fails on
// the issue 12 defects that are fixed (3 and 5 under engine cilium, 6, 7): each of those
// failed on its fixture before its fix.
func (c fixtureCheck) findings() []string {
	var rows []string
	add := func(finding string, k probeKey) {
		r := c.verdict(k)
		verdict := "denied"
		if r.Allowed {
			verdict = "allowed"
		}
		rows = append(rows, fmt.Sprintf("| %s | %s | %s | %s %s %d/%s | %s: %s |\n", c.f.name, c.w.ref, finding, k.dir, k.peer, k.port, k.proto, verdict, r.Reason))
	}
	allowedBy := func(k probeKey, origin string) bool {
		r := c.verdict(k)
		return r.Allowed && slices.ContainsFunc(r.rules, func(ru rule) bool { return strings.HasPrefix(ru.origin, origin) })
	}

	// 3: the webhook ingress from the apiserver through CIDRs.
	for _, i := range c.roleRules("networkPolicy.webhook") {
		if port, proto, ok := c.firstPort(i); ok && c.hasCIDRPeer(i) {
			if k := (probeKey{Ingress, "kube-apiserver", port, proto}); !c.verdict(k).Allowed {
				if byCNPKind(c.verdict(k), "CiliumNetworkPolicy") {
					c.errorf("defect 3 (fixed): %s %s %d/%s is denied: a CiliumNetworkPolicy's webhook rule must name the kube-apiserver entity: %s", k.dir, k.peer, k.port, k.proto, c.verdict(k).Reason)
				}
				add("limit: a NetworkPolicy's webhook ipBlock misses the host-network apiserver on Cilium (policy-cidr-match-mode: nodes)", k)
			}
		}
	}
	// Any CIDR rule whose range holds a node's address: the node is not
	// selected (the cause of 3).
	for i := range c.p.entries {
		e := c.p.entries[i]
		if !c.hasCIDRPeer(i) || e.Subject == nil || !e.Subject.Matches(newIdentities(nil).pod(c.w.pod).LabelArray) {
			continue
		}
		port, proto, ok := c.firstPort(i)
		if !ok {
			port, proto = freePort, "TCP"
		}
		dir := Egress
		if e.Ingress {
			dir = Ingress
		}
		for _, node := range []struct{ name, ip string }{{"kube-apiserver", apiserverIP}, {"remote-node", remoteNodeIP}} {
			if !c.cidrCovers(i, node.ip) {
				continue
			}
			if k := (probeKey{dir, node.name, port, proto}); !c.verdict(k).Allowed {
				add(fmt.Sprintf("limit: %s, a CIDR rule over the node's address, does not select the node", c.p.rules[i]), k)
			}
		}
	}
	// Egress on while the kube-apiserver stays out of reach: CIDR rules miss
	// it (above), and a Service ClusterIP matches nothing after DNAT (8).
	if k := (probeKey{Egress, "kube-apiserver", 443, "TCP"}); len(c.verdict(k).selecting) > 0 && !c.verdict(k).Allowed {
		add("the kube-apiserver is unreachable (CIDR rules need policy-cidr-match-mode: nodes; 8: ClusterIPs)", k)
	}
	// 4: a ClusterNetworkPolicy's closing egress Deny misses the nodes.
	byCNP := func(r result) bool {
		return slices.ContainsFunc(r.selecting, func(s string) bool { return strings.HasPrefix(s, "ClusterNetworkPolicy ") })
	}
	for _, node := range []string{"remote-node", "host", "kube-apiserver"} {
		k := probeKey{Egress, node, freePort, "TCP"}
		if r := c.verdict(k); r.Allowed && byCNP(r) {
			add("4: the closing egress Deny misses nodes", k)
		}
	}
	// Documented: a ClusterNetworkPolicy's ingress peers are only
	// namespaces and pods.
	for _, src := range []string{"world", "remote-node"} {
		if k := (probeKey{Ingress, src, freePort, "TCP"}); c.verdict(k).Allowed && byCNP(c.verdict(k)) {
			add("limit: ingress from outside the pods stays open", k)
		}
	}
	// 5: node-local-dns answers on a host address.
	if profile, _ := golden.MapAt(c.w.config, "egress")["dnsProfile"].(string); profile == "node-local-dns" {
		if k := (probeKey{Egress, "node-local-dns", 53, "UDP"}); !c.verdict(k).Allowed {
			if byCNPKind(c.verdict(k), "CiliumNetworkPolicy") {
				c.errorf("defect 5 (fixed): %s %s %d/%s is denied: a CiliumNetworkPolicy reaches node-local DNS as the host: %s", k.dir, k.peer, k.port, k.proto, c.verdict(k).Reason)
			}
			add("limit: a NetworkPolicy's ipBlock cannot reach node-local DNS on Cilium (a host address)", k)
		}
	}
	// 6: the apiserver rule opens every port of the control-plane node.
	if k := (probeKey{Egress, "kube-apiserver", kubeletPort, "TCP"}); allowedBy(k, "networkPolicy.egress.apiserver") {
		c.errorf("defect 6 (fixed): %s %s %d/%s is allowed: the apiserver rule must open the apiserver's ports only: %s", k.dir, k.peer, k.port, k.proto, c.verdict(k).Reason)
	}
	// 7: DNS egress reaches every pod of the DNS namespace.
	if k := (probeKey{Egress, "kube-system pod", 53, "UDP"}); allowedBy(k, "networkPolicy.egress.dns") {
		c.errorf("defect 7 (fixed): %s %s %d/%s is allowed: DNS egress must reach the DNS pods only: %s", k.dir, k.peer, k.port, k.proto, c.verdict(k).Reason)
	}
	return rows
}

var discard = slog.New(slog.DiscardHandler)

// byCNPKind tells whether a policy of the kind selects the workload for the verdict.
func byCNPKind(r result, kind string) bool {
	return slices.ContainsFunc(r.selecting, func(s string) bool { return strings.HasPrefix(s, kind+" ") })
}

// TestHookOverlapUnion: a helm test Pod that a Deployment's allowlist selects too gets the
// Deployment's openings beside its own on Cilium, as under NetworkPolicy. Under engine
// clusterNetworkPolicy every allowlist's Accept rules come at a priority before every
// closing Deny; when each allowlist ended in its own Deny at one priority, Cilium let the
// test pod's Deny cut the Deployment's Accept.
func TestHookOverlapUnion(t *testing.T) {
	f, err := loadFixture(filepath.Join(fixturesDir, "clusternetworkpolicy-hook-overlap"))
	if err != nil {
		t.Fatal(err)
	}
	if err := setup(); err != nil {
		t.Fatal(err)
	}
	var test *fixtureWorkload
	for i := range f.workloads {
		if f.workloads[i].ref == "v1/Pod/shop/rel-web-test-connection" {
			test = &f.workloads[i]
		}
	}
	if test == nil {
		t.Fatalf("the fixture generates no policy for the test Pod: %+v", f.workloads)
	}
	namespacePod := Peer{Pod: &Pod{Namespace: "shop", Labels: map[string]string{"app.kubernetes.io/instance": "other-release", "app.kubernetes.io/name": "stranger"}}}
	monitoring := Peer{Pod: &Pod{Namespace: "monitoring", Labels: map[string]string{"app.kubernetes.io/name": "prometheus"}}}
	for _, c := range []struct {
		peer  string
		from  Peer
		port  int
		allow bool
		why   string
	}{
		{"namespace pod", namespacePod, 8080, true, "the Deployment's allowlist opens it, and selects the test Pod"},
		{"namespace pod", namespacePod, 9090, true, "the test Pod's own allowlist opens it"},
		{"namespace pod", namespacePod, freePort, false, "no allowlist opens it"},
		{"monitoring pod", monitoring, freePort, true, "the Deployment's additionalIngress opens every port to it"},
	} {
		results, err := Options{}.results(f.docs, []Probe{{Direction: Ingress, Workload: test.pod, Peer: c.from, Port: c.port, Protocol: "TCP"}})
		if err != nil {
			t.Fatal(err)
		}
		if r := results[0]; r.Allowed != c.allow {
			t.Errorf("ingress to the test Pod from a %s on %d/TCP: allowed %v, want %v (%s): %s", c.peer, c.port, r.Allowed, c.allow, c.why, r.Reason)
		}
	}
}
