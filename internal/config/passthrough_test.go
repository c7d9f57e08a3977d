package config

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	sigsyaml "sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "remake passthrough_schemas.json from the CRDs of fixtures/crds")

// passthroughCRDs are the CRDs each engine's passthrough rules are checked against, and
// the version of each that helm-netpol renders. ClusterNetworkPolicy takes the
// experimental channel, whose fields the standard one has and more (domainNames,
// destinationNamedPort, nodes): the docs send users who run that channel to the
// passthrough list for them.
var passthroughCRDs = []struct {
	engine  Engine
	file    string
	version string
}{
	{EngineCilium, "cilium-v1.20.2_ciliumnetworkpolicies.yaml", "v2"},
	{EngineCalico, "calico-v3.32.1_projectcalico.org_networkpolicies.yaml", "v3"},
	{EngineClusterNetworkPolicy, "network-policy-api-v0.3.0-experimental_clusternetworkpolicies.yaml", "v1alpha2"},
}

// crdRuleSchemas reads the schema of spec.ingress[] and spec.egress[] of a version of a
// committed CRD, as JSON trees and as schemas.
func crdRuleSchemas(t *testing.T, file, version string) map[string]*schema {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "fixtures", "crds", file))
	if err != nil {
		t.Fatal(err)
	}
	j, err := sigsyaml.YAMLToJSON(b)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	var crd struct {
		Spec struct {
			Versions []struct {
				Name   string `json:"name"`
				Schema struct {
					OpenAPIV3Schema struct {
						Properties struct {
							Spec struct {
								Properties map[string]struct {
									Items json.RawMessage `json:"items"`
								} `json:"properties"`
							} `json:"spec"`
						} `json:"properties"`
					} `json:"openAPIV3Schema"`
				} `json:"schema"`
			} `json:"versions"`
		} `json:"spec"`
	}
	if err := json.Unmarshal(j, &crd); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	out := map[string]*schema{}
	for _, v := range crd.Spec.Versions {
		if v.Name != version {
			continue
		}
		for _, dir := range []string{"ingress", "egress"} {
			raw := v.Schema.OpenAPIV3Schema.Properties.Spec.Properties[dir].Items
			if raw == nil {
				t.Fatalf("%s %s: no spec.%s.items", file, version, dir)
			}
			s := &schema{}
			if err := json.Unmarshal(raw, s); err != nil {
				t.Fatalf("%s %s: spec.%s.items: %v", file, version, dir, err)
			}
			out[dir] = s
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s: no version %s", file, version)
	}
	return out
}

// TestPassthroughSchemas: the embedded table is what the committed CRDs say, cut down.
func TestPassthroughSchemas(t *testing.T) {
	table := passthroughTable{Sources: map[Engine]string{}, Rules: map[Engine]map[string]*schema{}}
	for _, c := range passthroughCRDs {
		table.Sources[c.engine] = c.file + " " + c.version
		table.Rules[c.engine] = crdRuleSchemas(t, c.file, c.version)
	}
	want, err := json.MarshalIndent(table, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	want = append(want, '\n')
	if *update {
		if err := os.WriteFile("passthrough_schemas.json", want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(want, passthroughSchemasJSON) {
		t.Fatal("passthrough_schemas.json is not what fixtures/crds say: go test ./internal/config -run TestPassthroughSchemas -update")
	}
}

// fields lists the paths of every field a schema allows below path, with a value of its
// type for each: the properties of objects, [0] for the elements of arrays, and "k" for a
// key of additionalProperties.
func fields(s *schema, path string) []string {
	var out []string
	if s.Items != nil {
		out = append(out, fields(s.Items, path+"[0]")...)
	}
	if s.AdditionalProperties != nil {
		out = append(out, path+".k")
		out = append(out, fields(s.AdditionalProperties, path+".k")...)
	}
	names := make([]string, 0, len(s.Properties))
	for n := range s.Properties {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		out = append(out, path+"."+n)
		out = append(out, fields(s.Properties[n], path+"."+n)...)
	}
	return out
}

// sample is a value of a schema's type.
func sample(s *schema) any {
	switch {
	case s.IntOrString:
		return int64(1)
	case s.Type == "object":
		return map[string]any{}
	case s.Type == "array":
		return []any{}
	case s.Type == "integer", s.Type == "number":
		return int64(1)
	case s.Type == "boolean":
		return true
	}
	return "x"
}

// build returns a value of schema s that holds the field at steps below it.
func build(s *schema, steps []string) (any, *schema) {
	if len(steps) == 0 {
		return sample(s), nil
	}
	step := steps[0]
	if step == "[0]" {
		v, parent := build(s.Items, steps[1:])
		return []any{v}, parent
	}
	f, ok := s.Properties[step]
	if !ok {
		f = s.AdditionalProperties
	}
	if f == nil {
		f = &schema{Type: "string"} // a field the schema does not have
	}
	v, parent := build(f, steps[1:])
	if parent == nil {
		parent = s
	}
	return map[string]any{step: v}, parent
}

// misspell changes a field name the way a typo does: a letter doubled, at the end.
func misspell(name string) string { return name + name[len(name)-1:] }

// TestPassthroughFieldsTable: every field the committed CRD's schema allows in a rule is
// accepted in the engine's passthrough list, on ingress and egress; a misspelling of each
// is refused, naming its path and the field meant, with --strict or not (the config is
// refused either way).
func TestPassthroughFieldsTable(t *testing.T) {
	for _, c := range passthroughCRDs {
		for dir, root := range crdRuleSchemas(t, c.file, c.version) {
			base := fmt.Sprintf("networkPolicy.%s.%s[0]", c.engine, dir)
			checked := 0
			for _, path := range fields(root, "") {
				steps := strings.Split(strings.ReplaceAll(strings.TrimPrefix(path, "."), "[0]", ".[0]"), ".")
				rule, parent := build(root, steps)
				if parent == nil {
					parent = root
				}
				if errs := parseRule(t, c.engine, dir, rule); len(errs) > 0 {
					t.Errorf("%s%s is refused: %v", base, path, errs)
					continue
				}
				last := steps[len(steps)-1]
				if last == "[0]" || parent.Properties[last] == nil {
					continue // a list element, or a key of a map: any key goes
				}
				wrong := misspell(last)
				if parent.Properties[wrong] != nil {
					continue
				}
				badSteps := append(append([]string{}, steps[:len(steps)-1]...), wrong)
				badRule, _ := build(root, badSteps)
				errs := parseRule(t, c.engine, dir, badRule)
				wantPath := base + strings.TrimSuffix(path, last) + wrong + ": unknown field; "
				found := false
				for _, e := range errs {
					found = found || strings.Contains(e, wantPath) && strings.Contains(e, "did you mean "+last+"?")
				}
				if !found {
					t.Errorf("%s (a misspelling of %s) is not refused as such: %v", strings.Join(badSteps, "."), path, errs)
				}
				checked++
			}
			if checked < 3 {
				t.Errorf("%s %s: only %d fields checked", c.engine, dir, checked)
			}
			t.Logf("%s %s: %d fields, each accepted and misspelt", c.engine, dir, checked)
		}
	}
}

// parseRule parses a config whose engine's passthrough list in direction dir holds rule,
// and returns the errors, one a string.
func parseRule(t *testing.T, engine Engine, dir string, rule any) []string {
	t.Helper()
	tree := map[string]any{"networkPolicy": map[string]any{
		"enabled": true, "engine": string(engine), "egress": map[string]any{"enabled": true},
		string(engine): map[string]any{dir: []any{rule}},
	}}
	text, err := json.Marshal(tree)
	if err != nil {
		t.Fatal(err)
	}
	_, err = ParseLayer(text, LevelWorkload, "test", "")
	if err == nil {
		return nil
	}
	return strings.Split(err.Error(), "\n")
}
