package transform

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/helm-netpol/helm-netpol/internal/config"
	"github.com/helm-netpol/helm-netpol/internal/engine/clusternetworkpolicy"
	"github.com/helm-netpol/helm-netpol/internal/manifest"
	"github.com/helm-netpol/helm-netpol/internal/plan"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	cnpv1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"
	sigsyaml "sigs.k8s.io/yaml"
)

func TestRenderClusterNetworkPolicyMeta(t *testing.T) {
	p := &plan.Policy{Name: "ctrl-deployment-allow", Namespace: "ctrl", ScopeNamespace: "ctrl", Selector: ctrlSelector(), Order: 999}
	meta := metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace, Annotations: map[string]string{manifest.AnnotationGeneratedFor: "apps/v1/Deployment/ctrl"}}
	obj, err := clusternetworkpolicy.Render(p, meta)
	if err != nil {
		t.Fatal(err)
	}
	got := obj.(*cnpv1alpha2.ClusterNetworkPolicy).ObjectMeta
	want := metav1.ObjectMeta{Name: "ctrl-ctrl-deployment-allow", Annotations: meta.Annotations}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the namespace moves into the name (-want +got):\n%s", diff)
	}
	p.ScopeNamespace = "ctrl-system" // a "-" in the namespace: the name takes the hash
	obj, err = clusternetworkpolicy.Render(p, meta)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := obj.(*cnpv1alpha2.ClusterNetworkPolicy).Name, plan.ScopedName("ctrl-system", p.Name); got != want || !strings.HasPrefix(got, "ctrl-system-ctrl-deployment-allow-") {
		t.Errorf("in namespace ctrl-system the name is %s, want %s", got, want)
	}

	p.ScopeNamespace = ""
	if _, err := clusternetworkpolicy.Render(p, meta); err == nil || !strings.Contains(err.Error(), "set networkPolicy.namespace, or pass --namespace") {
		t.Errorf("no namespace: error = %v, want one telling how to give it", err)
	}
}

func TestRenderClusterNetworkPolicy(t *testing.T) {
	allowlist := func(ingress ...plan.Rule) *plan.Policy {
		return &plan.Policy{ScopeNamespace: "ns", Selector: ctrlSelector(), Order: 999, Ingress: ingress}
	}
	runEngineCases(t, []engineCase{
		{
			name:   "the default-deny selects the namespace and denies pods, egress to pods and every address",
			engine: config.EngineClusterNetworkPolicy,
			policy: func(t *testing.T) *plan.Policy {
				return &plan.Policy{Deny: true, EgressIsolated: true, ScopeNamespace: "ns", Order: 1000}
			},
			want: `
egress:
- action: Deny
  name: deny
  to:
  - namespaces: {}
  - networks:
    - 0.0.0.0/0
    - ::/0
ingress:
- action: Deny
  from:
  - namespaces: {}
  name: deny
priority: 1000
subject:
  namespaces:
    matchLabels:
      kubernetes.io/metadata.name: ns
tier: Baseline
`,
		},
		{
			name:   "passthrough first, then Accept, then Deny; a port without number is the whole range",
			engine: config.EngineClusterNetworkPolicy,
			policy: func(t *testing.T) *plan.Policy {
				p := allowlist(ruleYAML(t, "networkPolicy.additionalIngress[0]", `
ports: [{protocol: UDP}, {port: 9000, endPort: 9010}]
from:
- podSelector: {matchLabels: {app: prom}}
- namespaceSelector: {matchLabels: {team: obs}}
- namespaceSelector: {}
  podSelector: {matchLabels: {app: flagger}}
`))
				p.Native.Ingress = nativeYAML(t, `[{action: Pass, from: [{namespaces: {matchLabels: {trusted: "true"}}}]}]`)
				return p
			},
			want: `
ingress:
- action: Pass
  from:
  - namespaces:
      matchLabels:
        trusted: "true"
- action: Accept
  from:
  - pods:
      namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: ns
      podSelector:
        matchLabels:
          app: prom
  - namespaces:
      matchLabels:
        team: obs
  - pods:
      namespaceSelector: {}
      podSelector:
        matchLabels:
          app: flagger
  name: networkPolicy.additionalIngress[0]
  protocols:
  - udp:
      destinationPort:
        range:
          end: 65535
          start: 1
  - tcp:
      destinationPort:
        range:
          end: 9010
          start: 9000
- action: Deny
  from:
  - namespaces: {}
  name: deny
priority: 999
subject:
  pods:
    namespaceSelector:
      matchLabels:
        kubernetes.io/metadata.name: ns
    podSelector:
      matchLabels:
        app.kubernetes.io/name: ctrl
tier: Baseline
`,
		},
		{
			name:   "an ipBlock cannot be an ingress peer",
			engine: config.EngineClusterNetworkPolicy,
			policy: func(t *testing.T) *plan.Policy {
				return allowlist(ruleYAML(t, "networkPolicy.metrics.from", "from: [{podSelector: {}}, {ipBlock: {cidr: 10.0.0.0/8}}]"))
			},
			wantErr: "networkPolicy.metrics.from[1]: an ipBlock cannot be a ClusterNetworkPolicy ingress peer",
		},
		{
			name:   "an ipBlock except cannot be expressed",
			engine: config.EngineClusterNetworkPolicy,
			policy: func(t *testing.T) *plan.Policy {
				p := allowlist()
				p.EgressIsolated = true
				p.Egress = []plan.Rule{ruleYAML(t, "networkPolicy.egress.to[0]", "from: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]")}
				return p
			},
			wantErr: "networkPolicy.egress.to[0][0]: ipBlock.except cannot be expressed",
		},
		{
			name:   "the apiserver has no name here",
			engine: config.EngineClusterNetworkPolicy,
			policy: func(t *testing.T) *plan.Policy {
				p := allowlist()
				p.EgressIsolated = true
				p.Egress = []plan.Rule{{Origin: "networkPolicy.egress.apiserver", Apiserver: true}}
				return p
			},
			wantErr: "list its addresses in networkPolicy.egress.apiserver.cidrs",
		},
		{
			name:   "a passthrough rule with an unknown field is refused",
			engine: config.EngineClusterNetworkPolicy,
			policy: func(t *testing.T) *plan.Policy {
				p := allowlist()
				p.Native.Ingress = nativeYAML(t, `[{action: Deny, form: [{namespaces: {}}]}]`)
				return p
			},
			wantErr: `networkPolicy.clusterNetworkPolicy.ingress[0]: unknown field "form"`,
		},
		{
			name:   "more than 25 rules are refused",
			engine: config.EngineClusterNetworkPolicy,
			policy: func(t *testing.T) *plan.Policy {
				var rules []plan.Rule
				for i := range 25 {
					rules = append(rules, ruleYAML(t, fmt.Sprintf("networkPolicy.additionalIngress[%d]", i), fmt.Sprintf("ports: [{port: %d}]", 1000+i)))
				}
				return allowlist(rules...)
			},
			wantErr: "ingress: 26 rules",
		},
		{
			name:   "more than 25 peers are refused",
			engine: config.EngineClusterNetworkPolicy,
			policy: func(t *testing.T) *plan.Policy {
				peers := strings.Repeat("- namespaceSelector: {}\n", 26)
				return allowlist(ruleYAML(t, "networkPolicy.gate.from", "from:\n"+peers))
			},
			wantErr: "networkPolicy.gate.from: 26 peers",
		},
	})
}

// TestClusterNetworkPolicyEarlierSingleAllowlist: a stream that an earlier version
// post-rendered holds each allowlist as one ClusterNetworkPolicy ending in its closing Deny.
// Run again under --config, that object is the new allowlist and its closing Deny object
// together: the run replaces it by the pair, and never leaves it beside them.
func TestClusterNetworkPolicyEarlierSingleAllowlist(t *testing.T) {
	cnp := "networkPolicy: {enabled: true, engine: clusterNetworkPolicy, egress: {enabled: true, apiserver: {cidrs: [10.0.0.1/32]}}}"
	in := joinDocs(workloadDoc("shop", "web", map[string]string{"app": "web", "app.kubernetes.io/instance": "rel"}, ""))
	opts := Options{Config: releaseWide(t, cnp), Release: "rel"}
	out, _, err := Process(in, opts)
	if err != nil {
		t.Fatal(err)
	}
	// The earlier version's shape: the closing Deny rules at the end of the allowlist.
	docs := strings.Split(string(out), "\n---\n")
	var earlier []string
	var allow, deny map[string]any
	for _, d := range docs {
		var m map[string]any
		if err := sigsyaml.Unmarshal([]byte(d), &m); err != nil {
			t.Fatal(err)
		}
		meta, _ := m["metadata"].(map[string]any)
		switch meta["name"] {
		case "shop-web-deployment-allow":
			allow = m
		case "shop-web-deployment-allow-deny":
			deny = m
			continue
		}
		earlier = append(earlier, d)
	}
	if allow == nil || deny == nil {
		t.Fatalf("no allowlist and closing Deny pair in:\n%s", out)
	}
	spec, denySpec := allow["spec"].(map[string]any), deny["spec"].(map[string]any)
	for _, dir := range []string{"ingress", "egress"} {
		own, _ := spec[dir].([]any)
		spec[dir] = append(own, denySpec[dir].([]any)...)
	}
	single, err := sigsyaml.Marshal(allow)
	if err != nil {
		t.Fatal(err)
	}
	for i, d := range earlier {
		if strings.Contains(d, "name: shop-web-deployment-allow\n") {
			earlier[i] = strings.TrimSuffix(string(single), "\n")
		}
	}
	again, res, err := Process([]byte(strings.Join(earlier, "\n---\n")), opts)
	if err != nil {
		t.Fatalf("the earlier version's output, run again: %v", err)
	}
	if got, want := generatedIDs(res), []string{
		"policy.networking.k8s.io/v1alpha2 ClusterNetworkPolicy shop-web-deployment-allow",
		"policy.networking.k8s.io/v1alpha2 ClusterNetworkPolicy shop-web-deployment-allow-deny",
	}; !cmp.Equal(got, want) {
		t.Errorf("generated %v, want %v", got, want)
	}
	if n := strings.Count(string(again), "name: shop-web-deployment-allow\n"); n != 1 {
		t.Errorf("the allowlist is in the output %d times, want once:\n%s", n, again)
	}
	if string(again) != string(out) {
		t.Errorf("run again, the earlier version's output is not what a first run gives (-first +again):\n%s", cmp.Diff(string(out), string(again)))
	}
}
