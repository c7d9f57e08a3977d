package golden

import (
	"reflect"
	"strings"
	"testing"

	"github.com/helm-netpol/helm-netpol/oracle/probe"
	"sigs.k8s.io/yaml"
)

func TestWorkload(t *testing.T) {
	var obj, release map[string]any
	for text, into := range map[string]*map[string]any{
		`kind: Job
metadata: {name: migrate, namespace: app}
spec:
  template:
    metadata:
      labels: {app: db, tier: 1}
      annotations:
        helm-netpol.io/config: "networkPolicy: {egress: {enabled: true}}"
    spec:
      containers:
      - ports: [{containerPort: 8080, name: http}, {containerPort: 53, protocol: UDP}]`: &obj,
		`networkPolicy: {enabled: true, egress: {dns: false}}`: &release,
	} {
		if err := yaml.Unmarshal([]byte(text), into); err != nil {
			t.Fatal(err)
		}
	}
	pod, config, err := Workload("Job app/migrate", obj, release)
	if err != nil {
		t.Fatal(err)
	}
	want := probe.Pod{
		Namespace: "app",
		Labels:    map[string]string{"app": "db", "tier": "1", "job-name": "migrate", "batch.kubernetes.io/job-name": "migrate"},
		Ports:     []probe.NamedPort{{Name: "http", Port: 8080, Protocol: "TCP"}, {Port: 53, Protocol: "UDP"}},
	}
	if !reflect.DeepEqual(pod, want) {
		t.Errorf("pod: got %+v, want %+v", pod, want)
	}
	wantConfig := map[string]any{"enabled": true, "egress": map[string]any{"dns": false, "enabled": true}}
	if !reflect.DeepEqual(config, wantConfig) {
		t.Errorf("config: got %v, want %v", config, wantConfig)
	}
	annotated := MapAt(obj, "spec", "template", "metadata", "annotations")
	annotated["helm-netpol.io/config"] = "networkPolicy: ["
	if _, _, err := Workload("Job app/migrate", obj, release); err == nil || !strings.HasPrefix(err.Error(), "Job app/migrate: config annotation:") {
		t.Errorf("a config annotation that is no YAML: %v", err)
	}
}

func TestUnnamespaced(t *testing.T) {
	for in, want := range map[string]string{
		"apps/v1/Deployment/ns/web": "apps/v1/Deployment/web",
		"v1/Pod/ns/test":            "v1/Pod/test",
		"apps/v1/Deployment/web":    "apps/v1/Deployment/web",
	} {
		if got := Unnamespaced(in); got != want {
			t.Errorf("Unnamespaced(%q) = %q, want %q", in, got, want)
		}
	}
}
