package transform

import (
	"fmt"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// rolePort is a port a role opens.
type rolePort struct {
	Port     int32
	Protocol corev1.Protocol
}

// coverage is one covered workload with its effective config and what was planned for it.
type coverage struct {
	W      *Workload
	Config *Merged
	Policy *Policy
	// Roles holds, per role, whether the workload has it.
	Roles map[Role]bool
	// Skip says the workload gets no policy after all (see lintOverlap).
	Skip bool
}

// discovery is what the stream says about webhooks and Services.
type discovery struct {
	services  []*Service
	webhooks  []serviceRef
	workloads []*Workload
	namespace string // the release namespace, when known

	// The same, by namespace (see index), and the same-release rule of each release and
	// namespace once made.
	servicesIn  *nsIndex[*Service]
	webhooksIn  *nsIndex[serviceRef]
	workloadsIn *nsIndex[*Workload]
	sameRelease map[[2]string]*Rule
}

// ns is the namespace of an object of the stream: its own, else the release namespace.
func (d *discovery) ns(namespace string) string {
	if namespace == "" {
		return d.namespace
	}
	return namespace
}

// index files what discovery found by namespace; it runs once discovery is done.
func (d *discovery) index() {
	svcNS := func(s *Service) string { return d.ns(s.Namespace) }
	d.servicesIn = newNSIndex(d.services, svcNS).byPairs(svcNS, selectorPair)
	d.webhooksIn = newNSIndex(d.webhooks, func(r serviceRef) string { return d.ns(r.Namespace) })
	wNS := func(w *Workload) string { return d.ns(w.Namespace) }
	d.workloadsIn = newNSIndex(d.workloads, wNS).byPairs(wNS, func(w *Workload) map[string]string { return w.PodLabels })
	d.sameRelease = map[[2]string]*Rule{}
}

// selectorPair is the pair a Service is filed under in servicesIn: the first key of its
// selector and its value. Pods the Service selects carry every pair of the selector, so
// they carry this one. A Service without a selector selects no pods and is not filed.
func selectorPair(s *Service) map[string]string {
	if len(s.Spec.Selector) == 0 {
		return nil
	}
	first, found := "", false
	for k := range s.Spec.Selector {
		if !found || k < first {
			first, found = k, true
		}
	}
	return map[string]string{first: s.Spec.Selector[first]}
}

// webhookPorts returns the container ports a webhook Service chain routes to the workload.
func (d *discovery) webhookPorts(w *Workload) []rolePort {
	var out []rolePort
	services := d.servicesIn.filedUnder(d.ns(w.Namespace), w.PodLabels)
	for _, ref := range d.webhooksIn.in(d.ns(w.Namespace)) {
		for _, svc := range services {
			if svc.Name != ref.Name || !sameNamespace(svc.Namespace, ref.Namespace, d.namespace) || !sameNamespace(svc.Namespace, w.Namespace, d.namespace) {
				continue
			}
			if len(svc.Spec.Selector) == 0 || !labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(w.PodLabels)) {
				continue
			}
			want := int32(defaultWebhookSvcPort)
			if ref.Port != nil {
				want = *ref.Port
			}
			for _, sp := range svc.Spec.Ports {
				if sp.Port != want {
					continue
				}
				target := sp.TargetPort
				if target.IntVal == 0 && target.StrVal == "" {
					target.IntVal = sp.Port
				}
				if port, proto, ok := w.resolve(target); ok {
					out = addPort(out, rolePort{port, proto})
				}
			}
		}
	}
	return out
}

// serviceTargets tells whether any Service that selects the workload's pods targets port.
func (d *discovery) serviceTargets(w *Workload, p ContainerPort) bool {
	for _, svc := range d.servicesIn.filedUnder(d.ns(w.Namespace), w.PodLabels) {
		if len(svc.Spec.Selector) == 0 || !sameNamespace(svc.Namespace, w.Namespace, d.namespace) ||
			!labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(w.PodLabels)) {
			continue
		}
		for _, sp := range svc.Spec.Ports {
			t := sp.TargetPort
			switch {
			case t.StrVal != "" && t.StrVal == p.Name,
				t.StrVal == "" && t.IntVal == p.Port,
				t.StrVal == "" && t.IntVal == 0 && sp.Port == p.Port:
				return true
			}
		}
	}
	return false
}

func addPort(ports []rolePort, p rolePort) []rolePort {
	for _, q := range ports {
		if q == p {
			return ports
		}
	}
	return append(ports, p)
}

func (w *Workload) protocolOf(port int32) corev1.Protocol {
	if p := w.portByNumber(port); p != nil {
		return p.Protocol
	}
	return corev1.ProtocolTCP
}

// rolePorts decides, for one workload under its effective config, which role ports open.
// It reports config ports that contradict what the stream says.
func (d *discovery) rolePorts(w *Workload, m *Merged, fs *findings) map[Role][]rolePort {
	roles := map[Role][]rolePort{}
	own := func(path string) bool {
		l := m.Origin(path)
		return l != nil && l.Level == LevelWorkload
	}
	contradiction := func(path string, config int32, found []rolePort, how string) {
		for _, p := range found {
			if p.Port == config {
				return
			}
		}
		from := ""
		if l := m.Origin(path); l != nil && l.Object != w.ID() {
			from = " (from " + l.Source() + ")"
		}
		fs.errorf(w.ID(), path, fmt.Sprintf("%d%s contradicts port %s that %s: set %s to it, or remove it", config, from, portList(found), how, path))
	}

	// webhook
	if m.Webhook.Enabled == nil || *m.Webhook.Enabled {
		chain := d.webhookPorts(w)
		var named []rolePort
		if p := w.portByName(portNameWebhook); p != nil {
			named = []rolePort{{p.Port, p.Protocol}}
		}
		on := len(chain) > 0 || len(named) > 0 || m.Webhook.Enabled != nil && own("webhook.enabled")
		if on {
			switch {
			case m.Ports.Webhook != nil:
				if len(chain) > 0 {
					contradiction("ports.webhook", *m.Ports.Webhook, chain, "the webhook Service routes to")
				} else if len(named) > 0 {
					contradiction("ports.webhook", *m.Ports.Webhook, named, "the pods name webhook")
				}
				roles[RoleWebhook] = []rolePort{{*m.Ports.Webhook, w.protocolOf(*m.Ports.Webhook)}}
			case len(chain) > 0:
				roles[RoleWebhook] = chain
			case len(named) > 0:
				roles[RoleWebhook] = named
			default:
				roles[RoleWebhook] = []rolePort{{DefaultWebhookPort, w.protocolOf(DefaultWebhookPort)}}
			}
		}
	}

	// metrics
	var found []rolePort
	how := ""
	for _, name := range []string{portNameMetrics, portNameHTTPMetrics} {
		if p := w.portByName(name); p != nil {
			found, how = []rolePort{{p.Port, p.Protocol}}, "the pods name "+name
			break
		}
	}
	if found == nil {
		if v, ok := w.PodAnnotations[AnnotationPromPort]; ok {
			if n, err := strconv.Atoi(v); err == nil && n > 0 && n < 65536 {
				found, how = []rolePort{{int32(n), w.protocolOf(int32(n))}}, "the pod annotation "+AnnotationPromPort+" names"
			}
		}
	}
	switch {
	case m.Ports.Metrics != nil && (found != nil || own("ports.metrics")):
		if found != nil {
			contradiction("ports.metrics", *m.Ports.Metrics, found, how)
		}
		roles[RoleMetrics] = []rolePort{{*m.Ports.Metrics, w.protocolOf(*m.Ports.Metrics)}}
	case found != nil:
		roles[RoleMetrics] = found
	}

	// gate
	if m.Gate.Enabled == nil || *m.Gate.Enabled {
		var named []rolePort
		if p := w.portByName(portNameGate); p != nil {
			named = []rolePort{{p.Port, p.Protocol}}
		}
		if len(named) > 0 || m.Gate.Enabled != nil && own("gate.enabled") {
			switch {
			case m.Ports.Gate != nil:
				if len(named) > 0 {
					contradiction("ports.gate", *m.Ports.Gate, named, "the pods name gate")
				}
				roles[RoleGate] = []rolePort{{*m.Ports.Gate, w.protocolOf(*m.Ports.Gate)}}
			case len(named) > 0:
				roles[RoleGate] = named
			default:
				roles[RoleGate] = []rolePort{{DefaultGatePort, w.protocolOf(DefaultGatePort)}}
			}
		}
	}

	// every other declared port, unless only probes use it
	if m.NetworkPolicy.OtherPorts.OtherPortsEnabled() {
		claimed := map[rolePort]bool{}
		for _, ps := range roles {
			for _, p := range ps {
				claimed[p] = true
			}
		}
		for _, p := range sortedPorts(w.Ports) {
			rp := rolePort{p.Port, p.Protocol}
			if claimed[rp] || p.Port <= 0 {
				continue
			}
			probed := w.ProbePorts[strconv.Itoa(int(p.Port))] || p.Name != "" && w.ProbePorts[p.Name]
			if probed && !d.serviceTargets(w, p) {
				continue
			}
			claimed[rp] = true
			roles[RoleOther] = append(roles[RoleOther], rp)
		}
	}
	return roles
}

func portList(ps []rolePort) string {
	s := ""
	for i, p := range ps {
		if i > 0 {
			s += ", "
		}
		s += strconv.Itoa(int(p.Port))
	}
	return s
}

// roleFrom returns the config path and peers of a role's `from` knob.
func roleFrom(m *Merged, r Role) (string, []networkingv1.NetworkPolicyPeer) {
	switch r {
	case RoleWebhook:
		return "networkPolicy.webhook.from", m.NetworkPolicy.Webhook.From
	case RoleMetrics:
		return "networkPolicy.metrics.from", m.NetworkPolicy.Metrics.From
	case RoleGate:
		return "networkPolicy.gate.from", m.NetworkPolicy.Gate.From
	}
	return "networkPolicy.otherPorts.from", m.NetworkPolicy.OtherPorts.From
}

var roleOrder = []Role{RoleWebhook, RoleMetrics, RoleGate, RoleOther}

// denyOrder is the Calico order or ClusterNetworkPolicy priority of the default-deny;
// allowlists take one less.
func denyOrder(m *Merged) int32 {
	if o := m.NetworkPolicy.DefaultDeny.Order; o != nil {
		return *o
	}
	if m.EngineOrDefault() == EngineClusterNetworkPolicy {
		return DefaultPriority
	}
	return DefaultDenyOrder
}

// scopeNamespace resolves the namespace a policy is about.
func (d *discovery) scopeNamespace(ns string, m *Merged) string {
	switch {
	case ns != "":
		return ns
	case m.NetworkPolicy.Namespace != "":
		return m.NetworkPolicy.Namespace
	}
	return d.namespace
}

// planAllowlist builds the engine-agnostic allowlist of one covered workload.
func (d *discovery) planAllowlist(c *coverage, release string, fs *findings) *Policy {
	w, m := c.W, c.Config
	np := &m.NetworkPolicy
	p := &Policy{
		Name:      allowlistName(w),
		Namespace: w.Namespace,
		For:       w.Ref(),
		Engine:    m.EngineOrDefault(),
		Selector:  w.Selector,
		Hook:      w.Hook,
		Workload:  w,
		Order:     denyOrder(m) - 1,

		ScopeNamespace: d.scopeNamespace(w.Namespace, m),
	}
	roles := d.rolePorts(w, m, fs)
	c.Roles = map[Role]bool{}
	for _, r := range roleOrder {
		ports := roles[r]
		c.Roles[r] = len(ports) > 0
		if len(ports) == 0 {
			continue
		}
		origin, from := roleFrom(m, r)
		if len(from) == 0 {
			origin = "networkPolicy." + string(r)
		}
		rule := Rule{Origin: origin, Peers: from}
		for _, rp := range ports {
			rule.Ports = append(rule.Ports, portOf(rp.Port, rp.Protocol))
		}
		p.Ingress = append(p.Ingress, rule)
	}
	for i, r := range np.AdditionalIngress {
		p.Ingress = append(p.Ingress, Rule{Origin: fmt.Sprintf("networkPolicy.additionalIngress[%d]", i), Ports: r.Ports, Peers: r.From})
	}
	if len(p.Ingress) == 0 {
		fs.infof(w.ID(), "ingress", "no port to open (no role port, no declared port other than probe ports): the pods are isolated for ingress")
	}
	engine := m.EngineOrDefault()
	if native := np.Passthrough(engine); native != nil {
		p.Native = *native
	}
	if np.Egress.Enabled {
		p.EgressIsolated = true
		p.Egress = d.planEgress(w, m, release)
	}
	for _, dir := range []struct {
		name  string
		rules []map[string]any
	}{{"ingress", p.Native.Ingress}, {"egress", p.Native.Egress}} {
		for i, rule := range dir.rules {
			if !nativeRuleHasPorts(engine, rule) {
				fs.warnf(w.ID(), fmt.Sprintf("networkPolicy.%s.%s[%d]", engine, dir.name, i), "the rule names no port, so it opens every port to its peers: add ports unless that is meant")
			}
		}
	}
	switch engine {
	case EngineClusterNetworkPolicy:
		fs.infof(w.ID(), "engine clusterNetworkPolicy", "ClusterNetworkPolicy ingress peers are namespaces and pods only: nodes, host-network pods and sources outside the cluster are neither allowed nor denied by it")
	case EngineCilium:
		if np.Egress.Enabled && !np.Egress.DNSEnabled() && hasToFQDNs(p.Native.Egress) {
			fs.warnf(w.ID(), "networkPolicy.cilium.egress", "toFQDNs works only when DNS goes through Cilium's DNS proxy, and networkPolicy.egress.dns is off: keep it on, or make sure another policy carries the DNS rule with rules.dns")
		}
	}
	return p
}

// nativeRuleHasPorts tells whether an engine-native rule that allows traffic limits the
// ports it opens; a rule that denies or passes opens nothing.
func nativeRuleHasPorts(engine Engine, rule map[string]any) bool {
	switch engine {
	case EngineCilium:
		return rule["toPorts"] != nil
	case EngineCalico:
		dst, _ := rule["destination"].(map[string]any)
		return rule["action"] != "Allow" || dst["ports"] != nil
	case EngineClusterNetworkPolicy:
		return rule["action"] != "Accept" || rule["protocols"] != nil
	}
	return true
}

func (d *discovery) planEgress(w *Workload, m *Merged, release string) []Rule {
	eg := &m.NetworkPolicy.Egress
	engine := m.EngineOrDefault()
	var rules []Rule
	if eg.DNSEnabled() {
		rules = append(rules, dnsRule(eg))
	}
	if eg.Apiserver.ApiserverEnabled() && (engine == EngineCilium || engine == EngineCalico) {
		rules = append(rules, Rule{Origin: "networkPolicy.egress.apiserver", Apiserver: true})
	}
	if len(eg.Apiserver.CIDRs) > 0 {
		r := Rule{Origin: "networkPolicy.egress.apiserver.cidrs"}
		for _, c := range eg.Apiserver.CIDRs {
			r.Peers = append(r.Peers, networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: c}})
		}
		for _, port := range eg.Apiserver.PortsOrDefault() {
			r.Ports = append(r.Ports, portOf(port, corev1.ProtocolTCP))
		}
		rules = append(rules, r)
	}
	for i, r := range eg.To {
		rules = append(rules, Rule{Origin: fmt.Sprintf("networkPolicy.egress.to[%d]", i), Ports: r.Ports, Peers: r.To})
	}
	if eg.SameReleaseEnabled() && release != "" {
		if r, ok := d.sameReleaseRule(w, release); ok {
			rules = append(rules, r)
		}
	}
	return rules
}

func dnsRule(eg *Egress) Rule {
	port := int32(53)
	if eg.Profile() == DNSProfileOpenShift {
		port = 5353
	}
	r := Rule{
		Origin: "networkPolicy.egress.dns",
		DNS:    true,
		Ports:  []networkingv1.NetworkPolicyPort{portOf(port, corev1.ProtocolUDP), portOf(port, corev1.ProtocolTCP)},
		Peers: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{
			MatchLabels: map[string]string{LabelNamespaceName: eg.DNSNamespaceOrDefault()},
		}}},
	}
	if eg.Profile() == DNSProfileNodeLocalDNS {
		r.Peers = append(r.Peers, networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: NodeLocalDNSAddress}})
	}
	return r
}

// sameReleaseRule opens egress to the pods of the same release on the ports they declare.
// It is made once per release and namespace.
func (d *discovery) sameReleaseRule(w *Workload, release string) (Rule, bool) {
	key := [2]string{release, d.ns(w.Namespace)}
	if r, ok := d.sameRelease[key]; ok {
		if r == nil {
			return Rule{}, false
		}
		return *r, true
	}
	r, ok := d.makeSameReleaseRule(w, release)
	d.sameRelease[key] = nil
	if ok {
		d.sameRelease[key] = &r
	}
	return r, ok
}

func (d *discovery) makeSameReleaseRule(w *Workload, release string) (Rule, bool) {
	seen := map[rolePort]bool{}
	var ports []ContainerPort
	for _, o := range d.workloadsIn.in(d.ns(w.Namespace)) {
		if o.Release != release || !sameNamespace(o.Namespace, w.Namespace, d.namespace) || o.HostNetwork {
			continue
		}
		for _, p := range o.Ports {
			rp := rolePort{p.Port, p.Protocol}
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
			MatchLabels: map[string]string{LabelInstance: release},
		}}},
	}
	for _, p := range sortedPorts(ports) {
		r.Ports = append(r.Ports, portOf(p.Port, p.Protocol))
	}
	return r, true
}

// planRewrite translates a chart's NetworkPolicy into the plan, to be rendered in the
// engine of the config that asked for the rewrite. It keeps the original's name, labels
// and annotations, so that the replacement is the same object to Helm when the engine is
// kubernetes.
func (d *discovery) planRewrite(cp *chartPolicy, m *Merged) *Policy {
	spec := cp.Policy.Spec
	ingress, egress := policyTypes(&spec)
	p := &Policy{
		Name:           cp.Name,
		Namespace:      cp.Namespace,
		For:            cp.Ref(),
		Engine:         m.EngineOrDefault(),
		Selector:       spec.PodSelector.DeepCopy(),
		IngressOpen:    !ingress,
		EgressIsolated: egress,
		Order:          denyOrder(m) - 1,
		ScopeNamespace: d.scopeNamespace(cp.Namespace, m),
		Labels:         cp.Policy.Labels,
		Annotations:    cp.Policy.Annotations,
	}
	if ev, ok := cp.Policy.Annotations[AnnotationHook]; ok {
		weight, _ := strconv.Atoi(cp.Policy.Annotations[AnnotationHookWeight])
		p.Hook = &Hook{Events: ev, Weight: weight + 1} // keeps the original weight
	}
	for i, r := range spec.Ingress {
		p.Ingress = append(p.Ingress, Rule{Origin: fmt.Sprintf("%s spec.ingress[%d]", cp.ID(), i), Ports: r.Ports, Peers: r.From})
	}
	for i, r := range spec.Egress {
		p.Egress = append(p.Egress, Rule{Origin: fmt.Sprintf("%s spec.egress[%d]", cp.ID(), i), Ports: r.Ports, Peers: r.To})
	}
	return p
}

// reachesApiserver tells which of 443 and 6443 the egress rules allow toward an address
// (an ipBlock, or anywhere). With cidrCounts false (Cilium) an ipBlock does not count.
func reachesApiserver(rules []Rule, cidrCounts bool) (p443, p6443 bool) {
	for _, r := range rules {
		if r.Apiserver {
			return true, true
		}
		address := len(r.Peers) == 0
		for _, peer := range r.Peers {
			if peer.IPBlock != nil && cidrCounts {
				address = true
			}
		}
		if !address {
			continue
		}
		_, tcp443 := allowsPort(r.Ports, 443)
		_, tcp6443 := allowsPort(r.Ports, 6443)
		p443, p6443 = p443 || tcp443, p6443 || tcp6443
	}
	return p443, p6443
}

// planDenies plans one default-deny per namespace whose covered workloads ask for it.
func (pl *planner) planDenies(covered []*coverage, release string, nonHook, hook bool) []*Policy {
	byNS := map[string][]*coverage{}
	for _, c := range covered {
		if c.Config.NetworkPolicy.DefaultDeny.Enabled {
			byNS[c.W.Namespace] = append(byNS[c.W.Namespace], c)
		}
	}
	if len(byNS) == 0 || !nonHook {
		return nil
	}
	if release == "" {
		pl.fs.errorf("networkPolicy.defaultDeny", "", "the default-deny is named after the release, and the release is unknown: pass --release NAME, or label the workloads' pods with app.kubernetes.io/instance")
		return nil
	}
	var out []*Policy
	for _, ns := range sortedKeys(byNS) {
		cs := byNS[ns]
		first := cs[0]
		p := &Policy{
			Name:      denyName(release),
			Namespace: ns,
			For:       "release/" + release,
			Deny:      true,
			Engine:    first.Config.EngineOrDefault(),
			Order:     denyOrder(first.Config),

			ScopeNamespace: pl.d.scopeNamespace(ns, first.Config),
		}
		egressOn := 0
		for _, c := range cs {
			if c.Policy.EgressIsolated {
				egressOn++
			}
			if e := c.Config.EngineOrDefault(); e != p.Engine {
				pl.fs.errorf(c.W.ID(), "networkPolicy.engine", fmt.Sprintf("engine %s differs from engine %s of %s in the same namespace, so one default-deny cannot serve both: use one engine per namespace", e, p.Engine, first.W.ID()))
			}
		}
		switch egressOn {
		case len(cs):
			p.EgressIsolated = true
		case 0:
		default:
			var off []string
			for _, c := range cs {
				if !c.Policy.EgressIsolated {
					off = append(off, c.W.ID())
				}
			}
			pl.fs.errorf(nsLabel(ns), "networkPolicy.defaultDeny", "some covered workloads have egress on and others ("+strings.Join(off, ", ")+") do not, and a default-deny that denies egress would cut the others off from everything: turn networkPolicy.egress.enabled on for all of them or for none")
		}
		// Helm 3 post-renders the release without its hooks; a stream in its framing that
		// holds a hook is not that (helm template's output, say), and the hooks there get
		// their allowlists.
		if pl.format == FormatHelm3 && !hook {
			pl.fs.warnf(nsLabel(ns), "networkPolicy.defaultDeny", "Helm 3 does not show hooks and test pods to a post-renderer, so they get no allowlist and the default-deny blocks them")
		}
		out = append(out, p)
	}
	return out
}

func nsLabel(ns string) string {
	if ns == "" {
		return "namespace of the release"
	}
	return "namespace " + ns
}

// chartSelection is a chart NetworkPolicy and the covered workloads whose pods it selects.
type chartSelection struct {
	Chart   *chartPolicy
	Covered []*coverage
}

// chartSelections pairs each chart NetworkPolicy with the covered workloads it selects,
// in stream order; chart policies that select none are left out.
func chartSelections(d *discovery, covered []*coverage, chart []*chartPolicy) []chartSelection {
	coveredNS := func(c *coverage) string { return d.ns(c.W.Namespace) }
	coveredIn := newNSIndex(covered, coveredNS).byPairs(coveredNS, func(c *coverage) map[string]string { return c.W.PodLabels })
	var out []chartSelection
	for _, cp := range chart {
		spec := &cp.Policy.Spec
		sel := asSelector(&spec.PodSelector) // once, not once per covered workload
		var cs []*coverage
		for _, c := range coveredIn.carrying(d.ns(cp.Namespace), spec.PodSelector.MatchLabels) {
			if sameNamespace(cp.Namespace, c.W.Namespace, d.namespace) && c.W.matches(sel) {
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
// replace.
func (pl *planner) planRewrites(covered []*coverage, chart []*chartPolicy) (rewritten []*Policy, replaced []*chartPolicy) {
	for _, s := range chartSelections(pl.d, covered, chart) {
		for _, c := range s.Covered {
			if c.Config.NetworkPolicy.Rewrite {
				rewritten = append(rewritten, pl.d.planRewrite(s.Chart, c.Config))
				replaced = append(replaced, s.Chart)
				break
			}
		}
	}
	return rewritten, replaced
}

// overlapping returns the other workloads of the stream whose pods the covered workload's
// selector selects.
func overlapping(d *discovery, c *coverage) []*Workload {
	sel := asSelector(c.W.Selector) // once, not once per workload
	if sel == nil {
		return nil
	}
	var out []*Workload
	for _, w := range d.workloadsIn.carrying(d.ns(c.W.Namespace), c.W.Selector.MatchLabels) {
		if w != c.W && sameNamespace(w.Namespace, c.W.Namespace, d.namespace) && w.matches(sel) {
			out = append(out, w)
		}
	}
	return out
}

// skipHooks gives no policy of its own to a hook whose pods cannot be told apart from a
// lasting workload's: the hook is transient, and its policy would reach the other pods
// meanwhile.
func (pl *planner) skipHooks(covered []*coverage) {
	for _, c := range covered {
		if c.W.Hook == nil {
			continue
		}
		for _, w := range overlapping(pl.d, c) {
			if w.Hook == nil {
				c.Skip = true
			}
		}
	}
}
