package transform

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/helm-netpol/helm-netpol/internal/manifest"
)

// The catalogue's fixed addresses, those of the oracles.
const (
	catalogueAPIServerIP = "10.0.0.1"
	catalogueRemoteNode  = "10.0.0.2"
	catalogueHost        = "10.0.0.3"
	cataloguePodIP       = "10.244.1.5"
	catalogueWorld       = "192.0.2.1"
	catalogueWorldV6     = "2001:db8:ffff::1"
	catalogueNodeDNS     = "169.254.20.10"
)

// catalogue is issue 12's probe catalogue for every workload of a stream: peers of the
// workload's own and other namespaces, the DNS pods, the apiserver, nodes, addresses in
// and out of the fixtures' CIDRs; every declared port and a few others; TCP and UDP; both
// directions.
func catalogue(t *testing.T, input []byte, opts Options) []Probe {
	t.Helper()
	_, res, err := Process(input, opts)
	if err != nil {
		t.Fatalf("the stream does not render: %v", err)
	}
	var probes []Probe
	for _, w := range res.Workloads {
		ns := w.Namespace
		if ns == "" {
			ns = opts.Namespace
		}
		if ns == "" {
			ns = "default"
		}
		instance := w.PodLabels[manifest.LabelInstance]
		if instance == "" {
			instance = "rel"
		}
		pod := func(ns string, labels map[string]string) TracePeer {
			return TracePeer{Pod: &TracePod{Namespace: ns, Labels: labels}}
		}
		peers := []TracePeer{
			pod(ns, w.PodLabels),
			pod(ns, map[string]string{manifest.LabelInstance: instance, "app.kubernetes.io/name": "another-component"}),
			pod(ns, map[string]string{manifest.LabelInstance: "other-release", "app.kubernetes.io/name": "stranger"}),
			pod("monitoring", map[string]string{"app.kubernetes.io/name": "prometheus"}),
			pod("flagger-system", map[string]string{"app.kubernetes.io/name": "flagger"}),
			pod("kube-system", map[string]string{"k8s-app": "kube-dns"}),
			pod("openshift-dns", map[string]string{"dns.operator.openshift.io/daemonset-dns": "default"}),
			pod("kube-system", map[string]string{"k8s-app": "metrics-server"}),
			{Entity: "kube-apiserver", IP: catalogueAPIServerIP},
			{Entity: "host", IP: catalogueHost},
			{Entity: "remote-node", IP: catalogueRemoteNode},
			{Entity: "kube-dns-service", IP: catalogueNodeDNS},
			{Pod: &TracePod{Namespace: "elsewhere", Labels: map[string]string{"app": "unrelated"}}, IP: cataloguePodIP},
			{IP: catalogueWorld},
			{IP: catalogueWorldV6},
			{IP: "198.51.100.10"},  // in the fixtures' 198.51.100.0/24
			{IP: "198.51.100.200"}, // in its except
			{Entity: "world"},
		}
		ports := map[int]bool{53: true, 443: true, 6443: true, 10250: true, 12345: true}
		for _, p := range w.Ports {
			ports[int(p.Port)] = true
		}
		var portList []int
		for p := range ports {
			portList = append(portList, p)
		}
		sort.Ints(portList)
		for _, peer := range peers {
			for _, port := range portList {
				for _, proto := range []string{"TCP", "UDP"} {
					for _, dir := range []string{"ingress", "egress"} {
						probes = append(probes, Probe{Direction: dir, Workload: TracePod{Kind: w.Kind, Name: w.Name, Namespace: ns}, Peer: peer, Port: port, Protocol: proto})
					}
				}
			}
		}
	}
	return probes
}

// TestTraceSameOnOutput traces the catalogue on every golden fixture and every real chart
// render (under every engine's release-wide config), once on the post-renderer's input and
// once on its output: the verdicts must be the same.
func TestTraceSameOnOutput(t *testing.T) {
	runs := fixtureRuns(t)
	if !testing.Short() {
		runs = append(runs, corpusRuns(t)...)
	}
	notEvaluated := map[string]int{}
	total := 0
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			out, _, err := Process(r.input, r.opts)
			if err != nil {
				t.Fatal(err)
			}
			probes := catalogue(t, r.input, r.opts)
			in, err := Trace(r.input, r.opts, probes)
			if err != nil {
				t.Fatalf("trace of the input: %v", err)
			}
			got, err := Trace(out, r.opts, probes)
			if err != nil {
				t.Fatalf("trace of the output: %v", err)
			}
			for i := range probes {
				if diff := cmp.Diff(in[i], got[i]); diff != "" {
					t.Errorf("%s: input and output answer differently (-input +output):\n%s", probes[i], diff)
				}
				if in[i].Error != "" {
					notEvaluated[in[i].Error]++
				}
			}
			total += len(probes)
		})
	}
	var lines []string
	for e, n := range notEvaluated {
		lines = append(lines, fmt.Sprintf("%6d %s", n, e))
	}
	sort.Strings(lines)
	t.Logf("%d probes; not evaluated:\n%s", total, strings.Join(lines, "\n"))
	_ = os.Stderr
}
