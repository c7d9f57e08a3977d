package verdict

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"strings"

	"github.com/cilium/cilium/pkg/k8s"
	ciliumv2 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2"
	slimnetworkingv1 "github.com/cilium/cilium/pkg/k8s/slim/k8s/api/networking/v1"
	"github.com/cilium/cilium/pkg/labels"
	"github.com/cilium/cilium/pkg/policy/api"
	policytypes "github.com/cilium/cilium/pkg/policy/types"
	policyutils "github.com/cilium/cilium/pkg/policy/utils"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	policyv1alpha2 "sigs.k8s.io/network-policy-api/apis/v1alpha2"
	"sigs.k8s.io/yaml"
)

// The kinds Cilium enforces, as apiVersion/kind.
const (
	kindCNP  = "cilium.io/v2/CiliumNetworkPolicy"
	kindCCNP = "cilium.io/v2/CiliumClusterwideNetworkPolicy"
	kindNP   = "networking.k8s.io/v1/NetworkPolicy"
	kindKCNP = "policy.networking.k8s.io/v1alpha2/ClusterNetworkPolicy"
)

// defaultNamespace stands in for the namespace of a namespaced policy that
// carries none, as the API server fills it in from the request.
const defaultNamespace = "default"

// entryLabelSource and entryLabelKey tag every policy entry with its index in
// the engine's own table, so that a verdict can name the rule behind it.
// Cilium carries a rule's labels through to the policy map entries it
// produces (RuleMeta) and uses them for nothing else.
const (
	entryLabelSource = "helm-netpol-oracle"
	entryLabelKey    = "entry"
)

// rule names one policy entry: the object and the part of its spec it came
// from.
type rule struct {
	object string // kind namespace/name
	path   string // e.g. spec.egress[1]
	// key is the rule's key in the helm-netpol.io/rule-origins annotation
	// (egress[1]), or its name in a ClusterNetworkPolicy.
	key string
	// origin is what helm-netpol says the rule renders, from that
	// annotation or the ClusterNetworkPolicy rule's name.
	origin string
}

func (r rule) String() string {
	s := r.object
	if r.path != "" {
		s += " " + r.path
	}
	if r.origin != "" {
		s += " (" + r.origin + ")"
	}
	return s
}

// ruleOriginsAnnotation is where helm-netpol records, for each rule it
// renders, the config key it comes from: one "egress[1]=networkPolicy.egress.apiserver"
// per line.
const ruleOriginsAnnotation = "helm-netpol.io/rule-origins"

func ruleOrigins(annotations map[string]string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(annotations[ruleOriginsAnnotation], "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok {
			out[k] = v
		}
	}
	return out
}

func withOrigins(rules []rule, origins map[string]string) []rule {
	for i := range rules {
		if rules[i].origin == "" {
			rules[i].origin = origins[rules[i].key]
		}
	}
	return rules
}

// parsed holds the policy entries of a set of documents and what each came
// from.
type parsed struct {
	entries policytypes.PolicyEntries
	rules   []rule // rules[i] names entries[i]
}

// IsPolicy reports whether a document is one of the kinds Cilium 1.20.2
// enforces: CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy,
// networking.k8s.io/v1 NetworkPolicy and policy.networking.k8s.io/v1alpha2
// ClusterNetworkPolicy.
func IsPolicy(doc []byte) (bool, error) {
	tm, err := typeMeta(doc)
	if err != nil {
		return false, err
	}
	switch tm.APIVersion + "/" + tm.Kind {
	case kindCNP, kindCCNP, kindNP, kindKCNP:
		return true, nil
	}
	return false, nil
}

func typeMeta(doc []byte) (metav1.TypeMeta, error) {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		return tm, fmt.Errorf("decode: %w", err)
	}
	return tm, nil
}

// parseDocuments turns every document into Cilium policy entries, with the
// agent's own translation for each kind.
func parseDocuments(logger *slog.Logger, docs [][]byte) (parsed, error) {
	var p parsed
	var errs []error
	for i, doc := range docs {
		entries, rules, err := parseDocument(logger, doc)
		if err != nil {
			errs = append(errs, fmt.Errorf("document %d: %w", i, err))
			continue
		}
		p.entries = append(p.entries, entries...)
		p.rules = append(p.rules, rules...)
	}
	if err := errors.Join(errs...); err != nil {
		return parsed{}, err
	}
	for i, e := range p.entries {
		lbls := make(labels.LabelArray, 0, len(e.Labels)+1)
		lbls = append(lbls, e.Labels...)
		lbls = append(lbls, labels.NewLabel(entryLabelKey, strconv.Itoa(i), entryLabelSource))
		e.Labels = lbls.Sort()
	}
	if err := checkNumericPorts(p); err != nil {
		return parsed{}, err
	}
	return p, nil
}

func parseDocument(logger *slog.Logger, doc []byte) (policytypes.PolicyEntries, []rule, error) {
	tm, err := typeMeta(doc)
	if err != nil {
		return nil, nil, err
	}
	switch kind := tm.APIVersion + "/" + tm.Kind; kind {
	case kindCNP:
		var cnp ciliumv2.CiliumNetworkPolicy
		if err := yaml.UnmarshalStrict(doc, &cnp); err != nil {
			return nil, nil, fmt.Errorf("decode: %w", err)
		}
		if cnp.Namespace == "" {
			cnp.Namespace = defaultNamespace
		}
		// The agent's path: pkg/policy/k8s upsertCiliumNetworkPolicyV2.
		rules, err := cnp.Parse(logger, clusterName)
		if err != nil {
			return nil, nil, err
		}
		entries, names, err := ciliumEntries(rules, cnp.Spec != nil, "CiliumNetworkPolicy "+cnp.Namespace+"/"+cnp.Name)
		return entries, withOrigins(names, ruleOrigins(cnp.Annotations)), err
	case kindCCNP:
		var ccnp ciliumv2.CiliumClusterwideNetworkPolicy
		if err := yaml.UnmarshalStrict(doc, &ccnp); err != nil {
			return nil, nil, fmt.Errorf("decode: %w", err)
		}
		rules, err := ccnp.Parse(logger, clusterName)
		if err != nil {
			return nil, nil, err
		}
		entries, names, err := ciliumEntries(rules, ccnp.Spec != nil, "CiliumClusterwideNetworkPolicy "+ccnp.Name)
		return entries, withOrigins(names, ruleOrigins(ccnp.Annotations)), err
	case kindNP:
		var np slimnetworkingv1.NetworkPolicy
		if err := yaml.UnmarshalStrict(doc, &np); err != nil {
			return nil, nil, fmt.Errorf("decode: %w", err)
		}
		if np.Namespace == "" {
			np.Namespace = defaultNamespace
		}
		// The agent's path: pkg/policy/k8s addK8sNetworkPolicyV1.
		entries, err := k8s.ParseNetworkPolicy(logger, clusterName, &np)
		if err != nil {
			return nil, nil, err
		}
		rules, err := networkPolicyRules(&np, entries)
		return entries, withOrigins(rules, ruleOrigins(np.Annotations)), err
	case kindKCNP:
		var kcnp policyv1alpha2.ClusterNetworkPolicy
		if err := yaml.UnmarshalStrict(doc, &kcnp); err != nil {
			return nil, nil, fmt.Errorf("decode (Cilium 1.20.2 reads sigs.k8s.io/network-policy-api v0.2.0): %w", err)
		}
		// The agent's path: pkg/policy/k8s addK8sClusterNetworkPolicy.
		entries, err := k8s.ParseClusterNetworkPolicy(logger, clusterName, &kcnp)
		if err != nil {
			return nil, nil, err
		}
		rules, err := clusterNetworkPolicyRules(&kcnp, entries)
		return entries, rules, err
	default:
		return nil, nil, fmt.Errorf("%s %s: not a policy kind Cilium 1.20.2 enforces (CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy, networking.k8s.io/v1 NetworkPolicy, policy.networking.k8s.io/v1alpha2 ClusterNetworkPolicy)", tm.APIVersion, tm.Kind)
	}
}

// ciliumEntries converts a Cilium policy's rules the way the agent does
// (policyutils.RulesToPolicyEntries) and names each entry. That function
// emits, per rule, its ingress, ingressDeny, egress and egressDeny entries
// in order.
func ciliumEntries(rules api.Rules, hasSpec bool, object string) (policytypes.PolicyEntries, []rule, error) {
	entries := policyutils.RulesToPolicyEntries(rules)
	var names []rule
	for i, r := range rules {
		// Parse returns spec's rule first, then those of specs.
		prefix := "spec"
		if !hasSpec || i > 0 {
			prefix = fmt.Sprintf("specs[%d]", i)
			if hasSpec {
				prefix = fmt.Sprintf("specs[%d]", i-1)
			}
		}
		add := func(section string, n int) {
			for j := range n {
				key := fmt.Sprintf("%s[%d]", section, j)
				r := rule{object: object, path: prefix + "." + key}
				if prefix == "spec" {
					r.key = key
				}
				names = append(names, r)
			}
		}
		add("ingress", len(r.Ingress))
		add("ingressDeny", len(r.IngressDeny))
		add("egress", len(r.Egress))
		add("egressDeny", len(r.EgressDeny))
	}
	if len(names) != len(entries) {
		return nil, nil, fmt.Errorf("%s: %d policy entries for %d rules", object, len(entries), len(names))
	}
	return entries, names, nil
}

// networkPolicyRules names the entries k8s.ParseNetworkPolicy returns: one
// per peer of each ingress rule (one for a rule without peers), the same for
// egress, then the default-deny entry of a direction without rules.
func networkPolicyRules(np *slimnetworkingv1.NetworkPolicy, entries policytypes.PolicyEntries) ([]rule, error) {
	object := "NetworkPolicy " + np.Namespace + "/" + np.Name
	var names []rule
	for i, r := range np.Spec.Ingress {
		key := fmt.Sprintf("ingress[%d]", i)
		if len(r.From) == 0 {
			names = append(names, rule{object: object, path: "spec." + key, key: key})
		}
		for k := range r.From {
			names = append(names, rule{object: object, path: fmt.Sprintf("spec.%s.from[%d]", key, k), key: key})
		}
	}
	nIngress := len(names)
	for i, r := range np.Spec.Egress {
		key := fmt.Sprintf("egress[%d]", i)
		if len(r.To) == 0 {
			names = append(names, rule{object: object, path: "spec." + key, key: key})
		}
		for k := range r.To {
			names = append(names, rule{object: object, path: fmt.Sprintf("spec.%s.to[%d]", key, k), key: key})
		}
	}
	nEgress := len(names) - nIngress
	// The default-deny entries ParseNetworkPolicy adds for a direction
	// without rules come first and last respectively; find them by direction.
	var out []rule
	ii, ei := 0, nIngress
	for _, e := range entries {
		switch {
		case e.Ingress && ii < nIngress:
			out = append(out, names[ii])
			ii++
		case !e.Ingress && ei < nIngress+nEgress:
			out = append(out, names[ei])
			ei++
		default:
			out = append(out, rule{object: object, path: "spec.policyTypes (isolation without rules)"})
		}
	}
	if ii != nIngress || ei != nIngress+nEgress {
		return nil, fmt.Errorf("%s: policy entries do not match its rules", object)
	}
	return out, nil
}

// clusterNetworkPolicyRules names the entries k8s.ParseClusterNetworkPolicy
// returns. Every entry of rule i carries the priority spec.priority + i/100.
func clusterNetworkPolicyRules(kcnp *policyv1alpha2.ClusterNetworkPolicy, entries policytypes.PolicyEntries) ([]rule, error) {
	object := "ClusterNetworkPolicy " + kcnp.Name
	var names []rule
	for _, e := range entries {
		i := int(math.Round((e.Priority - float64(kcnp.Spec.Priority)) * 100))
		dir, name := "egress", ""
		if e.Ingress {
			dir = "ingress"
			if i < 0 || i >= len(kcnp.Spec.Ingress) {
				return nil, fmt.Errorf("%s: no ingress rule for priority %v", object, e.Priority)
			}
			name = kcnp.Spec.Ingress[i].Name
		} else {
			if i < 0 || i >= len(kcnp.Spec.Egress) {
				return nil, fmt.Errorf("%s: no egress rule for priority %v", object, e.Priority)
			}
			name = kcnp.Spec.Egress[i].Name
		}
		names = append(names, rule{object: object, path: fmt.Sprintf("spec.%s[%d]", dir, i), key: name, origin: name})
	}
	return names, nil
}

// checkNumericPorts refuses named ports of egress rules: Cilium resolves them
// against the destination pods' declared ports, from its ipcache, which this
// oracle does not build. Those of ingress rules resolve against the probe
// workload's declared ports.
func checkNumericPorts(p parsed) error {
	var errs []error
	for i, e := range p.entries {
		if e.Ingress {
			continue
		}
		for _, pr := range e.L4 {
			for _, pp := range pr.Ports {
				if pp.Port == "" {
					continue
				}
				if _, err := strconv.ParseUint(pp.Port, 10, 16); err != nil {
					errs = append(errs, fmt.Errorf("%s: port %q: named ports of egress rules are not supported (the peers' declared ports are not modelled)", p.rules[i], pp.Port))
				}
			}
		}
	}
	return errors.Join(errs...)
}
