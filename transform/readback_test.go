package transform

import (
	"strings"
	"testing"

	"github.com/helm-netpol/helm-netpol/internal/engine/registry"
)

// TestReadBack reads every generated object of every golden fixture and real chart render
// back: nothing in it is unsupported (trace evaluates all of it), and an allowlist or a
// default-deny reads as one.
func TestReadBack(t *testing.T) {
	runs := fixtureRuns(t)
	if !testing.Short() {
		runs = append(runs, corpusRuns(t)...)
	}
	denies := 0
	for _, r := range runs {
		_, res, err := Process(r.input, r.opts)
		if err != nil {
			t.Fatalf("%s: %v", r.name, err)
		}
		for _, g := range res.Generated {
			o, err := registry.Read(g.Node)
			if err != nil {
				t.Fatalf("%s: %v", r.name, err)
			}
			var unsupported []string
			unsupported = append(unsupported, o.Unsupported...)
			for _, rule := range append(o.Ingress, o.Egress...) {
				unsupported = append(unsupported, rule.Unsupported...)
			}
			if len(unsupported) > 0 {
				t.Errorf("%s: %s: unsupported: %s", r.name, o.ID, strings.Join(unsupported, "; "))
			}
			deny := strings.HasPrefix(o.GeneratedFor, releaseRef)
			rewritten := strings.Contains(o.GeneratedFor, "/NetworkPolicy/") // a chart's policy may be a deny
			if o.DefaultDeny != deny && !rewritten {
				t.Errorf("%s: %s (generated for %s): default-deny %v", r.name, o.ID, o.GeneratedFor, o.DefaultDeny)
			}
			if deny {
				denies++
			}
		}
	}
	if denies == 0 {
		t.Fatal("no default-deny was read")
	}
}
