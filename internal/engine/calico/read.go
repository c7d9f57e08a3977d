package calico

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/helm-netpol/helm-netpol/internal/config"
	"github.com/helm-netpol/helm-netpol/internal/engine"
	"github.com/helm-netpol/helm-netpol/internal/manifest"
	"github.com/helm-netpol/helm-netpol/internal/plan"
)

// Read reads a projectcalico.org/v3 NetworkPolicy back (Calico's NetworkPolicy reference;
// the API types of projectcalico/api v3). Types default as Calico defaults them: Ingress,
// plus Egress when there are egress rules, or Egress alone when there are only egress
// rules. The staged kinds are read as staged: Calico evaluates them and enforces nothing
// (a StagedKubernetesNetworkPolicy holds a Kubernetes spec: kubernetes.Read reads it).
// GlobalNetworkPolicy, and the rule fields helm-netpol never renders (notSelector,
// notPorts, notProtocol, icmp, http, serviceAccounts, a source's ports), are marked
// unsupported.
func Read(o *manifest.Object) (*engine.Object, error) {
	obj, err := engine.JSONOf(o)
	if err != nil {
		return nil, err
	}
	out := engine.NewObject(o, config.EngineCalico)
	switch o.Kind {
	case "NetworkPolicy":
	case "StagedNetworkPolicy", "StagedGlobalNetworkPolicy":
		out.Staged = true
	case "GlobalNetworkPolicy":
		out.ClusterScoped = true
		out.Unsupported = append(out.Unsupported, "kind "+o.Kind)
	default:
		out.Unsupported = append(out.Unsupported, "kind "+o.Kind)
		return out, nil
	}
	spec := engine.Map(obj["spec"])
	out.Unsupported = append(out.Unsupported, engine.UnknownKeys(spec, "spec", "tier", "order", "selector", "types", "ingress", "egress", "performanceHints", "stagedAction", "namespaceSelector", "doNotTrack", "preDNAT", "applyOnForward")...)
	for _, k := range []string{"serviceAccountSelector", "namespaceSelector", "doNotTrack", "preDNAT", "applyOnForward"} {
		if v, ok := spec[k]; ok && v != "" && v != false {
			out.Unsupported = append(out.Unsupported, "spec."+k)
		}
	}
	if a := engine.Str(spec["stagedAction"]); a != "" && a != "Set" {
		out.Unsupported = append(out.Unsupported, "spec.stagedAction: "+a)
	}
	out.Tier = engine.Str(spec["tier"])
	if out.Tier == "" {
		out.Tier = "default"
	}
	if n, ok := spec["order"].(float64); ok {
		out.Order = &n
	}
	out.Subject.Selector = engine.Str(spec["selector"])
	if e, err := ParseSelector(out.Subject.Selector); err != nil {
		out.Unsupported = append(out.Unsupported, "spec.selector: "+err.Error())
	} else {
		out.Subject.Expr = e
	}
	for _, dir := range []plan.Direction{plan.Ingress, plan.Egress} {
		for i, r := range engine.Maps(spec[string(dir)]) {
			rule := readRule(r, dir, fmt.Sprintf("spec.%s[%d]", dir, i))
			rule.List, rule.Index = string(dir), i
			if dir == plan.Ingress {
				out.Ingress = append(out.Ingress, rule)
			} else {
				out.Egress = append(out.Egress, rule)
			}
		}
	}
	types := engine.Strings(spec["types"])
	if len(types) == 0 {
		out.IngressIsolated = len(out.Ingress) > 0 || len(out.Egress) == 0
		out.EgressIsolated = len(out.Egress) > 0
	}
	for _, t := range types {
		switch t {
		case "Ingress":
			out.IngressIsolated = true
		case "Egress":
			out.EgressIsolated = true
		default:
			out.Unsupported = append(out.Unsupported, "spec.types: "+t)
		}
	}
	sel := strings.TrimSpace(out.Subject.Selector)
	out.DefaultDeny = (sel == "" || sel == calicoAll) && len(out.Ingress) == 0 && len(out.Egress) == 0 && (out.IngressIsolated || out.EgressIsolated)
	return out, nil
}

// readRule reads a rule: the peer is the source of an ingress rule and the destination of
// an egress rule; the destination's ports are the ports matched either way.
func readRule(r map[string]any, dir plan.Direction, where string) engine.Rule {
	rule := engine.Rule{Direction: dir, Action: engine.Str(r["action"])}
	rule.Unsupported = engine.UnknownKeys(r, where, "action", "ipVersion", "protocol", "source", "destination", "metadata")
	for _, k := range []string{"notProtocol", "icmp", "notICMP", "http"} {
		if r[k] != nil {
			rule.Unsupported = append(rule.Unsupported, where+"."+k)
		}
	}
	if v, ok := engine.Int32(r["ipVersion"]); ok {
		rule.IPVersion = int(v)
	}
	rule.Origin = engine.Str(engine.Map(engine.Map(r["metadata"])["annotations"])[manifest.AnnotationOrigin])
	src, dst := engine.Map(r["source"]), engine.Map(r["destination"])
	peer, self, peerKey, selfKey := src, dst, "source", "destination"
	if dir == plan.Egress {
		peer, self, peerKey, selfKey = dst, src, "destination", "source"
	}
	for k := range self {
		if k != "ports" || dir == plan.Egress {
			rule.Unsupported = append(rule.Unsupported, fmt.Sprintf("%s.%s.%s", where, selfKey, k))
		}
	}
	proto := protocol(r["protocol"])
	for _, p := range engine.List(dst["ports"]) {
		rule.Ports = append(rule.Ports, port(proto, p))
	}
	if len(rule.Ports) == 0 && proto != "" {
		rule.Ports = []engine.Port{{Protocol: proto}}
	}
	rule.Unsupported = append(rule.Unsupported, engine.UnknownKeys(peer, where+"."+peerKey, "selector", "namespaceSelector", "nets", "notNets", "services", "ports", "notSelector", "notPorts", "serviceAccounts")...)
	for _, k := range []string{"notSelector", "notPorts", "serviceAccounts"} {
		if peer[k] != nil {
			rule.Unsupported = append(rule.Unsupported, fmt.Sprintf("%s.%s.%s", where, peerKey, k))
		}
	}
	if dir == plan.Ingress && src["ports"] != nil {
		rule.Unsupported = append(rule.Unsupported, where+".source.ports")
	}
	if svc := engine.Map(peer["services"]); svc != nil {
		rule.Peers = []engine.Peer{{Kind: engine.PeerService, Service: &engine.Service{Name: engine.Str(svc["name"]), Namespace: engine.Str(svc["namespace"])}}}
		return rule
	}
	p := engine.Peer{
		Kind:              engine.PeerCalico,
		Selector:          engine.Str(peer["selector"]),
		NamespaceSelector: engine.Str(peer["namespaceSelector"]),
		Nets:              engine.Strings(peer["nets"]),
		NotNets:           engine.Strings(peer["notNets"]),
	}
	if p.Selector == "" && p.NamespaceSelector == "" && len(p.Nets) == 0 && len(p.NotNets) == 0 {
		rule.AnyPeer = true
		return rule
	}
	if p.Selector != "" {
		if e, err := ParseSelector(p.Selector); err != nil {
			rule.Unsupported = append(rule.Unsupported, where+"."+peerKey+".selector: "+err.Error())
		} else {
			p.SelectorExpr = e
		}
	}
	if p.NamespaceSelector != "" {
		if e, err := ParseSelector(p.NamespaceSelector); err != nil {
			rule.Unsupported = append(rule.Unsupported, where+"."+peerKey+".namespaceSelector: "+err.Error())
		} else {
			p.NamespaceExpr = e
		}
	}
	rule.Peers = []engine.Peer{p}
	return rule
}

// protocol reads a Calico protocol, a name or a number, as the name where it has one.
func protocol(v any) string {
	s := engine.Str(v)
	switch s {
	case "6":
		return "TCP"
	case "17":
		return "UDP"
	case "132":
		return "SCTP"
	case "1":
		return "ICMP"
	case "58":
		return "ICMPv6"
	}
	return s
}

// port reads a Calico port: a number, "min:max", or a named port.
func port(proto string, v any) engine.Port {
	out := engine.Port{Protocol: proto}
	s := engine.Str(v)
	lo, hi, isRange := strings.Cut(s, ":")
	a, errA := strconv.ParseInt(lo, 10, 32)
	switch {
	case errA != nil:
		out.Name = s
	case isRange:
		b, err := strconv.ParseInt(hi, 10, 32)
		if err != nil {
			out.Name = s
			break
		}
		out.Port, out.EndPort = int32(a), int32(b)
	default:
		out.Port = int32(a)
	}
	return out
}
