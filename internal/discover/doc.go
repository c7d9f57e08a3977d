// Package discover reads what the stream says about traffic: workloads and their pods'
// labels and ports, Services, webhooks and the Services they call, the chart's own
// NetworkPolicies, and which role ports (webhook, metrics, gate, other) each workload
// opens under its config. Lookups within a namespace go through a label index.
//
// It may import findings, yamlfast, manifest and config.
package discover
