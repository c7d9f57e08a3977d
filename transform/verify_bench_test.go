package transform

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
)

// verifyBenchStream is five workloads of one release, with ingress and egress policies.
func verifyBenchStream() []byte {
	var b strings.Builder
	for i := 0; i < 5; i++ {
		fmt.Fprintf(&b, `---
apiVersion: apps/v1
kind: Deployment
metadata: {name: svc%d, namespace: shop, labels: {app.kubernetes.io/instance: rel}}
spec:
  selector: {matchLabels: {app: svc%d}}
  template:
    metadata:
      labels: {app: svc%d, app.kubernetes.io/instance: rel}
      annotations:
        helm-netpol.io/config: |
          networkPolicy:
            enabled: true
            metrics: {from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]}
            egress: {enabled: true, apiserver: {cidrs: [10.0.0.1/32]}}
    spec:
      containers:
      - name: c
        image: x
        ports: [{name: http, containerPort: 8080}, {name: metrics, containerPort: 9090}]
`, i, i, i)
	}
	return []byte(b.String())
}

// flowGen writes n Hubble flow lines of about 1 KB each, as hubble observe -o json does:
// 200 client pods in 20 namespaces calling the stream's five workloads on four ports,
// a tenth of them replies, one in fifty dropped already, one in a hundred between pods
// the stream does not hold. It cycles through 4000 distinct lines made once (every
// combination of client, workload and port), so what is timed is verify, not the
// generator, and memory stays flat.
type flowGen struct {
	n, i int
	buf  []byte
	pool [][]byte
}

const flowPool = 4000

func (g *flowGen) Read(p []byte) (int, error) {
	if g.pool == nil {
		for i := 0; i < flowPool; i++ {
			g.pool = append(g.pool, g.line(i))
		}
	}
	for len(g.buf) == 0 {
		if g.i == g.n {
			return 0, io.EOF
		}
		g.buf = g.pool[g.i%flowPool]
		g.i++
	}
	n := copy(p, g.buf)
	g.buf = g.buf[n:]
	return n, nil
}

func (g *flowGen) line(i int) []byte {
	client := i % 200
	ns := fmt.Sprintf("team%d", client%20)
	dst := i % 5
	port := []int{8080, 9090, 8443, 5432}[(i/5)%4]
	verdict := "FORWARDED"
	if i%50 == 7 {
		verdict = "DROPPED"
	}
	reply := i%10 == 3
	dstNS, dstApp := "shop", fmt.Sprintf("svc%d", dst)
	if i%100 == 11 {
		dstNS, dstApp = "elsewhere", "other"
	}
	return []byte(fmt.Sprintf(`{"flow":{"time":"2026-12-06T10:%02d:%02d.%09dZ","uuid":"%08x-0000-4000-8000-000000000000","verdict":"%s","ethernet":{"source":"0a:58:0a:00:01:%02x","destination":"0a:58:0a:00:02:%02x"},"IP":{"source":"10.1.%d.%d","destination":"10.2.0.%d","ipVersion":"IPv4"},"l4":{"TCP":{"source_port":%d,"destination_port":%d,"flags":{"SYN":true}}},"source":{"ID":%d,"identity":%d,"cluster_name":"default","namespace":"%s","labels":["k8s:app=client%d","k8s:app.kubernetes.io/name=client","k8s:pod-template-hash=5f7b9c","k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name=%s","k8s:io.cilium.k8s.policy.cluster=default","k8s:io.cilium.k8s.policy.serviceaccount=client","k8s:io.kubernetes.pod.namespace=%s"],"pod_name":"client%d-5f7b9c-x%d","workloads":[{"name":"client%d","kind":"Deployment"}]},"destination":{"ID":%d,"identity":%d,"cluster_name":"default","namespace":"%s","labels":["k8s:app=%s","k8s:app.kubernetes.io/instance=rel","k8s:pod-template-hash=77c8d","k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name=%s","k8s:io.cilium.k8s.policy.cluster=default","k8s:io.cilium.k8s.policy.serviceaccount=%s","k8s:io.kubernetes.pod.namespace=%s"],"pod_name":"%s-77c8d-abcde","workloads":[{"name":"%s","kind":"Deployment"}]},"Type":"L3_L4","node_name":"kind-worker%d","node_labels":["kubernetes.io/hostname=kind-worker"],"event_type":{"type":4,"sub_type":3},"traffic_direction":"INGRESS","trace_observation_point":"TO_ENDPOINT","is_reply":%t,"interface":{"index":12,"name":"lxc1234"},"Summary":"TCP Flags: SYN"},"node_name":"kind-worker","time":"2026-12-06T10:00:00Z"}`+"\n",
		(i/60)%60, i%60, i, i, verdict, client%256, dst, client/256, client%256, dst+10, 30000+i%30000, port,
		client, 10000+client, ns, client, ns, ns, client, i%7, client,
		dst, 20000+dst, dstNS, dstApp, dstNS, dstApp, dstNS, dstApp, dstApp, i%3, reply))
}

// BenchmarkVerify judges b.N Hubble lines against the stream's policies; ns/op is per line.
// go test ./transform -run '^$' -bench BenchmarkVerify -benchtime 1000000x -benchmem
func BenchmarkVerify(b *testing.B) {
	in := verifyBenchStream()
	g := &flowGen{n: b.N}
	bytes := len(g.line(0))
	b.SetBytes(int64(bytes))
	b.ReportAllocs()
	b.ResetTimer()
	r, err := Verify(in, Options{}, g, "")
	if err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	if r.Flows != b.N {
		b.Fatalf("read %d flows, want %d", r.Flows, b.N)
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	b.ReportMetric(float64(m.HeapInuse)/(1<<20), "MiB-heap-in-use")
	if b.N >= 100000 {
		b.Logf("%d lines (%d MB): %d allowed, %d would drop in %d groups, %v not judged", r.Flows, b.N*bytes/1e6, r.Allowed, r.Dropped, len(r.Drops), r.ApartCounts)
	}
}
