// Command postrendertime runs a post-renderer the way Helm 3 runs one
// (helm.sh/helm/v3/pkg/postrender: the binary started with the rendered manifests written
// to its stdin through a pipe, its stdout and stderr read into memory), RUNS times, and
// prints the wall time of each run in seconds, a line each. scripts/bench.sh times
// helm-netpol and the floor with it: a shell that starts a program, and a pipe fed by a
// process substitution, add a fork of the shell and a process of their own to what is
// timed, which Helm, a Go program, does not pay.
//
// Usage: postrendertime RUNS RENDER BINARY [ARG...]
package main

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"time"

	"helm.sh/helm/v3/pkg/postrender"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "postrendertime:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) < 3 {
		return fmt.Errorf("usage: postrendertime RUNS RENDER BINARY [ARG...]")
	}
	runs, err := strconv.Atoi(args[0])
	if err != nil || runs < 1 {
		return fmt.Errorf("RUNS is %q: want a positive number", args[0])
	}
	render, err := os.ReadFile(args[1])
	if err != nil {
		return err
	}
	pr, err := postrender.NewExec(args[2], args[3:]...)
	if err != nil {
		return err
	}
	// A first run, untimed, warms this process's heap: Helm's has just rendered the chart
	// when it runs the post-renderer, while a fresh process would fault in every page of
	// the buffer the output is read into, and time that too.
	for i := range runs + 1 {
		in := bytes.NewBuffer(render)
		start := time.Now()
		if _, err := pr.Run(in); err != nil {
			return err
		}
		if i > 0 {
			fmt.Printf("%.6f\n", time.Since(start).Seconds())
		}
	}
	return nil
}
