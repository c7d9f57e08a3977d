package oracle

import (
	"testing"

	"github.com/helm-netpol/helm-netpol/transform"
	"github.com/mattfenwick/cyclonus/pkg/matcher"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"sigs.k8s.io/yaml"
)

// workloadIP is the workload pod's address, for cyclonus's model, which gives every pod one.
const workloadIP = "10.244.0.10"

// cyclonusDifferences are the known ways trace (CNI kubernetes) and cyclonus's
// NetworkPolicy matcher answer a probe differently, each with its reason. Any other
// difference fails TestTraceEqualsCyclonus.
var cyclonusDifferences = []difference{
	{
		name: "host-network workload",
		reason: "trace answers allowed for a workload whose pods use the host network (the NetworkPolicy API leaves them " +
			"undefined, and plugins do not isolate them); cyclonus models every pod as a pod-network pod",
		explains: func(c probeCase, tv transform.Verdict, _ bool) bool {
			return c.workload.hostNetwork && tv.Error == "" && tv.Allowed
		},
	},
}

// TestTraceEqualsCyclonus: for every golden fixture and every real chart render under every
// release-wide config whose output holds no ClusterNetworkPolicy (cyclonus has no model
// of it), every probe of issue 12's catalogue on every covered workload gets the same
// verdict from helm-netpol's trace (CNI kubernetes) as from cyclonus's NetworkPolicy
// matcher, unless a difference of cyclonusDifferences explains it.
//
// Cyclonus's peers are pods (namespace, labels, address) and addresses outside the
// cluster, so the kube-apiserver, the nodes and node-local-dns are their addresses. It
// cannot express the one peer NetworkPolicy treats apart, the pod's own node ("traffic is
// allowed to a pod if ... the traffic source is the pod's local node"): ingress probes
// from the host and node-local-dns are left out.
func TestTraceEqualsCyclonus(t *testing.T) {
	renders := append(fixtureRenders(t), corpusRenders(t)...)
	ty := newTally()
	ran := 0
	skipped := map[string]int{}
	for _, r := range renders {
		t.Run(r.name, func(t *testing.T) {
			ran++
			_, docs, all := renderProbes(t, r)
			var policies []*networkingv1.NetworkPolicy
			for _, d := range docs {
				switch {
				case d.apiVersion == "networking.k8s.io/v1" && d.kind == "NetworkPolicy":
					policies = append(policies, networkPolicy(t, d.text, r.opts.Namespace))
				case d.apiVersion == "policy.networking.k8s.io/v1alpha2" && d.kind == "ClusterNetworkPolicy":
					skipped["renders with a ClusterNetworkPolicy"]++
					t.Skip("cyclonus has no model of ClusterNetworkPolicy")
				}
			}
			var cases []probeCase
			for _, c := range all {
				if c.probe.Direction == "ingress" && (c.probe.Peer.Entity == "host" || c.probe.Peer.Entity == "kube-dns-service") {
					skipped["ingress probes from the pod's own node"]++
					continue
				}
				cases = append(cases, c)
			}
			if len(cases) == 0 {
				return
			}
			_, trace := traceCases(t, r, transform.CNIKubernetes, cases)
			m := matcher.BuildNetworkPolicies(false, policies)
			allowed := make([]bool, len(cases))
			reasons := make([]string, len(cases))
			for i, c := range cases {
				res := m.IsIngressOrEgressAllowed(traffic(c), c.probe.Direction == "ingress")
				allowed[i] = res.IsAllowed()
				reasons[i] = explain(res)
			}
			ty.compare(t, "cyclonus", cases, trace, allowed, reasons, cyclonusDifferences)
		})
	}
	t.Logf("trace (CNI kubernetes) against cyclonus's NetworkPolicy matcher: %s\nleft out: %v", ty.summary(cyclonusDifferences), skipped)
	if ty.renders < ran/3 || ty.allowed == 0 || ty.denied == 0 {
		t.Errorf("compared %d renders (%d allowed, %d denied): the catalogue proves little", ty.renders, ty.allowed, ty.denied)
	}
}

// networkPolicy decodes a NetworkPolicy as the API server stores it: in the release
// namespace when it names none, policyTypes defaulted.
func networkPolicy(t *testing.T, doc []byte, namespace string) *networkingv1.NetworkPolicy {
	t.Helper()
	var np networkingv1.NetworkPolicy
	if err := yaml.Unmarshal(doc, &np); err != nil {
		t.Fatalf("a NetworkPolicy does not decode: %v\n%s", err, doc)
	}
	if np.Namespace == "" {
		np.Namespace = namespace
	}
	if np.Namespace == "" {
		np.Namespace = "default"
	}
	if len(np.Spec.PolicyTypes) == 0 {
		// k8s.io/kubernetes pkg/apis/networking/v1 SetDefaults_NetworkPolicySpec.
		np.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
		if len(np.Spec.Egress) > 0 {
			np.Spec.PolicyTypes = append(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress)
		}
	}
	return &np
}

// traffic is a probe in cyclonus's terms: the workload's pod and the peer, a pod or an
// address, with the destination's port name for the probe's port.
func traffic(c probeCase) *matcher.Traffic {
	w := &matcher.TrafficPeer{IP: workloadIP, Internal: internal(c.workload.pod)}
	peer := &matcher.TrafficPeer{IP: c.probe.Peer.IP}
	var peerPorts []transform.NamedPort
	if p := c.probe.Peer.Pod; p != nil {
		peer.Internal = internal(*p)
		peerPorts = p.Ports
	}
	tr := &matcher.Traffic{Source: peer, Destination: w, ResolvedPort: c.probe.Port, Protocol: corev1.Protocol(c.probe.Protocol)}
	dstPorts := c.workload.pod.Ports
	if c.probe.Direction == "egress" {
		tr.Source, tr.Destination = w, peer
		dstPorts = peerPorts
	}
	for _, p := range dstPorts {
		proto := p.Protocol
		if proto == "" {
			proto = "TCP"
		}
		if int(p.Port) == c.probe.Port && proto == c.probe.Protocol && p.Name != "" {
			tr.ResolvedPortName = p.Name
			break
		}
	}
	return tr
}

func internal(p transform.TracePod) *matcher.InternalPeer {
	ns := map[string]string{"kubernetes.io/metadata.name": p.Namespace}
	for k, v := range p.NamespaceLabels {
		ns[k] = v
	}
	return &matcher.InternalPeer{PodLabels: p.Labels, NamespaceLabels: ns, Namespace: p.Namespace}
}

// explain names the targets behind a cyclonus answer.
func explain(r *matcher.DirectionResult) string {
	switch {
	case len(r.AllowingTargets) > 0:
		return "allowed by a policy of " + r.AllowingTargets[0].Namespace
	case len(r.DenyingTargets) > 0:
		return "denied: isolated by a policy of " + r.DenyingTargets[0].Namespace
	}
	return "no policy selects the pod"
}
