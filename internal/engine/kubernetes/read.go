package kubernetes

import (
	"fmt"

	"github.com/helm-netpol/helm-netpol/internal/config"
	"github.com/helm-netpol/helm-netpol/internal/engine"
	"github.com/helm-netpol/helm-netpol/internal/manifest"
	"github.com/helm-netpol/helm-netpol/internal/plan"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Read reads a networking.k8s.io/v1 NetworkPolicy back. Its policyTypes default as the API
// defaults them: Ingress always, Egress when the policy has egress rules. It reads
// Calico's StagedKubernetesNetworkPolicy too, a NetworkPolicy spec beside stagedAction, as
// staged: Calico evaluates it and enforces nothing.
func Read(o *manifest.Object) (*engine.Object, error) {
	obj, err := engine.JSONOf(o)
	if err != nil {
		return nil, err
	}
	out := engine.NewObject(o, config.EngineKubernetes)
	spec := engine.Map(obj["spec"])
	switch {
	case o.Group() == "networking.k8s.io" && o.Kind == Kind:
	case o.Group() == "projectcalico.org" && o.Kind == StagedKind:
		out.Staged = true
		if a := engine.Str(spec["stagedAction"]); a != "" && a != engine.StagedActionSet {
			out.Unsupported = append(out.Unsupported, "spec.stagedAction: "+a)
		}
	default:
		out.Unsupported = append(out.Unsupported, "kind "+o.Kind)
		return out, nil
	}
	sel, err := engine.Selector(spec["podSelector"])
	if err != nil {
		return nil, fmt.Errorf("spec.podSelector: %w", err)
	}
	if sel == nil {
		sel = &metav1.LabelSelector{}
	}
	out.Subject.Pods = sel
	types := engine.Strings(spec["policyTypes"])
	if len(types) == 0 {
		out.IngressIsolated, out.EgressIsolated = true, len(engine.List(spec["egress"])) > 0
	}
	for _, t := range types {
		switch t {
		case "Ingress":
			out.IngressIsolated = true
		case "Egress":
			out.EgressIsolated = true
		default:
			out.Unsupported = append(out.Unsupported, "spec.policyTypes: "+t)
		}
	}
	origins := engine.RuleOriginsOf(o)
	for _, dir := range []plan.Direction{plan.Ingress, plan.Egress} {
		peersKey := map[plan.Direction]string{plan.Ingress: "from", plan.Egress: "to"}[dir]
		for i, r := range engine.Maps(spec[string(dir)]) {
			rule := engine.Rule{Direction: dir, List: string(dir), Index: i, Action: "Allow"}
			rule.Origin = origins[fmt.Sprintf("%s[%d]", dir, i)]
			rule.Ports = readPorts(r["ports"])
			peers := engine.Maps(r[peersKey])
			rule.AnyPeer = len(peers) == 0
			where := fmt.Sprintf("spec.%s[%d].%s", dir, i, peersKey)
			for j, p := range peers {
				peer, err := readPeer(p)
				if err != nil {
					return nil, fmt.Errorf("%s[%d]: %w", where, j, err)
				}
				rule.Peers = append(rule.Peers, peer)
			}
			if dir == plan.Ingress {
				out.Ingress = append(out.Ingress, rule)
			} else {
				out.Egress = append(out.Egress, rule)
			}
		}
	}
	empty := len(sel.MatchLabels) == 0 && len(sel.MatchExpressions) == 0
	out.DefaultDeny = empty && len(out.Ingress) == 0 && (!out.EgressIsolated || len(out.Egress) == 0)
	return out, nil
}

func readPorts(v any) []engine.Port {
	var out []engine.Port
	for _, p := range engine.Maps(v) {
		port := engine.Port{Protocol: engine.Str(p["protocol"])}
		if port.Protocol == "" {
			port.Protocol = "TCP"
		}
		switch x := p["port"].(type) {
		case string:
			port.Name = x
		case float64:
			port.Port = int32(x)
		}
		if end, ok := engine.Int32(p["endPort"]); ok {
			port.EndPort = end
		}
		out = append(out, port)
	}
	return out
}

// readPeer reads a NetworkPolicyPeer: an ipBlock, or pods and namespaces.
func readPeer(p map[string]any) (engine.Peer, error) {
	if b := engine.Map(p["ipBlock"]); p["ipBlock"] != nil {
		return engine.Peer{Kind: engine.PeerCIDR, CIDR: engine.Str(b["cidr"]), Except: engine.Strings(b["except"])}, nil
	}
	pods, err := engine.Selector(p["podSelector"])
	if err != nil {
		return engine.Peer{}, fmt.Errorf("podSelector: %w", err)
	}
	ns, err := engine.Selector(p["namespaceSelector"])
	if err != nil {
		return engine.Peer{}, fmt.Errorf("namespaceSelector: %w", err)
	}
	if pods == nil && ns != nil {
		return engine.Peer{Kind: engine.PeerNamespaces, Namespaces: ns}, nil
	}
	if pods == nil {
		pods = &metav1.LabelSelector{}
	}
	return engine.Peer{Kind: engine.PeerPods, Pods: pods, Namespaces: ns}, nil
}
