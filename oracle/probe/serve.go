package probe

import (
	"encoding/json"
	"fmt"
	"io"
)

// Request is what a verdict command reads: the policies, as YAML documents, and the
// probes to answer against them.
type Request struct {
	Documents []string `json:"documents"`
	Probes    []Probe  `json:"probes"`
}

// Response is what a verdict command writes: one verdict per probe, in order.
type Response struct {
	Verdicts []Verdict `json:"verdicts"`
}

// Serve runs a verdict command named name once its flags are read: it decodes a Request
// from stdin (unknown fields refused), has judge answer it, and writes the Response on
// stdout. It returns the exit code: 2 when the request cannot be read, 1 when judge
// refuses the policies or probes (its reason on stderr), 0 otherwise.
func Serve(name string, stdin io.Reader, stdout, stderr io.Writer, judge func(docs [][]byte, probes []Probe) ([]Verdict, error)) int {
	dec := json.NewDecoder(stdin)
	dec.DisallowUnknownFields()
	var req Request
	if err := dec.Decode(&req); err != nil {
		fmt.Fprintf(stderr, "%s: decode request: %v\n", name, err)
		return 2
	}
	docs := make([][]byte, len(req.Documents))
	for i, d := range req.Documents {
		docs[i] = []byte(d)
	}
	verdicts, err := judge(docs, req.Probes)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 1
	}
	if verdicts == nil {
		verdicts = []Verdict{}
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(Response{verdicts}); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 1
	}
	return 0
}
