package transform

import (
	"fmt"
	"strings"
	"testing"

	"github.com/helm-netpol/helm-netpol/internal/config"
	"github.com/helm-netpol/helm-netpol/internal/plan"
)

// The tests of issue 16: ways to get a wider policy, or none, with exit 0.

// workloadDoc renders a Deployment named name in namespace ns (none when empty) whose pods
// carry labels, with the config cfg on its pod template (none when empty).
func workloadDoc(ns, name string, labels map[string]string, cfg string) string {
	var l strings.Builder
	for _, k := range config.SortedKeys(labels) {
		fmt.Fprintf(&l, "        %s: %s\n", k, yamlString(labels[k]))
	}
	meta := "  name: " + name + "\n"
	if ns != "" {
		meta += "  namespace: " + ns + "\n"
	}
	ann := ""
	if cfg != "" {
		ann = "      annotations:\n        helm-netpol.io/config: " + yamlString(cfg) + "\n"
	}
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
%sspec:
  selector:
    matchLabels:
%s  template:
    metadata:
%s      labels:
%s    spec:
      containers:
      - name: app
        image: app
        ports: [{name: http, containerPort: 8080}]
`, meta, strings.ReplaceAll(l.String(), "        ", "      "), ann, l.String())
}

// joinDocs joins documents into a stream.
func joinDocs(docs ...string) []byte {
	return []byte(strings.Join(docs, "---\n"))
}

// generatedIDs returns the identities of what a run generated.
func generatedIDs(res *Result) []string {
	var ids []string
	for _, n := range res.Generated {
		o, _ := res.objectOf(n)
		ids = append(ids, o.ID())
	}
	return ids
}

// errorSays runs a stream and checks that it is refused, with every want in the error.
func errorSays(t *testing.T, in []byte, opts Options, want ...string) {
	t.Helper()
	out, _, err := Process(in, opts)
	if err == nil {
		t.Fatalf("succeeded; want an error saying %q. Output:\n%s", want, out)
	}
	checkErrorLines(t, err)
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("the error does not say %q:\n%v", w, err)
		}
	}
}

// TestDefaultDenyByLandingNamespace: a workload without a namespace lands in the release
// namespace, so with --namespace X it shares X's default-deny with the workloads that name
// X (issue 16, item 9).
func TestDefaultDenyByLandingNamespace(t *testing.T) {
	deny := "networkPolicy: {enabled: true, defaultDeny: {enabled: true}}"
	in := joinDocs(workloadDoc("", "a", map[string]string{"app": "a"}, ""), workloadDoc("shop", "b", map[string]string{"app": "b"}, ""))
	for _, c := range []struct {
		name string
		opts Options
	}{
		{"--namespace", Options{Config: releaseWide(t, deny), Release: "rel", Namespace: "shop"}},
		{"networkPolicy.namespace", Options{Config: releaseWide(t, "networkPolicy: {enabled: true, namespace: shop, defaultDeny: {enabled: true}}"), Release: "rel"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, res, err := Process(in, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			denies := 0
			for _, id := range generatedIDs(res) {
				if strings.HasSuffix(id, "/rel-default-deny") {
					denies++
					if id != "networking.k8s.io/v1 NetworkPolicy shop/rel-default-deny" {
						t.Errorf("the default-deny is %s; want it in shop, which the stream names", id)
					}
				}
			}
			if denies != 1 {
				t.Errorf("%d default-denies for one namespace: %q", denies, generatedIDs(res))
			}
		})
	}
	t.Run("release namespace unknown", func(t *testing.T) {
		errorSays(t, in, Options{Config: releaseWide(t, deny), Release: "rel"}, "two default-denies named rel-default-deny", "pass --namespace")
	})
}

// TestNoDefaultDenyInSystemNamespaces: no release owns kube-system, kube-public or
// kube-node-lease, and a default-deny there would cut off what runs there; the allowlists
// stay allowed (issue 16, item 7).
func TestNoDefaultDenyInSystemNamespaces(t *testing.T) {
	for _, ns := range []string{"kube-system", "kube-public", "kube-node-lease"} {
		t.Run(ns, func(t *testing.T) {
			in := joinDocs(workloadDoc(ns, "agent", map[string]string{"app": "agent"}, ""))
			deny := Options{Config: releaseWide(t, "networkPolicy: {enabled: true, defaultDeny: {enabled: true}}"), Release: "rel"}
			errorSays(t, in, deny, "namespace "+ns+": networkPolicy.defaultDeny: no single release owns "+ns, "turn networkPolicy.defaultDeny.enabled off")
			t.Run("from --namespace", func(t *testing.T) {
				in := joinDocs(workloadDoc("", "agent", map[string]string{"app": "agent"}, ""))
				deny.Namespace = ns
				errorSays(t, in, deny, "no single release owns "+ns)
			})
			_, res, err := Process(in, Options{Config: releaseWide(t, "networkPolicy: {enabled: true}"), Release: "rel"})
			if err != nil {
				t.Fatalf("the allowlist alone is refused: %v", err)
			}
			if len(res.Generated) != 1 {
				t.Errorf("generated %q; want the allowlist", generatedIDs(res))
			}
		})
	}
	_, _, err := Process(joinDocs(workloadDoc("", "a", map[string]string{"app": "a"}, "")), Options{Config: releaseWide(t, "networkPolicy: {enabled: true, defaultDeny: {enabled: true}}"), Release: "rel"})
	if err != nil {
		t.Errorf("a default-deny in an unknown release namespace is refused: %v", err)
	}
}

// TestReleaseNarrowing: the allowlist's selector is narrowed with the pods' release label
// unless it already pins that exact value; Exists, NotIn, or In with other values do not
// (issue 16, item 2).
func TestReleaseNarrowing(t *testing.T) {
	for _, c := range []struct {
		name, expr string
		narrowed   bool
	}{
		{"Exists", "{key: app.kubernetes.io/instance, operator: Exists}", true},
		{"In with another value", "{key: app.kubernetes.io/instance, operator: In, values: [rel, other]}", true},
		{"NotIn", "{key: app.kubernetes.io/instance, operator: NotIn, values: [other]}", true},
		{"In the exact value", "{key: app.kubernetes.io/instance, operator: In, values: [rel]}", false},
		{"In the exact value twice", "{key: app.kubernetes.io/instance, operator: In, values: [rel, rel]}", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			doc := workloadDoc("shop", "web", map[string]string{"app": "web", "app.kubernetes.io/instance": "rel"}, "")
			doc = strings.Replace(doc, "  selector:\n    matchLabels:\n      app: \"web\"\n      app.kubernetes.io/instance: \"rel\"\n",
				"  selector:\n    matchLabels:\n      app: \"web\"\n    matchExpressions: ["+c.expr+"]\n", 1)
			if !strings.Contains(doc, "matchExpressions") {
				t.Fatalf("the selector was not replaced:\n%s", doc)
			}
			_, res, err := Process([]byte(doc), Options{Config: releaseWide(t, enabled)})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Policies) != 1 {
				t.Fatalf("%d policies", len(res.Policies))
			}
			got, ok := res.Policies[0].Selector.MatchLabels["app.kubernetes.io/instance"]
			if c.narrowed && got != "rel" {
				t.Errorf("the selector %v is not narrowed to the release: it selects every release's pods of the name", res.Policies[0].Selector)
			}
			if !c.narrowed && ok {
				t.Errorf("the selector %v was narrowed although it pins the release", res.Policies[0].Selector)
			}
		})
	}
}

// TestPodsWithoutTheReleaseLabel: under a known release, a workload whose pods lack
// app.kubernetes.io/instance gets a policy that also selects another release's pods of the
// same labels; that is a warning, and an error under --strict (issue 16, item 3).
func TestPodsWithoutTheReleaseLabel(t *testing.T) {
	in := joinDocs(workloadDoc("shop", "web", map[string]string{"app": "web"}, ""))
	const says = "the pods carry no app.kubernetes.io/instance label"
	_, res, err := Process(in, Options{Config: releaseWide(t, enabled), Release: "rel"})
	if err != nil {
		t.Fatal(err)
	}
	warned := false
	for _, f := range res.Findings {
		warned = warned || f.Severity == SeverityWarning && strings.Contains(f.String(), says)
	}
	if !warned {
		t.Errorf("no warning that the policy selects other releases' pods; findings: %v", res.Findings)
	}
	errorSays(t, in, Options{Config: releaseWide(t, enabled), Release: "rel", Strict: true}, says, "label the pod template with app.kubernetes.io/instance: rel")

	// Labelled pods, a Job selected by its own name, or an unknown release: nothing to say.
	job := "apiVersion: batch/v1\nkind: Job\nmetadata: {name: rel-migrate, namespace: shop}\nspec:\n  template:\n    spec: {containers: [{name: m, image: m}]}\n"
	for name, in := range map[string][]byte{
		"labelled":        joinDocs(workloadDoc("shop", "web", map[string]string{"app": "web", "app.kubernetes.io/instance": "rel"}, "")),
		"job by its name": joinDocs(job),
	} {
		if _, _, err := Process(in, Options{Config: releaseWide(t, enabled), Release: "rel", Strict: true}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, _, err := Process(in, Options{Config: releaseWide(t, enabled), Strict: true}); err != nil {
		t.Errorf("release unknown: %v", err)
	}
}

// TestClusterNetworkPolicyNamesInjective: a ClusterNetworkPolicy carries its namespace in
// its name, and no two (namespace, release or workload) splits may give one name: else one
// release's policy overwrites another's (issue 16, item 10).
func TestClusterNetworkPolicyNamesInjective(t *testing.T) {
	cnp := "networkPolicy: {enabled: true, engine: clusterNetworkPolicy, defaultDeny: {enabled: true}}"
	names := map[string]string{}
	for _, c := range []struct{ ns, release, workload string }{
		{"a-b", "c", "d-e"}, {"a", "b-c", "d-e"}, {"a", "b", "c-d-e"}, {"a-b-c", "x", "d"}, {"a-b", "x", "c-d"},
		{"plain", "rel", "web"}, {"plain", "rel-web", "x"}, {"plain-rel", "x", "web"},
	} {
		in := joinDocs(workloadDoc(c.ns, c.workload, map[string]string{"app": c.workload, "app.kubernetes.io/instance": c.release}, ""))
		_, res, err := Process(in, Options{Config: releaseWide(t, cnp), Release: c.release})
		if err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
		for _, id := range generatedIDs(res) {
			who := fmt.Sprintf("namespace %s, release %s, workload %s", c.ns, c.release, c.workload)
			if other, ok := names[id]; ok {
				t.Errorf("%s and %s both give %s", other, who, id)
			}
			names[id] = who
		}
	}
	if len(names) != 16 {
		t.Errorf("%d names, want 16 (a deny and an allowlist for each): %v", len(names), names)
	}

	// Every split of every short string of a, b and "-" into a namespace and a name.
	var words []string
	var grow func(string)
	grow = func(w string) {
		if len(w) > 0 && w[0] != '-' && w[len(w)-1] != '-' {
			words = append(words, w)
		}
		if len(w) < 5 {
			for _, c := range []string{"a", "b", "-"} {
				grow(w + c)
			}
		}
	}
	grow("")
	seen := map[string][2]string{}
	for _, ns := range words {
		for _, name := range words {
			got := plan.ScopedName(ns, name)
			if other, ok := seen[got]; ok {
				t.Fatalf("ScopedName(%q, %q) and ScopedName(%q, %q) are both %q", other[0], other[1], ns, name, got)
			}
			seen[got] = [2]string{ns, name}
		}
	}
}

// TestOwnKeysNotRead: a key of helm-netpol's own that it does not read where it is (an
// unknown one, or a config in a place that is not read) is an error naming where configs
// are read, never ignored (issue 16, item 5).
func TestOwnKeysNotRead(t *testing.T) {
	dep := workloadDoc("shop", "web", map[string]string{"app": "web"}, "")
	withPodAnnotation := func(key string) string {
		return strings.Replace(dep, "    metadata:\n      labels:", "    metadata:\n      annotations:\n        "+key+": 'networkPolicy: {enabled: true}'\n      labels:", 1)
	}
	cron := `apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: shop}
spec:
  schedule: "0 0 * * *"
  jobTemplate:
    metadata:
      annotations:
        helm-netpol.io/config: 'networkPolicy: {enabled: true}'
    spec:
      template:
        metadata:
          labels: {app: nightly}
        spec: {containers: [{name: c, image: c}], restartPolicy: Never}
`
	readable := "helm-netpol reads helm-netpol.io/config in metadata.annotations of any object"
	for _, c := range []struct {
		name string
		in   string
		want []string
	}{
		{"configs on a ConfigMap", configMap("c", "  annotations: {helm-netpol.io/configs: 'networkPolicy: {enabled: true}'}\n") + "---\n" + dep,
			[]string{"v1 ConfigMap c: metadata.annotations[helm-netpol.io/configs]: not an annotation helm-netpol knows (did you mean helm-netpol.io/config?)", readable}},
		{"Config on a pod template", withPodAnnotation("helm-netpol.io/Config"),
			[]string{"spec.template.metadata.annotations[helm-netpol.io/Config]: not an annotation helm-netpol knows (did you mean helm-netpol.io/config?)", "in spec.template.metadata.annotations of a Deployment"}},
		{"conifg on a pod template", withPodAnnotation("helm-netpol.io/conifg"), []string{"[helm-netpol.io/conifg]: not an annotation helm-netpol knows (did you mean helm-netpol.io/config?)"}},
		{"the prefix in capitals", withPodAnnotation("Helm-Netpol.io/config"), []string{"[Helm-Netpol.io/config]: not an annotation helm-netpol knows"}},
		{"an escaped key", withPodAnnotation(`"helm-netpol.io\x2fconfigs"`), []string{"[helm-netpol.io/configs]: not an annotation helm-netpol knows"}},
		{"a CronJob's jobTemplate annotations", cron,
			[]string{"batch/v1 CronJob shop/nightly: spec.jobTemplate.metadata.annotations[helm-netpol.io/config]: helm-netpol does not read a config here", "in spec.jobTemplate.spec.template.metadata.annotations of a CronJob"}},
		{"a config in labels", strings.Replace(dep, "  namespace: shop\n", "  namespace: shop\n  labels: {helm-netpol.io/config: x}\n", 1), []string{"metadata.labels[helm-netpol.io/config]: helm-netpol does not read a config here"}},
		{"a config in a ConfigMap's data", configMap("c", "data: {helm-netpol.io/config: 'networkPolicy: {enabled: true}'}\n") + "---\n" + dep, []string{"v1 ConfigMap c: data[helm-netpol.io/config]: helm-netpol does not read a config here"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			errorSays(t, []byte(c.in), Options{Config: releaseWide(t, enabled)}, c.want...)
			errorSays(t, []byte(c.in), Options{}, c.want...)
		})
	}
}

// TestNoConfig: a stream without any config renders nothing; that is said (a warning, an
// error under --strict), and policies, which would print nothing, fails (issue 16, item 5).
func TestNoConfig(t *testing.T) {
	in := joinDocs(workloadDoc("shop", "web", map[string]string{"app": "web"}, ""))
	out, res, err := Process(in, Options{})
	if err != nil || string(out) != string(in) {
		t.Fatalf("a stream without config: %v", err)
	}
	warned := false
	for _, f := range res.Findings {
		warned = warned || f.Severity == SeverityWarning && strings.Contains(f.String(), "stdin: no config: ")
	}
	if !warned {
		t.Errorf("no warning that nothing configures the stream: %v", res.Findings)
	}
	errorSays(t, in, Options{Strict: true}, "stdin: no config: ")
	if _, _, err := Policies(in, Options{}); err == nil || !strings.Contains(err.Error(), "nothing to write: no object of the stream carries a helm-netpol.io/config annotation and no --config was given") {
		t.Errorf("policies without a config: %v", err)
	}
	if _, _, err := Policies(in, Options{Config: releaseWide(t, "networkPolicy: {enabled: false}")}); err == nil || !strings.Contains(err.Error(), "nothing to write: no workload of the stream is covered") {
		t.Errorf("policies with every workload left out: %v", err)
	}
	// A config, or what an earlier run generated: nothing to say.
	first, _, err := Process(in, Options{Config: releaseWide(t, enabled)})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Process(first, Options{Strict: true}); err != nil {
		t.Errorf("a second run on the output, without its config: %v", err)
	}
}
