package trace

import "testing"

const (
	calicoDeny = `
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: default-deny, namespace: shop}
spec: {tier: default, order: 2000, selector: all(), types: [Ingress, Egress]}
`
	calicoWeb = `
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  tier: default
  order: 1999
  selector: app == 'web'
  types: [Ingress, Egress]
  ingress:
  - action: Deny
    protocol: TCP
    source: {selector: evil == 'true'}
  - action: Allow
    protocol: TCP
    source: {selector: app == 'client'}
    destination: {ports: [8080, "9000:9010"]}
  - action: Allow
    protocol: 6
    source: {namespaceSelector: team == 'obs'}
    destination: {ports: [http]}
  - action: Allow
    protocol: TCP
    source: {selector: all(), namespaceSelector: all()}
    destination: {ports: [9500]}
  - action: Pass
    protocol: TCP
    destination: {ports: [9600]}
  - action: Log
    protocol: TCP
    destination: {ports: [9700]}
  - action: Allow
    protocol: TCP
    source: {nets: [10.0.0.0/8], notNets: [10.1.0.0/16]}
    destination: {ports: [9700]}
  - action: Allow
    ipVersion: 6
    destination: {ports: [9800]}
    protocol: TCP
  egress:
  - action: Allow
    destination: {services: {name: kubernetes, namespace: default}}
  - action: Allow
    protocol: UDP
    destination: {namespaceSelector: kubernetes.io/metadata.name == 'kube-system', selector: k8s-app == 'kube-dns', ports: [53]}
`
	calicoEarlyDeny = `
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: early, namespace: shop}
spec:
  order: 500
  selector: all()
  types: [Ingress]
  ingress:
  - action: Deny
    protocol: TCP
    destination: {ports: [8080]}
`
	calicoStaged = `
apiVersion: projectcalico.org/v3
kind: StagedNetworkPolicy
metadata: {name: staged, namespace: shop}
spec:
  order: 1
  selector: all()
  types: [Ingress]
  ingress: [{action: Deny}]
`
	calicoOtherTier = `
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: security.first, namespace: shop}
spec: {tier: security, order: 1, selector: all(), types: [Ingress], ingress: [{action: Allow}]}
`
	calicoGlobalSelector = `
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: sets, namespace: shop}
spec:
  order: 1
  selector: all()
  types: [Ingress]
  ingress: [{action: Allow, source: {selector: global()}}]
`
	npAllowClient = `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: chart, namespace: shop}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
  - from: [{podSelector: {matchLabels: {app: client}}}]
`
)

// TestCalico evaluates Calico NetworkPolicy by the order, tier and action semantics of
// Calico's NetworkPolicy and Tier references.
func TestCalico(t *testing.T) {
	ref := "Calico NetworkPolicy reference"
	runCases(t, []traceCase{
		{name: "allowlist before the default-deny", cite: ref + ": order, lower first; the first matching Allow decides", cni: Calico,
			docs: docs(calicoDeny, calicoWeb), probe: in(pod(shopPod), 8080, "TCP"), want: "allow", by: "shop/web ingress[1]"},
		{name: "end of tier", cite: "Tier reference: traffic no rule of the tier's selecting policies matched is dropped (default action Deny)", cni: Calico,
			docs: docs(calicoDeny, calicoWeb), probe: in(pod(shopPod), 8081, "TCP"), want: "deny", by: "end of the default tier"},
		{name: "a rule selector stays in the namespace", cite: "EntityRule.namespaceSelector: empty limits selector to the policy's namespace", cni: Calico,
			docs: docs(calicoDeny, calicoWeb), probe: in(pod(otherPod), 8080, "TCP"), want: "deny"},
		{name: "a range", cite: "EntityRule.ports: 'min:max' ranges", cni: Calico,
			docs: docs(calicoDeny, calicoWeb), probe: in(pod(shopPod), 9010, "TCP"), want: "allow", by: "ingress[1]"},
		{name: "an earlier Deny", cite: ref + ": rules in order, the first match decides", cni: Calico,
			docs: docs(calicoDeny, calicoWeb), probe: in(pod(evil), 8080, "TCP"), want: "deny", by: "ingress[0]"},
		{name: "a policy of lower order first", cite: ref + ": policies with higher order are applied after those with lower", cni: Calico,
			docs: docs(calicoDeny, calicoWeb, calicoEarlyDeny), probe: in(pod(shopPod), 8080, "TCP"), want: "deny", by: "shop/early"},
		{name: "namespaceSelector alone and a named port; numeric protocol", cite: "EntityRule.namespaceSelector; ports by name on the destination; protocol 6 is TCP", cni: Calico,
			docs: docs(calicoDeny, calicoWeb), probe: in(pod(monPod), 8080, "TCP"), want: "allow", by: "ingress[2]"},
		{name: "selectors select pods only", cite: "EntityRule.selector: only traffic from endpoints matching it", cni: Calico,
			docs: docs(calicoDeny, calicoWeb), probe: in(ip("192.0.2.1"), 9500, "TCP"), want: "deny"},
		{name: "all() in all() namespaces", cite: "EntityRule.namespaceSelector: all()", cni: Calico,
			docs: docs(calicoDeny, calicoWeb), probe: in(pod(otherPod), 9500, "TCP"), want: "allow", by: "ingress[3]"},
		{name: "Pass leaves the tier", cite: "Rule action Pass: skips to the next tier; none follows, so the profile allows", cni: Calico,
			docs: docs(calicoDeny, calicoWeb), probe: in(pod(otherPod), 9600, "TCP"), want: "allow", by: "passed on by"},
		{name: "Log goes on; nets and notNets", cite: "Rule action Log: continues; EntityRule.nets and notNets by address", cni: Calico,
			docs: docs(calicoDeny, calicoWeb), probe: in(ip("10.2.0.1"), 9700, "TCP"), want: "allow", by: "ingress[6]"},
		{name: "notNets", cite: "EntityRule.notNets: addresses in it do not match", cni: Calico,
			docs: docs(calicoDeny, calicoWeb), probe: in(ip("10.1.0.1"), 9700, "TCP"), want: "deny"},
		{name: "ipVersion", cite: "Rule.ipVersion: only that family", cni: Calico,
			docs: docs(calicoDeny, calicoWeb), probe: in(ip("192.0.2.1"), 9800, "TCP"), want: "deny"},
		{name: "ipVersion 6", cite: "Rule.ipVersion: only that family", cni: Calico,
			docs: docs(calicoDeny, calicoWeb), probe: in(ip("2001:db8::1"), 9800, "TCP"), want: "allow", by: "ingress[7]"},
		{name: "the host reaches its pods", cite: "Protect hosts: Calico allows all connections from processes on the host to its workloads", cni: Calico,
			docs: docs(calicoDeny, calicoWeb), probe: in(entity("host", "10.0.0.3"), 1, "TCP"), want: "allow", by: "host"},
		{name: "services: the apiserver", cite: "EntityRule.services: the Service's endpoints on their port (kubernetes: 443 or 6443)", cni: Calico,
			docs: docs(calicoDeny, calicoWeb), probe: out(entity("kube-apiserver", "10.0.0.1"), 6443, "TCP"), want: "allow", by: "egress[0]"},
		{name: "services: not other ports", cite: "EntityRule.services: only to each endpoint's port", cni: Calico,
			docs: docs(calicoDeny, calicoWeb), probe: out(entity("kube-apiserver", "10.0.0.1"), 10250, "TCP"), want: "deny"},
		{name: "DNS pods", cite: "EntityRule: namespaceSelector and selector both hold", cni: Calico,
			docs: docs(calicoDeny, calicoWeb), probe: out(pod(&Pod{Namespace: "kube-system", Labels: map[string]string{"k8s-app": "kube-dns"}}), 53, "UDP"), want: "allow", by: "egress[1]"},
		{name: "not other kube-system pods", cite: "EntityRule: namespaceSelector and selector both hold", cni: Calico,
			docs: docs(calicoDeny, calicoWeb), probe: out(pod(&Pod{Namespace: "kube-system", Labels: map[string]string{"k8s-app": "metrics-server"}}), 53, "UDP"), want: "deny"},
		{name: "staged policies do not enforce", cite: "StagedNetworkPolicy: evaluated, not enforced", cni: Calico,
			docs: docs(calicoStaged), probe: in(pod(shopPod), 8080, "TCP"), want: "allow", by: "no policy selects"},
		{name: "staged Kubernetes policies do not enforce", cite: "StagedKubernetesNetworkPolicy: evaluated, not enforced", cni: Calico,
			docs: docs(k8sStagedDeny), probe: in(pod(shopPod), 8080, "TCP"), want: "allow", by: "no policy selects"},
		{name: "NetworkPolicy at order 1000", cite: "Calico converts a NetworkPolicy into a default-tier policy of order 1000", cni: Calico,
			docs: docs(calicoDeny, npAllowClient), probe: in(pod(shopPod), 12345, "TCP"), want: "allow", by: "shop/chart"},
		{name: "a Calico Deny before the NetworkPolicy", cite: "order 500 comes before the NetworkPolicy's 1000", cni: Calico,
			docs: docs(calicoEarlyDeny, npAllowClient), probe: in(pod(shopPod), 8080, "TCP"), want: "deny", by: "shop/early"},
		{name: "another tier", cite: "Tier reference: tiers are ordered by their own order, which the stream does not hold", cni: Calico,
			docs: docs(calicoOtherTier), probe: in(pod(shopPod), 8080, "TCP"), want: "error", by: "tier security"},
		{name: "global() refused", cite: "EntityRule.selector: global() selects network sets and host endpoints", cni: Calico,
			docs: docs(calicoGlobalSelector), probe: in(pod(shopPod), 8080, "TCP"), want: "error", by: "global()"},
		{name: "Calico objects need Calico", cite: "only Calico enforces projectcalico.org policies", cni: Kubernetes,
			docs: docs(calicoDeny), probe: in(pod(shopPod), 8080, "TCP"), want: "allow", by: "no policy selects"},
	})
}
