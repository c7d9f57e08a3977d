package plan

import (
	"slices"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
)

// allowsPort tells whether a port list allows the port on UDP and on TCP.
func AllowsPort(ports []networkingv1.NetworkPolicyPort, port int32) (udp, tcp bool) {
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

// policyTypes tells which directions a NetworkPolicy governs, with the API's defaults.
func PolicyTypes(spec *networkingv1.NetworkPolicySpec) (ingress, egress bool) {
	if len(spec.PolicyTypes) == 0 {
		return true, len(spec.Egress) > 0
	}
	return slices.Contains(spec.PolicyTypes, networkingv1.PolicyTypeIngress), slices.Contains(spec.PolicyTypes, networkingv1.PolicyTypeEgress)
}
