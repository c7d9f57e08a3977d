package transform

import (
	"encoding/json"
	"fmt"
	"math/rand"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// render builds its tree directly (objectTree) where renderSlow encodes the object as YAML
// text and parses it again. The tests below check that the two give the same tree (kinds,
// tags, styles, values, comments, order) and the same text, on every fixture and corpus
// run, and on policies with awkward strings.

// treeDiff is the first difference between two trees, or "". Line and Column are not
// compared: the direct tree does not set them.
func treeDiff(path string, a, b *yaml.Node) string {
	switch {
	case a == nil || b == nil:
		if a != b {
			return fmt.Sprintf("%s: one node is nil", path)
		}
		return ""
	case a.Kind != b.Kind:
		return fmt.Sprintf("%s: kind %v, want %v", path, a.Kind, b.Kind)
	case a.Style != b.Style:
		return fmt.Sprintf("%s: style %v, want %v (value %q)", path, a.Style, b.Style, b.Value)
	case a.Tag != b.Tag:
		return fmt.Sprintf("%s: tag %q, want %q (value %q)", path, a.Tag, b.Tag, b.Value)
	case a.Value != b.Value:
		return fmt.Sprintf("%s: value %q, want %q", path, a.Value, b.Value)
	case a.Anchor != b.Anchor || (a.Alias == nil) != (b.Alias == nil):
		return fmt.Sprintf("%s: anchor or alias differ", path)
	case a.HeadComment != b.HeadComment || a.LineComment != b.LineComment || a.FootComment != b.FootComment:
		return fmt.Sprintf("%s: comments %q %q %q, want %q %q %q", path, a.HeadComment, a.LineComment, a.FootComment, b.HeadComment, b.LineComment, b.FootComment)
	case len(a.Content) != len(b.Content):
		return fmt.Sprintf("%s: %d children, want %d", path, len(a.Content), len(b.Content))
	}
	for i := range a.Content {
		p := fmt.Sprintf("%s[%d]", path, i)
		if a.Kind == yaml.MappingNode && i%2 == 1 {
			p = path + "." + a.Content[i-1].Value
		}
		if d := treeDiff(p, a.Content[i], b.Content[i]); d != "" {
			return d
		}
	}
	return ""
}

// textDirect counts the trees checkRender saw treeText write.
var textDirect int

// checkRender compares render and renderSlow on a policy, and says whether render built
// the tree directly.
func checkRender(t *testing.T, name string, r *run, p *Policy) bool {
	t.Helper()
	if p == nil {
		return false
	}
	fast, direct, err := r.renderVia(p, true)
	slow, slowErr := r.renderSlow(p)
	if errText(err) != errText(slowErr) {
		t.Fatalf("%s: policy %s: error %q, the long way %q", name, p.Name, errText(err), errText(slowErr))
	}
	if err != nil {
		return false
	}
	if d := treeDiff("", fast.Document(), slow.Document()); d != "" {
		t.Fatalf("%s: policy %s: trees differ at %s", name, p.Name, d)
	}
	ft, err := fast.String()
	if err != nil {
		t.Fatal(err)
	}
	st, err := slow.String()
	if err != nil {
		t.Fatal(err)
	}
	if ft != st {
		t.Fatalf("%s: policy %s: text\n%s\nthe long way\n%s", name, p.Name, ft, st)
	}
	for _, n := range []*yaml.RNode{fast, slow} {
		if tt, ok := treeText(n.Document()); ok {
			textDirect++
			if tt != st {
				t.Fatalf("%s: policy %s: treeText gives\n%s\nString gives\n%s", name, p.Name, tt, st)
			}
		}
		if tt, err := treeString(n); err != nil || tt != st {
			t.Fatalf("%s: policy %s: treeString gives %v\n%s\nString gives\n%s", name, p.Name, err, tt, st)
		}
	}
	return direct
}

// TestRenderTreeRuns compares the two on every policy of every fixture and corpus run,
// under both output formats.
func TestRenderTreeRuns(t *testing.T) {
	textDirect = 0
	runs := fixtureRuns(t)
	if !testing.Short() {
		runs = append(runs, corpusRuns(t)...)
	}
	total, direct := 0, 0
	for _, sr := range runs {
		s, err := readStubs(sr.input, relevant, passThrough, true)
		if err != nil {
			continue
		}
		opts := sr.opts
		opts.Format = s.Format
		nodes, opts := filterInput(s, opts)
		var res Result
		if _, err := (Inject{Options: opts, Result: &res}).Filter(nodes); err != nil {
			continue
		}
		for _, format := range []Format{FormatHelm3, FormatHelm4} {
			o := opts
			o.Format = format
			r := &run{opts: o}
			for _, p := range res.Policies {
				total++
				if checkRender(t, sr.name, r, p) {
					direct++
				}
			}
		}
	}
	if total == 0 || direct < total*9/10 || textDirect < total*9/10 {
		t.Fatalf("%d of %d policies rendered directly, %d of %d trees written directly, want most", direct, total, textDirect, 2*total)
	}
	t.Logf("%d of %d policies rendered directly, %d of %d trees written directly", direct, total, textDirect, 2*total)
}

// awkwardStrings are strings with YAML corners: YAML 1.1 values, indicators, quotes,
// spaces, long ones, non-ASCII and line breaks.
var awkwardStrings = []string{
	"yes", "no", "on", "off", "y", "n", "Y", "N", "true", "False", "TRUE", "~", "null", "Null", "NULL", "",
	"1e3", "1.5", ".5", "+1", "-1", "0x1F", "0o17", "0b101", "-0b101", "1_000", "0777", "1:30", "190:20:30", "1.2.3", "10.0.0.0/8",
	"2001-12-14", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10", "12:30", ".inf", "-.Inf", ".nan", "+.5", "1.", "1e", "e3",
	" leading space", "trailing space ", "trailing: colon", "colon:", "a:b", "a: b", "#hash", "a #b", "a#b", "- dash", "-", "-dash",
	"?", "? q", "?q", ":", ": c", ":c", "@at", "`tick", "*star", "&amp", "!bang", "%pct", "'quote", "it's", "\"dq", "a\"b", "back\\slash",
	"{brace", "a{b}", "[bracket", "a[b]", "a,b", ",", "|", ">", "---", "--- x", "...", "..x", "<<", "<", "=", "a  b", "a - b",
	"tab\there", "line\nbreak", "trailing\n", "\nleading", "cr\rhere", "é", "naïve", "😀", "\u0085", "\u2028", "\x7f", "\x01",
	strings.Repeat("word ", 20), strings.Repeat("x", 150), strings.Repeat("a b", 60), strings.Repeat("ab:c ", 40), strings.Repeat("y", 1200),
	"a\n\nb", "a\n ", "a \nb", "\n", "\n\n", " a\nb", "a\n b", "#x\ny", "a\n---\nb", "a\n...\nb", "a\n# c", "a\n\tb", "x\n\n\n",
	"yes\n", "- a\n- b\n", "k: v\nk2: v2", "  two\nlines  ", "ingress[0]=networkPolicy.webhook\ningress[1]=networkPolicy.metrics",
	"k8s-app", "app1", "app01", "app001", "a10", "a9", "A", "10", "9", "x0y", "x00y",
	"a2", "a02", "1", "01", "a1b", "a01b", "017", "1E3", "0x_1", "0O17", "12:30:00", "-1:30", "+.5", "1_0.5", "2001-12-14T21:59:43Z",
	" #", "*", "&", "!", "'", "\"", "%", "@", "`", "[", "{", "}", "]", "|-", ">-", "   ", "\t", "a\tb", "- ", "? ", ": ", "a\\nb",
	strings.Repeat("x", 39) + " " + strings.Repeat("y", 40), strings.Repeat("x", 40) + " " + strings.Repeat("y", 40),
	strings.Repeat("abc ", 30), strings.Repeat("x", 119) + " y", strings.Repeat("'a' ", 30), strings.Repeat("\"a\" ", 30),
	strings.Repeat("a ", 40) + "\n" + strings.Repeat("b ", 40) + "c",
}

// awkwardPolicy is a policy of engine whose names, labels, selector and annotations carry
// the given strings; nil where yaml.v2's order of the keys is not total, which makes the
// long way's order that of the map, at random.
func awkwardPolicy(engine Engine, strs []string, asKeys bool) *Policy {
	labels, annotations, selector := map[string]string{}, map[string]string{}, &metav1.LabelSelector{MatchLabels: map[string]string{}}
	for i, s := range strs {
		if asKeys {
			labels[s] = s
			annotations[fmt.Sprintf("a%d/%s", i, s)] = s
			selector.MatchLabels["sel-"+s] = s
		} else {
			labels[fmt.Sprintf("l%d", i)] = s
			annotations[fmt.Sprintf("a%d", i)] = s
			selector.MatchLabels[fmt.Sprintf("s%d", i)] = s
		}
	}
	for _, m := range []map[string]string{labels, annotations, selector.MatchLabels} {
		if !totalKeys(m) {
			return nil
		}
	}
	name := "p" // a name as the plan makes them: it is in the "# Source:" comment too
	if len(strs) > 0 {
		name = objectName(strs[0])
	}
	return &Policy{
		Engine: engine, Name: name, Namespace: strings.Join(strs, ""), For: "workload/" + name,
		Labels: labels, Annotations: annotations, Selector: selector,
		Ingress:        []Rule{{Peers: []networkingv1.NetworkPolicyPeer{{PodSelector: selector}}}},
		Egress:         []Rule{{Ports: []networkingv1.NetworkPolicyPort{portOf(80, "")}, Peers: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: selector}}}},
		EgressIsolated: true,
	}
}

// totalKeys is whether yaml.v2's order of the keys of m is total, so that the long way
// writes them in one order, not in the map's.
func totalKeys(m map[string]string) bool {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return sortKeys(keys)
}

// TestRenderTreeAwkward compares the two on policies made of awkward strings, one string a
// policy and in random groups, under every engine.
func TestRenderTreeAwkward(t *testing.T) {
	rnd := rand.New(rand.NewSource(1))
	total, direct := 0, 0
	textDirect = 0
	check := func(engine Engine, r *run, strs ...string) {
		for _, asKeys := range []bool{false, true} {
			p := awkwardPolicy(engine, strs, asKeys)
			if p == nil {
				continue
			}
			total++
			if checkRender(t, string(engine), r, p) {
				direct++
			}
		}
	}
	for _, engine := range Engines {
		if _, ok := renderers[engine]; !ok {
			continue
		}
		for _, format := range []Format{FormatHelm3, FormatHelm4} {
			r := &run{opts: Options{Format: format}}
			for _, s := range awkwardStrings {
				check(engine, r, s)
				check(engine, r, "x", s)
			}
			for range 200 {
				var strs []string
				for range 1 + rnd.Intn(8) {
					strs = append(strs, awkwardStrings[rnd.Intn(len(awkwardStrings))])
				}
				check(engine, r, strs...)
			}
		}
	}
	if direct < total/3 { // a group with one string that goes the long way goes whole
		t.Fatalf("%d of %d policies rendered directly, want most", direct, total)
	}
	t.Logf("%d of %d policies rendered directly, %d of %d trees written directly", direct, total, textDirect, 2*total)
}

// TestObjectTreeCrafted compares objectTree with parsedTree, and treeText with String, on
// JSON objects written by hand: numbers at the edges, nested and empty collections, keys in
// v2's natural order, long keys and strings, and objects whose metadata or root is left
// empty once creationTimestamp or status is cleared (the long way keeps such a mapping in
// block style).
func TestObjectTreeCrafted(t *testing.T) {
	long := func(s string, n int) string { return strings.Repeat(s, n) }
	cases := []struct {
		json string
		take bool // objectTree must build it
	}{
		{`{"a":-0}`, true}, {`{"a":0}`, true}, {`{"a":9223372036854775807}`, true}, {`{"a":-9223372036854775808}`, true},
		{`{"a":9223372036854775808}`, false}, {`{"a":1.0}`, false}, {`{"a":1e2}`, false},
		{`{"a":[[1]]}`, true}, {`{"a":[[]]}`, true}, {`{"a":[{}]}`, true}, {`{"a":[{"b":[]}]}`, true}, {`{"a":[[{"b":1}]]}`, true},
		{`{"a":{}}`, true}, {`{}`, true}, {`{"a":null}`, true}, {`{"a":[null,true,false]}`, true}, {`{"":1}`, true}, {`{"a":{"":""}}`, true},
		{`{"metadata":null}`, false}, {`{"metadata":{}}`, true}, {`{"metadata":{"creationTimestamp":null,"name":"x"}}`, true},
		{`{"metadata":{"creationTimestamp":null}}`, false}, {`{"metadata":{"creationTimestamp":"2001-12-14T00:00:00Z"}}`, false},
		{`{"status":{"a":1}}`, false}, {`{"status":null}`, false}, {`{"status":{}}`, false}, {`{"status":{"a":1},"b":2}`, true},
		{`{"a":"\u2028"}`, false}, {`{"\u2028":1}`, false}, {`{"a":"\u00e9"}`, false}, {`{"a":"\t"}`, false}, {`{"a":"a\u0000"}`, false},
		{`{"a2":1,"a10":2,"a02":3,"1":4,"01":5,"a1b":6,"a01b":7}`, false},
		{`{"a2":1,"a10":2,"a02":3,"1":4,"01":5}`, true},
		{`{"a0":1,"a00":2,"a000":3,"0":4,"00":5}`, true}, {`{"x10y":1,"x9y":2,"x09y":3,"x010y":4}`, true},
		{`{"10":1,"9":2,"010":3,"09":4,"0010":5}`, true}, {`{"a.1":1,"a-1":2,"a_1":3,"a1":4,"a/1":5,"A1":6,"a":7,"_":8}`, true},
		{`{"99999999999999999999":1,"99999999999999999998":2}`, true}, {`{"a99999999999999999999b":1,"a99999999999999999998c":2}`, true},
		{`{"a":"` + long("x ", 40) + `"}`, true}, {`{"a":"` + long("x ", 40) + `x"}`, true}, {`{"a":"` + long("x ", 41) + `x"}`, true},
		{`{"a":"` + long("ab ", 40) + `"}`, true}, {`{"a":"` + long("y", 1000) + `"}`, true}, {`{"a":"` + long("y", 1001) + `"}`, false},
		{`{"` + long("k", 128) + `":1}`, true}, {`{"` + long("k", 129) + `":1}`, false}, {`{"` + long("k ", 64) + `":1}`, true},
		{`{"'` + long("k", 127) + `":1}`, true}, {`{"a":"` + long("- ", 50) + `"}`, true}, {`{"a":"` + long("a -b ", 30) + `"}`, true},
		{`{"a":"` + long("x", 79) + ` #y"}`, true}, {`{"a":"` + long("x", 79) + ` y:"}`, true}, {`{"a":"` + long("x", 90) + ` ---"}`, true},
		{`{"a":"` + long("x", 90) + ` ... x"}`, true}, {`{"a":{"b":"` + long("x", 78) + ` %x"}}`, true},
		{`{"a":["` + long("x", 90) + ` 'y' \"z\""]}`, true}, {`{"a":"'` + long("x ", 60) + `"}`, true}, {`{"a":"` + long("x", 90) + `  y"}`, true},
		{`{"a":"` + long("x", 90) + `\n y"}`, true}, {`{"a":" ` + long("x ", 60) + `x"}`, true}, {`{"a":"` + long("x ", 60) + `\n"}`, true},
		{`{"a":"a\n` + long("x ", 60) + `"}`, true},
	}
	for _, c := range cases {
		j := []byte(c.json)
		fast, ok := objectTree(j)
		if ok != c.take {
			t.Errorf("%.80s: objectTree takes it: %v, want %v", c.json, ok, c.take)
		}
		if !ok {
			continue
		}
		slow, err := parsedTree(json.RawMessage(j))
		if err != nil {
			t.Errorf("%.80s: the long way fails: %v", c.json, err)
			continue
		}
		if d := treeDiff("", fast.Document(), slow.Document()); d != "" {
			t.Errorf("%.80s: trees differ at %s", c.json, d)
			continue
		}
		st, err := slow.String()
		if err != nil {
			t.Fatal(err)
		}
		if tt, ok := treeText(fast.Document()); ok && tt != st {
			t.Errorf("%.80s: treeText gives\n%s\nString gives\n%s", c.json, tt, st)
		}
	}
}
