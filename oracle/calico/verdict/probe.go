package verdict

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// The probe contract is oracle/cilium/verdict's, so that one probe file asks
// both oracles; Calico needs two optional fields more on a pod: its address
// (for nets rules) and its named ports (for a rule naming a port).

// Pod is a pod as policy sees it.
type Pod struct {
	Namespace string            `json:"namespace"`
	Labels    map[string]string `json:"labels,omitempty"`
	// NamespaceLabels are the labels of the pod's namespace. The API server
	// always sets kubernetes.io/metadata.name; it is added when missing.
	NamespaceLabels map[string]string `json:"namespaceLabels,omitempty"`
	// ServiceAccount is the pod's service account name, if it matters.
	ServiceAccount string `json:"serviceAccount,omitempty"`
	// IP is the pod's address. Needed only where a rule names nets.
	IP string `json:"ip,omitempty"`
	// Ports are the pod's named container ports. Needed only where a rule
	// names a port by name.
	Ports []NamedPort `json:"ports,omitempty"`
}

// NamedPort is a container port with a name.
type NamedPort struct {
	Name     string `json:"name"`
	Port     int    `json:"port"`
	Protocol string `json:"protocol,omitempty"` // TCP when empty
}

// Peer is the other end of a probe. Exactly one of Pod, IP and Entity is its
// kind; an Entity or a Pod may carry its address in IP as well.
type Peer struct {
	Pod    *Pod   `json:"pod,omitempty"`
	IP     string `json:"ip,omitempty"`
	Entity Entity `json:"entity,omitempty"`
}

// Entity is a peer without pod labels, named as the probe contract names it.
// On Calico every entity is an address without a workload endpoint (no
// selector matches it; nets do, by its IP); the kube-apiserver is besides
// the endpoint of the default/kubernetes Service.
type Entity string

// The entities a probe may name.
const (
	// EntityKubeAPIServer is the kube-apiserver on the host network of a
	// control-plane node: the endpoint of Service default/kubernetes.
	EntityKubeAPIServer Entity = "kube-apiserver"
	// EntityHost is the node the workload's pod runs on.
	EntityHost Entity = "host"
	// EntityRemoteNode is another node of the cluster.
	EntityRemoteNode Entity = "remote-node"
	// EntityWorld is an address outside the cluster.
	EntityWorld Entity = "world"
	// EntityKubeDNSService is an address node-local-dns answers on the node
	// (169.254.20.10 or the kube-dns ClusterIP): on Calico, a host address.
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
// the probe's direction (the peer's own policy is not judged).
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
	var b strings.Builder
	b.WriteString(p.Namespace)
	b.WriteString("{")
	for i, k := range sortedKeys(p.Labels) {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(k + "=" + p.Labels[k])
	}
	b.WriteString("}")
	return b.String()
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (p Probe) validate() error {
	if p.Direction != Ingress && p.Direction != Egress {
		return fmt.Errorf("direction %q: must be one of ingress, egress", p.Direction)
	}
	if err := p.Workload.validate("workload"); err != nil {
		return err
	}
	if p.Port < 1 || p.Port > 65535 {
		return fmt.Errorf("port %d: must be 1..65535", p.Port)
	}
	if _, ok := protocolNumbers[p.Protocol]; !ok || p.Protocol != strings.ToUpper(p.Protocol) {
		return fmt.Errorf("protocol %q: must be one of TCP, UDP, SCTP", p.Protocol)
	}
	kinds := 0
	if p.Peer.Pod != nil {
		kinds++
		if err := p.Peer.Pod.validate("peer pod"); err != nil {
			return err
		}
	}
	if p.Peer.Entity != "" {
		kinds++
		if !slices.Contains(entities, p.Peer.Entity) {
			names := make([]string, len(entities))
			for i, e := range entities {
				names[i] = string(e)
			}
			return fmt.Errorf("peer entity %q: must be one of %s", p.Peer.Entity, strings.Join(names, ", "))
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

func (p Pod) validate(what string) error {
	if p.Namespace == "" {
		return fmt.Errorf("%s: namespace is empty", what)
	}
	if p.IP != "" {
		if _, err := netip.ParseAddr(p.IP); err != nil {
			return fmt.Errorf("%s ip: %w", what, err)
		}
	}
	for _, np := range p.Ports {
		if np.Name == "" || np.Port < 1 || np.Port > 65535 {
			return fmt.Errorf("%s: named port %q %d: want a name and a port 1..65535", what, np.Name, np.Port)
		}
		if _, ok := protocolNumbers[np.Protocol]; !ok && np.Protocol != "" {
			return fmt.Errorf("%s: named port %q: protocol %q", what, np.Name, np.Protocol)
		}
	}
	return nil
}

// protocolNumbers are the protocols a probe may carry, by name, with their
// IP protocol numbers (a Calico rule may name a protocol by number).
var protocolNumbers = map[string]int{"TCP": 6, "UDP": 17, "SCTP": 132}
