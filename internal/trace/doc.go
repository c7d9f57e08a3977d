// Package trace answers probes (may this peer reach that pod on this port, or the pod the
// peer?) against policy objects read back by the engines' readers, each evaluated the way
// the network plugin that enforces it would: the NetworkPolicy API's own semantics,
// Cilium's, or Calico's, with ClusterNetworkPolicy's tiers around them. Each file says
// whose semantics it follows and from which source; what a verdict depends on that trace
// does not evaluate makes the verdict an error, never a guess.
//
// It may import every stage before it: findings, manifest, config, discover, plan, engine
// and the engines' registry.
package trace
