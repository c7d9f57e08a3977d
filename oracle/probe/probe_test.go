package probe

import (
	"encoding/json"
	"strings"
	"testing"
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
