package discover

import (
	"strings"

	"github.com/helm-netpol/helm-netpol/internal/manifest"
)

// stubForDiscovery is the Stubber of a post-render: it decodes what discovery reads of a
// document, unless the run may change or write it (a config carrier, or what an earlier
// run generated).
func StubForDiscovery(o *manifest.Object) (any, bool) {
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
func ownAnnotations(o *manifest.Object) bool {
	for _, p := range o.MetadataPaths() {
		meta := o.Node.YNode()
		for _, key := range p {
			meta = manifest.MappingValue(meta, key)
		}
		ann := manifest.MappingValue(meta, "annotations")
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
