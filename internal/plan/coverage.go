package plan

import (
	"github.com/helm-netpol/helm-netpol/internal/config"
	"github.com/helm-netpol/helm-netpol/internal/discover"
	"github.com/helm-netpol/helm-netpol/internal/findings"
	"github.com/helm-netpol/helm-netpol/internal/manifest"
)

// releaseName is --release, else the app.kubernetes.io/instance every labelled workload
// shares.
func ReleaseName(flag string, workloads []*discover.Workload) string {
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
type Planner struct {
	FS     *findings.List
	D      *discover.Discovery
	Config *config.Layer // the --config layer
	Format manifest.Format
	// releaseMerged is the config of the workloads without one of their own.
	releaseMerged *releaseMerge
	// sameRelease holds the same-release rule of each release and namespace once made.
	SameRelease map[[2]string]*Rule
}

// cover merges a workload's config and decides whether the workload is covered.
func (pl *Planner) Cover(w *discover.Workload, release, own *config.Layer) *Coverage {
	if pl.Config == nil && release == nil && own == nil {
		return nil
	}
	m, err := pl.merge(release, own)
	if err != nil {
		pl.FS.Errorf(w.ID(), "config", "%s", err.Error())
		return nil
	}
	bad := false
	for _, l := range m.Layers {
		bad = bad || len(l.Pruned) > 0 // reported when it was read
	}
	for _, e := range m.Validate() {
		bad = true
		if l := m.Origin(e.Path); l != nil {
			pl.FS.Errorf(l.Object, l.Where, "%s", e.Error())
		} else {
			pl.FS.Errorf(w.ID(), "config", "%s", e.Error())
		}
	}
	if bad || !m.NetworkPolicy.Enabled {
		return nil
	}
	if own == nil && !included(w, &m.NetworkPolicy.Workloads) {
		pl.FS.Infof(w.ID(), "networkPolicy.workloads", "not covered: the release-wide config's include/exclude leaves it out")
		return nil
	}
	if w.Selector == nil {
		what := "its pods carry no labels to select them by, and a policy without a selector would select every pod in the namespace"
		if own != nil {
			pl.FS.Errorf(w.ID(), w.SelectorField(), "%s", what+": give the pod template labels")
		} else {
			pl.FS.Warnf(w.ID(), w.SelectorField(), "%s", what+": skipped, it gets no policy")
		}
		return nil
	}
	if w.HostNetwork {
		pl.FS.Warnf(w.ID(), "spec.hostNetwork", "the pods use the host's network, where network policies do not apply: its policy has no effect")
	}
	return &Coverage{W: w, Config: m}
}

// merge merges the --config layer, the release-wide config and a workload's own. Every
// workload without a config of its own has the same layers, and their merge is made once
// and shared: the plan reads a config and never changes it.
func (pl *Planner) merge(release, own *config.Layer) (*config.Merged, error) {
	if own != nil {
		return config.Merge(pl.Config, release, own)
	}
	if pl.releaseMerged == nil || pl.releaseMerged.layer != release {
		m, err := config.Merge(pl.Config, release, nil)
		pl.releaseMerged = &releaseMerge{layer: release, m: m, err: err}
	}
	return pl.releaseMerged.m, pl.releaseMerged.err
}

// releaseMerge is a merge of the --config layer and a release-wide config.
type releaseMerge struct {
	layer *config.Layer
	m     *config.Merged
	err   error
}

func included(w *discover.Workload, ws *config.Workloads) bool {
	match := func(m config.WorkloadMatch) bool {
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
