// Package hugeheap asks Linux to back the first 64 MiB of the Go heap with transparent
// huge pages, before the packages the command links fill it.
//
// helm-netpol lives a fraction of a second, and nearly all of its memory is touched for
// the first time: every 4 KiB page costs a page fault, and on a virtual machine a fault
// can cost 20 to 30 µs, more than the work done on the page. A post-render of a 5 MB
// chart touched some 4,000 pages, which took more than half of its time. A huge page is
// one fault for 2 MiB.
//
// Where the kernel gives huge pages only to memory that asks for them (transparent huge
// pages in "madvise" mode, the default of many distributions), the Go runtime does not
// ask. So, while the heap is still small, this package allocates 64 MiB that it never
// touches (fresh memory is mapped but not faulted in), advises huge pages from the heap
// it has so far to the end of that block, and collects it: the block's pages go back to
// the heap's free pages, still advised, and the run's allocations fill them. In "always"
// mode there is nothing to ask, in "never" nothing to get, and GODEBUG=disablethp=1
// says the user wants none: it does nothing then.
//
// The collection costs about 4 ms, more than huge pages save a chart of a few kB. So the
// init first looks at stdin, and reserves only when at least 64 KiB wait there: a file
// that large, or a pipe's whole buffer, which Helm has filled by the time the init runs.
// A small chart, `helm-netpol version` and the other commands pay nothing.
//
// Go runs the inits in the order of the packages' paths, each once its imports' have run.
// This package imports runtime and syscall alone, so its init runs among the first,
// before the large dependencies' inits fill the heap. The command imports it for that
// init, and so do its own tests; the other packages' tests run on the heap Go gives them.
//
// Measured on a virtual machine of 2 cores (medians of 15 runs, docs/performance.md has
// the figures of scripts/bench.sh): a post-render of kube-prometheus-stack's 5 MB render
// went from 69 to 35 ms, of kyverno's 3.6 MB from 56 to 31 ms, of argo-cd's 2 MB from 46
// to 29 ms. On a small chart the reservation cost about what the huge pages saved (22
// against 23 ms), hence the look at stdin.
package hugeheap
