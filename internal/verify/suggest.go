package verify

import (
	"fmt"
	"net/netip"
	"strings"

	sigsyaml "sigs.k8s.io/yaml"
)

// Suggest is the config that would allow a dropped flow, as YAML that pastes into the
// workload's helm-netpol.io/config: an entry of the role's from knob when role names the
// role whose narrowed rule opens the port (webhook, metrics, gate, otherPorts), else an
// additionalIngress rule for ingress, an egress.to rule for egress (the apiserver's
// address under egress.apiserver.cidrs). Lists replace when config layers merge: add the
// entry to the list the config holds.
func Suggest(dir string, peer Endpoint, port int, protocol, role string) string {
	ports := []any{map[string]any{"port": port, "protocol": protocol}}
	var np map[string]any
	switch {
	case peer.IsPod():
		np = map[string]any{"namespaceSelector": map[string]any{"matchLabels": nsMatch(peer)}}
		if len(peer.Labels) > 0 {
			np["podSelector"] = map[string]any{"matchLabels": peer.Labels}
		} else {
			np["podSelector"] = map[string]any{}
		}
	case peer.IP != "":
		np = map[string]any{"ipBlock": map[string]any{"cidr": hostCIDR(peer.IP)}}
	}
	var cfg map[string]any
	switch {
	case dir == "egress" && peer.Entity == "kube-apiserver":
		api := map[string]any{"enabled": true}
		if peer.IP != "" {
			api["cidrs"] = []any{hostCIDR(peer.IP)}
		}
		cfg = map[string]any{"egress": map[string]any{"enabled": true, "apiserver": api}}
	case np == nil:
		return fmt.Sprintf("# the flows name no address of the %s: add it as an ipBlock", peer.String())
	case dir == "ingress" && role != "":
		cfg = map[string]any{role: map[string]any{"from": []any{np}}}
	case dir == "egress":
		cfg = map[string]any{"egress": map[string]any{"enabled": true, "to": []any{map[string]any{"to": []any{np}, "ports": ports}}}}
	default:
		cfg = map[string]any{"additionalIngress": []any{map[string]any{"from": []any{np}, "ports": ports}}}
	}
	b, err := sigsyaml.Marshal(map[string]any{"networkPolicy": cfg})
	if err != nil {
		return "# " + err.Error()
	}
	return strings.TrimSuffix(string(b), "\n")
}

func nsMatch(e Endpoint) map[string]string {
	return map[string]string{"kubernetes.io/metadata.name": e.Namespace}
}

func hostCIDR(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	return netip.PrefixFrom(a, a.BitLen()).String()
}
