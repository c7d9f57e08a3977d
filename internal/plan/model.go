package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/helm-netpol/helm-netpol/internal/config"
	"github.com/helm-netpol/helm-netpol/internal/discover"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Direction is the way traffic flows, seen from the pods a policy selects.
type Direction string

const (
	Ingress Direction = "ingress"
	Egress  Direction = "egress"
)

// Closing says how a policy's rules end in a dialect whose rules do not isolate the pods
// by themselves (ClusterNetworkPolicy); the other dialects ignore it.
type Closing int

const (
	// CloseWithDeny ends the rules with Deny rules: the policy isolates its pods.
	CloseWithDeny Closing = iota
	// FallThrough has the Accept rules only: what they do not accept goes on to the
	// policies of lower precedence.
	FallThrough
	// DenyOnly has the closing Deny rules only.
	DenyOnly
)

// Rule is one engine-agnostic allow rule: traffic on Ports (all ports when empty) from or
// to Peers (anywhere when empty, unless Apiserver is set).
type Rule struct {
	// Origin is the config key the rule comes from, for provenance and the report.
	Origin string
	Ports  []networkingv1.NetworkPolicyPort
	Peers  []networkingv1.NetworkPolicyPeer
	// Apiserver marks the rule that reaches the kube-apiserver through the engine's own
	// construct (Cilium entity, Calico service match) instead of Peers.
	Apiserver bool
	// DNS marks the cluster DNS rule (Cilium adds its DNS proxy rule to it).
	DNS bool
	// FromApiserver says the peers are meant to include the kube-apiserver (a webhook's
	// caller): engines that name it (Cilium's entity kube-apiserver) add it, since the
	// apiserver runs on the host network where CIDR rules do not reach it.
	FromApiserver bool
	// NodeLocal says the rule's ipBlocks are addresses the node itself answers on
	// (node-local DNS): engines whose CIDR rules never match the node (Cilium) reach
	// them as the node instead.
	NodeLocal bool
}

// Policy is one policy to render, in no engine's dialect yet.
type Policy struct {
	Name      string
	Namespace string
	// For is the provenance: the object the policy is generated for.
	For string
	// Engine is the dialect to render.
	Engine config.Engine
	// Staged renders the engine's staged kind (networkPolicy.staged): evaluated and reported
	// by Calico, not enforced.
	Staged bool
	// Deny marks the namespace-wide default-deny; it selects every pod and has no rules.
	Deny bool
	// Selector selects the pods of an allowlist.
	Selector *metav1.LabelSelector
	Ingress  []Rule
	Egress   []Rule
	// EgressIsolated says the policy governs egress too.
	EgressIsolated bool
	// IngressOpen says the policy does not govern ingress (a rewritten chart policy of
	// policyTypes [Egress]); every policy helm-netpol plans itself isolates ingress.
	IngressOpen bool
	// Labels and Annotations are kept from the chart policy a rewritten policy replaces.
	Labels      map[string]string
	Annotations map[string]string
	// Native holds the selected engine's passthrough rules, added verbatim.
	Native config.Passthrough
	Hook   *discover.Hook
	// Order is the Calico order or ClusterNetworkPolicy priority of the policy: the deny's
	// value, and one less for allowlists so they come first.
	Order int32
	// ScopeNamespace is the namespace the policy is about, resolved for cluster-scoped
	// dialects: the workload's, else networkPolicy.namespace, else --namespace. Empty when
	// nothing says it.
	ScopeNamespace string
	// Closing says how the rules end where rules do not isolate by themselves.
	Closing Closing
	// Selects are the covered workloads a rewritten chart policy selects, whose declared
	// ports name the policy's named ingress ports.
	Selects []*discover.Workload
	// Workload is the workload an allowlist is for.
	Workload *discover.Workload
}

func PortOf(n int32, proto corev1.Protocol) networkingv1.NetworkPolicyPort {
	if proto == "" {
		proto = corev1.ProtocolTCP
	}
	p := intstr.FromInt32(n)
	return networkingv1.NetworkPolicyPort{Protocol: &proto, Port: &p}
}

// maxNameLength keeps generated names within a DNS label, which every engine accepts.
const maxNameLength = 63

// objectName joins parts into a valid DNS name; a name too long is cut and given a hash of
// the whole, so distinct inputs stay distinct.
func ObjectName(parts ...string) string {
	name := strings.ToLower(strings.Join(parts, "-"))
	name = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '-'
	}, name)
	name = strings.Trim(name, "-")
	if len(name) <= maxNameLength && name == strings.Join(parts, "-") {
		return name
	}
	// Too long, or changed (a.b and a-b would meet): the hash keeps them apart.
	return hashedName(name, parts)
}

// hashedName is name, cut to leave room, and a hash of the parts it was joined from.
func hashedName(name string, parts []string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	h := hex.EncodeToString(sum[:])[:10]
	return strings.TrimRight(name[:min(len(name), maxNameLength-len(h)-1)], "-") + "-" + h
}

// ScopedName is the name of a cluster-scoped object about a namespaced one: the namespace
// and the name, joined. Joined plainly, namespace a-b and name c would meet namespace a and
// name b-c (two releases' policies, one overwriting the other): the plain join is kept only
// when the namespace has no "-", so that its first "-" tells where the namespace ends, and
// the name takes the hash of both parts otherwise.
func ScopedName(namespace, name string) string {
	plain := ObjectName(namespace, name)
	if !strings.Contains(namespace, "-") || plain != strings.Join([]string{namespace, name}, "-") {
		return plain // plain and unambiguous, or hashed already
	}
	return hashedName(plain, []string{namespace, name})
}

// allowlistName is the stable name of a workload's allowlist.
func allowlistName(w *discover.Workload) string {
	return ObjectName(w.Name, strings.ToLower(w.Kind), "allow")
}

// denyName is the stable name of a release's default-deny.
func denyName(release string) string { return ObjectName(release, "default-deny") }

// Destinations are the workloads whose pods an ingress rule of the policy reaches: the
// allowlist's workload, or the covered workloads a rewritten chart policy selects.
func (p *Policy) Destinations() []*discover.Workload {
	if p.Workload != nil {
		return []*discover.Workload{p.Workload}
	}
	return p.Selects
}
