package manifest

import (
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// A Stubber reads, of a kept document that the run will not change, what a later stage
// needs, and says whether its tree may be cut down to a stub.
type Stubber func(o *Object) (decoded any, ok bool)

// slim cuts a kept document's tree down to a stub once stub has read what the run needs
// of it. A ResourceList is never cut. It runs on the parsing core, after the document's
// checks.
func (d *Document) slim(stub Stubber) {
	if !d.object || d.Node == nil {
		return
	}
	o := NewObject(d.Node)
	if o.Kind == ResourceListKind {
		return
	}
	dec, ok := stub(o)
	if !ok {
		return
	}
	s := &Object{APIVersion: o.APIVersion, Kind: o.Kind, Name: o.Name, Namespace: o.Namespace, Decoded: dec}
	if d.Hook {
		s.stubAnnotations = map[string]string{AnnotationHook: o.Annotations()[AnnotationHook]}
	}
	s.Node = yaml.NewRNode(&yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"})
	d.Node, d.Stub = s.Node, s
}

// Object is the document's object: the stub, or one read from its tree; nil when it has
// none.
func (d *Document) Object() *Object {
	if d.Stub != nil {
		return d.Stub
	}
	if d.Node == nil {
		return nil
	}
	return NewObject(d.Node)
}
