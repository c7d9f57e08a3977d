package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestVerifyExit checks verify's exit statuses: 0 when nothing recorded would be dropped,
// 1 when something would, 2 on a flow line it cannot read, naming the line.
func TestVerifyExit(t *testing.T) {
	const stream = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
      annotations:
        helm-netpol.io/config: |
          networkPolicy: {enabled: true}
    spec:
      containers:
      - name: web
        image: nginx
        ports: [{name: http, containerPort: 8080}]
`
	dir := t.TempDir()
	for _, c := range []struct {
		name, flows string
		code        int
		stderr      string
	}{
		{"allowed", "monitoring,app=prom,shop,app=web,8080,TCP\n", 0, ""},
		{"dropped", "monitoring,app=prom,shop,app=web,8080,TCP\nmonitoring,app=prom,shop,app=web,9090,TCP\n", 1, ""},
		{"reply only", "shop,app=web,monitoring,app=prom,41000,TCP,forwarded,true\n", 0, ""},
		{"malformed", "monitoring,app=prom,shop,app=web,8080,TCP\nmonitoring,app=prom\n", 2, "malformed.csv:2: csv: 2 fields"},
		{"hubble malformed", `{"flow": {"verdict": "FORWARDED", "l4": {"TCP": {"destination_port": 8080}}, "source": {"namespace": "a", "labels": ["k8s:app=x"]}, "destination": {"namespace": "shop", "labels": ["k8s:app=web"]}}}` + "\n{\"flow\": \n", 2, "hubble malformed.csv:2: hubble flow"},
	} {
		file := filepath.Join(dir, c.name+".csv")
		if err := os.WriteFile(file, []byte(c.flows), 0o644); err != nil {
			t.Fatal(err)
		}
		var stdout, stderr bytes.Buffer
		code := run([]string{"verify", "--flows", file}, strings.NewReader(stream), &stdout, &stderr)
		if code != c.code {
			t.Errorf("%s: exit %d, want %d\n%s%s", c.name, code, c.code, stdout.String(), stderr.String())
		}
		if c.stderr == "" && stderr.Len() > 0 || !strings.Contains(stderr.String(), c.stderr) {
			t.Errorf("%s: stderr %q, want %q", c.name, stderr.String(), c.stderr)
		}
	}
	// A stream that cannot be read is input verify cannot judge with: 2 as well.
	var stdout, stderr bytes.Buffer
	file := filepath.Join(dir, "allowed.csv")
	if code := run([]string{"verify", "--flows", file}, strings.NewReader("kind: [\n"), &stdout, &stderr); code != 2 {
		t.Errorf("bad stream: exit %d, want 2: %s", code, stderr.String())
	}
}

// TestVerifyCiliumFlows reads flows made with Cilium's own flow types and marshalled as
// hubble observe -o json writes them (oracle/cilium/hubbleflows), under the kubernetes,
// cilium and calico engines: one allowed, two that would be dropped, a reply, one dropped
// already and one between pods the stream does not hold.
func TestVerifyCiliumFlows(t *testing.T) {
	for _, engine := range []string{"kubernetes", "cilium", "calico"} {
		stream := `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata:
      labels: {app: web}
      annotations:
        helm-netpol.io/config: |
          networkPolicy: {enabled: true, engine: ` + engine + `, egress: {enabled: true, apiserver: {cidrs: [172.18.0.2/32]}}}
    spec:
      containers:
      - name: web
        image: nginx
        ports: [{name: http, containerPort: 8080}]
`
		var stdout, stderr bytes.Buffer
		code := run([]string{"verify", "--flows", "testdata/verify/hubble-cilium.jsonl"}, strings.NewReader(stream), &stdout, &stderr)
		if code != 1 {
			t.Errorf("%s: exit %d, want 1\n%s%s", engine, code, stdout.String(), stderr.String())
		}
		out := stdout.String()
		for _, want := range []string{
			"WOULD DROP: ingress Deployment shop/web <- monitoring/{app=prometheus} 9090/TCP (1 flow, first on line 2)",
			"WOULD DROP: egress Deployment shop/web -> entity world ip 192.0.2.1 443/TCP (1 flow, first on line 6)",
			"6 flows: 1 allowed, 2 would be dropped (2 groups), 0 not evaluated; not judged: 1 dropped already, 1 reply, 1 no pod of the stream",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: no %q in\n%s", engine, want, out)
			}
		}
	}
}
