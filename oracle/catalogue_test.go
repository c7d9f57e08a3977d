package oracle

// The renders and issue 12's probe catalogue that the tests comparing trace, and the
// dialects, with an engine's own code run (TestTraceEqualsCilium, TestTraceEqualsCyclonus,
// TestDialectsAgree).

import (
	"bytes"
	"fmt"
	"maps"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/helm-netpol/helm-netpol/oracle/probe"
	"github.com/helm-netpol/helm-netpol/transform"
	"sigs.k8s.io/yaml"
)

// renderCase is one run of the post-renderer: a golden fixture with the options its args
// file gives, or a real chart's render under a release-wide config.
type renderCase struct {
	name  string
	input []byte
	opts  transform.Options
}

// corpusConfigs are the release-wide configs the product's tests run the real chart
// renders under: transform/security_test.go corpusConfigs (TestCorpusConfigsAgree checks
// that they are the same).
var corpusConfigs = []struct{ name, text string }{
	{"keepExisting", "networkPolicy: {enabled: true, keepExisting: true}"},
	{"defaultDeny", "networkPolicy: {enabled: true, keepExisting: true, defaultDeny: {enabled: true}}"},
	{"egress", "networkPolicy: {enabled: true, keepExisting: true, defaultDeny: {enabled: true}, egress: {enabled: true, apiserver: {cidrs: [10.0.0.1/32, 'fd00::1/128']}}}"},
	{"cilium", "networkPolicy: {enabled: true, engine: cilium, keepExisting: true, defaultDeny: {enabled: true}, egress: {enabled: true}}"},
	{"calico", "networkPolicy: {enabled: true, engine: calico, keepExisting: true, defaultDeny: {enabled: true}, egress: {enabled: true}}"},
	{"clusterNetworkPolicy", "networkPolicy: {enabled: true, engine: clusterNetworkPolicy, rewrite: true, defaultDeny: {enabled: true}, egress: {enabled: true, apiserver: {cidrs: [10.0.0.1/32, 'fd00::1/128']}}}"},
}

// fixtureRenders returns every golden fixture that renders (not error-*, no error.txt),
// with the options its args file gives, as the repository root's main_test.go runs them
// through the command line.
func fixtureRenders(t *testing.T) []renderCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot, "fixtures", "*", "input.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures/*/input.yaml under %s: %v", repoRoot, err)
	}
	var out []renderCase
	for _, file := range files {
		dir := filepath.Dir(file)
		name := filepath.Base(dir)
		if _, err := os.Stat(filepath.Join(dir, "error.txt")); err == nil || strings.HasPrefix(name, "error-") {
			continue
		}
		in, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		r := renderCase{name: "fixture " + name, input: in}
		if b, err := os.ReadFile(filepath.Join(dir, "args")); err == nil {
			// main_test.go: one flag a line, "{dir}" for the folder (relative to the
			// repository root there, to repoRoot here).
			var args []string
			for _, line := range strings.Split(string(b), "\n") {
				if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
					args = append(args, strings.ReplaceAll(line, "{dir}", dir))
				}
			}
			for i := 0; i < len(args); i++ {
				flag, value, hasValue := strings.Cut(strings.TrimLeft(args[i], "-"), "=")
				if !hasValue && flag != "strict" && i+1 < len(args) {
					i++
					value = args[i]
				}
				switch flag {
				case "config":
					text, err := os.ReadFile(value)
					if err != nil {
						t.Fatal(err)
					}
					l, err := transform.ParseLayer(text, transform.LevelFile, "--config "+value, "")
					if err != nil {
						t.Fatalf("%s: --config: %v", name, err)
					}
					r.opts.Config = l
				case "namespace":
					r.opts.Namespace = value
				case "release":
					r.opts.Release = value
				case "strict":
					r.opts.Strict = true
				default:
					t.Fatalf("%s: args: flag %q is unknown to this test", name, flag)
				}
			}
		}
		out = append(out, r)
	}
	return out
}

// corpusRenders returns every real chart render of fixtures/corpus under every
// release-wide config, with the release and namespace the product's tests give them.
func corpusRenders(t *testing.T) []renderCase {
	t.Helper()
	root := filepath.Join(repoRoot, "fixtures", "corpus")
	files, _ := filepath.Glob(filepath.Join(root, "*.yaml"))
	more, _ := filepath.Glob(filepath.Join(root, "*", "*.yaml"))
	files = append(files, more...)
	if len(files) < 10 {
		t.Fatalf("found %d real chart renders in %s, want at least 10", len(files), root)
	}
	var out []renderCase
	for _, file := range files {
		in, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(root, file)
		for _, c := range corpusConfigs {
			l, err := transform.ParseLayer([]byte(c.text), transform.LevelFile, "--config "+c.name, "")
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, renderCase{name: "corpus " + rel + " " + c.name, input: in, opts: transform.Options{Config: l, Release: "rel", Namespace: "ns"}})
		}
	}
	return out
}

// covered is a workload the render covers, as a probe names it.
type covered struct {
	ref         string // Kind namespace/name
	kind, name  string
	pod         transform.TracePod // namespace, the pods' labels and declared ports
	hostNetwork bool
	release     string // the pods' app.kubernetes.io/instance, else the release
}

// coveredWorkloads returns the workloads the run covers. A Job's pods also carry the
// labels the Job controller gives them (trace adds the same).
func coveredWorkloads(res *transform.Result, opts transform.Options) []covered {
	var out []covered
	for _, w := range res.Workloads {
		if res.Configs[w] == nil {
			continue
		}
		ns := w.Namespace
		if ns == "" {
			ns = opts.Namespace
		}
		if ns == "" {
			ns = "default"
		}
		labels := maps.Clone(w.PodLabels)
		if labels == nil {
			labels = map[string]string{}
		}
		if w.Kind == "Job" {
			labels["batch.kubernetes.io/job-name"] = w.Name
			labels["job-name"] = w.Name
		}
		ports := []transform.NamedPort{}
		for _, p := range w.Ports {
			ports = append(ports, transform.NamedPort{Name: p.Name, Port: p.Port, Protocol: string(p.Protocol)})
		}
		release := w.Release
		if release == "" {
			release = opts.Release
		}
		if release == "" {
			release = "rel"
		}
		out = append(out, covered{
			ref:         fmt.Sprintf("%s %s/%s", w.Kind, ns, w.Name),
			kind:        w.Kind,
			name:        w.Name,
			pod:         transform.TracePod{Namespace: ns, Labels: labels, Ports: ports},
			hostNetwork: w.HostNetwork,
			release:     release,
		})
	}
	return out
}

// document is one object of the post-rendered stream.
type document struct {
	text       []byte
	apiVersion string
	kind       string
	namespace  string
	obj        map[string]any
}

// policyGroups are the API groups of network policy kinds.
var policyGroups = []string{"networking.k8s.io/", "cilium.io/", "projectcalico.org/", "policy.networking.k8s.io/"}

// policyDocuments returns the network policy objects of a post-rendered stream (every
// kind of policyGroups whose name ends in Policy: the generated ones and the chart's own).
func policyDocuments(t *testing.T, stream []byte) []document {
	t.Helper()
	var out []document
	for _, text := range probe.SplitYAML(stream) {
		if !policyKindLine(text) {
			continue // decoding every document of a large chart is most of the time
		}
		var obj map[string]any
		if err := yaml.Unmarshal(text, &obj); err != nil {
			t.Fatalf("the output does not decode: %v\n%s", err, text)
		}
		kind, _ := obj["kind"].(string)
		apiVersion, _ := obj["apiVersion"].(string)
		if !strings.HasSuffix(kind, "Policy") || !slices.ContainsFunc(policyGroups, func(g string) bool { return strings.HasPrefix(apiVersion, g) }) {
			continue
		}
		meta, _ := obj["metadata"].(map[string]any)
		ns, _ := meta["namespace"].(string)
		out = append(out, document{text: text, apiVersion: apiVersion, kind: kind, namespace: ns, obj: obj})
	}
	return out
}

// policyKindLine tells whether a document has a top-level kind line naming a Policy kind
// (or one of another shape, which decoding then tells).
func policyKindLine(doc []byte) bool {
	for line := range bytes.Lines(doc) {
		if v, ok := bytes.CutPrefix(line, []byte("kind:")); ok {
			return bytes.HasSuffix(bytes.Trim(bytes.TrimSpace(v), `"'`), []byte("Policy"))
		}
	}
	return true
}

// policyFacts returns the CIDRs the policies name (every string of their specs that is
// one), and the numeric ports they name, by the policy's namespace ("" for a
// cluster-scoped kind).
func policyFacts(docs []document) ([]netip.Prefix, map[string][]int) {
	prefixes := map[netip.Prefix]bool{}
	ports := map[string]map[int]bool{}
	for _, d := range docs {
		ns := d.namespace
		if strings.HasPrefix(d.kind, "Cluster") || strings.HasPrefix(d.kind, "Global") || d.kind == "CiliumClusterwideNetworkPolicy" {
			ns = ""
		}
		if ports[ns] == nil {
			ports[ns] = map[int]bool{}
		}
		var walk func(key string, v any)
		walk = func(key string, v any) {
			switch v := v.(type) {
			case map[string]any:
				for k, e := range v {
					walk(k, e)
				}
			case []any:
				for _, e := range v {
					walk(key, e)
				}
			case string:
				if p, err := netip.ParsePrefix(v); err == nil {
					prefixes[p] = true
				}
				if key == "port" || key == "endPort" || key == "ports" {
					lo, hi, _ := strings.Cut(v, ":") // Calico's "80:90"
					for _, s := range []string{lo, hi} {
						if n, err := strconv.Atoi(s); err == nil && n > 0 && n < 65536 {
							ports[ns][n] = true
						}
					}
				}
			case float64:
				if (key == "port" || key == "endPort" || key == "ports") && v > 0 && v < 65536 {
					ports[ns][int(v)] = true
				}
			}
		}
		walk("", d.obj["spec"])
		walk("", d.obj["specs"])
	}
	out := map[string][]int{}
	for ns, set := range ports {
		out[ns] = slices.Sorted(maps.Keys(set))
	}
	sorted := slices.SortedFunc(maps.Keys(prefixes), func(a, b netip.Prefix) int {
		return strings.Compare(a.String(), b.String())
	})
	return sorted, out
}

// The catalogue's fixed addresses.
const (
	apiserverIP  = "10.0.0.1" // the kube-apiserver's endpoint, on a control-plane node
	remoteNodeIP = "10.0.0.2" // another node
	hostIP       = "10.0.0.3" // the workload's node
	podIP        = "10.244.1.5"
	worldIPv4    = "192.0.2.1"
	worldIPv6    = "2001:db8:ffff::1"
	nodeLocalDNS = "169.254.20.10" // node-local-dns's address
	undeclared   = 12345           // the first port from here that nothing declares or names
)

// catalogueEntry is a peer of the catalogue.
type catalogueEntry struct {
	name string
	peer transform.TracePeer
}

// maxReleasePeers caps the other covered workloads of the render that are peers of each
// workload (the first ones, in stream order): every workload is still probed, and is a
// peer of the first maxReleasePeers+1 workloads.
const maxReleasePeers = 6

// catalogue returns issue 12's probe peers for a workload: its own pods, another pod of
// the same release, a pod of the namespace outside the release, a pod in monitoring, the
// DNS pods and another pod of kube-system, the kube-apiserver, the workload's node and
// another node (with their addresses), node-local-dns on the node, an in-cluster pod
// address, the world (IPv4 and IPv6), an address inside and one just after each CIDR the
// policies name, and the pods of the render's other covered workloads. Every pod has an
// address (the in-cluster range 10.244.0.0/16).
func catalogue(w covered, all []covered, prefixes []netip.Prefix) []catalogueEntry {
	nextIP := 10
	pod := func(p transform.TracePod) transform.TracePeer {
		nextIP++
		if p.Ports == nil {
			p.Ports = []transform.NamedPort{}
		}
		return transform.TracePeer{Pod: &p, IP: fmt.Sprintf("10.244.0.%d", nextIP)}
	}
	entries := []catalogueEntry{
		{"own pod", pod(w.pod)},
		{"release pod", pod(transform.TracePod{Namespace: w.pod.Namespace, Labels: map[string]string{"app.kubernetes.io/instance": w.release, "app.kubernetes.io/name": "another-component"}})},
		{"namespace pod", pod(transform.TracePod{Namespace: w.pod.Namespace, Labels: map[string]string{"app.kubernetes.io/instance": "other-release", "app.kubernetes.io/name": "stranger"}})},
		{"monitoring pod", pod(transform.TracePod{Namespace: "monitoring", Labels: map[string]string{"app.kubernetes.io/name": "prometheus"}})},
		{"kube-dns pod", pod(transform.TracePod{Namespace: "kube-system", Labels: map[string]string{"k8s-app": "kube-dns"}})},
		{"kube-system pod", pod(transform.TracePod{Namespace: "kube-system", Labels: map[string]string{"k8s-app": "metrics-server"}})},
		{"kube-apiserver", transform.TracePeer{Entity: "kube-apiserver", IP: apiserverIP}},
		{"host", transform.TracePeer{Entity: "host", IP: hostIP}},
		{"remote-node", transform.TracePeer{Entity: "remote-node", IP: remoteNodeIP}},
		{"node-local-dns", transform.TracePeer{Entity: "kube-dns-service", IP: nodeLocalDNS}},
		{"pod IP", transform.TracePeer{Pod: &transform.TracePod{Namespace: "elsewhere", Labels: map[string]string{"app": "unrelated"}, Ports: []transform.NamedPort{}}, IP: podIP}},
		{"world", transform.TracePeer{IP: worldIPv4}},
		{"world v6", transform.TracePeer{IP: worldIPv6}},
	}
	others := 0
	for _, o := range all {
		if o.ref != w.ref && others < maxReleasePeers {
			others++
			entries = append(entries, catalogueEntry{"pod of " + o.ref, pod(o.pod)})
		}
	}
	for _, a := range probe.CIDREdges(prefixes) {
		entries = append(entries, catalogueEntry{a.Name, transform.TracePeer{IP: a.Addr.String()}})
	}
	return entries
}

// probePorts returns the ports a workload is probed on: every port it declares, every
// numeric port the policies of its namespace and the cluster-scoped ones name, and one
// that none of those is.
func probePorts(w covered, ports map[string][]int) []int {
	set := map[int]bool{}
	for _, p := range w.pod.Ports {
		set[int(p.Port)] = true
	}
	for _, p := range ports[w.pod.Namespace] {
		set[p] = true
	}
	for _, p := range ports[""] {
		set[p] = true
	}
	free := undeclared
	for set[free] {
		free++
	}
	set[free] = true
	return slices.Sorted(maps.Keys(set))
}

// probeCase is one probe of the catalogue, as trace is asked it: the workload named by
// kind and name (trace takes its pods from the stream).
type probeCase struct {
	workload *covered
	peer     string // the catalogue entry's name
	probe    transform.Probe
}

// traceCases runs transform.Trace over r's input under the CNI cni and asks it the cases'
// probes; it returns the probes it asked, in the cases' order, and trace's verdicts.
func traceCases(t *testing.T, r renderCase, cni transform.CNI, cases []probeCase) ([]transform.Probe, []transform.Verdict) {
	t.Helper()
	opts := r.opts
	opts.CNI = cni
	probes := make([]transform.Probe, len(cases))
	for i, c := range cases {
		probes[i] = c.probe
	}
	trace, err := transform.Trace(r.input, opts, probes)
	if err != nil {
		t.Fatalf("trace: %v", err)
	}
	return probes, trace
}

// catalogueProbes returns every probe of a workload: each peer, each port, TCP and UDP,
// both directions.
func catalogueProbes(w *covered, peers []catalogueEntry, ports []int) []probeCase {
	var out []probeCase
	for _, pe := range peers {
		for _, port := range ports {
			for _, proto := range []string{"TCP", "UDP"} {
				for _, dir := range []string{"ingress", "egress"} {
					out = append(out, probeCase{workload: w, peer: pe.name, probe: transform.Probe{
						Direction: dir,
						Workload:  transform.TracePod{Kind: w.kind, Name: w.name, Namespace: w.pod.Namespace},
						Peer:      pe.peer,
						Port:      port,
						Protocol:  proto,
					}})
				}
			}
		}
	}
	return out
}

// renderProbes renders r and returns its post-rendered stream, its policy documents and
// the catalogue's probes of every workload it covers.
func renderProbes(t *testing.T, r renderCase) ([]byte, []document, []probeCase) {
	t.Helper()
	out, res, err := transform.Process(r.input, r.opts)
	if err != nil {
		t.Fatalf("the render fails: %v", err)
	}
	docs := policyDocuments(t, out)
	prefixes, ports := policyFacts(docs)
	workloads := coveredWorkloads(res, r.opts)
	var cases []probeCase
	for i := range workloads {
		w := &workloads[i]
		cases = append(cases, catalogueProbes(w, catalogue(*w, workloads, prefixes), probePorts(*w, ports))...)
	}
	return out, docs, cases
}

// String names a probe case in failures.
func (c probeCase) String() string {
	return fmt.Sprintf("%s %s %s %d/%s", c.workload.ref, c.probe.Direction, c.peer, c.probe.Port, c.probe.Protocol)
}

// difference is a known, explained way trace and an engine's own code may answer a probe
// differently. A probe they answer differently that no difference explains fails.
type difference struct {
	name   string
	reason string // why, with the source
	// explains tells whether the difference explains a probe trace answered with tv and
	// the engine's code allowed (engineAllowed) or not.
	explains func(c probeCase, tv transform.Verdict, engineAllowed bool) bool
}

// tally counts the comparisons of a test.
type tally struct {
	renders, probes, equal int
	allowed, denied        int            // of the equal ones
	explained              map[string]int // by difference
	failed                 int
	failures               map[string]int // by render, logged for the first few
}

func newTally() *tally {
	return &tally{explained: map[string]int{}, failures: map[string]int{}}
}

// compare checks trace's verdicts against the engine's, and fails the test on a difference
// that none of diffs explains.
func (ty *tally) compare(t *testing.T, engine string, cases []probeCase, trace []transform.Verdict, allowed []bool, reasons []string, diffs []difference) {
	t.Helper()
	ty.renders++
	for i, c := range cases {
		ty.probes++
		tv := trace[i]
		if tv.Error == "" && tv.Allowed == allowed[i] {
			ty.equal++
			if tv.Allowed {
				ty.allowed++
			} else {
				ty.denied++
			}
			continue
		}
		known := ""
		for _, d := range diffs {
			if d.explains(c, tv, allowed[i]) {
				known = d.name
				break
			}
		}
		if known != "" {
			ty.explained[known]++
			continue
		}
		ty.failed++
		if ty.failures[t.Name()]++; ty.failures[t.Name()] <= 10 {
			traceSays := fmt.Sprintf("allowed %v: %s", tv.Allowed, tv.Reason)
			if tv.Error != "" {
				traceSays = "not evaluated: " + tv.Error
			}
			t.Errorf("%s:\n  trace:  %s\n  %s: allowed %v: %s", c, traceSays, engine, allowed[i], reasons[i])
		}
	}
	if n := ty.failures[t.Name()]; n > 10 {
		t.Errorf("... and %d more differences", n-10)
	}
}

// summary tells what was compared, and each difference with how many probes it explained.
func (ty *tally) summary(diffs []difference) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d renders, %d probes compared: %d equal (%d allowed, %d denied), %d explained, %d unexplained\n", ty.renders, ty.probes, ty.equal, ty.allowed, ty.denied, ty.probes-ty.equal-ty.failed, ty.failed)
	b.WriteString("| difference | probes | reason |\n|---|---|---|\n")
	for _, d := range diffs {
		fmt.Fprintf(&b, "| %s | %d | %s |\n", d.name, ty.explained[d.name], d.reason)
	}
	return b.String()
}
