package trace

import "testing"

const (
	cnpBaselineWeb = `
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: shop-web}
spec:
  tier: Baseline
  priority: 999
  subject:
    pods:
      namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: shop}}
      podSelector: {matchLabels: {app: web}}
  ingress:
  - name: metrics
    action: Accept
    from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]
    protocols: [{tcp: {destinationPort: {number: 8080}}}]
  - name: range
    action: Accept
    from: [{pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: client}}}}]
    protocols: [{tcp: {destinationPort: {range: {start: 9000, end: 9010}}}}]
  - name: deny
    action: Deny
    from: [{namespaces: {}}]
  egress:
  - name: apiserver
    action: Accept
    to: [{networks: [10.0.0.1/32]}]
    protocols: [{tcp: {destinationPort: {number: 6443}}}]
  - name: nodes
    action: Accept
    to: [{nodes: {}}]
    protocols: [{tcp: {destinationPort: {number: 10250}}}]
  - name: deny
    action: Deny
    to: [{namespaces: {}}, {networks: [0.0.0.0/0, "::/0"]}]
`
	cnpAdmin = `
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: admin}
spec:
  tier: Admin
  priority: 10
  subject: {namespaces: {}}
  ingress:
  - name: pass-monitoring
    action: Pass
    from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]
  - name: no-other
    action: Deny
    from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: other}}}]
`
	cnpAdminAccept = `
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: admin-accept}
spec:
  tier: Admin
  priority: 5
  subject: {namespaces: {}}
  ingress:
  - {name: other-ok, action: Accept, from: [{namespaces: {matchLabels: {kubernetes.io/metadata.name: other}}}]}
`
	cnpSamePriorityA = `
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: a}
spec:
  tier: Baseline
  priority: 999
  subject: {pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: web}}}}
  ingress:
  - {name: accept, action: Accept, from: [{namespaces: {}}], protocols: [{tcp: {destinationPort: {number: 8080}}}]}
`
	cnpSamePriorityB = `
apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: b}
spec:
  tier: Baseline
  priority: 999
  subject: {namespaces: {}}
  ingress:
  - {name: deny, action: Deny, from: [{namespaces: {}}]}
`
	npWebIngressOnly = `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: chart, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
  ingress: [{ports: [{port: 12345}]}]
`
)

// TestClusterNetworkPolicy evaluates ClusterNetworkPolicy v1alpha2: tiers, priorities,
// actions, and NetworkPolicy between the Admin and Baseline tiers.
func TestClusterNetworkPolicy(t *testing.T) {
	api := "network-policy-api v1alpha2"
	runCases(t, []traceCase{
		{name: "Baseline Accept", cite: api + " rule action Accept", cni: Kubernetes,
			docs: docs(cnpBaselineWeb), probe: in(pod(monPod), 8080, "TCP"), want: "allow", by: "ingress[0] metrics"},
		{name: "first rule decides", cite: api + " Ingress: rules by the order written", cni: Kubernetes,
			docs: docs(cnpBaselineWeb), probe: in(pod(monPod), 8081, "TCP"), want: "deny", by: "ingress[2] deny"},
		{name: "a range", cite: api + " PortRange start..end", cni: Kubernetes,
			docs: docs(cnpBaselineWeb), probe: in(pod(otherPod), 9003, "TCP"), want: "allow", by: "ingress[1] range"},
		{name: "ingress peers are pods", cite: api + " ClusterNetworkPolicyIngressPeer: namespaces and pods, never host-network pods", cni: Kubernetes,
			docs: docs(cnpBaselineWeb), probe: in(entity("kube-apiserver", "10.0.0.1"), 9443, "TCP"), want: "allow", by: "no later tier"},
		{name: "the subject only", cite: api + " subject.pods", cni: Kubernetes,
			docs: docs(cnpBaselineWeb), probe: Probe{Direction: "ingress", Workload: Pod{Namespace: "shop", Labels: map[string]string{"app": "db"}}, Peer: pod(monPod), Port: 5432, Protocol: "TCP"}, want: "allow", by: "no policy selects"},
		{name: "networks match by address", cite: api + " Networks: cluster-internal traffic is checked against the rule as well", cni: Kubernetes,
			docs: docs(cnpBaselineWeb), probe: out(entity("kube-apiserver", "10.0.0.1"), 6443, "TCP"), want: "allow", by: "egress[0] apiserver"},
		{name: "networks on Cilium miss the apiserver", cite: "Cilium k8s/cluster_network_policy.go: networks become CIDR selectors, which never match a node", cni: Cilium,
			docs: docs(cnpBaselineWeb), probe: out(entity("kube-apiserver", "10.0.0.1"), 6443, "TCP"), want: "allow", by: "no later tier"},
		{name: "the closing deny covers pods by address", cite: api + " Networks 0.0.0.0/0 denies all IPv4 pod-to-pod traffic as well", cni: Kubernetes,
			docs: docs(cnpBaselineWeb), probe: out(pod(otherPod), 5432, "TCP"), want: "deny", by: "egress[2] deny"},
		{name: "nodes", cite: api + " Nodes: {} selects all nodes", cni: Kubernetes,
			docs: docs(cnpBaselineWeb), probe: out(entity("remote-node", "10.0.0.2"), 10250, "TCP"), want: "allow", by: "egress[1] nodes"},
		{name: "NetworkPolicy decides for the pods it isolates", cite: api + " Tier: v1.NetworkPolicy always makes a final decision for selected pods", cni: Kubernetes,
			docs: docs(cnpBaselineWeb, npWebIngressOnly), probe: in(pod(monPod), 12345, "TCP"), want: "allow", by: "shop/chart"},
		{name: "NetworkPolicy overrides the Baseline allowlist", cite: api + " Tier: Baseline applies only to pods NetworkPolicy does not select (issue 12 defect 1)", cni: Kubernetes,
			docs: docs(cnpBaselineWeb, npWebIngressOnly), probe: in(pod(monPod), 8080, "TCP"), want: "deny", by: "shop/chart"},
		{name: "per direction", cite: api + " Tier: a NetworkPolicy of policyTypes Ingress leaves egress to Baseline", cni: Kubernetes,
			docs: docs(cnpBaselineWeb, npWebIngressOnly), probe: out(pod(otherPod), 5432, "TCP"), want: "deny", by: "egress[2] deny"},
		{name: "Admin Deny before everything", cite: api + " Tier: Admin decides first", cni: Kubernetes,
			docs: docs(cnpAdmin, cnpBaselineWeb), probe: in(pod(otherPod), 9003, "TCP"), want: "deny", by: "admin ingress[1]"},
		{name: "Admin Pass", cite: api + " Pass: skips to the next tier", cni: Kubernetes,
			docs: docs(cnpAdmin, cnpBaselineWeb), probe: in(pod(monPod), 8080, "TCP"), want: "allow", by: "ingress[0] metrics"},
		{name: "lower priority first", cite: api + " Priority: lower values first", cni: Kubernetes,
			docs: docs(cnpAdmin, cnpAdminAccept, cnpBaselineWeb), probe: in(pod(otherPod), 9003, "TCP"), want: "allow", by: "admin-accept"},
		{name: "equal priorities that disagree", cite: api + " Priority: two policies of one priority may apply in any order", cni: Kubernetes,
			docs: docs(cnpSamePriorityA, cnpSamePriorityB), probe: in(pod(otherPod), 8080, "TCP"), want: "error", by: "implementation's choice"},
		{name: "equal priorities, one matches", cite: api + " Priority: only one policy of the priority matches, so the order does not matter", cni: Kubernetes,
			docs: docs(cnpSamePriorityA, cnpSamePriorityB), probe: in(pod(otherPod), 8081, "TCP"), want: "deny", by: "b ingress[0]"},
		{name: "Calico's default tier pre-empts Baseline", cite: "Calico: the default tier lies between kube-admin and kube-baseline", cni: Calico,
			docs: docs(calicoDeny, cnpBaselineWeb), probe: in(pod(monPod), 8080, "TCP"), want: "deny", by: "end of the default tier"},
	})
}
