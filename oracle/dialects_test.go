package oracle

import (
	"bytes"
	"fmt"
	"maps"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/helm-netpol/helm-netpol/oracle/probe"
	"github.com/helm-netpol/helm-netpol/transform"
	"sigs.k8s.io/yaml"
)

// The four dialects, kubernetes first: every other dialect is compared with it.
var dialects = []string{"kubernetes", "cilium", "calico", "clusterNetworkPolicy"}

// dialectJudges says which engine's own code judges each dialect compared with the
// kubernetes rendering: the kubernetes rendering is judged by the same engine, so that a
// difference is one of the dialects and not of the engines.
var dialectJudges = []struct{ dialect, judge string }{
	{"cilium", "Cilium"},
	{"clusterNetworkPolicy", "Cilium"},
	{"calico", "Calico"},
}

// minDialectConfigs is the floor of configs compared in all four dialects: the run
// compares 53 of the 69 configs today (the clusterNetworkPolicy engine refuses the rest).
const minDialectConfigs = 50

// dialectConfigs returns every golden fixture that renders and every real chart render
// under corpusConfigs' defaultDeny and egress, the engine-neutral ones.
func dialectConfigs(t *testing.T) []renderCase {
	t.Helper()
	var out []renderCase
	for _, r := range corpusRenders(t) {
		if strings.HasSuffix(r.name, " defaultDeny") || strings.HasSuffix(r.name, " egress") {
			out = append(out, r)
		}
	}
	return append(fixtureRenders(t), out...)
}

// inEngine returns r with every config layer switched to engine (the --config layer and
// every helm-netpol.io/config annotation of the input): see switchEngine.
func inEngine(r renderCase, engine string) (renderCase, map[string]bool, error) {
	dropped := map[string]bool{}
	out := r
	if r.opts.Config != nil {
		tree, err := deepCopy(r.opts.Config.Tree)
		if err != nil {
			return out, nil, err
		}
		if tree == nil {
			tree = map[string]any{}
		}
		switchEngine(tree, engine, true, dropped)
		text, err := yaml.Marshal(tree)
		if err != nil {
			return out, nil, err
		}
		if out.opts.Config, err = transform.ParseLayer(text, transform.LevelFile, r.opts.Config.Object, r.opts.Config.Where); err != nil {
			return out, nil, fmt.Errorf("the switched --config layer: %w", err)
		}
	} else {
		text, err := yaml.Marshal(map[string]any{"networkPolicy": map[string]any{"engine": engine}})
		if err != nil {
			return out, nil, err
		}
		if out.opts.Config, err = transform.ParseLayer(text, transform.LevelFile, "--config "+engine, ""); err != nil {
			return out, nil, err
		}
	}
	var input bytes.Buffer
	for _, doc := range probe.SplitYAML(r.input) {
		input.WriteString("---\n")
		if !bytes.Contains(doc, []byte("helm-netpol.io/config")) {
			input.Write(doc)
			continue
		}
		var obj map[string]any
		if err := yaml.Unmarshal(doc, &obj); err != nil {
			return out, nil, err
		}
		err := probe.EditConfigs(obj, func(cfg map[string]any) { switchEngine(cfg, engine, false, dropped) })
		if err != nil {
			return out, nil, err
		}
		text, err := yaml.Marshal(obj)
		if err != nil {
			return out, nil, err
		}
		input.Write(text)
	}
	out.input = input.Bytes()
	return out, dropped, nil
}

// switchEngine turns one config layer into engine's: networkPolicy.engine set (in the
// --config layer; in an annotation only where it names one), the passthrough lists
// networkPolicy.<engine> and staged dropped (one engine's own rules, a preview only some
// engines have), and, where the layer switches egress on without naming the apiserver's
// addresses, egress.apiserver.cidrs set to the catalogue's apiserver (the kubernetes and
// clusterNetworkPolicy engines need it; on the others it changes nothing).
func switchEngine(cfg map[string]any, engine string, release bool, dropped map[string]bool) {
	np, ok := cfg["networkPolicy"].(map[string]any)
	if !ok {
		if !release {
			return
		}
		np = map[string]any{}
		cfg["networkPolicy"] = np
	}
	if _, named := np["engine"]; named || release {
		np["engine"] = engine
	}
	for _, k := range []string{"staged", "kubernetes", "cilium", "calico", "clusterNetworkPolicy"} {
		if _, ok := np[k]; ok {
			dropped["networkPolicy."+k] = true
			delete(np, k)
		}
	}
	egress, _ := np["egress"].(map[string]any)
	if on, _ := egress["enabled"].(bool); on {
		apiserver, _ := egress["apiserver"].(map[string]any)
		if apiserver == nil {
			apiserver = map[string]any{}
			egress["apiserver"] = apiserver
		}
		if _, named := apiserver["cidrs"]; !named {
			apiserver["cidrs"] = []any{apiserverIP + "/32"}
		}
	}
}

// inReleaseNamespace puts the namespaced policies that name no namespace in the release
// namespace (namespace, else default), where Helm creates them.
func inReleaseNamespace(t *testing.T, docs []document, namespace string) []document {
	t.Helper()
	if namespace == "" {
		namespace = "default"
	}
	for i, d := range docs {
		if d.namespace != "" || strings.HasPrefix(d.kind, "Cluster") || strings.HasPrefix(d.kind, "Global") || d.kind == "CiliumClusterwideNetworkPolicy" {
			continue
		}
		meta, _ := d.obj["metadata"].(map[string]any)
		if meta == nil {
			meta = map[string]any{}
			d.obj["metadata"] = meta
		}
		meta["namespace"] = namespace
		text, err := yaml.Marshal(d.obj)
		if err != nil {
			t.Fatal(err)
		}
		docs[i].text, docs[i].namespace = text, namespace
	}
	return docs
}

// deepCopy copies a decoded YAML tree.
func deepCopy(tree map[string]any) (map[string]any, error) {
	text, err := yaml.Marshal(tree)
	if err != nil {
		return nil, err
	}
	var out map[string]any
	err = yaml.Unmarshal(text, &out)
	return out, err
}

// rendering is one config rendered in one dialect.
type rendering struct {
	docs      []document
	workloads []covered
}

// dialectProbe is a probe on which a dialect and the kubernetes rendering, judged by the
// same engine, differ. It does not name the config, so that no classifier can.
type dialectProbe struct {
	dialect string // cilium, calico or clusterNetworkPolicy
	judge   string // Cilium or Calico
	c       probeCase
	entry   catalogueEntry
	kube    verdictOf // the kubernetes rendering's verdict
	other   verdictOf // the dialect's
}

// verdictOf is one engine's verdict on one rendering.
type verdictOf struct {
	allowed bool
	reason  string
}

// entity tells the probe's peer entity ("" for a pod or a bare address).
func (d dialectProbe) entity() string { return d.entry.peer.Entity }

// ingress and egress tell the probe's direction.
func (d dialectProbe) ingress() bool { return d.c.probe.Direction == "ingress" }
func (d dialectProbe) egress() bool  { return d.c.probe.Direction == "egress" }

// bareAddress tells whether the peer is an address with neither a pod nor an entity: a
// world address to every engine.
func (d dialectProbe) bareAddress() bool {
	return d.entry.peer.Pod == nil && d.entry.peer.Entity == ""
}

// dialectDifferences classify the probes on which a dialect and the kubernetes rendering
// differ: one per row of docs/engines.md's "Where the dialects differ", by its id. Each
// describes the cause (peer, direction, port, which side allows), never a config.
var dialectDifferences = map[string]func(d dialectProbe) bool{
	// engine cilium names the apiserver as the entity kube-apiserver; an ipBlock on
	// egress.apiserver.cidrs does not match a node's address on Cilium.
	"cilium-apiserver-entity": func(d dialectProbe) bool {
		return d.dialect == "cilium" && d.egress() && d.entity() == "kube-apiserver" &&
			d.onlyOtherAllows() && strings.Contains(d.other.reason, "(networkPolicy.egress.apiserver)")
	},
	// A narrowed webhook also admits the entity kube-apiserver under engine cilium; the
	// kubernetes engine's webhook.from ipBlocks do not match a node's address on Cilium.
	"cilium-webhook-apiserver": func(d dialectProbe) bool {
		return d.dialect == "cilium" && d.ingress() && d.entity() == "kube-apiserver" &&
			d.onlyOtherAllows() && strings.Contains(d.other.reason, "(networkPolicy.webhook.from")
	},
	// Under dnsProfile node-local-dns engine cilium opens DNS to the host entity, the
	// kubernetes engine to the node-local addresses as ipBlocks.
	"cilium-node-local-dns": func(d dialectProbe) bool {
		if d.dialect != "cilium" || !d.egress() || d.c.probe.Port != 53 {
			return false
		}
		hostSide := (d.entity() == "host" || d.entity() == "kube-dns-service") &&
			d.onlyOtherAllows() && strings.Contains(d.other.reason, "(networkPolicy.egress.dns)")
		addressSide := d.bareAddress() && d.onlyKubeAllows() && strings.Contains(d.kube.reason, "(networkPolicy.egress.dns)")
		return hostSide || addressSide
	},
	// engine calico reaches Service default/kubernetes, wherever its endpoints are; the
	// kubernetes engine reaches egress.apiserver.cidrs on egress.apiserver.ports.
	"calico-apiserver-service": func(d dialectProbe) bool {
		return d.dialect == "calico" && d.egress() && d.entity() == "kube-apiserver" &&
			d.onlyOtherAllows() && strings.Contains(d.other.reason, "(networkPolicy.egress.apiserver)")
	},
	// ClusterNetworkPolicy ingress peers are namespaces and pods: nothing matches an
	// address or a node, so ingress from them stays open.
	"cnp-ingress-addresses": func(d dialectProbe) bool {
		return d.dialect == "clusterNetworkPolicy" && d.ingress() && d.entry.peer.Pod == nil &&
			d.onlyOtherAllows() && strings.HasPrefix(d.other.reason, "allowed by Cilium's allow-any-ingress rule")
	},
	// The closing egress Deny's networks are CIDR selectors on Cilium, which skip the
	// node identities.
	"cnp-egress-nodes": func(d dialectProbe) bool {
		e := d.entity()
		return d.dialect == "clusterNetworkPolicy" && d.egress() &&
			(e == "host" || e == "remote-node" || e == "kube-apiserver" || e == "kube-dns-service") &&
			d.onlyOtherAllows() && strings.HasPrefix(d.other.reason, "allowed by Cilium's allow-any-egress rule")
	},
}

// onlyOtherAllows and onlyKubeAllows tell which side allows the probe.
func (d dialectProbe) onlyOtherAllows() bool { return d.other.allowed && !d.kube.allowed }
func (d dialectProbe) onlyKubeAllows() bool  { return d.kube.allowed && !d.other.allowed }

// docRow is a row of docs/engines.md's table of differences.
type docRow struct {
	id, dialects string
}

// dialectTable reads the table of docs/engines.md's section "Where the dialects differ":
// the rows' ids (the first column, backticked) and dialects (the second).
func dialectTable(t *testing.T) []docRow {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "docs", "engines.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Where the dialects differ\n")
	if !ok {
		t.Fatal("docs/engines.md has no section \"## Where the dialects differ\"")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	row := regexp.MustCompile("^\\| `([a-z0-9-]+)` \\| ([^|]+) \\|")
	var rows []docRow
	for _, line := range strings.Split(section, "\n") {
		if m := row.FindStringSubmatch(line); m != nil {
			rows = append(rows, docRow{id: m[1], dialects: strings.TrimSpace(m[2])})
		}
	}
	if len(rows) == 0 {
		t.Fatal("docs/engines.md's \"Where the dialects differ\" holds no table row of the form | `id` | dialects | ...")
	}
	return rows
}

// TestDialectsAgree: one config rendered in the four dialects allows the same probes,
// except the differences docs/engines.md tables. For every golden fixture and every real
// chart render under the engine-neutral release-wide configs, the config is rendered with
// each engine (switchEngine); the catalogue's probes on every covered workload are judged
// by Cilium 1.20.2's own policy resolution on the kubernetes, cilium and
// clusterNetworkPolicy renderings and by calicoverdict on the kubernetes and calico ones;
// each dialect must answer as the kubernetes rendering judged by the same engine, but for
// probes that exactly one row of the table explains. A row that explains no probe fails
// (stale), as does a row without a classifier or a classifier without a row.
func TestDialectsAgree(t *testing.T) {
	ty := newDialectTally(t, dialectTable(t))
	for _, r := range dialectConfigs(t) {
		t.Run(r.name, func(t *testing.T) {
			set, ok := ty.render(t, r)
			if !ok {
				return
			}
			if len(set.cases) == 0 {
				t.Logf("covers no workload: nothing to compare")
				return
			}
			ty.compare(t, set, set.judge(t))
		})
	}
	t.Log(ty.summary())
	if ty.compared < minDialectConfigs {
		t.Errorf("compared %d configs in all four dialects, want at least %d: the comparison proves little", ty.compared, minDialectConfigs)
	}
	for _, r := range ty.rows {
		if ty.explained[r.id] == 0 && dialectDifferences[r.id] != nil {
			t.Errorf("docs/engines.md: row `%s` explains no probe of the run: it is stale, or its classifier too narrow", r.id)
		}
	}
}

// dialectTally counts what TestDialectsAgree compared and explained.
type dialectTally struct {
	rows       []docRow
	ids        []string          // of dialectDifferences, sorted
	dialectsOf map[string]string // a row's dialects column, by id
	compared   int               // configs rendered in all four dialects
	configs    map[string]int    // configs compared, by dialect
	rendered   map[string]int    // configs, by engine
	refused    map[string]map[string][]string
	dropped    map[string][]string // configs, by the keys switchEngine dropped
	probes     map[string]int      // comparisons, by dialect
	differing  int
	failed     int            // unexplained, or explained by more than one row
	explained  map[string]int // by row
}

// newDialectTally checks that the table's rows and the classifiers name each other.
func newDialectTally(t *testing.T, rows []docRow) *dialectTally {
	t.Helper()
	ty := &dialectTally{rows: rows, ids: slices.Sorted(maps.Keys(dialectDifferences)), dialectsOf: map[string]string{},
		rendered: map[string]int{}, refused: map[string]map[string][]string{}, dropped: map[string][]string{},
		probes: map[string]int{}, explained: map[string]int{}, configs: map[string]int{}}
	for _, r := range rows {
		ty.dialectsOf[r.id] = r.dialects
		if dialectDifferences[r.id] == nil {
			t.Errorf("docs/engines.md: row `%s` has no classifier in dialectDifferences", r.id)
		}
	}
	for _, id := range ty.ids {
		if _, ok := ty.dialectsOf[id]; !ok {
			t.Errorf("dialectDifferences[%q] has no row in docs/engines.md's \"Where the dialects differ\"", id)
		}
	}
	for _, e := range dialects {
		ty.refused[e] = map[string][]string{}
	}
	return ty
}

// dialectSet is one config rendered in the four dialects, with the catalogue's probes.
type dialectSet struct {
	config  string
	renders map[string]rendering
	cases   []probeCase
	entries []catalogueEntry // each case's peer
}

// render renders r in every dialect and builds one catalogue for the renderings (the
// addresses and ports any of them names). An engine that refuses the config is counted
// and logged, and its dialect left out of the comparison; render says false when the
// kubernetes engine refuses it, or every other engine does.
func (ty *dialectTally) render(t *testing.T, r renderCase) (dialectSet, bool) {
	t.Helper()
	set := dialectSet{config: r.name, renders: map[string]rendering{}}
	var prefixes []netip.Prefix
	ports := map[string][]int{}
	for _, e := range dialects {
		s, dropped, err := inEngine(r, e)
		if err != nil {
			t.Fatalf("switch to %s: %v", e, err)
		}
		if len(dropped) > 0 && e == "kubernetes" {
			keys := strings.Join(slices.Sorted(maps.Keys(dropped)), ", ")
			ty.dropped[keys] = append(ty.dropped[keys], r.name)
		}
		out, res, err := transform.Process(s.input, s.opts)
		if err != nil {
			first, _, _ := strings.Cut(err.Error(), "\n")
			ty.refused[e][first] = append(ty.refused[e][first], r.name)
			t.Logf("engine %s refuses the config: %s", e, first)
			continue
		}
		ty.rendered[e]++
		docs := inReleaseNamespace(t, policyDocuments(t, out), s.opts.Namespace)
		p, ps := policyFacts(docs)
		prefixes = append(prefixes, p...)
		for ns, l := range ps {
			ports[ns] = append(ports[ns], l...)
		}
		set.renders[e] = rendering{docs: docs, workloads: coveredWorkloads(res, s.opts)}
	}
	if _, ok := set.renders["kubernetes"]; !ok || len(set.renders) < 2 {
		return set, false
	}
	if len(set.renders) == len(dialects) {
		ty.compared++
	}
	for _, dj := range dialectJudges {
		if _, ok := set.renders[dj.dialect]; ok {
			ty.configs[dj.dialect]++
		}
	}
	slices.SortFunc(prefixes, func(a, b netip.Prefix) int { return strings.Compare(a.String(), b.String()) })
	prefixes = slices.Compact(prefixes)
	for ns := range ports {
		slices.Sort(ports[ns])
		ports[ns] = slices.Compact(ports[ns])
	}
	workloads := set.renders["kubernetes"].workloads
	for _, e := range dialects[1:] {
		if _, ok := set.renders[e]; !ok {
			continue
		}
		if got, want := refs(set.renders[e].workloads), refs(workloads); !slices.Equal(got, want) {
			t.Errorf("the %s rendering covers %v, the kubernetes rendering %v", e, got, want)
		}
	}
	for i := range workloads {
		w := &workloads[i]
		peers := catalogue(*w, workloads, prefixes)
		for _, c := range catalogueProbes(w, peers, probePorts(*w, ports)) {
			set.cases = append(set.cases, c)
			set.entries = append(set.entries, peers[slices.IndexFunc(peers, func(p catalogueEntry) bool { return p.name == c.peer })])
		}
	}
	return set, true
}

// refs names workloads.
func refs(ws []covered) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.ref)
	}
	return out
}

// judge runs the probes on Cilium (the kubernetes, cilium and clusterNetworkPolicy
// renderings: the objects Cilium enforces) and on Calico (the kubernetes and calico
// renderings), one run per rendering, and returns the verdicts by "judge dialect".
func (set dialectSet) judge(t *testing.T) map[string][]verdictOf {
	t.Helper()
	batch := make([]transform.Probe, len(set.cases))
	for i, c := range set.cases {
		batch[i] = c.probe
		batch[i].Workload = c.workload.pod // the verdict commands take the pods
	}
	verdicts := map[string][]verdictOf{}
	for _, e := range []string{"kubernetes", "cilium", "clusterNetworkPolicy"} {
		if _, ok := set.renders[e]; !ok {
			continue
		}
		var enforced [][]byte
		for _, d := range set.renders[e].docs {
			enforce, known := ciliumKinds[d.apiVersion+" "+d.kind]
			if !known {
				t.Fatalf("the %s rendering holds a %s %s: say whether Cilium enforces it (ciliumKinds)", e, d.apiVersion, d.kind)
			}
			if enforce {
				enforced = append(enforced, d.text)
			}
		}
		vs, err := CiliumVerdicts(enforced, batch)
		if err != nil {
			t.Fatalf("the %s rendering on Cilium: %v", e, err)
		}
		for _, v := range vs {
			verdicts["Cilium "+e] = append(verdicts["Cilium "+e], verdictOf{v.Allowed, v.Reason})
		}
	}
	for _, e := range []string{"kubernetes", "calico"} {
		if _, ok := set.renders[e]; !ok {
			continue
		}
		var docs [][]byte
		for _, d := range set.renders[e].docs {
			docs = append(docs, d.text)
		}
		// The test cluster's Service default/kubernetes: the catalogue's apiserver, on 443
		// and 6443.
		vs, err := CalicoVerdicts(docs, batch, []string{apiserverIP}, nil)
		if err != nil {
			t.Fatalf("the %s rendering on Calico: %v", e, err)
		}
		for _, v := range vs {
			verdicts["Calico "+e] = append(verdicts["Calico "+e], verdictOf{v.Allowed, v.Reason})
		}
	}
	return verdicts
}

// compare checks each dialect against the kubernetes rendering judged by the same engine,
// and fails a differing probe that not exactly one row explains.
func (ty *dialectTally) compare(t *testing.T, set dialectSet, verdicts map[string][]verdictOf) {
	t.Helper()
	failures := 0
	for _, dj := range dialectJudges {
		kube, other := verdicts[dj.judge+" kubernetes"], verdicts[dj.judge+" "+dj.dialect]
		if other == nil {
			continue // the engine refused the config
		}
		ty.probes[dj.dialect] += len(set.cases)
		for i, c := range set.cases {
			if kube[i].allowed == other[i].allowed {
				continue
			}
			ty.differing++
			d := dialectProbe{dialect: dj.dialect, judge: dj.judge, c: c, entry: set.entries[i], kube: kube[i], other: other[i]}
			var by []string
			for _, id := range ty.ids {
				if dialectDifferences[id](d) {
					by = append(by, id)
				}
			}
			why := ""
			switch {
			case len(by) == 0:
				why = "no row of docs/engines.md's \"Where the dialects differ\" explains it"
			case len(by) > 1:
				why = "rows " + strings.Join(by, ", ") + " all explain it: make them narrower"
			case !strings.Contains(ty.dialectsOf[by[0]], dj.dialect):
				why = fmt.Sprintf("row `%s` explains it, but its dialects column (%s) does not name %s", by[0], ty.dialectsOf[by[0]], dj.dialect)
			default:
				ty.explained[by[0]]++
				continue
			}
			ty.failed++
			if failures++; failures <= 20 {
				t.Errorf("%s on %s: %s\n  kubernetes: allowed %v: %s\n  %s: allowed %v: %s\n  %s", dj.dialect, dj.judge, c, kube[i].allowed, kube[i].reason, dj.dialect, other[i].allowed, other[i].reason, why)
			}
		}
	}
	if failures > 20 {
		t.Errorf("... and %d more differences", failures-20)
	}
}

// summary tells what was compared and explained, and what each engine refused.
func (ty *dialectTally) summary() string {
	var b strings.Builder
	total := 0
	var per []string
	for _, dj := range dialectJudges {
		total += ty.probes[dj.dialect]
		per = append(per, fmt.Sprintf("%s against kubernetes on %s: %d probes over %d configs", dj.dialect, dj.judge, ty.probes[dj.dialect], ty.configs[dj.dialect]))
	}
	fmt.Fprintf(&b, "%d configs compared in all four dialects; %d probe comparisons (%s); %d differ: %d explained, %d not\n",
		ty.compared, total, strings.Join(per, ", "), ty.differing, ty.differing-ty.failed, ty.failed)
	b.WriteString("| row | dialects | probes |\n|---|---|---|\n")
	for _, r := range ty.rows {
		fmt.Fprintf(&b, "| `%s` | %s | %d |\n", r.id, r.dialects, ty.explained[r.id])
	}
	for _, e := range dialects {
		n := 0
		for _, configs := range ty.refused[e] {
			n += len(configs)
		}
		fmt.Fprintf(&b, "engine %s renders %d configs, refuses %d\n", e, ty.rendered[e], n)
	}
	for _, e := range dialects {
		for _, first := range slices.Sorted(maps.Keys(ty.refused[e])) {
			configs := ty.refused[e][first]
			fmt.Fprintf(&b, "engine %s refuses %d configs (%s): %s\n", e, len(configs), strings.Join(configs, "; "), first)
		}
	}
	for _, keys := range slices.Sorted(maps.Keys(ty.dropped)) {
		fmt.Fprintf(&b, "compared without %s: %s\n", keys, strings.Join(ty.dropped[keys], "; "))
	}
	return b.String()
}
