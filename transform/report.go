package transform

import (
	"fmt"

	"github.com/helm-netpol/helm-netpol/internal/config"
	"github.com/helm-netpol/helm-netpol/internal/discover"
	"github.com/helm-netpol/helm-netpol/internal/manifest"
	"github.com/helm-netpol/helm-netpol/internal/report"
)

// BuildReport runs the post-render of input and reads back what its policies allow.
func BuildReport(input []byte, opts Options) (*report.Report, error) {
	_, res, err := inject(input, opts, generatedOnly)
	if err != nil {
		return nil, err
	}
	if res == nil {
		return nil, fmt.Errorf("helm-netpol: stdin: report reads a manifest stream, not a ResourceList")
	}
	rep := &report.Report{Findings: res.Findings}
	byWorkload := map[*discover.Workload][]report.Traffic{}
	var denies []*Rendered
	for i := range res.Rendered {
		rd := &res.Rendered[i]
		traffic, err := report.ReadTraffic(rd.Node)
		if err != nil {
			return nil, err
		}
		if rd.Policy.Deny {
			denies = append(denies, rd)
			rep.Denies = append(rep.Denies, traffic...)
			continue
		}
		if w := rd.Policy.Workload; w != nil {
			byWorkload[w] = append(byWorkload[w], report.NameNumberedPorts(traffic, w)...)
		}
	}
	for _, w := range res.Workloads {
		wr := report.WorkloadReport{Workload: w.ID(), Traffic: byWorkload[w]}
		_, wr.Covered = byWorkload[w] // set for every rendered allowlist, empty or not
		if m := res.Configs[w]; m != nil {
			for _, k := range config.SortedKeys(m.Origins) {
				wr.Config = append(wr.Config, report.ConfigKey{Key: k, Source: m.Origins[k].Source()})
			}
		}
		for _, d := range denies {
			if discover.SameNamespace(d.Policy.Namespace, w.Namespace, opts.Namespace) {
				wr.DeniedBy = append(wr.DeniedBy, manifest.NewObject(d.Node).ID())
			}
		}
		rep.Workloads = append(rep.Workloads, wr)
	}
	return rep, nil
}
