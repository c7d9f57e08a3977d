package probe

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

func TestValidate(t *testing.T) {
	pod := Pod{Namespace: "ns", Labels: map[string]string{"app": "x"}}
	ok := Probe{Direction: Ingress, Workload: pod, Peer: Peer{Entity: EntityWorld, IP: "192.0.2.1"}, Port: 443, Protocol: "TCP"}
	if err := ok.Validate(); err != nil {
		t.Fatalf("a valid probe: %v", err)
	}
	for _, c := range []struct {
		want string
		edit func(p *Probe)
	}{
		{`direction "in"`, func(p *Probe) { p.Direction = "in" }},
		{"workload: namespace is empty", func(p *Probe) { p.Workload.Namespace = "" }},
		{"port 0", func(p *Probe) { p.Port = 0 }},
		{"port 65536", func(p *Probe) { p.Port = 65536 }},
		{`protocol "tcp"`, func(p *Probe) { p.Protocol = "tcp" }},
		{"exactly one of pod, ip, entity", func(p *Probe) { p.Peer = Peer{} }},
		{"exactly one of pod, ip, entity", func(p *Probe) { p.Peer.Pod = &pod }},
		{`peer entity "node"`, func(p *Probe) { p.Peer.Entity = "node" }},
		{"peer ip", func(p *Probe) { p.Peer.IP = "10.0.0.300" }},
		{"peer pod: namespace is empty", func(p *Probe) { p.Peer = Peer{Pod: &Pod{}} }},
		{"workload ip", func(p *Probe) { p.Workload.IP = "x" }},
		{`named port "" 80`, func(p *Probe) { p.Workload.Ports = []NamedPort{{Port: 80}} }},
		{`named port "m": protocol "ICMP"`, func(p *Probe) { p.Workload.Ports = []NamedPort{{Name: "m", Port: 80, Protocol: "ICMP"}} }},
	} {
		p := ok
		p.Workload.Ports = nil
		c.edit(&p)
		err := p.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want an error with %q", p, err, c.want)
		}
	}
}

// TestJSON: the field names are the contract the verdict commands read.
func TestJSON(t *testing.T) {
	p := Probe{Direction: Egress, Workload: Pod{Namespace: "ns", IP: "10.0.0.1", Ports: []NamedPort{{Name: "dns", Port: 53, Protocol: "UDP"}}}, Peer: Peer{Pod: &Pod{Namespace: "kube-system", Labels: map[string]string{"k8s-app": "kube-dns"}}}, Port: 53, Protocol: "UDP"}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"direction":"egress","workload":{"namespace":"ns","ip":"10.0.0.1","ports":[{"name":"dns","port":53,"protocol":"UDP"}]},"peer":{"pod":{"namespace":"kube-system","labels":{"k8s-app":"kube-dns"}}},"port":53,"protocol":"UDP"}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	if got := p.String(); got != "egress ns{} pod kube-system{k8s-app=kube-dns} 53/UDP" {
		t.Errorf("String: %q", got)
	}
}

func TestSplitYAML(t *testing.T) {
	stream := "# a comment alone\n---\na: 1\n--- # Source: x\nb: 2\n---\n\n# nothing\n---   \nc: 3\n"
	got := SplitYAML([]byte(stream))
	want := []string{"a: 1\n", "b: 2\n", "c: 3\n"}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for i := range want {
		if string(got[i]) != want[i] {
			t.Errorf("document %d: got %q, want %q", i, got[i], want[i])
		}
	}
}

func TestCIDREdges(t *testing.T) {
	got := CIDREdges([]netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/24"),
		netip.MustParsePrefix("10.0.0.1/32"), // its "in" is 10.0.0.0/24's, listed once
		netip.MustParsePrefix("0.0.0.0/0"),
		netip.MustParsePrefix("fd00::/127"),
		netip.MustParsePrefix("255.255.255.255/32"), // nothing after it
	})
	want := []NamedAddr{
		{"in 10.0.0.0/24", netip.MustParseAddr("10.0.0.1")},
		{"after 10.0.0.0/24", netip.MustParseAddr("10.0.1.0")},
		{"after 10.0.0.1/32", netip.MustParseAddr("10.0.0.2")},
		{"in fd00::/127", netip.MustParseAddr("fd00::1")},
		{"after fd00::/127", netip.MustParseAddr("fd00::2")},
		{"in 255.255.255.255/32", netip.MustParseAddr("255.255.255.255")},
	}
	if !slices.Equal(got, want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
}

func TestServe(t *testing.T) {
	var out, errb strings.Builder
	judge := func(docs [][]byte, probes []Probe) ([]Verdict, error) {
		if len(docs) != 1 || string(docs[0]) != "kind: X" || len(probes) != 1 {
			t.Errorf("judge got %q and %v", docs, probes)
		}
		return []Verdict{{Allowed: true, Reason: "r"}}, nil
	}
	in := `{"documents": ["kind: X"], "probes": [{"direction": "ingress", "workload": {"namespace": "n"}, "peer": {"ip": "192.0.2.1"}, "port": 80, "protocol": "TCP"}]}`
	if code := Serve("v", strings.NewReader(in), &out, &errb, judge); code != 0 || !strings.Contains(out.String(), `"allowed": true`) {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
	errb.Reset()
	if code := Serve("v", strings.NewReader(`{"docs": []}`), &out, &errb, judge); code != 2 || !strings.HasPrefix(errb.String(), "v: decode request:") {
		t.Errorf("an unknown field: exit %d, stderr %q", code, errb.String())
	}
	errb.Reset()
	refuse := func([][]byte, []Probe) ([]Verdict, error) { return nil, fmt.Errorf("no") }
	if code := Serve("v", strings.NewReader(`{"documents": [], "probes": []}`), &out, &errb, refuse); code != 1 || errb.String() != "v: no\n" {
		t.Errorf("a refusal: exit %d, stderr %q", code, errb.String())
	}
}

// TestEditConfigs: every config annotation is edited, wherever it stands; other strings,
// and an annotation that holds no config, are left as they are; a malformed config is an
// error naming the annotation.
func TestEditConfigs(t *testing.T) {
	var obj map[string]any
	doc := `
metadata:
  annotations:
    helm-netpol.io/config: "networkPolicy: {engine: cilium}"
    other: "networkPolicy: {engine: cilium}"
spec:
  template:
    metadata:
      annotations:
        helm-netpol.io/config: "networkPolicy: {enabled: true}"
  list:
  - annotations:
      helm-netpol.io/config: ""
`
	if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
		t.Fatal(err)
	}
	edits := 0
	err := EditConfigs(obj, func(cfg map[string]any) {
		edits++
		cfg["networkPolicy"].(map[string]any)["engine"] = "calico"
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := yaml.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	want := `metadata:
  annotations:
    helm-netpol.io/config: |
      networkPolicy:
        engine: calico
    other: 'networkPolicy: {engine: cilium}'
spec:
  list:
  - annotations:
      helm-netpol.io/config: ""
  template:
    metadata:
      annotations:
        helm-netpol.io/config: |
          networkPolicy:
            enabled: true
            engine: calico
`
	if edits != 2 || string(got) != want {
		t.Errorf("%d edits, got\n%s\nwant 2 edits and\n%s", edits, got, want)
	}
	bad := map[string]any{"a": map[string]any{ConfigAnnotation: "networkPolicy: [1"}}
	if err := EditConfigs(bad, func(map[string]any) {}); err == nil || !strings.Contains(err.Error(), "annotation "+ConfigAnnotation) {
		t.Errorf("a malformed config: error %v, want one naming the annotation", err)
	}
}
