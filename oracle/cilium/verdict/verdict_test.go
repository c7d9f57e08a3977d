package verdict

import (
	"strings"
	"testing"
)

// Peers shared by the cases.
var (
	workload   = Pod{Namespace: "app", Labels: map[string]string{"app": "x"}}
	client     = Pod{Namespace: "app", Labels: map[string]string{"app": "client"}}
	other      = Pod{Namespace: "app", Labels: map[string]string{"app": "other"}}
	clientElse = Pod{Namespace: "elsewhere", Labels: map[string]string{"app": "client"}}
	teamA      = Pod{Namespace: "team-a", Labels: map[string]string{"app": "client"}, NamespaceLabels: map[string]string{"team": "a"}}
	teamB      = Pod{Namespace: "team-b", Labels: map[string]string{"app": "client"}, NamespaceLabels: map[string]string{"team": "b"}}
	kubeDNS    = Pod{Namespace: "kube-system", Labels: map[string]string{"k8s-app": "kube-dns"}}
	kubeProxy  = Pod{Namespace: "kube-system", Labels: map[string]string{"k8s-app": "kube-proxy"}}

	podPeer   = func(p Pod) Peer { return Peer{Pod: &p} }
	apiserver = Peer{Entity: EntityKubeAPIServer, IP: "10.0.0.1"}
	host      = Peer{Entity: EntityHost}
	hostAt    = Peer{Entity: EntityHost, IP: "10.0.0.3"}
	remote    = Peer{Entity: EntityRemoteNode, IP: "10.0.0.2"}
	ipPeer    = func(ip string) Peer { return Peer{IP: ip} }
)

func in(peer Peer, port int, proto string) Probe {
	return Probe{Direction: Ingress, Workload: workload, Peer: peer, Port: port, Protocol: proto}
}

func out(peer Peer, port int, proto string) Probe {
	return Probe{Direction: Egress, Workload: workload, Peer: peer, Port: port, Protocol: proto}
}

type check struct {
	probe   Probe
	allowed bool
	reason  string // a substring of the verdict's reason
}

const cnpHeader = `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: p
  namespace: app
spec:
  endpointSelector:
    matchLabels:
      app: x
`

// cidrPolicy allows 10.0.0.0/24 in on 9443 and out on every port.
const cidrPolicy = cnpHeader + `  ingress:
  - fromCIDRSet:
    - cidr: 10.0.0.0/24
    toPorts:
    - ports:
      - port: "9443"
        protocol: TCP
  egress:
  - toCIDRSet:
    - cidr: 10.0.0.0/24
`

// TestVerdicts proves the harness on hand-written policies. Each case states
// what Cilium's documentation or code says the outcome is.
func TestVerdicts(t *testing.T) {
	tests := []struct {
		name   string
		opts   Options
		docs   []string
		checks []check
	}{
		{
			// docs.cilium.io, Policy Enforcement Modes, default: an
			// endpoint no rule selects allows all traffic.
			name: "no policy allows everything",
			checks: []check{
				{in(podPeer(other), 80, "TCP"), true, "no policy selects the workload for ingress"},
				{out(ipPeer("203.0.113.9"), 443, "TCP"), true, "no policy selects the workload for egress"},
			},
		},
		{
			// Policy Enforcement Modes: once a rule selects an endpoint in a
			// direction, that direction is default-deny; `ingress: [{}]`
			// is the documented deny-all. Egress is not selected, so open.
			name: "endpointSelector {} with ingress [{}] denies ingress only",
			docs: []string{`apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: deny
  namespace: app
spec:
  endpointSelector: {}
  ingress:
  - {}
`},
			checks: []check{
				{in(podPeer(client), 80, "TCP"), false, "default deny: no rule allows it; selected by CiliumNetworkPolicy app/deny"},
				{in(Peer{Entity: EntityWorld, IP: "203.0.113.9"}, 80, "TCP"), false, "default deny"},
				{out(podPeer(client), 80, "TCP"), true, "no policy selects the workload for egress"},
				// allow-localhost: the agent allows the node to reach its
				// pods in Kubernetes (kubelet probes).
				{in(host, 8081, "TCP"), true, "allow-localhost"},
			},
		},
		{
			// Layer 3 Endpoints Based: fromEndpoints selects pods by
			// labels, and a CiliumNetworkPolicy's selectors are limited to
			// its own namespace.
			name: "fromEndpoints matchLabels allows that pod and no other",
			docs: []string{cnpHeader + `  ingress:
  - fromEndpoints:
    - matchLabels:
        app: client
`},
			checks: []check{
				{in(podPeer(client), 80, "TCP"), true, "allowed by CiliumNetworkPolicy app/p spec.ingress[0]"},
				{in(podPeer(client), 9999, "UDP"), true, "spec.ingress[0]"},
				{in(podPeer(other), 80, "TCP"), false, "default deny"},
				{in(podPeer(clientElse), 80, "TCP"), false, "default deny"},
				{in(apiserver, 80, "TCP"), false, "default deny"},
			},
		},
		{
			// Entities Based: kube-apiserver selects the apiserver's
			// addresses; a rule without toPorts allows every port, so the
			// kubelet port of the control-plane node is open too (issue 12,
			// defect 6).
			name: "toEntities kube-apiserver without toPorts opens every port",
			docs: []string{cnpHeader + `  egress:
  - toEntities:
    - kube-apiserver
`},
			checks: []check{
				{out(apiserver, 443, "TCP"), true, "spec.egress[0]"},
				{out(apiserver, 10250, "TCP"), true, "spec.egress[0]"},
				{out(apiserver, 2379, "TCP"), true, "spec.egress[0]"},
				{out(remote, 10250, "TCP"), false, "default deny"},
				{out(host, 10250, "TCP"), false, "default deny"},
			},
		},
		{
			name: "toEntities kube-apiserver with toPorts 443",
			docs: []string{cnpHeader + `  egress:
  - toEntities:
    - kube-apiserver
    toPorts:
    - ports:
      - port: "443"
        protocol: TCP
`},
			checks: []check{
				{out(apiserver, 443, "TCP"), true, "spec.egress[0]"},
				{out(apiserver, 10250, "TCP"), false, "default deny"},
				{out(apiserver, 443, "UDP"), false, "default deny"},
			},
		},
		{
			// Layer 3 IP/CIDR based: "CIDR rules do not apply to traffic
			// where both sides of the connection are either managed by
			// Cilium or use an IP belonging to a node in the cluster",
			// unless policy-cidr-match-mode includes nodes. A host-network
			// apiserver is such a node (issue 12, defect 3).
			name: "fromCIDRSet covering the apiserver does not select it",
			docs: []string{cidrPolicy},
			checks: []check{
				{in(apiserver, 9443, "TCP"), false, "default deny"},
				{in(remote, 9443, "TCP"), false, "default deny"},
				{in(ipPeer("10.0.0.77"), 9443, "TCP"), true, "spec.ingress[0]"},
				{in(ipPeer("10.0.1.77"), 9443, "TCP"), false, "default deny"},
				{out(hostAt, 443, "TCP"), false, "default deny"},
				{out(apiserver, 443, "TCP"), false, "default deny"},
				{out(ipPeer("10.0.0.77"), 443, "TCP"), true, "spec.egress[0]"},
			},
		},
		{
			name: "fromCIDRSet covering the apiserver selects it under policy-cidr-match-mode nodes",
			opts: Options{CIDRMatchNodes: true},
			docs: []string{cidrPolicy},
			checks: []check{
				{in(apiserver, 9443, "TCP"), true, "spec.ingress[0]"},
				{in(remote, 9443, "TCP"), true, "spec.ingress[0]"},
				{in(ipPeer("10.0.0.77"), 9443, "TCP"), true, "spec.ingress[0]"},
				{out(hostAt, 443, "TCP"), true, "spec.egress[0]"},
				{out(apiserver, 443, "TCP"), true, "spec.egress[0]"},
			},
		},
		{
			// Cilium translates an ipBlock into a CIDR rule
			// (k8s.ParseNetworkPolicy ipBlockToCIDRRule): the same limit.
			name: "NetworkPolicy ipBlock does not select the apiserver",
			docs: []string{`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: np
  namespace: app
spec:
  podSelector:
    matchLabels:
      app: x
  policyTypes: [Ingress]
  ingress:
  - from:
    - ipBlock:
        cidr: 10.0.0.0/24
        except: [10.0.0.128/25]
    ports:
    - port: 9443
`},
			checks: []check{
				{in(apiserver, 9443, "TCP"), false, "default deny: no rule allows it; selected by NetworkPolicy app/np"},
				{in(ipPeer("10.0.0.77"), 9443, "TCP"), true, "allowed by NetworkPolicy app/np spec.ingress[0].from[0]"},
				{in(ipPeer("10.0.0.200"), 9443, "TCP"), false, "default deny"},
				{in(ipPeer("10.0.0.77"), 9443, "UDP"), false, "default deny"},
				{out(ipPeer("10.0.0.77"), 9443, "TCP"), true, "no policy selects the workload for egress"},
			},
		},
		{
			// Entities Based: world is everything outside the cluster;
			// cluster is every identity inside it.
			name: "toEntities world is not a pod; cluster is",
			docs: []string{cnpHeader + `  egress:
  - toEntities:
    - world
    toPorts:
    - ports:
      - port: "443"
        protocol: TCP
  - toEntities:
    - cluster
    toPorts:
    - ports:
      - port: "8080"
        protocol: TCP
`},
			checks: []check{
				{out(ipPeer("203.0.113.9"), 443, "TCP"), true, "spec.egress[0]"},
				{out(ipPeer("2001:db8::9"), 443, "TCP"), true, "spec.egress[0]"},
				{out(podPeer(other), 443, "TCP"), false, "default deny"},
				{out(apiserver, 443, "TCP"), false, "default deny"},
				{out(podPeer(other), 8080, "TCP"), true, "spec.egress[1]"},
				{out(apiserver, 8080, "TCP"), true, "spec.egress[1]"},
				{out(host, 8080, "TCP"), true, "spec.egress[1]"},
				{out(ipPeer("203.0.113.9"), 8080, "TCP"), false, "default deny"},
			},
		},
		{
			// Kubernetes namespace labels are selectable as
			// k8s:io.cilium.k8s.namespace.labels.<key> (Cilium: "Namespace
			// labels"), and a NetworkPolicy namespaceSelector maps to them.
			name: "namespace labels select pods by their namespace",
			docs: []string{cnpHeader + `  ingress:
  - fromEndpoints:
    - matchLabels:
        k8s:io.cilium.k8s.namespace.labels.team: a
`, `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: np
  namespace: app
spec:
  podSelector:
    matchLabels:
      app: x
  policyTypes: [Egress]
  egress:
  - to:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: team-b
`},
			checks: []check{
				{in(podPeer(teamA), 80, "TCP"), true, "CiliumNetworkPolicy app/p spec.ingress[0]"},
				{in(podPeer(teamB), 80, "TCP"), false, "default deny"},
				{in(podPeer(client), 80, "TCP"), false, "default deny"},
				{out(podPeer(teamB), 80, "TCP"), true, "NetworkPolicy app/np spec.egress[0].to[0]"},
				{out(podPeer(teamA), 80, "TCP"), false, "default deny: no rule allows it; selected by NetworkPolicy app/np"},
			},
		},
		{
			// toPorts protocol: a port rule matches only its protocol;
			// endPort opens the range (Layer 4 Examples, port ranges).
			name: "protocols and port ranges",
			docs: []string{cnpHeader + `  egress:
  - toEndpoints:
    - matchLabels:
        k8s:io.kubernetes.pod.namespace: kube-system
        k8s-app: kube-dns
    toPorts:
    - ports:
      - port: "53"
        protocol: UDP
  - toEndpoints:
    - {}
    toPorts:
    - ports:
      - port: "8000"
        endPort: 8010
        protocol: TCP
`},
			checks: []check{
				{out(podPeer(kubeDNS), 53, "UDP"), true, "spec.egress[0]"},
				{out(podPeer(kubeDNS), 53, "TCP"), false, "default deny"},
				{out(podPeer(kubeProxy), 53, "UDP"), false, "default deny"},
				{out(podPeer(other), 8000, "TCP"), true, "spec.egress[1]"},
				{out(podPeer(other), 8010, "TCP"), true, "spec.egress[1]"},
				{out(podPeer(other), 8011, "TCP"), false, "default deny"},
				{out(podPeer(other), 8005, "UDP"), false, "default deny"},
				// An empty endpoint selector in a CiliumNetworkPolicy is
				// limited to the policy's namespace.
				{out(podPeer(clientElse), 8005, "TCP"), false, "default deny"},
			},
		},
		{
			name: "NetworkPolicy endPort and UDP",
			docs: []string{`apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: np
  namespace: app
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
  ingress:
  - ports:
    - port: 8000
      endPort: 8010
      protocol: UDP
`},
			checks: []check{
				{in(podPeer(clientElse), 8005, "UDP"), true, "NetworkPolicy app/np spec.ingress[0]"},
				{in(ipPeer("203.0.113.9"), 8010, "UDP"), true, "spec.ingress[0]"},
				{in(podPeer(clientElse), 8005, "TCP"), false, "default deny"},
				{in(podPeer(clientElse), 8011, "UDP"), false, "default deny"},
				{out(podPeer(client), 80, "TCP"), false, "default deny: no rule allows it; selected by NetworkPolicy app/np"},
			},
		},
		{
			// Deny policies take precedence over allows (Deny Policies).
			name: "ingressDeny beats an allow",
			docs: []string{cnpHeader + `  ingress:
  - fromEntities: [all]
  ingressDeny:
  - fromEndpoints:
    - matchLabels:
        app: other
    toPorts:
    - ports:
      - port: "80"
        protocol: TCP
`},
			checks: []check{
				{in(podPeer(other), 80, "TCP"), false, "denied by CiliumNetworkPolicy app/p spec.ingressDeny[0]"},
				{in(podPeer(other), 81, "TCP"), true, "spec.ingress[0]"},
				{in(podPeer(client), 80, "TCP"), true, "spec.ingress[0]"},
			},
		},
		{
			// k8s.ParseClusterNetworkPolicy: a ClusterNetworkPolicy's rules
			// do not make the subject default-deny; Baseline comes after
			// NetworkPolicy, Admin before it.
			name: "ClusterNetworkPolicy tiers around a NetworkPolicy",
			docs: []string{`apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata:
  name: baseline
spec:
  tier: Baseline
  priority: 10
  subject:
    namespaces:
      matchLabels:
        kubernetes.io/metadata.name: app
  ingress:
  - name: deny-all
    action: Deny
    from:
    - namespaces: {}
`, `apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata:
  name: admin
spec:
  tier: Admin
  priority: 10
  subject:
    namespaces:
      matchLabels:
        kubernetes.io/metadata.name: app
  ingress:
  - name: deny-team-b
    action: Deny
    from:
    - namespaces:
        matchLabels:
          team: b
`, `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: np
  namespace: app
spec:
  podSelector:
    matchLabels:
      app: x
  policyTypes: [Ingress]
  ingress:
  - from:
    - namespaceSelector: {}
    ports:
    - port: 80
`},
			checks: []check{
				{in(podPeer(teamA), 80, "TCP"), true, "NetworkPolicy app/np spec.ingress[0].from[0]"},
				{in(podPeer(teamB), 80, "TCP"), false, "denied by ClusterNetworkPolicy admin spec.ingress[0] (deny-team-b)"},
				{in(podPeer(teamA), 81, "TCP"), false, ""},
				// A pod the NetworkPolicy does not select falls to the
				// Baseline deny.
				{Probe{Direction: Ingress, Workload: other, Peer: podPeer(teamA), Port: 80, Protocol: "TCP"}, false, "denied by ClusterNetworkPolicy baseline spec.ingress[0] (deny-all)"},
				// Sources outside any namespace are not peers of the deny.
				{Probe{Direction: Ingress, Workload: other, Peer: ipPeer("203.0.113.9"), Port: 80, Protocol: "TCP"}, true, "allow-any-ingress"},
			},
		},
		{
			// Layer 7 rules: the port is allowed at L4 and redirected to
			// the proxy, which then judges each request.
			name: "an L7 rule redirects to the proxy",
			docs: []string{cnpHeader + `  ingress:
  - fromEndpoints:
    - matchLabels:
        app: client
    toPorts:
    - ports:
      - port: "80"
        protocol: TCP
      rules:
        http:
        - method: GET
          path: /
`},
			checks: []check{
				{in(podPeer(client), 80, "TCP"), true, "spec.ingress[0] (to the L7 proxy"},
				{in(podPeer(client), 81, "TCP"), false, "default deny"},
			},
		},
		{
			// labelsfilter's default prefixes leave pod-template-hash out
			// of identities, so no selector can use it.
			name: "labels outside the identity cannot be selected",
			docs: []string{cnpHeader + `  ingress:
  - fromEndpoints:
    - matchLabels:
        pod-template-hash: abc
`},
			checks: []check{
				{in(podPeer(Pod{Namespace: "app", Labels: map[string]string{"pod-template-hash": "abc"}}), 80, "TCP"), false, "default deny"},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs := make([][]byte, len(tt.docs))
			for i, d := range tt.docs {
				docs[i] = []byte(d)
			}
			probes := make([]Probe, len(tt.checks))
			for i, c := range tt.checks {
				probes[i] = c.probe
			}
			got, err := tt.opts.Verdicts(docs, probes)
			if err != nil {
				t.Fatal(err)
			}
			for i, c := range tt.checks {
				if got[i].Allowed != c.allowed || !strings.Contains(got[i].Reason, c.reason) {
					t.Errorf("%s: got allowed=%v %q, want allowed=%v, reason containing %q", c.probe, got[i].Allowed, got[i].Reason, c.allowed, c.reason)
				}
			}
		})
	}
}

// TestIngressNamedPorts: a named port of an ingress rule resolves against the
// workload pod's declared ports of that name and protocol, as the agent resolves
// it for the endpoint (l4.go, PolicyOwner.GetIngressNamedPort); a pod that
// declares no such port opens nothing.
func TestIngressNamedPorts(t *testing.T) {
	doc := cnpHeader + "  ingress:\n  - toPorts:\n    - ports:\n      - port: metrics\n        protocol: TCP\n"
	declared := workload
	declared.Ports = []NamedPort{{Name: "metrics", Port: 8080}, {Name: "dns", Port: 53, Protocol: "UDP"}}
	probe := func(w Pod, port int, proto string) Probe {
		return Probe{Direction: Ingress, Workload: w, Peer: podPeer(client), Port: port, Protocol: proto}
	}
	for _, c := range []struct {
		probe   Probe
		allowed bool
	}{
		{probe(declared, 8080, "TCP"), true},
		{probe(declared, 8081, "TCP"), false},
		{probe(declared, 8080, "UDP"), false},
		{probe(workload, 8080, "TCP"), false}, // declares no port named metrics
	} {
		got, err := Verdicts([][]byte{[]byte(doc)}, []Probe{c.probe})
		if err != nil {
			t.Fatal(err)
		}
		if got[0].Allowed != c.allowed {
			t.Errorf("%s (ports %v): allowed %v, want %v: %s", c.probe, c.probe.Workload.Ports, got[0].Allowed, c.allowed, got[0].Reason)
		}
	}
}

func TestVerdictsRefuse(t *testing.T) {
	probe := in(podPeer(client), 80, "TCP")
	tests := []struct {
		name    string
		doc     string
		probe   Probe
		wantErr string
	}{
		{"a kind Cilium does not enforce", "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata:\n  name: p\n", probe, "not a policy kind Cilium 1.20.2 enforces"},
		{"a named port of an egress rule", cnpHeader + "  egress:\n  - toPorts:\n    - ports:\n      - port: metrics\n", probe, "named ports of egress rules are not supported"},
		{"a field Cilium does not know", cnpHeader + "  ingress:\n  - fromEverywhere: true\n", probe, "unknown field"},
		{"a policy Cilium rejects", cnpHeader + "  egress:\n  - toFQDNs:\n    - matchName: example.com\n    toCIDR: [10.0.0.0/8]\n", probe, "is not supported yet"},
		// k8s.ParseClusterNetworkPolicy refuses the whole policy: nodes
		// peers need enable-node-selector-labels, off by default.
		{"a ClusterNetworkPolicy nodes peer", `apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata:
  name: nodes
spec:
  tier: Baseline
  priority: 10
  subject:
    namespaces: {}
  egress:
  - action: Deny
    to:
    - nodes: {}
`, probe, "node selector labels are disabled"},
		{"two peer kinds", "", Probe{Direction: Ingress, Workload: workload, Peer: Peer{Pod: &client, Entity: EntityHost}, Port: 80, Protocol: "TCP"}, "exactly one of pod, ip, entity"},
		{"an unknown entity", "", in(Peer{Entity: "cluster"}, 80, "TCP"), `peer entity "cluster"`},
		{"a lower-case protocol", "", in(host, 80, "tcp"), `protocol "tcp"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var docs [][]byte
			if tt.doc != "" {
				docs = [][]byte{[]byte(tt.doc)}
			}
			_, err := Verdicts(docs, []Probe{tt.probe})
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("got error %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}
