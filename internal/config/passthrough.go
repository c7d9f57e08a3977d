package config

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
)

// The engines' passthrough lists are added to the rendered objects verbatim, and the
// apiserver prunes the fields of a custom resource that its CRD does not know: a misspelt
// fromEndpoints would vanish and leave "these ports from anywhere". So every rule is checked
// against the schema of its engine's CRD, the OpenAPI schema of spec.ingress[] and
// spec.egress[], cut down to what says which fields exist and what they hold.
// passthrough_schemas.json is made from the CRDs of fixtures/crds, and
// TestPassthroughSchemas checks that it still is (go test ./internal/config -update
// remakes it).
//
//go:embed passthrough_schemas.json
var passthroughSchemasJSON []byte

// schema is the structural part of an OpenAPI schema of a CRD: the type of a value, the
// fields of an object (properties, or any key with additionalProperties), the elements of
// an array, and the escapes of Kubernetes' structural schemas.
type schema struct {
	Type                 string             `json:"type,omitempty"`
	Properties           map[string]*schema `json:"properties,omitempty"`
	Items                *schema            `json:"items,omitempty"`
	AdditionalProperties *schema            `json:"additionalProperties,omitempty"`
	PreserveUnknown      bool               `json:"x-kubernetes-preserve-unknown-fields,omitempty"`
	IntOrString          bool               `json:"x-kubernetes-int-or-string,omitempty"`
}

// UnmarshalJSON reads a schema, where additionalProperties may also be a boolean: true
// allows any value under any key, false none beyond the properties.
func (s *schema) UnmarshalJSON(b []byte) error {
	type plainSchema schema
	var raw struct {
		plainSchema
		AdditionalProperties json.RawMessage `json:"additionalProperties,omitempty"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*s = schema(raw.plainSchema)
	s.AdditionalProperties = nil
	switch a := strings.TrimSpace(string(raw.AdditionalProperties)); a {
	case "", "false", "null":
	case "true":
		s.AdditionalProperties = &schema{PreserveUnknown: true}
	default:
		s.AdditionalProperties = &schema{}
		return json.Unmarshal(raw.AdditionalProperties, s.AdditionalProperties)
	}
	return nil
}

// passthroughTable holds the rule schemas of each engine's CRD, by direction ("ingress",
// "egress"), and where they were taken from.
type passthroughTable struct {
	Sources map[Engine]string             `json:"sources"`
	Rules   map[Engine]map[string]*schema `json:"rules"`
}

// passthroughSchemas decodes the table on first use: a config without passthrough lists,
// which is most of them, never pays for it (some 7 ms at every start of the command).
var passthroughSchemas = sync.OnceValue(func() *passthroughTable {
	var s passthroughTable
	if err := json.Unmarshal(passthroughSchemasJSON, &s); err != nil {
		panic("passthrough_schemas.json: " + err.Error())
	}
	return &s
})

// checkPassthrough checks every rule of the engines' passthrough lists of a config tree
// against its engine's CRD schema. A list with a bad rule is taken out of the tree whole,
// and its path added to pruned, as checkShape does with lists.
func checkPassthrough(tree map[string]any, pruned *[]string) []error {
	np, _ := tree["networkPolicy"].(map[string]any)
	var errs []error
	for _, e := range Engines[1:] {
		pt, _ := np[string(e)].(map[string]any)
		for _, dir := range []string{"ingress", "egress"} {
			rules, ok := pt[dir].([]any)
			if !ok {
				continue
			}
			rs := passthroughSchemas().Rules[e][dir]
			if rs == nil {
				continue
			}
			path := "networkPolicy." + string(e) + "." + dir
			var bad []error
			for i, r := range rules {
				if r == nil {
					continue // checkShape refused it
				}
				bad = append(bad, rs.check(r, fmt.Sprintf("%s[%d]", path, i))...)
			}
			if len(bad) > 0 {
				errs = append(errs, bad...)
				delete(pt, dir)
				*pruned = append(*pruned, path)
			}
		}
	}
	return errs
}

// check checks a plain value (maps, lists and scalars of a parsed config) against the
// schema, naming every field the schema does not know and every value of the wrong type by
// its path. A null is refused too: in a rule it does not delete anything, and the apiserver
// drops it, so that fromEndpoints: null would mean "from anywhere".
func (s *schema) check(v any, path string) []error {
	at := func(format string, args ...any) []error {
		return []error{fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...))}
	}
	if v == nil {
		return at("must not be null: leave the field out, or give it a value")
	}
	if s.IntOrString {
		switch v.(type) {
		case int64, string:
			return nil
		}
		return at("must be a number or a string, not %s", aTypeName(v))
	}
	switch s.Type {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			return at("must be a mapping, not %s", aTypeName(v))
		}
		if len(s.Properties) == 0 && s.AdditionalProperties == nil && s.PreserveUnknown {
			return nil // anything goes
		}
		var errs []error
		for _, k := range SortedKeys(m) {
			p := path + "." + k
			field, ok := s.Properties[k]
			switch {
			case ok:
			case s.AdditionalProperties != nil:
				field = s.AdditionalProperties
			case s.PreserveUnknown:
				continue
			default:
				errs = append(errs, fmt.Errorf("%s: unknown field; %s", p, s.suggest(k)))
				continue
			}
			errs = append(errs, field.check(m[k], p)...)
		}
		return errs
	case "array":
		l, ok := v.([]any)
		if !ok {
			return at("must be a list, not %s", aTypeName(v))
		}
		var errs []error
		for i, e := range l {
			if s.Items != nil {
				errs = append(errs, s.Items.check(e, fmt.Sprintf("%s[%d]", path, i))...)
			}
		}
		return errs
	case "string":
		if _, ok := v.(string); !ok {
			return at("must be a string, not the %s %s (quote it)", typeName(v), quote(v))
		}
	case "integer":
		if _, ok := v.(int64); !ok {
			return at("must be an integer, not the %s %s", typeName(v), quote(v))
		}
	case "number":
		switch v.(type) {
		case int64, float64:
		default:
			return at("must be a number, not the %s %s", typeName(v), quote(v))
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return at("must be true or false, not the %s %s", typeName(v), quote(v))
		}
	}
	return nil
}

// suggest names the field of the schema a misspelt key most likely meant, or lists them.
func (s *schema) suggest(key string) string {
	names := SortedKeys(s.Properties)
	best, bestDist := "", 0
	for _, n := range names {
		d := editDistance(strings.ToLower(key), strings.ToLower(n))
		if best == "" || d < bestDist {
			best, bestDist = n, d
		}
	}
	if best != "" && bestDist <= max(2, len(best)/4) {
		return "did you mean " + best + "?"
	}
	return "allowed: " + strings.Join(names, ", ")
}

// editDistance is the Levenshtein distance of two strings, by bytes.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
