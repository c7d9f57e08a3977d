package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	in := `{"documents": ["apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: p, namespace: app}\nspec:\n  selector: all()\n  types: [Egress]\n  egress:\n  - action: Allow\n    destination: {services: {name: kubernetes, namespace: default}}\n"],
 "probes": [
  {"direction": "egress", "workload": {"namespace": "app"}, "peer": {"entity": "kube-apiserver"}, "port": 6443, "protocol": "TCP"},
  {"direction": "egress", "workload": {"namespace": "app"}, "peer": {"entity": "kube-apiserver"}, "port": 443, "protocol": "TCP"},
  {"direction": "ingress", "workload": {"namespace": "app"}, "peer": {"ip": "192.0.2.1"}, "port": 80, "protocol": "TCP"}]}`
	var out, errb bytes.Buffer
	if code := run([]string{"-apiserver-ports", "6443"}, strings.NewReader(in), &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	got := out.String()
	for _, want := range []string{`"allowed": true,
      "reason": "allowed by Calico NetworkPolicy app/p egress[0]"`, `"allowed": false`, "no policy selects the workload for ingress"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if code := run(nil, strings.NewReader(`{"documents": ["kind: NetworkPolicy\napiVersion: projectcalico.org/v3\nmetadata: {name: x}\nspec: {tier: other}\n"], "probes": []}`), &out, &errb); code != 1 {
		t.Errorf("a refused policy: exit %d, want 1", code)
	}
	if code := run(nil, strings.NewReader(`{"bogus": 1}`), &out, &errb); code != 2 {
		t.Errorf("an unreadable request: exit %d, want 2", code)
	}
}
