// Package argocd runs helm-netpol as an Argo CD Config Management Plugin: `helm-netpol
// argocd init` builds a chart's dependencies and `helm-netpol argocd generate` runs
// `helm template` for the Application and pipes the result through helm-netpol. Both read
// the Application's settings the way argocd-cmp-server hands them over: the parameters as
// JSON in ARGOCD_APP_PARAMETERS and the plugin env prefixed with ARGOCD_ENV_.
package argocd

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Environment variables argocd-cmp-server sets for a plugin's commands
// (https://argo-cd.readthedocs.io/en/stable/user-guide/build-environment/).
const (
	envParameters  = "ARGOCD_APP_PARAMETERS"
	envAppName     = "ARGOCD_APP_NAME"
	envAppNS       = "ARGOCD_APP_NAMESPACE"
	envSourcePath  = "ARGOCD_APP_SOURCE_PATH"
	envKubeVersion = "KUBE_VERSION"
	envAPIVersions = "KUBE_API_VERSIONS"
	// The Application's spec.source.plugin.env reaches the plugin with this prefix; the
	// ones meant for helm-netpol carry NETPOL_ after it (ARGOCD_ENV_NETPOL_ENGINE).
	envUserPrefix = "ARGOCD_ENV_"
	envOurPrefix  = envUserPrefix + "NETPOL_"
)

type paramKind int

const (
	kindString paramKind = iota
	kindBool
	kindArray
)

// param is one parameter the plugin announces (argocd/plugin.yaml, parameters.static).
type param struct {
	name string
	kind paramKind
}

// params are all the parameters, in the order the help and errors list them.
var params = []param{
	{"enabled", kindBool},
	{"engine", kindString},
	{"default-deny", kindBool},
	{"egress", kindBool},
	{"strict", kindBool},
	{"values-files", kindArray},
	{"release-name", kindString},
	{"config", kindString},
}

// Engines are the values the engine parameter takes (DESIGN §5).
var Engines = []string{"kubernetes", "cilium", "calico", "clusterNetworkPolicy"}

// envName is the plugin env variable of a parameter: ARGOCD_ENV_NETPOL_DEFAULT_DENY for
// default-deny.
func envName(p string) string {
	return envOurPrefix + strings.ToUpper(strings.ReplaceAll(p, "-", "_"))
}

// Settings are what an Application asks of the plugin. A nil pointer or an empty string
// is a setting left unset: the chart's own config (or helm-netpol's default) decides.
type Settings struct {
	Enabled     *bool
	Engine      string
	DefaultDeny *bool
	Egress      *bool
	// Strict makes helm-netpol's warnings errors (--strict): Argo CD shows a plugin's
	// stderr only when it fails.
	Strict      *bool
	ValuesFiles []string
	ReleaseName string
	// Config is a whole helm-netpol config document (DESIGN §2), the lowest layer.
	Config string
}

// value is one setting as given, before it is checked.
type value struct {
	from  string // where it came from, for messages: `parameter engine`, `ARGOCD_ENV_NETPOL_ENGINE`
	str   string
	array []string
}

// appParameter is one entry of ARGOCD_APP_PARAMETERS, as Argo CD encodes
// spec.source.plugin.parameters: a name and one of string, array or map.
type appParameter struct {
	Name   string             `json:"name"`
	String *string            `json:"string"`
	Array  *[]string          `json:"array"`
	Map    *map[string]string `json:"map"`
}

// ParseEnv reads the settings from an environment (os.Environ's form): the parameters
// in ARGOCD_APP_PARAMETERS and the ARGOCD_ENV_NETPOL_* variables. Every problem found is
// one line of the error, which names the parameter (or variable) and what it may be.
func ParseEnv(environ []string) (Settings, error) {
	var errs []error
	given := map[string][]value{}
	// A variable set twice counts once, the last, as for exec; and they are read in name
	// order, so that the problems come in one order whatever the environment's: the
	// parameters' first.
	env := map[string]string{}
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		env[k] = v
	}
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := env[k]
		switch {
		case k == envParameters:
			vals, err := parseParameters(v)
			errs = append(errs, err)
			for name, val := range vals {
				given[name] = append(given[name], val)
			}
		case strings.HasPrefix(k, envOurPrefix):
			name, ok := paramOfEnv(k)
			if !ok {
				errs = append(errs, fmt.Errorf("helm-netpol: argocd: %s: unknown variable: want one of %s", k, envList()))
				continue
			}
			val := value{from: k}
			if p, _ := lookup(name); p.kind == kindArray {
				// A list in one variable: comma-separated.
				for _, item := range strings.Split(v, ",") {
					if item = strings.TrimSpace(item); item != "" {
						val.array = append(val.array, item)
					}
				}
			} else {
				val.str = v
			}
			given[name] = append(given[name], val)
		}
	}
	s, err := settingsOf(given)
	errs = append(errs, err)
	return s, errors.Join(errs...)
}

func paramOfEnv(k string) (string, bool) {
	for _, p := range params {
		if envName(p.name) == k {
			return p.name, true
		}
	}
	return "", false
}

func lookup(name string) (param, bool) {
	for _, p := range params {
		if p.name == name {
			return p, true
		}
	}
	return param{}, false
}

func paramList() string {
	names := make([]string, len(params))
	for i, p := range params {
		names[i] = p.name
	}
	return strings.Join(names, ", ")
}

func envList() string {
	names := make([]string, len(params))
	for i, p := range params {
		names[i] = envName(p.name)
	}
	return strings.Join(names, ", ")
}

// parseParameters decodes ARGOCD_APP_PARAMETERS and checks each entry's name and shape.
func parseParameters(text string) (map[string]value, error) {
	if strings.TrimSpace(text) == "" {
		return nil, nil
	}
	var list []appParameter
	dec := json.NewDecoder(strings.NewReader(text))
	if err := dec.Decode(&list); err != nil {
		return nil, fmt.Errorf("helm-netpol: argocd: %s: not a JSON list of parameters ([{\"name\": \"engine\", \"string\": \"cilium\"}]): %v", envParameters, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("helm-netpol: argocd: %s: more than one JSON value", envParameters)
	}
	var errs []error
	vals := map[string]value{}
	for i, ap := range list {
		where := "parameter " + ap.Name
		if ap.Name == "" {
			errs = append(errs, fmt.Errorf("helm-netpol: argocd: %s: entry %d has no name", envParameters, i))
			continue
		}
		p, ok := lookup(ap.Name)
		if !ok {
			errs = append(errs, fmt.Errorf("helm-netpol: argocd: %s: unknown parameter: want one of %s", where, paramList()))
			continue
		}
		if _, dup := vals[ap.Name]; dup {
			errs = append(errs, fmt.Errorf("helm-netpol: argocd: %s: given twice", where))
			continue
		}
		set := 0
		for _, b := range []bool{ap.String != nil, ap.Array != nil, ap.Map != nil} {
			if b {
				set++
			}
		}
		want, article := "string", "a"
		if p.kind == kindArray {
			want, article = "array", "an"
		}
		switch {
		case set > 1:
			errs = append(errs, fmt.Errorf("helm-netpol: argocd: %s: has more than one of string, array and map: want only %s", where, want))
			continue
		case ap.Map != nil || (p.kind == kindArray && ap.String != nil) || (p.kind != kindArray && ap.Array != nil):
			errs = append(errs, fmt.Errorf("helm-netpol: argocd: %s: is %s %s parameter: set %s:, not %s:", where, article, want, want, given(ap)))
			continue
		}
		v := value{from: where}
		if ap.String != nil {
			v.str = *ap.String
		}
		if ap.Array != nil {
			v.array = *ap.Array
		}
		vals[ap.Name] = v
	}
	return vals, errors.Join(errs...)
}

func given(ap appParameter) string {
	switch {
	case ap.Map != nil:
		return "map"
	case ap.Array != nil:
		return "array"
	}
	return "string"
}

// settingsOf checks the given values and puts them into Settings. A setting given both as
// a parameter and as a variable must agree: neither silently wins.
func settingsOf(given map[string][]value) (Settings, error) {
	var s Settings
	var errs []error
	for _, p := range params {
		vals := given[p.name]
		if len(vals) == 0 {
			continue
		}
		sort.Slice(vals, func(i, j int) bool { return vals[i].from < vals[j].from })
		v := vals[0]
		if len(vals) > 1 && !sameValue(vals[0], vals[1]) {
			errs = append(errs, fmt.Errorf("helm-netpol: argocd: %s %s and %s %s disagree: set one of them", vals[0].from, vals[0].show(), vals[1].from, vals[1].show()))
			continue
		}
		switch p.kind {
		case kindBool:
			b, err := parseBool(v)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			switch p.name {
			case "enabled":
				s.Enabled = b
			case "default-deny":
				s.DefaultDeny = b
			case "egress":
				s.Egress = b
			case "strict":
				s.Strict = b
			}
		case kindArray:
			for _, f := range v.array {
				if strings.TrimSpace(f) == "" {
					errs = append(errs, fmt.Errorf("helm-netpol: argocd: %s: an empty file name", v.from))
				}
			}
			s.ValuesFiles = v.array
		case kindString:
			switch p.name {
			case "engine":
				if v.str != "" && !contains(Engines, v.str) {
					errs = append(errs, fmt.Errorf("helm-netpol: argocd: %s: %q is not an engine: want one of %s", v.from, v.str, strings.Join(Engines, ", ")))
					continue
				}
				s.Engine = v.str
			case "release-name":
				s.ReleaseName = v.str
			case "config":
				s.Config = v.str
			}
		}
	}
	return s, errors.Join(errs...)
}

func (v value) show() string {
	if v.array != nil {
		b, _ := json.Marshal(v.array)
		return string(b)
	}
	return fmt.Sprintf("%q", v.str)
}

func sameValue(a, b value) bool {
	return a.str == b.str && strings.Join(a.array, "\x00") == strings.Join(b.array, "\x00")
}

// parseBool takes exactly true or false (what the Argo CD UI sends for a boolean); an
// empty string leaves the setting unset.
func parseBool(v value) (*bool, error) {
	switch v.str {
	case "":
		return nil, nil
	case "true":
		t := true
		return &t, nil
	case "false":
		f := false
		return &f, nil
	}
	return nil, fmt.Errorf("helm-netpol: argocd: %s: %q is not a boolean: want true or false", v.from, v.str)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Layer is the --config document the settings make: the config parameter with enabled,
// engine, default-deny and egress set into it. Nil when nothing is set. A typed setting
// that contradicts the same key of the config parameter is an error.
func (s Settings) Layer() ([]byte, error) {
	type set struct {
		from string
		path []string
		val  any
	}
	var sets []set
	if s.Enabled != nil {
		sets = append(sets, set{"enabled", []string{"networkPolicy", "enabled"}, *s.Enabled})
	}
	if s.Engine != "" {
		sets = append(sets, set{"engine", []string{"networkPolicy", "engine"}, s.Engine})
	}
	if s.DefaultDeny != nil {
		sets = append(sets, set{"default-deny", []string{"networkPolicy", "defaultDeny", "enabled"}, *s.DefaultDeny})
	}
	if s.Egress != nil {
		sets = append(sets, set{"egress", []string{"networkPolicy", "egress", "enabled"}, *s.Egress})
	}
	if len(sets) == 0 {
		if strings.TrimSpace(s.Config) == "" {
			return nil, nil
		}
		// Left as written, so that what helm-netpol says about it points at the user's lines.
		if _, err := parseConfig(s.Config); err != nil {
			return nil, err
		}
		return []byte(s.Config), nil
	}
	root, err := parseConfig(s.Config)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, st := range sets {
		errs = append(errs, setPath(root, st.path, st.val, st.from))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	if err := enc.Encode(root); err != nil {
		return nil, fmt.Errorf("helm-netpol: argocd: the config layer: %v", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("helm-netpol: argocd: the config layer: %v", err)
	}
	return buf.Bytes(), nil
}

// parseConfig reads the config parameter: one YAML document holding a mapping (an empty
// one when the parameter is empty).
func parseConfig(text string) (*yaml.Node, error) {
	empty := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	if strings.TrimSpace(text) == "" {
		return empty, nil
	}
	dec := yaml.NewDecoder(strings.NewReader(text))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			return empty, nil
		}
		return nil, fmt.Errorf("helm-netpol: argocd: parameter config: not YAML: %v", oneLine(err))
	}
	var next yaml.Node
	if err := dec.Decode(&next); err != io.EOF {
		return nil, errors.New("helm-netpol: argocd: parameter config: more than one YAML document: want one config document")
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	switch {
	case root.Kind == yaml.ScalarNode && root.Tag == "!!null":
		return empty, nil
	case root.Kind != yaml.MappingNode:
		return nil, errors.New("helm-netpol: argocd: parameter config: not a mapping: want a config document (networkPolicy: {enabled: true, ...})")
	}
	return root, nil
}

func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", "; ") }

// setPath sets path to val in the mapping m, creating mappings on the way. A key the
// config parameter already holds must be a mapping on the way and agree at the end.
func setPath(m *yaml.Node, path []string, val any, from string) error {
	dotted := strings.Join(path, ".")
	for i, key := range path {
		var found *yaml.Node
		for j := 0; j+1 < len(m.Content); j += 2 {
			if m.Content[j].Value == key {
				found = m.Content[j+1]
			}
		}
		last := i == len(path)-1
		if found == nil {
			var n yaml.Node
			if last {
				if err := n.Encode(val); err != nil {
					return err
				}
			} else {
				n = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			}
			m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, &n)
			found = m.Content[len(m.Content)-1]
			if last {
				return nil
			}
			m = found
			continue
		}
		if last {
			var have any
			if found.Kind != yaml.ScalarNode || found.Decode(&have) != nil || have != val {
				return fmt.Errorf("helm-netpol: argocd: parameter %s %v and parameter config's %s %s disagree: set one of them",
					from, show(val), dotted, nodeText(found))
			}
			return nil
		}
		if found.Kind == yaml.ScalarNode && found.Tag == "!!null" {
			*found = yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		}
		if found.Kind != yaml.MappingNode {
			return fmt.Errorf("helm-netpol: argocd: parameter config: %s: not a mapping, so parameter %s cannot set %s",
				strings.Join(path[:i+1], "."), from, dotted)
		}
		m = found
	}
	return nil
}

func show(v any) string {
	if s, ok := v.(string); ok {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprint(v)
}

func nodeText(n *yaml.Node) string {
	if n.Kind == yaml.ScalarNode {
		return fmt.Sprintf("%q", n.Value)
	}
	return "(not a scalar)"
}
