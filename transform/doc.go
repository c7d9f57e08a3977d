// Package transform turns a chart's rendered manifest stream into the same stream plus the
// network policies its config annotation asks for.
//
// The flow reads like a small compiler:
//
//	stream (ReadStream) -> discover (workloads, ports, webhooks, chart policies)
//	-> plan (engine-agnostic policies) -> render (one file per dialect) -> merge into the stream
//
// Inject is the kio.Filter that runs the middle steps on kyaml nodes; Stream keeps every
// document's original bytes so that documents the filter does not touch leave byte for byte
// as they came in.
package transform
