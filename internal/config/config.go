package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Engine is a policy dialect.
type Engine string

const (
	EngineKubernetes           Engine = "kubernetes"
	EngineCilium               Engine = "cilium"
	EngineCalico               Engine = "calico"
	EngineClusterNetworkPolicy Engine = "clusterNetworkPolicy"
)

// Engines lists every engine, in the order messages list them.
var Engines = []Engine{EngineKubernetes, EngineCilium, EngineCalico, EngineClusterNetworkPolicy}

// DNSProfile says where cluster DNS runs.
type DNSProfile string

const (
	DNSProfileKubeDNS      DNSProfile = "kube-dns"
	DNSProfileNodeLocalDNS DNSProfile = "node-local-dns"
	DNSProfileOpenShift    DNSProfile = "openshift"
)

// DNSProfiles lists every DNS profile.
var DNSProfiles = []DNSProfile{DNSProfileKubeDNS, DNSProfileNodeLocalDNS, DNSProfileOpenShift}

// Values is the document the config annotation holds: the chart-values shape of the
// controller's chart, so its documented examples paste in unchanged.
type Values struct {
	NetworkPolicy NetworkPolicy `json:"networkPolicy"`
	Ports         Ports         `json:"ports"`
	Webhook       Switch        `json:"webhook"`
	Gate          Switch        `json:"gate"`
}

// Ports are the role ports of the documented chart.
type Ports struct {
	Webhook *int32 `json:"webhook,omitempty"`
	Metrics *int32 `json:"metrics,omitempty"`
	Gate    *int32 `json:"gate,omitempty"`
}

// Switch is an `enabled` knob that may be left unset.
type Switch struct {
	Enabled *bool `json:"enabled,omitempty"`
}

// NetworkPolicy is the `networkPolicy` block.
type NetworkPolicy struct {
	Enabled              bool                                    `json:"enabled"`
	Engine               Engine                                  `json:"engine"`
	Namespace            string                                  `json:"namespace"`
	Rewrite              bool                                    `json:"rewrite"`
	KeepExisting         bool                                    `json:"keepExisting"`
	DefaultDeny          DefaultDeny                             `json:"defaultDeny"`
	Webhook              Peers                                   `json:"webhook"`
	Metrics              Peers                                   `json:"metrics"`
	Gate                 Peers                                   `json:"gate"`
	AdditionalIngress    []networkingv1.NetworkPolicyIngressRule `json:"additionalIngress"`
	Egress               Egress                                  `json:"egress"`
	Cilium               Passthrough                             `json:"cilium"`
	Calico               Passthrough                             `json:"calico"`
	ClusterNetworkPolicy Passthrough                             `json:"clusterNetworkPolicy"`
	Workloads            Workloads                               `json:"workloads"`
	OtherPorts           OtherPorts                              `json:"otherPorts"`
	// Staged renders Calico's staged kinds, which Calico evaluates and reports in its flow
	// logs without enforcing them.
	Staged bool `json:"staged"`
}

// DefaultDeny is the namespace-wide deny.
type DefaultDeny struct {
	Enabled bool   `json:"enabled"`
	Order   *int32 `json:"order,omitempty"`
}

// Peers narrows one port to a list of Kubernetes peers; empty leaves it open.
type Peers struct {
	From []networkingv1.NetworkPolicyPeer `json:"from"`
}

// OtherPorts governs the declared container ports that no role claims.
type OtherPorts struct {
	Enabled *bool                            `json:"enabled,omitempty"`
	From    []networkingv1.NetworkPolicyPeer `json:"from"`
}

// Egress is the outbound allowlist; nothing of it renders unless Enabled.
type Egress struct {
	Enabled      bool       `json:"enabled"`
	DNS          *bool      `json:"dns,omitempty"`
	DNSNamespace string     `json:"dnsNamespace"`
	DNSProfile   DNSProfile `json:"dnsProfile"`
	// DNSSelector selects the DNS pods in DNSNamespace; default per profile.
	DNSSelector *metav1.LabelSelector `json:"dnsSelector,omitempty"`
	// DNSServiceIPs are the kube-dns Service's ClusterIPs, which node-local DNS answers on.
	DNSServiceIPs []string                               `json:"dnsServiceIPs"`
	To            []networkingv1.NetworkPolicyEgressRule `json:"to"`
	Apiserver     Apiserver                              `json:"apiserver"`
	SameRelease   *bool                                  `json:"sameRelease,omitempty"`
}

// Apiserver is how egress reaches the kube-apiserver.
type Apiserver struct {
	Enabled *bool    `json:"enabled,omitempty"`
	CIDRs   []string `json:"cidrs"`
	Ports   []int32  `json:"ports"`
}

// Passthrough holds engine-native rules, added verbatim.
type Passthrough struct {
	Ingress []map[string]any `json:"ingress"`
	Egress  []map[string]any `json:"egress"`
}

// Workloads chooses what a release-wide config covers.
type Workloads struct {
	Include []WorkloadMatch `json:"include"`
	Exclude []WorkloadMatch `json:"exclude"`
}

// WorkloadMatch matches workloads by kind and name, or by pod labels; every field set must
// match.
type WorkloadMatch struct {
	Kind        string            `json:"kind,omitempty"`
	Name        string            `json:"name,omitempty"`
	MatchLabels map[string]string `json:"matchLabels,omitempty"`
}

// Level ranks where a config came from; a higher level overrides a lower one.
type Level int

const (
	LevelFile     Level = iota // --config FILE
	LevelRelease               // an annotation on a non-workload object
	LevelWorkload              // an annotation on a workload or its pod template
)

// Layer is one parsed config document with where it came from.
type Layer struct {
	Level  Level
	Object string // the object that held it, or "--config FILE"
	Where  string // the field of the object that held it
	Tree   map[string]any
	// pruned lists the field paths taken out of Tree because their shape was wrong:
	// ParseLayer reported them, and the meaning of the rest can still be checked.
	Pruned []string
}

// Source names the layer in messages.
func (l *Layer) Source() string {
	if l.Where == "" {
		return l.Object
	}
	return l.Object + ": " + l.Where
}

// maxConfigNodes bounds the YAML nodes one config may expand to (aliases included), so an
// alias bomb in an annotation is refused instead of eating the machine.
const maxConfigNodes = 100000

// ParseLayer decodes one config document strictly: every unknown key and every value of the
// wrong type is reported with its field path, in the engines' passthrough rules too (checked
// against their CRDs' schemas). When only such shapes are wrong, the layer
// comes back beside the error, without them, so that the caller can still check what the
// rest means and report that too.
func ParseLayer(text []byte, level Level, object, where string) (*Layer, error) {
	dec := yaml.NewDecoder(bytes.NewReader(text))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return &Layer{Level: level, Object: object, Where: where, Tree: map[string]any{}}, nil
		}
		return nil, fmt.Errorf("not valid YAML: %v", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("holds more than one YAML document: put the whole config in one document")
	}
	budget := maxConfigNodes
	v, err := plain(&doc, &budget)
	if err != nil {
		return nil, err
	}
	if v == nil {
		v = map[string]any{}
	}
	tree, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("must be a mapping with a networkPolicy key, not %s", aTypeName(v))
	}
	l := &Layer{Level: level, Object: object, Where: where, Tree: tree}
	errs, _ := CheckShape(tree, reflect.TypeFor[Values](), "", &l.Pruned)
	errs = append(errs, checkPassthrough(tree, &l.Pruned)...)
	if len(errs) > 0 {
		return l, errors.Join(errs...)
	}
	return l, nil
}

// plain converts a YAML node into maps, slices and scalars by their resolved tags, so that
// `yes` stays a string and a port stays an integer.
func plain(n *yaml.Node, budget *int) (any, error) {
	*budget--
	if *budget < 0 {
		return nil, errors.New("expands to too many YAML nodes (an alias bomb?)")
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return plain(n.Content[0], budget)
	case yaml.AliasNode:
		return plain(n.Alias, budget)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode || k.ShortTag() == "!!merge" {
				return nil, fmt.Errorf("line %d: keys must be plain strings", k.Line)
			}
			if _, dup := m[k.Value]; dup {
				return nil, fmt.Errorf("line %d: key %q appears twice", k.Line, k.Value)
			}
			v, err := plain(n.Content[i+1], budget)
			if err != nil {
				return nil, err
			}
			m[k.Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := plain(c, budget)
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		}
		return s, nil
	}
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!bool":
		return n.Value == "true" || n.Value == "True" || n.Value == "TRUE", nil
	case "!!int":
		i, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, 64)
		if err != nil {
			return nil, fmt.Errorf("line %d: integer %q out of range", n.Line, n.Value)
		}
		return i, nil
	case "!!float":
		f, err := strconv.ParseFloat(n.Value, 64)
		if err != nil {
			return nil, fmt.Errorf("line %d: number %q is not valid", n.Line, n.Value)
		}
		return f, nil
	default:
		return n.Value, nil
	}
}

// aTypeName is typeName with its article: "an integer", "a list".
func aTypeName(v any) string {
	if n := typeName(v); strings.IndexByte("aeiou", n[0]) >= 0 {
		return "an " + n
	}
	return "a " + typeName(v)
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "mapping"
	case []any:
		return "list"
	case string:
		return "string"
	case bool:
		return "boolean"
	case int64:
		return "integer"
	case float64:
		return "number"
	}
	return fmt.Sprintf("%T", v)
}

var intOrStringType = reflect.TypeFor[intstr.IntOrString]()

// enums are the string types whose values are checked with the shape, so a misspelt value
// is reported beside a misspelt key.
var enums = map[reflect.Type][]string{
	reflect.TypeFor[Engine]():     stringsOf(Engines),
	reflect.TypeFor[DNSProfile](): stringsOf(DNSProfiles),
}

func stringsOf[T ~string](all []T) []string {
	s := make([]string, len(all))
	for i, a := range all {
		s[i] = string(a)
	}
	return s
}

// checkShape checks a plain value against the Go type it will be decoded into, naming
// every unknown key (with the allowed ones) and every mistyped value by its field path.
// A null anywhere is accepted: in a layer it deletes the key beneath. It takes what it
// reports out of the tree, so that the meaning of the rest can still be checked: a field
// of a mapping goes alone, a list with any bad element goes whole (so that the indexes of
// later findings stay those of the text). The path of each value taken out is added to
// pruned; bad says v itself is wrong and its parent must drop it.
func CheckShape(v any, t reflect.Type, path string, pruned *[]string) (errs []error, bad bool) {
	if v == nil {
		return nil, false
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	at := func(what string) []error {
		return []error{fmt.Errorf("%s: %s", displayPath(path), what)}
	}
	switch {
	case t == intOrStringType:
		switch v.(type) {
		case int64, string:
			return nil, false
		}
		return at("must be a port number or name, not " + aTypeName(v)), true
	case t.Kind() == reflect.Struct || t.Kind() == reflect.Map:
		m, ok := v.(map[string]any)
		if !ok {
			return at("must be a mapping, not " + aTypeName(v)), true
		}
		return checkMapping(m, t, path, pruned), false
	case t.Kind() == reflect.Slice:
		l, ok := v.([]any)
		if !ok {
			return at("must be a list, not " + aTypeName(v)), true
		}
		errs := checkList(l, t, path)
		return errs, len(errs) > 0
	}
	if what := checkScalar(v, t); what != "" {
		return at(what), true
	}
	return nil, false
}

// checkMapping checks the fields of a mapping against a struct's JSON fields (an unknown
// field is an error) or a map's element type, and takes out of m, into pruned, every field
// of the wrong shape.
func checkMapping(m map[string]any, t reflect.Type, path string, pruned *[]string) []error {
	isStruct := t.Kind() == reflect.Struct
	var fields map[string]jsonField
	if isStruct {
		fields = jsonFields(t)
	} else if t.Elem().Kind() == reflect.Interface {
		return nil
	}
	var errs []error
	for _, k := range SortedKeys(m) {
		p := Join(path, k)
		elem := t
		if isStruct {
			f, ok := fields[k]
			if !ok {
				errs = append(errs, fmt.Errorf("%s: unknown field; allowed: %s", displayPath(p), strings.Join(SortedKeys(fields), ", ")))
				delete(m, k)
				*pruned = append(*pruned, p)
				continue
			}
			elem = f.Type
		} else {
			elem = t.Elem()
		}
		e, bad := CheckShape(m[k], elem, p, pruned)
		errs = append(errs, e...)
		if bad {
			delete(m, k)
			*pruned = append(*pruned, p)
		}
	}
	return errs
}

// checkList checks every element of a list; a list with a bad element goes whole, so that
// later indexes stay those of the text.
func checkList(l []any, t reflect.Type, path string) []error {
	var errs []error
	var inner []string // what the elements prune goes with the list
	for i, e := range l {
		p := fmt.Sprintf("%s[%d]", path, i)
		if e == nil {
			errs = append(errs, fmt.Errorf("%s: must not be null", p))
			continue
		}
		e, _ := CheckShape(e, t.Elem(), p, &inner)
		errs = append(errs, e...)
	}
	return errs
}

// checkScalar says what is wrong with a scalar for its Go type, or "".
func checkScalar(v any, t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			return fmt.Sprintf("must be true or false, not the %s %s", typeName(v), quote(v))
		}
	case reflect.String:
		str, ok := v.(string)
		if !ok {
			return fmt.Sprintf("must be a string, not the %s %s", typeName(v), quote(v))
		}
		if allowed, ok := enums[t]; ok && str != "" && !slices.Contains(allowed, str) {
			return fmt.Sprintf("%q: must be one of %s", str, strings.Join(allowed, ", "))
		}
	case reflect.Int32, reflect.Int64, reflect.Int:
		i, ok := v.(int64)
		if !ok {
			return fmt.Sprintf("must be an integer, not the %s %s", typeName(v), quote(v))
		}
		if t.Kind() == reflect.Int32 && (i < math.MinInt32 || i > math.MaxInt32) {
			return fmt.Sprintf("%d is out of range", i)
		}
	case reflect.Interface:
	default:
		return "unsupported type " + t.String()
	}
	return ""
}

func quote(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

type jsonField struct{ Type reflect.Type }

func jsonFields(t reflect.Type) map[string]jsonField {
	fields := map[string]jsonField{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fields[name] = jsonField{Type: f.Type}
	}
	return fields
}

func Join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func displayPath(path string) string {
	if path == "" {
		return "the config"
	}
	return path
}

func SortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Merged is a config after its layers were combined following Helm's values rules.
type Merged struct {
	Values
	// Origins maps a field path (networkPolicy.metrics.from) to the layer that set it.
	Origins map[string]*Layer
	// Layers are the layers merged, lowest first.
	Layers []*Layer
}

// unknown tells whether a layer set path, or a parent of it, to a value of the wrong shape,
// which ParseLayer took out: what the layer meant there is unknown, and no check may take
// the value beneath for what the user chose.
func (m *Merged) unknown(path string) bool {
	for _, l := range m.Layers {
		for _, p := range l.Pruned {
			if p == path || strings.HasPrefix(path, p+".") || strings.HasPrefix(path, p+"[") {
				return true
			}
		}
	}
	return false
}

// Origin returns the layer that set path or the deepest set parent of it, nil if none.
func (m *Merged) Origin(path string) *Layer {
	for p := path; p != ""; {
		if l, ok := m.Origins[p]; ok {
			return l
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return nil
}

// Set tells whether any layer set path (or a parent of it) to a value.
func (m *Merged) Set(path string) bool { return m.Origin(path) != nil }

// Merge combines layers, lowest first: maps merge key by key, lists and scalars replace, an
// explicit null deletes.
func Merge(layers ...*Layer) (*Merged, error) {
	tree := map[string]any{}
	origins := map[string]*Layer{}
	for _, l := range layers {
		if l != nil {
			mergeInto(tree, l.Tree, "", l, origins)
		}
	}
	raw, err := json.Marshal(tree)
	if err != nil {
		return nil, err
	}
	m := &Merged{Origins: origins}
	for _, l := range layers {
		if l != nil {
			m.Layers = append(m.Layers, l)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m.Values); err != nil {
		return nil, fmt.Errorf("decode the merged config: %w", err)
	}
	return m, nil
}

func mergeInto(dst, src map[string]any, path string, l *Layer, origins map[string]*Layer) {
	for _, k := range SortedKeys(src) {
		p := Join(path, k)
		sv := src[k]
		if sv == nil {
			delete(dst, k)
			forget(origins, p)
			continue
		}
		sm, sIsMap := sv.(map[string]any)
		dm, dIsMap := dst[k].(map[string]any)
		if sIsMap && dIsMap {
			mergeInto(dm, sm, p, l, origins)
			continue
		}
		if sIsMap {
			forget(origins, p)
			dm = map[string]any{}
			dst[k] = dm
			mergeInto(dm, sm, p, l, origins)
			continue
		}
		forget(origins, p)
		dst[k] = sv
		origins[p] = l
	}
}

func forget(origins map[string]*Layer, path string) {
	delete(origins, path)
	for p := range origins {
		if strings.HasPrefix(p, path+".") {
			delete(origins, p)
		}
	}
}
