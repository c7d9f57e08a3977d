package transform

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/helm-netpol/helm-netpol/internal/manifest"
	"github.com/helm-netpol/helm-netpol/internal/yamlfast"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// decodeMarshal is the JSON of a node the way nodeJSON wrote it before appendNodeJSON:
// yaml.v3's decode into an `any`, then json.Marshal; false when either fails.
func decodeMarshal(n *yaml.Node) ([]byte, bool) {
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, false
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, false
	}
	return b, true
}

// oldNodeJSON is nodeJSON as it was before appendNodeJSON.
func oldNodeJSON(n *yaml.RNode) ([]byte, error) {
	if b, ok := decodeMarshal(n.YNode()); ok {
		return b, nil
	}
	return n.MarshalJSON()
}

// checkNodeJSON compares appendNodeJSON with decodeMarshal on n: where the new encoder
// takes a node, the old way must take it too and give the same bytes. It reports whether
// the new encoder took the node.
func checkNodeJSON(t testing.TB, n *yaml.Node, what string) bool {
	t.Helper()
	prefix := []byte("prefix")
	got, ok := yamlfast.AppendNodeJSON(bytes.Clone(prefix), n)
	if !ok {
		return false
	}
	if !bytes.HasPrefix(got, prefix) {
		t.Fatalf("%s: appendNodeJSON lost what dst held: %q", what, got)
	}
	got = got[len(prefix):]
	want, wantOK := decodeMarshal(n)
	if !wantOK {
		t.Errorf("%s: appendNodeJSON gives %s, but Decode+json.Marshal fails", what, got)
		return true
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s:\nappendNodeJSON   %s\nDecode+Marshal   %s", what, got, want)
	}
	return true
}

// walkNodes calls f on n and every node below it, aliases' targets excepted.
func walkNodes(n *yaml.Node, f func(*yaml.Node)) {
	f(n)
	for _, c := range n.Content {
		walkNodes(c, f)
	}
}

// untagged is a deep copy of n with every tag removed, as trees built in code (rather
// than parsed) often are: then the encoder resolves every plain scalar itself.
func untagged(n *yaml.Node) *yaml.Node {
	c := *n
	c.Tag = ""
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, x := range n.Content {
		c.Content[i] = untagged(x)
	}
	return &c
}

// fixtureDocuments are the parsed documents of every file under fixtures/, by file.
func fixtureDocuments(t testing.TB) map[string][]*yaml.RNode {
	t.Helper()
	docs := map[string][]*yaml.RNode{}
	err := filepath.WalkDir("../fixtures", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, seg := range manifest.SplitDocuments(data) {
			n, err := manifest.ParseDocument(seg.Raw, seg.Line)
			if err != nil || n == nil {
				continue
			}
			docs[path] = append(docs[path], n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return docs
}

// TestNodeJSONFixtures compares appendNodeJSON with Decode+json.Marshal on every document
// of every fixture and on every node below, as parsed and with the tags removed, and
// requires the encoder to take every object nodeJSON is called on (workloads, Services,
// webhook configurations, NetworkPolicies) that the decode can write.
func TestNodeJSONFixtures(t *testing.T) {
	docs := fixtureDocuments(t)
	if len(docs) == 0 {
		t.Fatal("no fixtures")
	}
	var nodes, taken, docsN, docsTaken int
	kinds := map[string][2]int{} // kind: documents the decode writes, of them taken
	for path, list := range docs {
		for i, doc := range list {
			for _, tree := range []*yaml.Node{doc.YNode(), untagged(doc.YNode())} {
				if testing.Short() { // the documents only
					nodes++
					if checkNodeJSON(t, tree, path) {
						taken++
					}
					continue
				}
				walkNodes(tree, func(n *yaml.Node) {
					nodes++
					if checkNodeJSON(t, n, path) {
						taken++
					}
				})
			}
			docsN++
			_, decodes := decodeMarshal(doc.YNode())
			_, ok := yamlfast.AppendNodeJSON(nil, doc.YNode())
			if ok {
				docsTaken++
			}
			kind := doc.GetKind()
			if manifest.IsWorkloadKind(kind) || kind == "Service" || strings.HasSuffix(kind, "WebhookConfiguration") || kind == "NetworkPolicy" {
				c := kinds[kind]
				if decodes {
					c[0]++
					if ok {
						c[1]++
					} else {
						t.Errorf("%s: document %d, a %s, is not taken", path, i+1, kind)
					}
				}
				kinds[kind] = c
			}
			// nodeJSON as a whole, its fallback included, gives what it gave before.
			got, gotErr := manifest.NodeJSON(doc)
			want, wantErr := oldNodeJSON(doc)
			if !bytes.Equal(got, want) || (gotErr == nil) != (wantErr == nil) {
				t.Errorf("%s: document %d: nodeJSON gives %s (%v), before %s (%v)", path, i+1, got, gotErr, want, wantErr)
			}
		}
	}
	t.Logf("nodes: %d of %d taken (%.1f%%); documents: %d of %d", taken, nodes, 100*float64(taken)/float64(nodes), docsTaken, docsN)
	for kind, c := range kinds {
		t.Logf("%s: %d of %d taken", kind, c[1], c[0])
	}
	if kinds["Deployment"][0] < 10 || kinds["Service"][0] < 10 {
		t.Errorf("too few Deployments and Services in the fixtures: %v", kinds)
	}
	if taken < nodes*9/10 {
		t.Errorf("only %d of %d nodes taken", taken, nodes)
	}
}

// TestNodeJSONScalars pins the encoder on awkward YAML: where it takes a document it
// writes what Decode+json.Marshal writes, and it refuses what it must.
func TestNodeJSONScalars(t *testing.T) {
	type tc struct {
		doc  string
		take bool // appendNodeJSON must take the document (else refuse it)
	}
	cases := []tc{
		{"a: .inf", false},
		{"a: .nan", false},
		{"a: !!binary aGVsbG8=", false},
		{"a: !foo bar", false},
		{"a: 10000-01-01", true}, // a string: only four-digit years are timestamps
		{"a: &x 1\nb: *x", false},
		{"a: 1\na: 2", false},
		{"a: 1\n\"a\": 2", false},
		{"a: 1\nb: 2\na: 3", false},
		{"1: a", false},
		{"true: a", false},
		{"null: a", false},
		{"~: a", false},
		{"? [a]\n: b", false},
		{"? {a: b}\n: c", false},
		{"0x1F: a", false},
		{"1.5: a", false},
		{"2002-12-14: a", false},
		{"<<: {a: 1}\nb: 2", false},
		{"\"<<\": a", true},
		{"\"1\": a", true},
		{"'true': a", true},
		{"\"\": a", true},
		{": a", false}, // an empty plain key is null
		{"!!str 1: a", true},
		{"!!int 1: a", false},
		{"key:", true},
		{"key: ~\nother:\n", true},
		{"b: 1\na: 2\nB: 3\n_: 4\n\"\\u00e9\": 5\n\"<\": 6\n\"a b\": 7\nab: 8\n\"\\t\": 9", true},
		{"z: {y: {x: [w, {v: u}]}, a: []}\na: {}", true},
		{"{a: [1, 2, {b: c}], c: {d: e}}", true},
		{"- [a, b]\n- {c: d}\n-\n- ''", true},
		{"a: 9223372036854775808", true},
		{"a: 18446744073709551616", true},
		{"a: -9223372036854775809", true},
		{"a: 2001-12-14t21:59:43.10-05:00", true},
		{"a: 2002-12-14", true},
		{"a: 0x1F", true},
		{"a: 017", true},
		{"a: \"\\u2028<>&\\x01\"", true},
		{"\"\\u2028\": a\n\"<\": b\n\"&\": c\n\"\\x7f\": d", true},
		{"a: -0.0\nb: 0.0\nc: 0O17\nd: !!str 123\ne: !!float -0\nf: !!int \"0x1F\"", true},
		{"just a string", true},
		{"1", true},
		{"~", true},
	}
	// A scalar as a mapping value and as sequence items: taken unless the decode or
	// json.Marshal fails or the tag is not a standard one. As a key with a twin in the same
	// mapping: never (the key is not a string, or the keys are duplicates).
	for _, v := range scalarCases {
		cases = append(cases, tc{"v: " + v.text, v.take}, tc{"- " + v.text + "\n- " + v.text, v.take})
		if !strings.Contains(v.text, "\n") {
			cases = append(cases, tc{v.text + ": k\n" + v.text + ": l", false})
		}
	}
	for _, c := range cases {
		var doc yaml.Node
		if err := yaml.Unmarshal([]byte(c.doc), &doc); err != nil {
			continue // not YAML: nothing to compare
		}
		if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
			continue
		}
		root := doc.Content[0]
		for _, tree := range []*yaml.Node{root, untagged(root)} {
			took := checkNodeJSON(t, tree, c.doc)
			walkNodes(tree, func(n *yaml.Node) { checkNodeJSON(t, n, c.doc) })
			if tree == root && took != c.take {
				t.Errorf("%q: taken %v, want %v", c.doc, took, c.take)
			}
		}
		rn := yaml.NewRNode(&doc)
		got, gotErr := manifest.NodeJSON(rn)
		want, wantErr := oldNodeJSON(rn)
		if !bytes.Equal(got, want) || (gotErr == nil) != (wantErr == nil) {
			t.Errorf("%q: nodeJSON gives %s (%v), before %s (%v)", c.doc, got, gotErr, want, wantErr)
		}
	}
}

// scalarCases are awkward scalars, and whether appendNodeJSON takes a mapping value of each.
var scalarCases = []struct {
	text string
	take bool
}{
	// Integers in every form yaml.v3 reads, and at the edges of int64 and uint64.
	{"0x1F", true}, {"0o17", true}, {"-0o17", true}, {"0b101", true}, {"-0b101", true}, {"017", true},
	{"09", true}, {"1_000", true}, {"+1", true}, {"-1", true}, {"-0", true}, {"0", true}, {"00", true},
	{"+0", true}, {"0x_1F", true}, {"123456789012345678", true}, {"1234567890123456789", true},
	{"-123456789012345678", true}, {"9223372036854775807", true}, {"9223372036854775808", true},
	{"18446744073709551615", true}, {"18446744073709551616", true}, {"-9223372036854775808", true},
	{"-9223372036854775809", true},
	// Floats, and the infinities and NaNs json.Marshal refuses.
	{"1e3", true}, {"1E-7", true}, {"1e21", true}, {"1e-6", true}, {"1e+3", true}, {".5", true},
	{"-.5", true}, {"+.5", true}, {"5.", true}, {"1.0", true}, {"-1.5", true}, {"0.1", true},
	{"00.5", true}, {"0.000001", true}, {"0.0000001", true}, {"123456789012345678901234.5", true},
	{"3.14159265358979323846", true}, {"1" + strings.Repeat("0", 400) + ".5", true},
	{"1.2.3", true}, {"0x1p-2", true}, {"inf", true}, {"nan", true}, {"Infinity", true},
	{".inf", false}, {"-.Inf", false}, {"+.INF", false}, {".nan", false}, {".NaN", false},
	// Nulls and booleans: YAML 1.2's only, the 1.1 words are strings.
	{"~", true}, {"null", true}, {"Null", true}, {"NULL", true}, {"nULL", true}, {"", true},
	{"true", true}, {"True", true}, {"TRUE", true}, {"tRUE", true}, {"false", true}, {"False", true},
	{"yes", true}, {"no", true}, {"on", true}, {"off", true}, {"y", true}, {"n", true}, {"Yes", true},
	{"ON", true},
	// Timestamps (time.Time, which json.Marshal writes in RFC 3339) and near misses.
	{"2001-12-14t21:59:43.10-05:00", true}, {"2001-12-14T21:59:43.10Z", true},
	{"2001-12-14 21:59:43.10", true}, {"2001-12-14 21:59:43,10", true}, {"2002-12-14", true},
	{"2002-1-2", true}, {"2002-12-14,5", true}, {"10000-01-01", true}, {"1:20", true},
	{"12:30:45", true},
	// Strings: HTML characters, line and paragraph separators, control characters, quoted
	// numbers and words, block scalars.
	{"a<b>&c", true}, {`"<>&"`, true}, {"'it''s'", true}, {`"\u2028\u2029"`, true},
	{`"\x01\x1f\t\n\r\b\f\x7f"`, true}, {`"\\ \" /"`, true}, {`"\u00e9\U0001F600"`, true},
	{`"1"`, true}, {"'true'", true}, {`"null"`, true}, {"'0x1F'", true}, {`""`, true}, {"-", true},
	{"--flag", true}, {"100m", true}, {"1Gi", true}, {"<<", false}, {`"<<"`, true},
	{"|\n  block\n  text\n", true}, {">-\n  folded\n  text\n", true}, {"|\n  1\n", true},
	// Tags: the standard ones as the decode applies them; others refused.
	{"!!str 1", true}, {"!!int 1", true}, {`!!int "1"`, true}, {"!!float 1", true},
	{"!!float 1.5", true}, {"!!int 1.5", false}, {"!!bool true", true}, {"!!bool yes", false},
	{"!!null ''", true}, {"!!null x", false}, {"!!str", true}, {"!!int", false}, {"! 1", true},
	{"! abc", true}, {"!<tag:yaml.org,2002:str> 1", true}, {"!<tag:yaml.org,2002:int> 1", true},
	{"!!binary aGVsbG8=", false}, {"!!timestamp 2002-12-14", true}, {"!!timestamp x", false},
	{"!foo bar", false},
	// Collections.
	{"&a x", true}, {"{}", true}, {"[]", true}, {"[{}, [], [[]], {a: {}}]", true},
	{"{a: 1, b: [2, {c: d}]}", true}, {"[a, 'b', \"c\", 1, ~]", true}, {"!!map {a: 1}", true},
	{"!!seq [1]", true}, {"!foo {a: 1}", false}, {"!foo [1]", false},
}

// TestNodeJSONCodeTrees holds appendNodeJSON to Decode+json.Marshal on trees built in code
// rather than parsed: scalars of every standard tag (and none, "!", a long form, and tags
// the encoder must refuse) in every style, as values and as keys, and collections of odd
// tags, nil and zero nodes, and keys that need escaping or sorting.
func TestNodeJSONCodeTrees(t *testing.T) {
	values := []string{"", "~", "-", "+", ".", "0", "-0", "+0", "00", "0.0", "-0.0", ".5", "5.", "+1", "-1", "0777", "017", "08", "0x1F", "0o17", "0O17",
		"0b101", "-0b1", "1_000", "0x_1", "1e3", "1E3", "1e-7", "0.0000001", "1e21", "1.5", "1.2.3", "12:30:00", "1:30", "2001-12-14",
		"2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43,10", "9223372036854775807", "9223372036854775808", "18446744073709551616",
		"123456789012345678", "1234567890123456789", "1" + strings.Repeat("0", 400) + ".5", ".inf", "-.Inf", ".nan", "inf", "true", "True",
		"tRUE", "false", "null", "Null", "nULL", "yes", "no", "on", "y", "n", "<<", "<", "a<b>&c", "\u2028", "\u2029", "\x7f", "\x00", "\xff", "é",
		"a b", "a\nb", "a\n", "1Gi", "100m", "--x", "a: b", "#", "'", "\"", "\\"}
	tags := []string{"", "!", "!!str", "!!int", "!!float", "!!bool", "!!null", "!!timestamp", "tag:yaml.org,2002:str", "!!merge", "!!binary", "!foo"}
	styles := []yaml.Style{0, yaml.TaggedStyle, yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle, yaml.LiteralStyle, yaml.FoldedStyle, yaml.FlowStyle,
		yaml.TaggedStyle | yaml.DoubleQuotedStyle}
	scalar := func(v, tag string, st yaml.Style) *yaml.Node {
		return &yaml.Node{Kind: yaml.ScalarNode, Value: v, Tag: tag, Style: st}
	}
	for _, v := range values {
		for _, tag := range tags {
			for _, st := range styles {
				what := fmt.Sprintf("%q tag %q style %v", v, tag, st)
				n := scalar(v, tag, st)
				checkNodeJSON(t, n, what)
				checkNodeJSON(t, &yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{n, n}}, "list of "+what)
				checkNodeJSON(t, &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{n, scalar("v", "", 0)}}, "key "+what)
				checkNodeJSON(t, &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{scalar("b", "", 0), scalar("1", "", 0), n, scalar("v", "", 0),
					scalar("a", "!!str", 0), scalar("2", "", 0)}}, "key among others "+what)
			}
		}
	}
	mapping := func(tag string, c ...*yaml.Node) *yaml.Node {
		return &yaml.Node{Kind: yaml.MappingNode, Tag: tag, Content: c}
	}
	seq := func(tag string, c ...*yaml.Node) *yaml.Node {
		return &yaml.Node{Kind: yaml.SequenceNode, Tag: tag, Content: c}
	}
	v := scalar("v", "", 0)
	trees := map[string]*yaml.Node{
		"empty list":            seq(""),
		"empty list, !!seq":     {Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle},
		"empty map":             mapping(""),
		"empty map, !":          mapping("!"),
		"list, !":               seq("!", scalar("1", "", 0)),
		"map, long tag":         mapping("tag:yaml.org,2002:map", scalar("a", "", 0), v),
		"map, !!str":            mapping("!!str"),
		"list, !!map":           seq("!!map"),
		"mapping key":           mapping("", mapping("!!str"), v),
		"list key":              mapping("", seq(""), v),
		"!!str <<":              mapping("", scalar("<<", "!!str", 0), v),
		"quoted << key":         mapping("", scalar("<<", "", yaml.DoubleQuotedStyle), v),
		"! << key":              mapping("", scalar("<<", "!", 0), v),
		"plain and quoted twin": mapping("", scalar("a", "", 0), v, scalar("a", "", yaml.SingleQuotedStyle), v),
		"!!str and plain twin":  mapping("", scalar("b", "", 0), v, scalar("a", "!!str", 0), v, scalar("a", "", 0), v),
		"keys to escape and sort": mapping("", scalar("b", "", 0), v, scalar("a", "!!str", 0), v, scalar("<", "", 0), v, scalar("\u2028", "", 0), v,
			scalar("\xff", "", 0), v, scalar("\xfe", "", 0), v, scalar("&", "", yaml.DoubleQuotedStyle), v, scalar("A", "", 0), v),
		"odd content":         mapping("", v),
		"document in a list":  seq("", &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{scalar("1", "", 0)}}),
		"zero node in a list": seq("", &yaml.Node{}),
		"alias in a list":     seq("", &yaml.Node{Kind: yaml.AliasNode, Alias: v}),
		"deep":                seq("", mapping("", scalar("a", "", 0), seq("", mapping("", scalar("b", "", 0), seq("", seq(""), mapping("")))))),
	}
	for name, n := range trees {
		checkNodeJSON(t, n, name)
	}
}
