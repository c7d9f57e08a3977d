package transform

import (
	"fmt"
	"math/rand"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// TestLabelIndex: what carrying and filedUnder return, once checked in full, is exactly
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
		var workloads []*Workload
		var services []*Service
		for i := range 1 + rng.Intn(30) {
			workloads = append(workloads, &Workload{
				Object:    &Object{Name: fmt.Sprint("w", i), Namespace: namespaces[rng.Intn(len(namespaces))]},
				PodLabels: randLabels(rng.Intn(4)),
			})
		}
		for i := range rng.Intn(30) {
			services = append(services, &Service{
				Object: &Object{Name: fmt.Sprint("s", i), Namespace: namespaces[rng.Intn(len(namespaces))]},
				Spec:   corev1.ServiceSpec{Selector: randLabels(rng.Intn(3))},
			})
		}
		wNS := func(w *Workload) string { return w.Namespace }
		sNS := func(s *Service) string { return s.Namespace }
		wIn := newNSIndex(workloads, wNS).byPairs(wNS, func(w *Workload) map[string]string { return w.PodLabels })
		sIn := newNSIndex(services, sNS).byPairs(sNS, selectorPair)
		for _, ns := range namespaces {
			want := randLabels(rng.Intn(3))
			sel := labels.SelectorFromSet(want)
			matching := func(ws []*Workload) []*Workload {
				var out []*Workload
				for _, w := range ws {
					if sel.Matches(labels.Set(w.PodLabels)) {
						out = append(out, w)
					}
				}
				return out
			}
			if got, all := matching(wIn.carrying(ns, want)), matching(wIn.in(ns)); !slices.Equal(got, all) {
				t.Fatalf("round %d: carrying(%q, %v) finds %v, in finds %v", round, ns, want, names(got), names(all))
			}
			pods := randLabels(rng.Intn(4))
			selecting := func(ss []*Service) []*Service {
				var out []*Service
				for _, s := range ss {
					if len(s.Spec.Selector) > 0 && labels.SelectorFromSet(s.Spec.Selector).Matches(labels.Set(pods)) {
						out = append(out, s)
					}
				}
				return out
			}
			if got, all := selecting(sIn.filedUnder(ns, pods)), selecting(sIn.in(ns)); !slices.Equal(got, all) {
				t.Fatalf("round %d: filedUnder(%q, %v) finds %d Services, in finds %d", round, ns, pods, len(got), len(all))
			}
		}
	}
}

func names(ws []*Workload) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.Name)
	}
	return out
}
