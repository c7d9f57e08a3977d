package transform

import (
	"bytes"
	"errors"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/helm-netpol/helm-netpol/internal/config"
	"github.com/helm-netpol/helm-netpol/internal/manifest"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// checkQuickScan holds the quick scan to its promise on one document: when it accepts the
// document, the parser accepts it too, and what the scan read (kind, apiVersion, the hook
// and Helm 4 annotations, a conversion section) is what the parsed tree says. When
// passThrough lets the document through unparsed, the checks every document passes hold
// and the relevance filter would not have kept it.
func checkQuickScan(t *testing.T, raw []byte) bool {
	t.Helper()
	h, ok := manifest.QuickScan(raw)
	if !ok {
		return false
	}
	node, err := manifest.ParseDocument(raw, 1)
	if err == nil && node == nil {
		err = errors.New("the parser finds no content")
	}
	if err != nil {
		t.Fatalf("the quick scan accepts a document the parser refuses (%v):\n%s", err, raw)
	}
	if _, pass := passThrough(raw); pass {
		if err := manifest.CheckDocument(node, raw, 1, relevant); err != nil {
			t.Fatalf("passThrough lets through a document the stream reader refuses (%v):\n%s", err, raw)
		}
		if relevant(node) {
			t.Fatalf("passThrough lets through a document the filter must see:\n%s", raw)
		}
	}
	if node.YNode().Kind != yaml.MappingNode {
		t.Fatalf("the quick scan accepts a document that is not a mapping:\n%s", raw)
	}
	ann := node.GetAnnotations()
	_, hook := ann[manifest.AnnotationHook]
	_, helm4 := ann[manifest.AnnotationHelm4Filename]
	conversion := false
	if spec := node.Field("spec"); spec != nil && spec.Value.YNode().Kind == yaml.MappingNode {
		conversion = spec.Value.Field("conversion") != nil
	}
	want := manifest.QuickHead{Kind: manifest.StringField(node, "kind"), ApiVersion: manifest.StringField(node, "apiVersion"), Hook: hook, Helm4: helm4, Conversion: conversion}
	if h != want {
		t.Fatalf("the quick scan reads %+v, the parser %+v:\n%s", h, want, raw)
	}
	return true
}

// TestQuickScanAgrees runs the quick scan over every document of every fixture input and
// real chart render: where it accepts a document, the parser must agree with it. On the real
// renders it must also accept nearly every document that Process does not need to parse,
// or the fast path is gone.
func TestQuickScanAgrees(t *testing.T) {
	files := append(fixtureInputs(t), corpus(t)...)
	var irrelevant, passed int
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		render := strings.Contains(f, "/corpus/")
		for _, seg := range manifest.SplitDocuments(data) {
			accepted := checkQuickScan(t, seg.Raw)
			if !render {
				continue
			}
			node, err := manifest.ParseDocument(seg.Raw, 1)
			if err != nil {
				t.Fatalf("%s: line %d: %v", f, seg.Line, err)
			}
			if node == nil || relevant(node) {
				continue
			}
			irrelevant += len(seg.Raw)
			if _, ok := passThrough(seg.Raw); ok {
				passed += len(seg.Raw)
			} else if !accepted && node.YNode().Kind == yaml.MappingNode {
				t.Logf("%s: line %d: a document of kind %s is parsed", f, seg.Line, manifest.StringField(node, "kind"))
			}
		}
	}
	share := float64(passed) / float64(irrelevant)
	t.Logf("the quick scan lets %.1f%% of the bytes of documents Process does not need through unparsed", 100*share)
	if share < 0.95 {
		t.Errorf("the quick scan lets only %.1f%% of the bytes Process does not need through unparsed, want 95%% or more", 100*share)
	}
}

// TestQuickScan shows what the scan accepts and what it leaves to the parser. Every
// document it gives up on here is one where the scan could be fooled by reading less than
// the parser: each is checked to be what the comment says (valid or not) by the parser.
func TestQuickScan(t *testing.T) {
	accept := []struct {
		name, doc string
		head      manifest.QuickHead
	}{
		{"helm 3 framing", "---\n# Source: c/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  a: b\n", manifest.QuickHead{Kind: "ConfigMap", ApiVersion: "v1"}},
		{"quoted kind", "apiVersion: 'v1'\nkind: \"Secret\" # c\n", manifest.QuickHead{Kind: "Secret", ApiVersion: "v1"}},
		{"hook", "kind: ConfigMap\nmetadata:\n  annotations:\n    \"helm.sh/hook\": test\n    helm.sh/hook-weight: \"1\"\n", manifest.QuickHead{Kind: "ConfigMap", Hook: true}},
		{"helm 4", "kind: ConfigMap\nmetadata:\n  annotations:\n    postrenderer.helm.sh/postrender-filename: a.yaml\n", manifest.QuickHead{Kind: "ConfigMap", Helm4: true}},
		{"hook deeper is not the object's", "kind: ConfigMap\nspec:\n  metadata:\n    annotations:\n      helm.sh/hook: test\n", manifest.QuickHead{Kind: "ConfigMap"}},
		{"conversion", "kind: CustomResourceDefinition\nspec:\n  conversion:\n    strategy: None\n", manifest.QuickHead{Kind: "CustomResourceDefinition", Conversion: true}},
		{"block scalars", "kind: ConfigMap\ndata:\n  a: |\n    x: y\n\n      # not a comment\n  b: >-\n    z\n  c: |+\n\n    w\n", manifest.QuickHead{Kind: "ConfigMap"}},
		{"multi-line scalars", "kind: A\nx: a plain\n  scalar - on two # lines\ny: 'single ''quoted''\n  on two'\nz: \"double \\\"quoted\\\" \\u00e9\n  \\t\"\n", manifest.QuickHead{Kind: "A"}},
		{"sequences", "kind: A\nrules:\n- apiGroups: [\"\"] # core\n  resources:\n    - pods\n  verbs: [get, list]\n-\n  a: b\n- - x\n", manifest.QuickHead{}},
		{"flow on the next line", "kind: A\ndata:\n  a.json:\n    {}\n  b:\n    \"x\"\n", manifest.QuickHead{Kind: "A"}},
		{"flow collections", "kind: A\nsel:\n  - {key: app, operator: In, values: [web, '-x']}\nb: [ ]\nc: { a: [ {}, [] ] }\n", manifest.QuickHead{Kind: "A"}},
		{"plain starts", "kind: A\na: -1\nb: :x:y\nc: ?q\nd: a#b\ne: http://x:80/\n", manifest.QuickHead{Kind: "A"}},
		{"null metadata", "kind: A\nmetadata:\nspec: ~\n", manifest.QuickHead{Kind: "A"}},
		{"unicode", "kind: A\ndescription: café — ✓ 😀\n", manifest.QuickHead{Kind: "A"}},
	}
	for _, c := range accept {
		t.Run("accept/"+c.name, func(t *testing.T) {
			h, ok := manifest.QuickScan([]byte(c.doc))
			// "sequences" holds "- - x", which the scan leaves to the parser.
			if c.name == "sequences" {
				if ok {
					t.Fatalf("accepted %q", c.doc)
				}
				doc := strings.Replace(c.doc, "- - x\n", "", 1)
				if !checkQuickScan(t, []byte(doc)) {
					t.Fatalf("refused %q", doc)
				}
				return
			}
			if !ok {
				t.Fatalf("refused %q", c.doc)
			}
			if h != c.head {
				t.Errorf("read %+v, want %+v", h, c.head)
			}
			checkQuickScan(t, []byte(c.doc))
		})
	}

	refuse := []refusedShape{
		{"mapping in a plain value", "a: b: c\n", false},
		{"mapping in a continuation", "a: b\n  c: d\n", false},
		{"colon at the end", "a: b:\n", false},
		{"key on a deeper line", "a: 'b'\n  c: d\n", false},
		{"sequence under a scalar", "a: b\n- c\n", false},
		{"sequence at a key's column", "a:\n  - b\n  c: d\n", false},
		{"wrong indentation", "a:\n  b: 1\n c: 2\n", false},
		{"block entry as value", "a: - b\n", false},
		{"unclosed quote", "a: 'b\n", false},
		{"text after a quote", "a: 'b' c\n", false},
		{"bad escape", "a: \"\\q\"\n", false},
		{"escaped slash", "a: \"b\\/c\"\n", false},
		{"surrogate escape", "a: \"\\ud800\"\n", false},
		{"anchor and alias", "a: &x b\nc: *x\n", true},
		{"tag", "a: !!str 1\n", true},
		{"tab", "a:\tb\n", true},
		{"carriage return", "a: b\r\nc: d\r\n", true},
		{"byte order mark", "\ufeffa: b\n", true},
		{"control character", "a: b\x01\n", false},
		{"line separator", "a: b\u2028c: d\n", true},
		{"directive", "%YAML 1.1\n---\na: b\n", true},
		{"end marker", "a: b\n...\n", true},
		{"complex key", "? a\n: b\n", true},
		{"multi-line flow", "a: [b,\n  c]\n", true},
		{"flow with a trailing comma", "a: [b, ]\n", true},
		{"at sign", "a: @b\n", false},
		{"backtick", "a: `b`\n", false},
		{"duplicate top-level key", "kind: A\nkind: ConfigMap\n", true},
		{"duplicate metadata key", "metadata:\n  annotations: {}\n  annotations:\n    helm.sh/hook: x\n", true},
		{"metadata a scalar", "metadata: x\n", true},
		{"metadata a list", "metadata:\n- x\n", true},
		{"annotation a mapping", "metadata:\n  annotations:\n    a:\n      b: c\n", true},
		{"annotation a flow mapping", "metadata:\n  annotations:\n    a: {b: c}\n", true},
		{"labels in flow style", "metadata:\n  labels: {a: b}\n", true},
		{"kind on two lines", "kind: Config\n  Map\n", true},
		{"kind a mapping", "kind:\n  a: b\n", true},
		{"indentation indicator", "a: |2\n   b\n", true},
		{"spaces before a block scalar's text", "a: |\n     \n  b\n", false},
		{"block scalar less indented", "a:\n    b: |\n        c\n      d: e\n", false},
		{"list at the top", "- a\n", true},
		{"scalar at the top", "a\n", true},
		{"comments only", "# a\n", true},
		{"indented top", "  a: b\n", true},
		{"key of other characters", "a b: c\n", true},
		{"merge key", "a: {b: c}\n<<: {d: e}\n", true},
		{"spec in flow style", "kind: CustomResourceDefinition\nspec: {conversion: {strategy: Webhook}}\n", true},
	}
	testRefused(t, refuse, func(doc []byte) bool { _, ok := manifest.QuickScan(doc); return ok })
}

// TestQuickScanOutput runs Process with and without the quick scan on every fixture input
// and real chart render, under the fixture's own options and under a release-wide config:
// the bytes written, the error and the findings must be the same.
func TestQuickScanOutput(t *testing.T) {
	release := mustLayer("networkPolicy: {enabled: true, keepExisting: true, defaultDeny: {enabled: true}}", config.LevelFile, "--config")
	for _, f := range append(fixtureInputs(t), corpus(t)...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, opts := range []Options{{}, {Config: release, Release: "rel"}} {
			fast, fastRes, fastErr := Process(data, opts)
			noScan := opts
			noScan.noQuickScan = true
			slow, slowRes, slowErr := Process(data, noScan)
			if !bytes.Equal(fast, slow) {
				t.Errorf("%s (config %v): the output differs with the quick scan", f, opts.Config != nil)
			}
			if errText(fastErr) != errText(slowErr) {
				t.Errorf("%s (config %v): the error differs with the quick scan:\n%v\n%v", f, opts.Config != nil, fastErr, slowErr)
			}
			if findingsText(fastRes) != findingsText(slowRes) {
				t.Errorf("%s (config %v): the findings differ with the quick scan", f, opts.Config != nil)
			}
		}
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func findingsText(res *Result) string {
	if res == nil {
		return ""
	}
	var b strings.Builder
	for _, f := range res.Findings {
		b.WriteString(f.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// FuzzQuickScan feeds arbitrary documents to the quick scan: whatever it accepts, the
// parser must accept and read the same way. The seeds are the documents of the fixtures
// and real chart renders that the scan accepts, plus the cases of TestQuickScan.
func FuzzQuickScan(f *testing.F) {
	for _, s := range []string{
		"kind: ConfigMap\nmetadata:\n  annotations:\n    helm.sh/hook: x\ndata:\n  a: |\n    b\n",
		"kind: A\nrules:\n- apiGroups: [\"\"]\n  verbs: [get, {a: 'b'}]\nx: 'a\n  b'\ny: \"c\\n\n  d\"\nz: e\n  f\n",
		"a:\n  {}\nb:\n- c\n- d: e\n  f: |-\n    g\n",
	} {
		f.Add([]byte(s))
	}
	addFixtureDocuments(f, func(raw []byte) bool { _, ok := manifest.QuickScan(raw); return ok })
	f.Fuzz(func(t *testing.T, doc []byte) {
		// One document: the stream reader cuts at "---" lines before the scan runs.
		if segs := manifest.SplitDocuments(doc); len(segs) != 1 {
			return
		}
		checkQuickScan(t, doc)
	})
}

// TestPlainText checks the word-at-a-time character check against a byte-at-a-time one,
// with every byte value at every position of a line longer than a word.
func TestPlainText(t *testing.T) {
	want := func(b []byte) bool {
		for _, r := range string(b) {
			switch {
			case r == utf8.RuneError, r < 0x20, r >= 0x7f && r < 0xa0, r == 0x2028, r == 0x2029, r == 0xfeff, r > 0xfffd && r < 0x10000, r >= 0xd800 && r < 0xe000:
				return false
			}
		}
		return utf8.Valid(b)
	}
	base := []byte("metadata: name-0123456789 # x")
	for pos := range base {
		for c := 0; c < 256; c++ {
			line := append([]byte(nil), base...)
			line[pos] = byte(c)
			if got := manifest.PlainText(line); got != want(line) {
				t.Fatalf("plainText(%q) = %v", line, got)
			}
		}
	}
	for _, s := range []string{"café au lait et thé", "😀 emoji at the start", "a\u2028b-------", "\ufeffabcdefghij", "abcdefgh\u0085ij"} {
		if got := manifest.PlainText([]byte(s)); got != want([]byte(s)) {
			t.Errorf("plainText(%q) = %v", s, got)
		}
	}
}

// TestQuickScanMutations mutates the documents of the fixtures and real chart renders line
// by line, the way a hand-edited or badly templated manifest goes wrong (a line indented
// one space more or less, a ": ", a quote, a dash, a comment or an escape inserted, a
// character dropped, lines duplicated or swapped), and holds the quick scan to the parser
// on each: whatever the scan accepts, the parser must accept and read the same way. The
// seed is fixed; HELM_NETPOL_MUTATIONS=N runs N mutations with a seed from the clock.
func TestQuickScanMutations(t *testing.T) {
	n, seed := mutations(t)
	var docs [][]byte
	for _, f := range append(fixtureInputs(t), corpus(t)...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, seg := range manifest.SplitDocuments(data) {
			if len(seg.Raw) < 6000 {
				docs = append(docs, seg.Raw)
			}
		}
	}
	rng := rand.New(rand.NewSource(seed))
	frags := []string{": ", ":", " #", "#", "'", "\"", "- ", "-", "{", "}", "[", "]", ",", "|", ">", " ", "  ",
		"\\", "\\/", "\\x4", "\\ud800", "?", "&a ", "*a", "!", "---", "...", "\n", "\n  ", "''", "null", "~", "\t", "\r"}
	accepted := 0
	for range n {
		doc := mutateLines(rng, docs[rng.Intn(len(docs))], frags, 6)
		if len(manifest.SplitDocuments(doc)) == 1 && checkQuickScan(t, doc) {
			accepted++
		}
	}
	t.Logf("seed %d: the scan accepted %d of %d mutated documents, and the parser agreed", seed, accepted, n)
}

// fixtureInputs lists the input.yaml of every golden fixture.
func fixtureInputs(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob("../fixtures/*/input.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 30 {
		t.Fatalf("found %d fixture inputs, want at least 30", len(files))
	}
	return files
}

// mutations is how many mutated documents a mutation test checks, and the seed: 20 000
// with a fixed seed on every run, or HELM_NETPOL_MUTATIONS=N with a clock seed.
func mutations(t *testing.T) (int, int64) {
	n, seed := 20000, int64(1)
	if v := os.Getenv("HELM_NETPOL_MUTATIONS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			t.Fatalf("HELM_NETPOL_MUTATIONS=%s: %v", v, err)
		}
		seed = time.Now().UnixNano()
	}
	return n, seed
}

// mutateLines mutates one to three lines of doc the way a badly templated manifest goes
// wrong, drawing from the first ops kinds: an indentation off by one, a fragment of frags
// inserted, a character dropped, a line duplicated, two lines swapped (6), a line deleted,
// a byte replaced (8).
func mutateLines(rng *rand.Rand, doc []byte, frags []string, ops int) []byte {
	lines := bytes.Split(doc, []byte("\n"))
	for range 1 + rng.Intn(3) {
		if len(lines) == 0 {
			break
		}
		i := rng.Intn(len(lines))
		l := append([]byte(nil), lines[i]...)
		switch rng.Intn(ops) {
		case 0:
			if rng.Intn(2) == 0 {
				l = append([]byte(" "), l...)
			} else if len(l) > 0 && l[0] == ' ' {
				l = l[1:]
			}
		case 1, 2:
			p := rng.Intn(len(l) + 1)
			l = append(l[:p:p], append([]byte(frags[rng.Intn(len(frags))]), lines[i][p:]...)...)
		case 3:
			if len(l) > 0 {
				p := rng.Intn(len(l))
				l = append(l[:p:p], l[p+1:]...)
			}
		case 4:
			lines = append(lines[:i+1:i+1], lines[i:]...)
		case 5:
			if i+1 < len(lines) {
				lines[i], lines[i+1] = lines[i+1], lines[i]
				continue
			}
		case 6:
			lines = append(lines[:i:i], lines[i+1:]...)
			continue
		case 7:
			if len(l) > 0 {
				l[rng.Intn(len(l))] = byte(rng.Intn(128))
			}
		}
		lines[i] = l
	}
	return bytes.Join(lines, []byte("\n"))
}

// refusedShape is a document a fast path must refuse, and whether the parser accepts it.
type refusedShape struct {
	name, doc string
	valid     bool // what the parser says
}

// testRefused checks that accepts refuses every shape, and that each shape is as valid to
// the parser as its case says.
func testRefused(t *testing.T, shapes []refusedShape, accepts func([]byte) bool) {
	t.Helper()
	for _, c := range shapes {
		t.Run("refuse/"+c.name, func(t *testing.T) {
			if accepts([]byte(c.doc)) {
				t.Fatalf("accepted %q", c.doc)
			}
			if err := parserVerdict(c.doc); (err == nil) != c.valid {
				t.Errorf("the parser says %v, the case says valid=%v", err, c.valid)
			}
		})
	}
}

// parserVerdict is the parser's error on doc, nil when it accepts it (a document of no
// content included): what a refused shape of the tables is held to.
func parserVerdict(doc string) error {
	var n yaml.Node
	err := yaml.NewDecoder(strings.NewReader(doc)).Decode(&n)
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}
