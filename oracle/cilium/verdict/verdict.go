// Package verdict answers, with Cilium 1.20.2's own policy resolution, whether
// a connection to or from a workload's pod is allowed by a set of policies.
//
// The policies are turned into Cilium policy entries by the agent's own
// translations (CiliumNetworkPolicy.Parse, k8s.ParseNetworkPolicy,
// k8s.ParseClusterNetworkPolicy), loaded into a policy.Repository as
// Cilium's pkg/policy tests load them, and resolved for the workload's
// security identity (Repository.ComputeSelectorPolicy,
// SelectorPolicy.DistillPolicy). The verdict is EndpointPolicy.Lookup of the
// peer's identity, protocol and port: the same precedence the datapath
// applies to the endpoint's policy map (policy.LookupFlow does the same for
// both ends of a flow).
//
// The agent configuration is Cilium's default in Kubernetes:
// policy-enforcement "default" (a direction no policy selects allows
// everything), allow-localhost "always" (what "auto" becomes in Kubernetes:
// the node reaches its pods), policy-cidr-match-mode empty (CIDR rules
// select neither nodes nor pods), IPv4 and IPv6, cluster name "default",
// policy-default-local-cluster. ClusterNetworkPolicy is read as with
// enable-k8s-cluster-network-policy, which is off by default: without it the
// agent ignores them.
//
// Only the workload's own policy in the probe's direction is judged: an
// ingress probe from a pod does not consult that pod's egress policy.
package verdict

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/cilium/cilium/pkg/crypto/certificatemanager"
	"github.com/cilium/cilium/pkg/defaults"
	"github.com/cilium/cilium/pkg/endpoint/regeneration"
	envoypolicy "github.com/cilium/cilium/pkg/envoy/policy"
	"github.com/cilium/cilium/pkg/identity"
	"github.com/cilium/cilium/pkg/identity/identitymanager"
	"github.com/cilium/cilium/pkg/labels"
	"github.com/cilium/cilium/pkg/labelsfilter"
	"github.com/cilium/cilium/pkg/option"
	"github.com/cilium/cilium/pkg/policy"
	"github.com/cilium/cilium/pkg/policy/api"
	testpolicy "github.com/cilium/cilium/pkg/testutils/policy"
	"github.com/cilium/cilium/pkg/u8proto"
)

// clusterName is the agent's default cluster name, which
// policy-default-local-cluster (on by default) writes into every policy's
// selectors and which the agent adds to every pod's labels.
const clusterName = defaults.ClusterName

// Options are the agent settings a caller may change from Cilium's defaults.
type Options struct {
	// CIDRMatchNodes sets policy-cidr-match-mode: nodes, under which CIDR
	// rules also select the addresses of nodes (and so of a host-network
	// kube-apiserver).
	CIDRMatchNodes bool
}

// Verdicts answers each probe against the policies in docs under Cilium's
// default agent configuration.
func Verdicts(docs [][]byte, probes []Probe) ([]Verdict, error) {
	return Options{}.Verdicts(docs, probes)
}

// mu serialises Verdicts: Cilium keeps its agent configuration in globals
// (option.Config, the policy enforcement mode).
var mu sync.Mutex

var setup = sync.OnceValue(func() error {
	logger := slog.New(slog.DiscardHandler)
	// The agent's startup: the label filter (--labels empty: the default
	// prefixes) and the entities that depend on the cluster name.
	if err := labelsfilter.ParseLabelPrefixCfg(logger, nil, nil, ""); err != nil {
		return err
	}
	api.InitEntities(clusterName)
	return nil
})

// Verdicts answers each probe against the policies in docs under Cilium's
// default agent configuration changed by o.
func (o Options) Verdicts(docs [][]byte, probes []Probe) ([]Verdict, error) {
	results, err := o.results(docs, probes)
	if err != nil {
		return nil, err
	}
	out := make([]Verdict, len(results))
	for i, r := range results {
		out[i] = r.Verdict
	}
	return out, nil
}

func (o Options) results(docs [][]byte, probes []Probe) ([]result, error) {
	mu.Lock()
	defer mu.Unlock()
	if err := setup(); err != nil {
		return nil, err
	}
	var errs []error
	for i, p := range probes {
		if err := p.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("probe %d: %w", i, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	restore := o.apply()
	defer restore()

	logger := slog.New(slog.DiscardHandler)
	p, err := parseDocuments(logger, docs)
	if err != nil {
		return nil, err
	}

	// Allocate every identity first: the agent knows every pod and address
	// before it computes a policy, so selectors see them all.
	ids := newIdentities(policyPrefixes(p))
	type ends struct{ workload, peer *identity.Identity }
	resolved := make([]ends, len(probes))
	for i, pr := range probes {
		peer, err := ids.peer(pr.Peer)
		if err != nil {
			return nil, fmt.Errorf("probe %d: %w", i, err)
		}
		resolved[i] = ends{ids.pod(pr.Workload), peer}
	}
	all := ids.all()

	idMgr := identitymanager.NewIDManager(logger)
	// As pkg/policy's own tests build it (distillery_test.go
	// newPolicyDistillery, pkg/k8s testNewPolicyRepository).
	l7 := envoypolicy.NewEnvoyL7RulesTranslator(logger, certificatemanager.NewMockSecretManagerInline())
	repo := policy.NewPolicyRepository(logger, all, nil, l7, idMgr, testpolicy.NewPolicyMetricsNoop())
	repo.UpdateIdentities(all, nil)
	repo.MustAddPolicyEntries(p.entries)

	e := engine{logger: logger, repo: repo, parsed: p, policies: map[string]*policy.EndpointPolicy{}}
	defer e.release()
	out := make([]result, len(probes))
	for i, pr := range probes {
		r, err := e.verdict(pr, resolved[i].workload, resolved[i].peer)
		if err != nil {
			return nil, fmt.Errorf("probe %d (%s): %w", i, pr, err)
		}
		out[i] = r
	}
	return out, nil
}

// apply sets the agent configuration and returns a function that restores
// the previous one.
func (o Options) apply() (restore func()) {
	prevEnforcement := policy.GetPolicyEnabled()
	prevLocalhost := option.Config.UnsafeDaemonConfigOption.AllowLocalhost
	prevMatch := option.Config.PolicyCIDRMatchMode
	prevV4, prevV6 := option.Config.EnableIPv4, option.Config.EnableIPv6

	policy.SetPolicyEnabled(option.DefaultEnforcement)
	option.Config.UnsafeDaemonConfigOption.AllowLocalhost = option.AllowLocalhostAlways
	option.Config.PolicyCIDRMatchMode = nil
	if o.CIDRMatchNodes {
		option.Config.PolicyCIDRMatchMode = []string{"nodes"}
	}
	option.Config.EnableIPv4, option.Config.EnableIPv6 = true, true

	return func() {
		policy.SetPolicyEnabled(prevEnforcement)
		option.Config.UnsafeDaemonConfigOption.AllowLocalhost = prevLocalhost
		option.Config.PolicyCIDRMatchMode = prevMatch
		option.Config.EnableIPv4, option.Config.EnableIPv6 = prevV4, prevV6
	}
}

// policyPrefixes returns the CIDR prefixes the policies select (except
// prefixes included): the agent adds each to its ipcache.
func policyPrefixes(p parsed) []netip.Prefix {
	var out []netip.Prefix
	for _, e := range p.entries {
		for _, sel := range e.L3 {
			out = append(out, sel.GetCIDRPrefixes()...)
		}
	}
	return out
}

type engine struct {
	logger   *slog.Logger
	repo     *policy.Repository
	parsed   parsed
	policies map[string]*policy.EndpointPolicy // by identity and named ports
}

func (e *engine) release() {
	for _, epp := range e.policies {
		epp.Detach(e.logger)
	}
}

// endpointPolicy resolves and distills the policy of a workload identity,
// as policy.LookupFlow does, for a pod with the declared ports given.
func (e *engine) endpointPolicy(id *identity.Identity, ports []NamedPort) (*policy.EndpointPolicy, error) {
	o := newOwner(uint64(id.ID), ports)
	key := fmt.Sprintf("%d %v", id.ID, o.named)
	if epp, ok := e.policies[key]; ok {
		return epp, nil
	}
	sp, _, err := e.repo.ComputeSelectorPolicy(id)
	if err != nil {
		return nil, fmt.Errorf("resolve policy: %w", err)
	}
	// A redirect for every proxy port, as policy.LookupFlow simulates
	// them: an L7 rule (DNS) then shows as allowed at L4.
	redirects := map[string]uint16{policy.FallbackRedirectID: 65535}
	epp := sp.DistillPolicy(e.logger, o, redirects)
	if err := epp.Ready(); err != nil {
		return nil, err
	}
	sp.Supersede()
	e.policies[key] = epp
	return epp, nil
}

// result is a verdict and what it rests on.
type result struct {
	Verdict
	// rules are the policy rules behind the policy map entry that decided,
	// and synthetic the rules the agent added itself.
	rules     []rule
	synthetic []string
	// selecting are the policies that select the workload in the probe's
	// direction.
	selecting []string
}

func (e *engine) verdict(pr Probe, workload, peer *identity.Identity) (result, error) {
	epp, err := e.endpointPolicy(workload, pr.Workload.Ports)
	if err != nil {
		return result{}, err
	}
	proto, err := u8proto.ParseProtocol(pr.Protocol)
	if err != nil {
		return result{}, err
	}
	key := policy.EgressKey()
	if pr.Direction == Ingress {
		key = policy.IngressKey()
	}
	key = key.WithIdentity(peer.ID).WithPortProto(proto, uint16(pr.Port))
	entry, meta, found := epp.Lookup(key)

	r := result{Verdict: Verdict{Allowed: !entry.IsDeny()}, selecting: e.selecting(workload, pr.Direction == Ingress)}
	r.rules, r.synthetic = e.origins(meta.LabelArray())
	var names []string
	for _, ru := range r.rules {
		names = append(names, ru.String())
	}
	names = append(names, r.synthetic...)
	if len(names) == 0 {
		names = []string{"an entry without rule labels"}
	}
	switch {
	case len(r.selecting) == 0:
		r.Reason = fmt.Sprintf("no policy selects the workload for %s", pr.Direction)
	case !found:
		r.Reason = "default deny: no rule allows it; selected by " + strings.Join(r.selecting, ", ")
	case r.Allowed:
		r.Reason = "allowed by " + strings.Join(names, "; ")
		if entry.IsRedirectEntry() {
			r.Reason += " (to the L7 proxy, whose rules then judge each request)"
		}
	default:
		r.Reason = "denied by " + strings.Join(names, "; ")
	}
	return r, nil
}

// selecting names the policies whose entries in the direction select the
// workload, with Cilium's own subject selector.
func (e *engine) selecting(workload *identity.Identity, ingress bool) []string {
	var out []string
	for i, en := range e.parsed.entries {
		if en.Ingress != ingress || en.Subject == nil || !en.Subject.Matches(workload.LabelArray) {
			continue
		}
		if obj := e.parsed.rules[i].object; !slices.Contains(out, obj) {
			out = append(out, obj)
		}
	}
	return out
}

// origins returns the rules behind a policy map entry, from the labels
// Cilium carried from the rules to the entry.
func (e *engine) origins(list labels.LabelArrayList) (rules []rule, synthetic []string) {
	for _, la := range list {
		named := false
		for _, l := range la {
			switch {
			case l.Source == entryLabelSource && l.Key == entryLabelKey:
				if i, err := strconv.Atoi(l.Value); err == nil && i < len(e.parsed.rules) {
					if r := e.parsed.rules[i]; !slices.Contains(rules, r) {
						rules = append(rules, r)
					}
					named = true
				}
			case l.Source == labels.LabelSourceReserved && l.Key == policy.LabelKeyPolicyDerivedFrom:
				if s := syntheticRules[l.Value]; !slices.Contains(synthetic, s) {
					synthetic = append(synthetic, s)
				}
				named = true
			}
		}
		if s := la.String(); !named && len(la) > 0 && !slices.Contains(synthetic, s) {
			synthetic = append(synthetic, s)
		}
	}
	return rules, synthetic
}

// syntheticRules names the rules the agent adds itself
// (Repository.computePolicyEnforcementAndRules).
var syntheticRules = map[string]string{
	policy.LabelAllowLocalHostIngress: "Cilium's allow-localhost rule (the node always reaches its pods)",
	policy.LabelAllowAnyIngress:       "Cilium's allow-any-ingress rule (no selecting policy enables default deny)",
	policy.LabelAllowAnyEgress:        "Cilium's allow-any-egress rule (no selecting policy enables default deny)",
	policy.LabelDenyAnyIngress:        "Cilium's deny-any-ingress rule (end of the tiers after a pass)",
	policy.LabelDenyAnyEgress:         "Cilium's deny-any-egress rule (end of the tiers after a pass)",
}

// owner is the endpoint a policy is distilled for, with its pod's named ports
// (as policy.LookupFlow's endpointInfo carries them).
type owner struct {
	id    uint64
	named map[string]uint16 // "TCP/name" -> port
}

func newOwner(id uint64, ports []NamedPort) owner {
	o := owner{id: id, named: map[string]uint16{}}
	for _, p := range ports {
		if p.Name == "" || p.Port < 1 || p.Port > 65535 {
			continue
		}
		proto := strings.ToUpper(p.Protocol)
		if proto == "" {
			proto = "TCP"
		}
		if _, ok := o.named[proto+"/"+p.Name]; !ok {
			o.named[proto+"/"+p.Name] = uint16(p.Port)
		}
	}
	return o
}

var _ policy.PolicyOwner = owner{}

func (o owner) GetID() uint64 { return o.id }
func (o owner) GetIngressNamedPort(name string, proto u8proto.U8proto) uint16 {
	return o.named[strings.ToUpper(proto.String())+"/"+name]
}
func (o owner) PolicyDebug(string, ...any)                  {}
func (o owner) IsHost() bool                                { return false }
func (o owner) PreviousMapStateSizes() policy.MapStateSizes { return policy.MapStateSizes{} }
func (o owner) RegenerateIfAlive(*regeneration.ExternalRegenerationMetadata) <-chan bool {
	ch := make(chan bool)
	close(ch)
	return ch
}
