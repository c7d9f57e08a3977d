package verdict

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"

	"github.com/cilium/cilium/pkg/identity"
	k8sUtils "github.com/cilium/cilium/pkg/k8s/utils"
	"github.com/cilium/cilium/pkg/labels"
	"github.com/cilium/cilium/pkg/labelsfilter"
	"github.com/cilium/cilium/pkg/option"
)

// identities allocates security identities the way the agent does, by label
// set: two peers with the same labels share one identity.
type identities struct {
	// prefixes are the CIDR prefixes the policies name: the agent puts each
	// into its ipcache, and an address takes the identity of the longest
	// one that contains it.
	prefixes []netip.Prefix

	byLabels   map[string]*identity.Identity
	hostLabels labels.Labels            // the labels of all the host's addresses
	nextGlobal identity.NumericIdentity // pods
	nextLocal  identity.NumericIdentity // CIDR identities
	nextNode   identity.NumericIdentity // nodes, under policy-cidr-match-mode: nodes
}

func newIdentities(prefixes []netip.Prefix) *identities {
	return &identities{
		prefixes:   prefixes,
		byLabels:   map[string]*identity.Identity{},
		hostLabels: labels.NewFrom(labels.LabelHost),
		nextGlobal: 1000,
		nextLocal:  identity.IdentityScopeLocal | 1,
		nextNode:   identity.IdentityScopeRemoteNode | 1,
	}
}

// all returns every identity allocated so far plus the reserved ones.
func (ids *identities) all() identity.IdentityMap {
	m := identity.ListReservedIdentities()
	for _, id := range ids.byLabels {
		m[id.ID] = id.LabelArray
	}
	m[identity.ReservedIdentityHost] = ids.hostLabels.LabelArray()
	return m
}

func (ids *identities) allocate(lbls labels.Labels, next *identity.NumericIdentity) *identity.Identity {
	key := lbls.SortedList()
	if id, ok := ids.byLabels[string(key)]; ok {
		return id
	}
	id := identity.NewIdentity(*next, lbls)
	*next++
	ids.byLabels[string(key)] = id
	return id
}

// pod returns the identity of a pod. Its labels are built as the agent
// builds them (pkg/endpoint/metadata FetchK8sMetadataForEndpointFromPod):
// k8sUtils.SanitizePodLabels adds the namespace's labels under
// io.cilium.k8s.namespace.labels., io.kubernetes.pod.namespace and
// io.cilium.k8s.policy.cluster, then labelsfilter.Filter keeps the labels
// that make up an identity. The service account label is left out: probes do
// not carry one.
func (ids *identities) pod(p Pod) *identity.Identity {
	sanitized := k8sUtils.SanitizePodLabels(p.Labels, namespace{p.Namespace, namespaceLabels(p)}, "", clusterName)
	idLabels, _ := labelsfilter.Filter(labels.Map2Labels(sanitized, labels.LabelSourceK8s))
	return ids.allocate(idLabels, &ids.nextGlobal)
}

// namespaceLabels returns the labels of a pod's namespace, with the
// kubernetes.io/metadata.name label the API server sets on every namespace.
func namespaceLabels(p Pod) map[string]string {
	m := maps.Clone(p.NamespaceLabels)
	if m == nil {
		m = map[string]string{}
	}
	if _, ok := m[namespaceNameLabel]; !ok {
		m[namespaceNameLabel] = p.Namespace
	}
	return m
}

// namespaceNameLabel is the label the API server sets on every namespace.
const namespaceNameLabel = "kubernetes.io/metadata.name"

type namespace struct {
	name   string
	labels map[string]string
}

func (n namespace) GetName() string              { return n.name }
func (n namespace) GetLabels() map[string]string { return n.labels }

// peer returns the identity Cilium gives to the peer of a probe, and a note
// on how it was derived.
func (ids *identities) peer(p Peer) (*identity.Identity, error) {
	var addr netip.Addr
	if p.IP != "" {
		var err error
		if addr, err = netip.ParseAddr(p.IP); err != nil {
			return nil, err
		}
		addr = addr.Unmap()
	}
	switch {
	case p.Pod != nil:
		// A pod's address is in the ipcache with the pod's identity.
		return ids.pod(*p.Pod), nil
	case p.Entity == EntityKubeAPIServer:
		// The node's address carries reserved:remote-node (node manager)
		// and reserved:kube-apiserver (the kubernetes EndpointSlice).
		return ids.address(addr, labels.NewFrom(labels.LabelRemoteNode), labels.LabelKubeAPIServer)
	case p.Entity == EntityHost, p.Entity == EntityKubeDNSService:
		// node-local-dns binds its addresses (169.254.20.10, the kube-dns
		// Service IP) to a dummy device on the node. The agent takes the
		// addresses of dummy devices as node addresses
		// (pkg/datapath/tables shouldUseDeviceForNodeAddress) and gives
		// every node address reserved:host (daemon/cmd/hostips-sync.go).
		return ids.address(addr, labels.NewFrom(labels.LabelHost))
	case p.Entity == EntityRemoteNode:
		return ids.address(addr, labels.NewFrom(labels.LabelRemoteNode))
	case p.Entity == EntityWorld, p.IP != "":
		// Without an address: an IPv4 address no policy prefix contains.
		return ids.address(addr, labels.Labels{})
	}
	return nil, fmt.Errorf("peer: no pod, ip or entity")
}

// address returns the identity of an address whose ipcache metadata holds
// base (and extra), following pkg/ipcache: metadata.mergeLabels adds the
// cidr label of the longest policy prefix that contains the address,
// resolveLabels applies the invariants below, and resolveIdentity picks the
// identity. Those functions are unexported; this mirrors them line by line.
func (ids *identities) address(addr netip.Addr, base labels.Labels, extra ...labels.Labels) (*identity.Identity, error) {
	lbls := labels.NewFrom(base)
	for _, e := range extra {
		lbls.MergeLabels(e)
	}
	if addr.IsValid() {
		if pfx, ok := ids.longestPrefix(addr); ok && pfx.Bits() > 0 {
			for k, v := range labels.GetCIDRLabels(pfx) {
				if v.Source == labels.LabelSourceCIDR {
					lbls[k] = v
				}
			}
		}
	}

	// resolveLabels
	isNode := lbls.HasRemoteNodeLabel() || lbls.HasHostLabel()
	isInCluster := isNode || lbls.HasHealthLabel() || lbls.HasIngressLabel()
	if isInCluster {
		lbls.Remove(labels.LabelWorld)
		lbls.Remove(labels.LabelWorldIPv4)
		lbls.Remove(labels.LabelWorldIPv6)
	}
	if isInCluster && !(isNode && option.Config.PolicyCIDRMatchesNodes()) {
		lbls.RemoveFromSource(labels.LabelSourceCIDR)
		lbls.RemoveFromSource(labels.LabelSourceFQDN)
		lbls.RemoveFromSource(labels.LabelSourceCIDRGroup)
	}
	if !isInCluster {
		if addr.IsValid() {
			lbls.AddWorldLabel(addr)
		} else {
			lbls.MergeLabels(labels.LabelWorldIPv4)
		}
	}

	// resolveIdentity
	if lbls.HasHostLabel() {
		// updateReservedHostLabels: the host identity keeps its number and
		// takes the labels of all the host's addresses.
		ids.hostLabels.MergeLabels(lbls)
		return identity.NewIdentity(identity.ReservedIdentityHost, ids.hostLabels), nil
	}
	if id := identity.LookupReservedIdentityByLabels(lbls); id != nil {
		return id, nil
	}
	if lbls.HasRemoteNodeLabel() {
		return ids.allocate(lbls, &ids.nextNode), nil
	}
	return ids.allocate(lbls, &ids.nextLocal), nil
}

func (ids *identities) longestPrefix(addr netip.Addr) (netip.Prefix, bool) {
	var best netip.Prefix
	found := false
	for _, p := range ids.prefixes {
		if p.Contains(addr) && (!found || p.Bits() > best.Bits()) {
			best, found = p, true
		}
	}
	return best, found
}

func sortedKeys(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}
