package transform

import (
	"io"

	"github.com/helm-netpol/helm-netpol/internal/verify"
)

type (
	// VerifyReport is what Verify found: the flows the policies would drop, grouped by
	// workload, direction, peer and port with the config that allows each, and the flows
	// set apart (replies, pods the stream does not hold, flows dropped already).
	VerifyReport = verify.Report
	// FlowLineError is a flow that cannot be read, with its line.
	FlowLineError = verify.LineError
)

// FlowFormats are the formats Verify reads.
var FlowFormats = verify.Formats

// Verify judges the recorded flows of r (format "hubble", "csv", "json", or "" to detect
// it) against the policies of a stream, through the evaluator of Trace: it reads r line
// by line and asks each distinct question once. A line that cannot be read is a
// *FlowLineError.
func Verify(input []byte, opts Options, r io.Reader, format string) (*VerifyReport, error) {
	c, err := traceCluster(input, opts)
	if err != nil {
		return nil, err
	}
	rd, err := verify.NewReader(r, format)
	if err != nil {
		return nil, err
	}
	v := &verify.Verifier{Eval: c, Workloads: c.Workloads, Namespace: c.Namespace, Objects: c.Objects}
	return v.Run(rd)
}

// WriteVerifyText writes a VerifyReport for people.
func WriteVerifyText(w io.Writer, r *VerifyReport) error { return verify.WriteText(w, r) }
