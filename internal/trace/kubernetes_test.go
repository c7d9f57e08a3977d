package trace

import "testing"

const (
	k8sDenyIngress = `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress]
`
	k8sWebFromShop = `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
  ingress:
  - from: [{podSelector: {matchLabels: {app: client}}}]
    ports: [{port: 8080}]
  - from: [{namespaceSelector: {matchLabels: {team: obs}}, podSelector: {matchLabels: {app: prometheus}}}]
    ports: [{port: http}]
  - from: [{namespaceSelector: {}}]
    ports: [{port: 9000, endPort: 9010}]
  - from: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]
    ports: [{port: 9443}]
`
	k8sStagedDeny = `
apiVersion: projectcalico.org/v3
kind: StagedKubernetesNetworkPolicy
metadata: {name: staged, namespace: shop}
spec:
  stagedAction: Set
  podSelector: {}
  policyTypes: [Ingress]
`
	k8sEgress = `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: egress, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  egress:
  - to: [{ipBlock: {cidr: 10.0.0.1/32}}]
    ports: [{port: 443}, {port: 6443}]
  - to: [{ipBlock: {cidr: 0.0.0.0/0}}]
    ports: [{port: 8443}]
  - ports: [{port: 53, protocol: UDP}]
  - to: [{podSelector: {}}]
    ports: [{port: dns, protocol: UDP}]
`
)

// TestKubernetes evaluates NetworkPolicy as the networking.k8s.io/v1 API documents it.
func TestKubernetes(t *testing.T) {
	spec := "networking.k8s.io/v1 NetworkPolicySpec"
	runCases(t, []traceCase{
		{name: "no policy", cite: spec + ".ingress: allowed if no NetworkPolicies select the pod", cni: Kubernetes,
			probe: in(pod(otherPod), 1, "TCP"), want: "allow", by: "no policy selects"},
		{name: "isolated, no rule", cite: spec + ".ingress: if this field is empty then this NetworkPolicy does not allow any traffic", cni: Kubernetes,
			docs: one(k8sDenyIngress), probe: in(pod(shopPod), 8080, "TCP"), want: "deny", by: "shop/deny"},
		{name: "a staged NetworkPolicy does not isolate", cite: "StagedKubernetesNetworkPolicy: evaluated by Calico, not enforced", cni: Kubernetes,
			docs: one(k8sStagedDeny), probe: in(pod(shopPod), 8080, "TCP"), want: "allow", by: "no policy selects"},
		{name: "union of policies", cite: spec + ".ingress: the traffic matches at least one ingress rule across all of the NetworkPolicy objects", cni: Kubernetes,
			docs: docs(k8sDenyIngress, k8sWebFromShop), probe: in(pod(shopPod), 8080, "TCP"), want: "allow", by: "shop/web ingress[0]"},
		{name: "podSelector alone is the policy's namespace", cite: "NetworkPolicyPeer.podSelector: selects pods in the same namespace as the NetworkPolicy", cni: Kubernetes,
			docs: one(k8sWebFromShop), probe: in(pod(otherPod), 8080, "TCP"), want: "deny"},
		{name: "namespaceSelector and podSelector together", cite: "NetworkPolicyPeer: both set selects the pods matching podSelector in the namespaces matching namespaceSelector", cni: Kubernetes,
			docs: one(k8sWebFromShop), probe: in(pod(monPod), 8080, "TCP"), want: "allow", by: "ingress[1]"},
		{name: "namespaceSelector and podSelector, wrong pod", cite: "NetworkPolicyPeer: both set selects the pods matching podSelector in the namespaces matching namespaceSelector", cni: Kubernetes,
			docs: one(k8sWebFromShop), probe: in(pod(&Pod{Namespace: "monitoring", NamespaceLabels: map[string]string{"team": "obs"}}), 8080, "TCP"), want: "deny"},
		{name: "named port resolved on the workload", cite: "NetworkPolicyPort.port: a named port on a pod", cni: Kubernetes,
			docs: one(k8sWebFromShop), probe: in(pod(monPod), 8081, "TCP"), want: "deny"},
		{name: "named port without the workload's ports", cite: "NetworkPolicyPort.port: a named port on a pod (the destination's)", cni: Kubernetes,
			docs: one(k8sWebFromShop), probe: Probe{Direction: "ingress", Workload: Pod{Namespace: "shop", Labels: web.Labels}, Peer: pod(monPod), Port: 8080, Protocol: "TCP"}, want: "error", by: `port "http"`},
		{name: "an allow needs no unknown port", cite: spec + ".ingress: one rule that matches allows; the others do not matter", cni: Kubernetes,
			docs: one(k8sWebFromShop), probe: Probe{Direction: "ingress", Workload: Pod{Namespace: "shop", Labels: web.Labels}, Peer: pod(shopPod), Port: 8080, Protocol: "TCP"}, want: "allow", by: "ingress[0]"},
		{name: "empty namespaceSelector is every namespace", cite: "NetworkPolicyPeer.namespaceSelector: {} selects all namespaces", cni: Kubernetes,
			docs: one(k8sWebFromShop), probe: in(pod(otherPod), 9005, "TCP"), want: "allow", by: "ingress[2]"},
		{name: "endPort closes a range", cite: "NetworkPolicyPort.endPort: the range port to endPort", cni: Kubernetes,
			docs: one(k8sWebFromShop), probe: in(pod(otherPod), 9011, "TCP"), want: "deny"},
		{name: "pods only, not addresses", cite: "NetworkPolicyPeer.namespaceSelector selects pods", cni: Kubernetes,
			docs: one(k8sWebFromShop), probe: in(ip("192.0.2.1"), 9005, "TCP"), want: "deny"},
		{name: "protocol defaults to TCP", cite: "NetworkPolicyPort.protocol: defaults to TCP", cni: Kubernetes,
			docs: one(k8sWebFromShop), probe: in(pod(shopPod), 8080, "UDP"), want: "deny"},
		{name: "ipBlock", cite: "IPBlock.cidr", cni: Kubernetes,
			docs: one(k8sWebFromShop), probe: in(ip("10.2.3.4"), 9443, "TCP"), want: "allow", by: "ingress[3]"},
		{name: "ipBlock except", cite: "IPBlock.except: CIDRs that should not be included within this rule", cni: Kubernetes,
			docs: one(k8sWebFromShop), probe: in(ip("10.1.3.4"), 9443, "TCP"), want: "deny"},
		{name: "host-network apiserver by its address", cite: "IPBlock.cidr matches by address; the apiserver reaches a webhook from its node's address", cni: Kubernetes,
			docs: one(k8sWebFromShop), probe: in(entity("kube-apiserver", "10.0.0.1"), 9443, "TCP"), want: "allow"},
		{name: "apiserver without its address", cite: "IPBlock.cidr matches by address, which the probe must give", cni: Kubernetes,
			docs: one(k8sWebFromShop), probe: in(entity("kube-apiserver", ""), 9443, "TCP"), want: "error", by: "no ip"},
		{name: "the pod's own node", cite: spec + ".ingress: allowed if the traffic source is the pod's local node", cni: Kubernetes,
			docs: one(k8sDenyIngress), probe: in(entity("host", "10.0.0.3"), 8080, "TCP"), want: "allow", by: "own node"},
		{name: "ingress policy leaves egress open", cite: spec + ".policyTypes: Ingress only", cni: Kubernetes,
			docs: one(k8sDenyIngress), probe: out(ip("192.0.2.1"), 443, "TCP"), want: "allow"},
		{name: "egress rules make policyTypes Egress", cite: spec + ".policyTypes: Egress is added when the policy has egress rules", cni: Kubernetes,
			docs: one(k8sEgress), probe: out(ip("192.0.2.1"), 443, "TCP"), want: "deny"},
		{name: "egress to the apiserver address", cite: "IPBlock.cidr", cni: Kubernetes,
			docs: one(k8sEgress), probe: out(entity("kube-apiserver", "10.0.0.1"), 6443, "TCP"), want: "allow", by: "egress[0]"},
		{name: "rule without to", cite: "NetworkPolicyEgressRule.to: empty or missing matches all destinations", cni: Kubernetes,
			docs: one(k8sEgress), probe: out(ip("192.0.2.1"), 53, "UDP"), want: "allow", by: "egress[2]"},
		{name: "a pod without an address in 0.0.0.0/0", cite: "IPBlock matches a pod by its address; a pod without one is taken to have an IPv4 one (Peer)", cni: Kubernetes,
			docs: one(k8sEgress), probe: out(pod(otherPod), 8443, "TCP"), want: "allow", by: "egress[1]"},
		{name: "a pod without an address outside other CIDRs", cite: "IPBlock matches a pod by its address; a pod without one is in no CIDR but /0 (Peer)", cni: Kubernetes,
			docs: one(k8sEgress), probe: out(pod(otherPod), 443, "TCP"), want: "deny"},
		{name: "egress named port on the peer pod", cite: "NetworkPolicyPort.port: a named port of the destination pod", cni: Kubernetes,
			docs: one(k8sEgress), probe: out(pod(&Pod{Namespace: "shop", Ports: []NamedPort{{Name: "dns", Port: 5353, Protocol: "UDP"}}}), 5353, "UDP"), want: "allow", by: "egress[3]"},
		{name: "egress named port, peer ports unknown", cite: "NetworkPolicyPort.port: a named port of the destination pod, which the probe does not give", cni: Kubernetes,
			docs: one(k8sEgress), probe: out(pod(&Pod{Namespace: "shop"}), 5353, "UDP"), want: "error", by: "dns"},
	})
}
