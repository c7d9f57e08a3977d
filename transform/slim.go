package transform

import (
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// A dense stream (many small releases) is mostly workloads and Services, and a full YAML
// tree costs many times the document's bytes. The post-render writes every document it does
// not change as the bytes it came in as, and of such a document the filter reads only its
// identity, whether it is a Helm hook, and what discovery decodes (decodeObject). So, when
// the stream is read for Process, a kept document is decoded for discovery right away, on
// the parsing core, and its tree is replaced by a stub: an empty mapping that stands for
// the document in the filter, and whose Object holds what was decoded. The filter
// given full trees (a KRM function, kustomize, ReadStream) reads them itself, with the same
// functions.

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
	o := newObject(d.Node)
	if o.Kind == resourceListKind {
		return
	}
	dec, ok := stub(o)
	if !ok {
		return
	}
	s := &Object{APIVersion: o.APIVersion, Kind: o.Kind, Name: o.Name, Namespace: o.Namespace, Decoded: dec}
	if d.hook {
		s.stubAnnotations = map[string]string{AnnotationHook: o.annotations()[AnnotationHook]}
	}
	s.Node = yaml.NewRNode(&yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"})
	d.Node, d.stub = s.Node, s
}

// Object is the document's object: the stub, or one read from its tree; nil when it has
// none.
func (d *Document) Object() *Object {
	if d.stub != nil {
		return d.stub
	}
	if d.Node == nil {
		return nil
	}
	return newObject(d.Node)
}

// stubForDiscovery is the Stubber of a post-render: it decodes what discovery reads of a
// document, unless the run may change or write it (a config carrier, or what an earlier
// run generated).
func stubForDiscovery(o *Object) (any, bool) {
	if ownAnnotations(o) {
		return nil, false
	}
	dec := decodeObject(o)
	if w := dec.workload; w != nil {
		w.Object = nil // discovery puts its own Object here; this one holds the full tree
	}
	return dec, true
}

// ownAnnotations tells whether an object has a helm-netpol.io/ annotation on its metadata
// or on its pod template's: a config, which the filter takes out (so it writes the document
// anew), or the mark of what an earlier run generated (which the filter may write again).
// It reads the parsed keys, so that an escape in a quoted key cannot hide one.
func ownAnnotations(o *Object) bool {
	for _, p := range o.metadataPaths() {
		meta := o.Node.YNode()
		for _, key := range p {
			meta = mappingValue(meta, key)
		}
		ann := mappingValue(meta, "annotations")
		if ann == nil {
			continue
		}
		for i := 0; i < len(ann.Content); i += 2 {
			if strings.HasPrefix(ann.Content[i].Value, "helm-netpol.io/") {
				return true
			}
		}
	}
	return false
}
