package verdict

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/projectcalico/calico/libcalico-go/lib/selector"
	"sigs.k8s.io/yaml"
)

// The Calico v3 API objects, as far as the oracle reads them: field names
// and meanings from the Calico reference (NetworkPolicy, GlobalNetworkPolicy,
// the staged kinds). Decoding is strict: a field the oracle does not know
// refuses the document rather than being judged wrongly.

type object struct {
	APIVersion string          `json:"apiVersion"`
	Kind       string          `json:"kind"`
	Metadata   json.RawMessage `json:"metadata"`
	Spec       json.RawMessage `json:"spec"`
}

type objectMeta struct {
	Name        string            `json:"name"`
	Namespace   string            `json:"namespace"`
	Annotations map[string]string `json:"annotations"`
}

type apiPolicySpec struct {
	Tier                   string    `json:"tier,omitempty"`
	Order                  *float64  `json:"order,omitempty"`
	Selector               string    `json:"selector,omitempty"`
	Types                  []string  `json:"types,omitempty"`
	Ingress                []apiRule `json:"ingress,omitempty"`
	Egress                 []apiRule `json:"egress,omitempty"`
	ServiceAccountSelector string    `json:"serviceAccountSelector,omitempty"`
	PerformanceHints       []string  `json:"performanceHints,omitempty"`
	NamespaceSelector      string    `json:"namespaceSelector,omitempty"` // GlobalNetworkPolicy
	DoNotTrack             bool      `json:"doNotTrack,omitempty"`        // GlobalNetworkPolicy
	PreDNAT                bool      `json:"preDNAT,omitempty"`           // GlobalNetworkPolicy
	ApplyOnForward         bool      `json:"applyOnForward,omitempty"`    // GlobalNetworkPolicy
	StagedAction           string    `json:"stagedAction,omitempty"`      // staged kinds
}

type apiRule struct {
	Action      string          `json:"action"`
	IPVersion   *int            `json:"ipVersion,omitempty"`
	Protocol    *intOrString    `json:"protocol,omitempty"`
	NotProtocol *intOrString    `json:"notProtocol,omitempty"`
	ICMP        json.RawMessage `json:"icmp,omitempty"`
	NotICMP     json.RawMessage `json:"notICMP,omitempty"`
	HTTP        json.RawMessage `json:"http,omitempty"`
	Source      apiEntityRule   `json:"source,omitempty"`
	Destination apiEntityRule   `json:"destination,omitempty"`
	Metadata    *struct {
		Annotations map[string]string `json:"annotations,omitempty"`
	} `json:"metadata,omitempty"`
}

type apiEntityRule struct {
	Nets              []string        `json:"nets,omitempty"`
	Selector          string          `json:"selector,omitempty"`
	NamespaceSelector string          `json:"namespaceSelector,omitempty"`
	Services          *apiService     `json:"services,omitempty"`
	Ports             []intOrString   `json:"ports,omitempty"`
	NotNets           []string        `json:"notNets,omitempty"`
	NotSelector       string          `json:"notSelector,omitempty"`
	NotPorts          []intOrString   `json:"notPorts,omitempty"`
	ServiceAccounts   json.RawMessage `json:"serviceAccounts,omitempty"`
}

type apiService struct {
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}

// intOrString is Calico's numorstring: a protocol or a port as a number or a
// string.
type intOrString struct {
	num   int
	str   string
	isNum bool
}

func (v *intOrString) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &v.str)
	}
	v.isNum = true
	return json.Unmarshal(b, &v.num)
}

func (v intOrString) MarshalJSON() ([]byte, error) {
	if v.isNum {
		return json.Marshal(v.num)
	}
	return json.Marshal(v.str)
}

func (v intOrString) String() string {
	if v.isNum {
		return strconv.Itoa(v.num)
	}
	return v.str
}

// policy is a policy as felix holds it: its selector and rules resolved.
type policy struct {
	kind      string // "Calico <kind>", or "NetworkPolicy (networking.k8s.io/v1)"
	namespace string // "" for a global policy
	name      string
	// key is felix's name for the policy, the tie-break between equal
	// orders: <namespace>/<name> for a namespaced policy (Kubernetes ones
	// under knp.default.<name>), <name> for a global one.
	key          string
	tier         string
	order        *float64
	selectorText string
	selector     selector.Selector
	ingress      bool // governs ingress (its types)
	egress       bool
	rules        map[Direction][]rule
	staged       bool
	origin       string // the helm-netpol.io/generated-for annotation
}

func (p *policy) String() string {
	if p.namespace == "" {
		return p.kind + " " + p.name
	}
	return p.kind + " " + p.namespace + "/" + p.name
}

func (p *policy) governs(d Direction) bool {
	if d == Ingress {
		return p.ingress
	}
	return p.egress
}

type rule struct {
	policy *policy
	dir    Direction
	// index is the rule's place in the Calico policy; in a Kubernetes
	// NetworkPolicy, in its translation (one rule per peer and protocol).
	index       int
	origin      string // the rule's helm-netpol.io/origin annotation
	action      string // Allow, Deny, Pass, Log
	ipVersion   int
	protocol    int // 0: any
	notProtocol int
	src, dst    entityMatch
}

func (r rule) String() string {
	s := fmt.Sprintf("%s %s[%d]", r.policy, r.dir, r.index)
	if r.origin != "" {
		s += " (" + r.origin + ")"
	}
	return s
}

type entityMatch struct {
	nets, notNets []netip.Prefix
	selectorText  string
	selector      selector.Selector // nil: none
	notSelector   selector.Selector
	ports         []portMatch
	notPorts      []portMatch
	service       *apiService
}

type portMatch struct {
	min, max int
	name     string
}

func (p portMatch) String() string {
	switch {
	case p.name != "":
		return p.name
	case p.min == p.max:
		return strconv.Itoa(p.min)
	}
	return fmt.Sprintf("%d:%d", p.min, p.max)
}

// parseDocument returns the policy a document holds, or nil for a kind the
// oracle does not evaluate.
func parseDocument(doc []byte) (*policy, error) {
	var obj object
	if err := yaml.Unmarshal(doc, &obj); err != nil {
		return nil, err
	}
	var meta objectMeta
	if len(obj.Metadata) > 0 {
		if err := json.Unmarshal(obj.Metadata, &meta); err != nil {
			return nil, fmt.Errorf("metadata: %w", err)
		}
	}
	origin := meta.Annotations["helm-netpol.io/generated-for"]
	switch {
	case obj.APIVersion == "networking.k8s.io/v1" && obj.Kind == "NetworkPolicy":
		p, err := kubernetesPolicy(doc)
		if err != nil {
			return nil, fmt.Errorf("NetworkPolicy %s/%s: %w", meta.Namespace, meta.Name, err)
		}
		p.origin = origin
		return p, nil
	case obj.APIVersion == "projectcalico.org/v3":
	default:
		return nil, nil
	}
	staged := false
	kind := obj.Kind
	switch kind {
	case "NetworkPolicy", "GlobalNetworkPolicy":
	case "StagedNetworkPolicy", "StagedGlobalNetworkPolicy":
		staged = true
	case "StagedKubernetesNetworkPolicy":
		// Never enforced; its spec is a Kubernetes one, not read.
		return &policy{kind: kind, namespace: meta.Namespace, name: meta.Name, staged: true, origin: origin}, nil
	case "Tier":
		if meta.Name == "default" {
			return nil, nil
		}
		return nil, fmt.Errorf("Tier %s: tiers other than default are not modelled", meta.Name)
	default:
		return nil, nil
	}
	global := strings.HasSuffix(kind, "GlobalNetworkPolicy")
	ns := meta.Namespace
	if global {
		ns = ""
	} else if ns == "" {
		ns = "default"
	}
	var spec apiPolicySpec
	dec := json.NewDecoder(bytes.NewReader(obj.Spec))
	dec.DisallowUnknownFields()
	if len(obj.Spec) > 0 {
		if err := dec.Decode(&spec); err != nil {
			return nil, fmt.Errorf("%s %s: spec: %w", kind, meta.Name, err)
		}
	}
	if !global && (spec.NamespaceSelector != "" || spec.DoNotTrack || spec.PreDNAT || spec.ApplyOnForward) {
		return nil, fmt.Errorf("%s %s/%s: namespaceSelector, doNotTrack, preDNAT and applyOnForward are GlobalNetworkPolicy fields", kind, ns, meta.Name)
	}
	if !staged && spec.StagedAction != "" {
		return nil, fmt.Errorf("%s %s: stagedAction is a staged kind's field", kind, meta.Name)
	}
	p := &policy{kind: "Calico " + kind, namespace: ns, name: meta.Name, staged: staged, origin: origin}
	p.key = meta.Name
	if ns != "" {
		p.key = ns + "/" + meta.Name
	}
	if err := p.compile(spec); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return p, nil
}

// compile resolves an API spec into what felix evaluates.
func (p *policy) compile(spec apiPolicySpec) error {
	p.tier = spec.Tier
	if p.tier == "" {
		p.tier = "default"
	}
	if p.tier != "default" {
		return fmt.Errorf("tier %q: tiers other than default are not modelled", p.tier)
	}
	if spec.DoNotTrack || spec.PreDNAT {
		return fmt.Errorf("doNotTrack and preDNAT policies apply to host endpoints only: not modelled")
	}
	if spec.ServiceAccountSelector != "" {
		return fmt.Errorf("serviceAccountSelector: not modelled")
	}
	p.order = spec.Order
	sel, err := policySelector(spec.Selector, spec.NamespaceSelector, p.namespace)
	if err != nil {
		return err
	}
	p.selectorText = sel
	if p.selector, err = parseSelector(sel); err != nil {
		return err
	}
	// types: as given; when empty, the API's default: Ingress, plus Egress
	// when there are egress rules (Calico's NetworkPolicy reference, "types").
	if len(spec.Types) == 0 {
		p.ingress = true
		p.egress = len(spec.Egress) > 0
	}
	for _, t := range spec.Types {
		switch t {
		case "Ingress":
			p.ingress = true
		case "Egress":
			p.egress = true
		default:
			return fmt.Errorf("types: %q", t)
		}
	}
	p.rules = map[Direction][]rule{}
	for _, d := range []struct {
		dir   Direction
		rules []apiRule
	}{{Ingress, spec.Ingress}, {Egress, spec.Egress}} {
		for i, ar := range d.rules {
			r, err := p.compileRule(ar, d.dir, i)
			if err != nil {
				return fmt.Errorf("%s[%d]: %w", d.dir, i, err)
			}
			p.rules[d.dir] = append(p.rules[d.dir], r)
		}
	}
	return nil
}

func (p *policy) compileRule(ar apiRule, dir Direction, index int) (rule, error) {
	r := rule{policy: p, dir: dir, index: index, action: ar.Action}
	if ar.Metadata != nil {
		r.origin = ar.Metadata.Annotations["helm-netpol.io/origin"]
	}
	switch ar.Action {
	case "Allow", "Deny", "Pass", "Log":
	default:
		return r, fmt.Errorf("action %q: must be one of Allow, Deny, Pass, Log", ar.Action)
	}
	if len(ar.ICMP) > 0 || len(ar.NotICMP) > 0 {
		return r, fmt.Errorf("icmp and notICMP: not modelled (probes are TCP, UDP, SCTP)")
	}
	if len(ar.HTTP) > 0 {
		return r, fmt.Errorf("http: application-layer rules are not modelled")
	}
	if ar.IPVersion != nil {
		if *ar.IPVersion != 4 && *ar.IPVersion != 6 {
			return r, fmt.Errorf("ipVersion %d", *ar.IPVersion)
		}
		r.ipVersion = *ar.IPVersion
	}
	var err error
	if r.protocol, err = protocolNumber(ar.Protocol); err != nil {
		return r, err
	}
	if r.notProtocol, err = protocolNumber(ar.NotProtocol); err != nil {
		return r, err
	}
	if r.src, err = p.compileEntity(ar.Source, "source"); err != nil {
		return r, err
	}
	if r.dst, err = p.compileEntity(ar.Destination, "destination"); err != nil {
		return r, err
	}
	if len(r.src.ports) > 0 || len(r.src.notPorts) > 0 {
		return r, fmt.Errorf("source ports: not modelled (probes carry no source port)")
	}
	if r.src.service != nil && (r.src.service.Name != "kubernetes" || r.src.service.Namespace != "default") {
		return r, fmt.Errorf("source services %s/%s: only default/kubernetes is modelled", r.src.service.Namespace, r.src.service.Name)
	}
	if len(r.dst.ports) > 0 || len(r.dst.notPorts) > 0 {
		// Calico's validation: ports need a protocol that has them.
		switch r.protocol {
		case 6, 17, 132:
		default:
			return r, fmt.Errorf("destination ports need protocol TCP, UDP or SCTP")
		}
	}
	return r, nil
}

func (p *policy) compileEntity(e apiEntityRule, what string) (entityMatch, error) {
	var m entityMatch
	if len(e.ServiceAccounts) > 0 {
		return m, fmt.Errorf("%s serviceAccounts: not modelled", what)
	}
	var err error
	if m.nets, err = parseNets(e.Nets); err != nil {
		return m, fmt.Errorf("%s nets: %w", what, err)
	}
	if m.notNets, err = parseNets(e.NotNets); err != nil {
		return m, fmt.Errorf("%s notNets: %w", what, err)
	}
	sel, err := entityRuleSelector(e.NamespaceSelector, e.Selector, e.NotSelector, p.namespace)
	if err != nil {
		return m, fmt.Errorf("%s: %w", what, err)
	}
	if sel != "" {
		m.selectorText = sel
		if m.selector, err = parseSelector(sel); err != nil {
			return m, fmt.Errorf("%s: %w", what, err)
		}
	}
	if e.NotSelector != "" {
		if m.notSelector, err = parseSelector(e.NotSelector); err != nil {
			return m, fmt.Errorf("%s notSelector: %w", what, err)
		}
	}
	if m.ports, err = parsePorts(e.Ports); err != nil {
		return m, fmt.Errorf("%s ports: %w", what, err)
	}
	if m.notPorts, err = parsePorts(e.NotPorts); err != nil {
		return m, fmt.Errorf("%s notPorts: %w", what, err)
	}
	if e.Services != nil {
		svc := *e.Services
		if svc.Namespace == "" {
			svc.Namespace = p.namespace
		}
		if what == "destination" && (svc.Name != "kubernetes" || svc.Namespace != "default") {
			return m, fmt.Errorf("destination services %s/%s: only default/kubernetes (the kube-apiserver's endpoints) is modelled", svc.Namespace, svc.Name)
		}
		m.service = &svc
	}
	return m, nil
}

func parseNets(nets []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, n := range nets {
		p, err := netip.ParsePrefix(n)
		if err != nil {
			a, aerr := netip.ParseAddr(n)
			if aerr != nil {
				return nil, err
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// parsePorts reads Calico ports: a number, "a:b" or a port name.
func parsePorts(ports []intOrString) ([]portMatch, error) {
	var out []portMatch
	for _, p := range ports {
		if p.isNum {
			if p.num < 0 || p.num > 65535 {
				return nil, fmt.Errorf("port %d", p.num)
			}
			out = append(out, portMatch{min: p.num, max: p.num})
			continue
		}
		if lo, hi, ok := strings.Cut(p.str, ":"); ok {
			a, err1 := strconv.Atoi(lo)
			b, err2 := strconv.Atoi(hi)
			if err1 != nil || err2 != nil || a < 0 || b > 65535 || a > b {
				return nil, fmt.Errorf("port range %q", p.str)
			}
			out = append(out, portMatch{min: a, max: b})
			continue
		}
		if n, err := strconv.Atoi(p.str); err == nil {
			if n < 0 || n > 65535 {
				return nil, fmt.Errorf("port %d", n)
			}
			out = append(out, portMatch{min: n, max: n})
			continue
		}
		if p.str == "" {
			return nil, fmt.Errorf("empty port")
		}
		out = append(out, portMatch{name: p.str})
	}
	return out, nil
}

// protocolNumber reads a Calico protocol: a name (TCP, UDP, ICMP, ICMPv6,
// SCTP, UDPLite) or a number 1..255.
func protocolNumber(p *intOrString) (int, error) {
	if p == nil {
		return 0, nil
	}
	if p.isNum {
		if p.num < 1 || p.num > 255 {
			return 0, fmt.Errorf("protocol %d", p.num)
		}
		return p.num, nil
	}
	switch strings.ToUpper(p.str) {
	case "TCP":
		return 6, nil
	case "UDP":
		return 17, nil
	case "SCTP":
		return 132, nil
	case "ICMP":
		return 1, nil
	case "ICMPV6":
		return 58, nil
	case "UDPLITE":
		return 136, nil
	}
	if n, err := strconv.Atoi(p.str); err == nil && n >= 1 && n <= 255 {
		return n, nil
	}
	return 0, fmt.Errorf("protocol %q", p.str)
}
