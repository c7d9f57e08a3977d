package lint

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/helm-netpol/helm-netpol/internal/config"
	"github.com/helm-netpol/helm-netpol/internal/discover"
	"github.com/helm-netpol/helm-netpol/internal/findings"
	"github.com/helm-netpol/helm-netpol/internal/manifest"
	"github.com/helm-netpol/helm-netpol/internal/plan"
)

// linter reports what is wrong with a plan; it never plans or edits.
type Linter struct {
	FS *findings.List
	D  *discover.Discovery
	// Release is the release's name, when --release or the pods' labels say it.
	Release string
}

// lint runs the safety checks that need the whole plan: each refuses a render that would
// break the workload or open it wider than the user meant, or warns of a policy that does
// less than it seems to.
func (l *Linter) Lint(covered []*plan.Coverage) {
	hooks := map[*discover.Workload]*hookOverlap{}
	for _, c := range covered {
		l.lintDNS(c)
		l.lintWebhookFrom(c)
		l.lintOverlap(c, hooks)
		l.lintAddressFamilies(c)
		l.lintApiserverClusterIP(c)
		l.lintUnlabelledRelease(c)
	}
	l.warnHookOverlaps(hooks)
}

// lintUnlabelledRelease warns of a workload of a known release whose pods do not carry
// the release label: its allowlist selects pods by their other labels alone, and so also
// the pods of another release of the same chart in the namespace, which get its openings.
// A Job selected by its own name (it has no pod labels) is told apart by that name.
func (l *Linter) lintUnlabelledRelease(c *plan.Coverage) {
	if l.Release == "" || c.W.Release != "" {
		return
	}
	if c.W.Selector != nil && c.W.Selector.MatchLabels[manifest.LabelJobName] == c.W.Name {
		return // a Job's own name: no other Job in the namespace has it
	}
	l.FS.Warnf(c.W.ID(), c.W.SelectorField(), "the pods carry no %s label, so the policy selects them by their other labels alone, and also selects the pods of any other release of this chart in the namespace (this release is %s): label the pod template with %s: %s", manifest.LabelInstance, l.Release, manifest.LabelInstance, l.Release)
}

// lintDNS refuses egress that allows DNS on UDP only: large answers and retries use TCP,
// and resolution then fails at random.
func (l *Linter) lintDNS(c *plan.Coverage) {
	if !c.Policy.EgressIsolated {
		return
	}
	udp, tcp := false, false
	for _, rule := range c.Policy.Egress {
		u, t := plan.AllowsPort(rule.Ports, 53)
		udp, tcp = udp || u, tcp || t
	}
	if udp && !tcp {
		l.FS.Errorf(c.W.ID(), "networkPolicy.egress", "DNS is allowed on UDP 53 only: resolvers fall back to TCP for large answers, which would then fail: allow TCP 53 too, or keep networkPolicy.egress.dns on")
	}
}

// lintWebhookFrom refuses a webhook `from` that no peer of the kube-apiserver can match:
// the apiserver is not a pod, so pod and namespace selectors never match it and every
// admission call, and every request to an aggregated API the pods serve, would time out.
func (l *Linter) lintWebhookFrom(c *plan.Coverage) {
	from := c.Config.NetworkPolicy.Webhook.From
	if len(from) == 0 || !c.Roles[discover.RoleWebhook] && !c.Roles[discover.RoleAggregatedAPI] || c.Config.EngineOrDefault() == config.EngineCilium {
		return // Cilium's rules for the apiserver's calls name it itself (entity kube-apiserver)
	}
	for _, p := range from {
		if p.IPBlock != nil {
			return
		}
	}
	var calls []string
	if c.Roles[discover.RoleWebhook] {
		calls = append(calls, "every admission call")
	}
	if c.Roles[discover.RoleAggregatedAPI] {
		_, names := l.D.AggregatedAPIs(c.W)
		calls = append(calls, fmt.Sprintf("every request to the aggregated API (%s: kubectl top, autoscalers)", strings.Join(names, ", ")))
	}
	l.FS.Errorf(c.W.ID(), "networkPolicy.webhook.from", "no peer can match the kube-apiserver, which is not a pod, so %s would be dropped: leave webhook.from empty (TLS authenticates the caller) or list the control plane's addresses as ipBlocks (on a Cilium cluster an ipBlock matches the apiserver only where the cluster sets policy-cidr-match-mode: nodes; engine cilium names it as the entity kube-apiserver instead)", strings.Join(calls, " and "))
}

// lintOverlap refuses an allowlist whose selector also selects the pods of another
// lasting workload of the stream, which would get this workload's openings. Where a hook or
// test pod is one of the two, it records the overlap for warnHookOverlaps, which warns once
// per hook: a chart's test pods often share their labels with each other and with the
// workload they test, and one line per pair and direction drowned the warnings that matter.
// A hook's own policy that would select a lasting workload's pods (a test Pod labelled like
// the Deployment it tests) is not generated (see plan.SkipHooks): the hook is transient,
// its policy would outlive nothing but would reach the other pods meanwhile.
func (l *Linter) lintOverlap(c *plan.Coverage, hooks map[*discover.Workload]*hookOverlap) {
	of := func(w *discover.Workload) *hookOverlap {
		h := hooks[w]
		if h == nil {
			h = &hookOverlap{}
			hooks[w] = h
		}
		return h
	}
	for _, w := range plan.Overlapping(l.D, c) {
		switch {
		case w.Hook != nil && !c.Skip:
			of(w).selectedBy = append(of(w).selectedBy, c.W)
		case w.Hook != nil: // c is a hook without a policy of its own: nothing selects w
			of(c.W).others = append(of(c.W).others, w)
		case c.W.Hook != nil:
			of(c.W).shadows = append(of(c.W).shadows, w)
		default:
			l.FS.Errorf(c.W.ID(), c.W.SelectorField(), "the pod selector also selects the pods of %s, which would get this workload's openings: give the two workloads' pods distinct labels", w.ID())
		}
	}
}

// hookOverlap is what the labels of one hook or test pod overlap.
type hookOverlap struct {
	// selectedBy are the workloads whose allowlists select the hook's pods too.
	selectedBy []*discover.Workload
	// shadows are the lasting workloads whose pods the hook's own selector selects, so
	// that it gets no policy of its own.
	shadows []*discover.Workload
	// others are the hooks whose pods its selector selects, where it gets no policy.
	others []*discover.Workload
}

// warnHookOverlaps gives each hook or test pod whose labels overlap other workloads' one
// warning, in stream order, naming every workload it overlaps and what follows from it.
func (l *Linter) warnHookOverlaps(hooks map[*discover.Workload]*hookOverlap) {
	for _, w := range l.D.Workloads {
		h := hooks[w]
		if h == nil {
			continue
		}
		var names []string
		seen := map[*discover.Workload]bool{}
		for _, list := range [][]*discover.Workload{h.selectedBy, h.shadows, h.others} {
			for _, o := range list {
				if !seen[o] {
					seen[o] = true
					names = append(names, o.ID())
				}
			}
		}
		// Each consequence names its workloads, unless they are all the ones overlapped.
		group := func(ws []*discover.Workload) string {
			switch {
			case len(ws) < len(names):
				return nameList(ws)
			case len(ws) == 1:
				return "that workload"
			}
			return "those workloads"
		}
		var what []string
		if by := h.selectedBy; len(by) == 1 {
			what = append(what, fmt.Sprintf("the allowlist of %s selects its pods too, so while it runs it gets that allowlist's openings", group(by)))
		} else if len(by) > 1 {
			what = append(what, fmt.Sprintf("the allowlists of %s select its pods too, so while it runs it gets their openings", group(by)))
		}
		if len(h.shadows) > 0 {
			what = append(what, fmt.Sprintf("its own selector would select the pods of %s, so it gets no policy of its own", group(h.shadows)))
		}
		if len(what) == 0 {
			what = append(what, "it gets no policy of its own")
		}
		l.FS.Warnf(w.ID(), w.SelectorField(), "a hook or test pod whose labels overlap those of %s: %s", strings.Join(names, ", "), strings.Join(what, "; "))
	}
}

// nameList joins the workloads' names: "a", "a and b", "a, b and c".
func nameList(ws []*discover.Workload) string {
	var names []string
	for _, w := range ws {
		names = append(names, w.Name)
	}
	if len(names) == 1 {
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// lintAddressFamilies warns of a user CIDR list that names one address family only, on a
// cluster that may well be dual-stack.
func (l *Linter) lintAddressFamilies(c *plan.Coverage) {
	np := &c.Config.NetworkPolicy
	lists := []struct {
		path  string
		cidrs []string
	}{{"networkPolicy.egress.apiserver.cidrs", np.Egress.Apiserver.CIDRs}}
	for i, rule := range np.Egress.To {
		var cidrs []string
		for _, p := range rule.To {
			if p.IPBlock != nil {
				cidrs = append(cidrs, p.IPBlock.CIDR)
			}
		}
		lists = append(lists, struct {
			path  string
			cidrs []string
		}{fmt.Sprintf("networkPolicy.egress.to[%d]", i), cidrs})
	}
	for _, list := range lists {
		v4, v6 := 0, 0
		for _, s := range list.cidrs {
			p, err := netip.ParsePrefix(s)
			if err != nil {
				continue
			}
			if p.Addr().Is4() {
				v4++
			} else {
				v6++
			}
		}
		if len(list.cidrs) > 1 && (v4 == 0) != (v6 == 0) {
			family := "IPv4"
			if v6 > 0 {
				family = "IPv6"
			}
			l.FS.Warnf(c.W.ID(), list.path, "every CIDR is %s: on a dual-stack cluster the other family stays closed", family)
		}
	}
}

// checkFromKnobs refuses a role's `from` knob that no covered workload carrying that config
// can use: a typo in intent. Workloads carrying the same config text (a hook Job that
// shares podAnnotations with its Deployment) count together; a workload without the role
// ignores the knob. A config carried by hook workloads only is never refused, since
// Helm 4 may show the hooks without the rest of the release.
func (l *Linter) CheckFromKnobs(covered []*plan.Coverage) {
	type use struct {
		config string // the origin layer's level and content
		role   discover.Role
	}
	type tally struct {
		layer   *config.Layer
		hasRole bool
		nonHook bool
	}
	tallies := map[use]*tally{}
	var order []use
	for _, c := range covered {
		for _, role := range discover.RoleOrder {
			if role == discover.RoleAggregatedAPI {
				continue // its knob is networkPolicy.webhook.from, counted with the webhook role
			}
			path, from := plan.RoleFrom(c.Config, role)
			if len(from) == 0 {
				continue
			}
			has := c.Roles[role] || role == discover.RoleWebhook && c.Roles[discover.RoleAggregatedAPI]
			layer := c.Config.Origin(path)
			if layer == nil {
				continue
			}
			content, _ := json.Marshal(layer.Tree)
			u := use{fmt.Sprint(layer.Level) + string(content), role}
			t, ok := tallies[u]
			if !ok {
				t = &tally{layer: layer}
				tallies[u] = t
				order = append(order, u)
			}
			t.hasRole = t.hasRole || has
			t.nonHook = t.nonHook || c.W.Hook == nil
			if !has {
				l.FS.Infof(c.W.ID(), path, "ignored: the workload has no %s port", role)
			}
		}
	}
	for _, u := range order {
		t := tallies[u]
		if t.hasRole || !t.nonHook {
			continue
		}
		path, _ := plan.RoleFrom(&config.Merged{}, u.role)
		fix := fmt.Sprintf("has a %s port, so the knob would do nothing: check that the role is enabled, set ports.%s, or remove the knob", u.role, u.role)
		switch u.role {
		case discover.RoleWebhook:
			fix = "has a webhook port or serves an aggregated API (an APIService), so the knob would do nothing: check that the role is enabled, set ports.webhook, or remove the knob"
		case discover.RoleOther:
			fix = "declares a port that no role claims, so the knob would do nothing: remove it"
		}
		l.FS.Errorf(t.layer.Object, t.layer.Where, "%s: no workload this config covers %s", path, fix)
	}
}

// checkApiserver refuses egress that cannot reach the kube-apiserver.
func (l *Linter) CheckApiserver(covered []*plan.Coverage) {
	for _, c := range covered {
		if !c.Policy.EgressIsolated {
			continue
		}
		engine := c.Config.EngineOrDefault()
		a := &c.Config.NetworkPolicy.Egress.Apiserver
		if (engine == config.EngineCilium || engine == config.EngineCalico) && a.ApiserverEnabled() {
			continue
		}
		by := plan.IPBlocksToo
		if engine == config.EngineCilium {
			by = plan.AnyAddressOnly
		}
		p443, p6443 := plan.ReachesApiserver(c.Policy.Egress, by)
		switch {
		case engine == config.EngineCilium && !p443 && !p6443:
			l.FS.Errorf(c.W.ID(), "networkPolicy.egress", "no egress rule reaches the kube-apiserver, and Cilium does not match the apiserver's node addresses by CIDR unless the cluster sets policy-cidr-match-mode: nodes: keep networkPolicy.egress.apiserver.enabled (it renders toEntities: [kube-apiserver]), or add a rule allowing TCP 443 and 6443 to any destination")
		case !p443 && !p6443:
			l.FS.Errorf(c.W.ID(), "networkPolicy.egress", "no egress rule allows TCP 443 or 6443 to an ipBlock, so the pods cannot reach the kube-apiserver and every call to it fails: add its address to networkPolicy.egress.apiserver.cidrs (or an egress.to rule with an ipBlock); find it with `kubectl get endpointslice -n default -l kubernetes.io/service-name=kubernetes`; managed clusters listen on 443, kubeadm and OpenShift endpoints on 6443")
		case p443 != p6443:
			covers, misses := "443", "6443"
			if p6443 {
				covers, misses = "6443", "443"
			}
			l.FS.Warnf(c.W.ID(), "networkPolicy.egress", "apiserver egress covers TCP %s but not %s: managed clusters listen on 443, kubeadm and OpenShift endpoints on 6443; make sure %s is the right one", covers, misses, covers)
		}
	}
}

// checkChartPolicies refuses a chart NetworkPolicy that selects a covered workload and
// would widen its allowlist (it has allow rules of a direction the allowlist governs),
// unless networkPolicy.keepExisting or networkPolicy.rewrite (planned by the planner).
func (l *Linter) CheckChartPolicies(covered []*plan.Coverage, chart []*discover.ChartPolicy) {
	for _, s := range plan.ChartSelections(l.D, covered, chart) {
		cp := s.Chart
		spec := &cp.Policy.Spec
		ingressType, egressType := plan.PolicyTypes(spec)
		ingress, egress := ingressType && len(spec.Ingress) > 0, egressType && len(spec.Egress) > 0
		for _, c := range s.Covered {
			np := &c.Config.NetworkPolicy
			if c.Config.EngineOrDefault() == config.EngineClusterNetworkPolicy {
				l.checkBaselineOverride(cp, c, ingressType, egressType)
				continue
			}
			switch {
			case np.Rewrite:
			case !ingress && !(egress && c.Policy.EgressIsolated):
			case np.KeepExisting:
				l.FS.Infof(cp.ID(), "", "kept beside the policy for %s (networkPolicy.keepExisting): what it allows adds to the allowlist", c.W.ID())
			default:
				l.FS.Errorf(cp.ID(), "", "the chart's own NetworkPolicy selects the pods of %s and would be OR-ed with its allowlist, widening it: turn the chart's policy off, or set networkPolicy.rewrite: true (replace it, translated into the engine) or networkPolicy.keepExisting: true (keep both, knowingly)", c.W.ID())
			}
		}
	}
}

// wellKnownClusterIPs are the kubernetes Service's ClusterIP in the default Service
// ranges of common distributions: kubeadm and kind (10.96.0.1, fd00:10:96::1), AKS
// (10.0.0.1), EKS (10.100.0.1, 172.20.0.1), OpenShift (172.30.0.1), k3s (10.43.0.1),
// MicroK8s (10.152.183.1).
var wellKnownClusterIPs = []string{"10.96.0.1", "fd00:10:96::1", "10.0.0.1", "10.100.0.1", "172.20.0.1", "172.30.0.1", "10.43.0.1", "10.152.183.1"}

// lintApiserverClusterIP warns of an apiserver CIDR that is a Service ClusterIP (a
// well-known one, or in the /16 of a configured DNS Service IP): network policies see the
// packet after the ClusterIP is translated to an endpoint, so a rule for the ClusterIP
// matches nothing and the pods cannot reach the apiserver.
func (l *Linter) lintApiserverClusterIP(c *plan.Coverage) {
	eg := &c.Config.NetworkPolicy.Egress
	var serviceNets []netip.Prefix
	for _, ip := range eg.DNSServiceIPs {
		if a, err := netip.ParseAddr(ip); err == nil {
			bits := 16
			if a.Is6() {
				bits = 112
			}
			serviceNets = append(serviceNets, netip.PrefixFrom(a, bits).Masked())
		}
	}
	for i, cidr := range eg.Apiserver.CIDRs {
		p, err := netip.ParsePrefix(cidr)
		if err != nil || !p.IsSingleIP() {
			continue
		}
		why := ""
		if slices.Contains(wellKnownClusterIPs, p.Addr().String()) {
			why = "the kubernetes Service's ClusterIP in a common default Service range"
		}
		for _, n := range serviceNets {
			if n.Contains(p.Addr()) {
				why = "in the Service range of the DNS Service IPs"
			}
		}
		if why != "" {
			l.FS.Warnf(c.W.ID(), fmt.Sprintf("networkPolicy.egress.apiserver.cidrs[%d]", i), "%s looks like a Service ClusterIP (%s): policies match the apiserver's endpoint addresses after the ClusterIP is translated, so this matches nothing; use the endpoints of `kubectl get endpointslice -n default -l kubernetes.io/service-name=kubernetes`", cidr, why)
		}
	}
}

// checkBaselineOverride refuses, under engine clusterNetworkPolicy, a chart NetworkPolicy
// that selects a covered workload's pods in a direction its allowlist governs: the
// allowlist is a ClusterNetworkPolicy of the Baseline tier, and Baseline applies only to
// pods no NetworkPolicy selects in that direction, so the chart's policy would decide
// alone, even a pure deny, and the allowlist would do nothing there.
func (l *Linter) checkBaselineOverride(cp *discover.ChartPolicy, c *plan.Coverage, ingressType, egressType bool) {
	if c.Config.NetworkPolicy.Rewrite {
		return
	}
	var dirs []string
	if ingressType && !c.Policy.IngressOpen {
		dirs = append(dirs, "ingress")
	}
	if egressType && c.Policy.EgressIsolated {
		dirs = append(dirs, "egress")
	}
	if len(dirs) == 0 {
		return
	}
	l.FS.Errorf(cp.ID(), "", "the chart's own NetworkPolicy selects the pods of %s for %s, and under engine clusterNetworkPolicy the allowlist is a Baseline ClusterNetworkPolicy, which applies only to pods that no NetworkPolicy selects in that direction: the chart's policy would decide alone and the allowlist would do nothing (networkPolicy.keepExisting cannot change that); set networkPolicy.rewrite: true to translate it into a ClusterNetworkPolicy, or turn the chart's policy off", c.W.ID(), strings.Join(dirs, " and "))
}
