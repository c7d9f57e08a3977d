package transform

import (
	"strings"
	"testing"

	"github.com/helm-netpol/helm-netpol/internal/config"
	"github.com/helm-netpol/helm-netpol/internal/plan"
)

func TestRenderCilium(t *testing.T) {
	dns := func(t *testing.T) plan.Rule {
		r := ruleYAML(t, "networkPolicy.egress.dns", `
ports: [{port: 53, protocol: UDP}, {port: 53, protocol: TCP}]
from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}}]
`)
		r.DNS = true
		return r
	}
	runEngineCases(t, []engineCase{
		{
			name:   "the default-deny selects every endpoint and isolates with an empty rule, never ingressDeny",
			engine: config.EngineCilium,
			policy: func(t *testing.T) *plan.Policy { return &plan.Policy{Deny: true} },
			want: `
endpointSelector: {}
ingress:
- {}
`,
		},
		{
			name:   "the default-deny isolates egress when egress is denied",
			engine: config.EngineCilium,
			policy: func(t *testing.T) *plan.Policy { return &plan.Policy{Deny: true, EgressIsolated: true} },
			want: `
egress:
- {}
endpointSelector: {}
ingress:
- {}
`,
		},
		{
			name:   "an allowlist without ingress rule isolates with an empty rule, and egress without rule too",
			engine: config.EngineCilium,
			policy: func(t *testing.T) *plan.Policy { return &plan.Policy{Selector: ctrlSelector(), EgressIsolated: true} },
			want: `
egress:
- {}
endpointSelector:
  matchLabels:
    app.kubernetes.io/name: ctrl
ingress:
- {}
`,
		},
		{
			name:   "a rule without peers is every entity, ports are numeric strings, all ports of a protocol are port 0",
			engine: config.EngineCilium,
			policy: func(t *testing.T) *plan.Policy {
				return &plan.Policy{Selector: ctrlSelector(), Ingress: []plan.Rule{ruleYAML(t, "networkPolicy.additionalIngress[0]", `
ports: [{port: 9443}, {protocol: SCTP, port: 9000, endPort: 9010}, {protocol: UDP}]
`)}}
			},
			want: `
endpointSelector:
  matchLabels:
    app.kubernetes.io/name: ctrl
ingress:
- fromEntities:
  - all
  toPorts:
  - ports:
    - port: "9443"
      protocol: TCP
    - endPort: 9010
      port: "9000"
      protocol: SCTP
    - port: "0"
      protocol: UDP
`,
		},
		{
			name:   "peers: pod labels as they are, namespace keys prefixed, every namespace and negative namespace selectors stay in some namespace, ipBlocks in a rule of their own",
			engine: config.EngineCilium,
			policy: func(t *testing.T) *plan.Policy {
				return &plan.Policy{Selector: ctrlSelector(), Ingress: []plan.Rule{ruleYAML(t, "networkPolicy.metrics.from", `
ports: [{port: 8080}]
from:
- ipBlock: {cidr: 10.0.0.0/8, except: [10.96.0.0/12]}
- podSelector: {matchLabels: {app: prom}}
- namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring, team: obs}}
  podSelector: {matchExpressions: [{key: app, operator: In, values: [prom]}]}
- namespaceSelector: {}
- namespaceSelector: {matchExpressions: [{key: example.com/tenant, operator: NotIn, values: [untrusted]}]}
- ipBlock: {cidr: "2001:db8::/32"}
`)}}
			},
			want: `
endpointSelector:
  matchLabels:
    app.kubernetes.io/name: ctrl
ingress:
- fromCIDRSet:
  - cidr: 10.0.0.0/8
    except:
    - 10.96.0.0/12
  - cidr: 2001:db8::/32
  toPorts:
  - ports:
    - port: "8080"
      protocol: TCP
- fromEndpoints:
  - matchLabels:
      app: prom
  - matchExpressions:
    - key: app
      operator: In
      values:
      - prom
    matchLabels:
      k8s:io.cilium.k8s.namespace.labels.team: obs
      k8s:io.kubernetes.pod.namespace: monitoring
  - matchExpressions:
    - key: k8s:io.kubernetes.pod.namespace
      operator: Exists
  - matchExpressions:
    - key: k8s:io.cilium.k8s.namespace.labels.example.com/tenant
      operator: NotIn
      values:
      - untrusted
    - key: k8s:io.kubernetes.pod.namespace
      operator: Exists
  toPorts:
  - ports:
    - port: "8080"
      protocol: TCP
`,
		},
		{
			name:   "egress: the apiserver is the entity, passthrough rules are appended, the DNS rule carries the DNS proxy rule when toFQDNs is used",
			engine: config.EngineCilium,
			policy: func(t *testing.T) *plan.Policy {
				return &plan.Policy{
					Selector: ctrlSelector(), EgressIsolated: true,
					Egress: []plan.Rule{dns(t), {Origin: "networkPolicy.egress.apiserver", Apiserver: true}},
					Native: config.Passthrough{Egress: nativeYAML(t, `[{toFQDNs: [{matchName: bucket.example.com}], toPorts: [{ports: [{port: "443", protocol: TCP}]}]}]`)},
				}
			},
			want: `
egress:
- toEndpoints:
  - matchLabels:
      k8s:io.kubernetes.pod.namespace: kube-system
  toPorts:
  - ports:
    - port: "53"
      protocol: UDP
    - port: "53"
      protocol: TCP
    rules:
      dns:
      - matchPattern: '*'
- toEntities:
  - kube-apiserver
- toFQDNs:
  - matchName: bucket.example.com
  toPorts:
  - ports:
    - port: "443"
      protocol: TCP
endpointSelector:
  matchLabels:
    app.kubernetes.io/name: ctrl
ingress:
- {}
`,
		},
		{
			name:   "no DNS proxy rule without toFQDNs",
			engine: config.EngineCilium,
			policy: func(t *testing.T) *plan.Policy {
				return &plan.Policy{Selector: ctrlSelector(), EgressIsolated: true, Egress: []plan.Rule{dns(t)}}
			},
			want: `
egress:
- toEndpoints:
  - matchLabels:
      k8s:io.kubernetes.pod.namespace: kube-system
  toPorts:
  - ports:
    - port: "53"
      protocol: UDP
    - port: "53"
      protocol: TCP
endpointSelector:
  matchLabels:
    app.kubernetes.io/name: ctrl
ingress:
- {}
`,
		},
		{
			name:   "a namespace label key too long for Cilium's prefix is refused with the rule named",
			engine: config.EngineCilium,
			policy: func(t *testing.T) *plan.Policy {
				return &plan.Policy{Selector: ctrlSelector(), Ingress: []plan.Rule{ruleYAML(t, "networkPolicy.gate.from", `
from: [{namespaceSelector: {matchLabels: {`+strings.Repeat("x", 40)+`: "y"}}}]
`)}}
			},
			wantErr: "networkPolicy.gate.from[0]: namespaceSelector: Cilium sees namespace labels under the key",
		},
	})
}
