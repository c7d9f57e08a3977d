package config

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/helm-netpol/helm-netpol/internal/manifest"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metavalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Defaults of the documented chart and of the extensions.
const (
	DefaultDNSNamespace     = "kube-system"
	DefaultOpenShiftDNS     = "openshift-dns"
	DefaultDenyOrder        = 2000
	DefaultPriority         = 1000
	DefaultWebhookPort      = 9443
	DefaultGatePort         = 8082
	NodeLocalDNSAddress     = "169.254.20.10/32"
	maxClusterNetworkPolicy = 1000
)

// DefaultApiserverPorts are the kube-apiserver's service port and its usual endpoint port.
var DefaultApiserverPorts = []int32{443, 6443}

// EngineOrDefault returns the selected engine.
func (v *Values) EngineOrDefault() Engine {
	if v.NetworkPolicy.Engine == "" {
		return EngineKubernetes
	}
	return v.NetworkPolicy.Engine
}

func boolOr(b *bool, def bool) bool {
	if b == nil {
		return def
	}
	return *b
}

// DNSEnabled, DNSNamespace ... return the egress knobs with their defaults applied.
func (e *Egress) DNSEnabled() bool { return boolOr(e.DNS, true) }

func (e *Egress) SameReleaseEnabled() bool { return boolOr(e.SameRelease, true) }

func (e *Egress) Profile() DNSProfile {
	if e.DNSProfile == "" {
		return DNSProfileKubeDNS
	}
	return e.DNSProfile
}

// DNSSelectorOrDefault selects the DNS pods: dnsSelector, else the profile's labels
// (CoreDNS and kube-dns pods carry k8s-app: kube-dns; OpenShift's DNS daemon set
// dns.operator.openshift.io/daemonset-dns: default).
func (e *Egress) DNSSelectorOrDefault() *metav1.LabelSelector {
	switch {
	case e.DNSSelector != nil:
		return e.DNSSelector.DeepCopy()
	case e.Profile() == DNSProfileOpenShift:
		return &metav1.LabelSelector{MatchLabels: map[string]string{"dns.operator.openshift.io/daemonset-dns": "default"}}
	}
	return &metav1.LabelSelector{MatchLabels: map[string]string{"k8s-app": "kube-dns"}}
}

// DNSNamespaceOrDefault is the namespace whose pods serve DNS.
func (e *Egress) DNSNamespaceOrDefault() string {
	switch {
	case e.DNSNamespace != "":
		return e.DNSNamespace
	case e.Profile() == DNSProfileOpenShift:
		return DefaultOpenShiftDNS
	}
	return DefaultDNSNamespace
}

// ApiserverEnabled tells whether the engine's own apiserver rule is wanted.
func (a *Apiserver) ApiserverEnabled() bool { return boolOr(a.Enabled, true) }

// PortsOrDefault are the ports apiserver CIDRs are opened on.
func (a *Apiserver) PortsOrDefault() []int32 {
	if len(a.Ports) == 0 {
		return DefaultApiserverPorts
	}
	return a.Ports
}

// OtherPortsEnabled tells whether declared non-role ports are opened.
func (o *OtherPorts) OtherPortsEnabled() bool { return boolOr(o.Enabled, true) }

// Passthrough returns the passthrough lists of an engine.
func (n *NetworkPolicy) Passthrough(e Engine) *Passthrough {
	switch e {
	case EngineCilium:
		return &n.Cilium
	case EngineCalico:
		return &n.Calico
	case EngineClusterNetworkPolicy:
		return &n.ClusterNetworkPolicy
	}
	return nil
}

// pathError is a problem at a field path of the config.
type pathError struct {
	Path string
	Msg  string
}

func (e pathError) Error() string { return e.Path + ": " + e.Msg }

// Validate checks the meaning of a merged config, beyond its shape, and returns every
// problem, each at its field path, in the order of the checks below.
func (m *Merged) Validate() []pathError {
	engineValid, errs := m.checkEnums()
	// Checks that relate two fields skip a field that a layer gave the wrong shape, as its
	// value is then not the user's.
	engineKnown := !m.unknown("networkPolicy.engine")
	engineSettled := engineKnown && (engineValid || m.NetworkPolicy.Engine == "")
	errs = append(errs, m.checkDenyOrder(engineKnown)...)
	errs = append(errs, m.checkPortsAndPeers()...)
	errs = append(errs, m.checkEgressOff()...)
	if engineSettled {
		errs = append(errs, m.checkEngineLists()...)
	}
	return append(errs, m.checkWorkloadMatches()...)
}

// errorf is a problem at a field path.
func errorf(path, format string, args ...any) pathError {
	return pathError{Path: path, Msg: fmt.Sprintf(format, args...)}
}

// checkEnums checks the engine and the DNS profile against their allowed values, and says
// whether the engine set is a valid one.
func (m *Merged) checkEnums() (engineValid bool, errs []pathError) {
	np := &m.NetworkPolicy
	engineValid = np.Engine != ""
	if np.Engine != "" && !slices.Contains(Engines, np.Engine) {
		errs = append(errs, errorf("networkPolicy.engine", "%q: must be one of %s", np.Engine, list(Engines)))
		engineValid = false
	}
	if p := np.Egress.DNSProfile; p != "" && !slices.Contains(DNSProfiles, p) {
		errs = append(errs, errorf("networkPolicy.egress.dnsProfile", "%q: must be one of %s", p, list(DNSProfiles)))
	}
	return engineValid, errs
}

// checkDenyOrder checks defaultDeny.order against ClusterNetworkPolicy's priority range.
func (m *Merged) checkDenyOrder(engineKnown bool) []pathError {
	np := &m.NetworkPolicy
	o := np.DefaultDeny.Order
	if o == nil || !engineKnown || m.EngineOrDefault() != EngineClusterNetworkPolicy {
		return nil
	}
	var errs []pathError
	if *o < 1 || *o > maxClusterNetworkPolicy {
		errs = append(errs, errorf("networkPolicy.defaultDeny.order", "%d: a ClusterNetworkPolicy priority must be 1..1000 (lower wins), so the chart default 2000 does not apply to this engine; set an order in 1..1000 for the deny (allowlists take order-1) or remove it to use 1000; this holds with the deny on or off, because the allowlists are placed relative to it", *o))
	}
	if np.Rewrite && *o == 1 {
		errs = append(errs, errorf("networkPolicy.defaultDeny.order", "1: with networkPolicy.rewrite a rewritten chart policy takes priority order-2 (ahead of the allowlists at order-1), so the order must be 2..1000 under engine clusterNetworkPolicy"))
	}
	return errs
}

// checkPortsAndPeers checks the role ports, the from knobs, the rules added verbatim, the
// apiserver's addresses and ports, and the DNS knobs.
func (m *Merged) checkPortsAndPeers() []pathError {
	np := &m.NetworkPolicy
	var errs []pathError
	for _, r := range []struct {
		path string
		port *int32
	}{{"ports.webhook", m.Ports.Webhook}, {"ports.metrics", m.Ports.Metrics}, {"ports.gate", m.Ports.Gate}} {
		if r.port != nil && (*r.port < 1 || *r.port > 65535) {
			errs = append(errs, errorf(r.path, "%d: a port must be 1..65535", *r.port))
		}
	}
	for _, r := range []struct {
		path  string
		peers []networkingv1.NetworkPolicyPeer
	}{
		{"networkPolicy.webhook.from", np.Webhook.From},
		{"networkPolicy.metrics.from", np.Metrics.From},
		{"networkPolicy.gate.from", np.Gate.From},
		{"networkPolicy.otherPorts.from", np.OtherPorts.From},
	} {
		for i, peer := range r.peers {
			errs = append(errs, checkPeer(fmt.Sprintf("%s[%d]", r.path, i), peer)...)
		}
	}
	for i, rule := range np.AdditionalIngress {
		errs = append(errs, checkRule(fmt.Sprintf("networkPolicy.additionalIngress[%d]", i), "from", rule.From, rule.Ports)...)
	}
	for i, rule := range np.Egress.To {
		errs = append(errs, checkRule(fmt.Sprintf("networkPolicy.egress.to[%d]", i), "to", rule.To, rule.Ports)...)
	}
	for i, c := range np.Egress.Apiserver.CIDRs {
		if msg := checkCIDR(c); msg != "" {
			errs = append(errs, errorf(fmt.Sprintf("networkPolicy.egress.apiserver.cidrs[%d]", i), "%s", msg))
		}
	}
	errs = append(errs, checkDNS(&np.Egress)...)
	for i, p := range np.Egress.Apiserver.Ports {
		if p < 1 || p > 65535 {
			errs = append(errs, errorf(fmt.Sprintf("networkPolicy.egress.apiserver.ports[%d]", i), "%d: a port must be 1..65535", p))
		}
	}
	return errs
}

// checkEgressOff refuses egress rules while egress is off: they would be ignored.
func (m *Merged) checkEgressOff() []pathError {
	np := &m.NetworkPolicy
	if np.Egress.Enabled || m.unknown("networkPolicy.egress.enabled") {
		return nil
	}
	off := "egress rules are set while networkPolicy.egress.enabled is false; they would be ignored: set networkPolicy.egress.enabled: true (and allow DNS and the kube-apiserver), or remove them"
	var errs []pathError
	if len(np.Egress.To) > 0 {
		errs = append(errs, errorf("networkPolicy.egress.to", "%s", off))
	}
	if len(np.Egress.Apiserver.CIDRs) > 0 {
		errs = append(errs, errorf("networkPolicy.egress.apiserver.cidrs", "%s", off))
	}
	for _, e := range Engines[1:] {
		if len(np.Passthrough(e).Egress) > 0 {
			errs = append(errs, errorf("networkPolicy."+string(e)+".egress", "%s", off))
		}
	}
	return errs
}

// checkEngineLists refuses passthrough lists for an engine other than the selected one, and
// staged policies under an engine that has no staged form.
func (m *Merged) checkEngineLists() []pathError {
	np := &m.NetworkPolicy
	selected := m.EngineOrDefault()
	var errs []pathError
	for _, e := range Engines[1:] {
		pt := np.Passthrough(e)
		if e != selected && (len(pt.Ingress) > 0 || len(pt.Egress) > 0) {
			errs = append(errs, errorf("networkPolicy."+string(e), "passthrough rules for engine %s while networkPolicy.engine is %s: they would be ignored; move them to networkPolicy.%s, or set networkPolicy.engine: %s", e, selected, selected, e))
		}
	}
	if np.Staged {
		if msg, ok := noStagedForm[selected]; ok {
			errs = append(errs, errorf("networkPolicy.staged", "%s", msg))
		}
	}
	return errs
}

// checkWorkloadMatches checks the include and exclude lists of a release-wide config.
func (m *Merged) checkWorkloadMatches() []pathError {
	np := &m.NetworkPolicy
	var errs []pathError
	for _, w := range []struct {
		path    string
		matches []WorkloadMatch
	}{{"networkPolicy.workloads.include", np.Workloads.Include}, {"networkPolicy.workloads.exclude", np.Workloads.Exclude}} {
		for i, wm := range w.matches {
			p := fmt.Sprintf("%s[%d]", w.path, i)
			if wm.Kind == "" && wm.Name == "" && len(wm.MatchLabels) == 0 {
				errs = append(errs, errorf(p, "matches every workload: set kind, name or matchLabels"))
			}
			if wm.Kind != "" && !manifest.IsWorkloadKind(wm.Kind) {
				errs = append(errs, errorf(p+".kind", "%q: must be one of %s", wm.Kind, strings.Join(manifest.WorkloadKinds, ", ")))
			}
		}
	}
	return errs
}

// noStagedForm says, for each engine whose dialect has no staged kind, why networkPolicy.staged
// cannot apply and what previews its policies instead. Staged kinds are Calico's: the
// calico engine renders StagedNetworkPolicy, the kubernetes engine
// StagedKubernetesNetworkPolicy.
var noStagedForm = map[Engine]string{
	EngineCilium: "true: engine cilium has no staged form: a CiliumNetworkPolicy is enforced as soon as it exists. " +
		"Cilium's own preview is policy audit mode, where the agent forwards what policy would drop and Hubble reports it with verdict AUDIT (hubble observe --verdict AUDIT): " +
		`set policy-audit-mode: "true" in the cilium-config ConfigMap (Helm value policyAuditMode=true; it stops enforcing every policy of the cluster while on), ` +
		"or run cilium-dbg endpoint config <id> PolicyAuditMode=Enabled in the agent for one endpoint (until the agent restarts); " +
		"render with networkPolicy.staged off, review the AUDIT verdicts, then turn audit mode off",
	EngineClusterNetworkPolicy: "true: engine clusterNetworkPolicy has no staged form: policy.networking.k8s.io/v1alpha2 defines no staged or audit mode, so a ClusterNetworkPolicy is enforced as soon as it exists. " +
		"To preview the allowlists first, render the same config with engine kubernetes (StagedKubernetesNetworkPolicy) or calico (StagedNetworkPolicy) and staged: true on a Calico cluster, " +
		"or use the implementation's own audit mode where it has one (Cilium's policy audit mode); then switch to engine clusterNetworkPolicy with staged off",
}

func list[T ~string](all []T) string { return strings.Join(stringsOf(all), ", ") }

func checkRule(path, peersKey string, peers []networkingv1.NetworkPolicyPeer, ports []networkingv1.NetworkPolicyPort) []pathError {
	var errs []pathError
	for i, peer := range peers {
		errs = append(errs, checkPeer(fmt.Sprintf("%s.%s[%d]", path, peersKey, i), peer)...)
	}
	for i, port := range ports {
		errs = append(errs, checkPort(fmt.Sprintf("%s.ports[%d]", path, i), port)...)
	}
	return errs
}

func checkPeer(path string, peer networkingv1.NetworkPolicyPeer) []pathError {
	var errs []pathError
	add := func(p, format string, args ...any) {
		errs = append(errs, pathError{Path: p, Msg: fmt.Sprintf(format, args...)})
	}
	selectors := peer.PodSelector != nil || peer.NamespaceSelector != nil
	switch {
	case peer.IPBlock != nil && selectors:
		add(path, "an ipBlock cannot be combined with podSelector or namespaceSelector in one peer: make them two peers")
	case peer.IPBlock == nil && !selectors:
		add(path, "a peer needs podSelector, namespaceSelector or ipBlock")
	}
	for _, s := range []struct {
		name string
		sel  *metav1.LabelSelector
	}{{"podSelector", peer.PodSelector}, {"namespaceSelector", peer.NamespaceSelector}} {
		name, sel := s.name, s.sel
		if sel == nil {
			continue
		}
		for _, fe := range metavalidation.ValidateLabelSelector(sel, metavalidation.LabelSelectorValidationOptions{}, field.NewPath(path, name)) {
			add(fe.Field, "%s", strings.TrimPrefix(fe.ErrorBody(), "Invalid value: "))
		}
	}
	if b := peer.IPBlock; b != nil {
		if msg := checkCIDR(b.CIDR); msg != "" {
			add(path+".ipBlock.cidr", "%s", msg)
			return errs
		}
		outer := netip.MustParsePrefix(b.CIDR)
		for i, e := range b.Except {
			p := fmt.Sprintf("%s.ipBlock.except[%d]", path, i)
			if msg := checkCIDR(e); msg != "" {
				add(p, "%s", msg)
				continue
			}
			inner := netip.MustParsePrefix(e)
			if inner.Addr().Is4() != outer.Addr().Is4() || inner.Bits() <= outer.Bits() || !outer.Contains(inner.Addr()) {
				add(p, "%q must be a strict subset of the cidr %q", e, b.CIDR)
			}
		}
	}
	return errs
}

// checkCIDR refuses an invalid prefix and one with host bits set, which would otherwise be
// silently widened to its network.
func checkCIDR(c string) string {
	p, err := netip.ParsePrefix(c)
	if err != nil {
		return fmt.Sprintf("%q is not a CIDR (like 10.0.0.0/8 or 10.0.0.1/32)", c)
	}
	if p.Addr().Zone() != "" {
		return fmt.Sprintf("%q: a CIDR has no zone", c)
	}
	if m := p.Masked(); m != p {
		host := netip.PrefixFrom(p.Addr(), p.Addr().BitLen())
		return fmt.Sprintf("%q has host bits set, so it does not say which network is meant: write %q for the whole network or %q for the one address", c, m.String(), host.String())
	}
	return ""
}

func checkPort(path string, port networkingv1.NetworkPolicyPort) []pathError {
	var errs []pathError
	add := func(p, format string, args ...any) {
		errs = append(errs, pathError{Path: p, Msg: fmt.Sprintf(format, args...)})
	}
	if port.Protocol != nil {
		switch *port.Protocol {
		case corev1.ProtocolTCP, corev1.ProtocolUDP, corev1.ProtocolSCTP:
		default:
			add(path+".protocol", "%q: must be one of TCP, UDP, SCTP", *port.Protocol)
		}
	}
	if port.Port != nil {
		if port.Port.Type == intstr.Int {
			if port.Port.IntVal < 1 || port.Port.IntVal > 65535 {
				add(path+".port", "%d: a port must be 1..65535", port.Port.IntVal)
			}
		} else if msgs := validation.IsValidPortName(port.Port.StrVal); len(msgs) > 0 {
			add(path+".port", "%q: not a port number or a valid port name: %s", port.Port.StrVal, strings.Join(msgs, "; "))
		}
	}
	if port.EndPort != nil {
		switch {
		case port.Port == nil || port.Port.Type != intstr.Int:
			add(path+".endPort", "needs a numeric port to start the range")
		case *port.EndPort < port.Port.IntVal || *port.EndPort > 65535:
			add(path+".endPort", "%d: must be at least port %d and at most 65535", *port.EndPort, port.Port.IntVal)
		}
	}
	return errs
}

// checkDNS checks the DNS knobs: the DNS pods' selector, and the kube-dns Service IPs
// that the node-local-dns profile needs (node-local DNS answers on the kube-dns Service's
// ClusterIP too, and pods resolve through that address; the stream cannot tell it).
func checkDNS(e *Egress) []pathError {
	var errs []pathError
	if e.DNSSelector != nil {
		if _, err := metav1.LabelSelectorAsSelector(e.DNSSelector); err != nil {
			errs = append(errs, pathError{"networkPolicy.egress.dnsSelector", err.Error()})
		}
	}
	for i, ip := range e.DNSServiceIPs {
		if a, err := netip.ParseAddr(ip); err != nil || a.Zone() != "" {
			errs = append(errs, pathError{fmt.Sprintf("networkPolicy.egress.dnsServiceIPs[%d]", i), fmt.Sprintf("%q is not an IP address (like 10.96.0.10)", ip)})
		}
	}
	if e.Enabled && e.DNSEnabled() && e.Profile() == DNSProfileNodeLocalDNS && len(e.DNSServiceIPs) == 0 {
		errs = append(errs, pathError{"networkPolicy.egress.dnsServiceIPs", "dnsProfile node-local-dns needs the kube-dns Service's ClusterIPs: node-local DNS answers on that address as well as on " + NodeLocalDNSAddress + ", and pods send their queries there; find them with `kubectl -n kube-system get service kube-dns -o jsonpath='{.spec.clusterIPs}'`"})
	}
	if len(e.DNSServiceIPs) > 0 && e.Profile() != DNSProfileNodeLocalDNS {
		errs = append(errs, pathError{"networkPolicy.egress.dnsServiceIPs", fmt.Sprintf("only dnsProfile node-local-dns uses the DNS Service IPs (this config's profile is %s): remove them, or set dnsProfile: node-local-dns", e.Profile())})
	}
	return errs
}
