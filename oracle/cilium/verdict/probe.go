package verdict

import (
	"fmt"
	"net/netip"
	"strings"
)

// Pod is a pod as policy sees it: its namespace, its labels and its
// namespace's labels.
type Pod struct {
	Namespace string            `json:"namespace"`
	Labels    map[string]string `json:"labels,omitempty"`
	// NamespaceLabels are the labels of the pod's namespace. The API server
	// always sets kubernetes.io/metadata.name; it is added when missing.
	NamespaceLabels map[string]string `json:"namespaceLabels,omitempty"`
	// Ports are the pod's declared container ports. Those of the probe's workload
	// resolve the named ports of its ingress rules, as the agent resolves them
	// against the endpoint's own pod (PolicyOwner.GetIngressNamedPort).
	Ports []NamedPort `json:"ports,omitempty"`
}

// NamedPort is a declared container port; Protocol is TCP when empty.
type NamedPort struct {
	Name     string `json:"name"`
	Port     int32  `json:"port"`
	Protocol string `json:"protocol,omitempty"`
}

// Peer is the other end of a probe. Exactly one of Pod, IP and Entity is its
// kind; an Entity or a Pod may carry its address in IP as well.
type Peer struct {
	Pod    *Pod   `json:"pod,omitempty"`
	IP     string `json:"ip,omitempty"`
	Entity Entity `json:"entity,omitempty"`
}

// Entity is a peer without pod labels, named as the probe contract names it.
type Entity string

// The entities a probe may name.
const (
	// EntityKubeAPIServer is the kube-apiserver on the host network of a
	// control-plane node other than the workload's.
	EntityKubeAPIServer Entity = "kube-apiserver"
	// EntityHost is the node the workload's pod runs on.
	EntityHost Entity = "host"
	// EntityRemoteNode is another node of the cluster.
	EntityRemoteNode Entity = "remote-node"
	// EntityWorld is an address outside the cluster; with IP, that address.
	EntityWorld Entity = "world"
	// EntityKubeDNSService is the kube-dns Service address (or, with IP,
	// another address such as 169.254.20.10) answered by node-local-dns on
	// the workload's node: Cilium sees the host.
	EntityKubeDNSService Entity = "kube-dns-service"
)

var entities = []Entity{EntityKubeAPIServer, EntityHost, EntityRemoteNode, EntityWorld, EntityKubeDNSService}

// Direction says which side of the workload the probe crosses.
type Direction string

// The directions of a probe.
const (
	// Ingress is a connection from the peer to the workload's pod.
	Ingress Direction = "ingress"
	// Egress is a connection from the workload's pod to the peer.
	Egress Direction = "egress"
)

// Probe asks whether one connection is allowed by the workload's policy in
// the probe's direction.
type Probe struct {
	Direction Direction `json:"direction"`
	Workload  Pod       `json:"workload"`
	Peer      Peer      `json:"peer"`
	Port      int       `json:"port"`
	Protocol  string    `json:"protocol"`
}

// Verdict is the answer to a probe.
type Verdict struct {
	Allowed bool   `json:"allowed"`
	Reason  string `json:"reason"`
}

// String names the probe in errors and test output.
func (p Probe) String() string {
	return fmt.Sprintf("%s %s %s %d/%s", p.Direction, podString(p.Workload), p.Peer, p.Port, p.Protocol)
}

func (p Peer) String() string {
	var parts []string
	if p.Pod != nil {
		parts = append(parts, "pod "+podString(*p.Pod))
	}
	if p.Entity != "" {
		parts = append(parts, "entity "+string(p.Entity))
	}
	if p.IP != "" {
		parts = append(parts, "ip "+p.IP)
	}
	return strings.Join(parts, " ")
}

func podString(p Pod) string {
	keys := sortedKeys(p.Labels)
	var b strings.Builder
	b.WriteString(p.Namespace)
	b.WriteString("{")
	for i, k := range keys {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(k + "=" + p.Labels[k])
	}
	b.WriteString("}")
	return b.String()
}

func (p Probe) validate() error {
	if p.Direction != Ingress && p.Direction != Egress {
		return fmt.Errorf("direction %q: must be one of ingress, egress", p.Direction)
	}
	if p.Workload.Namespace == "" {
		return fmt.Errorf("workload: namespace is empty")
	}
	if p.Port < 1 || p.Port > 65535 {
		return fmt.Errorf("port %d: must be 1..65535", p.Port)
	}
	switch p.Protocol {
	case "TCP", "UDP", "SCTP":
	default:
		return fmt.Errorf("protocol %q: must be one of TCP, UDP, SCTP", p.Protocol)
	}
	kinds := 0
	if p.Peer.Pod != nil {
		kinds++
		if p.Peer.Pod.Namespace == "" {
			return fmt.Errorf("peer pod: namespace is empty")
		}
	}
	if p.Peer.Entity != "" {
		kinds++
		known := false
		for _, e := range entities {
			known = known || e == p.Peer.Entity
		}
		if !known {
			return fmt.Errorf("peer entity %q: must be one of %s", p.Peer.Entity, entityList())
		}
	}
	if p.Peer.IP != "" {
		if _, err := netip.ParseAddr(p.Peer.IP); err != nil {
			return fmt.Errorf("peer ip: %w", err)
		}
		if kinds == 0 {
			kinds++
		}
	}
	if kinds != 1 {
		return fmt.Errorf("peer: exactly one of pod, ip, entity must be set")
	}
	return nil
}

func entityList() string {
	names := make([]string, len(entities))
	for i, e := range entities {
		names[i] = string(e)
	}
	return strings.Join(names, ", ")
}
