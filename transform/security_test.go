package transform

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/helm-netpol/helm-netpol/internal/config"
	"github.com/helm-netpol/helm-netpol/internal/findings"
	"github.com/helm-netpol/helm-netpol/internal/manifest"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// securityRun is one input and its options.
type securityRun struct {
	name  string
	input []byte
	opts  Options
}

// fixtureRuns returns every golden fixture that renders (not error-*), with the options
// its args file gives, as main_test.go runs them.
func fixtureRuns(t *testing.T) []securityRun {
	t.Helper()
	var runs []securityRun
	for _, r := range allFixtureRuns(t) {
		if r.refused {
			continue
		}
		runs = append(runs, r.securityRun)
	}
	return runs
}

// fixtureRun is a golden fixture, and whether it is one of a refused run.
type fixtureRun struct {
	securityRun
	dir     string
	refused bool
}

// allFixtureRuns returns every golden fixture, with the options its args file gives.
func allFixtureRuns(t *testing.T) []fixtureRun {
	t.Helper()
	files, err := filepath.Glob("../fixtures/*/input.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures/*/input.yaml: %v", err)
	}
	var runs []fixtureRun
files:
	for _, file := range files {
		dir := filepath.Dir(file)
		name := filepath.Base(dir)
		_, err := os.Stat(filepath.Join(dir, "error.txt"))
		refused := strings.HasPrefix(name, "error-") || err == nil
		in, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		opts := Options{}
		if b, err := os.ReadFile(filepath.Join(dir, "args")); err == nil {
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
					l, err := config.ParseLayer(text, config.LevelFile, "--config "+value, "")
					if err != nil && refused {
						continue files // the command refuses it before reading the stream
					}
					if err != nil {
						t.Fatalf("%s: --config: %v", name, err)
					}
					opts.Config = l
				case "namespace":
					opts.Namespace = value
				case "release":
					opts.Release = value
				case "strict":
					opts.Strict = true
				default:
					t.Fatalf("%s: args: flag %q is unknown to this test", name, flag)
				}
			}
		}
		runs = append(runs, fixtureRun{securityRun: securityRun{name: "fixture " + name, input: in, opts: opts}, dir: dir, refused: refused})
	}
	return runs
}

// corpusConfigs are the release-wide configs the real chart renders run under.
var corpusConfigs = []struct{ name, text string }{
	{"keepExisting", "networkPolicy: {enabled: true, keepExisting: true}"},
	{"defaultDeny", "networkPolicy: {enabled: true, keepExisting: true, defaultDeny: {enabled: true}}"},
	{"egress", "networkPolicy: {enabled: true, keepExisting: true, defaultDeny: {enabled: true}, egress: {enabled: true, apiserver: {cidrs: [10.0.0.1/32, 'fd00::1/128']}}}"},
	{"cilium", "networkPolicy: {enabled: true, engine: cilium, keepExisting: true, defaultDeny: {enabled: true}, egress: {enabled: true}}"},
	{"calico", "networkPolicy: {enabled: true, engine: calico, keepExisting: true, defaultDeny: {enabled: true}, egress: {enabled: true}}"},
	// Under clusterNetworkPolicy a chart's own NetworkPolicy would decide alone at the
	// Baseline tier, so keepExisting is refused there: the chart policies are rewritten.
	{"clusterNetworkPolicy", "networkPolicy: {enabled: true, engine: clusterNetworkPolicy, rewrite: true, defaultDeny: {enabled: true}, egress: {enabled: true, apiserver: {cidrs: [10.0.0.1/32, 'fd00::1/128']}}}"},
}

func corpusRuns(t *testing.T) []securityRun {
	t.Helper()
	var runs []securityRun
	for _, file := range corpus(t) {
		in, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimPrefix(file, "../fixtures/corpus/")
		for _, c := range corpusConfigs {
			runs = append(runs, securityRun{
				name:  "corpus " + name + " " + c.name,
				input: in,
				opts:  Options{Config: mustLayer(c.text, config.LevelFile, "--config "+c.name), Release: "rel", Namespace: "ns"},
			})
		}
	}
	return runs
}

func TestSecurityProperties(t *testing.T) {
	runs := append(fixtureRuns(t), issue16Runs(t)...)
	if !testing.Short() {
		runs = append(runs, corpusRuns(t)...)
	}
	checked := 0
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			out, res, err := Process(r.input, r.opts)
			if err != nil {
				if strings.HasPrefix(r.name, "fixture ") {
					t.Fatalf("the fixture does not render: %v", err)
				}
				t.Fatalf("a real chart does not render under a release-wide config: %v", err)
			}
			_ = out
			s := parseInput(t, r.input)
			denies := map[string]string{}
			for _, g := range res.Generated {
				checkSelectsSomePods(t, g.Node)
				checkOpensDeclaredPorts(t, g.Node, s, r.opts)
				checkMarker(t, g.Node, s)
				checkPinsRelease(t, g.Node, s)
				checkOneDenyPerNamespace(t, g.Node, r.opts, denies)
				checked++
			}
		})
	}
	if checked == 0 {
		t.Fatal("no generated object was checked")
	}
}

// inputStream is the input's objects, read independently of the product's discovery.
type inputStream struct {
	objects []map[string]any
}

// parseInput reads the objects of the input that matter here (workloads, Services, webhook
// configurations, CRDs with a conversion webhook, carriers; the product's own filter of what
// it reads, used only to skip the rest quickly).
func parseInput(t *testing.T, in []byte) *inputStream {
	t.Helper()
	s, err := manifest.ReadFiltered(in, relevant, passThrough)
	if err != nil {
		t.Fatal(err)
	}
	is := &inputStream{}
	for _, d := range s.Docs {
		if d.Node == nil || d.Node.YNode().Kind != yaml.MappingNode {
			continue
		}
		js, err := d.Node.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(js, &m); err != nil {
			t.Fatal(err)
		}
		is.objects = append(is.objects, m)
	}
	return is
}

// at returns the value at a path of maps.
func at(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func asStr(v any) string { s, _ := v.(string); return s }

func asList(v any) []any { l, _ := v.([]any); return l }

// workloadFor finds the input object a generated object was made for.
func (s *inputStream) workloadFor(g *yaml.RNode) map[string]any {
	m, ok := manifest.ParseMarker(g.GetAnnotations()[manifest.AnnotationGeneratedFor])
	if !ok || m.Release != "" {
		return nil
	}
	for _, o := range s.objects {
		meta := at(o, "metadata")
		if asStr(at(o, "apiVersion")) != m.APIVersion || asStr(at(o, "kind")) != m.Kind || asStr(at(meta, "name")) != m.Name || asStr(at(meta, "namespace")) != m.Namespace {
			continue
		}
		return o
	}
	return nil
}

// podTemplate returns the pod template (metadata and spec) of a workload object.
func podTemplate(o map[string]any) map[string]any {
	switch asStr(at(o, "kind")) {
	case "Pod":
		return o
	case "CronJob":
		m, _ := at(o, "spec", "jobTemplate", "spec", "template").(map[string]any)
		return m
	}
	m, _ := at(o, "spec", "template").(map[string]any)
	return m
}

// podLabels returns a workload's pod labels.
func podLabels(o map[string]any) map[string]string {
	out := map[string]string{}
	if m, ok := at(podTemplate(o), "metadata", "labels").(map[string]any); ok {
		for k, v := range m {
			out[k] = fmt.Sprint(v)
		}
	}
	return out
}

// declaredPorts returns the ports the pods declare, by number and by name.
func declaredPorts(o map[string]any) (numbers map[int]bool, names map[string]int) {
	numbers, names = map[int]bool{}, map[string]int{}
	spec := at(podTemplate(o), "spec")
	for _, field := range []string{"containers", "initContainers"} {
		for _, c := range asList(at(spec, field)) {
			for _, p := range asList(at(c, "ports")) {
				n, ok := at(p, "containerPort").(float64)
				if !ok {
					continue
				}
				numbers[int(n)] = true
				if name := asStr(at(p, "name")); name != "" {
					names[name] = int(n)
				}
			}
		}
	}
	return numbers, names
}

// ownConfig returns the config a workload carries itself (pod template first), as a tree.
func ownConfig(o map[string]any) map[string]any {
	for _, meta := range []any{at(podTemplate(o), "metadata"), at(o, "metadata")} {
		text := asStr(at(meta, "annotations", manifest.AnnotationConfig))
		if text == "" {
			continue
		}
		l, err := config.ParseLayer([]byte(text), config.LevelWorkload, "own", "")
		if err == nil {
			return l.Tree
		}
	}
	return nil
}

// webhookRouted tells whether a webhook configuration or CRD conversion webhook of the
// stream calls a Service that selects the workload's pods.
func (s *inputStream) webhookRouted(o map[string]any) bool {
	ns := asStr(at(o, "metadata", "namespace"))
	var refs []any
	for _, x := range s.objects {
		switch asStr(at(x, "kind")) {
		case "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration":
			for _, wh := range asList(at(x, "webhooks")) {
				refs = append(refs, at(wh, "clientConfig", "service"))
			}
		case "CustomResourceDefinition":
			refs = append(refs, at(x, "spec", "conversion", "webhook", "clientConfig", "service"))
		}
	}
	pl := labels.Set(podLabels(o))
	for _, ref := range refs {
		if ref == nil {
			continue
		}
		for _, svc := range s.objects {
			if asStr(at(svc, "kind")) != "Service" || asStr(at(svc, "metadata", "name")) != asStr(at(ref, "name")) {
				continue
			}
			if sns := asStr(at(svc, "metadata", "namespace")); sns != "" && ns != "" && sns != ns {
				continue
			}
			sel := map[string]string{}
			m, _ := at(svc, "spec", "selector").(map[string]any)
			for k, v := range m {
				sel[k] = fmt.Sprint(v)
			}
			if len(sel) > 0 && labels.SelectorFromSet(sel).Matches(pl) {
				return true
			}
		}
	}
	return false
}

// positive tells whether a label selector requires some label to be present: without such a
// requirement it selects (nearly) every pod.
func positive(sel any) bool {
	if m, ok := at(sel, "matchLabels").(map[string]any); ok && len(m) > 0 {
		return true
	}
	for _, e := range asList(at(sel, "matchExpressions")) {
		switch asStr(at(e, "operator")) {
		case "In", "Exists":
			return true
		}
	}
	return false
}

// exempt tells whether a generated object may select every pod: the default-deny, and a
// chart policy translated under rewrite.
func exempt(g *yaml.RNode) bool {
	m, _ := manifest.ParseMarker(g.GetAnnotations()[manifest.AnnotationGeneratedFor])
	return m.Release != "" || m.Kind == "NetworkPolicy"
}

func toMap(t *testing.T, g *yaml.RNode) map[string]any {
	t.Helper()
	js, err := g.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(js, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// checkSelectsSomePods is property (a).
func checkSelectsSomePods(t *testing.T, g *yaml.RNode) {
	t.Helper()
	if exempt(g) {
		return
	}
	m := toMap(t, g)
	id := manifest.NewObject(g).ID()
	every := false
	switch dialectOf(m) {
	case "networking.k8s.io/v1 NetworkPolicy":
		every = !positive(at(m, "spec", "podSelector"))
	case "cilium.io/v2 CiliumNetworkPolicy":
		every = !positive(at(m, "spec", "endpointSelector"))
	case "projectcalico.org/v3 NetworkPolicy":
		every = !calicoPositive(asStr(at(m, "spec", "selector")))
	case "policy.networking.k8s.io/v1alpha2 ClusterNetworkPolicy":
		every = at(m, "spec", "subject", "namespaces") != nil || !positive(at(m, "spec", "subject", "pods", "podSelector"))
	default:
		t.Fatalf("%s: unknown kind", id)
	}
	if every {
		t.Errorf("%s (for %s) selects every pod of its namespace", id, g.GetAnnotations()[manifest.AnnotationGeneratedFor])
	}
}

// dialectOf is the apiVersion and kind whose spec an object holds: a staged kind holds the
// spec of its enforced counterpart.
func dialectOf(m map[string]any) string {
	switch k := asStr(m["apiVersion"]) + " " + asStr(m["kind"]); k {
	case "projectcalico.org/v3 StagedNetworkPolicy":
		return "projectcalico.org/v3 NetworkPolicy"
	case "projectcalico.org/v3 StagedKubernetesNetworkPolicy":
		return "networking.k8s.io/v1 NetworkPolicy"
	default:
		return k
	}
}

// calicoPositive tells whether a Calico selector expression requires some label.
func calicoPositive(sel string) bool {
	for _, part := range strings.Split(sel, " && ") {
		part = strings.TrimSpace(part)
		switch {
		case strings.HasPrefix(part, "has("):
			return true
		case strings.Contains(part, " == "):
			return true
		case strings.Contains(part, " in {") && !strings.Contains(part, " not in {"):
			return true
		}
	}
	return false
}

// ingressOpening is one thing an ingress rule allows: a port (0: every port) of a protocol
// ("*": every protocol) from a peer ("*": anywhere).
type ingressOpening struct {
	proto string
	port  int
	peer  string
}

// ingressOpenings reads what a rendered allowlist allows in, per engine. Passthrough rules
// the config added verbatim are left out: the user wrote them.
func ingressOpenings(t *testing.T, m map[string]any, names map[string]int, passthrough []any) []ingressOpening {
	t.Helper()
	var out []ingressOpening
	add := func(ports []ingressOpening, peers []string) {
		if len(ports) == 0 {
			ports = []ingressOpening{{proto: "*"}}
		}
		if len(peers) == 0 {
			peers = []string{"*"}
		}
		for _, p := range ports {
			for _, peer := range peers {
				out = append(out, ingressOpening{p.proto, p.port, peer})
			}
		}
	}
	proto := func(v any) string {
		if p := strings.ToUpper(asStr(v)); p != "" && p != "ANY" {
			return p
		}
		if v == nil {
			return "TCP"
		}
		return "*"
	}
	port := func(v any) int {
		switch v := v.(type) {
		case float64:
			return int(v)
		case string:
			if n, err := strconv.Atoi(v); err == nil {
				return n
			}
			if lo, _, ok := strings.Cut(v, ":"); ok {
				n, _ := strconv.Atoi(lo)
				return n
			}
			if n, ok := names[v]; ok {
				return n
			}
			t.Errorf("named port %q that the pods do not declare", v)
		}
		return -1
	}
	key := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	verbatim := map[string]bool{}
	for _, r := range passthrough {
		verbatim[key(r)] = true
	}
	spec := at(m, "spec")
	for _, r := range asList(at(spec, "ingress")) {
		if verbatim[key(r)] {
			continue
		}
		var ports []ingressOpening
		var peers []string
		switch dialectOf(m) {
		case "networking.k8s.io/v1 NetworkPolicy":
			for _, p := range asList(at(r, "ports")) {
				ports = append(ports, ingressOpening{proto: proto(at(p, "protocol")), port: port(at(p, "port"))})
			}
			for _, p := range asList(at(r, "from")) {
				peers = append(peers, key(p))
			}
		case "cilium.io/v2 CiliumNetworkPolicy":
			if at(r, "fromEndpoints") == nil && at(r, "fromCIDRSet") == nil && at(r, "fromEntities") == nil {
				continue // the rule {} selects no peer: it isolates, it allows nothing
			}
			for _, tp := range asList(at(r, "toPorts")) {
				for _, p := range asList(at(tp, "ports")) {
					ports = append(ports, ingressOpening{proto: proto(at(p, "protocol")), port: port(at(p, "port"))})
				}
			}
			for _, e := range asList(at(r, "fromEntities")) {
				if asStr(e) == "all" {
					peers = append(peers, "*")
				} else {
					peers = append(peers, "entity:"+asStr(e))
				}
			}
			for _, e := range asList(at(r, "fromEndpoints")) {
				peers = append(peers, "endpoints:"+key(e))
			}
			for _, c := range asList(at(r, "fromCIDRSet")) {
				peers = append(peers, "cidr:"+key(c))
			}
		case "projectcalico.org/v3 NetworkPolicy":
			if asStr(at(r, "action")) != "Allow" {
				continue
			}
			pr := "*"
			if at(r, "protocol") != nil {
				pr = proto(at(r, "protocol"))
			}
			for _, p := range asList(at(r, "destination", "ports")) {
				ports = append(ports, ingressOpening{proto: pr, port: port(p)})
			}
			if len(ports) == 0 && pr != "*" {
				ports = append(ports, ingressOpening{proto: pr})
			}
			if src := at(r, "source"); src != nil {
				peers = append(peers, key(src))
			}
		case "policy.networking.k8s.io/v1alpha2 ClusterNetworkPolicy":
			if asStr(at(r, "action")) != "Accept" {
				continue
			}
			for _, p := range asList(at(r, "protocols")) {
				for _, proto := range []string{"tcp", "udp", "sctp"} {
					dp := at(p, proto, "destinationPort")
					if dp == nil {
						continue
					}
					pr := strings.ToUpper(proto)
					if n, ok := at(dp, "number").(float64); ok {
						ports = append(ports, ingressOpening{proto: pr, port: int(n)})
					} else if start, ok := at(dp, "range", "start").(float64); ok {
						if start == 1 && at(dp, "range", "end") == float64(65535) {
							ports = append(ports, ingressOpening{proto: pr})
						} else {
							ports = append(ports, ingressOpening{proto: pr, port: int(start)})
						}
					}
				}
			}
			for _, p := range asList(at(r, "from")) {
				if ns, ok := at(p, "namespaces").(map[string]any); ok && len(ns) == 0 {
					peers = append(peers, "*")
				} else {
					peers = append(peers, key(p))
				}
			}
		}
		add(ports, peers)
	}
	return out
}

// checkOpensDeclaredPorts is property (b).
func checkOpensDeclaredPorts(t *testing.T, g *yaml.RNode, s *inputStream, opts Options) {
	t.Helper()
	if exempt(g) {
		return
	}
	w := s.workloadFor(g)
	if w == nil {
		t.Errorf("%s: generated for %s, which the input does not hold", manifest.NewObject(g).ID(), g.GetAnnotations()[manifest.AnnotationGeneratedFor])
		return
	}
	numbers, names := declaredPorts(w)
	allowed := map[int]bool{}
	for n := range numbers {
		allowed[n] = true
	}
	if v, err := strconv.Atoi(asStr(at(podTemplate(w), "metadata", "annotations", manifest.AnnotationPromPort))); err == nil {
		allowed[v] = true
	}
	// The config: the workload's own over the release-wide ones.
	var trees []map[string]any
	if opts.Config != nil {
		trees = append(trees, opts.Config.Tree)
	}
	for _, o := range s.objects {
		if text := asStr(at(o, "metadata", "annotations", manifest.AnnotationConfig)); text != "" && podTemplate(o) == nil {
			if l, err := config.ParseLayer([]byte(text), config.LevelRelease, "", ""); err == nil {
				trees = append(trees, l.Tree)
			}
		}
	}
	own := ownConfig(w)
	if own != nil {
		trees = append(trees, own)
	}
	allPorts := false
	var passthrough []any
	for _, tree := range trees {
		for _, role := range []string{"webhook", "metrics", "gate"} {
			if p, ok := at(tree, "ports", role).(int64); ok {
				allowed[int(p)] = true
			}
		}
		for _, r := range asList(at(tree, "networkPolicy", "additionalIngress")) {
			if len(asList(at(r, "ports"))) == 0 {
				allPorts = true
			}
			for _, p := range asList(at(r, "ports")) {
				switch v := at(p, "port").(type) {
				case int64:
					hi := v
					if e, ok := at(p, "endPort").(int64); ok {
						hi = e
					}
					for n := v; n <= hi; n++ {
						allowed[int(n)] = true
					}
				case nil:
					allPorts = true
				}
			}
		}
		for _, e := range []string{"cilium", "calico", "clusterNetworkPolicy"} {
			passthrough = append(passthrough, asList(at(tree, "networkPolicy", e, "ingress"))...)
		}
	}
	// The documented defaults of the roles, where the workload has the role.
	if s.webhookRouted(w) || at(own, "webhook", "enabled") == true {
		allowed[config.DefaultWebhookPort] = true
	}
	if at(own, "gate", "enabled") == true {
		allowed[config.DefaultGatePort] = true
	}
	m := toMap(t, g)
	for _, o := range ingressOpenings(t, m, names, normalize(t, passthrough)) {
		switch {
		case o.port == 0 && !allPorts:
			t.Errorf("%s opens every port from %s, and no config rule without ports asks for it", manifest.NewObject(g).ID(), o.peer)
		case o.port > 0 && !allowed[o.port] && !allPorts:
			t.Errorf("%s opens port %d from %s: the pods of %s do not declare it, the config does not name it, and it is no default of a role the workload has", manifest.NewObject(g).ID(), o.port, o.peer, g.GetAnnotations()[manifest.AnnotationGeneratedFor])
		}
	}
}

// normalize turns config trees (YAML-decoded, int64 numbers) into the JSON-decoded form of
// rendered objects, so that passthrough rules compare.
func normalize(t *testing.T, v []any) []any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out []any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// knobs are the `from` knobs property (c) sets, one at a time, each to a peer its role
// accepts (the webhook's must be able to match the apiserver, so an ipBlock).
var knobs = []struct{ role, from string }{
	{"webhook", `[{ipBlock: {cidr: 10.0.0.0/8}}]`},
	{"metrics", `[{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]`},
	{"gate", `[{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: flagger-system}}}]`},
	{"otherPorts", `[{podSelector: {matchLabels: {role: client}}}]`},
}

// TestFromKnobsOnlyRestrict is property (c): the same input rendered with one `from` knob
// set allows, per workload, a subset of what it allows with the knob empty.
func TestFromKnobsOnlyRestrict(t *testing.T) {
	runs := fixtureRuns(t)
	if !testing.Short() {
		for _, r := range corpusRuns(t) {
			if !strings.HasSuffix(r.name, " defaultDeny") && !strings.HasSuffix(r.name, " cilium") {
				continue // the fixtures cover every engine; the real charts add their ports
			}
			runs = append(runs, r)
		}
	}
	compared := 0
	for _, r := range runs {
		base, _, err := Process(r.input, r.opts)
		if err != nil {
			continue // TestSecurityProperties reports it
		}
		is := parseInput(t, r.input)
		baseOpen := openingsByWorkload(t, base, is)
		for _, k := range knobs {
			t.Run(r.name+" "+k.role, func(t *testing.T) {
				baseOpen := baseOpen
				if r.opts.Config != nil && len(asList(at(r.opts.Config.Tree, "networkPolicy", k.role, "from"))) > 0 {
					// The run's --config sets the knob itself: compare with it emptied.
					opts := r.opts
					opts.Config = withKnob(t, r.opts.Config, k.role, "[]")
					empty, _, err := Process(r.input, opts)
					if err != nil {
						t.Fatalf("refused with networkPolicy.%s.from emptied: %v", k.role, err)
					}
					baseOpen = openingsByWorkload(t, empty, is)
				}
				opts := r.opts
				opts.Config = withKnob(t, r.opts.Config, k.role, k.from)
				out, _, err := Process(r.input, opts)
				if err != nil {
					// Refused (no workload has the role, or the engine cannot express the
					// peer): nothing is opened at all.
					return
				}
				for ref, got := range openingsByWorkload(t, out, is) {
					was, ok := baseOpen[ref]
					if !ok {
						t.Errorf("%s: the knob gave %s a policy it did not have", k.role, ref)
						continue
					}
					var narrowed []ingressOpening
					for _, o := range got {
						if !covers(was, o) {
							t.Errorf("networkPolicy.%s.from widened %s: it now allows %s port %d from %s, which the empty knob did not", k.role, ref, o.proto, o.port, o.peer)
						}
						if o.peer != "*" && !contains(was, o) {
							narrowed = append(narrowed, ingressOpening{o.proto, o.port, "*"})
						}
					}
					// Where the knob narrowed a port, that port is no longer open to all.
					for _, n := range narrowed {
						if covers(got, n) && covers(was, n) {
							t.Errorf("networkPolicy.%s.from narrowed %s port %d of %s, yet another rule still opens it to every source", k.role, n.proto, n.port, ref)
						}
					}
					if fmt.Sprint(got) != fmt.Sprint(was) {
						compared++
					}
				}
			})
		}
	}
	if compared == 0 {
		t.Fatal("no knob changed any policy: the comparison proved nothing")
	}
	t.Logf("%d policies narrowed by a knob and compared", compared)
}

// withKnob returns the release-wide layer with networkPolicy.<role>.from set.
func withKnob(t *testing.T, base *config.Layer, role, from string) *config.Layer {
	t.Helper()
	knob := mustLayer(fmt.Sprintf("networkPolicy: {%s: {from: %s}}", role, from), config.LevelFile, "--config knob")
	if base == nil {
		return knob
	}
	tree := deepMerge(deepCopy(base.Tree), knob.Tree)
	return &config.Layer{Level: config.LevelFile, Object: base.Object, Tree: tree}
}

func deepCopy(m map[string]any) map[string]any {
	b, _ := json.Marshal(m)
	l, err := config.ParseLayer(b, config.LevelFile, "", "")
	if err != nil {
		panic(err)
	}
	return l.Tree
}

func deepMerge(dst, src map[string]any) map[string]any {
	for k, v := range src {
		if sm, ok := v.(map[string]any); ok {
			if dm, ok := dst[k].(map[string]any); ok {
				dst[k] = deepMerge(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
	return dst
}

// openingsByWorkload reads the ingress openings of every generated allowlist in a rendered
// stream, by the workload it is for.
func openingsByWorkload(t *testing.T, out []byte, is *inputStream) map[string][]ingressOpening {
	t.Helper()
	s, err := manifest.ReadFiltered(out, func(n *yaml.RNode) bool {
		_, ok := n.GetAnnotations()[manifest.AnnotationGeneratedFor]
		return ok
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	res := map[string][]ingressOpening{}
	for _, d := range s.Docs {
		if d.Node == nil || d.Node.YNode().Kind != yaml.MappingNode {
			continue
		}
		ref, ok := d.Node.GetAnnotations()[manifest.AnnotationGeneratedFor]
		if !ok || exempt(d.Node) {
			continue
		}
		var names map[string]int
		if w := is.workloadFor(d.Node); w != nil {
			_, names = declaredPorts(w)
		}
		got := ingressOpenings(t, toMap(t, d.Node), names, nil)
		sort.Slice(got, func(i, j int) bool {
			return fmt.Sprint(got[i]) < fmt.Sprint(got[j])
		})
		res[ref+" "+d.Node.GetNamespace()] = got
	}
	return res
}

// covers tells whether what was allowed includes o.
func covers(was []ingressOpening, o ingressOpening) bool {
	for _, w := range was {
		if (w.proto == "*" || w.proto == o.proto) && (w.port == 0 || w.port == o.port) && (w.peer == "*" || w.peer == o.peer) {
			return true
		}
	}
	return false
}

func contains(l []ingressOpening, o ingressOpening) bool {
	for _, x := range l {
		if x == o {
			return true
		}
	}
	return false
}

// TestWorkloadsWithoutSelectorLabels is property (d).
func TestWorkloadsWithoutSelectorLabels(t *testing.T) {
	bare := func(kind, config string) string {
		ann := ""
		if config != "" {
			ann = "      annotations: {helm-netpol.io/config: " + yamlString(config) + "}\n"
		}
		apiVersion := "apps/v1"
		if kind == "Job" {
			apiVersion = "batch/v1"
		}
		return fmt.Sprintf(`apiVersion: %s
kind: %s
metadata:
  name: bare
  namespace: shop
spec:
  template:
    metadata:
%s    spec:
      containers: [{name: c, image: nginx, ports: [{containerPort: 8080}]}]
`, apiVersion, kind, ann)
	}
	pod := func(config string) string {
		ann := ""
		if config != "" {
			ann = "  annotations: {helm-netpol.io/config: " + yamlString(config) + "}\n"
		}
		return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: bare\n  namespace: shop\n" + ann + "spec:\n  containers: [{name: c, image: nginx}]\n"
	}
	labelled := deployment("web", web, "")
	release := mustLayer("networkPolicy: {enabled: true, defaultDeny: {enabled: true}}", config.LevelFile, "--config test")
	for _, c := range []struct {
		name       string
		input, own string
		field      string // where the finding points
	}{
		{"Deployment", bare("Deployment", ""), bare("Deployment", enabled), "spec.selector"},
		{"StatefulSet", bare("StatefulSet", ""), bare("StatefulSet", enabled), "spec.selector"},
		{"Pod", pod(""), pod(enabled), "metadata.labels"},
		{"Deployment with selector {}", strings.Replace(bare("Deployment", ""), "spec:\n  template:", "spec:\n  selector: {}\n  template:", 1),
			strings.Replace(bare("Deployment", enabled), "spec:\n  template:", "spec:\n  selector: {}\n  template:", 1), "spec.selector"},
	} {
		t.Run(c.name+", own config", func(t *testing.T) {
			_, _, err := Process([]byte(c.own), Options{})
			if err == nil || !strings.Contains(err.Error(), ": "+c.field+": ") || !strings.Contains(err.Error(), "select every pod") {
				t.Fatalf("want an error at %s saying the policy would select every pod; got %v", c.field, err)
			}
		})
		t.Run(c.name+", release-wide config", func(t *testing.T) {
			in := []byte(c.input + "---\n" + labelled)
			out, res, err := Process(in, Options{Config: release, Release: "rel"})
			if err != nil {
				t.Fatal(err)
			}
			warned := false
			for _, f := range res.Findings {
				warned = warned || f.Severity == findings.SeverityWarning && strings.Contains(f.Object, "bare") && f.Where == c.field
			}
			if !warned {
				t.Errorf("no warning finding at %s for the skipped workload: %v", c.field, res.Findings)
			}
			for _, g := range res.Generated {
				if strings.Contains(g.For, "/bare") {
					t.Errorf("the workload without selector labels got %s:\n%s", g.ID(), out)
				}
				checkSelectsSomePods(t, g.Node)
			}
			if len(res.Generated) != 2 {
				t.Errorf("want the labelled workload's allowlist and the default-deny, got %d objects", len(res.Generated))
			}
		})
	}
	t.Run("Job without labels is selected by its job-name", func(t *testing.T) {
		out, res, err := Process([]byte(bare("Job", enabled)), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Generated) != 1 || !strings.Contains(string(out), manifest.LabelJobName+": bare") {
			t.Fatalf("want one allowlist selecting %s: bare:\n%s", manifest.LabelJobName, out)
		}
		checkSelectsSomePods(t, res.Generated[0].Node)
	})
}

// TestNegativeSelectorIsNotASelector: a selector with only NotIn or DoesNotExist
// requirements selects every pod that lacks a label, which is every pod of the namespace
// but a few; the workload must be treated as one without selector labels.
func TestNegativeSelectorIsNotASelector(t *testing.T) {
	in := `apiVersion: apps/v1
kind: Deployment
metadata:
  name: neg
  namespace: shop
spec:
  selector:
    matchExpressions: [{key: canary, operator: DoesNotExist}]
  template:
    metadata:
      annotations: {helm-netpol.io/config: 'networkPolicy: {enabled: true}'}
    spec:
      containers: [{name: c, image: nginx, ports: [{containerPort: 8080}]}]
`
	_, res, err := Process([]byte(in), Options{})
	if err == nil {
		for _, g := range res.Generated {
			checkSelectsSomePods(t, g.Node)
		}
		t.Fatalf("want an error at spec.selector; got %d generated objects", len(res.Generated))
	}
	if !strings.Contains(err.Error(), "spec.selector") {
		t.Fatalf("want an error at spec.selector; got %v", err)
	}
}

// issue16Runs are inputs of issue 16 that render: a selector that mentions the release
// label without pinning it, workloads with and without a namespace under --namespace, and
// ClusterNetworkPolicies of namespaces and releases whose names share "-".
func issue16Runs(t *testing.T) []securityRun {
	t.Helper()
	rel := map[string]string{"app": "web", "app.kubernetes.io/instance": "rel"}
	exists := strings.Replace(workloadDoc("shop", "web", rel, ""), "    matchLabels:\n      app: \"web\"\n      app.kubernetes.io/instance: \"rel\"\n",
		"    matchLabels:\n      app: \"web\"\n    matchExpressions: [{key: app.kubernetes.io/instance, operator: Exists}]\n", 1)
	deny := "networkPolicy: {enabled: true, defaultDeny: {enabled: true}}"
	cnp := "networkPolicy: {enabled: true, engine: clusterNetworkPolicy, defaultDeny: {enabled: true}}"
	return []securityRun{
		{name: "issue16 Exists on the release label", input: []byte(exists), opts: Options{Config: mustLayer(enabled, config.LevelFile, "--config test")}},
		{name: "issue16 no namespace and --namespace", input: joinDocs(workloadDoc("", "a", map[string]string{"app": "a", "app.kubernetes.io/instance": "rel"}, ""), workloadDoc("shop", "b", map[string]string{"app": "b", "app.kubernetes.io/instance": "rel"}, "")),
			opts: Options{Config: mustLayer(deny, config.LevelFile, "--config test"), Namespace: "shop", Release: "rel"}},
		{name: "issue16 ClusterNetworkPolicy names", input: joinDocs(workloadDoc("a-b", "c-d", map[string]string{"app": "x", "app.kubernetes.io/instance": "e"}, ""), workloadDoc("a", "b-c-d", map[string]string{"app": "x", "app.kubernetes.io/instance": "e"}, "")),
			opts: Options{Config: mustLayer(cnp, config.LevelFile, "--config test")}},
	}
}

// checkMarker is property (e): a generated object is of a kind helm-netpol writes, and its
// helm-netpol.io/generated-for names a release, or an object of the input with its
// namespace.
func checkMarker(t *testing.T, g *yaml.RNode, s *inputStream) {
	t.Helper()
	o := manifest.NewObject(g)
	v := g.GetAnnotations()[manifest.AnnotationGeneratedFor]
	m, ok := manifest.ParseMarker(v)
	switch {
	case !manifest.GeneratedKind(o.APIVersion, o.Kind):
		t.Errorf("%s: helm-netpol does not write this kind", o.ID())
	case !ok:
		t.Errorf("%s: helm-netpol.io/generated-for %q does not parse", o.ID(), v)
	case m.Release != "":
	case s.workloadFor(g) == nil && m.Kind != "NetworkPolicy":
		t.Errorf("%s: helm-netpol.io/generated-for %q names no object of the input", o.ID(), v)
	}
}

// checkPinsRelease is property (f): an allowlist for a workload whose pods carry the
// release label selects only pods of that release.
func checkPinsRelease(t *testing.T, g *yaml.RNode, s *inputStream) {
	t.Helper()
	w := s.workloadFor(g)
	if w == nil || exempt(g) {
		return
	}
	release, ok := podLabels(w)[manifest.LabelInstance]
	if !ok {
		return
	}
	m := toMap(t, g)
	pins := func(sel any) bool {
		if asStr(at(sel, "matchLabels", manifest.LabelInstance)) == release {
			return true
		}
		for _, e := range asList(at(sel, "matchExpressions")) {
			if vs := asList(at(e, "values")); asStr(at(e, "key")) == manifest.LabelInstance && asStr(at(e, "operator")) == "In" && len(vs) == 1 && asStr(vs[0]) == release {
				return true
			}
		}
		return false
	}
	var ok2 bool
	switch asStr(m["apiVersion"]) + " " + asStr(m["kind"]) {
	case "networking.k8s.io/v1 NetworkPolicy", "projectcalico.org/v3 StagedKubernetesNetworkPolicy":
		ok2 = pins(at(m, "spec", "podSelector"))
	case "cilium.io/v2 CiliumNetworkPolicy":
		ok2 = pins(at(m, "spec", "endpointSelector"))
	case "projectcalico.org/v3 NetworkPolicy", "projectcalico.org/v3 StagedNetworkPolicy":
		ok2 = strings.Contains(asStr(at(m, "spec", "selector")), manifest.LabelInstance+" == '"+release+"'")
	case "policy.networking.k8s.io/v1alpha2 ClusterNetworkPolicy":
		ok2 = pins(at(m, "spec", "subject", "pods", "podSelector"))
	}
	if !ok2 {
		t.Errorf("%s: the pods of %s carry %s: %s, and its selector lets other releases' pods through", manifest.NewObject(g).ID(), g.GetAnnotations()[manifest.AnnotationGeneratedFor], manifest.LabelInstance, release)
	}
}

// checkOneDenyPerNamespace is property (g): one default-deny per namespace it lands in (a
// policy without a namespace lands in --namespace), and none in the namespaces no release
// owns.
func checkOneDenyPerNamespace(t *testing.T, g *yaml.RNode, opts Options, seen map[string]string) {
	t.Helper()
	m, _ := manifest.ParseMarker(g.GetAnnotations()[manifest.AnnotationGeneratedFor])
	if m.Release == "" {
		return
	}
	o := manifest.NewObject(g)
	ns := o.Namespace
	if ns == "" {
		ns = m.Namespace
	}
	if ns == "" {
		ns = opts.Namespace
	}
	switch ns {
	case "kube-system", "kube-public", "kube-node-lease":
		t.Errorf("%s: a default-deny in %s", o.ID(), ns)
	}
	key := ns + "/" + m.Release
	if other, ok := seen[key]; ok && ns != "" {
		t.Errorf("%s and %s: two default-denies of release %s land in namespace %s", other, o.ID(), m.Release, ns)
	}
	seen[key] = o.ID()
}
