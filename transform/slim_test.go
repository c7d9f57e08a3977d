package transform

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/helm-netpol/helm-netpol/internal/config"
	"github.com/helm-netpol/helm-netpol/internal/discover"
	"github.com/helm-netpol/helm-netpol/internal/findings"
	"github.com/helm-netpol/helm-netpol/internal/manifest"
)

// TestStubsChangeNothing runs every golden fixture (its input, and its output as a second
// run reads it), every real chart render of fixtures/corpus under two release-wide configs
// of the security tests, the hostile inputs and a few invalid workloads and Services, with
// and without the stubs.
func TestStubsChangeNothing(t *testing.T) {
	var runs []securityRun
	for _, r := range allFixtureRuns(t) {
		runs = append(runs, r.securityRun)
		if want, err := os.ReadFile(filepath.Join(r.dir, "want.yaml")); err == nil {
			runs = append(runs, securityRun{r.name + " second run", want, r.opts})
		}
	}
	for _, c := range hostileCases() {
		runs = append(runs, securityRun{"hostile " + c.name, c.input, c.opts})
	}
	for _, c := range invalidObjects {
		for _, cfg := range []string{"", "networkPolicy: {enabled: true}"} {
			opts := Options{Release: "rel", Namespace: "ns"}
			if cfg != "" {
				opts.Config = mustLayer(cfg, config.LevelFile, "--config test")
			}
			runs = append(runs, securityRun{"invalid " + c.name + " " + cfg, []byte(c.input), opts})
		}
	}
	if !testing.Short() {
		for _, r := range corpusRuns(t) {
			// Discovery is the same under every engine: two configs are enough.
			if strings.HasSuffix(r.name, " keepExisting") || strings.HasSuffix(r.name, " egress") {
				runs = append(runs, r)
			}
		}
	}
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			checkStubs(t, r.input, r.opts)
		})
	}
}

// invalidObjects are workloads and Services that do not decode, or whose config hides
// behind an escape, each beside a valid workload.
var invalidObjects = []struct{ name, input string }{
	{"Deployment containers not a list", deployment("web", map[string]string{"app": "web"}, "") +
		"---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: bad}\nspec:\n  template:\n    metadata: {labels: {app: bad}}\n    spec: {containers: 5}\n"},
	{"Pod port not a number", deployment("web", map[string]string{"app": "web"}, "") +
		"---\napiVersion: v1\nkind: Pod\nmetadata: {name: bad, labels: {app: bad}}\nspec: {containers: [{name: c, ports: [{containerPort: x}]}]}\n"},
	{"CronJob hostNetwork a string", deployment("web", map[string]string{"app": "web"}, "") +
		"---\napiVersion: batch/v1\nkind: CronJob\nmetadata: {name: bad}\nspec: {jobTemplate: {spec: {template: {spec: {hostNetwork: maybe}}}}}\n"},
	{"Service ports a mapping", deployment("web", map[string]string{"app": "web"}, "") +
		"---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {selector: {app: web}, ports: {port: 80}}\n"},
	{"Service spec a list", deployment("web", map[string]string{"app": "web"}, "") +
		"---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: [1]\n"},
	{"NetworkPolicy podSelector a number", deployment("web", map[string]string{"app": "web"}, "") +
		"---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np}\nspec: {podSelector: 5}\n"},
	{"webhook port not a number", deployment("web", map[string]string{"app": "web"}, "") +
		"---\napiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata: {name: wh}\nwebhooks: [{name: a, clientConfig: {service: {name: web, namespace: ns, port: x}}}]\n"},
	{"webhooks a mapping", deployment("web", map[string]string{"app": "web"}, "") +
		"---\napiVersion: admissionregistration.k8s.io/v1\nkind: MutatingWebhookConfiguration\nmetadata: {name: wh}\nwebhooks: {a: b}\n"},
	{"webhook without clientConfig", deployment("web", map[string]string{"app": "web"}, "") +
		"---\napiVersion: admissionregistration.k8s.io/v1\nkind: ValidatingWebhookConfiguration\nmetadata: {name: wh}\nwebhooks: [{name: a}, b]\n"},
	{"conversion webhook", deployment("web", map[string]string{"app": "web"}, "") +
		"---\napiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: ns}\nspec: {selector: {app: web}, ports: [{port: 443, targetPort: 80}]}\n" +
		"---\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: things.example.com}\nspec: {conversion: {strategy: Webhook, webhook: {clientConfig: {service: {name: web, namespace: ns, port: 443}}}}}\n"},
	{"config behind an escape", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata:\n      labels: {app: web}\n      annotations:\n        \"helm\\x2Dnetpol.io/config\": 'networkPolicy: {enabled: true}'\n    spec: {containers: [{name: c, ports: [{containerPort: 80}]}]}\n"},
}

// TestStubsAreMade shows that the fast path is taken: reading a real chart render for
// Process cuts its workloads, Services and webhook configurations down.
func TestStubsAreMade(t *testing.T) {
	in, err := os.ReadFile("../fixtures/corpus/cert-manager.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s, err := manifest.ReadStubs(in, relevant, passThrough, discover.StubForDiscovery)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, d := range s.Docs {
		if d.Stub == nil {
			continue
		}
		o := d.Stub
		kinds[o.Kind]++
		if len(d.Node.YNode().Content) > 0 {
			t.Errorf("%s: the stub is not empty", o.ID())
		}
	}
	for _, kind := range []string{"Deployment", "Service", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration"} {
		if kinds[kind] == 0 {
			t.Errorf("no %s of cert-manager was cut down to a stub", kind)
		}
	}
}

// checkStubs runs Process, Policies, FluxPatches and BuildReport on input with the stubs
// and with the full trees, and wants the same from each.
func checkStubs(t *testing.T, input []byte, opts Options) {
	t.Helper()
	full := opts
	full.fullTrees = true
	for _, entry := range []struct {
		name string
		run  func([]byte, Options) ([]byte, *Result, error)
	}{{"Process", Process}, {"Policies", Policies}, {"FluxPatches", FluxPatches}, {"BuildReport", reportJSON}} {
		out, res, err := entry.run(input, opts)
		wantOut, wantRes, wantErr := entry.run(input, full)
		if errText(err) != errText(wantErr) {
			t.Fatalf("%s: with stubs the error is\n%s\nwith full trees\n%s", entry.name, errText(err), errText(wantErr))
		}
		if !bytes.Equal(out, wantOut) {
			t.Fatalf("%s: with stubs the output is\n%.3000s\nwith full trees\n%.3000s", entry.name, out, wantOut)
		}
		if got, want := resultSummary(res), resultSummary(wantRes); !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: with stubs the result is\n%+v\nwith full trees\n%+v", entry.name, got, want)
		}
	}
}

func reportJSON(input []byte, opts Options) ([]byte, *Result, error) {
	rep, err := BuildReport(input, opts)
	if err != nil {
		return nil, nil, err
	}
	text, err := rep.JSON()
	return []byte(text), nil, err
}

// summary is what a Result says, without the nodes and objects that differ by identity
// (a stub is not its full tree).
type summary struct {
	Findings  []findings.Finding
	Policies  int
	Changed   int
	Generated []string
	Workloads []discover.Workload // without their Object
	IDs       []string            // the workloads'
	Removed   []string
	Replaced  []string
}

func resultSummary(res *Result) *summary {
	if res == nil {
		return nil
	}
	s := &summary{Findings: res.Findings, Policies: len(res.Policies), Changed: len(res.Changed)}
	for _, g := range res.Generated {
		text, err := g.Node.String()
		if err != nil {
			text = err.Error()
		}
		s.Generated = append(s.Generated, text)
	}
	for _, w := range res.Workloads {
		c := *w
		c.Object = nil
		s.Workloads = append(s.Workloads, c)
		s.IDs = append(s.IDs, w.ID())
	}
	for _, rm := range res.Removed {
		s.Removed = append(s.Removed, rm.Object.ID()+" "+rm.Pointer)
	}
	for _, o := range res.Replaced {
		s.Replaced = append(s.Replaced, o.ID())
	}
	return s
}

// TestStubEscapedKey shows that a helm-netpol.io/ annotation written with YAML escapes is
// seen: the carrier keeps its full tree, and loses its annotation.
func TestStubEscapedKey(t *testing.T) {
	in := []byte(invalidObjects[len(invalidObjects)-1].input)
	s, err := manifest.ReadStubs(in, relevant, passThrough, discover.StubForDiscovery)
	if err != nil {
		t.Fatal(err)
	}
	if s.Docs[0].Stub != nil {
		t.Fatal("a carrier was cut down to a stub")
	}
	out, _, err := Process(in, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "config") {
		t.Errorf("the config annotation is still there:\n%s", out)
	}
}
