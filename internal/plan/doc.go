// Package plan turns what discovery found and each workload's config into
// engine-agnostic policies (Policy, Rule): which workloads are covered, their
// allowlists, egress, the namespace default-denies, and rewrites of chart policies.
//
// It may import findings, manifest, config and discover.
package plan
