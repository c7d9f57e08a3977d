package transform

import (
	"encoding/json"
	"reflect"

	"github.com/helm-netpol/helm-netpol/internal/config"
	"github.com/helm-netpol/helm-netpol/internal/discover"
	"github.com/helm-netpol/helm-netpol/internal/engine/registry"
	"github.com/helm-netpol/helm-netpol/internal/findings"
	"github.com/helm-netpol/helm-netpol/internal/lint"
	"github.com/helm-netpol/helm-netpol/internal/manifest"
	"github.com/helm-netpol/helm-netpol/internal/plan"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Options are the settings of a run that do not travel in the stream.
type Options struct {
	// Config is the --config layer, lowest of all.
	Config *config.Layer
	// Namespace is the release namespace, where the stream does not say.
	Namespace string
	// Release is the release name, where the stream does not say.
	Release string
	// Strict turns warnings into errors.
	Strict bool
	// Format is the framing of the stream, which generated objects follow.
	Format manifest.Format
	// CNI is the network plugin Trace evaluates the policies under: kubernetes, cilium or
	// calico; empty, the one the stream's policies are written for.
	CNI CNI

	// releaseConfig is a release-wide config that came from outside the items (a KRM
	// function's functionConfig).
	releaseConfig *config.Layer
	// nonHookElsewhere says the stream holds a non-hook document that the filter was not
	// given (Process hands it only the documents it looks at).
	nonHookElsewhere bool
	// hookElsewhere says the stream holds a Helm hook that the filter was not given.
	hookElsewhere bool
	// fullTrees says not to cut the kept trees down to stubs as the stream is read (tests
	// compare the two ways).
	fullTrees bool
	// noQuickScan says to parse every document, none let through on the quick scan (tests
	// compare the two ways).
	noQuickScan bool
	// keepText says the run keeps each generated object as its encoded text, in place of
	// its tree (ProcessTo, which only writes the text): on a stream of thousands of
	// releases the policies' trees were a third of the heap.
	keepText bool
}

// Result is what one run found and made.
type Result struct {
	Findings []findings.Finding
	Policies []*plan.Policy
	// Changed holds the input nodes the run modified (a carrier that lost its annotation).
	Changed map[*yaml.RNode]bool
	// Generated are the objects the run added, in output order.
	Generated []Generated

	// Workloads are the workloads of the stream, covered or not.
	Workloads []*discover.Workload
	// Configs holds the effective config of each covered workload.
	Configs map[*discover.Workload]*config.Merged
	// Removed lists the config annotations taken out of carriers, as JSON pointers.
	Removed []Removal
	// Replaced are the chart policies a rewrite replaced.
	Replaced []*manifest.Object
}

// Generated is an object the run added to the stream: its identity, what it is for, and
// its tree or its encoded text. ProcessTo keeps the text, and lets the tree go as soon as
// it is encoded: beside its text an object then takes a few hundred bytes, where a tree
// took 2.5 kB, and on a stream of thousands of releases the trees were a third of the
// heap.
type Generated struct {
	APIVersion, Kind, Namespace, Name string
	// For is its helm-netpol.io/generated-for mark: the workload, chart NetworkPolicy or
	// release it is generated for.
	For string
	// Policy is the planned policy it renders; nil for what an earlier run generated and
	// this run keeps.
	Policy *plan.Policy
	// Node is its tree; nil where the run kept its Text instead.
	Node *yaml.RNode
	// Text is its encoded text where the run kept that in place of its tree; "" otherwise.
	Text string
}

// generatedOf is the Generated of a generated object's tree.
func generatedOf(n *yaml.RNode, p *plan.Policy) Generated {
	o := manifest.NewObject(n)
	return Generated{
		APIVersion: o.APIVersion, Kind: o.Kind, Namespace: o.Namespace, Name: o.Name,
		For:    n.GetAnnotations()[manifest.AnnotationGeneratedFor],
		Policy: p,
		Node:   n,
	}
}

// ID names the generated object in findings and errors, as Object.ID names any object.
func (g *Generated) ID() string {
	o := manifest.Object{APIVersion: g.APIVersion, Kind: g.Kind, Namespace: g.Namespace, Name: g.Name}
	return o.ID()
}

// Tree is the generated object's tree: its Node, or its Text parsed.
func (g *Generated) Tree() (*yaml.RNode, error) {
	if g.Node != nil {
		return g.Node, nil
	}
	return yaml.Parse(g.Text)
}

func (g *Generated) key() objectKey { return objectKey{g.APIVersion, g.Kind, g.Namespace, g.Name} }

// Removal is a config annotation removed from an object.
type Removal struct {
	Object  *manifest.Object
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

// Filter implements kio.Filter. It returns the input nodes that stay, then the generated
// objects' trees.
func (f Inject) Filter(nodes []*yaml.RNode) ([]*yaml.RNode, error) {
	objects := make([]*manifest.Object, len(nodes))
	for i, n := range nodes {
		objects[i] = manifest.NewObject(n)
	}
	f.keepText = false // a kio.Filter hands on trees
	if f.Result == nil {
		f.Result = &Result{}
	}
	out, err := f.filter(nodes, objects)
	if err != nil {
		return nil, err
	}
	for _, g := range f.Result.Generated {
		out.kept = append(out.kept, g.Node)
	}
	return out.kept, nil
}

// filtered is what a run leaves to whoever writes its output, beside its Result.
type filtered struct {
	// kept are the input nodes that stay, in input order; the generated objects (the
	// Result's Generated) follow them.
	kept []*yaml.RNode
	// noConfig says no config applied to the stream: none in it, no --config, and nothing
	// an earlier run generated.
	noConfig bool
}

// filter is Filter given each node's object (nil for a node that is no mapping), which for
// a stub holds what was read of the document before its tree was cut down.
func (f Inject) filter(nodes []*yaml.RNode, objects []*manifest.Object) (filtered, error) {
	r := &run{opts: f.Options, res: &Result{Changed: map[*yaml.RNode]bool{}, Configs: map[*discover.Workload]*config.Merged{}}}
	kept, err := r.filter(nodes, objects)
	r.res.Findings = r.fs.List
	if f.Result != nil {
		*f.Result = *r.res
	}
	out := filtered{kept: kept, noConfig: r.noConfig}
	if err != nil {
		return out, err
	}
	if err := r.fs.Errors(f.Strict); err != nil {
		return out, err
	}
	return out, nil
}

type run struct {
	opts Options
	res  *Result
	fs   findings.List
	d    discover.Discovery
	// noConfig says no config applied to the stream (see filtered).
	noConfig bool
}

type objectKey struct{ apiVersion, kind, namespace, name string }

func keyOf(o *manifest.Object) objectKey { return objectKey{o.APIVersion, o.Kind, o.Namespace, o.Name} }

// streamIndex is what the filter knows of its input objects.
type streamIndex struct {
	nodes   []*yaml.RNode
	objects []*manifest.Object
	// previous holds what an earlier run generated, chart the rest, by identity.
	previous map[objectKey]*yaml.RNode
	chart    map[objectKey]*manifest.Object
	// nonHook says the stream holds a document that is not a Helm hook, hook one that is.
	nonHook, hook bool
}

// filter runs the stages over the input objects: reading the configs, discovery,
// coverage, plan and lint, render. It fills in the Result and returns the input nodes that
// stay in the output.
func (r *run) filter(nodes []*yaml.RNode, objects []*manifest.Object) ([]*yaml.RNode, error) {
	r.d.Namespace = r.opts.Namespace
	st := r.index(nodes, objects)
	release, own := r.readConfigs(st.objects)
	r.noConfig = r.opts.Config == nil && release == nil && len(own) == 0 && len(st.previous) == 0
	if r.noConfig && st.nonHook {
		// Not in a stream of hooks alone: Helm 4 post-renders a release's hooks on their
		// own, and a chart may configure only its lasting workloads.
		r.fs.Warnf("stdin", "", "no config: no object of the stream carries a %s annotation and no --config was given, so no policy is rendered: add the config to the chart's pod annotations (or to any object's annotations, release-wide), or pass --config FILE", manifest.AnnotationConfig)
	}
	chartPolicies := discover.DiscoverAll(&r.d, st.objects, &r.fs)
	r.d.Index()
	releaseName := plan.ReleaseName(r.opts.Release, r.d.Workloads)
	r.res.Workloads = r.d.Workloads
	pl := &plan.Planner{FS: &r.fs, D: &r.d, Config: r.opts.Config, Format: r.opts.Format, SameRelease: map[[2]string]*plan.Rule{}}
	lt := &lint.Linter{FS: &r.fs, D: &r.d, Release: releaseName}

	covered, shadow, kept := r.cover(pl, st, release, own, releaseName)
	pl.SkipHooks(covered)
	lt.CheckFromKnobs(covered)
	lt.CheckApiserver(covered)
	lt.Lint(covered)
	lt.CheckChartPolicies(covered, chartPolicies)
	policies := r.planPolicies(pl, covered, chartPolicies, releaseName, st)

	removed := map[*yaml.RNode]bool{}
	for _, cp := range chartPolicies {
		if r.res.Changed[cp.Node] {
			removed[cp.Node] = true
		}
	}
	r.renderAll(policies, st, removed, shadow, kept)
	r.checkPrevious(st, removed, kept, r.opts.Config != nil || release != nil || len(own) > 0)
	if err := r.fs.Errors(r.opts.Strict); err != nil {
		return nil, nil
	}
	return r.output(st, removed, kept), nil
}

// cover works out which workloads the configs cover, and plans each one's allowlist. A
// workload that an earlier run covered, and that no config in the stream covers now (that
// run took its annotation out), keeps what that run generated (returned in kept):
// planned again from --config alone, its policy would lose what its own config said. Under
// --config (or a KRM function's config) it is planned all the same, and what that run
// generated gives way only to the same object; any other is refused (see renderAll). Such
// workloads are returned in shadow, with what the earlier run generated for them.
func (r *run) cover(pl *plan.Planner, st *streamIndex, release *config.Layer, own map[*manifest.Object]*config.Layer, releaseName string) (covered []*plan.Coverage, shadow map[*discover.Workload][]*manifest.Object, kept map[*yaml.RNode]bool) {
	earlier := r.earlier(st)
	kept = map[*yaml.RNode]bool{}
	shadow = map[*discover.Workload][]*manifest.Object{}
	for _, w := range r.d.Workloads {
		prev := earlier[r.workloadKey(w)]
		if len(prev) > 0 && own[w.Object] == nil && (release == nil || release == r.opts.releaseConfig) {
			if r.opts.Config == nil && release == nil {
				r.fs.Infof(w.ID(), "", "keeps the policies an earlier run generated for it: no config in the stream applies to it now")
				for _, o := range prev {
					kept[o.Node] = true
				}
				continue
			}
			shadow[w] = prev
		}
		c := pl.Cover(w, release, own[w.Object])
		if c == nil {
			continue
		}
		c.Policy = pl.PlanAllowlist(c, releaseName)
		r.res.Configs[w] = c.Config
		covered = append(covered, c)
	}
	return covered, shadow, kept
}

// planPolicies plans what the run generates beside the allowlists: the rewrites of chart
// NetworkPolicies, whose originals it marks changed, and the default-denies. It returns
// every policy to render, allowlists first.
func (r *run) planPolicies(pl *plan.Planner, covered []*plan.Coverage, chartPolicies []*discover.ChartPolicy, releaseName string, st *streamIndex) []*plan.Policy {
	rewritten, replaced := pl.PlanRewrites(covered, chartPolicies)
	for _, cp := range replaced {
		r.res.Changed[cp.Node] = true
		r.res.Replaced = append(r.res.Replaced, cp.Object)
	}
	policies := make([]*plan.Policy, 0, len(covered)+len(rewritten))
	for _, c := range covered {
		if !c.Skip {
			policies = append(policies, plan.AllowlistPolicies(c.Policy)...)
		}
	}
	policies = append(policies, rewritten...)
	policies = append(policies, pl.PlanDenies(covered, releaseName, st.nonHook, st.hook)...)
	r.res.Policies = policies
	return policies
}

// output puts the generated objects in their order and returns the input nodes that stay.
// What an earlier run generated and this one keeps (see checkPrevious) joins the generated
// objects, so that their order, and with it the output, is the same on every run.
func (r *run) output(st *streamIndex, removed, kept map[*yaml.RNode]bool) []*yaml.RNode {
	for _, o := range st.objects {
		if kept[o.Node] && !removed[o.Node] {
			removed[o.Node] = true
			r.res.Generated = append(r.res.Generated, generatedOf(o.Node, nil))
		}
	}
	sortGenerated(r.res.Generated)
	out := make([]*yaml.RNode, 0, len(st.nodes))
	for _, n := range st.nodes {
		if !removed[n] {
			out = append(out, n)
		}
	}
	return out
}

// index reads every object's identity, and tells what an earlier run generated from what
// the chart renders.
func (r *run) index(nodes []*yaml.RNode, objects []*manifest.Object) *streamIndex {
	st := &streamIndex{nodes: nodes, previous: map[objectKey]*yaml.RNode{}, chart: map[objectKey]*manifest.Object{}, nonHook: r.opts.nonHookElsewhere, hook: r.opts.hookElsewhere}
	for i, n := range nodes {
		o := objects[i]
		if o == nil {
			continue
		}
		ann := o.Annotations()
		st.objects = append(st.objects, o)
		if _, ok := ann[manifest.AnnotationHook]; ok {
			st.hook = true
		} else {
			st.nonHook = true
		}
		if _, ok := ann[manifest.AnnotationGeneratedFor]; ok && manifest.GeneratedKind(o.APIVersion, o.Kind) {
			st.previous[keyOf(o)] = n
		} else {
			st.chart[keyOf(o)] = o
		}
	}
	return st
}

// readConfigs reads every carrier, taking the annotation out of the output, and returns the
// release-wide config and each workload's own.
func (r *run) readConfigs(objects []*manifest.Object) (*config.Layer, map[*manifest.Object]*config.Layer) {
	release := r.opts.releaseConfig
	own := map[*manifest.Object]*config.Layer{}
	for _, o := range objects {
		config.CheckOwnKeys(o, &r.fs)
		layers, removed := config.ReadCarrier(o, &r.fs)
		if len(removed) > 0 {
			r.res.Changed[o.Node] = true
		}
		for _, p := range removed {
			r.res.Removed = append(r.res.Removed, Removal{Object: o, Pointer: p})
		}
		if len(layers) == 0 {
			continue
		}
		if !o.IsWorkload() {
			l := layers[0]
			if release != nil && !reflect.DeepEqual(release.Tree, l.Tree) {
				r.fs.Errorf(o.ID(), "annotation "+manifest.AnnotationConfig, "a second release-wide config that differs from the one on %s: keep one, or move each to the workload it is for", release.Object)
				continue
			}
			if release == nil {
				release = l
			}
			continue
		}
		if len(layers) == 2 && !reflect.DeepEqual(layers[0].Tree, layers[1].Tree) {
			r.fs.Errorf(o.ID(), "annotation "+manifest.AnnotationConfig, "the workload's metadata and its pod template carry different configs: keep one, or make them equal")
		}
		own[o] = layers[len(layers)-1]
	}
	return release, own
}

// earlier files what an earlier run generated for workloads by the workload it names.
func (r *run) earlier(st *streamIndex) map[objectKey][]*manifest.Object {
	out := map[objectKey][]*manifest.Object{}
	for _, o := range st.objects {
		if st.previous[keyOf(o)] != o.Node {
			continue
		}
		if m, ok := manifest.ParseMarker(o.Annotations()[manifest.AnnotationGeneratedFor]); ok && m.Release == "" && manifest.IsWorkloadKind(m.Kind) {
			k := r.markerKey(o, m)
			out[k] = append(out[k], o)
		}
	}
	return out
}

// markerKey is the identity of the object a generated object's marker names, its namespace
// resolved: the marker's, else (a marker of an earlier version, which names none) the
// generated object's own, else the release namespace.
func (r *run) markerKey(o *manifest.Object, m manifest.Marker) objectKey {
	ns := m.Namespace
	if ns == "" {
		ns = o.Namespace
	}
	return objectKey{m.APIVersion, m.Kind, r.d.NamespaceOf(ns), m.Name}
}

// workloadKey is a workload's identity with its namespace resolved, as markerKey resolves
// a marker's.
func (r *run) workloadKey(w *discover.Workload) objectKey {
	return objectKey{w.APIVersion, w.Kind, r.d.NamespaceOf(w.Namespace), w.Name}
}

// checkPrevious refuses what an earlier run generated that this run neither replaces nor
// keeps, instead of passing it on: its marker names nothing that helm-netpol generates for,
// or a workload that the stream does not hold, or one that this run's config does not
// cover or gives another policy, or a default-deny this run does not make. Kept are the
// policies of workloads that no config applies to now (filter marked them), a
// default-deny when no config applies to the stream at all, and the translation of a
// chart NetworkPolicy whose original a rewrite took out.
func (r *run) checkPrevious(st *streamIndex, removed, kept map[*yaml.RNode]bool, configured bool) {
	workloads := map[objectKey]*discover.Workload{}
	for _, w := range r.d.Workloads {
		workloads[r.workloadKey(w)] = w
	}
	for _, o := range st.objects {
		if st.previous[keyOf(o)] != o.Node || removed[o.Node] || kept[o.Node] {
			continue
		}
		v := o.Annotations()[manifest.AnnotationGeneratedFor]
		where := "metadata.annotations[" + manifest.AnnotationGeneratedFor + "]"
		m, ok := manifest.ParseMarker(v)
		rerun := "if it is the output of an earlier run, run helm-netpol on the chart's own output instead; if the chart renders it, take the annotation out"
		switch {
		case !ok:
			r.fs.Errorf(o.ID(), where, "%q names no object or release (apiVersion/Kind/namespace/name, or release/namespace/name): %s", v, rerun)
		case m.Release != "" && configured:
			r.fs.Errorf(o.ID(), where, "an earlier run generated this default-deny for release %s, and this run's config makes no such default-deny (it is off, or the release or the namespace differ): %s", m.Release, rerun)
		case m.Release != "":
			kept[o.Node] = true
		case manifest.IsWorkloadKind(m.Kind):
			w := workloads[r.markerKey(o, m)]
			if w == nil {
				r.fs.Errorf(o.ID(), where, "generated for %s, which the stream does not hold: a policy for nothing, or for a workload of another namespace; %s", v, rerun)
			} else {
				r.fs.Errorf(o.ID(), where, "an earlier run generated this for %s, and this run's config does not cover that workload, or gives it another policy: %s", w.ID(), rerun)
			}
		case m.APIVersion == "networking.k8s.io/v1" && m.Kind == "NetworkPolicy":
			k := r.markerKey(o, m)
			if cp := st.chart[k]; cp != nil {
				r.fs.Errorf(o.ID(), where, "an earlier run translated %s into this, and the stream holds that NetworkPolicy again, which this run does not rewrite: %s", cp.ID(), rerun)
				continue
			}
			kept[o.Node] = true // the translation of a chart policy that a rewrite took out
		default:
			r.fs.Errorf(o.ID(), where, "%q names a %s, and helm-netpol generates policies for workloads, chart NetworkPolicies and releases only: %s", v, m.Kind, rerun)
		}
	}
}

// renderAll renders every planned policy, refusing name clashes, and marks for removal
// what an earlier run generated under the same name. A workload in shadow, planned from
// --config alone while an earlier run's policies for it are in the stream, is refused where
// the new policy differs from the earlier one: the earlier run's config is not in the
// stream any more, and neither replacing what it made (which may widen it) nor keeping an
// object that only says it was generated is safe.
func (r *run) renderAll(policies []*plan.Policy, st *streamIndex, removed map[*yaml.RNode]bool, shadow map[*discover.Workload][]*manifest.Object, kept map[*yaml.RNode]bool) {
	generated, errs := r.renderEach(policies)
	made := map[objectKey]bool{}
	// What the run adds is taken into the Result in place: entry i is read before any
	// entry up to i is written.
	r.res.Generated = generated[:0]
	for i, p := range policies {
		if errs[i] != nil {
			object := p.For
			if p.Workload != nil {
				object = p.Workload.ID()
			}
			for _, e := range findings.SplitErrors(errs[i]) {
				r.fs.Errorf(object, "engine "+string(p.Engine), "%s", e.Error())
			}
			continue
		}
		g := generated[i]
		k := g.key()
		switch {
		case made[k]:
			r.fs.Errorf(g.ID(), "", "two generated objects would have this name: rename one of the workloads")
			continue
		case st.chart[k] != nil && !removed[st.chart[k].Node]:
			r.fs.Errorf(g.ID(), "", "the chart already renders an object of this kind and name that helm-netpol did not generate: rename it in the chart, or set networkPolicy.rewrite: true if it is a NetworkPolicy to replace")
			continue
		}
		if prev, ok := st.previous[k]; ok && p.Workload != nil && shadow[p.Workload] != nil {
			same, err := sameObject(prev, &g, closingOf(policies, generated, errs, i))
			if err != nil {
				r.fs.Errorf(g.ID(), "", "%s", err.Error())
				continue
			}
			if !same {
				r.fs.Errorf(p.Workload.ID(), "", "the stream holds %s, marked as generated for it by an earlier run, and --config alone makes another policy of it: that run took the workload's own config out of the stream, and what it said is not known any more (or the chart renders that object with helm-netpol's mark); run helm-netpol on the chart's own output", g.ID())
				kept[prev] = true
				continue
			}
		}
		made[k] = true
		if prev, ok := st.previous[k]; ok {
			removed[prev] = true
		}
		// What an earlier run generated under this name in the other form (staged or
		// enforced) goes too: turning networkPolicy.staged on or off replaces it.
		if d, ok := registry.DialectOf(p.Engine, !p.Staged); ok {
			if prev, ok := st.previous[objectKey{d.APIVersion, d.Kind, k.namespace, k.name}]; ok {
				removed[prev] = true
			}
		}
		r.res.Generated = append(r.res.Generated, g)
	}
}

// renderEach renders every policy, on every core: rendering is most of the filter's time
// on a dense stream, and each policy renders on its own. The results are in the policies'
// order. Under keepText each object is encoded as soon as it is rendered, and its tree let
// go, so that the trees of all policies are never alive at once; one that fails to encode
// keeps its tree, and encodeAll reports the error.
func (r *run) renderEach(policies []*plan.Policy) ([]Generated, []error) {
	generated := make([]Generated, len(policies))
	errs := make([]error, len(policies))
	manifest.Parallel(len(policies), func(i int) {
		n, err := r.render(policies[i])
		if err != nil {
			errs[i] = err
			return
		}
		generated[i] = generatedOf(n, policies[i])
		if r.opts.keepText {
			if t, err := n.String(); err == nil {
				generated[i].Text, generated[i].Node = t, nil
			}
		}
	})
	return generated, errs
}

// closingOf is the object that holds the closing Deny of policies[i] (a ClusterNetworkPolicy
// allowlist's, rendered right after it by plan.AllowlistPolicies), or nil.
func closingOf(policies []*plan.Policy, generated []Generated, errs []error, i int) *Generated {
	p := policies[i]
	if p.Closing != plan.FallThrough || p.Workload == nil || i+1 >= len(policies) || errs[i+1] != nil {
		return nil
	}
	if d := policies[i+1]; d.Closing != plan.DenyOnly || d.Workload != p.Workload {
		return nil
	}
	return &generated[i+1]
}

// sameObject tells whether a generated object is what an earlier run generated, but for
// the form of its marker. Where the object's closing Deny is an object of its own
// (closing), an earlier version's allowlist that held that Deny after its Accept rules is
// the same too: the pair replaces it.
func sameObject(earlier *yaml.RNode, g *Generated, closing *Generated) (bool, error) {
	nodes := []*yaml.RNode{earlier}
	for _, gen := range []*Generated{g, closing} {
		if gen == nil {
			continue
		}
		n, err := gen.Tree()
		if err != nil {
			return false, err
		}
		nodes = append(nodes, n)
	}
	values := make([]map[string]any, len(nodes))
	for i, n := range nodes {
		raw, err := manifest.NodeJSON(n)
		if err != nil {
			return false, err
		}
		if err := json.Unmarshal(raw, &values[i]); err != nil {
			return false, err
		}
		meta, _ := values[i]["metadata"].(map[string]any)
		if ann, ok := meta["annotations"].(map[string]any); ok {
			// The mark, and Helm 4's framing, which depends on how the stream is written.
			delete(ann, manifest.AnnotationGeneratedFor)
			delete(ann, manifest.AnnotationHelm4Filename)
			if len(ann) == 0 {
				delete(meta, "annotations")
			}
		}
	}
	if reflect.DeepEqual(values[0], values[1]) || len(values) < 3 {
		return reflect.DeepEqual(values[0], values[1]), nil
	}
	spec, _ := values[1]["spec"].(map[string]any)
	deny, _ := values[2]["spec"].(map[string]any)
	for _, dir := range []string{"ingress", "egress"} {
		if rules, _ := deny[dir].([]any); len(rules) > 0 {
			own, _ := spec[dir].([]any)
			spec[dir] = append(own, rules...)
		}
	}
	return reflect.DeepEqual(values[0], values[1]), nil
}
