package transform

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/helm-netpol/helm-netpol/internal/report"
)

// TestReportSameOnOutput builds the report of every golden fixture and every real chart
// render (under every engine's release-wide config) from the post-renderer's input and
// from its output, where the configs are gone and the policies are there: each workload's
// coverage, traffic and default-denies must be the same. (Where each config key came
// from, and the findings, belong to the input.)
func TestReportSameOnOutput(t *testing.T) {
	runs := fixtureRuns(t)
	if !testing.Short() {
		runs = append(runs, corpusRuns(t)...)
	}
	covered := 0
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			out, _, err := Process(r.input, r.opts)
			if err != nil {
				t.Fatal(err)
			}
			in, err := BuildReport(r.input, r.opts)
			if err != nil {
				t.Fatalf("report of the input: %v", err)
			}
			got, err := BuildReport(out, r.opts)
			if err != nil {
				t.Fatalf("report of the output: %v", err)
			}
			strip := func(rep *report.Report) *report.Report {
				c := *rep
				c.Findings = nil
				c.Workloads = append([]report.WorkloadReport(nil), rep.Workloads...)
				for i := range c.Workloads {
					c.Workloads[i].Config = nil
					if c.Workloads[i].Covered {
						covered++
					}
				}
				return &c
			}
			a, err := strip(in).JSON()
			if err != nil {
				t.Fatal(err)
			}
			b, err := strip(got).JSON()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(a, b); diff != "" {
				t.Errorf("the report of the output differs from the input's (-input +output):\n%s", diff)
			}
		})
	}
	if covered == 0 {
		t.Fatal("no covered workload was compared")
	}
}
