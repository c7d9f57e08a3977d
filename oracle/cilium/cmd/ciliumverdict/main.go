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
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/helm-netpol/helm-netpol/oracle/cilium/verdict"
)

type request struct {
	Documents []string        `json:"documents"`
	Probes    []verdict.Probe `json:"probes"`
}

type response struct {
	Verdicts []verdict.Verdict `json:"verdicts"`
}

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("ciliumverdict", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var opts verdict.Options
	fs.BoolVar(&opts.CIDRMatchNodes, "cidr-match-nodes", false, "run with policy-cidr-match-mode: nodes")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	dec := json.NewDecoder(stdin)
	dec.DisallowUnknownFields()
	var req request
	if err := dec.Decode(&req); err != nil {
		fmt.Fprintf(stderr, "ciliumverdict: decode request: %v\n", err)
		return 2
	}
	docs := make([][]byte, len(req.Documents))
	for i, d := range req.Documents {
		docs[i] = []byte(d)
	}
	verdicts, err := opts.Verdicts(docs, req.Probes)
	if err != nil {
		fmt.Fprintf(stderr, "ciliumverdict: %v\n", err)
		return 1
	}
	if verdicts == nil {
		verdicts = []verdict.Verdict{}
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(response{verdicts}); err != nil {
		fmt.Fprintf(stderr, "ciliumverdict: %v\n", err)
		return 1
	}
	return 0
}
