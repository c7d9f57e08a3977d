package discover

import (
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

// ownAnnotations tells whether an object holds a key of helm-netpol's own prefix
// anywhere: a config, which the filter takes out (so it writes the document anew), the
// mark of what an earlier run generated (which the filter may write again), or a key in a
// place that is not read, which the filter reports. It reads the parsed keys, so that an
// escape in a quoted key cannot hide one.
func ownAnnotations(o *manifest.Object) bool {
	return manifest.HasOwnKey(o.Node.YNode())
}
