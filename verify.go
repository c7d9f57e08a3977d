package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/helm-netpol/helm-netpol/transform"
)

// verifyFlags are the flags of helm-netpol verify.
type verifyFlags struct {
	flows  string
	format string
}

// verifyFlagNames are the flags only verify takes (it takes trace's --cni too).
var verifyFlagNames = []string{"flows", "flows-format"}

func (v *verifyFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&v.flows, "flows", "", "verify: the recorded flows' `file` (hubble observe -o json, or CSV/JSON: docs/verify.md)")
	fs.StringVar(&v.format, "flows-format", "", "verify: hubble, csv or json (default: detected from the first line)")
}

// errWouldDrop is verify's answer when a recorded flow would be dropped: exit 1.
var errWouldDrop = errors.New("would drop")

// verifyInput is input verify cannot read (the flows, the stream): exit 2.
type verifyInput struct{ error }

// writeVerify judges the flows of --flows against the stream's policies.
func writeVerify(o *cliOptions, input []byte, opts transform.Options, stdout io.Writer) error {
	switch c := transform.CNI(o.trace.cni); c {
	case "", transform.CNIKubernetes, transform.CNICilium, transform.CNICalico:
		opts.CNI = c
	default:
		return usageError{fmt.Errorf("helm-netpol: --cni %q: must be one of kubernetes, cilium, calico", o.trace.cni)}
	}
	f, err := os.Open(o.verify.flows)
	if err != nil {
		return verifyInput{fmt.Errorf("helm-netpol: --flows: %v", err)}
	}
	defer f.Close()
	r, err := transform.Verify(input, opts, f, o.verify.format)
	if err != nil {
		var le *transform.FlowLineError
		if errors.As(err, &le) {
			return verifyInput{fmt.Errorf("helm-netpol: --flows %s:%d: %v", o.verify.flows, le.Line, le.Err)}
		}
		return verifyInput{err}
	}
	if o.format == "json" {
		b, err := json.MarshalIndent(r, "", "  ")
		if err != nil {
			return err
		}
		if _, err := stdout.Write(append(b, '\n')); err != nil {
			return err
		}
	} else if err := transform.WriteVerifyText(stdout, r); err != nil {
		return err
	}
	if len(r.Drops) > 0 || r.NotEvaluated > 0 {
		return errWouldDrop
	}
	return nil
}

// verifyExit maps verify's outcome to its exit status: 1 when a recorded flow would be
// dropped (or could not be evaluated), 2 on input it cannot read or a usage error.
func verifyExit(o *cliOptions, err error, stderr io.Writer) int {
	if errors.Is(err, errWouldDrop) {
		return exitInput
	}
	var u usageError
	if !errors.As(err, &u) {
		report(o, stderr, err.Error())
	} else {
		fmt.Fprintln(stderr, err)
	}
	return exitUsage
}
