package transform

import (
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// readCarrier reads the config annotations an object carries and removes them from it,
// returning the layers and, as JSON pointers, where the annotations were.
func readCarrier(o *Object, fs *findings) (layers []*Layer, removed []string) {
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
			fs.errorf(o.ID(), where, err.Error())
			return
		}
		if len(meta.Content()) == 0 {
			parent, _ := o.Node.Pipe(yaml.Lookup(append(path, "metadata")...))
			if parent != nil {
				_, _ = parent.Pipe(yaml.Clear("annotations"))
			}
		}
		pointer := "/" + strings.Join(append(append([]string{}, path...), "metadata", "annotations", strings.ReplaceAll(AnnotationConfig, "/", "~1")), "/")
		removed = append(removed, pointer)
		l, err := ParseLayer([]byte(text), level, o.ID(), where)
		if err != nil {
			for _, e := range splitErrors(err) {
				fs.errorf(o.ID(), where, e.Error())
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
	return layers, removed
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
func releaseName(flag string, workloads []*Workload) string {
	if flag != "" {
		return flag
	}
	name := ""
	for _, w := range workloads {
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

// planner makes the engine-agnostic plan: which workloads are covered, under which
// config, and the policies for them.
type planner struct {
	fs     *findings
	d      *discovery
	config *Layer // the --config layer
	format Format
	// releaseMerged is the config of the workloads without one of their own.
	releaseMerged *merged
}

// cover merges a workload's config and decides whether the workload is covered.
func (pl *planner) cover(w *Workload, release, own *Layer) *coverage {
	if pl.config == nil && release == nil && own == nil {
		return nil
	}
	m, err := pl.merge(release, own)
	if err != nil {
		pl.fs.errorf(w.ID(), "config", err.Error())
		return nil
	}
	bad := false
	for _, l := range m.Layers {
		bad = bad || len(l.pruned) > 0 // reported when it was read
	}
	for _, e := range m.Validate() {
		bad = true
		if l := m.Origin(e.Path); l != nil {
			pl.fs.errorf(l.Object, l.Where, e.Error())
		} else {
			pl.fs.errorf(w.ID(), "config", e.Error())
		}
	}
	if bad || !m.NetworkPolicy.Enabled {
		return nil
	}
	if own == nil && !included(w, &m.NetworkPolicy.Workloads) {
		pl.fs.infof(w.ID(), "networkPolicy.workloads", "not covered: the release-wide config's include/exclude leaves it out")
		return nil
	}
	if w.Selector == nil {
		what := "its pods carry no labels to select them by, and a policy without a selector would select every pod in the namespace"
		if own != nil {
			pl.fs.errorf(w.ID(), w.selectorField(), what+": give the pod template labels")
		} else {
			pl.fs.warnf(w.ID(), w.selectorField(), what+": skipped, it gets no policy")
		}
		return nil
	}
	if w.HostNetwork {
		pl.fs.warnf(w.ID(), "spec.hostNetwork", "the pods use the host's network, where network policies do not apply: its policy has no effect")
	}
	return &coverage{W: w, Config: m}
}

// merge merges the --config layer, the release-wide config and a workload's own. Every
// workload without a config of its own has the same layers, and their merge is made once
// and shared: the plan reads a config and never changes it.
func (pl *planner) merge(release, own *Layer) (*Merged, error) {
	if own != nil {
		return Merge(pl.config, release, own)
	}
	if pl.releaseMerged == nil || pl.releaseMerged.layer != release {
		m, err := Merge(pl.config, release, nil)
		pl.releaseMerged = &merged{layer: release, m: m, err: err}
	}
	return pl.releaseMerged.m, pl.releaseMerged.err
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
