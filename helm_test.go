package main

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	kubefake "helm.sh/helm/v3/pkg/kube/fake"
	"helm.sh/helm/v3/pkg/postrender"
	"helm.sh/helm/v3/pkg/storage"
	"helm.sh/helm/v3/pkg/storage/driver"

	"github.com/helm-netpol/helm-netpol/transform"
)

// postRenderer is helm-netpol behind Helm's post-renderer interface, as an SDK user would
// wire it.
type postRenderer struct{ opts transform.Options }

var _ postrender.PostRenderer = postRenderer{}

func (p postRenderer) Run(in *bytes.Buffer) (*bytes.Buffer, error) {
	out, _, err := transform.Process(in.Bytes(), p.opts)
	if err != nil {
		return nil, err
	}
	return bytes.NewBuffer(out), nil
}

func installDryRun(t *testing.T, values map[string]any) (string, error) {
	t.Helper()
	chrt, err := loader.Load("fixtures/charts/controller")
	if err != nil {
		t.Fatal(err)
	}
	cfg := &action.Configuration{
		Releases:     storage.Init(driver.NewMemory()),
		KubeClient:   &kubefake.PrintingKubeClient{Out: io.Discard},
		Capabilities: chartutil.DefaultCapabilities,
		Log:          t.Logf,
	}
	install := action.NewInstall(cfg)
	install.ClientOnly = true
	install.DryRun = true
	install.ReleaseName = "ctrl"
	install.Namespace = "ctrl-system"
	install.KubeVersion = &chartutil.KubeVersion{Version: "v1.37.0", Major: "1", Minor: "37"}
	install.PostRenderer = postRenderer{}
	rel, err := install.Run(chrt, values)
	if err != nil {
		return "", err
	}
	return rel.Manifest, nil
}

// TestHelmInstall renders the fixture chart with Helm's own install action (client only,
// dry run) and helm-netpol as its post-renderer.
func TestHelmInstall(t *testing.T) {
	config, err := os.ReadFile("fixtures/doc-configuring-ingress/config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	manifest, err := installDryRun(t, map[string]any{
		"podAnnotations": map[string]any{transform.AnnotationConfig: string(config)},
	})
	if err != nil {
		t.Fatalf("install: %v", err)
	}
	for _, want := range []string{
		"kind: Deployment",
		"kind: ValidatingWebhookConfiguration",
		"kind: NetworkPolicy",
		"helm-netpol.io/generated-for: apps/v1/Deployment/ctrl-system/ctrl-controller",
		"kubernetes.io/metadata.name: flagger-system",
		"# Source: helm-netpol/networkpolicy-ctrl-controller-deployment-allow.yaml",
	} {
		if !strings.Contains(manifest, want) {
			t.Errorf("the release manifest lacks %q:\n%s", want, manifest)
		}
	}
	if strings.Contains(manifest, transform.AnnotationConfig+":") {
		t.Errorf("the config annotation reached the release manifest:\n%s", manifest)
	}
}

// TestHelmInstallRefused shows that a config error fails the install instead of installing
// a release without its policy.
func TestHelmInstallRefused(t *testing.T) {
	_, err := installDryRun(t, map[string]any{
		"podAnnotations": map[string]any{transform.AnnotationConfig: "networkPolicy: {enabled: true, engine: calcio}"},
	})
	if err == nil || !strings.Contains(err.Error(), `networkPolicy.engine: "calcio": must be one of`) {
		t.Fatalf("install error = %v, want the engine named", err)
	}
}
