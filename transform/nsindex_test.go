package transform

import (
	"fmt"
	"math/rand"
	"slices"
	"testing"

	"github.com/helm-netpol/helm-netpol/internal/discover"
	"github.com/helm-netpol/helm-netpol/internal/manifest"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// TestLabelIndex: what carrying, selecting and filedUnder return, once checked in full, is exactly
// what checking every item that in returns gives, in the same order, on random workloads
// and Services in a few namespaces (and none), with a few labels each.
func TestLabelIndex(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	namespaces := []string{"", "a", "b"}
	randLabels := func(n int) map[string]string {
		m := map[string]string{}
		for range n {
			m[fmt.Sprint("k", rng.Intn(4))] = fmt.Sprint("v", rng.Intn(3))
		}
		return m
	}
	for round := range 200 {
		var workloads []*discover.Workload
		var services []*discover.Service
		for i := range 1 + rng.Intn(30) {
			workloads = append(workloads, &discover.Workload{
				Object:    &manifest.Object{Name: fmt.Sprint("w", i), Namespace: namespaces[rng.Intn(len(namespaces))]},
				PodLabels: randLabels(rng.Intn(4)),
			})
		}
		for i := range rng.Intn(30) {
			services = append(services, &discover.Service{
				Object: &manifest.Object{Name: fmt.Sprint("s", i), Namespace: namespaces[rng.Intn(len(namespaces))]},
				Spec:   discover.ServiceSpec{Selector: randLabels(rng.Intn(3))},
			})
		}
		wNS := func(w *discover.Workload) string { return w.Namespace }
		sNS := func(s *discover.Service) string { return s.Namespace }
		wIn := discover.NewNSIndex(workloads, wNS).ByPairs(wNS, func(w *discover.Workload) map[string]string { return w.PodLabels })
		sIn := discover.NewNSIndex(services, sNS).ByPairs(sNS, discover.SelectorPairs(services, sNS))
		for _, ns := range namespaces {
			want := randLabels(rng.Intn(3))
			sel := labels.SelectorFromSet(want)
			matching := func(ws []*discover.Workload) []*discover.Workload {
				var out []*discover.Workload
				for _, w := range ws {
					if sel.Matches(labels.Set(w.PodLabels)) {
						out = append(out, w)
					}
				}
				return out
			}
			if got, all := matching(wIn.Carrying(ns, want)), matching(wIn.In(ns)); !slices.Equal(got, all) {
				t.Fatalf("round %d: carrying(%q, %v) finds %v, in finds %v", round, ns, want, names(got), names(all))
			}
			ls := &metav1.LabelSelector{MatchLabels: randLabels(rng.Intn(2))}
			ops := []metav1.LabelSelectorOperator{metav1.LabelSelectorOpIn, metav1.LabelSelectorOpNotIn, metav1.LabelSelectorOpExists, metav1.LabelSelectorOpDoesNotExist}
			for range rng.Intn(3) {
				e := metav1.LabelSelectorRequirement{Key: fmt.Sprint("k", rng.Intn(4)), Operator: ops[rng.Intn(len(ops))]}
				if e.Operator == metav1.LabelSelectorOpIn || e.Operator == metav1.LabelSelectorOpNotIn {
					for range 1 + rng.Intn(3) {
						e.Values = append(e.Values, fmt.Sprint("v", rng.Intn(3)))
					}
				}
				ls.MatchExpressions = append(ls.MatchExpressions, e)
			}
			lsel := discover.AsSelector(ls)
			matchingSel := func(ws []*discover.Workload) []*discover.Workload {
				var out []*discover.Workload
				for _, w := range ws {
					if w.Matches(lsel) {
						out = append(out, w)
					}
				}
				return out
			}
			if got, all := matchingSel(wIn.Selecting(ns, ls)), matchingSel(wIn.In(ns)); !slices.Equal(got, all) {
				t.Fatalf("round %d: selecting(%q, %v) finds %v, in finds %v", round, ns, ls, names(got), names(all))
			}
			pods := randLabels(rng.Intn(4))
			selecting := func(ss []*discover.Service) []*discover.Service {
				var out []*discover.Service
				for _, s := range ss {
					if len(s.Spec.Selector) > 0 && labels.SelectorFromSet(s.Spec.Selector).Matches(labels.Set(pods)) {
						out = append(out, s)
					}
				}
				return out
			}
			if got, all := selecting(sIn.FiledUnder(ns, pods)), selecting(sIn.In(ns)); !slices.Equal(got, all) {
				t.Fatalf("round %d: filedUnder(%q, %v) finds %d Services, in finds %d", round, ns, pods, len(got), len(all))
			}
		}
	}
}

func names(ws []*discover.Workload) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.Name)
	}
	return out
}
