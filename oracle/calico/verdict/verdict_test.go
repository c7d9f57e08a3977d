package verdict

import (
	"strings"
	"testing"

	"github.com/helm-netpol/helm-netpol/oracle/probe"
)

// The semantics the oracle holds, each on a small policy set.

var (
	app     = Pod{Namespace: "app", Labels: map[string]string{"app": "web"}, IP: "10.244.0.10", Ports: []NamedPort{{Name: "metrics", Port: 8080}}}
	friend  = Pod{Namespace: "app", Labels: map[string]string{"app": "friend"}, IP: "10.244.0.11"}
	prom    = Pod{Namespace: "monitoring", Labels: map[string]string{"app": "prometheus"}, NamespaceLabels: map[string]string{"team": "obs"}, IP: "10.244.1.10"}
	coredns = Pod{Namespace: "kube-system", Labels: map[string]string{"k8s-app": "kube-dns"}, IP: "10.244.2.10"}
)

func in(peer Peer, port int, proto string) Probe {
	return Probe{Direction: Ingress, Workload: app, Peer: peer, Port: port, Protocol: proto}
}

func out(peer Peer, port int, proto string) Probe {
	return Probe{Direction: Egress, Workload: app, Peer: peer, Port: port, Protocol: proto}
}

func pod(p Pod) Peer   { return Peer{Pod: &p} }
func ip(a string) Peer { return Peer{IP: a} }

var apiserver = Peer{Entity: EntityKubeAPIServer, IP: "10.0.0.1"}

type want struct {
	probe   Probe
	allowed bool
	reason  string // a substring of the reason, if set
}

func check(t *testing.T, docs string, opts Options, wants []want) {
	t.Helper()
	m, err := New(probe.SplitYAML([]byte(docs)), opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range wants {
		r, err := m.judge(w.probe)
		if err != nil {
			t.Errorf("%s: %v", w.probe, err)
			continue
		}
		if r.Allowed != w.allowed || !strings.Contains(r.Reason, w.reason) {
			t.Errorf("%s: allowed %v (%s), want %v (%q)", w.probe, r.Allowed, r.Reason, w.allowed, w.reason)
		}
	}
}

func TestNoPolicyAllows(t *testing.T) {
	check(t, "", Options{}, []want{
		{in(pod(prom), 80, "TCP"), true, "namespace profile kns.app"},
		{out(ip("8.8.8.8"), 53, "UDP"), true, "no policy selects"},
	})
}

const allowMetrics = `
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: allow, namespace: app}
spec:
  order: 100
  selector: app == 'web'
  types: [Ingress]
  ingress:
  - action: Allow
    protocol: TCP
    source:
      namespaceSelector: team == 'obs'
    destination:
      ports: [metrics, "9000:9010"]
`

func TestEndOfTierDrop(t *testing.T) {
	check(t, allowMetrics, Options{}, []want{
		{in(pod(prom), 8080, "TCP"), true, "allowed by Calico NetworkPolicy app/allow"},
		{in(pod(prom), 9005, "TCP"), true, ""},
		{in(pod(prom), 9011, "TCP"), false, "end of the default tier"},
		{in(pod(prom), 8080, "UDP"), false, ""},
		{in(pod(friend), 8080, "TCP"), false, ""},       // its namespace has no team label
		{in(ip("10.244.1.10"), 8080, "TCP"), false, ""}, // an address is no endpoint
		// Egress is not governed: types says Ingress only.
		{out(ip("8.8.8.8"), 443, "TCP"), true, "no policy selects"},
	})
}

func TestNamedPortIsTheDestinations(t *testing.T) {
	// The workload names 8080 "metrics" on TCP only.
	check(t, allowMetrics, Options{}, []want{
		{in(pod(prom), 8081, "TCP"), false, ""},
	})
}

func TestOrderFirstMatchWins(t *testing.T) {
	docs := allowMetrics + `
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: deny, namespace: app}
spec:
  order: 50
  selector: all()
  ingress:
  - action: Log
  - action: Deny
    protocol: TCP
    destination: {ports: [9005]}
  - action: Pass
    protocol: TCP
    source: {selector: app == 'prometheus', namespaceSelector: all()}
    destination: {ports: [9006]}
`
	check(t, docs, Options{}, []want{
		{in(pod(prom), 9005, "TCP"), false, "denied by Calico NetworkPolicy app/deny ingress[1]"},
		{in(pod(prom), 8080, "TCP"), true, "app/allow"},
		// Pass leaves the default tier, the last one: the profile allows.
		{in(pod(prom), 9006, "TCP"), true, "passed by"},
		{in(pod(friend), 9006, "TCP"), false, "end of the default tier"},
	})
}

func TestEqualOrderByName(t *testing.T) {
	docs := `
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: b-allow, namespace: app}
spec:
  order: 10
  selector: all()
  ingress: [{action: Allow}]
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: a-deny, namespace: app}
spec:
  order: 10
  selector: all()
  ingress: [{action: Deny}]
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: 0-unordered, namespace: app}
spec:
  selector: all()
  ingress: [{action: Allow}]
`
	check(t, docs, Options{}, []want{{in(pod(prom), 1, "TCP"), false, "app/a-deny"}})
}

func TestStagedNeverEnforces(t *testing.T) {
	docs := `
apiVersion: projectcalico.org/v3
kind: StagedNetworkPolicy
metadata: {name: s, namespace: app}
spec:
  selector: all()
  types: [Ingress, Egress]
---
apiVersion: projectcalico.org/v3
kind: StagedGlobalNetworkPolicy
metadata: {name: g}
spec:
  selector: all()
  ingress: [{action: Deny}]
---
apiVersion: projectcalico.org/v3
kind: StagedKubernetesNetworkPolicy
metadata: {name: k, namespace: app}
spec:
  podSelector: {}
  policyTypes: [Ingress]
`
	check(t, docs, Options{}, []want{
		{in(pod(prom), 80, "TCP"), true, "no policy selects"},
		{out(pod(prom), 80, "TCP"), true, "no policy selects"},
	})
}

func TestNamespacedSelectorsStayInTheNamespace(t *testing.T) {
	docs := `
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: p, namespace: app}
spec:
  selector: all()
  types: [Egress]
  egress:
  - action: Allow
    destination: {selector: k8s-app == 'kube-dns'}
  - action: Allow
    destination: {selector: app == 'prometheus', namespaceSelector: kubernetes.io/metadata.name == 'monitoring'}
  - action: Allow
    destination: {notSelector: app == 'friend'}
    protocol: UDP
  - action: Allow
    destination: {namespaceSelector: global()}
    protocol: SCTP
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: other-namespace, namespace: monitoring}
spec:
  selector: all()
  ingress: [{action: Deny}]
`
	check(t, docs, Options{}, []want{
		// The selector alone is the policy's namespace: no kube-dns there.
		{out(pod(coredns), 53, "TCP"), false, ""},
		{out(pod(prom), 9090, "TCP"), true, "egress[1]"},
		// notSelector limits to the policy's namespace too.
		{out(pod(friend), 53, "UDP"), false, ""},
		{out(pod(coredns), 53, "UDP"), false, ""},
		{out(pod(Pod{Namespace: "app", IP: "10.244.0.12"}), 53, "UDP"), true, "egress[2]"},
		// global() selects no workload endpoint.
		{out(pod(coredns), 1, "SCTP"), false, ""},
		{out(ip("8.8.8.8"), 1, "SCTP"), false, ""},
		// A policy of another namespace never selects the workload.
		{in(pod(prom), 1, "TCP"), true, "no policy selects"},
	})
}

func TestNetsAndServices(t *testing.T) {
	docs := `
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: p, namespace: app}
spec:
  selector: app == 'web'
  types: [Ingress, Egress]
  ingress:
  - action: Allow
    source: {nets: [10.0.0.0/8], notNets: [10.96.0.0/12]}
  egress:
  - action: Allow
    destination: {services: {name: kubernetes, namespace: default}}
  - action: Allow
    protocol: UDP
    destination: {nets: ["2001:db8::/32"], ports: [53]}
`
	check(t, docs, Options{}, []want{
		{in(ip("10.1.2.3"), 80, "TCP"), true, ""},
		{in(ip("10.96.0.10"), 80, "TCP"), false, ""},
		{in(pod(prom), 80, "UDP"), true, ""}, // a pod's address is in the nets
		{out(apiserver, 443, "TCP"), true, "egress[0]"},
		{out(apiserver, 6443, "TCP"), true, "egress[0]"},
		{out(apiserver, 10250, "TCP"), false, ""},
		{out(apiserver, 443, "UDP"), false, ""},
		{out(ip("10.0.0.1"), 443, "TCP"), false, ""}, // not known as the apiserver's
		{out(ip("2001:db8::1"), 53, "UDP"), true, "egress[1]"},
		{out(ip("2001:db9::1"), 53, "UDP"), false, ""},
	})
	check(t, docs, Options{APIServerPorts: []int{6443}, APIServerIPs: []string{"10.0.0.1"}}, []want{
		{out(apiserver, 443, "TCP"), false, ""},
		{out(ip("10.0.0.1"), 6443, "TCP"), true, "egress[0]"},
	})
}

func TestKubernetesPolicyAtOrder1000(t *testing.T) {
	docs := `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: np, namespace: app}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector: {matchLabels: {team: obs}}
      podSelector: {matchExpressions: [{key: app, operator: In, values: [prometheus]}]}
    ports:
    - port: metrics
    - port: 9000
      endPort: 9010
      protocol: UDP
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: before, namespace: app}
spec:
  order: 999
  selector: all()
  ingress:
  - action: Deny
    protocol: UDP
    destination: {ports: [9009]}
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: after, namespace: app}
spec:
  order: 1001
  selector: all()
  ingress:
  - action: Allow
    protocol: UDP
    destination: {ports: [9010, 9011]}
`
	check(t, docs, Options{}, []want{
		{in(pod(prom), 8080, "TCP"), true, "NetworkPolicy (networking.k8s.io/v1) app/np ingress[0]"},
		{in(pod(prom), 9000, "UDP"), true, "app/np"},
		{in(pod(prom), 9009, "UDP"), false, "app/before"},
		{in(pod(prom), 9010, "UDP"), true, "app/np"},
		{in(pod(prom), 9011, "UDP"), true, "app/after"},
		{in(pod(coredns), 8080, "TCP"), false, "end of the default tier"},
	})
}

func TestGlobalPolicy(t *testing.T) {
	docs := `
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: g}
spec:
  selector: app == 'web'
  namespaceSelector: kubernetes.io/metadata.name == 'app'
  types: [Egress]
  egress:
  - action: Allow
    destination: {selector: k8s-app == 'kube-dns'}
`
	check(t, docs, Options{}, []want{
		// A global policy's rule selector spans every namespace.
		{out(pod(coredns), 53, "UDP"), true, "GlobalNetworkPolicy g"},
		{out(pod(prom), 53, "UDP"), false, ""},
	})
}

func TestRefused(t *testing.T) {
	for _, doc := range []string{
		"apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: x}\nspec: {tier: security}\n",
		"apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: x}\nspec: {unknownField: 1}\n",
		"apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: x}\nspec: {ingress: [{action: Allow, http: {methods: [GET]}}]}\n",
		"apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: x}\nspec: {ingress: [{action: Allow, destination: {ports: [80]}}]}\n",
		"apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: x}\nspec: {ingress: [{action: Reject}]}\n",
		"apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: x}\nspec: {selector: \"a ==\"}\n",
		"apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: x}\nspec: {egress: [{action: Allow, destination: {services: {name: db}}}]}\n",
		"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x}\nspec: {podSelector: {}, bogus: 1}\n",
	} {
		if _, err := New([][]byte{[]byte(doc)}, Options{}); err == nil {
			t.Errorf("accepted:\n%s", doc)
		}
	}
}

// TestSelectorTranslation pins the selectors built from Calico's rules
// (mirrored from updateprocessors/rules.go) and their evaluation by Calico's
// parser on endpoint labels with the namespace profile's pcns. labels.
func TestSelectorTranslation(t *testing.T) {
	for _, c := range []struct {
		nsSel, sel, notSel, ns, want string
	}{
		{"", "", "", "app", ""},
		{"", "a == 'b'", "", "app", "(projectcalico.org/namespace == 'app') && (a == 'b')"},
		{"", "", "a == 'b'", "app", "projectcalico.org/namespace == 'app'"},
		{"team == 'obs'", "", "", "app", `pcns.team == "obs"`},
		{"all()", "x == 'y'", "", "app", `(has(projectcalico.org/namespace)) && (x == 'y')`},
		{"", "a == 'b'", "", "", "a == 'b'"},
	} {
		got, err := entityRuleSelector(c.nsSel, c.sel, c.notSel, c.ns)
		if err != nil || got != c.want {
			t.Errorf("entityRuleSelector(%q, %q, %q, %q) = %q, %v; want %q", c.nsSel, c.sel, c.notSel, c.ns, got, err, c.want)
		}
	}
	labels := podLabels(prom)
	for sel, want := range map[string]bool{
		"projectcalico.org/namespace == 'monitoring'":      true,
		"projectcalico.org/orchestrator == 'k8s'":          true,
		"pcns.team == 'obs' && app == 'prometheus'":        true,
		"pcns.kubernetes.io/metadata.name == 'monitoring'": true,
		"pcns.projectcalico.org/name == 'monitoring'":      true,
		"team == 'obs'": false,
		"has(pcns.team) && !has(pcns.example.com/quarantined)": true,
	} {
		s, err := parseSelector(sel)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.EvaluateLabels(labels); got != want {
			t.Errorf("%s on %v: %v, want %v", sel, prom, got, want)
		}
	}
}

func TestIPVersion(t *testing.T) {
	docs := `
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: p, namespace: app}
spec:
  selector: all()
  types: [Egress]
  egress:
  - action: Allow
    ipVersion: 6
`
	check(t, docs, Options{}, []want{
		{out(ip("2001:db8::1"), 443, "TCP"), true, "egress[0]"},
		{out(ip("192.0.2.1"), 443, "TCP"), false, ""},
	})
}
