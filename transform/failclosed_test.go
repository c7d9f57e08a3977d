package transform

import (
	"fmt"
	"strings"
	"testing"

	"github.com/helm-netpol/helm-netpol/internal/config"
	"github.com/helm-netpol/helm-netpol/internal/manifest"
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
	for _, g := range res.Generated {
		ids = append(ids, g.ID())
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
	if len(names) != 24 {
		t.Errorf("%d names, want 24 (a default-deny, an allowlist and its closing Deny for each): %v", len(names), names)
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

// chartPolicy renders a chart NetworkPolicy named name in namespace shop that opens every
// port of the pods labelled app: web to everyone, carrying marker as its
// helm-netpol.io/generated-for (none when empty).
func chartPolicy(name, marker string) string {
	ann := ""
	if marker != "" {
		ann = "  annotations:\n    helm-netpol.io/generated-for: " + marker + "\n"
	}
	return "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: " + name + "\n  namespace: shop\n" + ann +
		"spec:\n  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Ingress]\n  ingress: [{}]\n"
}

// TestGeneratedForMarker: helm-netpol.io/generated-for names the namespace, is honoured only
// on the policy kinds helm-netpol writes, and one that names nothing, or a workload this
// run's config does not cover or covers otherwise, is refused, never a reason to skip a
// workload or to pass a policy through unchecked (issue 16, item 6).
func TestGeneratedForMarker(t *testing.T) {
	web := map[string]string{"app": "web"}
	dep := workloadDoc("shop", "web", web, "")
	under := Options{Config: releaseWide(t, enabled)}

	t.Run("names the namespace", func(t *testing.T) {
		// ns1/b is covered by its own config, ns2/b by --config in the second run only; the
		// mark of ns1/b's policy must not pass for ns2/b's.
		in := joinDocs(workloadDoc("ns1", "b", map[string]string{"app": "b"}, enabled), workloadDoc("ns2", "b", map[string]string{"app": "b"}, ""))
		out, res, err := Process(in, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if ids := generatedIDs(res); len(ids) != 1 {
			t.Fatalf("first run generated %q", ids)
		}
		if !strings.Contains(string(out), "helm-netpol.io/generated-for: apps/v1/Deployment/ns1/b\n") {
			t.Errorf("the marker does not name the namespace:\n%s", out)
		}
		_, res, err = Process(out, under)
		if err != nil {
			t.Fatal(err)
		}
		if ids := strings.Join(generatedIDs(res), " "); !strings.Contains(ids, "ns2/b-deployment-allow") {
			t.Errorf("the second run, under --config, gives ns2/b no policy: %s", ids)
		}
	})
	t.Run("on other kinds", func(t *testing.T) {
		for _, doc := range []string{
			configMap("c", "  annotations: {helm-netpol.io/generated-for: apps/v1/Deployment/shop/web}\n"),
			strings.Replace(dep, "  namespace: shop\n", "  namespace: shop\n  annotations: {helm-netpol.io/generated-for: apps/v1/Deployment/shop/web}\n", 1),
		} {
			in := joinDocs(dep, doc)
			errorSays(t, in, under, "metadata.annotations[helm-netpol.io/generated-for]: helm-netpol writes helm-netpol.io/generated-for on the policies it generates only")
			errorSays(t, in, Options{}, "helm-netpol writes helm-netpol.io/generated-for on the policies it generates only")
		}
	})
	t.Run("names nothing", func(t *testing.T) {
		in := joinDocs(dep, chartPolicy("gone-deployment-allow", "apps/v1/Deployment/shop/gone"))
		errorSays(t, in, under, "generated for apps/v1/Deployment/shop/gone, which the stream does not hold")
		errorSays(t, in, Options{}, "which the stream does not hold")
		errorSays(t, joinDocs(dep, chartPolicy("x", "not a marker")), under, `"not a marker" names no object or release`)
		errorSays(t, joinDocs(dep, chartPolicy("x", "v1/Service/shop/web")), under, "names a Service, and helm-netpol generates policies for workloads")
	})
	t.Run("names a workload the config does not cover", func(t *testing.T) {
		in := joinDocs(dep, chartPolicy("web-deployment-allow", "apps/v1/Deployment/shop/web"))
		excluded := Options{Config: releaseWide(t, "networkPolicy: {enabled: true, workloads: {exclude: [{name: web}]}}")}
		errorSays(t, in, excluded, "this run's config does not cover that workload")
		errorSays(t, joinDocs(workloadDoc("shop", "web", web, "networkPolicy: {enabled: false}"), chartPolicy("web-deployment-allow", "apps/v1/Deployment/shop/web")), Options{}, "this run's config does not cover that workload")
	})
	t.Run("does not suppress a workload's policy", func(t *testing.T) {
		// A chart policy of another name, marked for web: web is planned, and the marked
		// policy is refused.
		in := joinDocs(dep, chartPolicy("evil", "apps/v1/Deployment/shop/web"))
		errorSays(t, in, under, "networking.k8s.io/v1 NetworkPolicy shop/evil", "gives it another policy")
		// Under the allowlist's own name: with web's own config in the stream it is
		// replaced; with --config alone it is refused, as it differs.
		forged := chartPolicy("web-deployment-allow", "apps/v1/Deployment/shop/web")
		out, _, err := Process(joinDocs(workloadDoc("shop", "web", web, enabled), forged), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(out), "ingress:\n  - {}") || strings.Contains(string(out), "ingress: [{}]") {
			t.Errorf("the forged allow-all policy is still in the output:\n%s", out)
		}
		errorSays(t, joinDocs(dep, forged), under, "--config alone makes another policy of it")
	})
	t.Run("does not exempt a chart policy from the widening check", func(t *testing.T) {
		in := joinDocs(dep, chartPolicy("evil", "networking.k8s.io/v1/NetworkPolicy/shop/evil"))
		errorSays(t, in, under, "the chart's own NetworkPolicy selects the pods of apps/v1 Deployment shop/web")
	})
	t.Run("a default-deny this run does not make", func(t *testing.T) {
		deny := "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: rel-default-deny\n  namespace: shop\n  annotations: {helm-netpol.io/generated-for: release/shop/rel}\nspec: {podSelector: {}, policyTypes: [Ingress]}\n"
		errorSays(t, joinDocs(dep, deny), Options{Config: releaseWide(t, enabled), Release: "rel"}, "generated this default-deny for release rel, and this run's config makes no such default-deny")
		in := joinDocs(dep, deny)
		if out, _, err := Process(in, Options{}); err != nil || string(out) != string(in) {
			t.Errorf("without any config, the default-deny is not kept as it is (%v):\n%s", err, out)
		}
	})
	t.Run("earlier versions' marks", func(t *testing.T) {
		// The output of a version whose marks name no namespace: read as the namespace of
		// the policy that carries them.
		out, _, err := Process(joinDocs(workloadDoc("shop", "web", web, enabled)), Options{})
		if err != nil {
			t.Fatal(err)
		}
		old := []byte(strings.ReplaceAll(string(out), "apps/v1/Deployment/shop/web", "apps/v1/Deployment/web"))
		if again, _, err := Process(old, Options{}); err != nil || string(again) != string(old) {
			t.Errorf("a second run without config changes an earlier version's output (%v):\n%s", err, again)
		}
		again, _, err := Process(old, under)
		if err != nil {
			t.Fatal(err)
		}
		if string(again) != string(out) {
			t.Errorf("under --config, an earlier version's policy is not replaced by the same one, marked anew:\n%s", again)
		}
	})
}

// TestGeneratedKinds: every kind an engine renders is one whose helm-netpol.io/generated-for
// helm-netpol honours, so that a second run recognises what the first wrote.
func TestGeneratedKinds(t *testing.T) {
	in := joinDocs(workloadDoc("shop", "web", map[string]string{"app": "web"}, ""))
	for _, e := range config.Engines {
		_, res, err := Process(in, Options{Config: releaseWide(t, "networkPolicy: {enabled: true, engine: "+string(e)+", defaultDeny: {enabled: true}}"), Release: "rel"})
		if err != nil {
			t.Fatalf("%s: %v", e, err)
		}
		for _, g := range res.Generated {
			if !manifest.GeneratedKind(g.APIVersion, g.Kind) {
				t.Errorf("engine %s renders %s %s, whose mark helm-netpol does not honour", e, g.APIVersion, g.Kind)
			}
		}
	}
}
