package verdict

import (
	"bytes"
	"flag"
	"fmt"
	"maps"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/helm-netpol/helm-netpol/oracle/probe"
	"github.com/helm-netpol/helm-netpol/oracle/probe/golden"
	"github.com/helm-netpol/helm-netpol/transform"
	"github.com/mattfenwick/cyclonus/pkg/matcher"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/yaml"
)

// fixturesDir holds the product's golden fixtures: <case>/input.yaml is
// what the post-renderer reads and <case>/want.yaml what it writes.
const fixturesDir = "../../../fixtures"

var showVerdicts = flag.Bool("verdicts", false, "log every verdict of TestFixtures")

// The catalogue's fixed addresses.
const (
	apiserverIP   = "10.0.0.1" // the kube-apiserver's endpoint, on a control-plane node, unless the config names one
	apiserverPort = 6443       // and its port (kubeadm's), unless the config names one
	nodeLocalDNS  = "169.254.20.10"
	kubeDNSIP     = "10.96.0.10" // the kube-dns Service's ClusterIP (kubeadm's), where node-local-dns answers too
	worldIPv4     = "192.0.2.1"  // outside every listed CIDR
	worldIPv6     = "2001:db8:ffff::1"
	kubeletPort   = 10250
	freePort      = 12345 // declared by no workload, named by no rule
)

// workloadKinds are the kinds whose pods helm-netpol covers.
var workloadKinds = map[string]bool{"Deployment": true, "StatefulSet": true, "DaemonSet": true, "ReplicaSet": true, "Job": true, "CronJob": true, "Pod": true, "Rollout": true}

type fixture struct {
	name      string
	calico    bool // want.yaml holds Calico policies (else NetworkPolicies only)
	input     []byte
	release   []byte // the --config file, if any
	namespace string // --namespace, if any
	docs      [][]byte
	// The cluster's kube-apiserver endpoint, the kubernetes Service's:
	// where the config names the apiserver's address and port
	// (egress.apiserver.cidrs and ports), there; else 10.0.0.1:6443 (a
	// kubeadm cluster). An address in a default Service range (10.96.0.0/12,
	// 172.30.0.0/16, fd00:10:96::/112) is a ClusterIP, which policies never
	// see after DNAT: the endpoint stays at 10.0.0.1 then.
	apiserverIP   string
	apiserverPort int
	workloads     []fixtureWorkload
}

type fixtureWorkload struct {
	ref    string // the helm-netpol.io/generated-for value
	pod    Pod
	config map[string]any // the workload's effective networkPolicy config (release, then annotation)
}

// TestFixtures runs issue 12's probe catalogue on every golden fixture with
// Calico policies: it asserts the properties that hold on Calico, and that
// the calico rendering allows exactly what the kubernetes rendering of the
// same config allows (judged by cyclonus), except the documented
// differences; it logs a table of the differences and of the defects
// each fixture shows (go test -v -run TestFixtures ./verdict; add
// -args -verdicts for every verdict).
func TestFixtures(t *testing.T) {
	wants, err := filepath.Glob(filepath.Join(fixturesDir, "*", "want.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var table []string
	checked := map[string]int{}
	evaluated := 0
	for _, want := range wants {
		f, err := loadFixture(filepath.Dir(want))
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(filepath.Dir(want)), err)
			continue
		}
		if !f.calico || len(f.workloads) == 0 {
			continue // no Calico policy generated
		}
		evaluated++
		t.Run(f.name, func(t *testing.T) {
			kubeDocs, dropped, err := kubernetesRendering(f)
			if err != nil {
				t.Fatalf("the kubernetes rendering: %v", err)
			}
			table = append(table, checkFixture(t, f, f.docs, kubeDocs, dropped, checked)...)
		})
	}
	if evaluated < 7 {
		t.Errorf("evaluated %d fixtures, want at least 7 (calico-*, rewrite-kyverno-calico): is %s the fixtures directory?", evaluated, fixturesDir)
	}
	for _, p := range properties {
		if checked[p] == 0 {
			t.Errorf("property %q was checked on no fixture", p)
		}
	}
	t.Logf("properties checked: %v", checked)
	t.Logf("calico vs kubernetes rendering, and issue 12 findings on Calico:\n%s%s", tableHeader, strings.Join(table, ""))
}

const tableHeader = "| fixture | workload | finding | probe | calico | kubernetes (cyclonus) |\n|---|---|---|---|---|---|\n"

func loadFixture(dir string) (fixture, error) {
	f := fixture{name: filepath.Base(dir)}
	want, err := os.ReadFile(filepath.Join(dir, "want.yaml"))
	if err != nil {
		return f, err
	}
	if f.input, err = os.ReadFile(filepath.Join(dir, "input.yaml")); err != nil {
		return f, err
	}
	if b, err := os.ReadFile(filepath.Join(dir, "args")); err == nil {
		args := strings.Fields(string(b))
		for i, a := range args {
			if i+1 >= len(args) {
				break
			}
			switch a {
			case "--namespace":
				f.namespace = args[i+1]
			case "--config":
				path := strings.ReplaceAll(args[i+1], "{dir}", dir)
				if f.release, err = os.ReadFile(path); err != nil {
					return f, err
				}
			}
		}
	}
	release := map[string]any{}
	if err := yaml.Unmarshal(f.release, &release); err != nil {
		return f, fmt.Errorf("--config: %w", err)
	}

	objects := map[string]map[string]any{}
	for _, doc := range probe.SplitYAML(f.input) {
		var obj map[string]any
		if err := yaml.Unmarshal(doc, &obj); err != nil {
			return f, fmt.Errorf("input.yaml: %w", err)
		}
		objects[golden.Str(obj, "apiVersion")+"/"+golden.Str(obj, "kind")+"/"+golden.Str(obj, "metadata", "name")] = obj
	}

	calico := false
	seen := map[string]bool{}
	for _, doc := range probe.SplitYAML(want) {
		var obj map[string]any
		if err := yaml.Unmarshal(doc, &obj); err != nil {
			return f, fmt.Errorf("want.yaml: %w", err)
		}
		if doc, err = enforced(obj, doc); err != nil {
			return f, fmt.Errorf("want.yaml: %w", err)
		}
		apiVersion, kind := golden.Str(obj, "apiVersion"), golden.Str(obj, "kind")
		isCalico := apiVersion == "projectcalico.org/v3"
		if !isCalico && (apiVersion != "networking.k8s.io/v1" || kind != "NetworkPolicy") {
			continue
		}
		calico = calico || isCalico
		f.docs = append(f.docs, doc)
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
		for _, ns := range []string{f.namespace, golden.Str(obj, "metadata", "namespace"), "default"} {
			if fw.pod.Namespace == "" {
				fw.pod.Namespace = ns
			}
		}
		fw.pod.IP = fmt.Sprintf("10.244.0.%d", 10+len(f.workloads))
		f.workloads = append(f.workloads, fw)
	}
	f.calico = calico
	f.apiserverIP, f.apiserverPort = apiserverIP, apiserverPort
	serviceRanges := []netip.Prefix{netip.MustParsePrefix("10.96.0.0/12"), netip.MustParsePrefix("172.30.0.0/16"), netip.MustParsePrefix("fd00:10:96::/112")}
	for _, w := range f.workloads {
		api := golden.MapAt(w.config, "egress", "apiserver")
		cidrs, _ := api["cidrs"].([]any)
		for _, c := range cidrs {
			p, err := netip.ParsePrefix(fmt.Sprint(c))
			if err == nil && p.IsSingleIP() && !slices.ContainsFunc(serviceRanges, func(r netip.Prefix) bool { return r.Contains(p.Addr()) }) {
				f.apiserverIP = p.Addr().String()
				break
			}
		}
		if ports, _ := api["ports"].([]any); len(ports) > 0 {
			if n, ok := ports[0].(float64); ok {
				f.apiserverPort = int(n)
			}
		}
	}
	return f, nil
}

func workloadOf(ref string, obj, release map[string]any) (fixtureWorkload, error) {
	pod, config, err := golden.Workload(ref, obj, release)
	return fixtureWorkload{ref: ref, pod: pod, config: config}, err
}

// kubernetesRendering renders the fixture's config with engine kubernetes:
// in the config annotations and the --config file, engine: calico becomes
// kubernetes and the Calico passthrough rules (networkPolicy.calico) go, as
// that engine refuses them (an annotation wins over --config, so each is
// rewritten where it is); where egress is on, the kube-apiserver's address,
// which that engine needs (egress.apiserver.cidrs), comes in a --config
// layer. It says whether passthrough rules were dropped.
func kubernetesRendering(f fixture) ([][]byte, bool, error) {
	return render(f, "calico", "kubernetes")
}

// calicoRendering renders a kubernetes fixture's config with engine calico,
// the same way.
func calicoRendering(f fixture) ([][]byte, bool, error) {
	return render(f, "kubernetes", "calico")
}

// render renders the fixture's config with engine to instead of from.
func render(f fixture, from, to string) ([][]byte, bool, error) {
	dropped := false
	var input bytes.Buffer
	for _, doc := range probe.SplitYAML(f.input) {
		if !bytes.Contains(doc, []byte("helm-netpol.io/config")) {
			input.WriteString("---\n")
			input.Write(doc)
			continue
		}
		var obj map[string]any
		if err := yaml.Unmarshal(doc, &obj); err != nil {
			return nil, false, err
		}
		err := probe.EditConfigs(obj, func(cfg map[string]any) { dropped = switchEngine(cfg, from, to) || dropped })
		if err != nil {
			return nil, false, err
		}
		out, err := yaml.Marshal(obj)
		if err != nil {
			return nil, false, err
		}
		input.WriteString("---\n")
		input.Write(out)
	}
	release := map[string]any{}
	if err := yaml.Unmarshal(f.release, &release); err != nil {
		return nil, false, err
	}
	dropped = switchEngine(release, from, to) || dropped
	if to == "calico" {
		// A kubernetes fixture may not name its engine (the default).
		release = golden.Merge(release, map[string]any{"networkPolicy": map[string]any{"engine": "calico"}})
	}
	egress := false
	for _, w := range f.workloads {
		on, _ := golden.MapAt(w.config, "egress")["enabled"].(bool)
		egress = egress || on
	}
	if egress && to == "kubernetes" {
		release = golden.Merge(release, map[string]any{"networkPolicy": map[string]any{"egress": map[string]any{"apiserver": map[string]any{"cidrs": []any{netip.PrefixFrom(netip.MustParseAddr(f.apiserverIP), netip.MustParseAddr(f.apiserverIP).BitLen()).String()}}}}})
	}
	opts := transform.Options{Namespace: f.namespace}
	if len(release) > 0 {
		text, err := yaml.Marshal(release)
		if err != nil {
			return nil, false, err
		}
		if opts.Config, err = transform.ParseLayer(text, transform.LevelFile, "--config test", ""); err != nil {
			return nil, false, err
		}
	}
	out, _, err := transform.Process(input.Bytes(), opts)
	if err != nil {
		return nil, false, err
	}
	var docs [][]byte
	for _, doc := range probe.SplitYAML(out) {
		var tm struct{ APIVersion, Kind string }
		if err := yaml.Unmarshal(doc, &tm); err != nil {
			return nil, false, err
		}
		if tm.APIVersion == "projectcalico.org/v3" && to == "kubernetes" {
			return nil, false, fmt.Errorf("the kubernetes rendering holds a Calico %s", tm.Kind)
		}
		if tm.APIVersion == "networking.k8s.io/v1" && tm.Kind == "NetworkPolicy" || tm.APIVersion == "projectcalico.org/v3" {
			docs = append(docs, doc)
		}
	}
	return docs, dropped, nil
}

// enforced turns a staged object of a fixture rendered with
// networkPolicy.staged into the object it stages, in place, and returns its
// YAML (any other object's doc as it is): a StagedNetworkPolicy into the Calico
// NetworkPolicy, a StagedKubernetesNetworkPolicy into the networking.k8s.io/v1
// NetworkPolicy, of the same spec without stagedAction. A staged fixture is
// thus checked as it will be enforced once staged is turned off (render
// drops staged from the other rendering's config); that staged objects
// enforce nothing is TestStagedNeverEnforces's.
func enforced(obj map[string]any, doc []byte) ([]byte, error) {
	if golden.Str(obj, "apiVersion") != "projectcalico.org/v3" {
		return doc, nil
	}
	switch golden.Str(obj, "kind") {
	case "StagedNetworkPolicy":
		obj["kind"] = "NetworkPolicy"
	case "StagedKubernetesNetworkPolicy":
		obj["apiVersion"], obj["kind"] = "networking.k8s.io/v1", "NetworkPolicy"
	default:
		return doc, nil
	}
	if spec, ok := obj["spec"].(map[string]any); ok {
		if action := spec["stagedAction"]; action != nil && action != "Set" {
			return nil, fmt.Errorf("%s %s: stagedAction %v stages no policy to check", golden.Str(obj, "kind"), golden.Str(obj, "metadata", "name"), action)
		}
		delete(spec, "stagedAction")
	}
	return yaml.Marshal(obj)
}

// switchEngine turns a config's engine from into to (an unset engine is
// kubernetes) and drops its passthrough rules for from, saying whether there
// were any. It drops staged too: the other rendering is compared with the
// fixture's as enforced (see enforced).
func switchEngine(cfg map[string]any, from, to string) bool {
	np, ok := cfg["networkPolicy"].(map[string]any)
	if !ok {
		return false
	}
	delete(np, "staged")
	if engine, _ := np["engine"].(string); engine == from || engine == "" && from == "kubernetes" {
		np["engine"] = to
	}
	_, had := np[from]
	delete(np, from)
	return had
}

// peer is a catalogue entry.
type peer struct {
	name string
	peer Peer
}

// catalogue returns the probe peers of a workload: issue 12's list (the
// workload's own pods, another pod of the release, a pod of the namespace
// outside the release, a pod of monitoring, the DNS pods and another pod of
// kube-system, the kube-apiserver, node-local-dns's address, addresses
// outside the cluster and inside and just after each listed CIDR), with
// the fixture's other workloads.
func catalogue(f fixture, w fixtureWorkload, prefixes []netip.Prefix) []peer {
	instance := w.pod.Labels["app.kubernetes.io/instance"]
	if instance == "" {
		instance = "rel"
	}
	podPeer := func(p Pod) Peer { return Peer{Pod: &p} }
	own := w.pod
	own.IP = "10.244.0.200"
	peers := []peer{
		{"own pod", podPeer(own)},
		{"release pod", podPeer(Pod{Namespace: w.pod.Namespace, Labels: map[string]string{"app.kubernetes.io/instance": instance, "app.kubernetes.io/name": "another-component"}, IP: "10.244.0.201"})},
		{"namespace pod", podPeer(Pod{Namespace: w.pod.Namespace, Labels: map[string]string{"app.kubernetes.io/instance": "other-release", "app.kubernetes.io/name": "stranger"}, IP: "10.244.0.202"})},
		{"monitoring pod", podPeer(Pod{Namespace: "monitoring", Labels: map[string]string{"app.kubernetes.io/name": "prometheus"}, IP: "10.244.1.10"})},
		{"kube-dns pod", podPeer(Pod{Namespace: "kube-system", Labels: map[string]string{"k8s-app": "kube-dns"}, IP: "10.244.2.10"})},
		{"kube-system pod", podPeer(Pod{Namespace: "kube-system", Labels: map[string]string{"k8s-app": "metrics-server"}, IP: "10.244.2.11"})},
		{"kube-apiserver", Peer{Entity: EntityKubeAPIServer, IP: f.apiserverIP}},
		{"node-local-dns", Peer{Entity: EntityKubeDNSService, IP: nodeLocalDNS}},
		{"kube-dns ClusterIP", Peer{Entity: EntityKubeDNSService, IP: kubeDNSIP}},
		{"world", Peer{IP: worldIPv4}},
		{"world v6", Peer{IP: worldIPv6}},
	}
	for _, o := range f.workloads {
		if o.ref != w.ref {
			peers = append(peers, peer{"release pod " + o.ref, podPeer(o.pod)})
		}
	}
	for _, a := range probe.CIDREdges(prefixes) {
		peers = append(peers, peer{a.Name, Peer{IP: a.Addr.String()}})
	}
	return peers
}

// prefixes returns every CIDR the models' rules name.
func prefixes(models ...*Model) []netip.Prefix {
	set := map[netip.Prefix]bool{}
	for _, m := range models {
		for _, p := range m.policies {
			for _, rules := range p.rules {
				for _, r := range rules {
					for _, e := range []entityMatch{r.src, r.dst} {
						for _, n := range append(slices.Clone(e.nets), e.notNets...) {
							set[n] = true
						}
					}
				}
			}
		}
	}
	return slices.SortedFunc(maps.Keys(set), func(a, b netip.Prefix) int { return strings.Compare(a.String(), b.String()) })
}

// ports returns the catalogue's ports: every declared port, every port a
// rule names (a range by its ends), the kubelet's, the apiserver's, DNS and
// a free one.
func ports(w fixtureWorkload, models ...*Model) []int {
	set := map[int]bool{kubeletPort: true, freePort: true, 53: true, 443: true, 6443: true}
	for _, d := range w.pod.Ports {
		set[int(d.Port)] = true
	}
	for _, m := range models {
		for _, p := range m.policies {
			for _, rules := range p.rules {
				for _, r := range rules {
					for _, pm := range append(slices.Clone(r.dst.ports), r.dst.notPorts...) {
						if pm.name == "" && pm.min > 0 {
							set[pm.min], set[pm.max] = true, true
						}
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
var properties = []string{"selected", "default deny", "webhook", "metrics", "gate", "dns", "apiserver", "same release", "kubernetes rendering, cyclonus and our translation agree", "calico as kubernetes"}

type fixtureCheck struct {
	t       *testing.T
	f       fixture
	w       fixtureWorkload
	calico  *Model
	got     map[probeKey]result // the calico rendering, on Calico
	kube    map[probeKey]bool   // the kubernetes rendering, by cyclonus
	peers   map[string]Peer
	checked map[string]int
	// droppedPassthrough: the config has Calico passthrough rules, which
	// the kubernetes rendering does not.
	droppedPassthrough bool
}

func checkFixture(t *testing.T, f fixture, calicoDocs, kubeDocs [][]byte, dropped bool, checked map[string]int) []string {
	// The cluster of the catalogue, a kubeadm one: the kubernetes Service's
	// endpoint is the kube-apiserver's address, on 6443.
	opts := Options{APIServerIPs: []string{f.apiserverIP}, APIServerPorts: []int{f.apiserverPort}}
	calico, err := New(calicoDocs, opts)
	if err != nil {
		t.Fatalf("the calico rendering: %v", err)
	}
	kubeModel, err := New(kubeDocs, opts)
	if err != nil {
		t.Fatalf("the kubernetes rendering on Calico: %v", err)
	}
	var nps []*networkingv1.NetworkPolicy
	for _, doc := range kubeDocs {
		var np networkingv1.NetworkPolicy
		if err := yaml.UnmarshalStrict(doc, &np); err != nil {
			t.Fatal(err)
		}
		nps = append(nps, &np)
	}
	cyclonus := matcher.BuildNetworkPolicies(false, nps)

	var rows []string
	for _, w := range f.workloads {
		c := fixtureCheck{t: t, f: f, w: w, calico: calico, droppedPassthrough: dropped, got: map[probeKey]result{}, kube: map[probeKey]bool{}, peers: map[string]Peer{}, checked: checked}
		for _, pe := range catalogue(f, w, prefixes(calico, kubeModel)) {
			c.peers[pe.name] = pe.peer
			for _, port := range ports(w, calico, kubeModel) {
				for _, proto := range []string{"TCP", "UDP"} {
					for _, dir := range []Direction{Ingress, Egress} {
						k := probeKey{dir, pe.name, port, proto}
						probe := Probe{Direction: dir, Workload: w.pod, Peer: pe.peer, Port: port, Protocol: proto}
						r, err := calico.judge(probe)
						if err != nil {
							t.Fatalf("%s: %v", w.ref, err)
						}
						c.got[k] = r
						c.kube[k] = cyclonusAllows(cyclonus, probe)
						// Our translation of NetworkPolicy into Calico's model
						// must agree with cyclonus on the kubernetes rendering.
						kr, err := kubeModel.judge(probe)
						if err != nil {
							t.Fatalf("%s: the kubernetes rendering on Calico: %v", w.ref, err)
						}
						checked["kubernetes rendering, cyclonus and our translation agree"]++
						if kr.Allowed != c.kube[k] {
							t.Errorf("%s %s %s %d/%s: NetworkPolicy as Calico enforces it (our reading) says %v (%s), cyclonus %v", w.ref, dir, pe.name, port, proto, kr.Allowed, kr.Reason, c.kube[k])
						}
						if *showVerdicts {
							t.Logf("%s %s %s %d/%s: calico %v (%s); kubernetes %v", w.ref, dir, pe.name, port, proto, r.Allowed, r.Reason, c.kube[k])
						}
					}
				}
			}
		}
		c.properties()
		rows = append(rows, c.compare()...)
		rows = append(rows, c.findings()...)
	}
	return rows
}

// cyclonusAllows judges a probe with cyclonus's NetworkPolicy matcher: only
// the workload's side (ingress at the workload, or egress from it).
func cyclonusAllows(m *matcher.Policy, p Probe) bool {
	workload := trafficPeer(&p.Workload, "")
	other := trafficPeer(p.Peer.Pod, p.Peer.IP)
	traffic := &matcher.Traffic{Source: other, Destination: workload, ResolvedPort: p.Port, Protocol: corev1.Protocol(p.Protocol)}
	dst := &p.Workload
	if p.Direction == Egress {
		traffic.Source, traffic.Destination = workload, other
		dst = p.Peer.Pod
	}
	if dst != nil {
		for _, np := range dst.Ports {
			if int(np.Port) == p.Port && (np.Protocol == p.Protocol || np.Protocol == "" && p.Protocol == "TCP") {
				traffic.ResolvedPortName = np.Name
			}
		}
	}
	r := m.IsTrafficAllowed(traffic)
	if p.Direction == Ingress {
		return r.Ingress.IsAllowed()
	}
	return r.Egress.IsAllowed()
}

func trafficPeer(p *Pod, ip string) *matcher.TrafficPeer {
	if p == nil {
		return &matcher.TrafficPeer{IP: ip}
	}
	if ip == "" {
		ip = p.IP
	}
	return &matcher.TrafficPeer{IP: ip, Internal: &matcher.InternalPeer{PodLabels: p.Labels, NamespaceLabels: namespaceLabels(*p), Namespace: p.Namespace}}
}

func (c fixtureCheck) verdict(k probeKey) result {
	r, ok := c.got[k]
	if !ok {
		c.t.Fatalf("%s: no probe %v in the catalogue", c.w.ref, k)
	}
	return r
}

func (c fixtureCheck) errorf(format string, args ...any) {
	c.t.Helper()
	c.t.Errorf("%s: "+format, append([]any{c.w.ref}, args...)...)
}

// roleRules returns the rules of policies selecting the workload whose
// origin is origin (or, with a trailing ".", starts with it).
func (c fixtureCheck) roleRules(origin string) []*rule {
	labels := podLabels(c.w.pod)
	var out []*rule
	for _, p := range c.calico.policies {
		if !p.selector.EvaluateLabels(labels) {
			continue
		}
		for _, d := range []Direction{Ingress, Egress} {
			for i := range p.rules[d] {
				r := &p.rules[d][i]
				if r.origin == origin || strings.HasSuffix(origin, ".") && strings.HasPrefix(r.origin, origin) {
					out = append(out, r)
				}
			}
		}
	}
	return out
}

// firstPort returns a rule's first numbered port and its protocol (TCP
// unless it names UDP).
func firstPort(r *rule) (int, string, bool) {
	for _, pm := range r.dst.ports {
		if pm.name == "" && pm.min > 0 {
			proto := "TCP"
			if r.protocol == 17 {
				proto = "UDP"
			}
			return pm.min, proto, true
		}
	}
	return 0, "", false
}

// userWritten says whether a rule is one the user or the chart wrote
// (passthrough, additionalIngress, egress.to, the chart's own or rewritten
// policies), as opposed to one helm-netpol derives for a role.
func userWritten(r *rule) bool {
	if r == nil {
		return false
	}
	for _, prefix := range []string{"networkPolicy.additionalIngress", "networkPolicy.egress.to", "networkPolicy.calico.", "networking.k8s.io/"} {
		if strings.HasPrefix(r.origin, prefix) {
			return true
		}
	}
	return r.origin == "" // passthrough rules and the chart's own policies carry none
}

// properties asserts what holds on Calico and should.
func (c fixtureCheck) properties() {
	c.checked["selected"]++
	if r := c.verdict(probeKey{Ingress, "namespace pod", freePort, "TCP"}); len(r.selecting) == 0 {
		c.errorf("no policy selects the workload for ingress")
	}
	for _, k := range []probeKey{
		{Ingress, "namespace pod", freePort, "TCP"},
		{Ingress, "kube-system pod", freePort, "TCP"},
		{Ingress, "world", freePort, "TCP"},
		{Egress, "world", freePort, "TCP"},
		{Egress, "namespace pod", freePort, "TCP"},
	} {
		r := c.verdict(k)
		if k.dir == Egress && len(r.selecting) == 0 {
			continue // egress off
		}
		c.checked["default deny"]++
		if r.Allowed && !userWritten(r.rule) {
			c.errorf("%s %s %d/%s is open: %s", k.dir, k.peer, k.port, k.proto, r.Reason)
		}
	}
	for _, r := range c.roleRules("networkPolicy.webhook") {
		if port, proto, ok := firstPort(r); ok {
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
		for _, r := range append(c.roleRules(role.origin), c.roleRules(role.origin+".from")...) {
			if port, proto, ok := firstPort(r); ok {
				c.mustAllow(role.key, probeKey{Ingress, role.peer, port, proto})
			}
		}
	}
	egress := golden.MapAt(c.w.config, "egress")
	profile, _ := egress["dnsProfile"].(string)
	dnsNamespace, _ := egress["dnsNamespace"].(string)
	if (profile == "" || profile == "kube-dns") && (dnsNamespace == "" || dnsNamespace == "kube-system") && len(c.roleRules("networkPolicy.egress.dns")) > 0 {
		c.mustAllow("dns", probeKey{Egress, "kube-dns pod", 53, "UDP"})
		c.mustAllow("dns", probeKey{Egress, "kube-dns pod", 53, "TCP"})
	}
	if len(c.roleRules("networkPolicy.egress.apiserver")) > 0 {
		c.mustAllow("apiserver", probeKey{Egress, "kube-apiserver", c.f.apiserverPort, "TCP"})
	}
	if len(c.roleRules("networkPolicy.egress.sameRelease")) > 0 {
		for _, d := range c.w.pod.Ports {
			c.mustAllow("same release", probeKey{Egress, "own pod", int(d.Port), d.Protocol})
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

func (c fixtureCheck) mustAllow(property string, k probeKey) {
	c.t.Helper()
	c.checked[property]++
	if r := c.verdict(k); !r.Allowed {
		c.errorf("%s: %s %s %d/%s is denied: %s", property, k.dir, k.peer, k.port, k.proto, r.Reason)
	}
}

func (c fixtureCheck) row(finding string, k probeKey) string {
	r := c.verdict(k)
	verdict := "denied"
	if r.Allowed {
		verdict = "allowed"
	}
	kube := "denied"
	if c.kube[k] {
		kube = "allowed"
	}
	return fmt.Sprintf("| %s | %s | %s | %s %s %d/%s | %s: %s | %s |\n", c.f.name, c.w.ref, finding, k.dir, k.peer, k.port, k.proto, verdict, r.Reason, kube)
}

// A documented difference between the calico and the kubernetes
// renderings of one config: when explains says a differing probe is one,
// the probe is tabled, not failed.
type difference struct {
	name     string
	explains func(c fixtureCheck, k probeKey, r result) bool
}

var differences = []difference{
	{
		// Calico reaches the apiserver through Service default/kubernetes:
		// its endpoints' addresses and ports (felix/serviceindex), here
		// 10.0.0.1:6443; the kubernetes rendering through an ipBlock on the
		// configured CIDRs (egress.apiserver.cidrs), on 443 and 6443 for
		// every address in them. They differ on the port the endpoints do
		// not use (443 here, where nothing listens), and would for another
		// address in the CIDRs.
		"apiserver: Calico's Service match vs an ipBlock on egress.apiserver.cidrs",
		func(c fixtureCheck, k probeKey, r result) bool {
			return k.dir == Egress && c.peers[k.peer].IP == c.f.apiserverIP && (r.rule != nil && r.rule.dst.service != nil || c.kube[k])
		},
	},
	{
		// Passthrough rules (networkPolicy.calico, networkPolicy.kubernetes)
		// exist in their own engine's rendering only: the other engine
		// refuses them, so the comparison renders the config without them.
		"passthrough: rules of one engine's passthrough list",
		func(c fixtureCheck, k probeKey, r result) bool {
			// A Calico passthrough rule decided (it carries no origin, in a
			// generated policy). A dropped networkPolicy.kubernetes list
			// would need cyclonus to name its rules: none is dropped today.
			return c.droppedPassthrough && r.rule != nil && r.rule.origin == "" && r.rule.policy.origin != ""
		},
	},
	{
		// node-local-dns answers on a host address (169.254.20.10, or the
		// kube-dns ClusterIP): no pod selector matches it on either engine;
		// a profile that allows it does so by address in both renderings.
		"node-local-dns: a host address, not a kube-system pod",
		func(c fixtureCheck, k probeKey, r result) bool {
			return k.peer == "node-local-dns" || k.peer == "kube-dns ClusterIP"
		},
	},
}

// compare asserts that the calico rendering allows what the kubernetes
// rendering allows, probe by probe, except the documented differences,
// which it tables.
func (c fixtureCheck) compare() []string {
	var rows []string
	keys := slices.SortedFunc(maps.Keys(c.got), func(a, b probeKey) int {
		return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
	})
	for _, k := range keys {
		r := c.got[k]
		c.checked["calico as kubernetes"]++
		if r.Allowed == c.kube[k] {
			continue
		}
		explained := false
		for _, d := range differences {
			if d.explains(c, k, r) {
				rows = append(rows, c.row("difference: "+d.name, k))
				explained = true
				break
			}
		}
		if !explained {
			c.errorf("%s %s %d/%s: the calico rendering %s, the kubernetes rendering (cyclonus) %s", k.dir, k.peer, k.port, k.proto, verdictWord(r.Allowed)+" ("+r.Reason+")", verdictWord(c.kube[k]))
		}
	}
	return rows
}

func verdictWord(allowed bool) string {
	if allowed {
		return "allows"
	}
	return "denies"
}

// findings tables the issue 12 defects this fixture shows on Calico.
func (c fixtureCheck) findings() []string {
	var rows []string
	allowedBy := func(k probeKey, origin string) bool {
		r := c.verdict(k)
		return r.Allowed && r.rule != nil && strings.HasPrefix(r.rule.origin, origin)
	}
	// 7: DNS egress reaches every pod of the DNS namespace.
	if k := (probeKey{Egress, "kube-system pod", 53, "UDP"}); allowedBy(k, "networkPolicy.egress.dns") {
		rows = append(rows, c.row("7: DNS egress open to the whole DNS namespace", k))
	}
	// Egress on while the kube-apiserver stays out of reach.
	if k := (probeKey{Egress, "kube-apiserver", c.f.apiserverPort, "TCP"}); len(c.verdict(k).selecting) > 0 && !c.verdict(k).Allowed {
		rows = append(rows, c.row("the kube-apiserver is unreachable", k))
	}
	// 5: node-local-dns with its profile.
	if profile, _ := golden.MapAt(c.w.config, "egress")["dnsProfile"].(string); profile == "node-local-dns" {
		for _, peer := range []string{"node-local-dns", "kube-dns ClusterIP"} {
			if k := (probeKey{Egress, peer, 53, "UDP"}); !c.verdict(k).Allowed {
				rows = append(rows, c.row("5: node-local-dns is not allowed", k))
			}
		}
	}
	return rows
}

// TestKubernetesFixturesAsCalico runs the same catalogue and cross-dialect
// check on every fixture rendered for the kubernetes engine: its config
// rendered again with engine calico must allow exactly what its
// NetworkPolicies allow (cyclonus), except the documented differences.
func TestKubernetesFixturesAsCalico(t *testing.T) {
	wants, err := filepath.Glob(filepath.Join(fixturesDir, "*", "want.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var table []string
	checked := map[string]int{}
	evaluated := 0
	for _, want := range wants {
		f, err := loadFixture(filepath.Dir(want))
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(filepath.Dir(want)), err)
			continue
		}
		if f.calico || len(f.workloads) == 0 {
			continue
		}
		evaluated++
		t.Run(f.name, func(t *testing.T) {
			calicoDocs, dropped, err := calicoRendering(f)
			if err != nil {
				t.Fatalf("the calico rendering: %v", err)
			}
			table = append(table, checkFixture(t, f, calicoDocs, f.docs, dropped, checked)...)
		})
	}
	if evaluated < 10 {
		t.Errorf("evaluated %d kubernetes fixtures, want at least 10", evaluated)
	}
	t.Logf("properties checked: %v", checked)
	t.Logf("calico vs kubernetes rendering, and issue 12 findings on Calico:\n%s%s", tableHeader, strings.Join(table, ""))
}
