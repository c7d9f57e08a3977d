package trace

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
)

// Probe asks whether one connection is allowed: from the peer to the workload's pod
// (ingress) or from the pod to the peer (egress), on a port and protocol. Only the
// workload's side is judged: an ingress probe from a pod does not consult that pod's
// egress policies. Its JSON names are shared with the oracles; Kind, Name and Ports are
// this tool's additions.
type Probe struct {
	Direction string `json:"direction"`
	Workload  Pod    `json:"workload"`
	Peer      Peer   `json:"peer"`
	Port      int    `json:"port"`
	Protocol  string `json:"protocol"`
}

// Pod is a pod as policies see it: its namespace, its labels and its namespace's labels
// (kubernetes.io/metadata.name is added when missing, as the API server sets it).
type Pod struct {
	Namespace       string            `json:"namespace"`
	Labels          map[string]string `json:"labels,omitempty"`
	NamespaceLabels map[string]string `json:"namespaceLabels,omitempty"`
	// Kind and Name name a workload of the stream instead (the probe's workload only): its
	// pods' labels, namespace and declared ports are taken from the stream.
	Kind string `json:"kind,omitempty"`
	Name string `json:"name,omitempty"`
	// Ports are the pod's declared ports, which rules naming a port resolve against. For
	// the workload they default to those of the stream's workload whose pods these are.
	Ports []NamedPort `json:"ports,omitempty"`
}

// NamedPort is a declared container port.
type NamedPort struct {
	Name     string `json:"name"`
	Port     int32  `json:"port"`
	Protocol string `json:"protocol,omitempty"`
}

// Peer is the other end of a probe: a pod, an address, or an entity (with its address
// where the policy dialect matches it by address). A pod without an address is taken to
// have an IPv4 address that no CIDR a policy names contains, except 0.0.0.0/0; so is the
// world entity without one.
type Peer struct {
	Pod    *Pod   `json:"pod,omitempty"`
	IP     string `json:"ip,omitempty"`
	Entity string `json:"entity,omitempty"`
}

// The entities a peer may be.
const (
	// EntityKubeAPIServer is the kube-apiserver on the host network of a control-plane
	// node (not the workload's).
	EntityKubeAPIServer = "kube-apiserver"
	// EntityHost is the node the workload's pod runs on (the kubelet, host-network pods).
	EntityHost = "host"
	// EntityRemoteNode is another node of the cluster.
	EntityRemoteNode = "remote-node"
	// EntityWorld is an address outside the cluster.
	EntityWorld = "world"
	// EntityKubeDNSService is node-local-dns answering on the workload's node (on the
	// kube-dns Service address or 169.254.20.10): the host, to Cilium.
	EntityKubeDNSService = "kube-dns-service"
)

// Entities lists the entities a peer may be.
var Entities = []string{EntityKubeAPIServer, EntityHost, EntityRemoteNode, EntityWorld, EntityKubeDNSService}

// Verdict answers a probe: allowed or not, and why; Object and Rule name what decided it.
// Error is set, and Allowed false, when the verdict depends on something trace does not
// evaluate (an unsupported construct, a port name or address it was not given): it says
// what, and never guesses.
type Verdict struct {
	Allowed bool   `json:"allowed"`
	Reason  string `json:"reason"`
	Object  string `json:"object,omitempty"`
	Rule    string `json:"rule,omitempty"`
	Error   string `json:"error,omitempty"`
}

// Validate checks a probe's shape: its direction, port and protocol, one kind of peer.
func (p *Probe) Validate() error {
	if p.Direction != "ingress" && p.Direction != "egress" {
		return fmt.Errorf("direction %q: must be one of ingress, egress", p.Direction)
	}
	if p.Port < 1 || p.Port > 65535 {
		return fmt.Errorf("port %d: must be 1..65535", p.Port)
	}
	switch strings.ToUpper(p.Protocol) {
	case "TCP", "UDP", "SCTP":
	default:
		return fmt.Errorf("protocol %q: must be one of TCP, UDP, SCTP", p.Protocol)
	}
	if (p.Workload.Kind == "") != (p.Workload.Name == "") {
		return fmt.Errorf("workload: kind and name go together")
	}
	kinds := 0
	if p.Peer.Pod != nil {
		kinds++
	}
	if p.Peer.Entity != "" {
		kinds++
		known := false
		for _, e := range Entities {
			known = known || e == p.Peer.Entity
		}
		if !known {
			return fmt.Errorf("peer entity %q: must be one of %s", p.Peer.Entity, strings.Join(Entities, ", "))
		}
	}
	if p.Peer.IP != "" {
		if _, err := netip.ParseAddr(p.Peer.IP); err != nil {
			return fmt.Errorf("peer ip %q: %v", p.Peer.IP, err)
		}
	}
	if kinds > 1 || kinds == 0 && p.Peer.IP == "" {
		return fmt.Errorf("peer: set exactly one of pod, entity (each may carry ip), or ip alone")
	}
	return nil
}

// String names a probe in messages: "ingress ns/{app=web} <- pod monitoring/{...} 9443/TCP".
func (p Probe) String() string {
	arrow := "<-"
	if p.Direction == "egress" {
		arrow = "->"
	}
	return fmt.Sprintf("%s %s %s %s %d/%s", p.Direction, p.Workload, arrow, p.Peer, p.Port, p.Protocol)
}

func (p Pod) String() string {
	if p.Kind != "" {
		return strings.TrimPrefix(p.Namespace+"/", "/") + p.Kind + "/" + p.Name
	}
	keys := make([]string, 0, len(p.Labels))
	for k := range p.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		keys[i] = k + "=" + p.Labels[k]
	}
	return p.Namespace + "/{" + strings.Join(keys, ",") + "}"
}

func (p Peer) String() string {
	var parts []string
	if p.Pod != nil {
		parts = append(parts, "pod "+p.Pod.String())
	}
	if p.Entity != "" {
		parts = append(parts, "entity "+p.Entity)
	}
	if p.IP != "" {
		parts = append(parts, "ip "+p.IP)
	}
	return strings.Join(parts, " ")
}
