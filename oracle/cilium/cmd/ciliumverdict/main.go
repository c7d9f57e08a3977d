// Command ciliumverdict answers probes against network policies with Cilium
// 1.20.2's own policy resolution (package verdict).
//
// It reads {"documents": ["<yaml>", ...], "probes": [...]} as JSON on
// standard input and writes {"verdicts": [...]}, one verdict per probe in
// order, on standard output. With -cidr-match-nodes the agent runs with
// policy-cidr-match-mode: nodes. It exits 1 when the policies or probes are
// refused (the reason on standard error) and 2 when the input cannot be read.
package main

import (
	"flag"
	"io"
	"os"

	"github.com/helm-netpol/helm-netpol/oracle/cilium/verdict"
	"github.com/helm-netpol/helm-netpol/oracle/probe"
)

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ciliumverdict", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var opts verdict.Options
	fs.BoolVar(&opts.CIDRMatchNodes, "cidr-match-nodes", false, "run with policy-cidr-match-mode: nodes")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	return probe.Serve("ciliumverdict", stdin, stdout, stderr, opts.Verdicts)
}
