package oracle

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"
)

// generatedFor is the annotation helm-netpol puts on every object it generates.
const generatedFor = "helm-netpol.io/generated-for"

// validators says how to check each kind of generated object.
var validators = map[schema.GroupKind][]func([]byte) error{
	{Group: "networking.k8s.io", Kind: "NetworkPolicy"}:               {ValidateNetworkPolicy},
	{Group: "cilium.io", Kind: "CiliumNetworkPolicy"}:                 {ValidateCRDObject, ParseCilium},
	{Group: "cilium.io", Kind: "CiliumClusterwideNetworkPolicy"}:      {ValidateCRDObject, ParseCilium},
	{Group: "projectcalico.org", Kind: "NetworkPolicy"}:               {ValidateCRDObject},
	{Group: "projectcalico.org", Kind: "GlobalNetworkPolicy"}:         {ValidateCRDObject},
	{Group: "policy.networking.k8s.io", Kind: "ClusterNetworkPolicy"}: {ValidateCRDObject},

	// Calico's staged kinds (networkPolicy.staged): their own CRDs, and the Kubernetes
	// NetworkPolicy a StagedKubernetesNetworkPolicy holds.
	{Group: "projectcalico.org", Kind: "StagedNetworkPolicy"}:           {ValidateCRDObject},
	{Group: "projectcalico.org", Kind: "StagedGlobalNetworkPolicy"}:     {ValidateCRDObject},
	{Group: "projectcalico.org", Kind: "StagedKubernetesNetworkPolicy"}: {ValidateCRDObject, ValidateStagedKubernetesNetworkPolicy},
}

// fixtureResult is what checkFixtures found.
type fixtureResult struct {
	files     int            // want.yaml files read
	mentions  int            // of those, files that mention generatedFor
	validated map[string]int // generated objects checked, by apiVersion and kind
	problems  []string       // one line per failure
}

// checkFixtures validates every generated object in every file named
// want.yaml under root.
func checkFixtures(root string) (fixtureResult, error) {
	res := fixtureResult{validated: map[string]int{}}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() != "want.yaml" {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		res.files++
		if bytes.Contains(data, []byte(generatedFor)) {
			res.mentions++
		}
		docs, err := splitYAML(data)
		if err != nil {
			res.problems = append(res.problems, fmt.Sprintf("%s: %v", path, err))
			return nil
		}
		for i, doc := range docs {
			res.checkDocument(path, i, doc)
		}
		return nil
	})
	return res, err
}

// checkDocument validates document i of file if helm-netpol generated it.
func (res *fixtureResult) checkDocument(file string, i int, doc []byte) {
	var obj struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
		Metadata   struct {
			Name        string            `json:"name"`
			Annotations map[string]string `json:"annotations"`
		} `json:"metadata"`
	}
	if err := yaml.Unmarshal(doc, &obj); err != nil {
		res.problems = append(res.problems, fmt.Sprintf("%s: document %d: %v", file, i, err))
		return
	}
	if _, ok := obj.Metadata.Annotations[generatedFor]; !ok {
		return
	}
	what := fmt.Sprintf("%s: document %d (%s %s %s)", file, i, obj.APIVersion, obj.Kind, obj.Metadata.Name)
	gk := schema.FromAPIVersionAndKind(obj.APIVersion, obj.Kind).GroupKind()
	checks, ok := validators[gk]
	if !ok {
		res.problems = append(res.problems, fmt.Sprintf("%s: no validator for %s %s", what, obj.APIVersion, obj.Kind))
		return
	}
	res.validated[obj.APIVersion+" "+obj.Kind]++
	for _, check := range checks {
		if err := check(doc); err != nil {
			res.problems = append(res.problems, fmt.Sprintf("%s:\n%v", what, err))
		}
	}
}

// total is the number of generated objects validated.
func (res fixtureResult) total() int {
	n := 0
	for _, c := range res.validated {
		n += c
	}
	return n
}

// summary lists the validated counts by apiVersion and kind.
func (res fixtureResult) summary() string {
	var lines []string
	for kind, n := range res.validated {
		lines = append(lines, fmt.Sprintf("%4d %s", n, kind))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// TestGoldenFixtures checks every generated object in the repository's
// golden fixtures (../fixtures/**/want.yaml).
func TestGoldenFixtures(t *testing.T) {
	res, err := checkFixtures(filepath.Join("..", "fixtures"))
	if errors.Is(err, fs.ErrNotExist) {
		t.Skip("no ../fixtures yet")
	}
	if err != nil {
		t.Fatal(err)
	}
	if res.files == 0 {
		t.Skip("no want.yaml under ../fixtures yet")
	}
	for _, p := range res.problems {
		t.Error(p)
	}
	t.Logf("%d want.yaml files, %d generated objects validated:\n%s", res.files, res.total(), res.summary())
	if res.total() == 0 && res.mentions > 0 {
		t.Errorf("no generated object found, yet %d want.yaml files mention %s", res.mentions, generatedFor)
	}
}

// TestFixtureWalker runs the walker on the sample fixtures in testdata.
func TestFixtureWalker(t *testing.T) {
	t.Run("good", func(t *testing.T) {
		res, err := checkFixtures(filepath.Join("testdata", "fixtures", "good"))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range res.problems {
			t.Error(p)
		}
		want := map[string]int{
			"networking.k8s.io/v1 NetworkPolicy":                     2,
			"cilium.io/v2 CiliumNetworkPolicy":                       1,
			"projectcalico.org/v3 NetworkPolicy":                     1,
			"projectcalico.org/v3 GlobalNetworkPolicy":               1,
			"policy.networking.k8s.io/v1alpha2 ClusterNetworkPolicy": 1,
		}
		if res.files != 2 || fmt.Sprint(res.validated) != fmt.Sprint(want) {
			t.Errorf("got %d files and counts %v, want 2 files and %v", res.files, res.validated, want)
		}
	})
	t.Run("bad", func(t *testing.T) {
		res, err := checkFixtures(filepath.Join("testdata", "fixtures", "bad"))
		if err != nil {
			t.Fatal(err)
		}
		want := []string{
			"document 0 (networking.k8s.io/v1 NetworkPolicy web-allow):\nspec.ingress[0].ports[0].port: Invalid value: 70000",
			"document 1 (cilium.io/v2 CiliumNetworkPolicy web-egress):\nInvalid CiliumNetworkPolicy spec: combining",
			"document 2 (v1 ConfigMap web-report): no validator for v1 ConfigMap",
		}
		if len(res.problems) != len(want) {
			t.Fatalf("got %d problems, want %d:\n%s", len(res.problems), len(want), strings.Join(res.problems, "\n"))
		}
		for i, w := range want {
			if !strings.Contains(res.problems[i], w) {
				t.Errorf("problem %d is\n%s\nwant it to contain\n%s", i, res.problems[i], w)
			}
		}
	})
}
