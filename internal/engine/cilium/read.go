package cilium

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/helm-netpol/helm-netpol/internal/config"
	"github.com/helm-netpol/helm-netpol/internal/engine"
	"github.com/helm-netpol/helm-netpol/internal/manifest"
	"github.com/helm-netpol/helm-netpol/internal/plan"
)

// Read reads a cilium.io/v2 CiliumNetworkPolicy back, as Cilium 1.20's
// pkg/policy/utils.RulesToPolicyEntries turns a rule into policy entries:
//
//   - a direction is in default deny when the policy has a rule for it (allow or deny)
//     and spec.enableDefaultDeny does not turn that off;
//   - a rule's peers are the union of its endpoint, entity and CIDR selectors; a selector
//     list present but empty selects nothing (mergeEndpointSelectors);
//   - a rule with ports and no peer selects every peer on those ports, and a rule with
//     neither (`{}`) selects nothing (pkg/policy/l4.go createL4Filter, rule.go
//     mergeL4Filter).
//
// CiliumClusterwideNetworkPolicy, nodeSelector, specs, and peers by node, group, service or
// requirement are read but marked unsupported.
func Read(o *manifest.Object) (*engine.Object, error) {
	obj, err := engine.JSONOf(o)
	if err != nil {
		return nil, err
	}
	out := engine.NewObject(o, config.EngineCilium)
	switch o.Kind {
	case "CiliumNetworkPolicy":
	case "CiliumClusterwideNetworkPolicy":
		out.ClusterScoped = true
		out.Unsupported = append(out.Unsupported, "kind "+o.Kind)
	default:
		out.Unsupported = append(out.Unsupported, "kind "+o.Kind)
		return out, nil
	}
	if obj["specs"] != nil {
		out.Unsupported = append(out.Unsupported, "specs")
	}
	spec := engine.Map(obj["spec"])
	out.Unsupported = append(out.Unsupported, engine.UnknownKeys(spec, "spec", "endpointSelector", "ingress", "ingressDeny", "egress", "egressDeny", "labels", "enableDefaultDeny", "description", "log")...)
	sel, err := engine.Selector(spec["endpointSelector"])
	if err != nil {
		return nil, fmt.Errorf("spec.endpointSelector: %w", err)
	}
	if sel == nil {
		out.Unsupported = append(out.Unsupported, "spec: no endpointSelector")
	}
	out.Subject.Pods = sel
	origins := engine.RuleOriginsOf(o)
	defaultDeny := engine.Map(spec["enableDefaultDeny"])
	for _, list := range []string{"ingress", "ingressDeny", "egress", "egressDeny"} {
		dir := plan.Direction(strings.TrimSuffix(list, "Deny"))
		action := "Allow"
		if strings.HasSuffix(list, "Deny") {
			action = "Deny"
		}
		rules := engine.Maps(spec[list])
		for i, r := range rules {
			rule := readRule(r, dir, fmt.Sprintf("spec.%s[%d]", list, i))
			rule.List, rule.Index, rule.Action = list, i, action
			rule.Origin = origins[fmt.Sprintf("%s[%d]", dir, i)]
			if dir == plan.Ingress {
				out.Ingress = append(out.Ingress, rule)
			} else {
				out.Egress = append(out.Egress, rule)
			}
		}
		if len(rules) > 0 && defaultDeny[string(dir)] != false {
			if dir == plan.Ingress {
				out.IngressIsolated = true
			} else {
				out.EgressIsolated = true
			}
		}
	}
	out.DefaultDeny = sel != nil && len(sel.MatchLabels) == 0 && len(sel.MatchExpressions) == 0 && len(out.Ingress) > 0
	for _, r := range append(append([]engine.Rule{}, out.Ingress...), out.Egress...) {
		if r.Action != "Allow" || len(r.Peers) > 0 || r.AnyPeer || len(r.Ports) > 0 {
			out.DefaultDeny = false
		}
	}
	return out, nil
}

// readRule reads one rule's peers and ports.
func readRule(r map[string]any, dir plan.Direction, where string) engine.Rule {
	prefix := map[plan.Direction]string{plan.Ingress: "from", plan.Egress: "to"}[dir]
	rule := engine.Rule{Direction: dir}
	known := []string{prefix + "Endpoints", prefix + "CIDR", prefix + "CIDRSet", prefix + "Entities", "toPorts", "icmps"}
	if dir == plan.Egress {
		known = append(known, "toFQDNs", "toServices")
	}
	rule.Unsupported = engine.UnknownKeys(r, where, known...)
	explicitEmpty := hasEmptyPeerList(r, prefix)
	readPeers(&rule, r, prefix, where)
	readPorts(&rule, r, where)
	readICMPs(&rule, r)
	// A rule with ports and no peer selector allows every peer on those ports.
	rule.AnyPeer = !explicitEmpty && len(rule.Peers) == 0 && len(rule.Ports) > 0 && len(rule.Unsupported) == 0
	if explicitEmpty {
		rule.Peers = nil
	}
	return rule
}

// hasEmptyPeerList reports whether the rule has a peer selector list that is present but
// empty, which selects nothing.
func hasEmptyPeerList(r map[string]any, prefix string) bool {
	for _, key := range []string{prefix + "Endpoints", prefix + "CIDR", prefix + "CIDRSet", prefix + "Entities", prefix + "Nodes"} {
		if l, ok := r[key].([]any); ok && len(l) == 0 {
			return true
		}
	}
	return false
}

// readPeers appends the rule's peers, kind by kind: entities, endpoints, CIDRs, CIDR sets,
// FQDNs and services.
func readPeers(rule *engine.Rule, r map[string]any, prefix, where string) {
	for _, e := range engine.Strings(r[prefix+"Entities"]) {
		rule.Peers = append(rule.Peers, engine.Peer{Kind: engine.PeerEntity, Entity: e})
	}
	readEndpointPeers(rule, r, prefix, where)
	for _, c := range engine.Strings(r[prefix+"CIDR"]) {
		rule.Peers = append(rule.Peers, engine.Peer{Kind: engine.PeerCIDR, CIDR: c})
	}
	readCIDRSetPeers(rule, r, prefix, where)
	readFQDNPeers(rule, r)
	for j, s := range engine.Maps(r["toServices"]) {
		rule.Peers = append(rule.Peers, engine.Peer{Kind: engine.PeerService, Raw: engine.Str(s)})
		rule.Unsupported = append(rule.Unsupported, fmt.Sprintf("%s.toServices[%d]", where, j))
	}
}

// readEndpointPeers appends a peer per endpoint selector; a selector that does not read is
// unsupported.
func readEndpointPeers(rule *engine.Rule, r map[string]any, prefix, where string) {
	for j, s := range engine.Maps(r[prefix+"Endpoints"]) {
		sel, err := engine.Selector(s)
		if err != nil {
			rule.Unsupported = append(rule.Unsupported, fmt.Sprintf("%s.%sEndpoints[%d]: %v", where, prefix, j, err))
			continue
		}
		rule.Peers = append(rule.Peers, engine.Peer{Kind: engine.PeerEndpoints, Endpoints: sel})
	}
}

// readCIDRSetPeers appends a peer per CIDR set entry; an entry naming a CIDR group rather
// than a CIDR is unsupported.
func readCIDRSetPeers(rule *engine.Rule, r map[string]any, prefix, where string) {
	for j, c := range engine.Maps(r[prefix+"CIDRSet"]) {
		if c["cidr"] == nil {
			rule.Unsupported = append(rule.Unsupported, fmt.Sprintf("%s.%sCIDRSet[%d]: a CIDR group", where, prefix, j))
			rule.Peers = append(rule.Peers, engine.Peer{Kind: engine.PeerOther, Raw: engine.Str(c)})
			continue
		}
		rule.Peers = append(rule.Peers, engine.Peer{Kind: engine.PeerCIDR, CIDR: engine.Str(c["cidr"]), Except: engine.Strings(c["except"])})
	}
}

// readFQDNPeers appends a peer per toFQDNs entry, by name or by pattern.
func readFQDNPeers(rule *engine.Rule, r map[string]any) {
	for _, f := range engine.Maps(r["toFQDNs"]) {
		p := engine.Peer{Kind: engine.PeerFQDN, FQDN: engine.Str(f["matchName"])}
		if pat := engine.Str(f["matchPattern"]); pat != "" {
			p.FQDN, p.Pattern = p.FQDN+pat, true
		}
		rule.Peers = append(rule.Peers, p)
	}
}

// readPorts appends the rule's toPorts ports, each carrying its entry's L7 rules.
func readPorts(rule *engine.Rule, r map[string]any, where string) {
	for j, tp := range engine.Maps(r["toPorts"]) {
		rule.Unsupported = append(rule.Unsupported, engine.UnknownKeys(tp, fmt.Sprintf("%s.toPorts[%d]", where, j), "ports", "rules")...)
		l7 := ""
		if tp["rules"] != nil {
			l7 = engine.Str(tp["rules"])
		}
		for _, p := range engine.Maps(tp["ports"]) {
			rule.Ports = append(rule.Ports, readPort(p, l7))
		}
	}
}

// readPort reads one port: a number or a name, an optional end port, and a protocol that
// is ANY when unset.
func readPort(p map[string]any, l7 string) engine.Port {
	port := engine.Port{Protocol: strings.ToUpper(engine.Str(p["protocol"])), L7: l7}
	if port.Protocol == "" {
		port.Protocol = "ANY"
	}
	s := engine.Str(p["port"])
	if n, err := strconv.ParseInt(s, 10, 32); err == nil {
		port.Port = int32(n)
	} else if s != "" {
		port.Name = s
	}
	if end, ok := engine.Int32(p["endPort"]); ok {
		port.EndPort = end
	}
	return port
}

// readICMPs appends a port per icmps field, of protocol ICMP or ICMPV6 by its family.
func readICMPs(rule *engine.Rule, r map[string]any) {
	for _, ic := range engine.Maps(r["icmps"]) {
		for _, f := range engine.Maps(ic["fields"]) {
			family := engine.Str(f["family"])
			proto := "ICMP"
			if family == "IPv6" {
				proto = "ICMPV6"
			}
			rule.Ports = append(rule.Ports, engine.Port{Protocol: proto})
		}
	}
}
