package manifest

import (
	"encoding/json"
	"slices"

	"github.com/helm-netpol/helm-netpol/internal/yamlfast"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Object is a Kubernetes object of the stream.
type Object struct {
	Node       *yaml.RNode
	APIVersion string
	Kind       string
	Name       string
	Namespace  string

	// Decoded is, for a stub (a document whose tree was cut down as the stream was read,
	// see document.slim), what a later stage read of the document before; nil otherwise.
	Decoded any
	// stubAnnotations are a stub's annotations that the run reads: helm.sh/hook if set.
	stubAnnotations map[string]string
}

func NewObject(n *yaml.RNode) *Object {
	y := n.YNode()
	if y.Kind != yaml.MappingNode {
		return nil
	}
	o := &Object{Node: n, APIVersion: scalarField(y, "apiVersion"), Kind: scalarField(y, "kind")}
	if meta := mapField(y, "metadata"); meta != nil && meta.Kind == yaml.MappingNode {
		o.Name = scalarField(meta, "name")
		o.Namespace = scalarField(meta, "namespace")
	}
	return o
}

func StringField(n *yaml.RNode, key string) string { return scalarField(n.YNode(), key) }

// scalarField is the value of a mapping's scalar field, "" if there is none.
func scalarField(m *yaml.Node, key string) string {
	v := mapField(m, key)
	if v == nil || v.Kind != yaml.ScalarNode {
		return ""
	}
	return v.Value
}

// mapField finds a mapping's field as kyaml's RNode.Field does (the first key of that value),
// without the two nodes and the pair that Field allocates: newObject runs for every object,
// and again for every generated one.
func mapField(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// WorkloadKinds are the kinds that run pods.
var WorkloadKinds = []string{"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod", "Rollout"}

// IsWorkloadKind tells whether a kind runs pods.
func IsWorkloadKind(kind string) bool { return slices.Contains(WorkloadKinds, kind) }

// DecodeJSON decodes an object through JSON into a typed Kubernetes struct.
func DecodeJSON(o *Object, into any) error {
	raw, err := NodeJSON(o.Node)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, into)
}

// DecodeSpec decodes an object's spec through JSON into a typed Kubernetes struct.
func DecodeSpec(o *Object, into any) error {
	raw, err := NodeJSON(o.Node)
	if err != nil {
		return err
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

// nodeJSON is the JSON of a node. appendNodeJSON writes it straight from the tree, the same
// bytes as decoding the tree into Go values and marshalling those; where it cannot vouch
// for them, the tree is decoded so, which costs a fraction of kyaml's MarshalJSON (that
// encodes YAML text and parses it again); a document that way cannot express in JSON (a
// key that is not a string) goes the long way.
func NodeJSON(n *yaml.RNode) ([]byte, error) {
	if b, ok := yamlfast.AppendNodeJSON(nil, n.YNode()); ok {
		return b, nil
	}
	var v any
	if err := n.YNode().Decode(&v); err == nil {
		if b, err := json.Marshal(v); err == nil {
			return b, nil
		}
	}
	return n.MarshalJSON()
}
