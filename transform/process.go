package transform

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/helm-netpol/helm-netpol/internal/discover"
	"github.com/helm-netpol/helm-netpol/internal/manifest"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Process runs the post-renderer on a whole stream and returns the input with the
// generated objects appended. Its Result holds the generated objects' trees.
func Process(input []byte, opts Options) ([]byte, *Result, error) {
	var buf bytes.Buffer
	opts.keepText = false
	res, err := processTo(&buf, input, opts)
	if err != nil {
		return nil, res, err
	}
	return buf.Bytes(), res, nil
}

// ProcessTo runs the post-renderer on a whole stream and, only when it succeeds, writes
// the result to w. Documents the run does not change are written as the bytes they came
// in as, straight from input. Each generated object is encoded as soon as it is rendered,
// and its tree let go: in the Result, each of Generated holds its Text, and no Node.
func ProcessTo(w io.Writer, input []byte, opts Options) (*Result, error) {
	opts.keepText = !opts.fullTrees
	return processTo(w, input, opts)
}

func processTo(w io.Writer, input []byte, opts Options) (*Result, error) {
	in, err := inject(input, opts, wholeStream)
	if err != nil {
		return in.res, err
	}
	s, res := in.stream, in.res
	if isResourceList(s) {
		out, res, err := processResourceList(input, opts, wholeStream)
		if err == nil {
			_, err = w.Write(out)
		}
		return res, err
	}
	kept := make(map[*yaml.RNode]bool, len(in.kept))
	for _, n := range in.kept {
		kept[n] = true
	}
	// Encode what changed or was made first: an error must leave w untouched.
	for _, d := range s.Docs {
		if d.Node != nil && kept[d.Node] && res.Changed[d.Node] {
			if err := d.Encode(); err != nil {
				return res, err
			}
		}
	}
	generated, err := encodeAll(res.Generated)
	if err != nil {
		return res, err
	}
	ew := &manifest.ErrWriter{W: w}
	// Unchanged documents that follow each other in the input go out in one write: a
	// stream of thousands of documents is not thousands of writes to Helm's pipe.
	from, to := 0, 0
	flush := func() {
		_, _ = ew.Write(input[from:to])
		from, to = 0, 0
	}
	for _, d := range s.Docs {
		if d.Node != nil && !kept[d.Node] {
			continue
		}
		if d.Node == nil || !res.Changed[d.Node] {
			if to == 0 || to != d.Offset {
				flush()
				from, to = d.Offset, d.Offset
			}
			to += len(d.Raw)
			continue
		}
		flush()
		if err := manifest.WriteDocument(ew, d, true); err != nil {
			return res, err
		}
	}
	flush()
	manifest.WriteGenerated(ew, generated)
	return res, ew.Err
}

// Policies runs the post-renderer on a whole stream and returns only what it generated.
func Policies(input []byte, opts Options) ([]byte, *Result, error) {
	in, err := inject(input, opts, generatedOnly)
	res := in.res
	if err != nil {
		return nil, res, err
	}
	if isResourceList(in.stream) {
		return processResourceList(input, opts, generatedOnly)
	}
	policies := standalone(res)
	if len(policies) == 0 {
		// A CI job that commits what policies prints would commit an empty file, and take
		// the policies out of the cluster.
		why := "no workload of the stream is covered by an enabled config (networkPolicy.enabled, networkPolicy.workloads; helm-netpol report shows what each workload gets)"
		if in.noConfig {
			why = "no object of the stream carries a " + manifest.AnnotationConfig + " annotation and no --config was given"
		}
		return nil, res, errors.New("helm-netpol: stdin: nothing to write: " + why + "; an empty output would remove the policies wherever it is applied")
	}
	generated, err := encodeAll(policies)
	if err != nil {
		return nil, res, err
	}
	var buf bytes.Buffer
	manifest.WriteGenerated(&manifest.ErrWriter{W: &buf, LastNewline: true}, generated)
	return buf.Bytes(), res, nil
}

// output is what a run writes: the whole stream, or only what it generated (policies,
// report and flux-patches, whose objects are framed plainly).
type output int

const (
	wholeStream output = iota
	generatedOnly
)

// injected is a stream read and the run over it: its Result (nil where the stream could
// not be read, or is a ResourceList, which processResourceList runs), and what the filter
// left to write.
type injected struct {
	stream *manifest.Stream
	res    *Result
	filtered
}

// inject reads the stream, keeping only the documents the filter looks at (and of most of
// those a stub), and runs it.
func inject(input []byte, opts Options, want output) (injected, error) {
	var stub manifest.Stubber
	if !opts.fullTrees {
		stub = discover.StubForDiscovery
	}
	pass := passThrough
	if opts.noQuickScan {
		pass = nil
	}
	s, err := manifest.ReadStubs(input, relevant, pass, stub)
	if err != nil {
		return injected{}, err
	}
	opts.Format = s.Format
	if want == generatedOnly {
		opts.Format = manifest.FormatPlain
	}
	if isResourceList(s) {
		return injected{stream: s}, nil
	}
	nodes, objects, opts := filterInput(s, opts)
	in := injected{stream: s, res: &Result{}}
	in.filtered, err = Inject{Options: opts, Result: in.res}.filter(nodes, objects)
	return in, err
}

// filterInput is what the filter is given of a stream read with the relevance filter: the
// kept trees with their objects (a stub's holds what was decoded of it), and whether a
// document it does not see is a Helm hook or not.
func filterInput(s *manifest.Stream, opts Options) ([]*yaml.RNode, []*manifest.Object, Options) {
	var nodes []*yaml.RNode
	var objects []*manifest.Object
	for _, d := range s.Docs {
		switch {
		case d.Node != nil:
			nodes = append(nodes, d.Node)
			objects = append(objects, d.Object())
		case d.Skipped && !d.Hook:
			opts.nonHookElsewhere = true
		case d.Skipped:
			opts.hookElsewhere = true
		}
	}
	return nodes, objects, opts
}

// relevant tells the documents the filter must see: those that run pods, route to them
// (Services, webhooks, APIServices), police them, or hold a key of helm-netpol's own
// (helm-netpol.io/) anywhere; and any object of a kind helm-netpol generates, so that a
// name clash is found. Everything else is only checked to be valid YAML and passes
// through as its bytes.
func relevant(n *yaml.RNode) bool {
	if n.YNode().Kind != yaml.MappingNode {
		return false
	}
	kind := manifest.StringField(n, "kind")
	if relevantKind(kind) {
		return true
	}
	if kind == "CustomResourceDefinition" {
		cc, err := n.Pipe(yaml.Lookup("spec", "conversion", "webhook"))
		if err == nil && cc != nil {
			return true
		}
	}
	// A key of helm-netpol's own anywhere: a config or a generated object's mark, or one
	// in a place that is not read, which the filter reports.
	return manifest.HasOwnKey(n.YNode())
}

// relevantKind tells the kinds that relevant keeps whatever they hold.
func relevantKind(kind string) bool {
	switch kind {
	case manifest.ResourceListKind,
		"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod", "Rollout",
		"Service", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "APIService",
		"NetworkPolicy", "CiliumNetworkPolicy", "CiliumClusterwideNetworkPolicy",
		"GlobalNetworkPolicy", "ClusterNetworkPolicy",
		"StagedNetworkPolicy", "StagedKubernetesNetworkPolicy", "StagedGlobalNetworkPolicy":
		return true
	}
	return false
}

// passThrough tells whether a document can go through without being parsed: the quick scan
// vouches for it as valid YAML, and relevant would not keep it. Anything that might be
// relevant (a List, a CRD with a conversion section, a mention of helm-netpol's own
// annotations anywhere) is parsed.
func passThrough(raw []byte) (manifest.QuickHead, bool) {
	if bytes.Contains(raw, []byte("helm-netpol.io/")) {
		return manifest.QuickHead{}, false
	}
	h, ok := manifest.QuickScan(raw)
	if !ok || relevantKind(h.Kind) || h.Kind == "CustomResourceDefinition" && h.Conversion || strings.HasSuffix(h.Kind, "List") {
		return manifest.QuickHead{}, false
	}
	return h, true
}

// encodeAll encodes generated objects, on every core: those kept as text are encoded
// already.
func encodeAll(generated []Generated) ([]string, error) {
	out := make([]string, len(generated))
	errs := make([]error, len(generated))
	manifest.Parallel(len(generated), func(i int) {
		if g := &generated[i]; g.Node == nil {
			out[i] = g.Text
		} else {
			out[i], errs[i] = g.Node.String()
		}
	})
	for i, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("helm-netpol: %s: encode: %w", generated[i].ID(), err)
		}
	}
	return out, nil
}

// standalone is what Policies prints: the generated objects, except those that take the
// place of a chart object of the same apiVersion, kind, namespace and name (a chart
// NetworkPolicy rewritten under the kubernetes engine). That object stays the chart's, and
// flux-patches rewrites it there; applied beside the release, a copy would give one object
// two owners.
func standalone(res *Result) []Generated {
	inPlace := map[objectKey]bool{}
	for _, o := range res.Replaced {
		inPlace[keyOf(o)] = true
	}
	var out []Generated
	for _, g := range res.Generated {
		if !inPlace[g.key()] {
			out = append(out, g)
		}
	}
	return out
}
