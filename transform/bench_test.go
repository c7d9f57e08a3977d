package transform

import (
	"os"
	"testing"
)

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

// BenchmarkReadStream measures splitting and parsing a 10 MB stream of real chart output.
func BenchmarkReadStream(b *testing.B) {
	in := benchInput(b)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ReadStream(in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkProcess measures the whole post-render of a 10 MB stream of real chart output
// with every workload covered.
func BenchmarkProcess(b *testing.B) {
	in := benchInput(b)
	cfg := releaseWide(b, "networkPolicy: {enabled: true, keepExisting: true}")
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Process(in, Options{Config: cfg, Release: "rel"}); err != nil {
			b.Fatal(err)
		}
	}
}
