package transform

import (
	"fmt"
	"strings"
	"testing"

	"github.com/helm-netpol/helm-netpol/internal/config"
	"github.com/helm-netpol/helm-netpol/internal/findings"
	"github.com/helm-netpol/helm-netpol/internal/plan"
)

// aggregatedAPIStream is a metrics-server-like release: a Deployment serving on a port
// named https (probed, as metrics-server's is), a Service routing 443 to it, an APIService
// naming that Service (apis: the APIService documents, "{port}" standing for their
// spec.service.port line), and a second workload with a port of no role.
func aggregatedAPIStream(apis ...string) string {
	s := `apiVersion: apps/v1
kind: Deployment
metadata: {name: ms, namespace: kube-system}
spec:
  selector: {matchLabels: {app: ms}}
  template:
    metadata: {labels: {app: ms, app.kubernetes.io/instance: rel}}
    spec:
      containers:
        - name: ms
          ports: [{name: https, containerPort: 10250}]
          readinessProbe: {httpGet: {path: /readyz, port: https}}
---
apiVersion: v1
kind: Service
metadata: {name: ms, namespace: kube-system}
spec:
  selector: {app: ms}
  ports: [{name: https, port: 443, targetPort: https}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: kube-system}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web, app.kubernetes.io/instance: rel}}
    spec: {containers: [{name: web, ports: [{name: http, containerPort: 8080}]}]}
`
	for _, a := range apis {
		s += "---\n" + a
	}
	return s
}

// apiService is an APIService document; service is its spec.service in flow style, or "".
func apiService(name, service string) string {
	s := "apiVersion: apiregistration.k8s.io/v1\nkind: APIService\nmetadata: {name: " + name + "}\nspec:\n  group: metrics.k8s.io\n  version: v1beta1\n"
	if service != "" {
		s += "  service: " + service + "\n"
	}
	return s
}

// ingressOf returns the ingress rules planned for the workload named name, as
// "origin: ports from peers" lines.
func ingressOf(res *Result, name string) []string {
	var out []string
	for _, p := range res.Policies {
		if p.Workload == nil || p.Workload.Name != name {
			continue
		}
		for _, r := range p.Ingress {
			out = append(out, ruleLine(r))
		}
	}
	return out
}

func ruleLine(r plan.Rule) string {
	var ports []string
	for _, p := range r.Ports {
		ports = append(ports, p.Port.String())
	}
	peers := "anywhere"
	if len(r.Peers) > 0 {
		var ps []string
		for _, p := range r.Peers {
			switch {
			case p.IPBlock != nil:
				ps = append(ps, p.IPBlock.CIDR)
			case p.NamespaceSelector != nil:
				ps = append(ps, "namespaces "+fmt.Sprint(p.NamespaceSelector.MatchLabels))
			default:
				ps = append(ps, "pods")
			}
		}
		peers = strings.Join(ps, ", ")
	}
	return r.Origin + ": " + strings.Join(ports, ",") + " from " + peers
}

// TestAggregatedAPIs: the port an APIService's Service routes to opens as a role of its
// own, reached by the kube-apiserver: narrowed by networkPolicy.webhook.from only, kept with
// otherPorts off, and named after the APIServices.
func TestAggregatedAPIs(t *testing.T) {
	const ms = "{name: ms, namespace: kube-system, port: 443}"
	const monitoring = "[{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: monitoring}}}]"
	for _, c := range []struct {
		name, config string
		apis         []string
		ms, web      []string // the planned ingress of each workload
		err          string   // an error finding, when the render is refused
	}{{
		name:   "otherPorts.from narrows the other ports only",
		config: "networkPolicy: {enabled: true, otherPorts: {from: " + monitoring + "}}",
		apis:   []string{apiService("v1beta1.metrics.k8s.io", ms)},
		ms:     []string{"aggregated API v1beta1.metrics.k8s.io: 10250 from anywhere"},
		web:    []string{"networkPolicy.otherPorts.from: 8080 from namespaces map[kubernetes.io/metadata.name:monitoring]"},
	}, {
		name:   "otherPorts off keeps the aggregated API",
		config: "networkPolicy: {enabled: true, otherPorts: {enabled: false}}",
		apis:   []string{apiService("v1beta1.metrics.k8s.io", ms)},
		ms:     []string{"aggregated API v1beta1.metrics.k8s.io: 10250 from anywhere"},
	}, {
		name:   "before it, the same port was an other port",
		config: "networkPolicy: {enabled: true, otherPorts: {from: " + monitoring + "}}",
		ms:     []string{"networkPolicy.otherPorts.from: 10250 from namespaces map[kubernetes.io/metadata.name:monitoring]"},
		web:    []string{"networkPolicy.otherPorts.from: 8080 from namespaces map[kubernetes.io/metadata.name:monitoring]"},
	}, {
		name:   "webhook.from narrows it",
		config: "networkPolicy: {enabled: true, webhook: {from: [{ipBlock: {cidr: 10.0.0.0/24}}]}}",
		apis:   []string{apiService("v1beta1.metrics.k8s.io", ms)},
		ms:     []string{"networkPolicy.webhook.from (aggregated API v1beta1.metrics.k8s.io): 10250 from 10.0.0.0/24"},
		web:    []string{"networkPolicy.otherPorts: 8080 from anywhere"},
	}, {
		name:   "webhook.from with selectors only is refused",
		config: "networkPolicy: {enabled: true, webhook: {from: [{namespaceSelector: {}}]}}",
		apis:   []string{apiService("v1beta1.metrics.k8s.io", ms)},
		err:    "apps/v1 Deployment kube-system/ms: networkPolicy.webhook.from: no peer can match the kube-apiserver, which is not a pod, so every request to the aggregated API (v1beta1.metrics.k8s.io: kubectl top, autoscalers) would be dropped",
	}, {
		name:   "the Service port defaults to 443",
		config: "networkPolicy: {enabled: true, otherPorts: {enabled: false}}",
		apis:   []string{apiService("v1beta1.metrics.k8s.io", "{name: ms, namespace: kube-system}")},
		ms:     []string{"aggregated API v1beta1.metrics.k8s.io: 10250 from anywhere"},
	}, {
		name:   "several APIServices, one rule",
		config: "networkPolicy: {enabled: true, otherPorts: {enabled: false}}",
		apis:   []string{apiService("v1beta2.custom.metrics.k8s.io", ms), apiService("v1beta1.custom.metrics.k8s.io", ms)},
		ms:     []string{"aggregated APIs v1beta1.custom.metrics.k8s.io, v1beta2.custom.metrics.k8s.io: 10250 from anywhere"},
	}, {
		name:   "a local APIService calls no Service",
		config: "networkPolicy: {enabled: true, otherPorts: {enabled: false}}",
		apis:   []string{apiService("v1.apps", "")},
		ms:     nil,
	}, {
		name:   "a Service of another namespace",
		config: "networkPolicy: {enabled: true, otherPorts: {enabled: false}}",
		apis:   []string{apiService("v1beta1.metrics.k8s.io", "{name: ms, namespace: monitoring, port: 443}")},
		ms:     nil,
	}, {
		name:   "a Service port the Service does not have",
		config: "networkPolicy: {enabled: true, otherPorts: {enabled: false}}",
		apis:   []string{apiService("v1beta1.metrics.k8s.io", "{name: ms, namespace: kube-system, port: 8443}")},
		ms:     nil,
	}, {
		name:   "a port that is not a number",
		config: "networkPolicy: {enabled: true}",
		apis:   []string{apiService("v1beta1.metrics.k8s.io", "{name: ms, namespace: kube-system, port: https}")},
		err:    "apiregistration.k8s.io/v1 APIService v1beta1.metrics.k8s.io: spec.service: json: cannot unmarshal",
	}} {
		t.Run(c.name, func(t *testing.T) {
			in := []byte(aggregatedAPIStream(c.apis...))
			opts := Options{Config: mustLayer(c.config, config.LevelFile, "--config test"), Release: "rel"}
			checkStubs(t, in, opts)
			_, res, err := Process(in, opts)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("got error %v, want one containing %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := ingressOf(res, "ms"); fmt.Sprint(got) != fmt.Sprint(c.ms) {
				t.Errorf("metrics-server's ingress:\n got %q\nwant %q", got, c.ms)
			}
			if c.web != nil {
				if got := ingressOf(res, "web"); fmt.Sprint(got) != fmt.Sprint(c.web) {
					t.Errorf("web's ingress:\n got %q\nwant %q", got, c.web)
				}
			}
			for _, f := range res.Findings {
				if f.Severity != findings.SeverityInfo {
					t.Errorf("unexpected finding: %s", f)
				}
			}
		})
	}
}

// TestAggregatedAPIUsesTheWebhookKnob: networkPolicy.webhook.from is not refused as a knob
// no workload can use when only an aggregated API server has the apiserver as its caller;
// it still is when neither a webhook nor an aggregated API exists.
func TestAggregatedAPIUsesTheWebhookKnob(t *testing.T) {
	cfg := mustLayer("networkPolicy: {enabled: true, webhook: {from: [{ipBlock: {cidr: 10.0.0.0/24}}]}}", config.LevelFile, "--config test")
	with := []byte(aggregatedAPIStream(apiService("v1beta1.metrics.k8s.io", "{name: ms, namespace: kube-system}")))
	if _, _, err := Process(with, Options{Config: cfg, Release: "rel"}); err != nil {
		t.Fatalf("refused with an aggregated API server in the stream: %v", err)
	}
	_, _, err := Process([]byte(aggregatedAPIStream()), Options{Config: cfg, Release: "rel"})
	if err == nil || !strings.Contains(err.Error(), "networkPolicy.webhook.from: no workload this config covers has a webhook port or serves an aggregated API") {
		t.Fatalf("got %v, want the knob refused", err)
	}
}

// TestAggregatedAPIUnderCilium: a narrowed aggregated API rule names the kube-apiserver
// entity beside its peers, as the webhook rule does, since Cilium's CIDR rules do not
// match the apiserver on the host network.
func TestAggregatedAPIUnderCilium(t *testing.T) {
	in := []byte(aggregatedAPIStream(apiService("v1beta1.metrics.k8s.io", "{name: ms, namespace: kube-system}")))
	cfg := mustLayer("networkPolicy: {enabled: true, engine: cilium, webhook: {from: [{ipBlock: {cidr: 10.0.0.0/24}}]}}", config.LevelFile, "--config test")
	out, _, err := Policies(in, Options{Config: cfg, Release: "rel"})
	if err != nil {
		t.Fatal(err)
	}
	want := `  ingress:
  - fromCIDRSet:
    - cidr: 10.0.0.0/24
    toPorts:
    - ports:
      - port: "10250"
        protocol: TCP
  - fromEntities:
    - kube-apiserver
    toPorts:
    - ports:
      - port: "10250"
        protocol: TCP
`
	if !strings.Contains(string(out), want) {
		t.Errorf("metrics-server's policy does not allow the apiserver entity:\n%s", out)
	}
}
