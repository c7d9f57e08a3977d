package transform

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
	sigsyaml "sigs.k8s.io/yaml"
)

// Options are the settings of a run that do not travel in the stream.
type Options struct {
	// Config is the --config layer, lowest of all.
	Config *Layer
	// Namespace is the release namespace, where the stream does not say.
	Namespace string
	// Release is the release name, where the stream does not say.
	Release string
	// Strict turns warnings into errors.
	Strict bool
	// Format is the framing of the stream, which generated objects follow.
	Format Format

	// releaseConfig is a release-wide config that came from outside the items (a KRM
	// function's functionConfig).
	releaseConfig *Layer
	// nonHookElsewhere says the stream holds a non-hook document that the filter was not
	// given (Process hands it only the documents it looks at).
	nonHookElsewhere bool
}

// Result is what one run found and made.
type Result struct {
	Findings []Finding
	Policies []*Policy
	// Changed holds the input nodes the run modified (a carrier that lost its annotation).
	Changed map[*yaml.RNode]bool
	// Generated are the objects the run added, in output order.
	Generated []*yaml.RNode

	// Rendered pairs each generated object with the policy it renders.
	Rendered []Rendered
	// Workloads are the workloads of the stream, covered or not.
	Workloads []*Workload
	// Configs holds the effective config of each covered workload.
	Configs map[*Workload]*Merged
	// Removed lists the config annotations taken out of carriers, as JSON pointers.
	Removed []Removal
	// Replaced are the chart policies a rewrite replaced.
	Replaced []*Object

	nodes []*yaml.RNode // what the filter returned
}

// Rendered is a generated object and the planned policy it renders.
type Rendered struct {
	Policy *Policy
	Node   *yaml.RNode
}

// Removal is a config annotation removed from an object.
type Removal struct {
	Object  *Object
	Pointer string
}

// Inject appends the policies the config asks for to the stream, removes the config
// annotations, and replaces what an earlier run generated.
type Inject struct {
	Options
	// Result, when set, receives the findings and the plan.
	Result *Result
}

var _ kio.Filter = Inject{}

// Filter implements kio.Filter.
func (f Inject) Filter(nodes []*yaml.RNode) ([]*yaml.RNode, error) {
	r := &run{opts: f.Options, res: &Result{Changed: map[*yaml.RNode]bool{}, Configs: map[*Workload]*Merged{}}}
	out, err := r.filter(nodes)
	r.res.Findings = r.fs.list
	if f.Result != nil {
		*f.Result = *r.res
	}
	if err != nil {
		return nil, err
	}
	if err := r.fs.errors(f.Strict); err != nil {
		return nil, err
	}
	return out, nil
}

type run struct {
	opts Options
	res  *Result
	fs   findings
	d    discovery
}

type objectKey struct{ apiVersion, kind, namespace, name string }

func keyOf(o *Object) objectKey { return objectKey{o.APIVersion, o.Kind, o.Namespace, o.Name} }

func (r *run) filter(nodes []*yaml.RNode) ([]*yaml.RNode, error) {
	r.d.namespace = r.opts.Namespace
	var objects []*Object
	previous := map[objectKey]*yaml.RNode{}
	chartObjects := map[objectKey]*Object{}
	hasNonHook := r.opts.nonHookElsewhere
	for _, n := range nodes {
		o := newObject(n)
		if o == nil {
			continue
		}
		objects = append(objects, o)
		ann := o.annotations()
		if _, ok := ann[AnnotationHook]; !ok {
			hasNonHook = true
		}
		if _, ok := ann[AnnotationGeneratedFor]; ok {
			previous[keyOf(o)] = n
		} else {
			chartObjects[keyOf(o)] = o
		}
	}

	// Configs: read every carrier, then take the annotation out of the output.
	release := r.opts.releaseConfig
	own := map[*Object]*Layer{}
	for _, o := range objects {
		layers := r.readCarrier(o)
		if len(layers) == 0 {
			continue
		}
		if !o.isWorkload() {
			l := layers[0]
			if release != nil && !reflect.DeepEqual(release.Tree, l.Tree) {
				r.fs.errorf(o.ID(), "annotation "+AnnotationConfig, fmt.Sprintf("a second release-wide config that differs from the one on %s: keep one, or move each to the workload it is for", release.Object))
				continue
			}
			if release == nil {
				release = l
			}
			continue
		}
		if len(layers) == 2 && !reflect.DeepEqual(layers[0].Tree, layers[1].Tree) {
			r.fs.errorf(o.ID(), "annotation "+AnnotationConfig, "the workload's metadata and its pod template carry different configs: keep one, or make them equal")
		}
		own[o] = layers[len(layers)-1]
	}

	// Discovery.
	var chartPolicies []*chartPolicy
	for _, o := range objects {
		switch {
		case o.isWorkload():
			w, err := parseWorkload(o)
			if err != nil {
				r.fs.errorf(o.ID(), "", err.Error())
				continue
			}
			r.d.workloads = append(r.d.workloads, w)
		case o.APIVersion == "v1" && o.Kind == "Service":
			raw, err := o.Node.MarshalJSON()
			if err != nil {
				r.fs.errorf(o.ID(), "", err.Error())
				continue
			}
			svc := &Service{Object: o}
			if err := unmarshalSpec(raw, &svc.Spec); err != nil {
				r.fs.errorf(o.ID(), "spec", "not a valid Service: "+err.Error())
				continue
			}
			r.d.services = append(r.d.services, svc)
		case o.Kind == "NetworkPolicy" && o.APIVersion == "networking.k8s.io/v1":
			if _, ours := o.annotations()[AnnotationGeneratedFor]; ours {
				continue
			}
			raw, err := o.Node.MarshalJSON()
			if err != nil {
				r.fs.errorf(o.ID(), "", err.Error())
				continue
			}
			cp := &chartPolicy{Object: o}
			if err := json.Unmarshal(raw, &cp.Policy); err != nil {
				r.fs.errorf(o.ID(), "spec", "not a valid NetworkPolicy: "+err.Error())
				continue
			}
			chartPolicies = append(chartPolicies, cp)
		default:
			refs, err := webhookRefs(o)
			if err != nil {
				r.fs.errorf(o.ID(), "", err.Error())
				continue
			}
			r.d.webhooks = append(r.d.webhooks, refs...)
		}
	}
	releaseName := r.releaseName()
	r.res.Workloads = r.d.workloads

	// Coverage and plan.
	var covered []*coverage
	for _, w := range r.d.workloads {
		c := r.cover(w, release, own[w.Object])
		if c == nil {
			continue
		}
		c.Policy = r.d.planAllowlist(c, releaseName, &r.fs)
		r.res.Configs[w] = c.Config
		covered = append(covered, c)
	}
	r.checkFromKnobs(covered)
	r.checkApiserver(covered)
	r.lint(covered)
	rewritten := r.checkChartPolicies(covered, chartPolicies)
	policies := make([]*Policy, 0, len(covered)+len(rewritten))
	for _, c := range covered {
		if !c.Skip {
			policies = append(policies, c.Policy)
		}
	}
	policies = append(policies, rewritten...)
	policies = append(policies, r.planDenies(covered, releaseName, hasNonHook)...)
	sortPolicies(policies)
	r.res.Policies = policies

	// Render, then replace what an earlier run generated.
	removed := map[*yaml.RNode]bool{}
	for _, cp := range chartPolicies {
		if r.res.Changed[cp.Node] {
			removed[cp.Node] = true
		}
	}
	made := map[objectKey]bool{}
	for _, p := range policies {
		n, err := r.render(p)
		if err != nil {
			object := p.For
			if p.Workload != nil {
				object = p.Workload.ID()
			}
			for _, e := range splitErrors(err) {
				r.fs.errorf(object, "engine "+string(p.Engine), e.Error())
			}
			continue
		}
		o := newObject(n)
		k := keyOf(o)
		switch {
		case made[k]:
			r.fs.errorf(o.ID(), "", "two generated objects would have this name: rename one of the workloads")
			continue
		case chartObjects[k] != nil && !removed[chartObjects[k].Node]:
			r.fs.errorf(o.ID(), "", "the chart already renders an object of this kind and name that helm-netpol did not generate: rename it in the chart, or set networkPolicy.rewrite: true if it is a NetworkPolicy to replace")
			continue
		}
		made[k] = true
		if prev, ok := previous[k]; ok {
			removed[prev] = true
		}
		r.res.Generated = append(r.res.Generated, n)
		r.res.Rendered = append(r.res.Rendered, Rendered{Policy: p, Node: n})
	}
	if err := r.fs.errors(r.opts.Strict); err != nil {
		return nil, nil
	}
	// What an earlier run generated and this one does not regenerate (a rewritten chart
	// policy whose original is gone) joins the generated objects, so that their order, and
	// with it the output, is the same on every run.
	for _, n := range nodes {
		if k := keyOf(newObject(n)); previous[k] == n && !removed[n] {
			removed[n] = true
			r.res.Generated = append(r.res.Generated, n)
		}
	}
	sortGenerated(r.res.Generated)
	out := make([]*yaml.RNode, 0, len(nodes)+len(r.res.Generated))
	for _, n := range nodes {
		if !removed[n] {
			out = append(out, n)
		}
	}
	return append(out, r.res.Generated...), nil
}

// sortGenerated orders generated objects: allowlists (and rewritten policies) by namespace,
// name and kind, then the release's default-denies by namespace.
func sortGenerated(nodes []*yaml.RNode) {
	type sortKey struct {
		deny                  bool
		namespace, name, kind string
	}
	key := func(n *yaml.RNode) sortKey {
		o := newObject(n)
		return sortKey{strings.HasPrefix(n.GetAnnotations()[AnnotationGeneratedFor], "release/"), o.Namespace, o.Name, o.APIVersion + "/" + o.Kind}
	}
	sort.SliceStable(nodes, func(i, j int) bool {
		a, b := key(nodes[i]), key(nodes[j])
		switch {
		case a.deny != b.deny:
			return !a.deny
		case a.namespace != b.namespace:
			return a.namespace < b.namespace
		case a.name != b.name:
			return a.name < b.name
		}
		return a.kind < b.kind
	})
}

// readCarrier reads the config annotations an object carries and removes them from it.
func (r *run) readCarrier(o *Object) []*Layer {
	var layers []*Layer
	level := LevelRelease
	if o.isWorkload() {
		level = LevelWorkload
	}
	read := func(path []string, where string) {
		meta, err := o.Node.Pipe(yaml.Lookup(append(path, "metadata", "annotations")...))
		if err != nil || meta == nil || meta.YNode().Kind != yaml.MappingNode {
			return
		}
		f := meta.Field(AnnotationConfig)
		if f == nil {
			return
		}
		text := f.Value.YNode().Value
		if _, err := meta.Pipe(yaml.Clear(AnnotationConfig)); err != nil {
			r.fs.errorf(o.ID(), where, err.Error())
			return
		}
		if len(meta.Content()) == 0 {
			parent, _ := o.Node.Pipe(yaml.Lookup(append(path, "metadata")...))
			if parent != nil {
				_, _ = parent.Pipe(yaml.Clear("annotations"))
			}
		}
		r.res.Changed[o.Node] = true
		pointer := "/" + strings.Join(append(append([]string{}, path...), "metadata", "annotations", strings.ReplaceAll(AnnotationConfig, "/", "~1")), "/")
		r.res.Removed = append(r.res.Removed, Removal{Object: o, Pointer: pointer})
		l, err := ParseLayer([]byte(text), level, o.ID(), where)
		if err != nil {
			for _, e := range splitErrors(err) {
				r.fs.errorf(o.ID(), where, e.Error())
			}
			return
		}
		layers = append(layers, l)
	}
	read(nil, "annotation "+AnnotationConfig)
	if o.isWorkload() && o.templatePath() != nil {
		read(o.templatePath(), strings.Join(o.templatePath(), ".")+".metadata.annotations["+AnnotationConfig+"]")
	}
	return layers
}

func splitErrors(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, splitErrors(e)...)
		}
		return out
	}
	return []error{err}
}

// releaseName is --release, else the app.kubernetes.io/instance every labelled workload
// shares.
func (r *run) releaseName() string {
	if r.opts.Release != "" {
		return r.opts.Release
	}
	name := ""
	for _, w := range r.d.workloads {
		switch {
		case w.Release == "":
		case name == "":
			name = w.Release
		case name != w.Release:
			return ""
		}
	}
	return name
}

// cover merges a workload's config and decides whether the workload is covered.
func (r *run) cover(w *Workload, release, own *Layer) *coverage {
	if r.opts.Config == nil && release == nil && own == nil {
		return nil
	}
	m, err := Merge(r.opts.Config, release, own)
	if err != nil {
		r.fs.errorf(w.ID(), "config", err.Error())
		return nil
	}
	bad := false
	for _, e := range m.Validate() {
		bad = true
		if l := m.Origin(e.Path); l != nil {
			r.fs.errorf(l.Object, l.Where, e.Error())
		} else {
			r.fs.errorf(w.ID(), "config", e.Error())
		}
	}
	if bad || !m.NetworkPolicy.Enabled {
		return nil
	}
	if own == nil && !included(w, &m.NetworkPolicy.Workloads) {
		r.fs.infof(w.ID(), "networkPolicy.workloads", "not covered: the release-wide config's include/exclude leaves it out")
		return nil
	}
	if w.Selector == nil {
		what := "its pods carry no labels to select them by, and a policy without a selector would select every pod in the namespace"
		if own != nil {
			r.fs.errorf(w.ID(), "spec.selector", what+": give the pod template labels")
		} else {
			r.fs.warnf(w.ID(), "spec.selector", what+": skipped, it gets no policy")
		}
		return nil
	}
	if w.HostNetwork {
		r.fs.warnf(w.ID(), "spec.hostNetwork", "the pods use the host's network, where network policies do not apply: its policy has no effect")
	}
	return &coverage{W: w, Config: m}
}

func included(w *Workload, ws *Workloads) bool {
	match := func(m WorkloadMatch) bool {
		if m.Kind != "" && m.Kind != w.Kind || m.Name != "" && m.Name != w.Name {
			return false
		}
		for k, v := range m.MatchLabels {
			if got, ok := w.PodLabels[k]; !ok || got != v {
				return false
			}
		}
		return true
	}
	for _, m := range ws.Exclude {
		if match(m) {
			return false
		}
	}
	if len(ws.Include) == 0 {
		return true
	}
	for _, m := range ws.Include {
		if match(m) {
			return true
		}
	}
	return false
}

// checkFromKnobs refuses a role's `from` knob that no covered workload carrying that config
// can use: a typo in intent. Workloads carrying the same config text (a hook Job that
// shares podAnnotations with its Deployment) count together; a workload without the role
// ignores the knob. A config carried by hook workloads only is never refused, since
// Helm 4 may show the hooks without the rest of the release.
func (r *run) checkFromKnobs(covered []*coverage) {
	type use struct {
		config string // the origin layer's level and content
		role   Role
	}
	type tally struct {
		layer   *Layer
		hasRole bool
		nonHook bool
	}
	tallies := map[use]*tally{}
	var order []use
	for _, c := range covered {
		for _, role := range roleOrder {
			path, from := roleFrom(c.Config, role)
			if len(from) == 0 {
				continue
			}
			l := c.Config.Origin(path)
			if l == nil {
				continue
			}
			content, _ := json.Marshal(l.Tree)
			u := use{fmt.Sprint(l.Level) + string(content), role}
			t, ok := tallies[u]
			if !ok {
				t = &tally{layer: l}
				tallies[u] = t
				order = append(order, u)
			}
			t.hasRole = t.hasRole || c.Roles[role]
			t.nonHook = t.nonHook || c.W.Hook == nil
			if !c.Roles[role] {
				r.fs.infof(c.W.ID(), path, fmt.Sprintf("ignored: the workload has no %s port", role))
			}
		}
	}
	for _, u := range order {
		t := tallies[u]
		if t.hasRole || !t.nonHook {
			continue
		}
		path, _ := roleFrom(&Merged{}, u.role)
		fix := fmt.Sprintf("has a %s port, so the knob would do nothing: check that the role is enabled, set ports.%s, or remove the knob", u.role, u.role)
		if u.role == RoleOther {
			fix = "declares a port that no role claims, so the knob would do nothing: remove it"
		}
		r.fs.errorf(t.layer.Object, t.layer.Where, fmt.Sprintf("%s: no workload this config covers %s", path, fix))
	}
}

// checkApiserver refuses egress that cannot reach the kube-apiserver.
func (r *run) checkApiserver(covered []*coverage) {
	for _, c := range covered {
		if !c.Policy.EgressIsolated {
			continue
		}
		engine := c.Config.EngineOrDefault()
		a := &c.Config.NetworkPolicy.Egress.Apiserver
		if (engine == EngineCilium || engine == EngineCalico) && a.ApiserverEnabled() {
			continue
		}
		p443, p6443 := reachesApiserver(c.Policy.Egress, engine != EngineCilium)
		switch {
		case engine == EngineCilium && !p443 && !p6443:
			r.fs.errorf(c.W.ID(), "networkPolicy.egress", "no egress rule reaches the kube-apiserver, and Cilium does not match the apiserver's node addresses by CIDR unless the cluster sets policy-cidr-match-mode: nodes: keep networkPolicy.egress.apiserver.enabled (it renders toEntities: [kube-apiserver]), or add a rule allowing TCP 443 and 6443 to any destination")
		case !p443 && !p6443:
			r.fs.errorf(c.W.ID(), "networkPolicy.egress", "no egress rule allows TCP 443 or 6443 to an ipBlock, so the pods cannot reach the kube-apiserver and every call to it fails: add its address to networkPolicy.egress.apiserver.cidrs (or an egress.to rule with an ipBlock); find it with `kubectl get endpointslice -n default -l kubernetes.io/service-name=kubernetes`; managed clusters listen on 443, kubeadm and OpenShift endpoints on 6443")
		case p443 != p6443:
			covers, misses := "443", "6443"
			if p6443 {
				covers, misses = "6443", "443"
			}
			r.fs.warnf(c.W.ID(), "networkPolicy.egress", fmt.Sprintf("apiserver egress covers TCP %s but not %s: managed clusters listen on 443, kubeadm and OpenShift endpoints on 6443; make sure %s is the right one", covers, misses, covers))
		}
	}
}

// checkChartPolicies looks at the chart's own NetworkPolicies that select a covered
// workload. Under networkPolicy.rewrite they are translated into the engine and replace
// the originals; otherwise one that would widen the allowlist (it has allow rules of a
// direction the allowlist governs) is an error unless networkPolicy.keepExisting.
func (r *run) checkChartPolicies(covered []*coverage, chart []*chartPolicy) []*Policy {
	var rewritten []*Policy
	for _, cp := range chart {
		spec := &cp.Policy.Spec
		ingressType, egressType := policyTypes(spec)
		ingress, egress := ingressType && len(spec.Ingress) > 0, egressType && len(spec.Egress) > 0
		done := false
		for _, c := range covered {
			if !sameNamespace(cp.Namespace, c.W.Namespace, r.opts.Namespace) || !c.W.selectedBy(&spec.PodSelector) {
				continue
			}
			np := &c.Config.NetworkPolicy
			switch {
			case np.Rewrite:
				if !done {
					rewritten = append(rewritten, r.d.planRewrite(cp, c.Config))
					r.res.Changed[cp.Node] = true
					r.res.Replaced = append(r.res.Replaced, cp.Object)
					done = true
				}
			case !ingress && !(egress && c.Policy.EgressIsolated):
			case np.KeepExisting:
				r.fs.infof(cp.ID(), "", fmt.Sprintf("kept beside the policy for %s (networkPolicy.keepExisting): what it allows adds to the allowlist", c.W.ID()))
			default:
				r.fs.errorf(cp.ID(), "", fmt.Sprintf("the chart's own NetworkPolicy selects the pods of %s and would be OR-ed with its allowlist, widening it: turn the chart's policy off, or set networkPolicy.rewrite: true (replace it, translated into the engine) or networkPolicy.keepExisting: true (keep both, knowingly)", c.W.ID()))
			}
		}
	}
	return rewritten
}

// policyTypes tells which directions a NetworkPolicy governs, with the API's defaults.
func policyTypes(spec *networkingv1.NetworkPolicySpec) (ingress, egress bool) {
	if len(spec.PolicyTypes) == 0 {
		return true, len(spec.Egress) > 0
	}
	return oneOf(networkingv1.PolicyTypeIngress, spec.PolicyTypes), oneOf(networkingv1.PolicyTypeEgress, spec.PolicyTypes)
}

// planDenies plans one default-deny per namespace whose covered workloads ask for it.
func (r *run) planDenies(covered []*coverage, release string, hasNonHook bool) []*Policy {
	byNS := map[string][]*coverage{}
	for _, c := range covered {
		if c.Config.NetworkPolicy.DefaultDeny.Enabled {
			byNS[c.W.Namespace] = append(byNS[c.W.Namespace], c)
		}
	}
	if len(byNS) == 0 || !hasNonHook {
		return nil
	}
	if release == "" {
		r.fs.errorf("networkPolicy.defaultDeny", "", "the default-deny is named after the release, and the release is unknown: pass --release NAME, or label the workloads' pods with app.kubernetes.io/instance")
		return nil
	}
	var out []*Policy
	for _, ns := range sortedKeys(byNS) {
		cs := byNS[ns]
		first := cs[0]
		p := &Policy{
			Name:      denyName(release),
			Namespace: ns,
			For:       "release/" + release,
			Deny:      true,
			Engine:    first.Config.EngineOrDefault(),
			Order:     denyOrder(first.Config),

			ScopeNamespace: r.d.scopeNamespace(ns, first.Config),
		}
		egressOn := 0
		for _, c := range cs {
			if c.Policy.EgressIsolated {
				egressOn++
			}
			if e := c.Config.EngineOrDefault(); e != p.Engine {
				r.fs.errorf(c.W.ID(), "networkPolicy.engine", fmt.Sprintf("engine %s differs from engine %s of %s in the same namespace, so one default-deny cannot serve both: use one engine per namespace", e, p.Engine, first.W.ID()))
			}
		}
		switch egressOn {
		case len(cs):
			p.EgressIsolated = true
		case 0:
		default:
			var off []string
			for _, c := range cs {
				if !c.Policy.EgressIsolated {
					off = append(off, c.W.ID())
				}
			}
			r.fs.errorf(nsLabel(ns), "networkPolicy.defaultDeny", "some covered workloads have egress on and others ("+strings.Join(off, ", ")+") do not, and a default-deny that denies egress would cut the others off from everything: turn networkPolicy.egress.enabled on for all of them or for none")
		}
		if r.opts.Format == FormatHelm3 {
			r.fs.warnf(nsLabel(ns), "networkPolicy.defaultDeny", "Helm 3 does not show hooks and test pods to a post-renderer, so they get no allowlist and the default-deny blocks them")
		}
		out = append(out, p)
	}
	return out
}

func nsLabel(ns string) string {
	if ns == "" {
		return "namespace of the release"
	}
	return "namespace " + ns
}

// render turns a policy into a node in the engine's dialect, with provenance and the
// stream's framing.
func (r *run) render(p *Policy) (*yaml.RNode, error) {
	meta := metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace, Labels: copyMap(p.Labels), Annotations: copyMap(p.Annotations)}
	if meta.Annotations == nil {
		meta.Annotations = map[string]string{}
	}
	meta.Annotations[AnnotationGeneratedFor] = p.For
	if p.Hook != nil {
		meta.Annotations[AnnotationHook] = p.Hook.Events
		meta.Annotations[AnnotationHookWeight] = strconv.Itoa(p.Hook.Weight - 1)
		meta.Annotations[AnnotationHookDelete] = hookDeleteBeforeCreate
	}
	render, ok := renderers[p.Engine]
	if !ok {
		return nil, fmt.Errorf("engine %s has no renderer", p.Engine)
	}
	obj, err := render(p, meta)
	if err != nil {
		return nil, err
	}
	file := "helm-netpol/" + strings.ToLower(reflect.TypeOf(obj).Elem().Name()) + "-" + p.Name + ".yaml"
	if r.opts.Format == FormatHelm4 {
		meta.Annotations[AnnotationHelm4Filename] = file
	}
	b, err := sigsyaml.Marshal(obj)
	if err != nil {
		return nil, err
	}
	n, err := yaml.Parse(string(b))
	if err != nil {
		return nil, err
	}
	if err := n.PipeE(yaml.Lookup("metadata"), yaml.Clear("creationTimestamp")); err != nil {
		return nil, err
	}
	if err := n.PipeE(yaml.Clear("status")); err != nil {
		return nil, err
	}
	if r.opts.Format == FormatHelm3 {
		n.YNode().HeadComment = "Source: " + file
	}
	return n, nil
}

// unmarshalSpec decodes the spec of an object's JSON into spec.
func unmarshalSpec(raw []byte, spec any) error {
	var o struct {
		Spec json.RawMessage `json:"spec"`
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		return err
	}
	if len(o.Spec) == 0 {
		return nil
	}
	return json.Unmarshal(o.Spec, spec)
}
