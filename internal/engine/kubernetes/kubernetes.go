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

// The staged form: Calico's StagedKubernetesNetworkPolicy, a Kubernetes NetworkPolicy spec
// that Calico evaluates and reports in its flow logs without enforcing it.
const (
	StagedAPIVersion = "projectcalico.org/v3"
	StagedKind       = "StagedKubernetesNetworkPolicy"
)

// StagedKubernetesNetworkPolicy is a projectcalico.org/v3 StagedKubernetesNetworkPolicy:
// stagedAction beside the fields of a Kubernetes NetworkPolicy spec.
type StagedKubernetesNetworkPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              StagedSpec `json:"spec"`
}

// StagedSpec is the spec of a StagedKubernetesNetworkPolicy.
type StagedSpec struct {
	// StagedAction is Set: the policy is previewed as if it were applied.
	StagedAction                   string `json:"stagedAction"`
	networkingv1.NetworkPolicySpec `json:",inline"`
}

// Render renders a policy as a networking.k8s.io/v1 NetworkPolicy. Policy types
// are always explicit, so that a policy without ingress rules isolates instead of being
// read as egress-only.
func Render(p *plan.Policy, meta metav1.ObjectMeta) (any, error) {
	return render(p, meta), nil
}

// RenderStaged renders a policy as a StagedKubernetesNetworkPolicy holding the spec Render
// gives. stagedAction is explicit, so the server adds nothing a GitOps tool would see as
// drift.
func RenderStaged(p *plan.Policy, meta metav1.ObjectMeta) (any, error) {
	np := render(p, meta)
	return &StagedKubernetesNetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: StagedAPIVersion, Kind: StagedKind},
		ObjectMeta: np.ObjectMeta,
		Spec:       StagedSpec{StagedAction: engine.StagedActionSet, NetworkPolicySpec: np.Spec},
	}, nil
}

func render(p *plan.Policy, meta metav1.ObjectMeta) *networkingv1.NetworkPolicy {
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
	return np
}
