package transform

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/helm-netpol/helm-netpol/internal/config"
	"github.com/helm-netpol/helm-netpol/internal/discover"
	"github.com/helm-netpol/helm-netpol/internal/engine"
	"github.com/helm-netpol/helm-netpol/internal/engine/registry"
	"github.com/helm-netpol/helm-netpol/internal/plan"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	sigsyaml "sigs.k8s.io/yaml"
)

// renderSpec renders a policy with an engine's renderer and returns the spec as YAML.
func renderSpec(t *testing.T, engine config.Engine, p *plan.Policy) (string, error) {
	t.Helper()
	obj, err := registry.Dialects[engine].Render(p, metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace})
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	var o struct {
		Spec json.RawMessage `json:"spec"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		t.Fatal(err)
	}
	y, err := sigsyaml.JSONToYAML(o.Spec)
	if err != nil {
		t.Fatal(err)
	}
	return string(y), nil
}

// ruleYAML reads a Kubernetes ingress rule (ports and from) written as YAML.
func ruleYAML(t *testing.T, origin, text string) plan.Rule {
	t.Helper()
	var r networkingv1.NetworkPolicyIngressRule
	if err := sigsyaml.UnmarshalStrict([]byte(text), &r); err != nil {
		t.Fatal(err)
	}
	return plan.Rule{Origin: origin, Ports: r.Ports, Peers: r.From}
}

func nativeYAML(t *testing.T, text string) []map[string]any {
	t.Helper()
	var l []map[string]any
	if err := sigsyaml.Unmarshal([]byte(text), &l); err != nil {
		t.Fatal(err)
	}
	return l
}

func ctrlSelector() *metav1.LabelSelector {
	return &metav1.LabelSelector{MatchLabels: map[string]string{"app.kubernetes.io/name": "ctrl"}}
}

func ctrlWorkload() *discover.Workload {
	return &discover.Workload{Ports: []discover.ContainerPort{{Name: "metrics", Port: 8080, Protocol: corev1.ProtocolTCP}}}
}

// engineCase is one policy rendered by one engine: the spec it gives, or the error.
type engineCase struct {
	name    string
	engine  config.Engine
	policy  func(t *testing.T) *plan.Policy
	want    string
	wantErr string
}

func runEngineCases(t *testing.T, cases []engineCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := renderSpec(t, c.engine, c.policy(t))
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("render error = %v, want one containing %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(strings.TrimLeft(c.want, "\n"), got); diff != "" {
				t.Errorf("render mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNumericPorts(t *testing.T) {
	named := intstr.FromString("metrics")
	p := &plan.Policy{For: "apps/v1/Deployment/ctrl", Workload: ctrlWorkload()}
	r := plan.Rule{Origin: "networkPolicy.additionalIngress[0]", Ports: []networkingv1.NetworkPolicyPort{{Port: &named}}}
	got, err := engine.NumericPorts(p, r, plan.Ingress, config.EngineCilium)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]engine.NumericPort{{Protocol: corev1.ProtocolTCP, Port: 8080}}, got); diff != "" {
		t.Errorf("a named ingress port resolves to the workload's port (-want +got):\n%s", diff)
	}
	if _, err := engine.NumericPorts(p, r, plan.Egress, config.EngineCilium); err == nil || !strings.Contains(err.Error(), `networkPolicy.additionalIngress[0].ports[0]: named port "metrics"`) {
		t.Errorf("a named egress port: error = %v, want one naming the port", err)
	}
	unknown := intstr.FromString("grpc")
	r.Ports[0].Port = &unknown
	if _, err := engine.NumericPorts(p, r, plan.Ingress, config.EngineClusterNetworkPolicy); err == nil || !strings.Contains(err.Error(), "declare no port of that name") {
		t.Errorf("an undeclared named ingress port: error = %v, want one saying so", err)
	}
}

// sharedKinds are the fixture kinds every engine must render: each a config (with the
// engine's name put in for %s) over a fixture input.
var sharedKinds = []struct {
	name, input, config string
}{
	{"allowlist", "corpus/cert-manager.yaml", "networkPolicy: {enabled: true, engine: %s}"},
	{"from", "corpus/cert-manager.yaml", "networkPolicy: {enabled: true, engine: %s, metrics: {from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]}}"},
	{"default-deny", "corpus/cert-manager.yaml", "networkPolicy: {enabled: true, engine: %s, defaultDeny: {enabled: true, order: 1000}}"},
	{"egress", "corpus/cert-manager.yaml", "networkPolicy: {enabled: true, engine: %s, defaultDeny: {enabled: true, order: 1000}, egress: {enabled: true, apiserver: {cidrs: [192.0.2.10/32]}, to: [{to: [{ipBlock: {cidr: 198.51.100.0/24}}], ports: [{protocol: TCP, port: 443}]}]}}"},
	{"rewrite", "rewrite-kyverno-calico/input.yaml", "networkPolicy: {enabled: true, engine: %s, rewrite: true}"},
}

// TestEngineTable runs every engine of the registry over every shared fixture kind: each
// run succeeds, generates objects, and every generated policy is of the engine's own
// kind (the default-deny of the release included); and so does every staged form, with
// networkPolicy.staged. The registry and config.Engines name
// the same engines, so an engine is one folder plus one line in the registry.
func TestEngineTable(t *testing.T) {
	for _, e := range config.Engines {
		if _, ok := registry.Dialects[e]; !ok {
			t.Errorf("engine %s has no dialect in the registry", e)
		}
	}
	if len(registry.Dialects) != len(config.Engines) {
		t.Errorf("the registry has %d dialects, config.Engines names %d engines", len(registry.Dialects), len(config.Engines))
	}
	for _, form := range []struct {
		name     string
		dialects map[config.Engine]registry.Dialect
	}{{"", registry.Dialects}, {"staged/", registry.StagedDialects}} {
		for e, d := range form.dialects {
			for _, k := range sharedKinds {
				cfg := fmt.Sprintf(k.config, e)
				if form.name != "" {
					cfg = strings.Replace(cfg, "engine: "+string(e), "engine: "+string(e)+", staged: true", 1)
				}
				runEngineKind(t, form.name+string(e)+"/"+k.name, k.input, cfg, d)
			}
		}
	}
}

// TestStagedEngines runs every engine with networkPolicy.staged: those with a staged form
// in the registry render it (TestEngineTable), the others refuse it naming their own
// audit mode, or saying there is none.
func TestStagedEngines(t *testing.T) {
	want := map[config.Engine]string{
		config.EngineCilium:               "Cilium's own preview is policy audit mode",
		config.EngineClusterNetworkPolicy: "defines no staged or audit mode",
	}
	in, err := os.ReadFile(filepath.Join("..", "fixtures", "corpus/cert-manager.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range config.Engines {
		_, staged := registry.StagedDialects[e]
		if staged == (want[e] != "") {
			t.Errorf("engine %s: a staged dialect in the registry: %t; an error expected: %t", e, staged, want[e] != "")
		}
		if staged {
			continue
		}
		opts := Options{Config: releaseWide(t, fmt.Sprintf("networkPolicy: {enabled: true, engine: %s, staged: true}", e)), Namespace: "ns", Release: "rel"}
		_, _, err := Process(in, opts)
		if err == nil || !strings.Contains(err.Error(), "networkPolicy.staged: true: engine "+string(e)+" has no staged form") || !strings.Contains(err.Error(), want[e]) {
			t.Errorf("engine %s, staged: error = %v, want one saying it has no staged form and %q", e, err, want[e])
		}
	}
}

// runEngineKind runs one config over one fixture input and checks that every generated
// object is of the dialect's kind.
func runEngineKind(t *testing.T, name, input, cfg string, d registry.Dialect) {
	t.Run(name, func(t *testing.T) {
		t.Parallel()
		in, err := os.ReadFile(filepath.Join("..", "fixtures", input))
		if err != nil {
			t.Fatal(err)
		}
		opts := Options{Config: releaseWide(t, cfg), Namespace: "ns", Release: "rel"}
		_, res, err := Process(in, opts)
		if err != nil {
			t.Fatalf("%s: %v", cfg, err)
		}
		if len(res.Generated) == 0 {
			t.Fatalf("%s: nothing generated", cfg)
		}
		for _, g := range res.Generated {
			if g.APIVersion != d.APIVersion || g.Kind != d.Kind {
				t.Errorf("%s: generated %s, want %s %s", cfg, g.ID(), d.APIVersion, d.Kind)
			}
		}
	})
}
