package transform

import (
	"fmt"
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// lint runs the safety checks that need the whole plan: each refuses a render that would
// break the workload or open it wider than the user meant, or warns of a policy that does
// less than it seems to.
func (r *run) lint(covered []*coverage) {
	for _, c := range covered {
		r.lintDNS(c)
		r.lintWebhookFrom(c)
		r.lintOverlap(c)
		r.lintAddressFamilies(c)
	}
}

// lintDNS refuses egress that allows DNS on UDP only: large answers and retries use TCP,
// and resolution then fails at random.
func (r *run) lintDNS(c *coverage) {
	if !c.Policy.EgressIsolated {
		return
	}
	udp, tcp := false, false
	for _, rule := range c.Policy.Egress {
		u, t := allowsPort(rule.Ports, 53)
		udp, tcp = udp || u, tcp || t
	}
	if udp && !tcp {
		r.fs.errorf(c.W.ID(), "networkPolicy.egress", "DNS is allowed on UDP 53 only: resolvers fall back to TCP for large answers, which would then fail: allow TCP 53 too, or keep networkPolicy.egress.dns on")
	}
}

// allowsPort tells whether a port list allows the port on UDP and on TCP.
func allowsPort(ports []networkingv1.NetworkPolicyPort, port int32) (udp, tcp bool) {
	if len(ports) == 0 {
		return true, true
	}
	for _, p := range ports {
		proto := corev1.ProtocolTCP
		if p.Protocol != nil {
			proto = *p.Protocol
		}
		in := p.Port == nil
		if p.Port != nil && p.Port.StrVal == "" {
			hi := p.Port.IntVal
			if p.EndPort != nil {
				hi = *p.EndPort
			}
			in = p.Port.IntVal <= port && port <= hi
		}
		if in {
			udp = udp || proto == corev1.ProtocolUDP
			tcp = tcp || proto == corev1.ProtocolTCP
		}
	}
	return udp, tcp
}

// lintWebhookFrom refuses a webhook `from` that no peer of the kube-apiserver can match:
// the apiserver is not a pod, so pod and namespace selectors never match it and every
// admission call would time out.
func (r *run) lintWebhookFrom(c *coverage) {
	from := c.Config.NetworkPolicy.Webhook.From
	if len(from) == 0 || !c.Roles[RoleWebhook] {
		return
	}
	for _, p := range from {
		if p.IPBlock != nil {
			return
		}
	}
	r.fs.errorf(c.W.ID(), "networkPolicy.webhook.from", "no peer can match the kube-apiserver, which is not a pod, so every admission call would be dropped: leave webhook.from empty (TLS authenticates the caller) or list the control plane's addresses as ipBlocks")
}

// lintOverlap refuses an allowlist whose selector also selects the pods of another
// workload of the stream, which would get this workload's openings; a hook or test pod
// selected is a warning. A hook's own policy that would select a lasting workload's pods
// (a test Pod labelled like the Deployment it tests) is not generated: the hook is
// transient, its policy would outlive nothing but would reach the other pods meanwhile.
func (r *run) lintOverlap(c *coverage) {
	for _, w := range r.d.workloads {
		if w == c.W || !sameNamespace(w.Namespace, c.W.Namespace, r.opts.Namespace) || !w.selectedBy(c.W.Selector) {
			continue
		}
		what := fmt.Sprintf("the pod selector also selects the pods of %s, which would get this workload's openings", w.ID())
		switch {
		case w.Hook != nil:
			r.fs.warnf(c.W.ID(), "spec.selector", what+" (a hook or test pod)")
		case c.W.Hook != nil:
			r.fs.warnf(c.W.ID(), "spec.selector", fmt.Sprintf("the hook's pods cannot be told apart from the pods of %s by their labels, so it gets no policy of its own", w.ID()))
			c.Skip = true
		default:
			r.fs.errorf(c.W.ID(), "spec.selector", what+": give the two workloads' pods distinct labels")
		}
	}
}

// lintAddressFamilies warns of a user CIDR list that names one address family only, on a
// cluster that may well be dual-stack.
func (r *run) lintAddressFamilies(c *coverage) {
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
	for _, l := range lists {
		v4, v6 := 0, 0
		for _, s := range l.cidrs {
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
		if len(l.cidrs) > 1 && (v4 == 0) != (v6 == 0) {
			family := "IPv4"
			if v6 > 0 {
				family = "IPv6"
			}
			r.fs.warnf(c.W.ID(), l.path, fmt.Sprintf("every CIDR is %s: on a dual-stack cluster the other family stays closed", family))
		}
	}
}
