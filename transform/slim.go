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
// the document in the filter, and by which the filter finds what was decoded. The filter
// given full trees (a KRM function, kustomize, ReadStream) reads them itself, with the same
// functions.

// slim decodes a kept document for discovery and replaces its tree by a stub, unless the
// run may change or write the tree: a config carrier, what an earlier run generated, or a
// ResourceList. It runs on the parsing core, after the document's checks.
func (d *Document) slim() {
	if !d.object || d.Node == nil {
		return
	}
	o := newObject(d.Node)
	if o.Kind == resourceListKind || ownAnnotations(o) {
		return
	}
	dec := decodeObject(o)
	if w := dec.workload; w != nil {
		w.Object = nil // discovery puts its own Object here; this one holds the full tree
		if w.Hook != nil {
			w.Hook.Events = strings.Clone(w.Hook.Events)
		}
	}
	dec.object = Object{APIVersion: strings.Clone(o.APIVersion), Kind: strings.Clone(o.Kind), Name: strings.Clone(o.Name), Namespace: strings.Clone(o.Namespace)}
	if d.hook {
		dec.annotations = map[string]string{AnnotationHook: strings.Clone(o.annotations()[AnnotationHook])}
	}
	d.Node = yaml.NewRNode(&yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"})
	d.decoded = dec
}

// object returns an input node's Object and annotations: read from the node, or, for a stub,
// those read before its tree was cut down.
func (r *run) object(n *yaml.RNode) (*Object, map[string]string) {
	if dec := r.opts.decoded[n]; dec != nil {
		o := dec.object
		o.Node = n
		return &o, dec.annotations
	}
	o := newObject(n)
	if o == nil {
		return nil, nil
	}
	return o, o.annotations()
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

// predecoded collects what the documents of a stream had decoded before their trees were
// cut down, by the stub each now has.
func predecoded(s *Stream) map[*yaml.RNode]*decoded {
	var m map[*yaml.RNode]*decoded
	for _, d := range s.Docs {
		if d.decoded == nil {
			continue
		}
		if m == nil {
			m = map[*yaml.RNode]*decoded{}
		}
		m[d.Node] = d.decoded
	}
	return m
}
