package lint

import (
	"encoding/json"
	"fmt"
	"net/netip"

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
	for _, c := range covered {
		l.lintDNS(c)
		l.lintWebhookFrom(c)
		l.lintOverlap(c)
		l.lintAddressFamilies(c)
		l.lintUnlabelledRelease(c)
	}
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
// admission call would time out.
func (l *Linter) lintWebhookFrom(c *plan.Coverage) {
	from := c.Config.NetworkPolicy.Webhook.From
	if len(from) == 0 || !c.Roles[discover.RoleWebhook] {
		return
	}
	for _, p := range from {
		if p.IPBlock != nil {
			return
		}
	}
	l.FS.Errorf(c.W.ID(), "networkPolicy.webhook.from", "no peer can match the kube-apiserver, which is not a pod, so every admission call would be dropped: leave webhook.from empty (TLS authenticates the caller) or list the control plane's addresses as ipBlocks")
}

// lintOverlap refuses an allowlist whose selector also selects the pods of another
// workload of the stream, which would get this workload's openings; a hook or test pod
// selected is a warning. A hook's own policy that would select a lasting workload's pods
// (a test Pod labelled like the Deployment it tests) is not generated: the hook is
// transient, its policy would outlive nothing but would reach the other pods meanwhile.
func (l *Linter) lintOverlap(c *plan.Coverage) {
	for _, w := range plan.Overlapping(l.D, c) {
		what := fmt.Sprintf("the pod selector also selects the pods of %s, which would get this workload's openings", w.ID())
		switch {
		case w.Hook != nil:
			l.FS.Warnf(c.W.ID(), c.W.SelectorField(), "%s", what+" (a hook or test pod)")
		case c.W.Hook != nil:
			l.FS.Warnf(c.W.ID(), c.W.SelectorField(), "the hook's pods cannot be told apart from the pods of %s by their labels, so it gets no policy of its own", w.ID())
		default:
			l.FS.Errorf(c.W.ID(), c.W.SelectorField(), "%s", what+": give the two workloads' pods distinct labels")
		}
	}
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
			path, from := plan.RoleFrom(c.Config, role)
			if len(from) == 0 {
				continue
			}
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
			t.hasRole = t.hasRole || c.Roles[role]
			t.nonHook = t.nonHook || c.W.Hook == nil
			if !c.Roles[role] {
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
		if u.role == discover.RoleOther {
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
