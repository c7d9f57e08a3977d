package transform

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/helm-netpol/helm-netpol/internal/config"
	"github.com/helm-netpol/helm-netpol/internal/discover"
	"github.com/helm-netpol/helm-netpol/internal/engine/registry"
	"github.com/helm-netpol/helm-netpol/internal/manifest"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// benchInput is the 10 MB stream: three real chart renders of one release, "rel".
func benchInput(b *testing.B) []byte {
	b.Helper()
	var in []byte
	for _, f := range []string{"kube-prometheus-stack-full.yaml", "kyverno-full.yaml", "argo-cd-ha-metrics.yaml"} {
		data, err := os.ReadFile("../fixtures/corpus/" + f)
		if err != nil {
			b.Fatal(err)
		}
		in = append(in, data...)
	}
	return in
}

type benchStream struct {
	name string
	in   []byte
}

// benchDense is the 1 MB stream of many small releases: copies of the small charts of the
// corpus, each copy release relN in namespace nsN, as scripts/bench.sh makes them.
func benchDense(b *testing.B) []byte {
	b.Helper()
	rel, ns := regexp.MustCompile(`\brel\b`), regexp.MustCompile(`\bns\b`)
	var in []byte
	for i := 1; len(in) < 1_000_000; i++ {
		for _, f := range []string{"bitnami-nginx-metrics.yaml", "cert-manager.yaml", "flagger.yaml", "podinfo.yaml"} {
			data, err := os.ReadFile("../fixtures/corpus/" + f)
			if err != nil {
				b.Fatal(err)
			}
			for line := range bytes.Lines(data) {
				line = rel.ReplaceAll(line, fmt.Appendf(nil, "rel%d", i))
				if !bytes.Contains(line, []byte("Valid time units")) {
					line = ns.ReplaceAll(line, fmt.Appendf(nil, "ns%d", i))
				}
				in = append(in, line...)
			}
		}
	}
	return in
}

// benchStreams are the inputs every benchmark runs on.
func benchStreams(b *testing.B) []benchStream {
	b.Helper()
	small, err := os.ReadFile("../fixtures/corpus/podinfo.yaml")
	if err != nil {
		b.Fatal(err)
	}
	return []benchStream{{"small", small}, {"dense-1MB", benchDense(b)}, {"mixed-10MB", benchInput(b)}}
}

// benchConfig is the release-wide config of the benchmarks, rendering with engine.
func benchConfig(b *testing.B, engine config.Engine) *config.Layer {
	// Under clusterNetworkPolicy a chart's own NetworkPolicy would decide alone at the
	// Baseline tier, so the streams' chart policies are rewritten rather than kept.
	existing := "keepExisting"
	if engine == config.EngineClusterNetworkPolicy {
		existing = "rewrite"
	}
	return releaseWide(b, fmt.Sprintf("networkPolicy: {enabled: true, %s: true, engine: %s}", existing, engine))
}

// benchOptions are the options of a run, as the command line would pass them: no
// --release, since the dense stream holds several releases.
func benchOptions(b *testing.B, engine config.Engine) Options {
	return Options{Config: benchConfig(b, engine)}
}

// benchNodes reads a stream as Process does, keeping only the relevant trees (stubs of the
// workloads and Services), and returns the nodes and options that Process would hand to
// the filter.
func benchNodes(b *testing.B, in []byte, opts Options) ([]*yaml.RNode, []*manifest.Object, Options) {
	b.Helper()
	s, err := manifest.ReadStubs(in, relevant, passThrough, discover.StubForDiscovery)
	if err != nil {
		b.Fatal(err)
	}
	opts.Format = s.Format
	return filterInput(s, opts)
}

// BenchmarkReadStream measures splitting and reading a stream: "keep=all" parses every
// document and keeps its tree (ReadStream); "keep=relevant" parses every document and
// keeps only the trees the filter looks at; "quick": documents the quick scan lets through
// are not parsed at all, the rest as "keep=relevant"; "stubs" is what Process does: "quick",
// and the kept trees of the documents the run does not change cut down once decoded.
func BenchmarkReadStream(b *testing.B) {
	for _, s := range benchStreams(b) {
		for _, k := range []struct {
			name  string
			keep  func(*yaml.RNode) bool
			pass  func([]byte) (manifest.QuickHead, bool)
			stubs manifest.Stubber
		}{{"keep=all", nil, nil, nil}, {"keep=relevant", relevant, nil, nil}, {"quick", relevant, passThrough, nil}, {"stubs", relevant, passThrough, discover.StubForDiscovery}} {
			b.Run(s.name+"/"+k.name, func(b *testing.B) {
				b.SetBytes(int64(len(s.in)))
				b.ReportAllocs()
				var docs, kept, parsed int
				for b.Loop() {
					st, err := manifest.ReadStubs(s.in, k.keep, k.pass, k.stubs)
					if err != nil {
						b.Fatal(err)
					}
					docs, kept, parsed = len(st.Docs), 0, 0
					for _, d := range st.Docs {
						if d.Node != nil {
							kept++
						}
						if !d.Scanned {
							parsed++
						}
					}
				}
				b.ReportMetric(float64(docs), "docs")
				b.ReportMetric(float64(parsed), "parsed")
				b.ReportMetric(float64(kept), "trees-kept")
			})
		}
	}
}

// BenchmarkFilter measures discovery, coverage, plan and render (engine kubernetes) on
// nodes already parsed: Inject.Filter as Process calls it, without reading or writing the
// stream. With a --config layer the filter changes no input node, so every iteration sees
// the same input.
func BenchmarkFilter(b *testing.B) {
	for _, s := range benchStreams(b) {
		b.Run(s.name, func(b *testing.B) {
			nodes, objects, opts := benchNodes(b, s.in, benchOptions(b, config.EngineKubernetes))
			b.SetBytes(int64(len(s.in)))
			b.ReportAllocs()
			var res Result
			for b.Loop() {
				if _, err := (Inject{Options: opts, Result: &res}).filter(nodes, objects); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(nodes)), "nodes")
			b.ReportMetric(float64(len(res.Generated)), "generated")
		})
	}
}

// BenchmarkRender measures each engine's render alone: the policies planned for every
// workload of the stream turned into nodes of the engine's dialect (typed object, JSON,
// YAML). An engine whose renderer is not there yet is skipped.
func BenchmarkRender(b *testing.B) {
	for _, engine := range config.Engines {
		for _, s := range benchStreams(b) {
			b.Run(string(engine)+"/"+s.name, func(b *testing.B) {
				if _, ok := registry.Dialects[engine]; !ok {
					b.Skipf("engine %s has no renderer yet", engine)
				}
				nodes, objects, opts := benchNodes(b, s.in, benchOptions(b, engine))
				var res Result
				if _, err := (Inject{Options: opts, Result: &res}).filter(nodes, objects); err != nil {
					b.Fatal(err)
				}
				if len(res.Policies) == 0 {
					b.Fatal("no policy planned")
				}
				r := &run{opts: opts}
				b.SetBytes(int64(len(s.in)))
				b.ReportAllocs()
				for b.Loop() {
					for _, p := range res.Policies {
						if _, err := r.render(p); err != nil {
							b.Fatal(err)
						}
					}
				}
				b.ReportMetric(float64(len(res.Policies)), "policies")
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(res.Policies)), "ns/policy")
			})
		}
	}
}

// BenchmarkProcess measures the whole post-render, as the command runs it: read, filter,
// write the input's bytes and the generated objects.
func BenchmarkProcess(b *testing.B) {
	for _, s := range benchStreams(b) {
		b.Run(s.name, func(b *testing.B) {
			opts := benchOptions(b, config.EngineKubernetes)
			b.SetBytes(int64(len(s.in)))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := Process(s.in, opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkQuickScan measures the quick scan alone, on one core, over every document of
// the streams.
func BenchmarkQuickScan(b *testing.B) {
	for _, s := range benchStreams(b) {
		segs := manifest.SplitDocuments(s.in)
		b.Run(s.name, func(b *testing.B) {
			b.SetBytes(int64(len(s.in)))
			b.ReportAllocs()
			accepted := 0
			for b.Loop() {
				accepted = 0
				for _, seg := range segs {
					if _, ok := manifest.QuickScan(seg.Raw); ok {
						accepted++
					}
				}
			}
			b.ReportMetric(float64(accepted), "accepted")
		})
	}
}

// BenchmarkNodeJSON measures nodeJSON on the workload documents of the corpus's chart
// renders: "decode+marshal" the way it went before appendNodeJSON (yaml.v3's decode into
// an any, then json.Marshal), "direct" as it goes now. MB/s is bytes of the workload
// documents' YAML per second.
func BenchmarkNodeJSON(b *testing.B) {
	files, err := filepath.Glob("../fixtures/corpus/*.yaml")
	if err != nil || len(files) == 0 {
		b.Fatalf("no corpus: %v", err)
	}
	var docs []*yaml.RNode
	size := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		for _, seg := range manifest.SplitDocuments(data) {
			n, err := manifest.ParseDocument(seg.Raw, seg.Line)
			if err != nil || n == nil || !manifest.IsWorkloadKind(n.GetKind()) {
				continue
			}
			docs = append(docs, n)
			size += len(seg.Raw)
		}
	}
	for _, k := range []struct {
		name string
		f    func(*yaml.RNode) ([]byte, error)
	}{{"decode+marshal", oldNodeJSON}, {"direct", manifest.NodeJSON}} {
		b.Run(k.name, func(b *testing.B) {
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				for _, n := range docs {
					if _, err := k.f(n); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(len(docs)), "documents")
		})
	}
}

// oneNamespace is a stream of n releases' worth of chart-like workloads in one namespace:
// per workload a Deployment whose selector names the release and the workload (the shared
// release pair first), a Service that selects its pods, and every other workload selected
// by a matchExpressions In, which no label pair of the index can answer alone.
func oneNamespace(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		sel := fmt.Sprintf("{matchLabels: {app.kubernetes.io/instance: rel, app.kubernetes.io/name: w%d}}", i)
		if i%2 == 1 {
			sel = fmt.Sprintf("{matchExpressions: [{key: app.kubernetes.io/name, operator: In, values: [w%d]}, {key: app.kubernetes.io/instance, operator: Exists}]}", i)
		}
		fmt.Fprintf(&b, `---
apiVersion: apps/v1
kind: Deployment
metadata: {name: w%d, namespace: one}
spec:
  selector: %s
  template:
    metadata: {labels: {app.kubernetes.io/instance: rel, app.kubernetes.io/name: w%d}}
    spec: {containers: [{name: c, image: i, ports: [{name: http, containerPort: 8080}, {name: metrics, containerPort: 9090}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: w%d, namespace: one}
spec:
  selector: {app.kubernetes.io/instance: rel, app.kubernetes.io/name: w%d}
  ports: [{port: 80, targetPort: http}]
`, i, sel, i, i, i)
	}
	return b.Bytes()
}

// BenchmarkOneNamespace measures the filter on 1,000 to 16,000 workloads in one namespace,
// every one covered, with egress to the same release on: the checks that pair workloads
// (overlap, Services, chart policies) must go through the label index, so that the time
// per workload stays flat as the namespace grows (compare ns/workload across sizes).
func BenchmarkOneNamespace(b *testing.B) {
	for _, n := range []int{1000, 2000, 4000, 8000, 16000} {
		b.Run(fmt.Sprintf("workloads=%d", n), func(b *testing.B) {
			in := oneNamespace(n)
			nodes, objects, opts := benchNodes(b, in, Options{Config: releaseWide(b, "networkPolicy: {enabled: true, egress: {enabled: true, apiserver: {cidrs: [10.0.0.1/32]}}}"), Release: "rel"})
			b.SetBytes(int64(len(in)))
			b.ReportAllocs()
			var res Result
			for b.Loop() {
				if _, err := (Inject{Options: opts, Result: &res}).filter(nodes, objects); err != nil {
					b.Fatal(err)
				}
			}
			if len(res.Generated) != n {
				b.Fatalf("generated %d policies for %d workloads", len(res.Generated), n)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/workload")
		})
	}
}
