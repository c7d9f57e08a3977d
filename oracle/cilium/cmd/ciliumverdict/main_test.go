package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

const sampleRequest = `{
  "documents": ["apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: p\n  namespace: ns\nspec:\n  endpointSelector:\n    matchLabels:\n      app: x\n  egress:\n  - toEntities: [kube-apiserver]\n    toPorts:\n    - ports:\n      - port: \"443\"\n        protocol: TCP\n"],
  "probes": [
    {"direction": "egress", "workload": {"namespace": "ns", "labels": {"app": "x"}},
     "peer": {"entity": "kube-apiserver", "ip": "10.0.0.1"}, "port": 443, "protocol": "TCP"},
    {"direction": "egress", "workload": {"namespace": "ns", "labels": {"app": "x"}},
     "peer": {"entity": "kube-apiserver", "ip": "10.0.0.1"}, "port": 10250, "protocol": "TCP"},
    {"direction": "ingress", "workload": {"namespace": "ns", "labels": {"app": "x"}},
     "peer": {"pod": {"namespace": "monitoring", "labels": {"app": "prometheus"}, "namespaceLabels": {"kubernetes.io/metadata.name": "monitoring"}}}, "port": 8080, "protocol": "TCP"}
  ]
}`

func TestRun(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(nil, strings.NewReader(sampleRequest), &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var resp struct {
		Verdicts []struct {
			Allowed *bool  `json:"allowed"`
			Reason  string `json:"reason"`
		} `json:"verdicts"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &resp); err != nil {
		t.Fatal(err)
	}
	want := []bool{true, false, true}
	if len(resp.Verdicts) != len(want) {
		t.Fatalf("got %d verdicts, want %d:\n%s", len(resp.Verdicts), len(want), stdout.String())
	}
	for i, v := range resp.Verdicts {
		if v.Allowed == nil || *v.Allowed != want[i] || v.Reason == "" {
			t.Errorf("verdict %d: got %+v, want allowed=%v with a reason", i, v, want[i])
		}
	}
}

func TestRunRefuses(t *testing.T) {
	tests := []struct {
		name, stdin string
		want        int
	}{
		{"not JSON", "documents:", 2},
		{"an unknown field", `{"documents": [], "probes": [], "extra": 1}`, 2},
		{"a bad probe", `{"probes": [{"direction": "sideways"}]}`, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(nil, strings.NewReader(tt.stdin), &stdout, &stderr); code != tt.want || stderr.Len() == 0 {
				t.Errorf("exit %d, stderr %q; want exit %d and a message", code, stderr.String(), tt.want)
			}
		})
	}
}
