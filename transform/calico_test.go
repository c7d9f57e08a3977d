package transform

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/helm-netpol/helm-netpol/internal/config"
	"github.com/helm-netpol/helm-netpol/internal/engine/calico"
	"github.com/helm-netpol/helm-netpol/internal/plan"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestCalicoSelector(t *testing.T) {
	req := func(key string, op metav1.LabelSelectorOperator, values ...string) metav1.LabelSelectorRequirement {
		return metav1.LabelSelectorRequirement{Key: key, Operator: op, Values: values}
	}
	cases := []struct {
		name    string
		sel     *metav1.LabelSelector
		want    string
		wantErr string
	}{
		{name: "no selector selects everything", sel: nil, want: "all()"},
		{name: "an empty selector selects everything", sel: &metav1.LabelSelector{}, want: "all()"},
		{
			name: "labels are joined in key order, prefixes, dots, slashes, dashes and underscores kept",
			sel: &metav1.LabelSelector{MatchLabels: map[string]string{
				"app.kubernetes.io/name":  "ctrl",
				"a":                       "b",
				"sub.example.com/x_y-z.w": "v.1_2-3",
			}},
			want: "a == 'b' && app.kubernetes.io/name == 'ctrl' && sub.example.com/x_y-z.w == 'v.1_2-3'",
		},
		{name: "an empty value is an empty string", sel: &metav1.LabelSelector{MatchLabels: map[string]string{"k": ""}}, want: "k == ''"},
		{
			name: "keys spelled like Calico keywords stay labels",
			sel:  &metav1.LabelSelector{MatchLabels: map[string]string{"in": "x", "all": "y", "has": "z", "not": "n", "global": "g"}},
			want: "all == 'y' && global == 'g' && has == 'z' && in == 'x' && not == 'n'",
		},
		{name: "In is a set", sel: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{req("tier", metav1.LabelSelectorOpIn, "a", "b")}}, want: "tier in {'a', 'b'}"},
		{name: "NotIn is a negated set", sel: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{req("tier", metav1.LabelSelectorOpNotIn, "a")}}, want: "tier not in {'a'}"},
		{name: "In with an empty value", sel: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{req("tier", metav1.LabelSelectorOpIn, "", "a")}}, want: "tier in {'', 'a'}"},
		{name: "Exists is has()", sel: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{req("example.com/canary", metav1.LabelSelectorOpExists)}}, want: "has(example.com/canary)"},
		{name: "DoesNotExist is !has()", sel: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{req("example.com/canary", metav1.LabelSelectorOpDoesNotExist)}}, want: "!has(example.com/canary)"},
		{
			name: "labels come before expressions, expressions keep their order",
			sel: &metav1.LabelSelector{
				MatchLabels: map[string]string{"app": "web"},
				MatchExpressions: []metav1.LabelSelectorRequirement{
					req("z", metav1.LabelSelectorOpDoesNotExist),
					req("a", metav1.LabelSelectorOpIn, "1"),
				},
			},
			want: "app == 'web' && !has(z) && a in {'1'}",
		},
		{name: "a value holding a single quote is double-quoted", sel: &metav1.LabelSelector{MatchLabels: map[string]string{"k": "it's"}}, want: `k == "it's"`},
		{name: "a value holding a double quote is single-quoted", sel: &metav1.LabelSelector{MatchLabels: map[string]string{"k": `say "hi"`}}, want: `k == 'say "hi"'`},
		{name: "characters that mean something to Calico stay inside the quotes", sel: &metav1.LabelSelector{MatchLabels: map[string]string{"k": "a && b || !has(c)"}}, want: "k == 'a && b || !has(c)'"},
		{name: "a value holding both quotes cannot be expressed", sel: &metav1.LabelSelector{MatchLabels: map[string]string{"k": `it's "x"`}}, wantErr: "holds both quote characters"},
		{name: "a key with a space cannot be expressed", sel: &metav1.LabelSelector{MatchLabels: map[string]string{"a b": "c"}}, wantErr: `label key "a b"`},
		{name: "a key with a colon cannot be expressed", sel: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{req("k8s:app", metav1.LabelSelectorOpExists)}}, wantErr: `label key "k8s:app"`},
		{name: "an empty key cannot be expressed", sel: &metav1.LabelSelector{MatchLabels: map[string]string{"": "c"}}, wantErr: `label key ""`},
		{name: "In without values is refused", sel: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{req("k", metav1.LabelSelectorOpIn)}}, wantErr: "needs at least one value"},
		{name: "an unknown operator is refused", sel: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{req("k", "Gt", "1")}}, wantErr: `operator "Gt"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := calico.CalicoSelector(c.sel)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("calicoSelector() error = %v, want one containing %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("calicoSelector() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRenderCalico(t *testing.T) {
	runEngineCases(t, []engineCase{
		{
			name:   "the default-deny has no rule, selects all() and carries its order",
			engine: config.EngineCalico,
			policy: func(t *testing.T) *plan.Policy { return &plan.Policy{Deny: true, EgressIsolated: true, Order: 2000} },
			want: `
order: 2000
selector: all()
tier: default
types:
- Ingress
- Egress
`,
		},
		{
			name:   "an allowlist without ingress rule isolates",
			engine: config.EngineCalico,
			policy: func(t *testing.T) *plan.Policy { return &plan.Policy{Selector: ctrlSelector(), Order: 1999} },
			want: `
order: 1999
selector: app.kubernetes.io/name == 'ctrl'
tier: default
types:
- Ingress
`,
		},
		{
			name:   "one rule per peer and protocol, a port without number opens the protocol",
			engine: config.EngineCalico,
			policy: func(t *testing.T) *plan.Policy {
				return &plan.Policy{Selector: ctrlSelector(), Order: 1999, Ingress: []plan.Rule{ruleYAML(t, "networkPolicy.additionalIngress[0]", `
ports:
- {port: 8080}
- {port: 9000, endPort: 9010, protocol: TCP}
- {protocol: UDP, port: 53}
- {protocol: UDP}
from:
- podSelector: {matchLabels: {app: prom}}
- namespaceSelector: {}
- ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}
`)}}
			},
			want: `
ingress:
- action: Allow
  destination:
    ports:
    - 8080
    - 9000:9010
  metadata:
    annotations:
      helm-netpol.io/origin: networkPolicy.additionalIngress[0]
  protocol: TCP
  source:
    selector: app == 'prom'
- action: Allow
  metadata:
    annotations:
      helm-netpol.io/origin: networkPolicy.additionalIngress[0]
  protocol: UDP
  source:
    selector: app == 'prom'
- action: Allow
  destination:
    ports:
    - 8080
    - 9000:9010
  metadata:
    annotations:
      helm-netpol.io/origin: networkPolicy.additionalIngress[0]
  protocol: TCP
  source:
    namespaceSelector: all()
- action: Allow
  metadata:
    annotations:
      helm-netpol.io/origin: networkPolicy.additionalIngress[0]
  protocol: UDP
  source:
    namespaceSelector: all()
- action: Allow
  destination:
    ports:
    - 8080
    - 9000:9010
  metadata:
    annotations:
      helm-netpol.io/origin: networkPolicy.additionalIngress[0]
  protocol: TCP
  source:
    nets:
    - 10.0.0.0/8
    notNets:
    - 10.1.0.0/16
- action: Allow
  metadata:
    annotations:
      helm-netpol.io/origin: networkPolicy.additionalIngress[0]
  protocol: UDP
  source:
    nets:
    - 10.0.0.0/8
    notNets:
    - 10.1.0.0/16
order: 1999
selector: app.kubernetes.io/name == 'ctrl'
tier: default
types:
- Ingress
`,
		},
		{
			name:   "passthrough rules come first, the apiserver is the kubernetes service, a rule without peers has no destination selector",
			engine: config.EngineCalico,
			policy: func(t *testing.T) *plan.Policy {
				return &plan.Policy{
					Selector: ctrlSelector(), Order: 1999, EgressIsolated: true,
					Egress: []plan.Rule{
						{Origin: "networkPolicy.egress.apiserver", Apiserver: true},
						ruleYAML(t, "networkPolicy.egress.to[0]", "ports: [{port: 4317}]"),
						ruleYAML(t, "networkPolicy.egress.to[1]", "from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: flux-system}}, podSelector: {}}]"),
					},
					Native: config.Passthrough{Egress: nativeYAML(t, "[{action: Deny, destination: {nets: [169.254.169.254/32]}}]")},
				}
			},
			want: `
egress:
- action: Deny
  destination:
    nets:
    - 169.254.169.254/32
- action: Allow
  destination:
    services:
      name: kubernetes
      namespace: default
  metadata:
    annotations:
      helm-netpol.io/origin: networkPolicy.egress.apiserver
- action: Allow
  destination:
    ports:
    - 4317
  metadata:
    annotations:
      helm-netpol.io/origin: networkPolicy.egress.to[0]
  protocol: TCP
- action: Allow
  destination:
    namespaceSelector: kubernetes.io/metadata.name == 'flux-system'
    selector: all()
  metadata:
    annotations:
      helm-netpol.io/origin: networkPolicy.egress.to[1]
order: 1999
selector: app.kubernetes.io/name == 'ctrl'
tier: default
types:
- Ingress
- Egress
`,
		},
		{
			name:   "a selector Calico cannot express names the rule",
			engine: config.EngineCalico,
			policy: func(t *testing.T) *plan.Policy {
				return &plan.Policy{Selector: ctrlSelector(), Ingress: []plan.Rule{ruleYAML(t, "networkPolicy.metrics.from", `from: [{podSelector: {matchLabels: {"a b": c}}}]`)}}
			},
			wantErr: `networkPolicy.metrics.from[0]: podSelector: label key "a b"`,
		},
	})
}
