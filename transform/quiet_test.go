package transform

import (
	"os"
	"strings"
	"testing"

	"github.com/helm-netpol/helm-netpol/internal/config"
	"github.com/helm-netpol/helm-netpol/internal/findings"
)

// stockWarnings is the number of warnings each real chart render of fixtures/corpus gets
// under a release-wide config that covers everything (rewrite on, so that the charts that
// ship their own NetworkPolicies render too), without and with the default-deny. Where a
// chart's hook and test pods share labels with each other or with a lasting workload, each
// hook or test pod gets one warning naming everything it overlaps (it used to be one per
// pair and direction: podinfo 9, kyverno 20).
var stockWarnings = map[string][2]int{
	"argo-cd-ha-metrics.yaml":                  {6, 6}, // two test pods; four redis-ha workloads without the release label
	"bitnami-nginx-metrics.yaml":               {0, 1}, // Helm 3 hides hooks from the default-deny
	"cert-manager.yaml":                        {0, 0},
	"flagger.yaml":                             {0, 1},
	"kube-prometheus-stack-full.yaml":          {3, 3}, // two hostNetwork exporters, the grafana test pod
	"kyverno-full.yaml":                        {5, 5}, // five test pods
	"podinfo.yaml":                             {7, 7}, // three test pods; four workloads without the release label
	"helm3-postrender-input/cert-manager.yaml": {0, 1},
	"helm3-postrender-input/flagger.yaml":      {0, 1},
	"helm3-postrender-input/podinfo.yaml":      {1, 2}, // the Deployment has no release label
	"helm4-postrender-input/cert-manager.yaml": {0, 0},
	"helm4-postrender-input/flagger.yaml":      {0, 0},
	"helm4-postrender-input/podinfo.yaml":      {7, 7}, // as podinfo.yaml
}

// TestStockChartsAreQuiet pins the number of warnings per stock chart render, and that no
// hook or test pod gets more than one about the labels it shares.
func TestStockChartsAreQuiet(t *testing.T) {
	configs := []string{
		"networkPolicy: {enabled: true, rewrite: true}",
		"networkPolicy: {enabled: true, rewrite: true, defaultDeny: {enabled: true}}",
	}
	files := corpus(t)
	if len(files) != len(stockWarnings) {
		t.Errorf("%d renders in fixtures/corpus, %d in the table: add the new ones", len(files), len(stockWarnings))
	}
	for _, file := range files {
		name := strings.TrimPrefix(file, "../fixtures/corpus/")
		in, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for i, cfg := range configs {
			t.Run(name+" "+[]string{"allowlists", "defaultDeny"}[i], func(t *testing.T) {
				_, res, err := Process(in, Options{Config: mustLayer(cfg, config.LevelFile, "--config test"), Release: "rel", Namespace: "ns"})
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				var warnings []string
				perObject := map[string]int{}
				for _, f := range res.Findings {
					if f.Severity != findings.SeverityWarning {
						continue
					}
					warnings = append(warnings, f.String())
					if strings.Contains(f.What, "labels overlap") {
						perObject[f.Object]++
					}
				}
				want, ok := stockWarnings[name]
				if !ok {
					t.Fatalf("not in the table; its warnings:\n%s", strings.Join(warnings, "\n"))
				}
				if len(warnings) != want[i] {
					t.Errorf("%d warnings, want %d:\n%s", len(warnings), want[i], strings.Join(warnings, "\n"))
				}
				for object, n := range perObject {
					if n > 1 {
						t.Errorf("%s: %d warnings about the labels it shares, want one", object, n)
					}
				}
			})
		}
	}
}

// testPod is a Helm test Pod with the given labels.
func testPod(name, labels string) string {
	return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + name + "\n  namespace: shop\n  labels: " + labels +
		"\n  annotations: {helm.sh/hook: test}\nspec: {containers: [{name: t, image: busybox}]}\n"
}

// TestHookOverlapWarnsOncePerHook: hook and test pods whose labels overlap each other's or
// a lasting workload's get one warning each, naming all they overlap and what follows;
// the lasting workload gets none; --strict still refuses; two lasting workloads that
// overlap are still an error.
func TestHookOverlapWarnsOncePerHook(t *testing.T) {
	web := deployment("web", map[string]string{"app": "web", "app.kubernetes.io/instance": "rel"}, "")
	cfg := mustLayer("networkPolicy: {enabled: true}", config.LevelFile, "--config test")
	for _, c := range []struct {
		name  string
		input string
		want  []string // the warnings
		err   string   // an error, when refused without --strict
	}{{
		name:  "test pods labelled like the Deployment and like each other",
		input: web + "---\n" + testPod("t1", "{app: web, app.kubernetes.io/instance: rel}") + "---\n" + testPod("t2", "{app: web, app.kubernetes.io/instance: rel}"),
		want: []string{
			"helm-netpol: warning: v1 Pod shop/t1: metadata.labels: a hook or test pod whose labels overlap those of apps/v1 Deployment shop/web, v1 Pod shop/t2: the allowlist of web selects its pods too, so while it runs it gets that allowlist's openings; its own selector would select the pods of web, so it gets no policy of its own",
			"helm-netpol: warning: v1 Pod shop/t2: metadata.labels: a hook or test pod whose labels overlap those of apps/v1 Deployment shop/web, v1 Pod shop/t1: the allowlist of web selects its pods too, so while it runs it gets that allowlist's openings; its own selector would select the pods of web, so it gets no policy of its own",
		},
	}, {
		name:  "a test pod with a label of its own",
		input: web + "---\n" + testPod("t1", "{app: web, app.kubernetes.io/instance: rel, role: test}"),
		want: []string{
			"helm-netpol: warning: v1 Pod shop/t1: metadata.labels: a hook or test pod whose labels overlap those of apps/v1 Deployment shop/web: the allowlist of that workload selects its pods too, so while it runs it gets that allowlist's openings",
		},
	}, {
		name:  "test pods that only overlap each other",
		input: web + "---\n" + testPod("t1", "{app: web-test, app.kubernetes.io/instance: rel}") + "---\n" + testPod("t2", "{app: web-test, app.kubernetes.io/instance: rel, case: b}"),
		want: []string{
			"helm-netpol: warning: v1 Pod shop/t2: metadata.labels: a hook or test pod whose labels overlap those of v1 Pod shop/t1: the allowlist of that workload selects its pods too, so while it runs it gets that allowlist's openings",
		},
	}, {
		name:  "test pods of their own labels",
		input: web + "---\n" + testPod("t1", "{app: t1, app.kubernetes.io/instance: rel}") + "---\n" + testPod("t2", "{app: t2, app.kubernetes.io/instance: rel}"),
	}, {
		name:  "two lasting workloads",
		input: web + "---\n" + deployment("web2", map[string]string{"app": "web", "app.kubernetes.io/instance": "rel"}, ""),
		err:   "helm-netpol: apps/v1 Deployment shop/web: spec.selector: the pod selector also selects the pods of apps/v1 Deployment shop/web2, which would get this workload's openings: give the two workloads' pods distinct labels\nhelm-netpol: apps/v1 Deployment shop/web2: spec.selector: the pod selector also selects the pods of apps/v1 Deployment shop/web, which would get this workload's openings: give the two workloads' pods distinct labels",
	}} {
		t.Run(c.name, func(t *testing.T) {
			checkStubs(t, []byte(c.input), Options{Config: cfg})
			_, res, err := Process([]byte(c.input), Options{Config: cfg})
			if c.err != "" {
				if err == nil || err.Error() != c.err {
					t.Fatalf("got error\n%v\nwant\n%s", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range res.Findings {
				if f.Severity == findings.SeverityWarning {
					got = append(got, f.String())
				}
			}
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.want, "\n"))
			}
			_, _, err = Process([]byte(c.input), Options{Config: cfg, Strict: true})
			if refused := err != nil; refused != (len(c.want) > 0) {
				t.Errorf("--strict refused: %v (%v), want refused: %v", refused, err, len(c.want) > 0)
			}
		})
	}
}
