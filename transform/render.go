package transform

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/kustomize/kyaml/yaml"
	sigsyaml "sigs.k8s.io/yaml"
)

// sortGenerated orders generated objects: allowlists (and rewritten policies) by namespace,
// name and kind, then the release's default-denies by namespace.
func sortGenerated(nodes []*yaml.RNode) {
	type sortKey struct {
		deny                  bool
		namespace, name, kind string
	}
	key := func(n *yaml.RNode) sortKey {
		o := newObject(n)
		return sortKey{strings.HasPrefix(n.GetAnnotations()[AnnotationGeneratedFor], "release/"), o.Namespace, o.Name, o.APIVersion + "/" + o.Kind}
	}
	sort.SliceStable(nodes, func(i, j int) bool {
		a, b := key(nodes[i]), key(nodes[j])
		switch {
		case a.deny != b.deny:
			return !a.deny
		case a.namespace != b.namespace:
			return a.namespace < b.namespace
		case a.name != b.name:
			return a.name < b.name
		}
		return a.kind < b.kind
	})
}

// render turns a policy into a node in the engine's dialect, with provenance and the
// stream's framing.
func (r *run) render(p *Policy) (*yaml.RNode, error) {
	meta := metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace, Labels: copyMap(p.Labels), Annotations: copyMap(p.Annotations)}
	if meta.Annotations == nil {
		meta.Annotations = map[string]string{}
	}
	meta.Annotations[AnnotationGeneratedFor] = p.For
	if p.Hook != nil {
		meta.Annotations[AnnotationHook] = p.Hook.Events
		meta.Annotations[AnnotationHookWeight] = strconv.Itoa(p.Hook.Weight - 1)
		meta.Annotations[AnnotationHookDelete] = hookDeleteBeforeCreate
	}
	render, ok := renderers[p.Engine]
	if !ok {
		return nil, fmt.Errorf("engine %s has no renderer", p.Engine)
	}
	obj, err := render(p, meta)
	if err != nil {
		return nil, err
	}
	file := "helm-netpol/" + strings.ToLower(reflect.TypeOf(obj).Elem().Name()) + "-" + p.Name + ".yaml"
	if r.opts.Format == FormatHelm4 {
		meta.Annotations[AnnotationHelm4Filename] = file
	}
	b, err := sigsyaml.Marshal(obj)
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
	if r.opts.Format == FormatHelm3 {
		n.YNode().HeadComment = "Source: " + file
	}
	return n, nil
}

// decodeJSON decodes an object, or with spec only its spec, through JSON into a typed
// Kubernetes struct.
func decodeJSON(o *Object, into any, spec bool) error {
	raw, err := nodeJSON(o.Node)
	if err != nil {
		return err
	}
	if !spec {
		return json.Unmarshal(raw, into)
	}
	var obj struct {
		Spec json.RawMessage `json:"spec"`
	}
	if err := json.Unmarshal(raw, &obj); err != nil {
		return err
	}
	if len(obj.Spec) == 0 {
		return nil
	}
	return json.Unmarshal(obj.Spec, into)
}

// nodeJSON is the JSON of a node. It decodes the tree directly, which costs a fraction of
// kyaml's MarshalJSON (that encodes YAML text and parses it again); a document the direct
// way cannot express in JSON (a key that is not a string) goes the long way.
func nodeJSON(n *yaml.RNode) ([]byte, error) {
	var v any
	if err := n.YNode().Decode(&v); err == nil {
		if b, err := json.Marshal(v); err == nil {
			return b, nil
		}
	}
	return n.MarshalJSON()
}
