package oracle

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/helm-netpol/helm-netpol/transform"
	"github.com/mattfenwick/cyclonus/pkg/matcher"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/yaml"
)

// An independent semantic check of the kubernetes engine: cyclonus's NetworkPolicy
// matcher (the one its conformance tool checks CNIs against) evaluates the policies
// helm-netpol renders for the documented controller, on a small model of pods and
// namespaces, and every answer must equal the truth table the documentation implies.

// namespace names and the labels Kubernetes puts on them.
var namespaces = map[string]map[string]string{}

func init() {
	for _, ns := range []string{"ctrl-system", "monitoring", "flagger-system", "kube-system", "flux-system", "other"} {
		namespaces[ns] = map[string]string{"kubernetes.io/metadata.name": ns}
	}
}

// pod is a pod of the model, or an address outside the cluster when ns is "".
type pod struct {
	ns     string
	labels map[string]string
	ip     string
}

func (p pod) peer() *matcher.TrafficPeer {
	if p.ns == "" {
		return &matcher.TrafficPeer{IP: p.ip}
	}
	return &matcher.TrafficPeer{IP: p.ip, Internal: &matcher.InternalPeer{PodLabels: p.labels, NamespaceLabels: namespaces[p.ns], Namespace: p.ns}}
}

var (
	controller = pod{"ctrl-system", map[string]string{"app.kubernetes.io/name": "controller", "app.kubernetes.io/instance": "rel"}, "10.244.0.10"}
	neighbour  = pod{"ctrl-system", map[string]string{"app.kubernetes.io/name": "neighbour", "app.kubernetes.io/instance": "other"}, "10.244.0.11"}
	prometheus = pod{"monitoring", map[string]string{"app.kubernetes.io/name": "prometheus"}, "10.244.1.10"}
	flagger    = pod{"flagger-system", map[string]string{"app.kubernetes.io/name": "flagger"}, "10.244.2.10"}
	coredns    = pod{"kube-system", map[string]string{"k8s-app": "kube-dns"}, "10.244.3.10"}
	fluxSource = pod{"flux-system", map[string]string{"app": "source-controller"}, "10.244.4.10"}
	stranger   = pod{"other", map[string]string{"app": "stranger"}, "10.244.5.10"}
	apiserver  = pod{ip: "10.0.0.1"}
	s3         = pod{ip: "198.51.100.7"}
	otlp       = pod{ip: "203.0.113.10"}
	internet   = pod{ip: "8.8.8.8"}
)

// flow is one connection and whether it must be allowed.
type flow struct {
	what     string
	from, to pod
	port     int
	proto    corev1.Protocol
	allowed  bool
}

func tcp(what string, from, to pod, port int, allowed bool) flow {
	return flow{what, from, to, port, corev1.ProtocolTCP, allowed}
}

func udp(what string, from, to pod, port int, allowed bool) flow {
	return flow{what, from, to, port, corev1.ProtocolUDP, allowed}
}

// ingressRoles are the documented controller's ports when no knob narrows them: webhook,
// metrics and gate open from anywhere, the probe-only health port and undeclared ports
// closed.
func ingressRoles() []flow {
	return []flow{
		tcp("webhook 9443 from the apiserver", apiserver, controller, 9443, true),
		tcp("webhook 9443 from a pod of another namespace", stranger, controller, 9443, true),
		tcp("metrics 8080 from another namespace", stranger, controller, 8080, true),
		tcp("gate 8082 from another namespace", stranger, controller, 8082, true),
		tcp("health 8081 (probes only) from another namespace", stranger, controller, 8081, false),
		tcp("health 8081 from the neighbour", neighbour, controller, 8081, false),
		tcp("undeclared 1234", stranger, controller, 1234, false),
		udp("metrics port on UDP", stranger, controller, 8080, false),
	}
}

// narrowedRoles are the same ports under the documented from knobs.
func narrowedRoles() []flow {
	return []flow{
		tcp("webhook 9443 from the apiserver", apiserver, controller, 9443, true),
		tcp("webhook 9443 from anywhere", internet, controller, 9443, true),
		tcp("metrics 8080 from monitoring", prometheus, controller, 8080, true),
		tcp("metrics 8080 from flagger-system", flagger, controller, 8080, false),
		tcp("metrics 8080 from another namespace", stranger, controller, 8080, false),
		tcp("metrics 8080 from the neighbour", neighbour, controller, 8080, false),
		tcp("metrics 8080 from outside the cluster", internet, controller, 8080, false),
		tcp("gate 8082 from flagger-system", flagger, controller, 8082, true),
		tcp("gate 8082 from monitoring", prometheus, controller, 8082, false),
		tcp("gate 8082 from another namespace", stranger, controller, 8082, false),
		tcp("health 8081 from monitoring", prometheus, controller, 8081, false),
		tcp("undeclared 1234 from monitoring", prometheus, controller, 1234, false),
	}
}

// egressOff is what holds while egress is not configured: outbound traffic is not policed.
func egressOff() []flow {
	return []flow{
		tcp("egress to the internet", controller, internet, 443, true),
		tcp("egress to the apiserver on 6443", controller, apiserver, 6443, true),
	}
}

// egressOn is the doc-egress allowlist: DNS over UDP and TCP to kube-system, the apiserver
// on 443, source-controller on every port, S3 and OTLP on their ports, nothing else.
func egressOn() []flow {
	return []flow{
		udp("DNS over UDP to kube-system", controller, coredns, 53, true),
		tcp("DNS over TCP to kube-system", controller, coredns, 53, true),
		udp("DNS to a pod of another namespace", controller, stranger, 53, false),
		udp("DNS to the internet", controller, internet, 53, false),
		tcp("kube-system on another port", controller, coredns, 443, false),
		tcp("apiserver 10.0.0.1:443", controller, apiserver, 443, true),
		tcp("source-controller in flux-system, any port", controller, fluxSource, 9090, true),
		tcp("S3 198.51.100.7:443", controller, s3, 443, true),
		tcp("S3 on port 80", controller, s3, 80, false),
		tcp("OTLP 203.0.113.10:4317", controller, otlp, 4317, true),
		tcp("OTLP on 443", controller, otlp, 443, false),
		tcp("the internet", controller, internet, 443, false),
		tcp("a pod of another namespace", controller, stranger, 8080, false),
		tcp("the neighbour (another release)", controller, neighbour, 8080, false),
	}
}

// neighbourOpen and neighbourClosed are the pod the chart does not own, in the same
// namespace, without and with the default-deny.
func neighbourOpen() []flow {
	return []flow{
		tcp("neighbour from another namespace", stranger, neighbour, 80, true),
		tcp("neighbour's own egress", neighbour, internet, 443, true),
	}
}

func neighbourClosed(egressDenied bool) []flow {
	return []flow{
		tcp("neighbour from another namespace", stranger, neighbour, 80, false),
		tcp("neighbour from the controller", controller, neighbour, 80, false),
		tcp("neighbour from outside the cluster", internet, neighbour, 80, false),
		tcp("neighbour's own egress (denied with the allowlists' egress)", neighbour, internet, 443, !egressDenied),
		udp("neighbour's DNS", neighbour, coredns, 53, !egressDenied),
	}
}

func join(lists ...[]flow) []flow {
	var out []flow
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// combined is the documented knobs, the default-deny and egress with the apiserver's
// address, set release-wide over doc-default-deny's own config.
const combined = `networkPolicy:
  enabled: true
  metrics:
    from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]
  gate:
    from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: flagger-system}}}]
  egress:
    enabled: true
    apiserver: {cidrs: [10.0.0.1/32]}
`

func TestTruthTables(t *testing.T) {
	for _, c := range []struct {
		fixture string
		config  string
		want    []flow
	}{
		{"doc-configuring-ingress", "", join(narrowedRoles(), egressOff(), neighbourOpen())},
		{"hook-job-shares-config", "", join(narrowedRoles(), egressOff(), neighbourOpen())},
		{"doc-default-deny", "", join(ingressRoles(), egressOff(), neighbourClosed(false))},
		{"doc-egress", "", join(ingressRoles(), egressOn(), neighbourOpen())},
		{"doc-default-deny", combined, join(narrowedRoles(), neighbourClosed(true), []flow{
			udp("DNS over UDP to kube-system", controller, coredns, 53, true),
			tcp("DNS over TCP to kube-system", controller, coredns, 53, true),
			tcp("apiserver 10.0.0.1:443", controller, apiserver, 443, true),
			tcp("apiserver 10.0.0.1:6443", controller, apiserver, 6443, true),
			tcp("apiserver address on another port", controller, apiserver, 80, false),
			tcp("the internet", controller, internet, 443, false),
			tcp("S3 (not configured here)", controller, s3, 443, false),
			tcp("a pod of another namespace", controller, stranger, 8080, false),
			udp("DNS to a pod of another namespace", controller, stranger, 53, false),
		})},
	} {
		name := c.fixture
		if c.config != "" {
			name += " with knobs, deny and egress"
		}
		t.Run(name, func(t *testing.T) {
			policies := render(t, c.fixture, c.config)
			m := matcher.BuildNetworkPolicies(false, policies)
			for _, f := range c.want {
				traffic := &matcher.Traffic{Source: f.from.peer(), Destination: f.to.peer(), ResolvedPort: f.port, Protocol: f.proto}
				if got := m.IsTrafficAllowed(traffic).IsAllowed(); got != f.allowed {
					t.Errorf("%s (%s %d): allowed %v, want %v\n%s", f.what, f.proto, f.port, got, f.allowed, m.IsTrafficAllowed(traffic).Table())
				}
			}
		})
	}
}

// render runs helm-netpol (kubernetes engine) on a fixture's input, with config as a
// release-wide --config when given, and returns the NetworkPolicies it generates.
func render(t *testing.T, fixture, config string) []*networkingv1.NetworkPolicy {
	t.Helper()
	in, err := os.ReadFile(filepath.Join(repoRoot, "fixtures", fixture, "input.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var opts transform.Options
	if config != "" {
		l, err := transform.ParseLayer([]byte(config), transform.LevelFile, "--config test", "")
		if err != nil {
			t.Fatal(err)
		}
		opts.Config = l
	}
	out, _, err := transform.Policies(in, opts)
	if err != nil {
		t.Fatal(err)
	}
	var policies []*networkingv1.NetworkPolicy
	for _, doc := range strings.Split(string(out), "\n---\n") {
		doc = strings.TrimPrefix(doc, "---\n")
		if strings.TrimSpace(doc) == "" {
			continue
		}
		var np networkingv1.NetworkPolicy
		if err := yaml.UnmarshalStrict([]byte(doc), &np); err != nil {
			t.Fatalf("a generated document is not a NetworkPolicy: %v\n%s", err, doc)
		}
		if np.Kind != "NetworkPolicy" || np.APIVersion != "networking.k8s.io/v1" {
			t.Fatalf("generated %s %s: want networking.k8s.io/v1 NetworkPolicy", np.APIVersion, np.Kind)
		}
		policies = append(policies, &np)
	}
	if len(policies) == 0 {
		t.Fatal("nothing generated")
	}
	for _, np := range policies {
		t.Logf("%s/%s: %d ingress and %d egress rules, types %v", np.Namespace, np.Name, len(np.Spec.Ingress), len(np.Spec.Egress), np.Spec.PolicyTypes)
	}
	return policies
}

// TestModel checks the model itself: with no policy, everything is allowed.
func TestModel(t *testing.T) {
	m := matcher.BuildNetworkPolicies(false, nil)
	for _, from := range []pod{controller, neighbour, stranger, internet} {
		for _, to := range []pod{controller, neighbour, coredns} {
			if !m.IsTrafficAllowed(&matcher.Traffic{Source: from.peer(), Destination: to.peer(), ResolvedPort: 80, Protocol: corev1.ProtocolTCP}).IsAllowed() {
				t.Errorf("%v -> %v denied without any policy", from, to)
			}
		}
	}
}
