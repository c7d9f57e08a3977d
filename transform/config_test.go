package transform

import (
	"slices"
	"strings"
	"testing"

	"github.com/helm-netpol/helm-netpol/internal/config"
)

// TestConfigErrorsTogether: a config whose shape is wrong in places is still checked for
// what the rest means, so that one run lists every problem. A check that relates two
// fields does not take a field of the wrong shape for a value the user chose (no finding
// follows from another), and a list with a bad element goes whole.
func TestConfigErrorsTogether(t *testing.T) {
	const where = "apps/v1 Deployment shop/web: spec.template.metadata.annotations[helm-netpol.io/config]: "
	for _, c := range []struct {
		name   string
		config string
		want   []string // every error line, in order, without the prefix where
	}{{
		name:   "a typo and a port out of range",
		config: "networkPolicy: {enabled: true, metrcs: {from: []}}\nports: {gate: 70000}",
		want: []string{
			"networkPolicy.metrcs: unknown field; allowed: additionalIngress, calico, cilium, clusterNetworkPolicy, defaultDeny, egress, enabled, engine, gate, keepExisting, metrics, namespace, otherPorts, rewrite, staged, webhook, workloads",
			"ports.gate: 70000: a port must be 1..65535",
		},
	}, {
		name:   "a mistyped enabled and a bad CIDR",
		config: "networkPolicy: {enabled: yes, egress: {enabled: true, apiserver: {cidrs: [10.0.0.0/33]}}}",
		want: []string{
			`networkPolicy.enabled: must be true or false, not the string "yes"`,
			`networkPolicy.egress.apiserver.cidrs[0]: "10.0.0.0/33" is not a CIDR (like 10.0.0.0/8 or 10.0.0.1/32)`,
		},
	}, {
		name:   "a mistyped engine hides no passthrough and says nothing about it",
		config: "networkPolicy: {enabled: true, engine: 5, cilium: {ingress: [{fromEntities: [cluster]}]}}",
		want:   []string{`networkPolicy.engine: must be a string, not the integer 5`},
	}, {
		name:   "a mistyped engine says nothing of staged, which depends on it",
		config: "networkPolicy: {enabled: true, engine: 5, staged: true}",
		want:   []string{`networkPolicy.engine: must be a string, not the integer 5`},
	}, {
		name:   "a mistyped staged",
		config: "networkPolicy: {enabled: true, engine: cilium, staged: yes}",
		want:   []string{`networkPolicy.staged: must be true or false, not the string "yes"`},
	}, {
		name:   "a mistyped egress.enabled does not make its rules ignored ones",
		config: "networkPolicy: {enabled: true, egress: {enabled: 1, to: [{to: [{ipBlock: {cidr: 10.0.0.0/8}}]}]}}",
		want:   []string{`networkPolicy.egress.enabled: must be true or false, not the integer 1`},
	}, {
		// ports[0] is out of range too, but its list is gone with ports[1].
		name:   "a list with a bad element goes whole",
		config: "networkPolicy: {enabled: true, egress: {enabled: true, apiserver: {ports: [70000, x], cidrs: [nonsense]}}}",
		want: []string{
			`networkPolicy.egress.apiserver.ports[1]: must be an integer, not the string "x"`,
			`networkPolicy.egress.apiserver.cidrs[0]: "nonsense" is not a CIDR (like 10.0.0.0/8 or 10.0.0.1/32)`,
		},
	}} {
		t.Run(c.name, func(t *testing.T) {
			in := deployment("web", map[string]string{"app": "web"}, c.config)
			out, _, err := Process([]byte(in), Options{})
			if err == nil {
				t.Fatalf("succeeded; want %d errors. Output:\n%s", len(c.want), out)
			}
			var got []string
			for _, line := range strings.Split(err.Error(), "\n") {
				line = strings.TrimPrefix(line, "helm-netpol: ")
				if !strings.HasPrefix(line, where) {
					t.Errorf("an error about something else: %s", line)
					continue
				}
				got = append(got, strings.TrimPrefix(line, where))
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
		})
	}
}

// TestParseLayerPrunes: ParseLayer gives back, beside its error, the layer without what it
// reported, and the paths it took out.
func TestParseLayerPrunes(t *testing.T) {
	l, err := config.ParseLayer([]byte("networkPolicy: {enabled: true, engine: 5, bogus: 1, egress: {to: [{}, 7]}}\nports: {gate: 8080}"), config.LevelWorkload, "o", "w")
	if err == nil || l == nil {
		t.Fatalf("want an error and the layer; got %v, %v", l, err)
	}
	if got, want := l.Pruned, []string{"networkPolicy.bogus", "networkPolicy.egress.to", "networkPolicy.engine"}; !slices.Equal(got, want) {
		t.Errorf("pruned %q, want %q", got, want)
	}
	np := l.Tree["networkPolicy"].(map[string]any)
	if _, ok := np["enabled"]; !ok || len(np) != 2 {
		t.Errorf("networkPolicy keeps %v, want enabled and egress", np)
	}
	if eg := np["egress"].(map[string]any); len(eg) != 0 {
		t.Errorf("egress keeps %v, want nothing", eg)
	}
	if l.Tree["ports"].(map[string]any)["gate"] != int64(8080) {
		t.Errorf("ports lost the gate: %v", l.Tree["ports"])
	}
	if _, err := config.ParseLayer([]byte("networkPolicy: [a"), config.LevelWorkload, "o", "w"); err == nil {
		t.Error("malformed YAML accepted")
	}
	if l, err := config.ParseLayer([]byte("networkPolicy: [a]"), config.LevelWorkload, "o", "w"); err == nil || l == nil || len(l.Tree) != 0 {
		t.Errorf("a networkPolicy list: want the error and an empty layer; got %v, %v", l, err)
	}
}
