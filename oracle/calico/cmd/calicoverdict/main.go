// Command calicoverdict answers probes against network policies as Calico
// enforces them (package verdict: Calico's own selector parser, our reading
// of its tier, order and action semantics).
//
// It reads {"documents": ["<yaml>", ...], "probes": [...]} as JSON on
// standard input and writes {"verdicts": [...]}, one verdict per probe in
// order, on standard output. -apiserver-ports and -apiserver-ips describe
// the default/kubernetes Service's endpoints (443,6443 and the
// kube-apiserver entity by default). It exits 1 when the policies or probes
// are refused (the reason on standard error) and 2 when the input cannot be
// read.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/helm-netpol/helm-netpol/oracle/calico/verdict"
	"github.com/helm-netpol/helm-netpol/oracle/probe"
)

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("calicoverdict", flag.ContinueOnError)
	fs.SetOutput(stderr)
	ports := fs.String("apiserver-ports", "", "comma-separated TCP ports of the default/kubernetes Service's endpoints (default 443,6443)")
	ips := fs.String("apiserver-ips", "", "comma-separated addresses of the default/kubernetes Service's endpoints, besides the kube-apiserver entity")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var opts verdict.Options
	for _, p := range strings.FieldsFunc(*ports, func(r rune) bool { return r == ',' }) {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		if err != nil || n < 1 || n > 65535 {
			fmt.Fprintf(stderr, "calicoverdict: -apiserver-ports: %q is not a port\n", p)
			return 2
		}
		opts.APIServerPorts = append(opts.APIServerPorts, n)
	}
	for _, ip := range strings.FieldsFunc(*ips, func(r rune) bool { return r == ',' }) {
		opts.APIServerIPs = append(opts.APIServerIPs, strings.TrimSpace(ip))
	}
	return probe.Serve("calicoverdict", stdin, stdout, stderr, func(docs [][]byte, probes []verdict.Probe) ([]verdict.Verdict, error) {
		return verdict.Verdicts(docs, probes, opts)
	})
}
