package engine

import (
	"fmt"
	"strings"

	"github.com/helm-netpol/helm-netpol/internal/config"
	"github.com/helm-netpol/helm-netpol/internal/manifest"
	"github.com/helm-netpol/helm-netpol/internal/plan"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// renderer turns an engine-agnostic policy into a typed object of one dialect, marshalled
// with sigs.k8s.io/yaml. meta carries the name, namespace and annotations to use;
// cluster-scoped dialects move the namespace into the name and the subject.
type Renderer func(p *plan.Policy, meta metav1.ObjectMeta) (any, error)

// StagedActionSet is the stagedAction of Calico's staged kinds that previews a policy as if
// it were applied.
const StagedActionSet = "Set"

// Addresses helm-netpol renders where a dialect needs "anywhere" as CIDRs: both families.
var AnywhereCIDRs = []string{"0.0.0.0/0", "::/0"}

// numericPort is one port of a rule as numbers, for the dialects that take no port names.
// Port 0 means every port of the protocol; End is 0 unless the port is a range.
type NumericPort struct {
	Protocol corev1.Protocol
	Port     int32
	End      int32
}

// numericPorts returns the ports of a rule as numbers. A named port is resolved against the
// workload's declared ports on ingress, where the workload is the destination; on egress the
// name is a port of the peer, which the stream does not describe, so it is an error.
func NumericPorts(p *plan.Policy, r plan.Rule, dir plan.Direction, engine config.Engine) ([]NumericPort, error) {
	var out []NumericPort
	for i, port := range r.Ports {
		np := NumericPort{Protocol: ProtocolOf(port.Protocol)}
		switch {
		case port.Port == nil:
		case port.Port.Type == intstr.Int:
			np.Port = port.Port.IntVal
			if port.EndPort != nil && *port.EndPort > np.Port {
				np.End = *port.EndPort
			}
		case dir == plan.Ingress && len(p.Destinations()) > 0:
			n, err := resolveNamed(p, port.Port.StrVal)
			if err != nil {
				return nil, fmt.Errorf("%s.ports[%d]: named port %q: %v, and engine %s takes port numbers only: write the number", r.Origin, i, port.Port.StrVal, err, engine)
			}
			np.Port = n
		default:
			return nil, fmt.Errorf("%s.ports[%d]: named port %q: engine %s takes port numbers only, and the stream does not say which number the peer uses: write the number", r.Origin, i, port.Port.StrVal, engine)
		}
		out = append(out, np)
	}
	return out, nil
}

func ProtocolOf(p *corev1.Protocol) corev1.Protocol {
	if p == nil || *p == "" {
		return corev1.ProtocolTCP
	}
	return *p
}

// ruleOrigins collects the config key behind each rendered rule, for dialects whose rules
// carry no name of their own; it becomes the AnnotationRuleOrigins annotation.
type RuleOrigins []string

func (o *RuleOrigins) Add(direction string, index int, origin string) {
	if origin != "" {
		*o = append(*o, fmt.Sprintf("%s[%d]=%s", direction, index, origin))
	}
}

func (o RuleOrigins) Set(meta *metav1.ObjectMeta) {
	if len(o) == 0 {
		return
	}
	if meta.Annotations == nil {
		meta.Annotations = map[string]string{}
	}
	meta.Annotations[manifest.AnnotationRuleOrigins] = strings.Join(o, "\n")
}

// resolveNamed resolves a named ingress port against the declared ports of the workloads
// the policy is for: one number, the same in all of them.
func resolveNamed(p *plan.Policy, name string) (int32, error) {
	var n int32
	for _, w := range p.Destinations() {
		m, _, ok := w.Resolve(intstr.FromString(name))
		switch {
		case !ok && p.Workload != nil:
			return 0, fmt.Errorf("the pods of %s declare no port of that name", p.For)
		case !ok:
			return 0, fmt.Errorf("the pods of %s declare no port of that name", w.ID())
		case n != 0 && m != n:
			return 0, fmt.Errorf("the workloads it selects declare it as %d and %d", n, m)
		}
		n = m
	}
	return n, nil
}
