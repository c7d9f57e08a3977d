// Package lint reports what is wrong with a plan: rules that would cut a workload off
// (DNS, the apiserver, a webhook), selectors that reach other workloads, chart policies
// that would widen an allowlist, knobs that do nothing. It never plans or edits.
//
// It may import findings, manifest, config, discover and plan.
package lint
