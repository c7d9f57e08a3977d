package transform

import (
	"fmt"
	"strings"

	"github.com/helm-netpol/helm-netpol/internal/config"
	"github.com/helm-netpol/helm-netpol/internal/discover"
	"github.com/helm-netpol/helm-netpol/internal/engine/registry"
	"github.com/helm-netpol/helm-netpol/internal/report"
)

// BuildReport runs the post-render of input and reads back what its policies allow. It
// reads the generated objects by their helm-netpol.io/generated-for mark, so it says the
// same of the post-renderer's input and of its output (where an earlier run generated
// them, and the configs are gone): each workload's allowlist, the default-denies of its
// namespace. Only where each config key came from needs the input.
func BuildReport(input []byte, opts Options) (*report.Report, error) {
	in, err := inject(input, opts, generatedOnly)
	res := in.res
	if err != nil {
		return nil, err
	}
	if res == nil {
		return nil, fmt.Errorf("helm-netpol: stdin: report reads a manifest stream, not a ResourceList")
	}
	rep := &report.Report{Findings: res.Findings}
	byWorkload := map[*discover.Workload][]report.Traffic{}
	staged := map[*discover.Workload]bool{}
	type deny struct {
		id, namespace string
		staged        bool
	}
	var denies []deny
	for _, g := range res.Generated {
		o, err := registry.Read(g.Node)
		if err != nil {
			return nil, err
		}
		traffic := report.TrafficOf(o)
		scope := report.ScopeNamespace(o)
		if strings.HasPrefix(o.GeneratedFor, releaseRef) {
			denies = append(denies, deny{o.ID, scope, o.Staged})
			rep.Denies = append(rep.Denies, traffic...)
			continue
		}
		for _, w := range res.Workloads {
			if w.Ref() == o.GeneratedFor && discover.SameNamespace(scope, w.Namespace, opts.Namespace) {
				byWorkload[w] = append(byWorkload[w], report.NameNumberedPorts(traffic, w)...)
				staged[w] = staged[w] || o.Staged
				break
			}
		}
	}
	for _, w := range res.Workloads {
		wr := report.WorkloadReport{Workload: w.ID(), Traffic: byWorkload[w]}
		_, wr.Covered = byWorkload[w] // set for every allowlist, empty or not
		if m := res.Configs[w]; m != nil {
			for _, k := range config.SortedKeys(m.Origins) {
				wr.Config = append(wr.Config, report.ConfigKey{Key: k, Source: m.Origins[k].Source()})
			}
		}
		wr.Staged = staged[w]
		for _, d := range denies {
			if discover.SameNamespace(d.namespace, w.Namespace, opts.Namespace) {
				wr.DeniedBy = append(wr.DeniedBy, d.id)
				wr.Staged = wr.Staged || d.staged
			}
		}
		rep.Workloads = append(rep.Workloads, wr)
	}
	return rep, nil
}

// releaseRef begins the generated-for mark of what is generated for a whole release (the
// default-denies): "release/<name>".
const releaseRef = "release/"
