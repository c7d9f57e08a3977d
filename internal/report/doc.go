// Package report reads rendered policy objects back, in their own dialect, into a
// traffic matrix per workload (direction, port, peers, the object that allows it) and
// writes it as Markdown, JSON or Mermaid.
//
// It may import every stage before it: findings, manifest, config, discover, plan and
// engine.
package report
