package transform

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/helm-netpol/helm-netpol/internal/discover"
	"github.com/helm-netpol/helm-netpol/internal/engine/registry"
	"github.com/helm-netpol/helm-netpol/internal/manifest"
	"github.com/helm-netpol/helm-netpol/internal/plan"
	yamlv2 "go.yaml.in/yaml/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/kustomize/kyaml/yaml"
	sigsyaml "sigs.k8s.io/yaml"
)

// sortGenerated orders the generated objects: allowlists (and rewritten policies) by
// namespace, name and kind, then the release's default-denies by namespace.
func sortGenerated(generated []Generated) {
	type sortKey struct {
		deny bool
		kind string
		g    *Generated
	}
	keys := make([]sortKey, len(generated)) // once each, not once a comparison
	for i := range generated {
		g := &generated[i]
		keys[i] = sortKey{strings.HasPrefix(g.For, "release/"), g.APIVersion + "/" + g.Kind, g}
	}
	sort.SliceStable(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		switch {
		case a.deny != b.deny:
			return !a.deny
		case a.g.Namespace != b.g.Namespace:
			return a.g.Namespace < b.g.Namespace
		case a.g.Name != b.g.Name:
			return a.g.Name < b.g.Name
		}
		return a.kind < b.kind
	})
	sorted := make([]Generated, len(generated))
	for i, k := range keys {
		sorted[i] = *k.g
	}
	copy(generated, sorted)
}

// render turns a policy into a node in the engine's dialect, with provenance and the
// stream's framing.
func (r *run) render(p *plan.Policy) (*yaml.RNode, error) {
	meta := metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace, Labels: discover.CopyMap(p.Labels), Annotations: discover.CopyMap(p.Annotations)}
	if meta.Annotations == nil {
		meta.Annotations = map[string]string{}
	}
	meta.Annotations[manifest.AnnotationGeneratedFor] = p.For
	if p.Hook != nil {
		meta.Annotations[manifest.AnnotationHook] = p.Hook.Events
		meta.Annotations[manifest.AnnotationHookWeight] = strconv.Itoa(p.Hook.Weight - 1)
		meta.Annotations[manifest.AnnotationHookDelete] = manifest.HookDeleteBeforeCreate
	}
	dialect, ok := registry.DialectOf(p.Engine, p.Staged)
	switch {
	case !ok && p.Staged:
		return nil, fmt.Errorf("engine %s has no staged form", p.Engine)
	case !ok:
		return nil, fmt.Errorf("engine %s has no renderer", p.Engine)
	}
	obj, err := dialect.Render(p, meta)
	if err != nil {
		return nil, err
	}
	file := "helm-netpol/" + strings.ToLower(reflect.TypeOf(obj).Elem().Name()) + "-" + p.Name + ".yaml"
	if r.opts.Format == manifest.FormatHelm4 {
		meta.Annotations[manifest.AnnotationHelm4Filename] = file
	}
	n, err := parsedTree(obj)
	if err != nil {
		return nil, err
	}
	if r.opts.Format == manifest.FormatHelm3 {
		n.YNode().HeadComment = "Source: " + file
	}
	return n, nil
}

// parsedTree is the tree of an object the long way: its YAML text from marshalYAML,
// parsed, without metadata.creationTimestamp and status.
func parsedTree(obj any) (*yaml.RNode, error) {
	b, err := marshalYAML(obj)
	if err != nil {
		return nil, err
	}
	n, err := yaml.Parse(string(b))
	if err != nil {
		return nil, err
	}
	if err := n.PipeE(yaml.Lookup("metadata"), yaml.Clear("creationTimestamp")); err != nil {
		return nil, err
	}
	if err := n.PipeE(yaml.Clear("status")); err != nil {
		return nil, err
	}
	return n, nil
}

// marshalYAML is sigs.k8s.io/yaml's Marshal, in less time. That encodes the object as JSON,
// decodes the JSON with the YAML parser of go.yaml.in/yaml/v2 (which is how each number
// gets its Go type), and encodes the result with that library. The YAML parser is most of
// the cost of a render. Where the JSON is ASCII without DEL (the parser reads some other
// characters as line breaks, and refuses others) and without \u escapes, its numbers are
// integers, and no key comes near the parser's limit of 1024 characters, encoding/json
// decodes the same values: the same strings, booleans, nulls, lists and maps, and each
// number as the int (or int64) the parser makes of it. Any other JSON goes the long way.
// (A key's length is measured on its JSON written again, which is its length in the JSON
// only where it has no \u escape: encoding/json writes an invalid byte as \ufffd, six
// characters, and U+FFFD itself as one.)
func marshalYAML(obj any) ([]byte, error) {
	j, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("error marshaling into JSON: %w", err)
	}
	for i, c := range j {
		if c >= 0x7f || c == '\\' && i+1 < len(j) && j[i+1] == 'u' {
			return sigsyaml.JSONToYAML(j)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return sigsyaml.JSONToYAML(j)
	}
	v, ok := yamlValue(v)
	if !ok {
		return sigsyaml.JSONToYAML(j)
	}
	return yamlv2.Marshal(v)
}

// maxFastKey is the longest key, as JSON, that marshalYAML decodes itself: the YAML parser
// refuses a key of more than 1024 characters, and marshalYAML must fail where Marshal
// fails.
const maxFastKey = 1000

// yamlValue turns the json.Numbers of a decoded JSON value into the integers the YAML
// parser of go.yaml.in/yaml/v2 makes of them: int, or int64 where int is too small. It
// returns false for a number that is no integer of 64 bits, and for a long key.
func yamlValue(v any) (any, bool) {
	switch v := v.(type) {
	case json.Number:
		i, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return nil, false
		}
		if i == int64(int(i)) {
			return int(i), true
		}
		return i, true
	case map[string]any:
		for k, e := range v {
			if 6*len(k)+2 >= maxFastKey { // a character takes at most 6 in JSON
				if b, _ := json.Marshal(k); len(b) >= maxFastKey {
					return nil, false
				}
			}
			e, ok := yamlValue(e)
			if !ok {
				return nil, false
			}
			v[k] = e
		}
	case []any:
		for i, e := range v {
			e, ok := yamlValue(e)
			if !ok {
				return nil, false
			}
			v[i] = e
		}
	}
	return v, true
}
