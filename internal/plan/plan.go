package plan

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/helm-netpol/helm-netpol/internal/config"
	"github.com/helm-netpol/helm-netpol/internal/discover"
	"github.com/helm-netpol/helm-netpol/internal/manifest"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// coverage is one covered workload with its effective config and what was planned for it.
type Coverage struct {
	W      *discover.Workload
	Config *config.Merged
	Policy *Policy
	// Roles holds, per role, whether the workload has it.
	Roles map[discover.Role]bool
	// Skip says the workload gets no policy after all (see lintOverlap).
	Skip bool
}

// roleFrom returns the config path and peers of a role's `from` knob.
func RoleFrom(m *config.Merged, r discover.Role) (string, []networkingv1.NetworkPolicyPeer) {
	switch r {
	case discover.RoleWebhook, discover.RoleAggregatedAPI: // the apiserver calls both
		return "networkPolicy.webhook.from", m.NetworkPolicy.Webhook.From
	case discover.RoleMetrics:
		return "networkPolicy.metrics.from", m.NetworkPolicy.Metrics.From
	case discover.RoleGate:
		return "networkPolicy.gate.from", m.NetworkPolicy.Gate.From
	}
	return "networkPolicy.otherPorts.from", m.NetworkPolicy.OtherPorts.From
}

// denyOrder is the Calico order or ClusterNetworkPolicy priority of the default-deny;
// allowlists take one less.
func denyOrder(m *config.Merged) int32 {
	if o := m.NetworkPolicy.DefaultDeny.Order; o != nil {
		return *o
	}
	if m.EngineOrDefault() == config.EngineClusterNetworkPolicy {
		return config.DefaultPriority
	}
	return config.DefaultDenyOrder
}

// scopeNamespace resolves the namespace a policy is about.
func (pl *Planner) scopeNamespace(ns string, m *config.Merged) string {
	switch {
	case ns != "":
		return ns
	case m.NetworkPolicy.Namespace != "":
		return m.NetworkPolicy.Namespace
	}
	return pl.D.Namespace
}

// planAllowlist builds the engine-agnostic allowlist of one covered workload.
func (pl *Planner) PlanAllowlist(c *Coverage, release string) *Policy {
	w, m := c.W, c.Config
	np := &m.NetworkPolicy
	p := &Policy{
		Name:      allowlistName(w),
		Namespace: w.Namespace,
		For:       w.Ref(),
		Engine:    m.EngineOrDefault(),
		Staged:    np.Staged,
		Selector:  w.Selector,
		Hook:      w.Hook,
		Workload:  w,
		Order:     denyOrder(m) - 1,

		ScopeNamespace: pl.scopeNamespace(w.Namespace, m),
	}
	if p.Engine == config.EngineClusterNetworkPolicy {
		p.Closing = FallThrough // its closing Deny is an object of its own: see AllowlistPolicies
	}
	roles := pl.D.RolePorts(w, m, pl.FS)
	c.Roles = map[discover.Role]bool{}
	for _, r := range discover.RoleOrder {
		ports := roles[r]
		c.Roles[r] = len(ports) > 0
		if len(ports) == 0 {
			continue
		}
		origin, from := RoleFrom(m, r)
		switch {
		case r == discover.RoleAggregatedAPI:
			origin = pl.aggregatedAPIOrigin(w, origin, from)
		case len(from) == 0:
			origin = "networkPolicy." + string(r)
		}
		// The caller of a webhook and of an aggregated API is the kube-apiserver: a narrowed
		// rule names it where the engine can (Cilium), since its address has a node
		// identity there.
		apiserver := r == discover.RoleWebhook || r == discover.RoleAggregatedAPI
		rule := Rule{Origin: origin, Peers: from, FromApiserver: apiserver && len(from) > 0}
		for _, rp := range ports {
			rule.Ports = append(rule.Ports, PortOf(rp.Port, rp.Protocol))
		}
		p.Ingress = append(p.Ingress, rule)
	}
	for i, r := range np.AdditionalIngress {
		p.Ingress = append(p.Ingress, Rule{Origin: fmt.Sprintf("networkPolicy.additionalIngress[%d]", i), Ports: r.Ports, Peers: r.From})
	}
	if len(p.Ingress) == 0 {
		pl.FS.Infof(w.ID(), "ingress", "no port to open (no role port, no declared port other than probe ports): the pods are isolated for ingress")
	}
	engine := m.EngineOrDefault()
	if native := np.Passthrough(engine); native != nil {
		p.Native = *native
	}
	if np.Egress.Enabled {
		p.EgressIsolated = true
		p.Egress = pl.planEgress(w, m, release)
	}
	for _, dir := range []struct {
		name  string
		rules []map[string]any
	}{{"ingress", p.Native.Ingress}, {"egress", p.Native.Egress}} {
		for i, rule := range dir.rules {
			if !nativeRuleHasPorts(engine, rule) {
				pl.FS.Warnf(w.ID(), fmt.Sprintf("networkPolicy.%s.%s[%d]", engine, dir.name, i), "the rule names no port, so it opens every port to its peers: add ports unless that is meant")
			}
		}
	}
	switch engine {
	case config.EngineClusterNetworkPolicy:
		pl.FS.Infof(w.ID(), "engine clusterNetworkPolicy", "ClusterNetworkPolicy ingress peers are namespaces and pods only: nodes, host-network pods and sources outside the cluster are neither allowed nor denied by it")
	case config.EngineCilium:
		if np.Egress.Enabled && !np.Egress.DNSEnabled() && HasToFQDNs(p.Native.Egress) {
			pl.FS.Warnf(w.ID(), "networkPolicy.cilium.egress", "toFQDNs works only when DNS goes through Cilium's DNS proxy, and networkPolicy.egress.dns is off: keep it on, or make sure another policy carries the DNS rule with rules.dns")
		}
	}
	return p
}

// aggregatedAPIOrigin names the rule that opens a workload's aggregated API port after the
// APIServices it serves, so that the report and the rule names say what the port is for
// (no config key opens it): "aggregated API v1beta1.metrics.k8s.io", and when
// networkPolicy.webhook.from narrows it, that key with the APIServices in parentheses.
func (pl *Planner) aggregatedAPIOrigin(w *discover.Workload, from string, peers []networkingv1.NetworkPolicyPeer) string {
	_, names := pl.D.AggregatedAPIs(w)
	what := "aggregated API " + strings.Join(names, ", ")
	if len(names) > 1 {
		what = "aggregated APIs " + strings.Join(names, ", ")
	}
	if len(peers) == 0 {
		return what
	}
	return from + " (" + what + ")"
}

// nativeRuleHasPorts tells whether an engine-native rule that allows traffic limits the
// ports it opens; a rule that denies or passes opens nothing.
func nativeRuleHasPorts(engine config.Engine, rule map[string]any) bool {
	switch engine {
	case config.EngineCilium:
		return rule["toPorts"] != nil
	case config.EngineCalico:
		dst, _ := rule["destination"].(map[string]any)
		return rule["action"] != "Allow" || dst["ports"] != nil
	case config.EngineClusterNetworkPolicy:
		return rule["action"] != "Accept" || rule["protocols"] != nil
	}
	return true
}

func (pl *Planner) planEgress(w *discover.Workload, m *config.Merged, release string) []Rule {
	eg := &m.NetworkPolicy.Egress
	engine := m.EngineOrDefault()
	var rules []Rule
	if eg.DNSEnabled() {
		rules = append(rules, dnsRule(eg))
	}
	if eg.Apiserver.ApiserverEnabled() && (engine == config.EngineCilium || engine == config.EngineCalico) {
		// The engine's "apiserver" names the control plane's addresses, where the kubelet
		// and etcd listen too: only the apiserver's ports are opened. (Calico's service
		// match takes the ports from the kubernetes Service's endpoints instead.)
		r := Rule{Origin: "networkPolicy.egress.apiserver", Apiserver: true}
		for _, port := range eg.Apiserver.PortsOrDefault() {
			r.Ports = append(r.Ports, PortOf(port, corev1.ProtocolTCP))
		}
		rules = append(rules, r)
	}
	if len(eg.Apiserver.CIDRs) > 0 {
		r := Rule{Origin: "networkPolicy.egress.apiserver.cidrs"}
		for _, c := range eg.Apiserver.CIDRs {
			r.Peers = append(r.Peers, networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: c}})
		}
		for _, port := range eg.Apiserver.PortsOrDefault() {
			r.Ports = append(r.Ports, PortOf(port, corev1.ProtocolTCP))
		}
		rules = append(rules, r)
	}
	for i, r := range eg.To {
		rules = append(rules, Rule{Origin: fmt.Sprintf("networkPolicy.egress.to[%d]", i), Ports: r.Ports, Peers: r.To})
	}
	if eg.SameReleaseEnabled() && release != "" {
		if r, ok := pl.sameReleaseRule(w, release); ok {
			rules = append(rules, r)
		}
	}
	return rules
}

func dnsRule(eg *config.Egress) Rule {
	port := int32(53)
	if eg.Profile() == config.DNSProfileOpenShift {
		port = 5353
	}
	r := Rule{
		Origin: "networkPolicy.egress.dns",
		DNS:    true,
		Ports:  []networkingv1.NetworkPolicyPort{PortOf(port, corev1.ProtocolUDP), PortOf(port, corev1.ProtocolTCP)},
		Peers: []networkingv1.NetworkPolicyPeer{{
			NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{manifest.LabelNamespaceName: eg.DNSNamespaceOrDefault()}},
			PodSelector:       eg.DNSSelectorOrDefault(),
		}},
	}
	if eg.Profile() == config.DNSProfileNodeLocalDNS {
		// node-local DNS listens on the node, at its link-local address and at the kube-dns
		// Service's ClusterIPs, which the node answers itself (no DNAT to the DNS pods).
		r.NodeLocal = true
		r.Peers = append(r.Peers, networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: config.NodeLocalDNSAddress}})
		for _, ip := range eg.DNSServiceIPs {
			a := netip.MustParseAddr(ip) // checked by config validation
			r.Peers = append(r.Peers, networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: netip.PrefixFrom(a, a.BitLen()).String()}})
		}
	}
	return r
}

// sameReleaseRule opens egress to the pods of the same release on the ports they declare.
// It is made once per release and namespace.
func (pl *Planner) sameReleaseRule(w *discover.Workload, release string) (Rule, bool) {
	key := [2]string{release, pl.D.NamespaceOf(w.Namespace)}
	if r, ok := pl.SameRelease[key]; ok {
		if r == nil {
			return Rule{}, false
		}
		return *r, true
	}
	r, ok := pl.makeSameReleaseRule(w, release)
	pl.SameRelease[key] = nil
	if ok {
		pl.SameRelease[key] = &r
	}
	return r, ok
}

func (pl *Planner) makeSameReleaseRule(w *discover.Workload, release string) (Rule, bool) {
	seen := map[discover.RolePort]bool{}
	var ports []discover.ContainerPort
	for _, o := range pl.D.WorkloadsIn.In(pl.D.NamespaceOf(w.Namespace)) {
		if o.Release != release || !discover.SameNamespace(o.Namespace, w.Namespace, pl.D.Namespace) || o.HostNetwork {
			continue
		}
		for _, p := range o.Ports {
			rp := discover.RolePort{Port: p.Port, Protocol: p.Protocol}
			if p.Port > 0 && !seen[rp] {
				seen[rp] = true
				ports = append(ports, p)
			}
		}
	}
	if len(ports) == 0 {
		return Rule{}, false
	}
	r := Rule{
		Origin: "networkPolicy.egress.sameRelease",
		Peers: []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{
			MatchLabels: map[string]string{manifest.LabelInstance: release},
		}}},
	}
	for _, p := range discover.SortedPorts(ports) {
		r.Ports = append(r.Ports, PortOf(p.Port, p.Protocol))
	}
	return r, true
}

// planRewrite translates a chart's NetworkPolicy into the plan, to be rendered in the
// engine of the config that asked for the rewrite. It keeps the original's name, labels
// and annotations, so that the replacement is the same object to Helm when the engine is
// kubernetes.
//
// Under clusterNetworkPolicy a rewrite is two objects, so that the rewritten rules and the
// allowlists of the pods it selects form one union on every implementation (two policies
// of one priority over the same pods, each ending in a Deny, are ordered as the
// implementation likes): the Accept rules, without a closing Deny, one priority ahead of
// the allowlists (deny order - 2); and the closing Deny for the pods the chart policy
// selects, at the default-deny's priority, after every allowlist.
func (pl *Planner) planRewrite(cp *discover.ChartPolicy, m *config.Merged) []*Policy {
	p := pl.rewriteRules(cp, m)
	if p.Engine != config.EngineClusterNetworkPolicy {
		return []*Policy{p}
	}
	deny := closingDeny(p, denyOrder(m))
	p.Closing, p.Order = FallThrough, denyOrder(m)-2
	return []*Policy{p, deny}
}

// closingDeny is the object that holds the closing Deny of a ClusterNetworkPolicy whose
// Accept rules fall through: the same subject, directions, mark and hook, named after it
// with "-deny", at the given priority.
func closingDeny(p *Policy, order int32) *Policy {
	deny := *p
	deny.Name = ObjectName(p.Name, "deny")
	deny.Ingress, deny.Egress, deny.Native = nil, nil, config.Passthrough{}
	deny.Closing, deny.Order = DenyOnly, order
	return &deny
}

// AllowlistPolicies are the policies to render for an allowlist: the allowlist itself, and
// under clusterNetworkPolicy its closing Deny as an object of its own at the default-deny's
// priority (one after the allowlist's). Two allowlists that select one pod (a Deployment's
// and a helm test Pod's) then form one union on every implementation: every Accept comes
// at a priority before every closing Deny, where in one object each at one priority, the
// implementation would order one's Deny and the other's Accept as it likes (Cilium lets
// the Deny win). The closing Deny is rendered even where the namespace's default-deny
// denies the same: a hook's allowlist is created before the release's default-deny
// (pre-install), and a workload's config may isolate a direction the default-deny leaves
// open, or name another order.
func AllowlistPolicies(p *Policy) []*Policy {
	if p.Engine != config.EngineClusterNetworkPolicy {
		return []*Policy{p}
	}
	return []*Policy{p, closingDeny(p, p.Order+1)}
}

// rewriteRules translates a chart NetworkPolicy into one engine-agnostic policy.
func (pl *Planner) rewriteRules(cp *discover.ChartPolicy, m *config.Merged) *Policy {
	spec := cp.Policy.Spec
	ingress, egress := PolicyTypes(&spec)
	p := &Policy{
		Name:           cp.Name,
		Namespace:      cp.Namespace,
		For:            cp.Ref(),
		Engine:         m.EngineOrDefault(),
		Staged:         m.NetworkPolicy.Staged,
		Selector:       spec.PodSelector.DeepCopy(),
		IngressOpen:    !ingress,
		EgressIsolated: egress,
		Order:          denyOrder(m) - 1,
		ScopeNamespace: pl.scopeNamespace(cp.Namespace, m),
		Labels:         cp.Policy.Labels,
		Annotations:    cp.Policy.Annotations,
	}
	if ev, ok := cp.Policy.Annotations[manifest.AnnotationHook]; ok {
		weight, _ := strconv.Atoi(cp.Policy.Annotations[manifest.AnnotationHookWeight])
		p.Hook = &discover.Hook{Events: ev, Weight: weight + 1} // keeps the original weight
	}
	for i, r := range spec.Ingress {
		p.Ingress = append(p.Ingress, Rule{Origin: fmt.Sprintf("%s spec.ingress[%d]", cp.ID(), i), Ports: r.Ports, Peers: r.From})
	}
	for i, r := range spec.Egress {
		p.Egress = append(p.Egress, Rule{Origin: fmt.Sprintf("%s spec.egress[%d]", cp.ID(), i), Ports: r.Ports, Peers: r.To})
	}
	return p
}

// Addresses says which egress peers reach the kube-apiserver by its address: any, or
// also ipBlocks (the engines that match node addresses by CIDR).
type Addresses int

const (
	AnyAddressOnly Addresses = iota // Cilium: CIDR rules skip node and host identities
	IPBlocksToo
)

// ReachesApiserver tells which of 443 and 6443 the egress rules allow toward an address:
// anywhere, or an ipBlock where the engine counts one.
func ReachesApiserver(rules []Rule, by Addresses) (p443, p6443 bool) {
	for _, r := range rules {
		if r.Apiserver {
			return true, true
		}
		address := len(r.Peers) == 0
		for _, peer := range r.Peers {
			if peer.IPBlock != nil && by == IPBlocksToo {
				address = true
			}
		}
		if !address {
			continue
		}
		_, tcp443 := AllowsPort(r.Ports, 443)
		_, tcp6443 := AllowsPort(r.Ports, 6443)
		p443, p6443 = p443 || tcp443, p6443 || tcp6443
	}
	return p443, p6443
}

// systemNamespaces are shared by the cluster's own components, and no release owns them.
var systemNamespaces = map[string]string{
	"kube-system":     "CoreDNS (every pod's name resolution), kube-proxy, metrics-server, the CNI's and the cloud provider's agents and whatever else runs there",
	"kube-public":     "the namespace belongs to the cluster (its bootstrap information), and every pod that other releases or operators run there would be denied",
	"kube-node-lease": "the namespace belongs to the cluster (the nodes' heartbeats), and every pod that other releases or operators run there would be denied",
}

// denyGroup is the covered workloads that ask for a default-deny in one namespace: the
// one their objects land in, whether they name it or leave it to Helm's release namespace.
type denyGroup struct {
	landing   string // the namespace, "" when neither the stream nor the flags say it
	namespace string // the namespace the stream names for it, "" when it names none
	covered   []*Coverage
}

// planDenies plans one default-deny per namespace whose covered workloads ask for it: per
// namespace the objects will land in, so that a workload without a namespace and one in
// --namespace get one deny between them.
func (pl *Planner) PlanDenies(covered []*Coverage, release string, nonHook, hook bool) []*Policy {
	groups := pl.denyGroups(covered)
	if len(groups) == 0 || !nonHook || !pl.denyNameable(groups, release) {
		return nil
	}
	var out []*Policy
	for _, landing := range config.SortedKeys(groups) {
		if p := pl.planDeny(groups[landing], release, hook); p != nil {
			out = append(out, p)
		}
	}
	return out
}

// denyGroups groups the covered workloads that ask for a default-deny by the namespace
// they land in.
func (pl *Planner) denyGroups(covered []*Coverage) map[string]*denyGroup {
	groups := map[string]*denyGroup{}
	for _, c := range covered {
		if !c.Config.NetworkPolicy.DefaultDeny.Enabled {
			continue
		}
		landing := pl.scopeNamespace(c.W.Namespace, c.Config)
		g := groups[landing]
		if g == nil {
			g = &denyGroup{landing: landing}
			groups[landing] = g
		}
		if c.W.Namespace != "" {
			g.namespace = c.W.Namespace
		}
		g.covered = append(g.covered, c)
	}
	return groups
}

// denyNameable tells whether the default-denies can be named, one to a namespace: the
// release is known, and no group leaves its namespace to an unknown release namespace while
// others name theirs (the two could land in the same one). It reports why not.
func (pl *Planner) denyNameable(groups map[string]*denyGroup, release string) bool {
	if release == "" {
		pl.FS.Errorf("networkPolicy.defaultDeny", "", "the default-deny is named after the release, and the release is unknown: pass --release NAME, or label the workloads' pods with app.kubernetes.io/instance")
		return false
	}
	if g := groups[""]; g != nil && len(groups) > 1 {
		var named []string
		for _, ns := range config.SortedKeys(groups) {
			if ns != "" {
				named = append(named, ns)
			}
		}
		pl.FS.Errorf(nsLabel(""), "networkPolicy.defaultDeny", "%s and other covered workloads leave their namespace to the release's, which is not known, while others are in %s: if the release is installed in one of those, two default-denies named %s land in it; pass --namespace NS (or set networkPolicy.namespace)", g.covered[0].W.ID(), strings.Join(named, ", "), denyName(release))
		return false
	}
	return true
}

// planDeny plans the default-deny of one namespace, its engine, form and order those of
// the group's first workload; nil for a system namespace, which it refuses.
func (pl *Planner) planDeny(g *denyGroup, release string, hook bool) *Policy {
	landing, first := g.landing, g.covered[0]
	if what, ok := systemNamespaces[landing]; ok {
		pl.FS.Errorf(nsLabel(landing), "networkPolicy.defaultDeny", "no single release owns %s, and a default-deny there would cut off every pod that this release's allowlists do not cover: %s; turn networkPolicy.defaultDeny.enabled off for this release (its allowlists stay), or install it in a namespace of its own", landing, what)
		return nil
	}
	p := &Policy{
		Name:      denyName(release),
		Namespace: g.namespace,
		For:       manifest.ReleaseRef(g.namespace, release),
		Deny:      true,
		Engine:    first.Config.EngineOrDefault(),
		Staged:    first.Config.NetworkPolicy.Staged,
		Order:     denyOrder(first.Config),

		ScopeNamespace: landing,
	}
	p.EgressIsolated = pl.denyEgress(g, p)
	// Helm 3 post-renders the release without its hooks; a stream in its framing that
	// holds a hook is not that (helm template's output, say), and the hooks there get
	// their allowlists.
	if pl.Format == manifest.FormatHelm3 && !hook {
		blocks := "the default-deny blocks them"
		if p.Staged {
			blocks = "the staged default-deny reports them as denied, and blocks them once enforced"
		}
		pl.FS.Warnf(nsLabel(landing), "networkPolicy.defaultDeny", "Helm 3 does not show hooks and test pods to a post-renderer, so they get no allowlist and %s", blocks)
	}
	return p
}

// denyEgress tells whether a namespace's default-deny denies egress: when every workload
// of the group has egress on. It reports the workloads that one deny cannot serve: of
// another engine or form than the deny's, and, where only some have egress on, those that
// do not.
func (pl *Planner) denyEgress(g *denyGroup, p *Policy) bool {
	cs, first := g.covered, g.covered[0]
	egressOn := 0
	for _, c := range cs {
		if c.Policy.EgressIsolated {
			egressOn++
		}
		if e := c.Config.EngineOrDefault(); e != p.Engine {
			pl.FS.Errorf(c.W.ID(), "networkPolicy.engine", "engine %s differs from engine %s of %s in the same namespace, so one default-deny cannot serve both: use one engine per namespace", e, p.Engine, first.W.ID())
		}
		if s := c.Config.NetworkPolicy.Staged; s != p.Staged {
			pl.FS.Errorf(c.W.ID(), "networkPolicy.staged", "staged is %t here and %t for %s in the same namespace, so one default-deny cannot be both staged and enforced: stage the whole namespace or none of it", s, p.Staged, first.W.ID())
		}
	}
	switch egressOn {
	case len(cs):
		return true
	case 0:
	default:
		var off []string
		for _, c := range cs {
			if !c.Policy.EgressIsolated {
				off = append(off, c.W.ID())
			}
		}
		pl.FS.Errorf(nsLabel(g.landing), "networkPolicy.defaultDeny", "%s", "some covered workloads have egress on and others ("+strings.Join(off, ", ")+") do not, and a default-deny that denies egress would cut the others off from everything: turn networkPolicy.egress.enabled on for all of them or for none")
	}
	return false
}

func nsLabel(ns string) string {
	if ns == "" {
		return "namespace of the release"
	}
	return "namespace " + ns
}

// chartSelection is a chart NetworkPolicy and the covered workloads whose pods it selects.
type chartSelection struct {
	Chart   *discover.ChartPolicy
	Covered []*Coverage
}

// chartSelections pairs each chart NetworkPolicy with the covered workloads it selects,
// in stream order; chart policies that select none are left out.
func ChartSelections(d *discover.Discovery, covered []*Coverage, chart []*discover.ChartPolicy) []chartSelection {
	coveredNS := func(c *Coverage) string { return d.NamespaceOf(c.W.Namespace) }
	coveredIn := discover.NewNSIndex(covered, coveredNS).ByPairs(coveredNS, func(c *Coverage) map[string]string { return c.W.PodLabels })
	var out []chartSelection
	for _, cp := range chart {
		spec := &cp.Policy.Spec
		sel := discover.AsSelector(&spec.PodSelector) // once, not once per covered workload
		var cs []*Coverage
		for _, c := range coveredIn.Selecting(d.NamespaceOf(cp.Namespace), &spec.PodSelector) {
			if discover.SameNamespace(cp.Namespace, c.W.Namespace, d.Namespace) && c.W.Matches(sel) {
				cs = append(cs, c)
			}
		}
		if len(cs) > 0 {
			out = append(out, chartSelection{cp, cs})
		}
	}
	return out
}

// planRewrites translates into the engine each chart NetworkPolicy that selects a covered
// workload whose config sets networkPolicy.rewrite, and returns the chart policies they
// replace. A staged translation replaces nothing: the chart's policy stays enforced beside
// it until staged is turned off, so that staging never changes what is enforced. The
// translation allows what the original allows, so Calico's verdict with both is the one
// the translation alone will give.
func (pl *Planner) PlanRewrites(covered []*Coverage, chart []*discover.ChartPolicy) (rewritten []*Policy, replaced []*discover.ChartPolicy) {
	for _, s := range ChartSelections(pl.D, covered, chart) {
		for _, c := range s.Covered {
			if c.Config.NetworkPolicy.Rewrite {
				var selects []*discover.Workload
				for _, sc := range s.Covered {
					selects = append(selects, sc.W)
				}
				for _, p := range pl.planRewrite(s.Chart, c.Config) {
					p.Selects = selects
					rewritten = append(rewritten, p)
				}
				if c.Config.NetworkPolicy.Staged {
					pl.FS.Infof(s.Chart.ID(), "networkPolicy.staged", "kept and enforced while networkPolicy.staged is on: its staged translation is rendered beside it, and replaces it when staged is turned off")
				} else {
					replaced = append(replaced, s.Chart)
				}
				break
			}
		}
	}
	return rewritten, replaced
}

// overlapping returns the other workloads of the stream whose pods the covered workload's
// selector selects.
func Overlapping(d *discover.Discovery, c *Coverage) []*discover.Workload {
	sel := discover.AsSelector(c.W.Selector) // once, not once per workload
	if sel == nil {
		return nil
	}
	var out []*discover.Workload
	for _, w := range d.WorkloadsIn.Selecting(d.NamespaceOf(c.W.Namespace), c.W.Selector) {
		if w != c.W && discover.SameNamespace(w.Namespace, c.W.Namespace, d.Namespace) && w.Matches(sel) {
			out = append(out, w)
		}
	}
	return out
}

// skipHooks gives no policy of its own to a hook whose pods cannot be told apart from a
// lasting workload's: the hook is transient, and its policy would reach the other pods
// meanwhile.
func (pl *Planner) SkipHooks(covered []*Coverage) {
	for _, c := range covered {
		if c.W.Hook == nil {
			continue
		}
		for _, w := range Overlapping(pl.D, c) {
			if w.Hook == nil {
				c.Skip = true
			}
		}
	}
}

// hasToFQDNs tells whether a passthrough egress rule selects peers by DNS name. Cilium learns
// the addresses of those names only from DNS answers that its DNS proxy sees.
func HasToFQDNs(rules []map[string]any) bool {
	for _, r := range rules {
		if l, ok := r["toFQDNs"].([]any); ok && len(l) > 0 {
			return true
		}
	}
	return false
}
