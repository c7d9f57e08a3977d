package transform

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// sameNode compares two trees field by field, comments aside: kind, style, tag, value,
// anchor, alias, line and column, recursively. It returns "" when they are equal, else the
// path of the first difference.
func sameNode(a, b *yaml.Node, path string) string {
	switch {
	case a.Kind != b.Kind:
		return fmt.Sprintf("%s: kind %v, the parser's %v", path, a.Kind, b.Kind)
	case a.Style != b.Style:
		return fmt.Sprintf("%s: style %v, the parser's %v", path, a.Style, b.Style)
	case a.Tag != b.Tag:
		return fmt.Sprintf("%s: tag %q, the parser's %q", path, a.Tag, b.Tag)
	case a.Value != b.Value:
		return fmt.Sprintf("%s: value %q, the parser's %q", path, a.Value, b.Value)
	case a.Anchor != b.Anchor:
		return fmt.Sprintf("%s: anchor %q, the parser's %q", path, a.Anchor, b.Anchor)
	case (a.Alias == nil) != (b.Alias == nil):
		return fmt.Sprintf("%s: alias %v, the parser's %v", path, a.Alias, b.Alias)
	case a.Line != b.Line || a.Column != b.Column:
		return fmt.Sprintf("%s: at %d:%d, the parser's %d:%d", path, a.Line, a.Column, b.Line, b.Column)
	case len(a.Content) != len(b.Content):
		return fmt.Sprintf("%s: %d children, the parser's %d", path, len(a.Content), len(b.Content))
	}
	for i := range a.Content {
		p := fmt.Sprintf("%s/%d", path, i)
		if a.Kind == yaml.MappingNode {
			p = fmt.Sprintf("%s/%s", path, b.Content[i-i%2].Value)
			if i%2 == 0 {
				p += " (key)"
			}
		}
		if d := sameNode(a.Content[i], b.Content[i], p); d != "" {
			return d
		}
	}
	return ""
}

// parserTree parses a document as parseDocument does, and returns the document node.
func parserTree(raw []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("a second document (%v)", err)
	}
	return &doc, nil
}

// checkFastParse holds fastParse to its promise on one document: when it accepts the
// document, the parser accepts it too and builds the same tree. It tells whether fastParse
// accepted the document.
func checkFastParse(t testing.TB, raw []byte) bool {
	t.Helper()
	doc, ok := fastParse(raw)
	if !ok {
		return false
	}
	want, err := parserTree(raw)
	if err != nil {
		t.Fatalf("fastParse accepts a document the parser refuses (%v):\n%s", err, raw)
	}
	if _, err := parseDocument(raw, 1); err != nil {
		t.Fatalf("fastParse accepts a document parseDocument refuses (%v):\n%s", err, raw)
	}
	if d := sameNode(doc, want, ""); d != "" {
		t.Fatalf("fastParse and the parser differ at %s:\n%s", d, raw)
	}
	return true
}

// fixtureFiles lists every YAML file under fixtures/, the corpus included.
func fixtureFiles(t testing.TB) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir("../fixtures", func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !e.IsDir() && (strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 50 {
		t.Fatalf("found %d YAML files under fixtures/, want at least 50", len(files))
	}
	return files
}

// The kinds whose documents fastParse is for: on real renders it must accept nearly all.
var fastKinds = map[string]bool{"Deployment": true, "StatefulSet": true, "DaemonSet": true, "Job": true, "CronJob": true, "Pod": true, "Service": true}

// TestFastParseAgrees runs fastParse over every document of every YAML file under
// fixtures/: where it accepts one, the parser must build the same tree. On the real chart
// renders of fixtures/corpus it must accept at least 90% of the workloads and Services, or
// the fast path is gone.
func TestFastParseAgrees(t *testing.T) {
	var docs, accepted, workloads, fast int
	for _, f := range fixtureFiles(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		render := strings.Contains(f, "/corpus/")
		for _, seg := range splitDocuments(data) {
			docs++
			ok := checkFastParse(t, seg.raw)
			if ok {
				accepted++
			}
			if !render {
				continue
			}
			node, err := parseDocument(seg.raw, 1)
			if err != nil || node == nil || !fastKinds[stringField(node, "kind")] {
				continue
			}
			workloads++
			if ok {
				fast++
			} else {
				t.Logf("%s: line %d: fastParse leaves a %s to the parser", f, seg.line, stringField(node, "kind"))
			}
		}
	}
	share := float64(fast) / float64(workloads)
	t.Logf("fastParse accepts %d of %d documents under fixtures/, and %d of %d (%.1f%%) workloads and Services of the real renders", accepted, docs, fast, workloads, 100*share)
	if workloads < 50 || share < 0.9 {
		t.Errorf("fastParse accepts %d of %d workloads and Services of the real renders, want 90%% or more", fast, workloads)
	}
}

// TestFastParse shows what fastParse accepts, each compared with the parser's tree, and
// what it leaves to the parser: each such shape is checked to be what the case says (valid
// or not) by the parser.
func TestFastParse(t *testing.T) {
	accept := map[string]string{
		"separator":             "---\n# Source: c/templates/d.yaml\napiVersion: apps/v1\nkind: Deployment\n",
		"separator comment":     "--- # x\na: b\n",
		"no separator":          "# a\n\n  # b\na: b\n",
		"no final line feed":    "a: b\nc: d",
		"nested":                "a:\n  b:\n    c: d\n  e: f\ng: h\n",
		"sequences":             "a:\n  - b\n  - c: d\n    e: f\n  -   g: h\n      i: j\n",
		"indentless":            "a:\n- b\n- c\nd:\n- e: f\n  g:\n  - h\n  i: j\n",
		"empty values":          "a:\nb:   \nc: # x\nd:\n  # y\ne:\n- # z\n-\n-   \n",
		"empty at the end":      "a:\n  b:",
		"empty entry at end":    "a:\n-",
		"value on its own line": "a:\n  {}\nb:\n  []\nc:\n  'x'\nd:\n  \"y\"\ne:\n  z\nf:\n-\n  g\n",
		"plain":                 "a: b c\nd: e#f\ng: h # i\nj: -1\nk: :x\nl: ?y\nm: http://x:80/a?b=c\nn: x  \no: '' \np: a{b}[c],d\n",
		"tags": "a: 1\nb: -2\nc: 0x1F\nd: 0o17\ne: 0b101\nf: 1.5\ng: .5\nh: 1e3\ni: true\nj: False\nk: NULL\nl: ~\nm: .inf\nn: -.Inf\no: .NaN\n" +
			"p: 2001-12-14\nq: 2001-12-14t21:59:43.10-05:00\nr: 1_000\ns: +1\nt: 0777\nu: 1Gi\nv: 100m\nw: y\nx: no\ny: on\nz: 9223372036854775808\n" +
			"aa: 18446744073709551616\nab: 1.2.3\nac: 08\nad: 1e\nae: -0b11\naf: -0o7\nag: 0x\nah: +.inf\nai: ._\naj: 1:2\nak: 2001-12-14 21:59:43.10\n",
		"tagged keys":      "1: a\ntrue: b\nnull: c\n.5: d\n",
		"quoted":           "a: 'b ''c'' d'\nb: \"e 'f' \\\" \\\\ \\t \\n \\x41 \\u00e9 \\U0001F600 \\N \\_ \\L \\P \\0 \\e\"\nc: ''\nd: \"\"\ne: ' x '\nf: \"#\" # g\n",
		"quoted keys":      "'a': b\n\"c d\": e\n\"f:g\": h\n",
		"literal":          "a: |\n  b\n    c\n\n  d\ne: |-\n  f\n\n\ng: |+\n  h\n\n\ni: j\nk: |\nl: |+\n\n\nm: | # n\n   o\n",
		"literal spaces":   "a: |\n  b\n     \n   \n\n  c\n  \n",
		"literal at end":   "a: |\n  b",
		"literal keep end": "a: |+\n  b\n\n",
		"literal in seq":   "a:\n- |\n b\n- c: |-\n    d\n  e: f\n",
		"literal comment":  "a: |\n  # b\n # c\nd: e\n",
		"flow": "a: [b, 'c', \"d\", 1, true, [e, {f: g}], {}]\nh: {i: j, 'k': [l], m: {n: o}}\n" +
			"p: [ ]\nq: { }\nr: [ s ,t ]\n",
		"flow in a list": "a:\n- {a: b}\n- [c]\n-  []\n",
		"deep":           "a:\n  b:\n    - c:\n        - d:\n            e: f\n",
		// Attacks on the contract: escapes whose value is not ASCII, or that stand for
		// themselves, odd keys and plain values, nulls, comments and block scalars in odd
		// places, long keys and values, numbers near the resolver's edges.
		"escapes to non-ASCII": "a: \"\\x7f\\x80\\xff\"\nb: \"\\uFFFE\\uFFFF\\uFEFF\\u0085\\u2028\"\nc: \"\\U0010FFFF\"\nd: \"\\x00\\u0000\"\n",
		"escaped quotes":       "a: \"\\'\"\nb: \"\\\"\"\nc: \"\\\\\"\nd: \"a\\\\\"\ne: \"\\ \"\nf: ''''\ng: ''''''\nh: 'a'''\ni: '''a'\n",
		"odd keys":             "a.b/c: d\n$x: y\na1.b: c\na/b/: c\n_: _a\n'': a\n\"\": b\n'a\"b': c\n\"a'b\": d\n\"a #b\": e\n\"a: b\": f\n",
		"dots key":             "a:\n  ...: b\n",
		"duplicate keys":       "a: 1\na: 2\nb:\n  c: d\nb: e\n'a': f\n",
		"odd plain values":     "a: a:b\nb: a :b\nc: ?x\nd: x?\ne: b &x\nf: x&y\ng: ---\nh: ...\ni: --- x\nj: b#c # d\nk: b :c\nl: http://x\n",
		"odd values in a list": "a:\n- ---\n- ...\n- :b\n- ?b\n- -b\n- -1\n- '-'\n",
		"wide values":          "key:    value\nb: value   \nc:  'x'  \nd:   [a]  # c\n",
		"only a key":           "key:",
		"flows": "a: [a,b]\nb: [[a], [[b]]]\nc: {a: {b: {c: d}}}\nd: [{}, []]\ne: {1: 2}\nf: [.5, 1_000, 0x1F]\ng: ['a''b', \"c\\\"d\"]\n" +
			"h: [\"a, b\", \"a]\"]\ni: {\"a\": b, 'c': 'd'}\n",
		"flow depth 21":     "a: " + strings.Repeat("[", 21) + strings.Repeat("]", 21) + "\n",
		"own-line values":   "a:\n  ?x\nb:\n  :x\nc:\n  -x\nd:\n  x y\ne:\n  x # c\nf:\n    x\ng:\n",
		"null entries":      "a:\n-\n g\n-\nb:\n -\n  g\nc:\n- \n- x\nd:\n  -\n  - x\ne:\n- a:\n- b\n",
		"comments":          "a: # c\n  - b\nc: # c\n- d\ne:\n# c\n  f: g\nh:\n- i\n  # c\n- j\n# end",
		"spaces-only lines": "a:\n   \n  b: c\n \nd: b\n  \n",
		"literals": "a: |-\n\n  text\nb: |\n\n\n  x\nc: |\n  x\n  \n  y\nd: |\n  x\n \n  y\ne: |\n  x\n    \n  y\nf: |\n x\ng: |\n  ---\n  ...\n  %x\n" +
			"h: |\n  # x\n  #\ni: |  \n  x\nj: | #\n  x\nk: |- # x\n  y\n",
		"literals end":        "a:\n  key: |\n    text\n # c\n  b: |+\n    x\n\n  c: |-\n    x\n\n\n  d: |\n\n  e: |\n    x\n\n\n",
		"literals at the end": "a: |+\n  b\n\n  ",
		"literals in lists":   "a:\n- |\n  x\n- |-\n  y\nb:\n - |\n  x\nc:\n  - |\n   x\nd:\n  e:\n  - |\n   f\n",
		"long key":            strings.Repeat("k", 512) + ": a\n'" + strings.Repeat("k", 510) + "': b\n",
		"long values":         "a: " + strings.Repeat("y", 5000) + "\nb: '" + strings.Repeat("y ", 3000) + "'\nc: [" + strings.Repeat("a, ", 1000) + "b]\n",
		"numbers": "a: 0\nb: -0\nc: +0\nd: 00\ne: 0.0\nf: -0.0\ng: 1e-7\nh: 5.\ni: 0b\nj: 0o\nk: 0x_1\nl: 1__2\nm: 12:30:00\nn: 1e400\no: 0x8000000000000000\n" +
			"p: -0x8000000000000001\nq: 0xFFFFFFFFFFFFFFFF\nr: -0o1000000000000000000000\ns: 0o1777777777777777777777\nt: +0b1\nu: +0o1\nv: -_1\nw: 1_\n" +
			"x: 2001-12-14T21:59:43Z\ny: 2001-1-1\nz: 2001-01-01T\naa: 2001-12-14 21:59:43,10\n",
	}
	for name, doc := range accept {
		t.Run("accept/"+name, func(t *testing.T) {
			if !checkFastParse(t, []byte(doc)) {
				t.Fatalf("refused %q", doc)
			}
		})
	}

	refuse := []refusedShape{
		{"empty", "", true},
		{"comments only", "---\n# a\n", true},
		{"list at the top", "- a\n", true},
		{"scalar at the top", "a\n", true},
		{"indented top", "  a: b\n", true},
		{"flow at the top", "{a: b}\n", true},
		{"content after the separator", "--- a: b\n", false},
		{"mapping in a plain value", "a: b: c\n", false},
		{"mapping in a continuation", "a: b\n  c: d\n", false},
		{"multi-line plain", "a: b\n  c\n", true},
		{"multi-line plain in a list", "- a\n  b\n", true},
		{"multi-line plain on its own line", "a:\n  b\n  c\n", true},
		{"multi-line single quotes", "a: 'b\n  c'\n", true},
		{"multi-line double quotes", "a: \"b\n  c\"\n", true},
		{"escaped line break", "a: \"b\\\n  c\"\n", true},
		{"multi-line flow", "a: [b,\n  c]\n", true},
		{"colon at the end", "a: b:\n", false},
		{"key on a deeper line", "a: 'b'\n  c: d\n", false},
		{"sequence under a scalar", "a: b\n- c\n", false},
		{"sequence at a key's column", "a:\n  - b\n  c: d\n", false},
		{"wrong indentation", "a:\n  b: 1\n c: 2\n", false},
		{"block entry as value", "a: - b\n", false},
		{"nested entry on a line", "a:\n- - b\n", true},
		{"unclosed quote", "a: 'b\n", false},
		{"text after a quote", "a: 'b' c\n", false},
		{"bad escape", "a: \"\\q\"\n", false},
		{"short hex escape", "a: \"\\x4\"\n", false},
		{"surrogate escape", "a: \"\\ud800\"\n", false},
		{"escape past Unicode", "a: \"\\U00110000\"\n", false},
		{"anchor and alias", "a: &x b\nc: *x\n", true},
		{"tag", "a: !!str 1\n", true},
		{"local tag", "a: !x b\n", true},
		{"merge key", "a: {b: c}\n<<: {d: e}\n", true},
		{"merge value", "a: <<\n", true},
		{"complex key", "? a\n: b\n", true},
		{"directive", "%YAML 1.1\n---\na: b\n", true},
		{"end marker", "a: b\n...\n", true},
		{"folded", "a: >\n  b\n  c\n", true},
		{"indentation indicator", "a: |2\n   b\n", true},
		{"block scalar on its own line", "a:\n  |\n  b\n", true},
		{"spaces before a block scalar's text", "a: |\n     \n  b\n", false},
		{"block scalar less indented", "a:\n    b: |\n        c\n      d: e\n", false},
		{"tab", "a:\tb\n", true},
		{"tab in a value", "a: b\tc\n", true},
		{"carriage return", "a: b\r\nc: d\r\n", true},
		{"byte order mark", "\ufeffa: b\n", true},
		{"non-ASCII", "a: café\n", true},
		{"control character", "a: b\x01\n", false},
		{"NUL", "a: b\x00\n", false},
		{"key of other characters", "a b: c\n", true},
		{"key with an escape", "\"a\\tb\": c\n", true},
		{"key with a quote", "'a''b': c\n", true},
		{"flow with a trailing comma", "a: [b, ]\n", true},
		{"flow pair in a sequence", "a: [b: c]\n", true},
		{"flow key without space", "a: {b:c}\n", true},
		{"flow plain with spaces", "a: [b c]\n", true},
		{"flow empty value", "a: {b: }\n", true},
		{"flow negative number", "a: [-1]\n", true},
		{"at sign", "a: @b\n", false},
		{"backtick", "a: `b`\n", false},
		{"separator inside", "a: b\n---\n", true},
		{"dashes at the start of a line", "a: b\n---c: d\n", true},
		{"JSON escape of a slash", "a: \"\\/\"\n", false},
		{"a list in a list", "a:\n- - \n", true},
		{"a dash alone in a list", "a:\n- -\n", true},
		{"complex key in a list", "a:\n- ? b\n", true},
		{"empty key in a list", "a:\n- : b\n", false},
		{"dash key", "-a: b\n", true},
		{"dash value", "a: -\n", false},
		{"dash and space value", "a: - \n", false},
		{"colon value", "a: :\n", false},
		{"open quote value", "a: \"\n", false},
		{"tag-like value", "a: !x\n", true},
		{"document end alone", "---\n...\n", true},
		{"document end after content", "---\na: b\n...\n", true},
		{"percent in a block scalar", "a: |\n%x\n", false},
		{"comment at column 0 in a block scalar", "a: |\n  x\n# c\n  y\n", false},
		{"block scalar less indented than its first line", "a: |\n   x\n  y\n", false},
		{"block scalar at its list's column", "a:\n  - |\n  x\n", false},
		{"comment without a space after a block header", "a: |#\n  x\n", true},
		{"comment after a quote without a space", "a: 'b'#c\n", true},
		{"comment after a flow without a space", "a: [b]#c\n", true},
		{"escape in an own-line value", "a:\n  \"x\\ty\"\n", true},
		{"unclosed doubled quote", "a: '''\n", false},
		{"key of 513 characters", strings.Repeat("k", 513) + ": a\n", true},
		{"quoted key of 1025 characters", "'" + strings.Repeat("k", 1025) + "': a\n", false},
		{"flow depth 26", "a: " + strings.Repeat("[", 26) + strings.Repeat("]", 26) + "\n", true},
		{"keys at the document end", "1: a\n...: e\n", true},
		{"dashes key", "a:\n  ---x: b\n", true},
		{"carriage return line feed", "a: b\r\n", true},
	}
	testRefused(t, refuse, func(doc []byte) bool { _, ok := fastParse(doc); return ok })
}

// TestResolvePlain holds resolvePlain to the parser's tags, on the plain scalars that
// look like something else than a string, and near misses of them.
func TestResolvePlain(t *testing.T) {
	values := []string{
		"0", "1", "-1", "+1", "01", "08", "0777", "0x1F", "0X1f", "0xg", "0o17", "0O17", "0o8", "0b101", "0B101", "0b2", "-0b11", "-0o7", "-0x1",
		"1_000", "_1", "1__0", "9223372036854775807", "9223372036854775808", "18446744073709551615", "18446744073709551616", "-9223372036854775809",
		"1.5", "1.", ".5", "-.5", "+.5", "1e3", "1E3", "1e+3", "1e-3", "1.5e3", "1e", "e3", ".e3", "1.2.3", "1_0.5", "0x1p3", "0x1.8p1", "1e400",
		".inf", ".Inf", ".INF", "+.inf", "-.inf", ".iNf", "inf", "+inf", "-Infinity", ".nan", ".NaN", "nan", "NaN", "._", ".", "..", ".1.",
		"true", "True", "TRUE", "tRue", "false", "no", "yes", "y", "n", "on", "off", "null", "Null", "NULL", "nULL", "~", "~~", "o", "O",
		"2001-12-14", "2001-12-14t21:59:43.10-05:00", "2001-12-14T21:59:43.10Z", "2001-12-14 21:59:43.10", "2001-12-14 21:59:43.10 -5",
		"2001-1-2", "2001-13-01", "20011-12-14", "2001-12-14x", "2001-12", "1-2-3",
		"1Gi", "100m", "512Mi", "10s", "1:2", "1.2.3.4", "10.0.0.0/8", "+", "-a", "+-1", "--1", "0x", "0o", "0b", "-0b", "-0o", "1 2",
		"<", "v1", "a",
	}
	// "<<" is left out: the parser tags it !!merge before it resolves, and fastParse
	// refuses it.
	for _, v := range values {
		var n yaml.Node
		if err := yaml.Unmarshal([]byte("a: "+v+"\n"), &n); err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		if want := n.Content[0].Content[1].Tag; resolvePlain(v) != want {
			t.Errorf("resolvePlain(%q) = %s, the parser's %s", v, resolvePlain(v), want)
		}
	}
}

// TestFastParseMutations mutates the documents of the fixtures and real chart renders
// line by line and byte by byte, the way a hand-edited or badly templated manifest goes
// wrong (a line indented one space more or less, a ": ", a quote, a dash, a comment or an
// escape inserted, a character dropped, lines duplicated or swapped), and holds fastParse
// to the parser on each: whatever it accepts, the parser must accept and build the same
// tree. The seed is fixed; HELM_NETPOL_MUTATIONS=N runs N mutations with a seed from the
// clock.
func TestFastParseMutations(t *testing.T) {
	n, seed := mutations(t)
	var docs [][]byte
	for _, f := range append(fixtureInputs(t), corpus(t)...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, seg := range splitDocuments(data) {
			if len(seg.raw) < 6000 {
				if _, ok := fastParse(seg.raw); ok {
					docs = append(docs, seg.raw)
				}
			}
		}
	}
	rng := rand.New(rand.NewSource(seed))
	frags := []string{": ", ":", " #", "#", "'", "\"", "- ", "-", "{", "}", "[", "]", ",", "|", "|-", "|+", ">", " ", "  ",
		"\\", "\\/", "\\x4", "\\x41", "\\u00e9", "\\ud800", "\\'", "?", "&a ", "*a", "!", "<<", "---", "...", "\n", "\n  ", "\n- ", "''",
		"null", "~", "1", "0x", ".5", "true", "2001-12-14", "{}", "[]", "\t", "\r", "%", "@", "é"}
	accepted := 0
	for range n {
		doc := mutateLines(rng, docs[rng.Intn(len(docs))], frags, 8)
		if len(splitDocuments(doc)) == 1 && checkFastParse(t, doc) {
			accepted++
		}
	}
	t.Logf("seed %d: fastParse accepted %d of %d mutated documents, and the parser agreed", seed, accepted, n)
	if accepted < n/4 {
		t.Errorf("fastParse accepted only %d of %d mutated documents: the test no longer tests much", accepted, n)
	}
}

// TestFastParseOutput runs Process with and without fastParse on every fixture input and
// real chart render, under the fixture's own options and under a release-wide config: the
// bytes written, the error and the findings must be the same.
func TestFastParseOutput(t *testing.T) {
	release := mustLayer("networkPolicy: {enabled: true, keepExisting: true, defaultDeny: {enabled: true}}", LevelFile, "--config")
	defer func() { fastParseOn = true }()
	for _, f := range append(fixtureInputs(t), corpus(t)...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, opts := range []Options{{}, {Config: release, Release: "rel"}} {
			fastParseOn = true
			fast, fastRes, fastErr := Process(data, opts)
			fastParseOn = false
			slow, slowRes, slowErr := Process(data, opts)
			fastParseOn = true
			if !bytes.Equal(fast, slow) {
				t.Errorf("%s (config %v): the output differs with fastParse", f, opts.Config != nil)
			}
			if errText(fastErr) != errText(slowErr) {
				t.Errorf("%s (config %v): the error differs with fastParse:\n%v\n%v", f, opts.Config != nil, fastErr, slowErr)
			}
			if findingsText(fastRes) != findingsText(slowRes) {
				t.Errorf("%s (config %v): the findings differ with fastParse", f, opts.Config != nil)
			}
		}
	}
}

// TestFastTreesAreCut checks that no tree fastParse built outlives the stream reader:
// every document readStubs took from fastDocument is cut down to a stub (or dropped), so
// no tree without its comments is ever written.
func TestFastTreesAreCut(t *testing.T) {
	cut := 0
	for _, f := range append(fixtureInputs(t), corpus(t)...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s, err := readStubs(data, relevant, passThrough, true)
		if err != nil {
			continue
		}
		for _, d := range s.Docs {
			if d.scanned || fastDocument(d.Raw) == nil {
				continue
			}
			if d.Node != nil && d.decoded == nil {
				t.Errorf("%s: %s: a tree of fastParse is kept whole", f, d.Where())
			}
			if d.decoded != nil {
				cut++
			}
		}
	}
	if cut == 0 {
		t.Error("no document was read by fastParse")
	}
}

// TestASCIIText checks the word-at-a-time check of asciiText against a byte-at-a-time one,
// with every byte value at every position of a text longer than a word.
func TestASCIIText(t *testing.T) {
	base := []byte("metadata:\n  name: x-0123456789 # y\n")
	for pos := range base {
		for c := 0; c < 256; c++ {
			text := append([]byte(nil), base...)
			text[pos] = byte(c)
			want, wantOK := 0, true
			for _, b := range text {
				if b == '\n' {
					want++
				} else if b < 0x20 || b >= 0x7f {
					wantOK = false
				}
			}
			if n, ok := asciiText(text); ok != wantOK || ok && n != want {
				t.Fatalf("asciiText(%q) = %d, %v", text, n, ok)
			}
		}
	}
}
