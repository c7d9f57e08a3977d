package transform

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// A dense stream (many small releases) is mostly workloads and Services, and a full YAML
// tree costs many times the document's bytes. The post-render writes every document it does
// not change as the bytes it came in as, and of a workload or Service that carries no
// helm-netpol annotation the filter reads only the identity, the metadata annotations and
// what discovery decodes. So, when the stream is read for Process, such a document is
// decoded for discovery right away, on the parsing core, and its tree is cut down to a
// stub: apiVersion, kind and metadata. The filter given full trees (a KRM function,
// kustomize, ReadStream) decodes them itself, the same way.

// decoded is what discovery reads of a workload or a Service, decoded from its full tree
// before the tree was cut down.
type decoded struct {
	workload *Workload           // a workload's, without its Object
	service  *corev1.ServiceSpec // a Service's spec
	err      error               // the decoding error, reported by discovery as it would be
}

// slim decodes a kept workload or Service for discovery and replaces its tree by a stub,
// unless the run may change or re-emit the document: a config carrier, or what an earlier
// run generated. It runs on the parsing core, after the document's checks.
func (d *Document) slim() {
	if !d.object || d.Node == nil {
		return
	}
	o := newObject(d.Node)
	dec := &decoded{}
	switch {
	case o.isWorkload():
		if ownAnnotations(o) {
			return
		}
		dec.workload, dec.err = parseWorkload(o)
		if dec.workload != nil {
			dec.workload.Object = nil // the filter's Object goes here; this one holds the full tree
		}
	case o.APIVersion == "v1" && o.Kind == "Service":
		if ownAnnotations(o) {
			return
		}
		dec.service = &corev1.ServiceSpec{}
		dec.err = decodeJSON(o, dec.service, true)
	default:
		return
	}
	d.Node = stub(d.Node)
	d.decoded = dec
}

// ownAnnotations tells whether an object has a helm-netpol.io/ annotation on its metadata
// or on its pod template's: a config the filter takes out (and so encodes the document
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
		if ann == nil || ann.Kind != yaml.MappingNode {
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

// stub is an object's tree cut down to its apiVersion, kind and metadata, which share the
// nodes of the full tree; the rest of it can be collected.
func stub(n *yaml.RNode) *yaml.RNode {
	m := n.YNode()
	s := &yaml.Node{Kind: yaml.MappingNode, Style: m.Style, Tag: m.Tag, Line: m.Line, Column: m.Column}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k := m.Content[i]; k.Kind == yaml.ScalarNode && (k.Value == "apiVersion" || k.Value == "kind" || k.Value == "metadata") {
			s.Content = append(s.Content, k, m.Content[i+1])
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

// readWorkload is parseWorkload, or what was decoded of the workload before its tree was
// cut down.
func (r *run) readWorkload(o *Object) (*Workload, error) {
	dec := r.opts.decoded[o.Node]
	if dec == nil {
		return parseWorkload(o)
	}
	if dec.err != nil {
		return nil, dec.err
	}
	w := *dec.workload
	w.Object = o
	return &w, nil
}

// readService is the decoding of a Service's spec, or what was decoded of it before its
// tree was cut down.
func (r *run) readService(o *Object, spec *corev1.ServiceSpec) error {
	dec := r.opts.decoded[o.Node]
	if dec == nil {
		return decodeJSON(o, spec, true)
	}
	if dec.err == nil {
		*spec = *dec.service
	}
	return dec.err
}
