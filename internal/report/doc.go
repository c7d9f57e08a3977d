// Package report writes what rendered policy objects allow, as the engines' readers read
// them back, as a traffic matrix per workload (direction, port, peers in prose and
// structured, the object and rule that allows it) in Markdown, JSON or Mermaid.
//
// It may import every stage before it: findings, manifest, config, discover, plan, engine
// and the engines' registry.
package report
