package transform

import (
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

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
		}
		if l != nil {
			// Also with fields of the wrong shape, taken out: the run fails on those, and
			// what the rest means is checked all the same, so that one run reports every
			// problem of the config.
			layers = append(layers, l)
		}
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
	m, err := r.merge(release, own)
	if err != nil {
		r.fs.errorf(w.ID(), "config", err.Error())
		return nil
	}
	bad := false
	for _, l := range m.Layers {
		bad = bad || len(l.pruned) > 0 // reported when it was read
	}
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
			r.fs.errorf(w.ID(), w.selectorField(), what+": give the pod template labels")
		} else {
			r.fs.warnf(w.ID(), w.selectorField(), what+": skipped, it gets no policy")
		}
		return nil
	}
	if w.HostNetwork {
		r.fs.warnf(w.ID(), "spec.hostNetwork", "the pods use the host's network, where network policies do not apply: its policy has no effect")
	}
	return &coverage{W: w, Config: m}
}

// merge merges the --config layer, the release-wide config and a workload's own. Every
// workload without a config of its own has the same layers, and their merge is made once
// and shared: the plan reads a config and never changes it.
func (r *run) merge(release, own *Layer) (*Merged, error) {
	if own != nil {
		return Merge(r.opts.Config, release, own)
	}
	if r.releaseMerged == nil || r.releaseMerged.layer != release {
		m, err := Merge(r.opts.Config, release, nil)
		r.releaseMerged = &merged{layer: release, m: m, err: err}
	}
	return r.releaseMerged.m, r.releaseMerged.err
}

// merged is a merge of the --config layer and a release-wide config.
type merged struct {
	layer *Layer
	m     *Merged
	err   error
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
