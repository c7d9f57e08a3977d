package transform

import (
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// A dense stream (many small releases) is mostly workloads and Services, and a full YAML
// tree costs many times the document's bytes. The post-render writes every document it does
// not change as the bytes it came in as, and of such a document the filter reads only its
// identity, its metadata annotations and what discovery decodes (decodeObject). So, when
// the stream is read for Process, a kept document is decoded for discovery right away, on
// the parsing core, and its tree is cut down to a stub: apiVersion, kind, and the name,
// namespace and annotations of its metadata. The filter given full trees (a KRM function,
// kustomize, ReadStream) decodes them itself, with the same function.

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
	if dec.workload != nil {
		dec.workload.Object = nil // discovery puts its own Object here; this one holds the full tree
	}
	d.Node = stub(d.Node)
	d.decoded = dec
}

// ownAnnotations tells whether an object has a helm-netpol.io/ annotation on its metadata
// or on its pod template's: a config, which the filter takes out (so it writes the document
// anew), or the mark of what an earlier run generated (which the filter may write again).
// It reads the parsed keys, so that an escape in a quoted key cannot hide one.
func ownAnnotations(o *Object) bool {
	paths := [][]string{{"metadata"}}
	if o.isWorkload() && o.templatePath() != nil {
		paths = append(paths, append(o.templatePath(), "metadata"))
	}
	for _, p := range paths {
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

// stub is an object's tree cut down to its apiVersion, kind and the name, namespace and
// annotations of its metadata. It shares those nodes with the full tree, and the rest of
// that can be collected.
func stub(n *yaml.RNode) *yaml.RNode {
	m := n.YNode()
	s := &yaml.Node{Kind: yaml.MappingNode, Tag: m.Tag, Line: m.Line, Column: m.Column}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		switch {
		case k.Kind != yaml.ScalarNode:
		case k.Value == "apiVersion" || k.Value == "kind":
			s.Content = append(s.Content, k, v)
		case k.Value == "metadata" && v.Kind == yaml.MappingNode:
			meta := &yaml.Node{Kind: yaml.MappingNode, Tag: v.Tag, Line: v.Line, Column: v.Column}
			for j := 0; j+1 < len(v.Content); j += 2 {
				if mk := v.Content[j]; mk.Kind == yaml.ScalarNode && (mk.Value == "name" || mk.Value == "namespace" || mk.Value == "annotations") {
					meta.Content = append(meta.Content, mk, v.Content[j+1])
				}
			}
			s.Content = append(s.Content, k, meta)
		}
	}
	return yaml.NewRNode(s)
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
