// Package probe is what the oracles share: the probe contract (a connection to or from a
// workload's pod, asked of an engine's verdict, and the verdict that answers it), the
// verdict commands' request and response and their Serve (oracle/cilium's ciliumverdict
// and oracle/calico's calicoverdict read the same JSON), and the catalogue's pieces that
// do not depend on an engine (SplitYAML, CIDREdges, EditConfigs); package golden reads a
// golden fixture's workloads for the fixture tests. It is a module of its own, whose one
// dependency is sigs.k8s.io/yaml, so that every oracle module can use it without taking on
// another's.
package probe

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
)

// Pod is a pod as policy sees it.
type Pod struct {
	Namespace string            `json:"namespace"`
	Labels    map[string]string `json:"labels,omitempty"`
	// NamespaceLabels are the labels of the pod's namespace. The API server always sets
	// kubernetes.io/metadata.name; the oracles add it when missing.
	NamespaceLabels map[string]string `json:"namespaceLabels,omitempty"`
	// ServiceAccount is the pod's service account name, where a policy selects by it
	// (Calico). Cilium's identities do not hold it.
	ServiceAccount string `json:"serviceAccount,omitempty"`
	// IP is the pod's address, where a rule names addresses (Calico's nets). Cilium
	// matches a pod by its labels only.
	IP string `json:"ip,omitempty"`
	// Ports are the pod's declared container ports. Those of the probe's workload resolve
	// the named ports of its rules.
	Ports []NamedPort `json:"ports,omitempty"`
}

// NamedPort is a declared container port; Protocol is TCP when empty.
type NamedPort struct {
	Name     string `json:"name"`
	Port     int32  `json:"port"`
	Protocol string `json:"protocol,omitempty"`
}

// Peer is the other end of a probe. Exactly one of Pod, IP and Entity is its kind; an
// Entity or a Pod may carry its address in IP as well.
type Peer struct {
	Pod    *Pod   `json:"pod,omitempty"`
	IP     string `json:"ip,omitempty"`
	Entity Entity `json:"entity,omitempty"`
}

// Entity is a peer without pod labels.
type Entity string

// The entities a probe may name.
const (
	// EntityKubeAPIServer is the kube-apiserver on the host network of a control-plane
	// node other than the workload's: the endpoint of Service default/kubernetes.
	EntityKubeAPIServer Entity = "kube-apiserver"
	// EntityHost is the node the workload's pod runs on.
	EntityHost Entity = "host"
	// EntityRemoteNode is another node of the cluster.
	EntityRemoteNode Entity = "remote-node"
	// EntityWorld is an address outside the cluster; with IP, that address.
	EntityWorld Entity = "world"
	// EntityKubeDNSService is the kube-dns Service address (or, with IP, another address
	// such as 169.254.20.10) answered by node-local-dns on the workload's node: an address
	// of the host.
	EntityKubeDNSService Entity = "kube-dns-service"
)

// Entities are the entities a probe may name, in the order errors list them.
var Entities = []Entity{EntityKubeAPIServer, EntityHost, EntityRemoteNode, EntityWorld, EntityKubeDNSService}

// Direction says which side of the workload the probe crosses.
type Direction string

// The directions of a probe.
const (
	// Ingress is a connection from the peer to the workload's pod.
	Ingress Direction = "ingress"
	// Egress is a connection from the workload's pod to the peer.
	Egress Direction = "egress"
)

// Probe asks whether one connection is allowed by the workload's policy in the probe's
// direction (the peer's own policy is not judged).
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
	return fmt.Sprintf("%s %s %s %d/%s", p.Direction, p.Workload, p.Peer, p.Port, p.Protocol)
}

// String names the peer in errors and test output.
func (p Peer) String() string {
	var parts []string
	if p.Pod != nil {
		parts = append(parts, "pod "+p.Pod.String())
	}
	if p.Entity != "" {
		parts = append(parts, "entity "+string(p.Entity))
	}
	if p.IP != "" {
		parts = append(parts, "ip "+p.IP)
	}
	return strings.Join(parts, " ")
}

// String names the pod by its namespace and labels.
func (p Pod) String() string {
	var b strings.Builder
	b.WriteString(p.Namespace)
	b.WriteString("{")
	for i, k := range slices.Sorted(maps.Keys(p.Labels)) {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(k + "=" + p.Labels[k])
	}
	b.WriteString("}")
	return b.String()
}

// Protocols are the protocols a probe may carry, with their IP protocol numbers (a Calico
// rule may name a protocol by number).
var Protocols = map[string]int{"TCP": 6, "UDP": 17, "SCTP": 132}

// Validate says what is wrong with the probe, if anything.
func (p Probe) Validate() error {
	if p.Direction != Ingress && p.Direction != Egress {
		return fmt.Errorf("direction %q: must be one of ingress, egress", p.Direction)
	}
	if err := p.Workload.validate("workload"); err != nil {
		return err
	}
	if p.Port < 1 || p.Port > 65535 {
		return fmt.Errorf("port %d: must be 1..65535", p.Port)
	}
	if _, ok := Protocols[p.Protocol]; !ok {
		return fmt.Errorf("protocol %q: must be one of TCP, UDP, SCTP", p.Protocol)
	}
	return p.Peer.validate()
}

func (p Peer) validate() error {
	kinds := 0
	if p.Pod != nil {
		kinds++
		if err := p.Pod.validate("peer pod"); err != nil {
			return err
		}
	}
	if p.Entity != "" {
		kinds++
		if !slices.Contains(Entities, p.Entity) {
			names := make([]string, len(Entities))
			for i, e := range Entities {
				names[i] = string(e)
			}
			return fmt.Errorf("peer entity %q: must be one of %s", p.Entity, strings.Join(names, ", "))
		}
	}
	if p.IP != "" {
		if _, err := netip.ParseAddr(p.IP); err != nil {
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
		if _, ok := Protocols[np.Protocol]; !ok && np.Protocol != "" {
			return fmt.Errorf("%s: named port %q: protocol %q", what, np.Name, np.Protocol)
		}
	}
	return nil
}
