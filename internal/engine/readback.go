package engine

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/helm-netpol/helm-netpol/internal/config"
	"github.com/helm-netpol/helm-netpol/internal/manifest"
	"github.com/helm-netpol/helm-netpol/internal/plan"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Object is a rendered policy object read back in its own dialect: who it selects, how it
// isolates them, and its rules with structured peers and ports. Report writes prose from
// it; trace evaluates it. Each dialect's folder has the Read that makes one.
type Object struct {
	// ID names the object as messages do: "networking.k8s.io/v1 NetworkPolicy ns/name".
	ID      string        `json:"object"`
	Dialect config.Engine `json:"dialect"`
	Kind    string        `json:"kind"`
	Name    string        `json:"name"`
	// Namespace is metadata.namespace as written: "" for a cluster-scoped object, or for a
	// namespaced one that takes the release namespace.
	Namespace     string `json:"namespace,omitempty"`
	ClusterScoped bool   `json:"clusterScoped,omitempty"`
	// GeneratedFor is the helm-netpol.io/generated-for annotation; "" on a chart's policy.
	GeneratedFor string `json:"generatedFor,omitempty"`
	// Staged marks Calico's staged kinds, which are evaluated but never enforced.
	Staged  bool    `json:"staged,omitempty"`
	Subject Subject `json:"subject"`
	// IngressIsolated and EgressIsolated say whether the pods the object selects are put into
	// default deny for that direction (policyTypes, Calico types, Cilium's default deny).
	// A ClusterNetworkPolicy never isolates: its rules decide or pass.
	IngressIsolated bool `json:"ingressIsolated"`
	EgressIsolated  bool `json:"egressIsolated"`
	// Tier is Calico's tier or ClusterNetworkPolicy's (Admin, Baseline).
	Tier string `json:"tier,omitempty"`
	// Order is Calico's order (nil: last); Priority ClusterNetworkPolicy's (lower first).
	Order    *float64 `json:"order,omitempty"`
	Priority *int32   `json:"priority,omitempty"`
	// DefaultDeny says the object is a default-deny: it selects every pod of its namespaces
	// and allows nothing in the directions it governs.
	DefaultDeny bool   `json:"defaultDeny,omitempty"`
	Ingress     []Rule `json:"ingress,omitempty"`
	Egress      []Rule `json:"egress,omitempty"`
	// Unsupported lists what the object says that no evaluator reads (a kind, a field).
	Unsupported []string `json:"unsupported,omitempty"`
}

// Subject is who an object selects. The fields set depend on the dialect: a label
// selector of pods (Kubernetes podSelector; Cilium endpointSelector, in Cilium's label
// keys; ClusterNetworkPolicy subject.pods.podSelector), a namespace selector
// (ClusterNetworkPolicy), or a Calico selector expression.
type Subject struct {
	Pods       *metav1.LabelSelector `json:"pods,omitempty"`
	Namespaces *metav1.LabelSelector `json:"namespaces,omitempty"`
	Selector   string                `json:"selector,omitempty"`
	// Expr is Selector parsed; nil when it is not Calico or did not parse (see Unsupported).
	Expr Expr `json:"-"`
}

// Rule is one rule of an object.
type Rule struct {
	Direction plan.Direction `json:"direction"`
	// List is the field the rule is in ("ingress", "ingressDeny"), Index its place there.
	List  string `json:"list"`
	Index int    `json:"index"`
	// Action is the dialect's own word: Allow (Kubernetes, Cilium, Calico), Accept
	// (ClusterNetworkPolicy), Deny, Pass, Log (Calico).
	Action string `json:"action"`
	// Origin is the config key the rule comes from, where helm-netpol wrote it down.
	Origin string `json:"origin,omitempty"`
	// Ports the rule matches; empty: every port of every protocol.
	Ports []Port `json:"ports,omitempty"`
	// Peers the rule matches, any of them. AnyPeer says it matches every peer (a rule
	// without from/to, a Cilium rule with ports and no peer); with neither, it matches none.
	Peers   []Peer `json:"peers,omitempty"`
	AnyPeer bool   `json:"anyPeer,omitempty"`
	// IPVersion limits a Calico rule to one family (4 or 6); 0: both.
	IPVersion int `json:"ipVersion,omitempty"`
	// Unsupported lists what the rule says that no evaluator reads.
	Unsupported []string `json:"unsupported,omitempty"`
}

// Name is the rule's place and origin, as report and trace show it: "ingress[0]
// networkPolicy.webhook".
func (r *Rule) Name() string {
	s := fmt.Sprintf("%s[%d]", r.List, r.Index)
	if r.Origin != "" {
		s += " " + r.Origin
	}
	return s
}

// Port is a port a rule matches. Protocol is TCP, UDP or SCTP; ANY (Cilium) or "" (no
// protocol: Calico, a ClusterNetworkPolicy named port) match every protocol. Port 0 is
// every port; EndPort closes a range; Name is a named port, resolved on the destination.
type Port struct {
	Protocol string `json:"protocol,omitempty"`
	Port     int32  `json:"port,omitempty"`
	EndPort  int32  `json:"endPort,omitempty"`
	Name     string `json:"name,omitempty"`
	// L7 holds the L7 rules a Cilium port carries, as JSON: the proxy filters what L4 lets
	// through.
	L7 string `json:"l7,omitempty"`
}

// PeerKind tells the fields of a Peer that say what it matches.
type PeerKind string

const (
	// PeerPods: the pods Pods selects in the namespaces Namespaces selects; Namespaces nil is
	// the policy's own namespace (Kubernetes podSelector alone).
	PeerPods PeerKind = "pods"
	// PeerNamespaces: every pod of the namespaces Namespaces selects ({}: all).
	PeerNamespaces PeerKind = "namespaces"
	// PeerCIDR: the addresses in CIDR, except those in Except.
	PeerCIDR PeerKind = "cidr"
	// PeerEndpoints: a Cilium endpoint selector, in Cilium's label keys.
	PeerEndpoints PeerKind = "endpoints"
	// PeerEntity: a Cilium entity (all, world, cluster, host, remote-node, kube-apiserver...).
	PeerEntity PeerKind = "entity"
	// PeerFQDN: a DNS name (Cilium toFQDNs; ClusterNetworkPolicy domainNames).
	PeerFQDN PeerKind = "fqdn"
	// PeerService: a Service (Cilium toServices, Calico services).
	PeerService PeerKind = "service"
	// PeerCalico: a Calico entity rule: Selector, NamespaceSelector, Nets and NotNets, all of
	// which must match.
	PeerCalico PeerKind = "calico"
	// PeerNodes: ClusterNetworkPolicy nodes (node labels).
	PeerNodes PeerKind = "nodes"
	// PeerOther: a peer no field above says; Raw holds it.
	PeerOther PeerKind = "other"
)

// Peer is one peer of a rule.
type Peer struct {
	Kind       PeerKind              `json:"kind"`
	Pods       *metav1.LabelSelector `json:"pods,omitempty"`
	Namespaces *metav1.LabelSelector `json:"namespaces,omitempty"`
	Endpoints  *metav1.LabelSelector `json:"endpoints,omitempty"`
	Nodes      *metav1.LabelSelector `json:"nodes,omitempty"`
	CIDR       string                `json:"cidr,omitempty"`
	Except     []string              `json:"except,omitempty"`
	Entity     string                `json:"entity,omitempty"`
	// FQDN is a name, or a pattern when Pattern is set.
	FQDN    string   `json:"fqdn,omitempty"`
	Pattern bool     `json:"pattern,omitempty"`
	Service *Service `json:"service,omitempty"`
	// Selector and NamespaceSelector are Calico selector expressions; SelectorExpr and
	// NamespaceExpr are them parsed (nil when absent or unparsed).
	Selector          string   `json:"selector,omitempty"`
	NamespaceSelector string   `json:"namespaceSelector,omitempty"`
	SelectorExpr      Expr     `json:"-"`
	NamespaceExpr     Expr     `json:"-"`
	Nets              []string `json:"nets,omitempty"`
	NotNets           []string `json:"notNets,omitempty"`
	// Raw is the peer as written (JSON), where the fields above do not say all of it.
	Raw string `json:"raw,omitempty"`
}

// Service names a Service.
type Service struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}

// Expr is a parsed selector expression (Calico's), evaluated on a set of labels.
type Expr interface {
	Matches(labels map[string]string) bool
	String() string
}

// NewObject starts the read-back of an object: its identity and provenance.
func NewObject(o *manifest.Object, dialect config.Engine) *Object {
	return &Object{
		ID:           o.ID(),
		Dialect:      dialect,
		Kind:         o.Kind,
		Name:         o.Name,
		Namespace:    o.Namespace,
		GeneratedFor: o.Node.GetAnnotations()[manifest.AnnotationGeneratedFor],
	}
}

// Rules returns the object's rules of a direction.
func (o *Object) Rules(dir plan.Direction) []Rule {
	if dir == plan.Egress {
		return o.Egress
	}
	return o.Ingress
}

// Isolates says whether the object isolates the pods it selects in a direction.
func (o *Object) Isolates(dir plan.Direction) bool {
	if dir == plan.Egress {
		return o.EgressIsolated
	}
	return o.IngressIsolated
}

// JSONOf decodes a node's object as JSON values, for the readers.
func JSONOf(o *manifest.Object) (map[string]any, error) {
	raw, err := manifest.NodeJSON(o.Node)
	if err != nil {
		return nil, err
	}
	var obj map[string]any
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, err
	}
	return obj, nil
}

// RuleOrigins reads the AnnotationRuleOrigins annotation: "ingress[0]" -> config key.
func RuleOriginsOf(o *manifest.Object) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(o.Node.GetAnnotations()[manifest.AnnotationRuleOrigins], "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok {
			out[k] = v
		}
	}
	return out
}

// Maps returns a JSON list as its maps; an element that is not a map reads as {}.
func Maps(v any) []map[string]any {
	list, _ := v.([]any)
	out := make([]map[string]any, 0, len(list))
	for _, e := range list {
		m, _ := e.(map[string]any)
		if m == nil {
			m = map[string]any{}
		}
		out = append(out, m)
	}
	return out
}

// Map returns a JSON value as a map, nil when it is none.
func Map(v any) map[string]any { m, _ := v.(map[string]any); return m }

// List returns a JSON value as a list, nil when it is none.
func List(v any) []any { l, _ := v.([]any); return l }

// Str writes a JSON value as text: a string as it is, a number in its shortest form, nil
// as "", anything else as JSON.
func Str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// Strings returns a JSON list of scalars as strings.
func Strings(v any) []string {
	var out []string
	for _, e := range List(v) {
		out = append(out, Str(e))
	}
	return out
}

// Selector decodes a JSON label selector; nil when v is nil.
func Selector(v any) (*metav1.LabelSelector, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var s metav1.LabelSelector
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, err
	}
	return &s, nil
}

// UnknownKeys lists the keys of m that known does not hold, sorted, each as where.key.
func UnknownKeys(m map[string]any, where string, known ...string) []string {
	var out []string
	for k := range m {
		found := false
		for _, kk := range known {
			found = found || k == kk
		}
		if !found {
			out = append(out, where+"."+k)
		}
	}
	sort.Strings(out)
	return out
}

// Int32 reads a JSON number (or numeric string) as an int32.
func Int32(v any) (int32, bool) {
	switch x := v.(type) {
	case float64:
		if x == float64(int32(x)) {
			return int32(x), true
		}
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 32)
		if err == nil {
			return int32(n), true
		}
	}
	return 0, false
}
