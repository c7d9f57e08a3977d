package transform

// nsIndex holds items by the namespace they are in, so that matching a workload against
// the rest of the stream looks at its own namespace only, and the cost of a stream of many
// releases grows with its size, not with its square. An item whose namespace is not known
// (none in the stream and no --namespace) may be in any namespace and is always looked at.
type nsIndex[T any] struct {
	all     []T
	known   map[string][]int // positions in all
	unknown []int
}

func newNSIndex[T any](items []T, namespace func(T) string) *nsIndex[T] {
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

// in returns, in stream order, the items that may be in namespace ns; all of them when ns
// is not known.
func (x *nsIndex[T]) in(ns string) []T {
	if ns == "" {
		return x.all
	}
	a, b := x.known[ns], x.unknown
	out := make([]T, 0, len(a)+len(b))
	for len(a) > 0 || len(b) > 0 {
		if len(b) == 0 || len(a) > 0 && a[0] < b[0] {
			out = append(out, x.all[a[0]])
			a = a[1:]
		} else {
			out = append(out, x.all[b[0]])
			b = b[1:]
		}
	}
	return out
}
