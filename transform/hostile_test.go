package transform

import (
	"bytes"
	"fmt"
	"io"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/helm-netpol/helm-netpol/internal/config"
	"github.com/helm-netpol/helm-netpol/internal/manifest"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// hostileCase is one hostile input and what a careful user expects of it: either a clear
// error (every listed substring in it), or success with the properties of issue #7
// (checkProcess: nothing lost, unchanged documents byte for byte, generated objects that
// parse, a second run that changes nothing) and whatever check adds.
type hostileCase struct {
	name  string
	input []byte
	opts  Options
	err   []string
	check func(t *testing.T, in, out []byte, res *Result)
}

// safetyTimeout is far above what any case takes (each takes milliseconds to a few
// seconds); it only turns a hang into a failure that names the case.
const safetyTimeout = 3 * time.Minute

func TestHostileInputs(t *testing.T) {
	for _, c := range hostileCases() {
		t.Run(c.name, func(t *testing.T) {
			runHostile(t, c)
		})
	}
}

func runHostile(t *testing.T, c hostileCase) {
	t.Helper()
	timer := time.AfterFunc(safetyTimeout, func() {
		panic(fmt.Sprintf("hostile input %q: still running after %v", c.name, safetyTimeout))
	})
	defer timer.Stop()
	var buf bytes.Buffer
	res, err := ProcessTo(&buf, c.input, c.opts)
	if c.err != nil {
		if err == nil {
			t.Fatalf("succeeded; want an error with %q. Output:\n%.2000s", c.err, buf.Bytes())
		}
		if buf.Len() > 0 {
			t.Errorf("an error and %d bytes of output", buf.Len())
		}
		checkErrorLines(t, err)
		for _, want := range c.err {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error does not say %q:\n%v", want, err)
			}
		}
		return
	}
	if err != nil {
		t.Fatalf("want success: %v", err)
	}
	checkProcess(t, c.input, c.opts)
	if c.check != nil {
		c.check(t, c.input, buf.Bytes(), res)
	}
}

// unchanged checks that the output is the input, byte for byte.
func unchanged(t *testing.T, in, out []byte, _ *Result) {
	t.Helper()
	if !bytes.Equal(in, out) {
		t.Errorf("the output differs from the input:\n%q\n%q", in, out)
	}
}

// generates checks that the run generated n objects after the input's documents.
func generates(n int) func(t *testing.T, in, out []byte, res *Result) {
	return func(t *testing.T, in, out []byte, res *Result) {
		t.Helper()
		if len(res.Generated) != n {
			t.Errorf("generated %d objects, want %d", len(res.Generated), n)
		}
	}
}

// deployment renders a Deployment of the given name and pod labels whose pod template
// carries config (unless empty) as its config annotation, and declares port 8080.
func deployment(name string, labels map[string]string, cfg string) string {
	var l strings.Builder
	for _, k := range config.SortedKeys(labels) {
		fmt.Fprintf(&l, "        %s: %s\n", k, yamlString(labels[k]))
	}
	ann := ""
	if cfg != "" {
		ann = "      annotations:\n        helm-netpol.io/config: " + yamlString(cfg) + "\n"
	}
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: %s
  namespace: shop
spec:
  selector:
    matchLabels:
%s  template:
    metadata:
%s      labels:
%s    spec:
      containers:
      - name: web
        image: nginx
        ports: [{name: http, containerPort: 8080}]
`, yamlString(name), strings.ReplaceAll(l.String(), "        ", "      "), ann, l.String())
}

// yamlString writes s as a YAML double-quoted scalar.
func yamlString(s string) string {
	n := yaml.NewScalarRNode(s)
	n.YNode().Style = yaml.DoubleQuotedStyle
	out, err := n.String()
	if err != nil {
		panic(err)
	}
	return strings.TrimSuffix(out, "\n")
}

const enabled = "networkPolicy: {enabled: true}"

var web = map[string]string{"app": "web"}

// billionLaughs is a mapping whose aliases expand to 10^9 scalars from 100 lines.
func billionLaughs(indent string) string {
	var b strings.Builder
	b.WriteString(indent + "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i < 9; i++ {
		fmt.Fprintf(&b, "%sl%d: &l%d [", indent, i, i)
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*l%d", i-1)
		}
		b.WriteString("]\n")
	}
	return b.String()
}

func configMap(name, extra string) string {
	return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\n" + extra
}

func hostileCases() []hostileCase {
	dep := deployment("web", web, enabled)
	nest := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	name253 := strings.Repeat("a", 63) + "." + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 61)
	crlf := strings.ReplaceAll(fixedChart, "\n", "\r\n")
	return []hostileCase{
		// Alias bombs: refused wherever they are, quickly and without expanding them. The
		// YAML library Helm reads manifests with refuses them too.
		{name: "alias bomb in a ConfigMap", input: []byte(dep + "---\n" + configMap("bomb", "data:\n"+billionLaughs("  "))),
			err: []string{"document 2 (line", "alias bomb"}},
		{name: "alias bomb in a Deployment", input: []byte(strings.Replace(dep, "spec:\n  selector", "x-bomb:\n"+billionLaughs("  ")+"spec:\n  selector", 1)),
			err: []string{"document 1 (line", "alias bomb"}},
		{name: "alias bomb in the config annotation", input: []byte(deployment("web", web, "networkPolicy: {enabled: true}\nx:\n"+billionLaughs("  "))),
			err: []string{"apps/v1 Deployment shop/web", manifest.AnnotationConfig, "alias bomb"}},
		{name: "alias that contains itself", input: []byte(configMap("c", "data: &d {a: *d}\n")),
			err: []string{"document 1 (line 1)", "line 5", "refers to a node that contains it"}},
		// Aliases and merge keys that expand reasonably are read as Kubernetes reads them:
		// here the config annotation reaches the pod template only through an alias.
		{name: "config annotation through an alias", input: []byte(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  annotations: &ann
    helm-netpol.io/config: "networkPolicy: {enabled: true}"
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      annotations: *ann
      labels: {app: web}
    spec:
      containers: [{name: web, image: nginx, ports: [{containerPort: 8080}]}]
`), check: generates(1)},
		{name: "labels through a merge key", input: []byte(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
  labels: &labels {app: web}
spec:
  selector:
    matchLabels: *labels
  template:
    metadata:
      annotations:
        helm-netpol.io/config: "networkPolicy: {enabled: true}"
      labels:
        <<: *labels
        tier: front
    spec:
      containers: [{name: web, image: nginx, ports: [{containerPort: 8080}]}]
`), check: func(t *testing.T, in, out []byte, res *Result) {
			generates(1)(t, in, out, res)
			if !bytes.Contains(out, []byte("  podSelector:\n    matchLabels:\n      app: web\n")) {
				t.Errorf("the allowlist does not select the labels the alias gives:\n%s", out)
			}
		}},

		// Nesting: 10 000 levels is what the YAML parser takes; beyond is refused.
		{name: "10000-level nesting", input: []byte(dep + "---\n" + configMap("deep", "data: {a: \""+nest(9998)+"\"}\nx: "+nest(9998)+"\n")),
			check: generates(1)},
		{name: "100000-level nesting", input: []byte(dep + "---\n" + configMap("deep", "x: "+nest(100000)+"\n")),
			err: []string{"document 2 (line", "exceeded max depth"}},
		{name: "100000-level block nesting", input: []byte(configMap("deep", "x:\n"+strings.Repeat("- ", 100000)+"x\n")),
			err: []string{"document 1 (line 1)", "exceeded max depth"}},

		// Bytes that are not YAML text.
		{name: "NUL byte", input: []byte(dep + "---\n" + configMap("c", "data: {a: \"x\x00y\"}\n")),
			err: []string{"document 2 (line 21)", "line 26", "NUL byte"}},
		{name: "invalid UTF-8", input: []byte(dep + "---\n" + configMap("c", "data: {a: \xff\xfe}\n")),
			err: []string{"document 2 (line 21)", "line 26", "byte 0xff is not UTF-8"}},
		{name: "UTF-16", input: []byte("\xff\xfea\x00:\x00 \x001\x00\n\x00"),
			err: []string{"document 1 (line 1)", "NUL byte"}},
		{name: "byte order mark", input: []byte("\xEF\xBB\xBF" + dep), check: generates(1)},
		{name: "byte order mark before a ConfigMap", input: []byte("\xEF\xBB\xBF" + configMap("c", "data: {a: b}\n") + "---\n" + dep), check: generates(1)},

		// Line ends: CRLF keeps every byte of the documents not changed; a lone CR (or a
		// Unicode line break) ends a line for the YAML parser, so it separates documents too.
		{name: "CRLF line endings", input: []byte(strings.Replace(crlf, configMarker, `"networkPolicy: {enabled: true}"`, 1)), check: generates(1)},
		{name: "CR line endings", input: []byte(strings.ReplaceAll(configMap("a", "data: {a: b}\n")+"---\n"+configMap("b", "data: {a: b}\n"), "\n", "\r")),
			check: func(t *testing.T, in, out []byte, res *Result) {
				unchanged(t, in, out, res)
				s, err := manifest.ReadStream(in)
				if err != nil || len(s.Docs) != 2 {
					t.Errorf("want 2 documents, got %v (%v)", s, err)
				}
			}},
		{name: "Unicode line separators", input: []byte(strings.ReplaceAll(configMap("a", "data: {a: b}\n")+"---\n"+configMap("b", "data: {a: b}\n"), "\n", "\u2028")),
			check: unchanged},

		// Tabs: YAML forbids them in indentation; elsewhere they are text.
		{name: "tab indentation", input: []byte(configMap("c", "data:\n\ta: b\n")),
			err: []string{"document 1 (line 1)", "line 6", "found character that cannot start any token"}},
		{name: "tabs between tokens", input: []byte(dep + "---\n" + configMap("c", "data:\t{a:\tb}\t# tab\n")), check: generates(1)},

		// Duplicate keys: Kubernetes takes the last value, helm-netpol's reader the first, so
		// they are refused where helm-netpol reads; elsewhere the bytes pass to helm.
		{name: "duplicate key in a ConfigMap", input: []byte(dep + "---\n" + configMap("c", "data: {a: b, a: c}\n")), check: generates(1)},
		{name: "duplicate key in a Deployment", input: []byte(strings.Replace(dep, "  namespace: shop\n", "  namespace: shop\n  namespace: other\n", 1)),
			err: []string{"document 1 (line 1)", `line 6: key "namespace" appears twice (first on line 5)`}},
		// ... and, before deciding whether a document matters, in the mappings that decide it:
		// a ServiceAccount that Kubernetes reads as a Deployment must not hide a workload.
		{name: "duplicate kind hides a workload", input: []byte(strings.Replace(dep, "kind: Deployment\n", "kind: ServiceAccount\nkind: Deployment\n", 1)),
			err: []string{"document 1 (line 1)", `line 3: key "kind" appears twice (first on line 2)`}},
		{name: "duplicate kind hides a workload, Deployment first", input: []byte(configMap("c", "") + "---\n" + strings.Replace(dep, "kind: Deployment\n", "kind: Deployment\nkind: ServiceAccount\n", 1)),
			err: []string{"document 2 (line 5)", `key "kind" appears twice`}},
		{name: "duplicate annotations hide a config", input: []byte(configMap("c", "  annotations: {a: b}\n  annotations: {helm-netpol.io/config: 'networkPolicy: {enabled: true}'}\n")),
			err: []string{`key "annotations" appears twice`}},
		{name: "duplicate kind in a List item", input: []byte("apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, kind: Pod, metadata: {name: a}}\n"),
			err: []string{"items[0]", `key "kind" appears twice`}},
		{name: "duplicate config annotation", input: []byte(strings.Replace(dep, "      labels:", "        helm-netpol.io/config: 'networkPolicy: {enabled: false}'\n      labels:", 1)),
			err: []string{"document 1 (line 1)", `key "helm-netpol.io/config" appears twice`}},

		// Documents that are not objects pass through.
		{name: "scalar and sequence documents", input: []byte(dep + "---\njust text\n---\n- a\n---\n- a\n- b\n---\n42\n"), check: generates(1)},
		{name: "odd sequence document", input: []byte(dep + "---\n- 6aG1\n -\n `2:-- -\n `2-"), check: generates(1)},
		{name: "no object at all", input: []byte("---\n- a\n---\ntext\n---\n"), err: []string{"holds no Kubernetes object"}},
		{name: "documents without kind or apiVersion", input: []byte(dep + "---\nmetadata: {name: x}\n---\nkind: ConfigMap\n---\napiVersion: v1\n"), check: generates(1)},
		{name: "metadata that is not a mapping", input: []byte(dep + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: [a]\n"),
			err: []string{"document 2 (line 21)", "line 24: metadata must be a mapping, not a list"}},
		{name: "annotations that are not a mapping", input: []byte(configMap("c", "  annotations: [a, b, c]\n")),
			err: []string{"document 1 (line 1)", "metadata.annotations must be a mapping, not a list"}},

		// Lists: Helm applies their items, so an item helm-netpol would have to read
		// (a workload, a carrier ...) cannot hide in one.
		{name: "List of ConfigMaps", input: []byte(dep + "---\napiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}\n"), check: generates(1)},
		{name: "List holding a Deployment", input: []byte("apiVersion: v1\nkind: List\nitems:\n- " + strings.ReplaceAll(strings.TrimSuffix(dep, "\n"), "\n", "\n  ") + "\n"),
			err: []string{"document 1 (line 1)", "line 4: items[0] is apps/v1 Deployment shop/web", "separate documents"}},
		{name: "DeploymentList holding a carrier", input: []byte(dep + "---\napiVersion: v1\nkind: ConfigMapList\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: a, annotations: {helm-netpol.io/config: 'networkPolicy: {enabled: true}'}}}\n"),
			err: []string{"document 2 (line 21)", "line 25: items[0] is v1 ConfigMap a"}},

		// JSON is YAML.
		{name: "JSON documents", input: []byte(`{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "b"}}
---
{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"},
 "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": {"metadata": {"labels": {"app": "web"},
 "annotations": {"helm-netpol.io/config": "networkPolicy: {enabled: true}"}},
 "spec": {"containers": [{"name": "web", "image": "nginx", "ports": [{"containerPort": 8080}]}]}}}}
`), check: generates(1)},

		// Document markers inside scalars, end markers, comments.
		{name: "--- inside block scalars", input: []byte(dep + "---\n" + configMap("c", "data:\n  script: |\n    ---\n    --- x\n    ...\n")), check: generates(1)},
		{name: "config holding two documents", input: []byte(deployment("web", web, "networkPolicy: {enabled: true}\n---\nnetworkPolicy: {enabled: false}\n")),
			err: []string{"apps/v1 Deployment shop/web", manifest.AnnotationConfig, "more than one YAML document"}},
		{name: "end markers", input: []byte(dep + "...\n---\n" + configMap("c", "data: {a: b}\n") + "...\n"), check: generates(1)},
		{name: "content after an end marker", input: []byte(dep + "...\n" + configMap("c", "data: {a: b}\n")),
			err: []string{"document 1 (line 1)", `line 21: did not find expected <document start> (a "..." line ends a document: start the next one with "---")`}},
		{name: "comment-only documents", input: []byte("---\n# Source: a.yaml\n---\n# Source: b.yaml\n" + dep + "---\n# only a comment\n---\n"), check: generates(1)},
		{name: "only comments", input: []byte("---\n# Source: a.yaml\n# nothing rendered\n---\n"), err: []string{"holds no Kubernetes object"}},
		{name: "only separators", input: []byte("---\n---\n...\n"), err: []string{"holds no Kubernetes object"}},

		// Configs that are not what the tool reads.
		{name: "config that is a mapping, not text", input: []byte(strings.Replace(dep, `helm-netpol.io/config: "networkPolicy: {enabled: true}"`, "helm-netpol.io/config: {networkPolicy: {enabled: true}}", 1)),
			err: []string{"document 1 (line 1)", "spec.template.metadata.annotations[helm-netpol.io/config]: the config (write it as text", "not a mapping"}},
		{name: "passthrough rules that are not mappings", input: []byte(deployment("web", web, "networkPolicy: {enabled: true, engine: calico, calico: {ingress: [allow, [1], 2]}}")),
			err: []string{"networkPolicy.calico.ingress[0]: must be a mapping, not a string", "networkPolicy.calico.ingress[1]: must be a mapping, not a list", "networkPolicy.calico.ingress[2]: must be a mapping, not an integer"}},
		// Keys of helm-netpol's own that it does not read where they are: refused, never
		// ignored, so that a typo or a misplaced config leaves no workload uncovered.
		{name: "misspelt config annotation", input: []byte(strings.Replace(dep, "helm-netpol.io/config:", "helm-netpol.io/conifg:", 1)),
			err: []string{"[helm-netpol.io/conifg]: not an annotation helm-netpol knows (did you mean helm-netpol.io/config?)"}},
		{name: "config annotation in plural", input: []byte(configMap("c", "  annotations: {helm-netpol.io/configs: 'networkPolicy: {enabled: true}'}\n") + "---\n" + deployment("web", web, "")),
			err: []string{"v1 ConfigMap c: metadata.annotations[helm-netpol.io/configs]: not an annotation helm-netpol knows"}},
		{name: "config on a CronJob's jobTemplate", input: []byte("apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: nightly}\nspec:\n  jobTemplate:\n    metadata: {annotations: {helm-netpol.io/config: 'networkPolicy: {enabled: true}'}}\n    spec: {template: {metadata: {labels: {app: n}}, spec: {containers: [{name: c, image: c}]}}}\n"),
			err: []string{"spec.jobTemplate.metadata.annotations[helm-netpol.io/config]: helm-netpol does not read a config here", "spec.jobTemplate.spec.template.metadata.annotations of a CronJob"}},
		{name: "config deep in an irrelevant object", input: []byte(dep + "---\napiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData: {x: {helm-netpol.io/config: x}}\n"),
			err: []string{"v1 Secret s: stringData.x[helm-netpol.io/config]: helm-netpol does not read a config here"}},

		// helm-netpol's own mark (issue 16): honoured on the policies it writes only, and never
		// a reason to skip a workload or to pass a policy through unchecked.
		{name: "generated-for on a ConfigMap", input: []byte(dep + "---\n" + configMap("c", "  annotations: {helm-netpol.io/generated-for: apps/v1/Deployment/shop/web}\n")),
			err: []string{"v1 ConfigMap c: metadata.annotations[helm-netpol.io/generated-for]: helm-netpol writes helm-netpol.io/generated-for on the policies it generates only"}},
		{name: "generated-for naming nothing", input: []byte(dep + "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x, namespace: shop, annotations: {helm-netpol.io/generated-for: apps/v1/Deployment/shop/gone}}\nspec: {podSelector: {matchLabels: {app: web}}, ingress: [{}]}\n"),
			err: []string{"networking.k8s.io/v1 NetworkPolicy shop/x", "which the stream does not hold"}},
		{name: "generated-for on a chart policy for a covered workload", input: []byte(dep + "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x, namespace: shop, annotations: {helm-netpol.io/generated-for: apps/v1/Deployment/shop/web}}\nspec: {podSelector: {matchLabels: {app: web}}, ingress: [{}]}\n"),
			err: []string{"networking.k8s.io/v1 NetworkPolicy shop/x", "gives it another policy"}},
		{name: "a chart policy marked as the rewrite of itself", input: []byte(dep + "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x, namespace: shop, annotations: {helm-netpol.io/generated-for: networking.k8s.io/v1/NetworkPolicy/shop/x}}\nspec: {podSelector: {matchLabels: {app: web}}, ingress: [{}]}\n"),
			err: []string{"networking.k8s.io/v1 NetworkPolicy shop/x", "would be OR-ed with its allowlist, widening it"}},

		// Selectors and namespaces (issue 16).
		{name: "the release label under Exists", input: []byte(strings.Replace(deployment("web", map[string]string{"app": "web", "app.kubernetes.io/instance": "rel"}, enabled), "      app.kubernetes.io/instance: \"rel\"\n  template:", "    matchExpressions: [{key: app.kubernetes.io/instance, operator: Exists}]\n  template:", 1)),
			check: func(t *testing.T, in, out []byte, res *Result) {
				if sel := res.Policies[0].Selector; sel.MatchLabels["app.kubernetes.io/instance"] != "rel" {
					t.Errorf("the selector %v is not narrowed to the release", sel)
				}
			}},
		{name: "pods without the release label under --release --strict", input: []byte(dep), opts: Options{Release: "rel", Strict: true},
			err: []string{"the pods carry no app.kubernetes.io/instance label"}},
		{name: "a default-deny in kube-system", input: []byte(strings.Replace(deployment("dns-helper", web, "networkPolicy: {enabled: true, defaultDeny: {enabled: true}}"), "namespace: shop", "namespace: kube-system", 1)), opts: Options{Release: "rel"},
			err: []string{"namespace kube-system: networkPolicy.defaultDeny: no single release owns kube-system"}},
		{name: "default-denies without a namespace and in --namespace", input: []byte(deployment("a", map[string]string{"app": "a"}, "networkPolicy: {enabled: true, defaultDeny: {enabled: true}}") + "---\n" + strings.Replace(deployment("b", map[string]string{"app": "b"}, "networkPolicy: {enabled: true, defaultDeny: {enabled: true}}"), "  namespace: shop\n", "", 1)),
			opts: Options{Release: "rel", Namespace: "shop"}, check: generates(3)},

		// Passthrough rules are checked against their engine's CRD: a field the apiserver would
		// prune (a typo) would leave the rule's ports open to every peer.
		{name: "misspelt field of a Cilium passthrough rule", input: []byte(deployment("web", web, `networkPolicy: {enabled: true, engine: cilium, cilium: {ingress: [{fromEndpointz: [{matchLabels: {app: db}}], toPorts: [{ports: [{port: "5432"}]}]}]}}`)),
			err: []string{"networkPolicy.cilium.ingress[0].fromEndpointz: unknown field; did you mean fromEndpoints?"}},
		{name: "misspelt field of a Calico passthrough rule", input: []byte(deployment("web", web, "networkPolicy: {enabled: true, engine: calico, calico: {ingress: [{action: Allow, protocol: TCP, sourc: {selector: app == 'db'}, destination: {ports: [5432]}}]}}")),
			err: []string{"networkPolicy.calico.ingress[0].sourc: unknown field; did you mean source?"}},
		{name: "misspelt field deep in a Cilium passthrough rule", input: []byte(deployment("web", web, `networkPolicy: {enabled: true, engine: cilium, cilium: {ingress: [{fromEndpoints: [{matchLabelz: {app: db}}], toPorts: [{ports: [{port: "5432"}]}]}]}}`)),
			err: []string{"networkPolicy.cilium.ingress[0].fromEndpoints[0].matchLabelz: unknown field; did you mean matchLabels?"}},
		{name: "null peers in a Cilium passthrough rule", input: []byte(deployment("web", web, `networkPolicy: {enabled: true, engine: cilium, cilium: {ingress: [{fromEndpoints: null, toPorts: [{ports: [{port: "5432"}]}]}]}}`)),
			err: []string{"networkPolicy.cilium.ingress[0].fromEndpoints: must not be null"}},
		{name: "a number where Cilium takes a string", input: []byte(deployment("web", web, `networkPolicy: {enabled: true, engine: cilium, cilium: {ingress: [{fromEntities: [cluster], toPorts: [{ports: [{port: 5432}]}]}]}}`)),
			err: []string{"networkPolicy.cilium.ingress[0].toPorts[0].ports[0].port: must be a string, not the integer 5432"}},
		{name: "misspelt field of a Cilium passthrough rule under --strict", input: []byte(deployment("web", web, `networkPolicy: {enabled: true, engine: cilium, cilium: {ingress: [{fromEndpointz: [{matchLabels: {app: db}}]}]}}`)),
			opts: Options{Strict: true}, err: []string{"fromEndpointz: unknown field"}},

		// Calico selectors: a value is quoted with the quote it does not contain; a value
		// holding both cannot be expressed and is refused, never mangled.
		{name: "calico label values that need quoting", input: []byte(deployment("web", map[string]string{"app": "x' || all() || 'y", "tier": `say "hi"`, "empty": ""}, "networkPolicy: {enabled: true, engine: calico}")),
			check: func(t *testing.T, in, out []byte, res *Result) {
				generates(1)(t, in, out, res)
				want := `app == "x' || all() || 'y" && empty == '' && tier == 'say "hi"'`
				if !bytes.Contains(out, []byte(want)) {
					t.Errorf("the Calico selector is not %s:\n%s", want, out)
				}
			}},
		{name: "calico label value with both quotes", input: []byte(deployment("web", map[string]string{"app": `it's "x"`}, "networkPolicy: {enabled: true, engine: calico}")),
			err: []string{"apps/v1 Deployment shop/web", "both quote characters"}},

		// Names: a workload name of 253 characters gives a valid, distinct policy name.
		{name: "253-character names", input: []byte(deployment(name253, map[string]string{"app": "a"}, enabled) + "---\n" +
			deployment(name253[:252]+"e", map[string]string{"app": "b"}, enabled) + "---\n" +
			strings.Replace(deployment(name253, map[string]string{"app": "c"}, enabled), "kind: Deployment", "kind: StatefulSet", 1)),
			check: checkNames(3)},
		{name: "253-character names, clusterNetworkPolicy", input: []byte(deployment(name253, map[string]string{"app": "a"}, "networkPolicy: {enabled: true, engine: clusterNetworkPolicy}") + "---\n" +
			deployment(name253[:252]+"e", map[string]string{"app": "b"}, "networkPolicy: {enabled: true, engine: clusterNetworkPolicy}")),
			check: checkNames(4)}, // each allowlist and its closing Deny
	}
}

// checkNames checks that the run generated n objects with valid names of at most 63
// characters, all different.
func checkNames(n int) func(t *testing.T, in, out []byte, res *Result) {
	return func(t *testing.T, in, out []byte, res *Result) {
		t.Helper()
		generates(n)(t, in, out, res)
		seen := map[string]bool{}
		for _, g := range res.Generated {
			name := g.Name
			if msgs := validation.IsDNS1123Label(name); len(msgs) > 0 {
				t.Errorf("generated name %q: %s", name, strings.Join(msgs, "; "))
			}
			if seen[name] {
				t.Errorf("generated name %q twice", name)
			}
			seen[name] = true
		}
	}
}

// TestHostileNamesThatDifferOnlyInPunctuation: two workloads named a.b and a-b are two
// objects to Kubernetes, so they get two policies.
func TestHostileNamesThatDifferOnlyInPunctuation(t *testing.T) {
	runHostile(t, hostileCase{
		input: []byte(deployment("a.b", map[string]string{"app": "a"}, enabled) + "---\n" + deployment("a-b", map[string]string{"app": "b"}, enabled)),
		check: checkNames(2),
	})
}

// TestHostileHugeDocument runs a stream with a 100 MB document (a ConfigMap the tool
// passes through) before a carrier. The output must start with the big document's bytes,
// and the run's heap must stay within a bound proportional to the input.
func TestHostileHugeDocument(t *testing.T) {
	if testing.Short() {
		t.Skip("a 100 MB stream")
	}
	const size = 100 << 20
	var b bytes.Buffer
	b.Grow(size + 4096)
	b.WriteString(configMap("huge", "data:\n  blob: |\n"))
	line := "    " + strings.Repeat("0123456789abcdef", 6) + "\n"
	for b.Len() < size {
		b.WriteString(line)
	}
	huge := b.Len()
	b.WriteString("---\n" + deployment("web", web, enabled))
	in := b.Bytes()
	runtime.GC()
	peak := watchHeap()
	timer := time.AfterFunc(safetyTimeout, func() { panic("a 100 MB document: still running after " + safetyTimeout.String()) })
	w := &prefixWriter{want: in[:huge]}
	res, err := ProcessTo(w, in, Options{})
	timer.Stop()
	used := peak()
	if err != nil {
		t.Fatal(err)
	}
	if w.n < huge || w.mismatch {
		t.Fatalf("the output does not start with the huge document's %d bytes", huge)
	}
	if len(res.Generated) != 1 {
		t.Fatalf("generated %d objects, want 1", len(res.Generated))
	}
	// The input is held once by the caller; parsing copies the big scalar a few times.
	if limit := uint64(8 * size); used > limit {
		t.Errorf("the heap peaked at %d MiB for a %d MiB input; want at most %d MiB", used>>20, size>>20, limit>>20)
	}
	t.Logf("heap peak %d MiB for a %d MiB input", used>>20, size>>20)
}

// prefixWriter checks what is written against want, without keeping it.
type prefixWriter struct {
	want     []byte
	n        int
	mismatch bool
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	if p.n < len(p.want) {
		k := min(len(b), len(p.want)-p.n)
		if !bytes.Equal(b[:k], p.want[p.n:p.n+k]) {
			p.mismatch = true
		}
	}
	p.n += len(b)
	return len(b), nil
}

var _ io.Writer = (*prefixWriter)(nil)

// watchHeap samples the live heap until the returned function is called, which returns
// the largest sample.
func watchHeap() func() uint64 {
	var peak atomic.Uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	go func() {
		defer close(done)
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(stop)
		<-done
		return peak.Load()
	}
}

// TestSecondRunUnderConfigNeverWidens: under --config, a workload's own config narrows
// its metrics and gate ports; a second run on the output, with the same --config, once
// re-planned the workload from --config alone (the first run removed the workload's
// annotation) and opened both ports to every source. Keeping the earlier policy instead
// trusted any object that carries helm-netpol's mark (issue 16): the second run is refused,
// saying why. Where --config alone makes the same policy, the second run changes nothing.
func TestSecondRunUnderConfigNeverWidens(t *testing.T) {
	in := []byte(strings.Replace(fixedChart, configMarker, yamlString(`networkPolicy:
  enabled: true
  metrics: {from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]}
  gate: {from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: flagger-system}}}]}
`), 1))
	opts := Options{Config: mustLayer(enabled, config.LevelFile, "--config test")}
	out, _, err := Process(in, opts)
	if err != nil {
		t.Fatal(err)
	}
	again, _, err := Process(out, opts)
	if err == nil {
		t.Fatalf("the second run succeeded; the first output:\n%s\nthe second:\n%s", out, again)
	}
	if !strings.Contains(err.Error(), "--config alone makes another policy of it") {
		t.Errorf("the second run is refused without saying why: %v", err)
	}

	plain := []byte(strings.Replace(fixedChart, configMarker, `""`, 1))
	out, _, err = Process(plain, opts)
	if err != nil {
		t.Fatal(err)
	}
	if again, _, err := Process(out, opts); err != nil || !bytes.Equal(out, again) {
		t.Errorf("a second run under the same --config changed the output (%v):\nfirst:\n%s\nsecond:\n%s", err, out, again)
	}
}
