package argocd

import (
	"os"
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
