// Command ciliumparse reads one CiliumNetworkPolicy or
// CiliumClusterwideNetworkPolicy (YAML or JSON) from standard input and runs
// Cilium's own policy parser on it. When the policy is rejected it prints the
// reason on standard output and exits 1; it exits 2 when the input cannot be
// read.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/helm-netpol/helm-netpol/oracle/cilium"
)

func main() {
	doc, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if err := cilium.Parse(doc); err != nil {
		fmt.Println(err)
		os.Exit(1)
	}
}
