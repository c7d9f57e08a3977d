package trace

import (
	"strings"
	"testing"

	"github.com/helm-netpol/helm-netpol/internal/engine"
	"github.com/helm-netpol/helm-netpol/internal/engine/registry"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// traceCase is one probe against hand-written objects, and the rule of the dialect's
// documentation (or code) the verdict relies on.
type traceCase struct {
	name string
	// cite is the rule the verdict relies on, and where it is written.
	cite  string
	cni   CNI
	docs  []string
	probe Probe
	// want is "allow", "deny" or "error"; by, when set, is a part of the deciding rule's
	// object and rule, or of the error.
	want, by string
}

// The pods and peers of the tables.
var (
	web      = Pod{Namespace: "shop", Labels: map[string]string{"app": "web"}, Ports: []NamedPort{{Name: "http", Port: 8080, Protocol: "TCP"}, {Name: "dns", Port: 5353, Protocol: "UDP"}}}
	shopPod  = &Pod{Namespace: "shop", Labels: map[string]string{"app": "client"}}
	otherPod = &Pod{Namespace: "other", Labels: map[string]string{"app": "client"}}
	monPod   = &Pod{Namespace: "monitoring", Labels: map[string]string{"app": "prometheus"}, NamespaceLabels: map[string]string{"team": "obs"}}
)

func in(peer Peer, port int, proto string) Probe {
	return Probe{Direction: "ingress", Workload: web, Peer: peer, Port: port, Protocol: proto}
}

func out(peer Peer, port int, proto string) Probe {
	return Probe{Direction: "egress", Workload: web, Peer: peer, Port: port, Protocol: proto}
}

func pod(p *Pod) Peer               { return Peer{Pod: p} }
func ip(a string) Peer              { return Peer{IP: a} }
func entity(e, a string) Peer       { return Peer{Entity: e, IP: a} }
func podIP(p *Pod, a string) Peer   { return Peer{Pod: p, IP: a} }
func docs(texts ...string) []string { return texts }
func one(text string) []string      { return []string{text} }
func lines(s string) string         { return strings.TrimLeft(s, "\n") }

// objects reads hand-written objects back with the engines' readers.
func objects(t *testing.T, texts ...string) []*engine.Object {
	t.Helper()
	var out []*engine.Object
	for _, d := range texts {
		n, err := yaml.Parse(lines(d))
		if err != nil {
			t.Fatalf("%v\n%s", err, d)
		}
		o, err := registry.Read(n)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, o)
	}
	return out
}

func runCases(t *testing.T, cases []traceCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.cite == "" {
				t.Fatal("a case cites the rule it relies on")
			}
			cl := &Cluster{CNI: c.cni, Objects: objects(t, c.docs...)}
			v, err := cl.Evaluate(c.probe)
			if err != nil {
				t.Fatal(err)
			}
			got := "deny"
			switch {
			case v.Error != "":
				got = "error"
			case v.Allowed:
				got = "allow"
			}
			if got != c.want {
				t.Fatalf("%s: %s (%s %s), want %s\n(relies on: %s)", c.probe, got, v.Reason, v.Error, c.want, c.cite)
			}
			if c.by != "" && !strings.Contains(v.Object+" "+v.Rule+" "+v.Reason+" "+v.Error, c.by) {
				t.Errorf("%s: decided by %q %q (%s %s), want it to mention %q", c.probe, v.Object, v.Rule, v.Reason, v.Error, c.by)
			}
		})
	}
}
