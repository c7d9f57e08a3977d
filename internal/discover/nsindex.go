package discover

import (
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// nsIndex holds items by the namespace they are in, so that matching a workload against
// the rest of the stream looks at its own namespace only, and the cost of a stream of many
// releases grows with its size, not with its square. An item whose namespace is not known
// (none in the stream and no --namespace) may be in any namespace and is always looked at.
type nsIndex[T any] struct {
	all     []T
	known   map[string][]int // positions in all
	unknown []int
	// pairs holds the positions of the items by namespace ("" where it is not known) and
	// label pair, and keys by namespace and label key, when byPairs has filled them.
	pairs map[nsPair][]int
	keys  map[nsPair][]int // value ""
}

type nsPair struct{ ns, key, value string }

func NewNSIndex[T any](items []T, namespace func(T) string) *nsIndex[T] {
	x := &nsIndex[T]{all: items, known: map[string][]int{}}
	for i, it := range items {
		if ns := namespace(it); ns != "" {
			x.known[ns] = append(x.known[ns], i)
		} else {
			x.unknown = append(x.unknown, i)
		}
	}
	return x
}

// byPairs also files the items by label pairs, pairsOf giving an item's (the pods' labels
// of a workload, one pair of a Service's selector), so that matching labels in a
// namespace of many workloads looks at the few that share a pair, not at all of them.
func (x *nsIndex[T]) ByPairs(namespace func(T) string, pairsOf func(T) map[string]string) *nsIndex[T] {
	x.pairs = map[nsPair][]int{}
	x.keys = map[nsPair][]int{}
	for i, it := range x.all {
		ns := namespace(it)
		for k, v := range pairsOf(it) {
			p := nsPair{ns, k, v}
			x.pairs[p] = append(x.pairs[p], i)
			x.keys[nsPair{ns, k, ""}] = append(x.keys[nsPair{ns, k, ""}], i)
		}
	}
	return x
}

// selecting returns, in stream order, the items that may be in namespace ns and that the
// selector may select, and maybe some that it does not, which the caller checks in full:
// of what each requirement of the selector says an item must carry (a matchLabels pair,
// one of the values of an In, the key of an Exists), the items that carry the rarest. A
// selector of only NotIn and DoesNotExist (or none) has nothing to go by, and gets what in
// returns; so does an unknown namespace.
func (x *nsIndex[T]) Selecting(ns string, sel *metav1.LabelSelector) []T {
	if ns == "" || sel == nil {
		return x.In(ns)
	}
	// The candidates are counted before any list is merged, so that a requirement every
	// item meets costs nothing unless it is the only one.
	type candidate struct{ lists [][]int }
	var best *candidate
	bestLen := 0
	consider := func(c *candidate) {
		n := 0
		for _, l := range c.lists {
			n += len(l)
		}
		if best == nil || n < bestLen {
			best, bestLen = c, n
		}
	}
	for k, v := range sel.MatchLabels {
		consider(&candidate{[][]int{x.pairs[nsPair{ns, k, v}], x.pairs[nsPair{"", k, v}]}})
	}
	for _, e := range sel.MatchExpressions {
		switch e.Operator {
		case metav1.LabelSelectorOpIn:
			c := &candidate{}
			values := slices.Clone(e.Values)
			slices.Sort(values)
			for _, v := range slices.Compact(values) {
				c.lists = append(c.lists, x.pairs[nsPair{ns, e.Key, v}], x.pairs[nsPair{"", e.Key, v}])
			}
			consider(c)
		case metav1.LabelSelectorOpExists:
			consider(&candidate{[][]int{x.keys[nsPair{ns, e.Key, ""}], x.keys[nsPair{"", e.Key, ""}]}})
		}
	}
	if best == nil {
		return x.In(ns)
	}
	var pos []int
	for _, l := range best.lists {
		pos = merge(pos, l)
	}
	return x.At(slices.Compact(pos))
}

// carrying is selecting for a selector of matchLabels want.
func (x *nsIndex[T]) Carrying(ns string, want map[string]string) []T {
	return x.Selecting(ns, &metav1.LabelSelector{MatchLabels: want})
}

// filedUnder returns, in stream order, the items that may be in namespace ns and are filed
// under some pair of have (the Services whose selector pair the pods' labels have), which
// the caller checks in full. Without a namespace, it returns what in returns.
func (x *nsIndex[T]) FiledUnder(ns string, have map[string]string) []T {
	if ns == "" {
		return x.In(ns)
	}
	var pos []int
	for k, v := range have {
		pos = append(pos, x.pairs[nsPair{ns, k, v}]...)
		pos = append(pos, x.pairs[nsPair{"", k, v}]...)
	}
	slices.Sort(pos)
	return x.At(slices.Compact(pos))
}

func (x *nsIndex[T]) At(pos []int) []T {
	out := make([]T, len(pos))
	for i, p := range pos {
		out[i] = x.all[p]
	}
	return out
}

// merge merges two ascending lists of positions.
func merge(a, b []int) []int {
	out := make([]int, 0, len(a)+len(b))
	for len(a) > 0 || len(b) > 0 {
		if len(b) == 0 || len(a) > 0 && a[0] < b[0] {
			out, a = append(out, a[0]), a[1:]
		} else {
			out, b = append(out, b[0]), b[1:]
		}
	}
	return out
}

// in returns, in stream order, the items that may be in namespace ns; all of them when ns
// is not known.
func (x *nsIndex[T]) In(ns string) []T {
	if ns == "" {
		return x.all
	}
	return x.At(merge(x.known[ns], x.unknown))
}
