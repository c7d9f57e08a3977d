package argocd

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

// cmpManifest is the part of Argo CD's ConfigManagementPlugin that argocd/plugin.yaml sets.
type cmpManifest struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Init     cmpCommand `json:"init"`
		Generate cmpCommand `json:"generate"`
		Discover struct {
			FileName string `json:"fileName"`
		} `json:"discover"`
		Parameters struct {
			Static []struct {
				Name           string `json:"name"`
				Title          string `json:"title"`
				Tooltip        string `json:"tooltip"`
				ItemType       string `json:"itemType"`
				CollectionType string `json:"collectionType"`
			} `json:"static"`
		} `json:"parameters"`
	} `json:"spec"`
}

type cmpCommand struct {
	Command []string `json:"command"`
	Args    []string `json:"args"`
}

// TestPluginManifest checks that argocd/plugin.yaml runs these commands and announces
// exactly the parameters they read, each with the type they take.
func TestPluginManifest(t *testing.T) {
	text, err := os.ReadFile("../../argocd/plugin.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m cmpManifest
	if err := yaml.UnmarshalStrict(text, &m); err != nil {
		t.Fatalf("argocd/plugin.yaml: %v", err)
	}
	if m.APIVersion != "argoproj.io/v1alpha1" || m.Kind != "ConfigManagementPlugin" || m.Metadata.Name != "helm-netpol" {
		t.Errorf("argocd/plugin.yaml is %s %s %s, want argoproj.io/v1alpha1 ConfigManagementPlugin helm-netpol", m.APIVersion, m.Kind, m.Metadata.Name)
	}
	if diff := cmp.Diff(cmpCommand{Command: []string{"helm-netpol", "argocd", "init"}}, m.Spec.Init); diff != "" {
		t.Errorf("init (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(cmpCommand{Command: []string{"helm-netpol", "argocd", "generate"}}, m.Spec.Generate); diff != "" {
		t.Errorf("generate (-want +got):\n%s", diff)
	}
	if m.Spec.Discover.FileName != "./Chart.yaml" {
		t.Errorf("discover.fileName %q, want ./Chart.yaml", m.Spec.Discover.FileName)
	}
	type announced struct{ Name, ItemType, CollectionType string }
	var want, got []announced
	for _, p := range params {
		a := announced{Name: p.name}
		switch p.kind {
		case kindBool:
			a.ItemType = "boolean"
		case kindArray:
			a.CollectionType = "array"
		}
		want = append(want, a)
	}
	for _, p := range m.Spec.Parameters.Static {
		got = append(got, announced{p.Name, p.ItemType, p.CollectionType})
		if p.Title == "" {
			t.Errorf("parameter %s has no title", p.Name)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parameters.static (-want +got):\n%s", diff)
	}
}

// exampleBody is an example file of argocd/ without its leading comment lines.
func exampleBody(t *testing.T, name string) string {
	t.Helper()
	text, err := os.ReadFile("../../argocd/" + name)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(text), "\n")
	for len(lines) > 0 && strings.HasPrefix(lines[0], "#") {
		lines = lines[1:]
	}
	return strings.Join(lines, "")
}

// TestDocsShowTheExamples checks that docs/argocd.md shows the example files of argocd/ as
// they are.
func TestDocsShowTheExamples(t *testing.T) {
	docs, err := os.ReadFile("../../docs/argocd.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"repo-server-patch.yaml", "application.yaml"} {
		if !strings.Contains(string(docs), "```yaml\n"+exampleBody(t, name)+"```\n") {
			t.Errorf("docs/argocd.md does not show argocd/%s as it is (without its leading comments)", name)
		}
	}
}

// TestApplicationExample reads the parameters of argocd/application.yaml as
// argocd-cmp-server hands them over, and checks the layer they make, which
// docs/argocd.md shows too.
func TestApplicationExample(t *testing.T) {
	var app struct {
		Spec struct {
			Source struct {
				Plugin struct {
					Name       string `json:"name"`
					Parameters []struct {
						Name   string            `json:"name"`
						String *string           `json:"string,omitempty"`
						Array  []string          `json:"array,omitempty"`
						Map    map[string]string `json:"map,omitempty"`
					} `json:"parameters"`
				} `json:"plugin"`
			} `json:"source"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal([]byte(exampleBody(t, "application.yaml")), &app); err != nil {
		t.Fatal(err)
	}
	if app.Spec.Source.Plugin.Name != "helm-netpol" {
		t.Errorf("the example uses plugin %q, want helm-netpol", app.Spec.Source.Plugin.Name)
	}
	parameters, err := json.Marshal(app.Spec.Source.Plugin.Parameters)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ParseEnv([]string{envParameters + "=" + string(parameters)})
	if err != nil {
		t.Fatalf("the example's parameters %s: %v", parameters, err)
	}
	if diff := cmp.Diff([]string{"values-prod.yaml", "../../values/prod/controller.yaml"}, s.ValuesFiles); diff != "" {
		t.Errorf("values files (-want +got):\n%s", diff)
	}
	layer, err := s.Layer()
	if err != nil {
		t.Fatal(err)
	}
	want := "networkPolicy:\n  metrics:\n    from:\n    - namespaceSelector:\n        matchLabels:\n          kubernetes.io/metadata.name: monitoring\n" +
		"  engine: cilium\n  defaultDeny:\n    enabled: true\n"
	if diff := cmp.Diff(want, string(layer)); diff != "" {
		t.Errorf("layer (-want +got):\n%s", diff)
	}
	docs, err := os.ReadFile("../../docs/argocd.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(docs), "```yaml\n"+want+"```\n") {
		t.Errorf("docs/argocd.md does not show the layer the example makes:\n%s", want)
	}
}
