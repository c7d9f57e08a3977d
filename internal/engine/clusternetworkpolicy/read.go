package clusternetworkpolicy

import (
	"fmt"
	"strings"

	"github.com/helm-netpol/helm-netpol/internal/config"
	"github.com/helm-netpol/helm-netpol/internal/engine"
	"github.com/helm-netpol/helm-netpol/internal/manifest"
	"github.com/helm-netpol/helm-netpol/internal/plan"
)

// Read reads a policy.networking.k8s.io/v1alpha2 ClusterNetworkPolicy back (the API
// types of sigs.k8s.io/network-policy-api v0.3.0): its tier and priority, its subject, and
// its rules in order, each with its action (Accept, Deny, Pass). Its rules never isolate.
// A peer with no field set is marked unsupported (the API says to fail closed on it), as
// is any other kind of the group.
func Read(o *manifest.Object) (*engine.Object, error) {
	obj, err := engine.JSONOf(o)
	if err != nil {
		return nil, err
	}
	out := engine.NewObject(o, config.EngineClusterNetworkPolicy)
	out.ClusterScoped = true
	if o.Kind != "ClusterNetworkPolicy" || o.APIVersion != "policy.networking.k8s.io/v1alpha2" {
		out.Unsupported = append(out.Unsupported, "kind "+o.APIVersion+" "+o.Kind)
		return out, nil
	}
	spec := engine.Map(obj["spec"])
	out.Unsupported = append(out.Unsupported, engine.UnknownKeys(spec, "spec", "tier", "priority", "subject", "ingress", "egress")...)
	out.Tier = engine.Str(spec["tier"])
	if p, ok := engine.Int32(spec["priority"]); ok {
		out.Priority = &p
	}
	subject := engine.Map(spec["subject"])
	switch {
	case subject["namespaces"] != nil:
		ns, err := engine.Selector(subject["namespaces"])
		if err != nil {
			return nil, fmt.Errorf("spec.subject.namespaces: %w", err)
		}
		out.Subject.Namespaces = ns
	case subject["pods"] != nil:
		pods := engine.Map(subject["pods"])
		ns, err := engine.Selector(orEmpty(pods["namespaceSelector"]))
		if err != nil {
			return nil, fmt.Errorf("spec.subject.pods.namespaceSelector: %w", err)
		}
		ps, err := engine.Selector(orEmpty(pods["podSelector"]))
		if err != nil {
			return nil, fmt.Errorf("spec.subject.pods.podSelector: %w", err)
		}
		out.Subject.Namespaces, out.Subject.Pods = ns, ps
	default:
		out.Unsupported = append(out.Unsupported, "spec.subject: neither namespaces nor pods")
	}
	for _, dir := range []plan.Direction{plan.Ingress, plan.Egress} {
		peersKey := map[plan.Direction]string{plan.Ingress: "from", plan.Egress: "to"}[dir]
		for i, r := range engine.Maps(spec[string(dir)]) {
			where := fmt.Sprintf("spec.%s[%d]", dir, i)
			rule := engine.Rule{Direction: dir, List: string(dir), Index: i, Action: engine.Str(r["action"]), Origin: engine.Str(r["name"])}
			rule.Unsupported = engine.UnknownKeys(r, where, "name", "action", peersKey, "protocols")
			for j, p := range engine.Maps(r[peersKey]) {
				peers, err := readPeer(p)
				if err != nil {
					rule.Unsupported = append(rule.Unsupported, fmt.Sprintf("%s.%s[%d]: %v", where, peersKey, j, err))
				}
				rule.Peers = append(rule.Peers, peers...)
			}
			rule.Ports = readProtocols(r["protocols"])
			if dir == plan.Ingress {
				out.Ingress = append(out.Ingress, rule)
			} else {
				out.Egress = append(out.Egress, rule)
			}
		}
	}
	out.DefaultDeny = out.Subject.Namespaces != nil && out.Subject.Pods == nil && len(out.Ingress) > 0
	for _, r := range append(append([]engine.Rule{}, out.Ingress...), out.Egress...) {
		if r.Action != "Deny" {
			out.DefaultDeny = false
		}
	}
	return out, nil
}

func orEmpty(v any) any {
	if v == nil {
		return map[string]any{}
	}
	return v
}

// readPeer reads a peer: namespaces, pods, networks (one peer a CIDR), nodes, domainNames.
func readPeer(p map[string]any) ([]engine.Peer, error) {
	raw := engine.Str(p)
	switch {
	case p["namespaces"] != nil:
		ns, err := engine.Selector(p["namespaces"])
		return []engine.Peer{{Kind: engine.PeerNamespaces, Namespaces: ns}}, err
	case p["pods"] != nil:
		pods := engine.Map(p["pods"])
		ns, err := engine.Selector(orEmpty(pods["namespaceSelector"]))
		if err != nil {
			return nil, err
		}
		ps, err := engine.Selector(orEmpty(pods["podSelector"]))
		return []engine.Peer{{Kind: engine.PeerPods, Pods: ps, Namespaces: ns}}, err
	case p["networks"] != nil:
		var out []engine.Peer
		for _, n := range engine.Strings(p["networks"]) {
			out = append(out, engine.Peer{Kind: engine.PeerCIDR, CIDR: n})
		}
		return out, nil
	case p["nodes"] != nil:
		nodes, err := engine.Selector(p["nodes"])
		return []engine.Peer{{Kind: engine.PeerNodes, Nodes: nodes, Raw: raw}}, err
	case p["domainNames"] != nil:
		var out []engine.Peer
		for _, d := range engine.Strings(p["domainNames"]) {
			out = append(out, engine.Peer{Kind: engine.PeerFQDN, FQDN: d, Pattern: strings.HasPrefix(d, "*"), Raw: raw})
		}
		return out, nil
	}
	return []engine.Peer{{Kind: engine.PeerOther, Raw: raw}}, fmt.Errorf("a peer with no field this reader knows: the API says to fail closed")
}

// readProtocols reads protocols: a destination port, a range, or a named port.
func readProtocols(v any) []engine.Port {
	var out []engine.Port
	for _, p := range engine.Maps(v) {
		for _, proto := range []string{"tcp", "udp", "sctp"} {
			m, ok := p[proto].(map[string]any)
			if !ok {
				continue
			}
			port := engine.Port{Protocol: strings.ToUpper(proto)}
			dp := engine.Map(m["destinationPort"])
			if n, ok := engine.Int32(dp["number"]); ok {
				port.Port = n
			}
			if r := engine.Map(dp["range"]); r != nil {
				port.Port, _ = engine.Int32(r["start"])
				port.EndPort, _ = engine.Int32(r["end"])
			}
			out = append(out, port)
		}
		if n := engine.Str(p["destinationNamedPort"]); n != "" {
			out = append(out, engine.Port{Name: n})
		}
	}
	return out
}
