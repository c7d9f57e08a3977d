package verdict

import "github.com/helm-netpol/helm-netpol/oracle/probe"

// The probe contract is the shared one of oracle/probe, so that one probe file asks every
// oracle.
type (
	// Pod is a pod as policy sees it.
	Pod = probe.Pod
	// NamedPort is a declared container port.
	NamedPort = probe.NamedPort
	// Peer is the other end of a probe.
	Peer = probe.Peer
	// Entity is a peer without pod labels.
	Entity = probe.Entity
	// Direction says which side of the workload the probe crosses.
	Direction = probe.Direction
	// Probe asks whether one connection is allowed by the workload's policy.
	Probe = probe.Probe
	// Verdict is the answer to a probe.
	Verdict = probe.Verdict
)

// The entities and directions of a probe.
const (
	EntityKubeAPIServer  = probe.EntityKubeAPIServer
	EntityHost           = probe.EntityHost
	EntityRemoteNode     = probe.EntityRemoteNode
	EntityWorld          = probe.EntityWorld
	EntityKubeDNSService = probe.EntityKubeDNSService
	Ingress              = probe.Ingress
	Egress               = probe.Egress
)
