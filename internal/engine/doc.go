// Package engine holds what the dialects share: the Renderer signature, numeric ports,
// rule provenance, "anywhere" CIDRs. Each dialect lives in a folder of its own below
// (kubernetes, cilium, calico, clusternetworkpolicy), and registry maps engine names to
// them.
//
// It and its dialects may import findings, manifest, config, discover and plan; only
// registry imports the dialects.
package engine
