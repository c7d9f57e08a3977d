package trace

import "testing"

const (
	cnpDeny = `
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: deny, namespace: shop}
spec:
  endpointSelector: {}
  ingress: [{}]
  egress: [{}]
`
	cnpWeb = `
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  endpointSelector: {matchLabels: {app: web}}
  ingress:
  - fromEndpoints: [{matchLabels: {app: client}}]
    toPorts: [{ports: [{port: "8080", protocol: TCP}]}]
  - fromEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: monitoring}}]
    toPorts: [{ports: [{port: "http", protocol: TCP}]}]
  - fromEndpoints: [{matchLabels: {k8s:io.cilium.k8s.namespace.labels.team: obs}}]
    toPorts: [{ports: [{port: "9100", protocol: TCP}]}]
  - fromEntities: [kube-apiserver]
    toPorts: [{ports: [{port: "9443", protocol: TCP}]}]
  - fromEntities: [cluster]
    toPorts: [{ports: [{port: "9500", protocol: TCP}]}]
  - fromEntities: [world]
    toPorts: [{ports: [{port: "9600", protocol: TCP}]}]
  - fromCIDRSet: [{cidr: 10.0.0.0/8, except: [10.1.0.0/16]}]
    toPorts: [{ports: [{port: "9700", protocol: TCP}]}]
  - toPorts: [{ports: [{port: "9800", protocol: ANY}]}]
  - fromEntities: [all]
    toPorts: [{ports: [{port: "9900"}]}]
  ingressDeny:
  - fromEndpoints: [{matchLabels: {app: client, evil: "true"}}]
  egress:
  - toEntities: [kube-apiserver]
    toPorts: [{ports: [{port: "443", protocol: TCP}, {port: "6443", protocol: TCP}]}]
  - toEndpoints: [{matchLabels: {k8s:io.kubernetes.pod.namespace: kube-system, k8s-app: kube-dns}}]
    toPorts: [{ports: [{port: "53", protocol: UDP}], rules: {dns: [{matchPattern: "*"}]}}]
  - toFQDNs: [{matchName: bucket.example.com}]
    toPorts: [{ports: [{port: "8443", protocol: TCP}]}]
  - toEntities: [remote-node]
    toPorts: [{ports: [{port: "10250", protocol: TCP}]}]
  - toEntities: [host]
    toPorts: [{ports: [{port: "53", protocol: TCP}]}]
`
	cnpNoDefaultDeny = `
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: audit, namespace: shop}
spec:
  endpointSelector: {}
  enableDefaultDeny: {ingress: false}
  ingressDeny:
  - fromEntities: [world]
`
	npApiserverCIDR = `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: webhook, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
  ingress:
  - from: [{ipBlock: {cidr: 10.0.0.0/8}}]
    ports: [{port: 9443}]
  - ports: [{port: 8081}]
`
)

var evil = &Pod{Namespace: "shop", Labels: map[string]string{"app": "client", "evil": "true"}}

// TestCilium evaluates CiliumNetworkPolicy (and NetworkPolicy) as Cilium 1.20 resolves an
// endpoint's policy.
func TestCilium(t *testing.T) {
	runCases(t, []traceCase{
		{name: "default deny", cite: "DESIGN §5 / api.Rule: endpointSelector {} with ingress [{}] selects no peer and enables default deny", cni: Cilium,
			docs: one(cnpDeny), probe: in(pod(shopPod), 8080, "TCP"), want: "deny", by: "shop/deny"},
		{name: "a Calico staged NetworkPolicy is nothing to Cilium", cite: "StagedKubernetesNetworkPolicy is Calico's; Cilium enforces networking.k8s.io NetworkPolicy only", cni: Cilium,
			docs: one(k8sStagedDeny), probe: in(pod(shopPod), 8080, "TCP"), want: "allow"},
		{name: "an allow rule", cite: "api.IngressRule: fromEndpoints and toPorts must both match", cni: Cilium,
			docs: one(cnpWeb), probe: in(pod(shopPod), 8080, "TCP"), want: "allow", by: "ingress[0]"},
		{name: "fromEndpoints is scoped to the policy's namespace", cite: "cilium.io/utils getEndpointSelector: no namespace key adds the policy's namespace", cni: Cilium,
			docs: one(cnpWeb), probe: in(pod(otherPod), 8080, "TCP"), want: "deny"},
		{name: "a namespace key reaches another namespace", cite: "getEndpointSelector: a selector with io.kubernetes.pod.namespace is left unscoped", cni: Cilium,
			docs: one(cnpWeb), probe: in(pod(monPod), 8080, "TCP"), want: "allow", by: "ingress[1]"},
		{name: "a namespace label key is not scoped", cite: "getEndpointSelector: a selector on io.cilium.k8s.namespace.labels is left unscoped", cni: Cilium,
			docs: one(cnpWeb), probe: in(pod(monPod), 9100, "TCP"), want: "allow", by: "ingress[2]"},
		{name: "kube-apiserver entity", cite: "api/entity.go: kube-apiserver selects reserved:kube-apiserver", cni: Cilium,
			docs: one(cnpWeb), probe: in(entity("kube-apiserver", "10.0.0.1"), 9443, "TCP"), want: "allow", by: "ingress[3]"},
		{name: "the apiserver is no world address", cite: "ipcache resolveLabels: in-cluster identities lose world and CIDR labels", cni: Cilium,
			docs: one(cnpWeb), probe: in(entity("kube-apiserver", "10.0.0.1"), 9600, "TCP"), want: "deny"},
		{name: "CIDR rules never match a host-network apiserver", cite: "ipcache resolveLabels: a node keeps no CIDR labels under the default policy-cidr-match-mode", cni: Cilium,
			docs: one(cnpWeb), probe: in(entity("kube-apiserver", "10.0.0.1"), 9700, "TCP"), want: "deny"},
		{name: "CIDR rules match world addresses", cite: "api.CIDRRule: cidr minus except", cni: Cilium,
			docs: one(cnpWeb), probe: in(ip("10.2.0.1"), 9700, "TCP"), want: "allow", by: "ingress[6]"},
		{name: "CIDR except", cite: "api.CIDRRule.except", cni: Cilium,
			docs: one(cnpWeb), probe: in(ip("10.1.0.1"), 9700, "TCP"), want: "deny"},
		{name: "CIDR rules never match pods", cite: "a pod's address carries the pod's identity, without CIDR labels", cni: Cilium,
			docs: one(cnpWeb), probe: in(podIP(otherPod, "10.2.0.1"), 9700, "TCP"), want: "deny"},
		{name: "cluster holds the pods", cite: "api/entity.go InitEntities: cluster selects the local cluster's pods", cni: Cilium,
			docs: one(cnpWeb), probe: in(pod(otherPod), 9500, "TCP"), want: "allow", by: "ingress[4]"},
		{name: "cluster holds remote nodes", cite: "api/entity.go: cluster holds host, remote-node, kube-apiserver", cni: Cilium,
			docs: one(cnpWeb), probe: in(entity("remote-node", "10.0.0.2"), 9500, "TCP"), want: "allow", by: "ingress[4]"},
		{name: "cluster is not the world", cite: "api/entity.go: world is outside the cluster", cni: Cilium,
			docs: one(cnpWeb), probe: in(ip("192.0.2.1"), 9500, "TCP"), want: "deny"},
		{name: "world", cite: "api/entity.go: world selects reserved:world", cni: Cilium,
			docs: one(cnpWeb), probe: in(ip("192.0.2.1"), 9600, "TCP"), want: "allow", by: "ingress[5]"},
		{name: "ports without peers", cite: "l4.go createL4Filter: an empty L3 with L4 allows all at L3", cni: Cilium,
			docs: one(cnpWeb), probe: in(ip("192.0.2.1"), 9800, "UDP"), want: "allow", by: "ingress[7]"},
		{name: "protocol ANY by default", cite: "api.PortProtocol: an empty protocol is ANY (TCP, UDP, SCTP)", cni: Cilium,
			docs: one(cnpWeb), probe: in(pod(otherPod), 9900, "SCTP"), want: "allow", by: "ingress[8]"},
		{name: "named port on the workload", cite: "api.PortProtocol.port: a port name is the destination's named port", cni: Cilium,
			docs: one(cnpWeb), probe: in(pod(monPod), 8081, "TCP"), want: "deny"},
		{name: "deny wins", cite: "api.Rule.IngressDeny: denied regardless of the allowed ingress rules", cni: Cilium,
			docs: one(cnpWeb), probe: in(pod(evil), 8080, "TCP"), want: "deny", by: "ingressDeny[0]"},
		{name: "the host in default deny", cite: "repository.go: AlwaysAllowLocalhost adds a host allow rule in default deny", cni: Cilium,
			docs: docs(cnpDeny, cnpWeb), probe: in(entity("host", "10.0.0.3"), 1234, "TCP"), want: "allow", by: "allow-localhost"},
		{name: "node-local-dns is the host", cite: "node-local-dns's addresses are node addresses (reserved:host)", cni: Cilium,
			docs: docs(cnpDeny, cnpWeb), probe: out(entity("kube-dns-service", "169.254.20.10"), 53, "TCP"), want: "allow", by: "egress[4]"},
		{name: "deny rules without default deny", cite: "api.Rule.EnableDefaultDeny: false leaves the rest allowed; deny rules still apply", cni: Cilium,
			docs: one(cnpNoDefaultDeny), probe: in(ip("192.0.2.1"), 80, "TCP"), want: "deny", by: "ingressDeny[0]"},
		{name: "no default deny", cite: "api.Rule.EnableDefaultDeny: false does not put the endpoint in default deny", cni: Cilium,
			docs: one(cnpNoDefaultDeny), probe: in(pod(otherPod), 80, "TCP"), want: "allow"},
		{name: "apiserver egress", cite: "api/entity.go: kube-apiserver", cni: Cilium,
			docs: one(cnpWeb), probe: out(entity("kube-apiserver", "10.0.0.1"), 6443, "TCP"), want: "allow", by: "egress[0]"},
		{name: "apiserver egress, other port", cite: "api.PortRule: only the listed ports", cni: Cilium,
			docs: one(cnpWeb), probe: out(entity("kube-apiserver", "10.0.0.1"), 2379, "TCP"), want: "deny"},
		{name: "a host-network apiserver is a remote node", cite: "the apiserver's node address carries reserved:remote-node with reserved:kube-apiserver", cni: Cilium,
			docs: one(cnpWeb), probe: out(entity("kube-apiserver", "10.0.0.1"), 10250, "TCP"), want: "allow", by: "egress[3]"},
		{name: "DNS through the proxy", cite: "api.PortRule.Rules: L7 rules filter what L4 allows", cni: Cilium,
			docs: one(cnpWeb), probe: out(pod(&Pod{Namespace: "kube-system", Labels: map[string]string{"k8s-app": "kube-dns"}}), 53, "UDP"), want: "allow", by: "L7"},
		{name: "toFQDNs on an address", cite: "toFQDNs selects the addresses DNS answered", cni: Cilium,
			docs: one(cnpWeb), probe: out(ip("192.0.2.1"), 8443, "TCP"), want: "error", by: "toFQDNs"},
		{name: "toFQDNs never a pod", cite: "toFQDNs selects fqdn identities, a pod has its own", cni: Cilium,
			docs: one(cnpWeb), probe: out(pod(otherPod), 8443, "TCP"), want: "deny"},
		{name: "NetworkPolicy ipBlock on Cilium misses the apiserver", cite: "k8s/network_policy.go: an ipBlock becomes a CIDR selector", cni: Cilium,
			docs: one(npApiserverCIDR), probe: in(entity("kube-apiserver", "10.0.0.1"), 9443, "TCP"), want: "deny"},
		{name: "NetworkPolicy ipBlock by the Kubernetes model", cite: "IPBlock.cidr matches by address", cni: Kubernetes,
			docs: one(npApiserverCIDR), probe: in(entity("kube-apiserver", "10.0.0.1"), 9443, "TCP"), want: "allow"},
		{name: "NetworkPolicy rule without from on Cilium", cite: "k8s/network_policy.go: a rule without from selects every identity (WildcardSelectors)", cni: Cilium,
			docs: one(npApiserverCIDR), probe: in(entity("remote-node", "10.0.0.2"), 8081, "TCP"), want: "allow", by: "ingress[1]"},
		{name: "NetworkPolicy and CiliumNetworkPolicy add up", cite: "repository.go: every rule selecting the endpoint counts", cni: Cilium,
			docs: docs(npApiserverCIDR, cnpWeb), probe: in(entity("kube-apiserver", "10.0.0.1"), 9443, "TCP"), want: "allow", by: "cilium.io/v2"},
	})
}
