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
	// keepText says the run keeps each generated object as its encoded text, and puts a
	// stub of its identity in Result.Generated (ProcessTo, which only writes the text): on
	// a stream of thousands of releases the policies' trees were a third of the heap.
	keepText bool
}

// Result is what one run found and made.
type Result struct {
	Findings []findings.Finding
	Policies []*plan.Policy
	// Changed holds the input nodes the run modified (a carrier that lost its annotation).
	Changed map[*yaml.RNode]bool
	// Generated are the objects the run added, in output order.
	Generated []*yaml.RNode

	// Rendered pairs each generated object with the policy it renders.
	Rendered []Rendered
	// Workloads are the workloads of the stream, covered or not.
	Workloads []*discover.Workload
	// Configs holds the effective config of each covered workload.
	Configs map[*discover.Workload]*config.Merged
	// Removed lists the config annotations taken out of carriers, as JSON pointers.
	Removed []Removal
	// Replaced are the chart policies a rewrite replaced.
	Replaced []*manifest.Object

	nodes []*yaml.RNode // what the filter returned
	// noConfig says no config applied to the stream: none in it, no --config, and nothing
	// an earlier run generated.
	noConfig bool
	// asText holds the generated objects kept as their text (keepText), by their stubs.
	asText map[*yaml.RNode]*textObject
}

// textObject is a generated object kept as its encoded text (keepText). Its node in
// Result.Generated is a stub, an empty mapping, and what sorting the generated objects and
// telling them apart read of it is here: some 300 bytes a policy, where a tree of its
// identity took 2.5 kB.
type textObject struct {
	text         string
	object       manifest.Object // without its Node
	generatedFor string          // the helm-netpol.io/generated-for annotation
}

// objectOf returns a generated or input node's Object and generated-for annotation, read
// from the node or, for a stub of a generated object kept as text, from what was kept.
func (res *Result) objectOf(n *yaml.RNode) (*manifest.Object, string) {
	if t := res.asText[n]; t != nil {
		o := t.object
		o.Node = n
		return &o, t.generatedFor
	}
	return manifest.NewObject(n), n.GetAnnotations()[manifest.AnnotationGeneratedFor]
}

// Rendered is a generated object and the planned policy it renders.
type Rendered struct {
	Policy *plan.Policy
	Node   *yaml.RNode
}

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

// Filter implements kio.Filter.
func (f Inject) Filter(nodes []*yaml.RNode) ([]*yaml.RNode, error) {
	objects := make([]*manifest.Object, len(nodes))
	for i, n := range nodes {
		objects[i] = manifest.NewObject(n)
	}
	return f.filter(nodes, objects)
}

// filter is Filter given each node's object (nil for a node that is no mapping), which for
// a stub holds what was read of the document before its tree was cut down.
func (f Inject) filter(nodes []*yaml.RNode, objects []*manifest.Object) ([]*yaml.RNode, error) {
	r := &run{opts: f.Options, res: &Result{Changed: map[*yaml.RNode]bool{}, Configs: map[*discover.Workload]*config.Merged{}}}
	out, err := r.filter(nodes, objects)
	r.res.Findings = r.fs.List
	if f.Result != nil {
		*f.Result = *r.res
	}
	if err != nil {
		return nil, err
	}
	if err := r.fs.Errors(f.Strict); err != nil {
		return nil, err
	}
	return out, nil
}

type run struct {
	opts Options
	res  *Result
	fs   findings.List
	d    discover.Discovery
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

func (r *run) filter(nodes []*yaml.RNode, objects []*manifest.Object) ([]*yaml.RNode, error) {
	r.d.Namespace = r.opts.Namespace
	st := r.index(nodes, objects)
	release, own := r.readConfigs(st.objects)
	r.res.noConfig = r.opts.Config == nil && release == nil && len(own) == 0 && len(st.previous) == 0
	if r.res.noConfig && st.nonHook {
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

	// Coverage and plan. A workload that an earlier run covered, and that no config in the
	// stream covers now (that run took its annotation out), keeps what that run generated:
	// planned again from --config alone, its policy would lose what its own config said.
	// Under --config (or a KRM function's config) it is planned all the same, and what that
	// run generated gives way only to the same object; any other is refused (see renderAll).
	earlier := r.earlier(st)
	kept := map[*yaml.RNode]bool{}
	shadow := map[*discover.Workload][]*manifest.Object{}
	var covered []*plan.Coverage
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
	pl.SkipHooks(covered)
	lt.CheckFromKnobs(covered)
	lt.CheckApiserver(covered)
	lt.Lint(covered)
	lt.CheckChartPolicies(covered, chartPolicies)
	rewritten, replaced := pl.PlanRewrites(covered, chartPolicies)
	for _, cp := range replaced {
		r.res.Changed[cp.Node] = true
		r.res.Replaced = append(r.res.Replaced, cp.Object)
	}
	policies := make([]*plan.Policy, 0, len(covered)+len(rewritten))
	for _, c := range covered {
		if !c.Skip {
			policies = append(policies, c.Policy)
		}
	}
	policies = append(policies, rewritten...)
	policies = append(policies, pl.PlanDenies(covered, releaseName, st.nonHook, st.hook)...)
	r.res.Policies = policies

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
	// What an earlier run generated and this one keeps (see checkPrevious) joins the
	// generated objects, so that their order, and with it the output, is the same on every
	// run.
	for _, o := range st.objects {
		if kept[o.Node] && !removed[o.Node] {
			removed[o.Node] = true
			r.res.Generated = append(r.res.Generated, o.Node)
		}
	}
	r.res.sortGenerated()
	out := make([]*yaml.RNode, 0, len(nodes)+len(r.res.Generated))
	for _, n := range nodes {
		if !removed[n] {
			out = append(out, n)
		}
	}
	return append(out, r.res.Generated...), nil
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
	// Rendering is most of the filter's time on a dense stream, and each policy renders on
	// its own; the results are taken in order.
	nodes := make([]*yaml.RNode, len(policies))
	errs := make([]error, len(policies))
	texts := make([]*textObject, len(policies))
	manifest.Parallel(len(policies), func(i int) {
		nodes[i], errs[i] = r.render(policies[i])
		if errs[i] == nil && r.opts.keepText {
			// The tree goes as soon as it is encoded, so that the trees of all policies
			// are never alive at once. One that fails to encode keeps its tree, and
			// encodeAll reports the error.
			if t, err := nodes[i].String(); err == nil {
				o, generatedFor := r.res.objectOf(nodes[i])
				texts[i] = &textObject{text: t, object: *o, generatedFor: generatedFor}
				texts[i].object.Node = nil
				nodes[i] = yaml.NewRNode(&yaml.Node{Kind: yaml.MappingNode, Tag: yaml.NodeTagMap})
			}
		}
	})
	made := map[objectKey]bool{}
	for i, p := range policies {
		n, err := nodes[i], errs[i]
		if err != nil {
			object := p.For
			if p.Workload != nil {
				object = p.Workload.ID()
			}
			for _, e := range findings.SplitErrors(err) {
				r.fs.Errorf(object, "engine "+string(p.Engine), "%s", e.Error())
			}
			continue
		}
		if texts[i] != nil {
			if r.res.asText == nil {
				r.res.asText = map[*yaml.RNode]*textObject{}
			}
			r.res.asText[n] = texts[i]
		}
		o, _ := r.res.objectOf(n)
		k := keyOf(o)
		switch {
		case made[k]:
			r.fs.Errorf(o.ID(), "", "two generated objects would have this name: rename one of the workloads")
			continue
		case st.chart[k] != nil && !removed[st.chart[k].Node]:
			r.fs.Errorf(o.ID(), "", "the chart already renders an object of this kind and name that helm-netpol did not generate: rename it in the chart, or set networkPolicy.rewrite: true if it is a NetworkPolicy to replace")
			continue
		}
		if prev, ok := st.previous[k]; ok && p.Workload != nil && shadow[p.Workload] != nil {
			same, err := sameObject(prev, texts[i], n)
			if err != nil {
				r.fs.Errorf(o.ID(), "", "%s", err.Error())
				continue
			}
			if !same {
				r.fs.Errorf(p.Workload.ID(), "", "the stream holds %s, marked as generated for it by an earlier run, and --config alone makes another policy of it: that run took the workload's own config out of the stream, and what it said is not known any more (or the chart renders that object with helm-netpol's mark); run helm-netpol on the chart's own output", o.ID())
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
		r.res.Generated = append(r.res.Generated, n)
		r.res.Rendered = append(r.res.Rendered, Rendered{Policy: p, Node: n})
	}
}

// sameObject tells whether a generated object is what an earlier run generated, but for
// the form of its marker: the earlier tree, and the new one's text (keepText) or tree.
func sameObject(earlier *yaml.RNode, text *textObject, made *yaml.RNode) (bool, error) {
	if text != nil {
		n, err := yaml.Parse(text.text)
		if err != nil {
			return false, err
		}
		made = n
	}
	var values [2]map[string]any
	for i, n := range []*yaml.RNode{earlier, made} {
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
	return reflect.DeepEqual(values[0], values[1]), nil
}
