// Package engine holds what the dialects share: the Renderer signature, numeric ports,
// rule provenance, "anywhere" CIDRs, and the read-back model (Object, Rule, Peer, Port)
// that each dialect's Read fills from a rendered object, for report and trace. Each
// dialect lives in a folder of its own below (kubernetes, cilium, calico,
// clusternetworkpolicy) and both renders a plan and reads its objects back; registry maps
// engine names and API groups to them.
//
// It and its dialects may import findings, manifest, config, discover and plan; only
// registry imports the dialects.
package engine
