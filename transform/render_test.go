package transform

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/helm-netpol/helm-netpol/internal/config"
	"github.com/helm-netpol/helm-netpol/internal/discover"
	"github.com/helm-netpol/helm-netpol/internal/engine/registry"
	"github.com/helm-netpol/helm-netpol/internal/manifest"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/kustomize/kyaml/yaml"
	sigsyaml "sigs.k8s.io/yaml"
)

// TestMarshalYAMLValues compares the two on values where YAML quoting, numbers and keys
// have corners.
func TestMarshalYAMLValues(t *testing.T) {
	strs := []string{"", "80", "-1", "0x1F", "1e3", "1.5", ".5", "true", "False", "yes", "no", "on", "y", "~", "null", "Null",
		"2001-12-14", "12:30", "1_000", "*.example.com", "&a", "!tag", "|", ">", "- x", "a: b", "a #b", "#c", "'q'", "\"dq\"",
		" lead", "trail ", "tab\tin", "line\nbreak", "cr\rhere", "\u2028", "\u0085", "<>&", "é", "😀", "\x01", "\x7f", "\u0080", "\u009f", "\ufeff", "\ufffe", "\uffff", "\xff", "%x", "@x", "`x",
		"{a}", "[b]", "a,b", "?", ":", "-", "---", "...", strings.Repeat("long words ", 30), strings.Repeat("x", 2000)}
	values := []any{
		map[string]any{"i": 1, "neg": -7, "big": int64(1) << 40, "max": int64(9223372036854775807), "u": uint64(18446744073709551615)},
		map[string]any{"f": 1.5, "zero": 0.0, "e": 1e21},
		map[string]any{"nil": nil, "t": true, "f": false, "empty": map[string]any{}, "list": []any{}, "nested": []any{[]any{1, "a"}, map[string]any{"k": nil}}},
		map[string]any{strings.Repeat("k", 1100): "long key"},
		map[string]any{strings.Repeat("k", 1022): "key of 1024 as JSON"},
		map[string]any{strings.Repeat("k", 1023): "key of 1025 as JSON"},
		map[string]any{strings.Repeat("<", 200): "key of 1202 as JSON"},
		map[string]any{strings.Repeat("<", 150): "key of 902 as JSON"},
		map[string]any{"a10": 1, "a9": 2, "A": 3, "b": 4, "10": 5, "9": 6, "": 7},
	}
	for _, s := range strs {
		values = append(values, map[string]any{"v": s, s: "key", "l": []any{s}})
	}
	labels := map[string]string{}
	for i, s := range strs {
		labels["k"+strings.Repeat("x", i)] = s
	}
	values = append(values, &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "n", Labels: labels, Annotations: labels}})
	for i, v := range values {
		checkMarshalYAML(t, i, v)
	}
}

// TestMarshalYAMLRendered compares the two on every policy the corpus renders to, under
// every engine.
func TestMarshalYAMLRendered(t *testing.T) {
	if testing.Short() {
		t.Skip("renders the corpus under every engine")
	}
	n := 0
	for _, file := range corpus(t) {
		in, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, engine := range config.Engines {
			var res Result
			nodes, objects, opts := testNodes(t, in, Options{Config: releaseWide(t, "networkPolicy: {enabled: true, keepExisting: true, defaultDeny: {enabled: true}, egress: {enabled: true, apiserver: {cidrs: [10.0.0.1/32]}}, engine: "+string(engine)+"}")})
			if _, err := (Inject{Options: opts, Result: &res}).filter(nodes, objects); err != nil {
				continue // an engine that cannot render this chart
			}
			for _, p := range res.Policies {
				meta := metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace, Labels: p.Labels, Annotations: p.Annotations}
				obj, err := registry.Dialects[p.Engine].Render(p, meta)
				if err != nil {
					continue
				}
				checkMarshalYAML(t, n, obj)
				n++
			}
		}
	}
	if n == 0 {
		t.Fatal("no policy rendered")
	}
}

func testNodes(t *testing.T, in []byte, opts Options) ([]*yaml.RNode, []*manifest.Object, Options) {
	t.Helper()
	s, err := manifest.ReadStubs(in, relevant, passThrough, discover.StubForDiscovery)
	if err != nil {
		t.Fatal(err)
	}
	opts.Format = s.Format
	return filterInput(s, opts)
}

func checkMarshalYAML(t *testing.T, i int, v any) {
	t.Helper()
	got, err := marshalYAML(v)
	want, wantErr := sigsyaml.Marshal(v)
	if errText(err) != errText(wantErr) {
		t.Fatalf("value %d: error %q, sigs.k8s.io/yaml says %q", i, errText(err), errText(wantErr))
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("value %d:\n%s\nsigs.k8s.io/yaml gives\n%s", i, got, want)
	}
}

// FuzzMarshalYAML compares the two on strings as keys and values.
func FuzzMarshalYAML(f *testing.F) {
	f.Add("k", "v")
	f.Add("80", "true")
	f.Add("a: b", "\u0085")
	f.Fuzz(func(t *testing.T, k, v string) {
		checkMarshalYAML(t, 0, map[string]any{k: v, "list": []any{v, k, map[string]any{v: k}}})
	})
}
