package discover

import (
	"slices"
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
	// label pair, when byPairs has filled it.
	pairs map[nsPair][]int
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
	for i, it := range x.all {
		ns := namespace(it)
		for k, v := range pairsOf(it) {
			p := nsPair{ns, k, v}
			x.pairs[p] = append(x.pairs[p], i)
		}
	}
	return x
}

// carrying returns, in stream order, the items that may be in namespace ns and carry
// every pair of want, and maybe some that do not: the items filed under the pair of want
// that fewest items have, which the caller checks in full. Without a pair to go by (or a
// namespace), it returns what in returns.
func (x *nsIndex[T]) Carrying(ns string, want map[string]string) []T {
	if ns == "" || len(want) == 0 {
		return x.In(ns)
	}
	var best []int
	first := true
	for k, v := range want {
		a, b := x.pairs[nsPair{ns, k, v}], x.pairs[nsPair{"", k, v}]
		if first || len(a)+len(b) < len(best) {
			best, first = merge(a, b), false
		}
		if len(best) == 0 {
			break
		}
	}
	return x.At(best)
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
