package trace

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestProbeContract decodes the probe JSON the oracles share, strictly, and checks the
// verdict's names.
func TestProbeContract(t *testing.T) {
	text := `{"direction":"ingress","workload":{"namespace":"ns","labels":{"app":"web"},"namespaceLabels":{"team":"a"}},"peer":{"pod":{"namespace":"mon","labels":{"app":"prom"},"namespaceLabels":{}},"ip":"10.0.0.9","entity":""},"port":9443,"protocol":"TCP"}`
	dec := json.NewDecoder(strings.NewReader(text))
	dec.DisallowUnknownFields()
	var p Probe
	if err := dec.Decode(&p); err != nil {
		t.Fatal(err)
	}
	if p.Direction != "ingress" || p.Workload.Namespace != "ns" || p.Workload.Labels["app"] != "web" || p.Workload.NamespaceLabels["team"] != "a" ||
		p.Peer.Pod == nil || p.Peer.Pod.Labels["app"] != "prom" || p.Peer.IP != "10.0.0.9" || p.Port != 9443 || p.Protocol != "TCP" {
		t.Fatalf("decoded %+v", p)
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(Verdict{Allowed: true, Reason: "r"})
	if !bytes.Equal(b, []byte(`{"allowed":true,"reason":"r"}`)) {
		t.Errorf("verdict JSON %s", b)
	}
}

func TestProbeValidate(t *testing.T) {
	good := in(pod(shopPod), 80, "TCP")
	for _, c := range []struct {
		name   string
		change func(*Probe)
		want   string
	}{
		{"direction", func(p *Probe) { p.Direction = "in" }, "direction"},
		{"port", func(p *Probe) { p.Port = 0 }, "port"},
		{"protocol", func(p *Probe) { p.Protocol = "ICMP" }, "protocol"},
		{"no peer", func(p *Probe) { p.Peer = Peer{} }, "exactly one"},
		{"two peers", func(p *Probe) { p.Peer.Entity = "host" }, "exactly one"},
		{"entity", func(p *Probe) { p.Peer = Peer{Entity: "moon"} }, "moon"},
		{"ip", func(p *Probe) { p.Peer = Peer{IP: "10.0.0"} }, "ip"},
		{"kind without name", func(p *Probe) { p.Workload.Kind = "Deployment" }, "kind and name"},
	} {
		p := good
		c.change(&p)
		err := p.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error about %s", c.name, err, c.want)
		}
	}
	if err := good.Validate(); err != nil {
		t.Error(err)
	}
}

// TestResolveWorkload takes a workload by kind and name from the stream: its pods'
// labels, namespace and ports, and the host network.
func TestResolveWorkload(t *testing.T) {
	c := &Cluster{CNI: Kubernetes, Namespace: "shop", Workloads: []Workload{
		{Kind: "Deployment", Name: "web", Labels: map[string]string{"app": "web"}, Ports: []NamedPort{{Name: "http", Port: 8080}}},
		{Kind: "DaemonSet", Name: "agent", Labels: map[string]string{"app": "agent"}, HostNetwork: true},
	}}
	for _, d := range []string{k8sWebFromShop} {
		runOne := func(p Probe) Verdict {
			cl := *c
			cl.Objects = objects(t, d)
			v, err := cl.Evaluate(p)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		v := runOne(Probe{Direction: "ingress", Workload: Pod{Kind: "Deployment", Name: "web"}, Peer: pod(monPod), Port: 8080, Protocol: "TCP"})
		if !v.Allowed || !strings.Contains(v.Rule, "ingress[1]") {
			t.Errorf("by kind and name, the named port resolved: %+v", v)
		}
		v = runOne(Probe{Direction: "ingress", Workload: Pod{Kind: "DaemonSet", Name: "agent"}, Peer: pod(monPod), Port: 1, Protocol: "TCP"})
		if !v.Allowed || !strings.Contains(v.Reason, "host network") {
			t.Errorf("a host-network workload: %+v", v)
		}
	}
	if _, err := c.Evaluate(Probe{Direction: "ingress", Workload: Pod{Kind: "Deployment", Name: "nope"}, Peer: pod(monPod), Port: 1, Protocol: "TCP"}); err == nil {
		t.Error("a workload the stream does not hold: no error")
	}
}
