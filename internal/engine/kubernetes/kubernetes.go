package kubernetes

import (
	"github.com/helm-netpol/helm-netpol/internal/engine"
	"github.com/helm-netpol/helm-netpol/internal/plan"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The object this engine renders.
const (
	APIVersion = "networking.k8s.io/v1"
	Kind       = "NetworkPolicy"
)

// Render renders a policy as a networking.k8s.io/v1 NetworkPolicy. Policy types
// are always explicit, so that a policy without ingress rules isolates instead of being
// read as egress-only.
func Render(p *plan.Policy, meta metav1.ObjectMeta) (any, error) {
	np := &networkingv1.NetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: APIVersion, Kind: Kind},
		ObjectMeta: meta,
	}
	if !p.IngressOpen {
		np.Spec.PolicyTypes = append(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress)
	}
	if p.Selector != nil {
		np.Spec.PodSelector = *p.Selector
	}
	if p.EgressIsolated {
		np.Spec.PolicyTypes = append(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress)
	}
	var origins engine.RuleOrigins
	for _, r := range p.Ingress {
		origins.Add("ingress", len(np.Spec.Ingress), r.Origin)
		np.Spec.Ingress = append(np.Spec.Ingress, networkingv1.NetworkPolicyIngressRule{Ports: r.Ports, From: r.Peers})
	}
	for _, r := range p.Egress {
		origins.Add("egress", len(np.Spec.Egress), r.Origin)
		np.Spec.Egress = append(np.Spec.Egress, networkingv1.NetworkPolicyEgressRule{Ports: r.Ports, To: r.Peers})
	}
	origins.Set(&np.ObjectMeta)
	return np, nil
}
