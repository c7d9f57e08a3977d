package transform

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/helm-netpol/helm-netpol/internal/config"
	"github.com/helm-netpol/helm-netpol/internal/manifest"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

func corpus(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob("../fixtures/corpus/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob("../fixtures/corpus/*/*.yaml")
	files = append(files, more...)
	if len(files) < 10 {
		t.Fatalf("found %d real chart renders in fixtures/corpus, want at least 10", len(files))
	}
	return files
}

func releaseWide(t testing.TB, text string) *config.Layer {
	t.Helper()
	l, err := config.ParseLayer([]byte(text), config.LevelFile, "--config test", "")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestRealChartsKeepEveryByte covers every workload of real chart renders with a
// release-wide config and checks that the output starts with the input, byte for byte:
// documents the tool does not change are untouched, generated ones are appended after.
func TestRealChartsKeepEveryByte(t *testing.T) {
	cfg := releaseWide(t, "networkPolicy: {enabled: true, keepExisting: true, defaultDeny: {enabled: true}}")
	for _, file := range corpus(t) {
		t.Run(strings.TrimPrefix(file, "../fixtures/corpus/"), func(t *testing.T) {
			in, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			out, res, err := Process(in, Options{Config: cfg, Release: "rel"})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(out, in) {
				t.Fatalf("the output does not start with the input's bytes")
			}
			if len(res.Generated) == 0 {
				t.Fatalf("no policy generated for a chart with workloads")
			}
			s, err := manifest.ReadStream(out)
			if err != nil {
				t.Fatalf("the output does not parse: %v", err)
			}
			inDocs, _ := manifest.ReadStream(in)
			if got, want := len(s.Docs), len(inDocs.Docs)+len(res.Generated); got != want {
				t.Errorf("output has %d documents, want %d input + generated", got, want)
			}
			again, _, err := Process(out, Options{Config: cfg, Release: "rel"})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(out), string(again)); diff != "" {
				t.Errorf("a second run changed the output (-first +second):\n%s", diff)
			}
		})
	}
}

func TestSplitDocumentsGivesTheBytesBack(t *testing.T) {
	for name, in := range map[string]string{
		"helm 3 framing":         "---\n# Source: a.yaml\na: 1\n---\n# Source: b.yaml\nb: 2\n",
		"no leading separator":   "a: 1\n---\nb: 2",
		"separator with content": "--- |\n  text\n--- # comment\nb: 2\n",
		"dashes inside a value":  "a: ---x\nb: |\n  ---\n  still b\n",
		"CRLF":                   "a: 1\r\n---\r\nb: 2\r\n",
		"end marker":             "a: 1\n...\n---\nb: 2\n",
	} {
		t.Run(name, func(t *testing.T) {
			var got []byte
			for _, s := range manifest.SplitDocuments([]byte(in)) {
				got = append(got, s.Raw...)
			}
			if diff := cmp.Diff(in, string(got)); diff != "" {
				t.Errorf("segments do not add up to the input (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSplitDocumentsCutsAtSeparatorLines(t *testing.T) {
	segs := manifest.SplitDocuments([]byte("a: 1\n---\nb: |\n  ---\n--- # c\nc: 3\n"))
	var got []string
	var lines []int
	for _, s := range segs {
		got = append(got, string(s.Raw))
		lines = append(lines, s.Line)
	}
	want := []string{"a: 1\n", "---\nb: |\n  ---\n", "--- # c\nc: 3\n"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("segments (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]int{1, 2, 5}, lines); diff != "" {
		t.Errorf("first lines (-want +got):\n%s", diff)
	}
}

// TestSplitJumps checks that splitDocuments, which jumps from one "\n---" to the next in a
// stream of line feeds, cuts exactly where walking every line cuts, with the same line
// numbers.
func TestSplitJumps(t *testing.T) {
	inputs := []string{
		"", "---", "---\n", "\n---", "a: 1\n---", "a: 1\n---\n", "---\na: 1\n---\nb: 2\n",
		"a: 1\n---x\nb: 2\n", "a: 1\n--- \nb: 2\n", "a: 1\n---\t# c\n", "a: |\n  x\n ---\n---\n---\n",
		"a: 1\n----\n---- \n--- |\n  t\n", "\n\n---\n\n\n---",
	}
	for _, f := range append(fixtureInputs(t), corpus(t)...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, string(data))
	}
	for _, in := range inputs {
		if strings.ContainsAny(in, "\r\u0085\u2028\u2029") {
			continue
		}
		got, want := manifest.SplitDocuments([]byte(in)), manifest.SplitLines([]byte(in), manifest.NextLF)
		if len(got) != len(want) {
			t.Fatalf("%.60q: %d documents, walking lines finds %d", in, len(got), len(want))
		}
		for i := range got {
			if string(got[i].Raw) != string(want[i].Raw) || got[i].Line != want[i].Line {
				t.Fatalf("%.60q: document %d is line %d %.40q, walking lines finds line %d %.40q", in, i+1, got[i].Line, got[i].Raw, want[i].Line, want[i].Raw)
			}
		}
	}
}

// countingWriter counts the writes it is given.
type countingWriter struct {
	bytes.Buffer
	writes int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.writes++
	return c.Buffer.Write(p)
}

// TestProcessToWritesRuns checks that ProcessTo writes the unchanged documents of a stream
// in one call, not one call each, and that the bytes are those Process returns.
func TestProcessToWritesRuns(t *testing.T) {
	in, err := os.ReadFile("../fixtures/corpus/kube-prometheus-stack-full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Config: releaseWide(t, "networkPolicy: {enabled: true, keepExisting: true}")}
	var w countingWriter
	res, err := ProcessTo(&w, in, opts)
	if err != nil {
		t.Fatal(err)
	}
	want, _, err := Process(in, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(w.Bytes(), want) {
		t.Fatal("ProcessTo wrote other bytes than Process returns")
	}
	// One write for the input, then a "---" line and the object for each generated one.
	if max := 2 + 2*len(res.Generated); w.writes > max {
		t.Errorf("%d writes for %d documents and %d generated objects, want at most %d", w.writes, len(manifest.SplitDocuments(in)), len(res.Generated), max)
	}
}

// TestProcessToKeepsText checks that ProcessTo, which keeps each generated object as its
// text once it is rendered, writes what Process (which keeps the trees) returns, with the
// same findings and errors, and names the same generated objects in its Result, on every
// fixture input and real chart render, with and without a release-wide config.
func TestProcessToKeepsText(t *testing.T) {
	release := releaseWide(t, "networkPolicy: {enabled: true, keepExisting: true, defaultDeny: {enabled: true}}")
	for _, f := range append(fixtureInputs(t), corpus(t)...) {
		in, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, opts := range []Options{{}, {Config: release, Release: "rel"}} {
			want, wantRes, wantErr := Process(in, opts)
			var got bytes.Buffer
			gotRes, gotErr := ProcessTo(&got, in, opts)
			if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
				t.Fatalf("%s: ProcessTo fails with %v, Process with %v", f, gotErr, wantErr)
			}
			if gotErr == nil && !bytes.Equal(got.Bytes(), want) {
				t.Fatalf("%s: ProcessTo writes other bytes than Process returns", f)
			}
			if findingsText(gotRes) != findingsText(wantRes) {
				t.Fatalf("%s: the findings differ", f)
			}
			if gotRes == nil || wantRes == nil {
				continue
			}
			if len(gotRes.Generated) != len(wantRes.Generated) {
				t.Fatalf("%s: ProcessTo generated %d objects, Process %d", f, len(gotRes.Generated), len(wantRes.Generated))
			}
			for i, g := range gotRes.Generated {
				if a, b := g.key(), wantRes.Generated[i].key(); a != b {
					t.Fatalf("%s: generated object %d is %v, Process says %v", f, i, a, b)
				}
				// What this run rendered is kept as its text alone; what an earlier run
				// generated keeps the tree it came in as.
				if g.Policy != nil && (g.Node != nil || g.Text == "") {
					t.Fatalf("%s: ProcessTo keeps %s as a tree, not as its text", f, g.ID())
				}
				if g.For != wantRes.Generated[i].For || g.Policy != nil && g.Text != mustString(t, wantRes.Generated[i].Node) {
					t.Fatalf("%s: ProcessTo keeps %s with another mark or text than Process", f, g.ID())
				}
			}
		}
	}
}

func mustString(t *testing.T, n *yaml.RNode) string {
	t.Helper()
	text, err := n.String()
	if err != nil {
		t.Fatal(err)
	}
	return text
}

// TestHelm3HookWarning: a default-deny in a stream of Helm 3's framing warns that Helm 3
// hides hooks from a post-renderer, unless the stream holds a hook (then it is not what
// Helm 3 hands a post-renderer, but helm template's output, say), whether the hook is a
// workload the filter reads or a document it lets through.
func TestHelm3HookWarning(t *testing.T) {
	const deploy = `---
# Source: c/templates/deploy.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app.kubernetes.io/instance: rel}
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web, app.kubernetes.io/instance: rel}
    spec:
      containers:
      - name: web
        image: nginx
        ports: [{containerPort: 80}]
`
	const hookJob = `---
# Source: c/templates/job.yaml
apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  annotations:
    helm.sh/hook: pre-upgrade
spec:
  template:
    metadata:
      labels: {app: migrate, app.kubernetes.io/instance: rel}
    spec:
      restartPolicy: Never
      containers:
      - name: migrate
        image: busybox
`
	const hookConfigMap = `---
# Source: c/templates/cm.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: hook-data
  annotations:
    helm.sh/hook: pre-install
data:
  a: b
`
	opts := Options{Config: releaseWide(t, "networkPolicy: {enabled: true, defaultDeny: {enabled: true}}"), Release: "rel"}
	for _, c := range []struct {
		name, stream string
		warns        bool
	}{
		{"no hook", deploy, true},
		{"hook job", deploy + hookJob, false},
		{"hook config map", deploy + hookConfigMap, false},
	} {
		_, res, err := Process([]byte(c.stream), opts)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := strings.Contains(findingsText(res), "Helm 3 does not show hooks"); got != c.warns {
			t.Errorf("%s: warns %v, want %v:\n%s", c.name, got, c.warns, findingsText(res))
		}
	}
}
