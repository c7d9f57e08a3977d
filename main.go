// Command helm-netpol is a Helm post-renderer that gives a chart's workloads network
// policies: it reads the rendered manifests on stdin, finds its config in the
// helm-netpol.io/config annotation, and writes the manifests plus the policies on stdout.
package main

import (
	// Its init asks for huge pages before the large dependencies' inits fill the heap.
	_ "github.com/helm-netpol/helm-netpol/internal/hugeheap"

	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"

	"github.com/helm-netpol/helm-netpol/internal/argocd"
	"github.com/helm-netpol/helm-netpol/transform"
)

// Set at build time with -ldflags "-X main.version=... -X main.commit=...".
var (
	version = "dev"
	commit  = "unknown"
)

func main() { os.Exit(runWith(collectorTuned, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

// collector says whether a run tunes the Go garbage collector to the stream (collectLate,
// tuneGC), as the command does, or leaves it as the process has it, as the tests that run
// the command in their own process do.
type collector int

const (
	collectorAsIs collector = iota
	collectorTuned
)

// Exit codes.
const (
	exitOK    = 0
	exitInput = 1 // bad input or config
	exitUsage = 2
)

const usage = `helm-netpol: network policies for any Helm chart, as a post-renderer.

Usage:
  helm-netpol [post-render] [flags] < manifests.yaml   the stream plus its policies
  helm-netpol policies [flags] < manifests.yaml        only the generated policies
  helm-netpol report [--format F] [flags] < manifests.yaml
                                                        what the rendered policies allow, per
                                                        workload: markdown, json or mermaid
  helm-netpol trace [probe flags | --probe FILE] [--format text|json] [flags] < manifests.yaml
                                                        may this peer reach that workload (or it
                                                        the peer)? allowed or denied, by which
                                                        object and rule, read back in each
                                                        policy's own dialect
  helm-netpol verify --flows FILE [--flows-format hubble|csv|json] [--format text|json] [flags] < manifests.yaml
                                                        which recorded flows (hubble observe -o json,
                                                        or CSV/JSON: docs/verify.md) the policies
                                                        would drop, with the config that allows
                                                        them; exit 1 if any, 2 on unreadable input
  helm-netpol flux-patches [flags] < manifests.yaml    HelmRelease spec.postRenderers patches
                                                        for what a Flux post-render can do
  helm-netpol install-postrenderer [--dir DIR]          register the Helm 4 post-renderer
                                                        plugin netpol-postrender for this binary
  helm-netpol argocd init|generate                      run as an Argo CD Config Management
                                                        Plugin (docs/argocd.md)
  helm-netpol version                                   version and commit

A ResourceList on stdin is answered as a KRM exec function (kustomize, kpt); a
helm-netpol.io/config annotation on its functionConfig is a release-wide config.

The config is a YAML document in the helm-netpol.io/config annotation of a workload,
its pod template, or any other object of the stream (release-wide), for example:

  networkPolicy:
    enabled: true
    metrics:
      from:
        - namespaceSelector:
            matchLabels:
              kubernetes.io/metadata.name: monitoring

Flags:
`

type cliOptions struct {
	collector  collector
	format     string
	configFile string
	logFile    string
	// log is --log-file, opened before the stream is read; logErr is the first error
	// writing to it.
	log       *os.File
	logErr    error
	strict    bool
	namespace string
	release   string
	trace     traceFlags
	verify    verifyFlags
}

func newFlags(stderr io.Writer) (*flag.FlagSet, *cliOptions) {
	o := &cliOptions{}
	fs := flag.NewFlagSet("helm-netpol", flag.ContinueOnError)
	// parseFlags prints what goes wrong, on one line: Helm 3 puts a post-renderer's whole
	// stderr into its error, where the usage would bury the flag at fault.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.StringVar(&o.configFile, "config", "", "a config `file`, release-wide, below the annotations")
	fs.StringVar(&o.logFile, "log-file", "", "also append errors and warnings to `file` (Helm 4 hides a post-renderer's stderr)")
	fs.BoolVar(&o.strict, "strict", false, "treat warnings as errors")
	fs.StringVar(&o.namespace, "namespace", "", "the release `namespace`, where the stream does not say")
	fs.StringVar(&o.release, "release", "", "the release `name`, where the stream does not say")
	fs.StringVar(&o.format, "format", "", "report: markdown (default), json or mermaid; trace, verify: text (default) or json")
	o.trace.register(fs)
	o.verify.register(fs)
	return fs, o
}

// printUsage prints the usage and every flag of fs.
func printUsage(fs *flag.FlagSet, w io.Writer) {
	fmt.Fprint(w, usage)
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

// parseFlags parses args into fs. It reports false when the command ends here: after
// --help, which prints the usage (exit 0), or after a bad flag, which prints one line
// naming it (exit 2).
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) (code int, ok bool) {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return exitOK, true
	case errors.Is(err, flag.ErrHelp):
		printUsage(fs, stderr)
		return exitOK, false
	default:
		fmt.Fprintf(stderr, "helm-netpol: %v (helm-netpol --help lists the flags)\n", err)
		return exitUsage, false
	}
}

// run is main with its dependencies passed in, so tests can call it.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runWith(collectorAsIs, args, stdin, stdout, stderr)
}

func runWith(gc collector, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := "post-render"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	fs, o := newFlags(stderr)
	o.collector = gc
	switch cmd {
	case "post-render", "policies", "flux-patches", "report", "trace", "verify":
	case "install-postrenderer":
		return installPostRenderer(args, stdout, stderr)
	case "argocd":
		return argocd.Main(args, stdout, stderr)
	case "version":
		fmt.Fprintf(stdout, "helm-netpol %s (commit %s)\n", version, commit)
		return exitOK
	case "help":
		printUsage(fs, stderr)
		return exitOK
	default:
		fmt.Fprintf(stderr, "helm-netpol: unknown command %q: run helm-netpol --help\n", cmd)
		return exitUsage
	}
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "helm-netpol: unexpected argument %q: the manifests come on stdin\n", fs.Arg(0))
		return exitUsage
	}
	if err := checkCommandFlags(cmd, fs, o); err != nil {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	if o.logFile != "" {
		// Opened before anything is read or written: under Helm, which hides stderr, the
		// log is the only place warnings go, and a run that cannot keep them must fail
		// before it writes a stream.
		f, err := os.OpenFile(o.logFile, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			fmt.Fprintf(stderr, "helm-netpol: --log-file: %v: the log cannot be written, and under Helm it is where errors and warnings go\n", err)
			return exitInput
		}
		defer f.Close()
		o.log = f
	}
	err := process(cmd, o, stdin, stdout, stderr)
	if err == nil {
		if o.logErr != nil {
			return exitInput // report said why
		}
		return exitOK
	}
	if cmd == "verify" {
		return verifyExit(o, err, stderr)
	}
	var u usageError
	if errors.As(err, &u) {
		fmt.Fprintln(stderr, err)
		return exitUsage
	}
	report(o, stderr, err.Error())
	return exitInput
}

type usageError struct{ error }

// readInput reads the whole stream. io.ReadAll grows one buffer, and while it copies into
// a larger one the old one is still alive: on a 50 MB stream the heap held more than twice
// the input before the first byte was parsed. Reading into chunks of a MiB and copying them
// once into a buffer of the exact size keeps the peak at twice the input, and the chunks'
// memory is reused by the run afterwards. grown, when not nil, is told how much was read
// before each chunk.
func readInput(r io.Reader, grown func(read int)) ([]byte, error) {
	var chunks [][]byte
	total := 0
	for {
		if grown != nil {
			grown(total)
		}
		size := 1 << 20
		if len(chunks) == 0 {
			size = 64 << 10 // most charts fit: no MiB to clear for them
		}
		buf := make([]byte, size)
		n, err := io.ReadFull(r, buf)
		chunks = append(chunks, buf[:n])
		total += n
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if len(chunks) == 1 {
		return chunks[0], nil
	}
	input := make([]byte, 0, total)
	for _, c := range chunks {
		input = append(input, c...)
	}
	return input, nil
}

// largeInput is the stream size from which tuneGC tunes the garbage collector.
const largeInput = 8 << 20

// memoryHeadroom is what the soft memory limit of a large stream allows beyond twice its
// size: the Go runtime's own memory counts against the limit, the program's code does not
// (its pages resident, some 11 MB, come on top in the peak RSS). With 30 MiB, a dense
// 50 MB stream peaked at 143 to 150 MiB, around and over its target of twice the input
// plus 50 MiB (145.4); with 20 MiB at 139 to 142 MiB in the same time (5.6 to 5.8 s);
// with 15 MiB a dense 10 MB stream took half as long again.
const memoryHeadroom = 20 << 20

// lateHeadroom is what the heap of a chart's stream may take beyond twice the input before
// the first collection (collectLate). Fresh memory costs too: every page of it faults in
// once. With 16 MiB, a 5 MB chart runs without a collection and a 1 MB stream of small
// releases, whose parses make 40 MB of garbage, collects six times and reuses its pages
// (102 ms, where 30 MiB took 124 ms and Go's default 110 ms).
const lateHeadroom = 16 << 20

// softMemoryLimit sets the Go runtime's soft memory limit, and lifts it after the first
// collection that finds the live heap above liftAt of it. Near the limit the collector
// would run nearly back to back (up to half the CPU) for little memory: a stream of tens
// of thousands of tiny workloads, whose decoded state alone outgrows twice the input, took
// three times as long under the limit as without it. GOGC alone governs from then on.
//
// When the limit is lifted, the collector's GOGC becomes gogc (a negative gogc leaves it
// as it is): a run that had the collector off until the limit gets it back.
func softMemoryLimit(limit int64, gogc int) {
	debug.SetMemoryLimit(limit)
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	// A finalizer on an object nothing holds runs after each collection; each run arms
	// the next. (The object has a pointer, so that it is not a tiny allocation, whose
	// finalizer may never run.)
	type sentinel struct{ _ *int }
	var arm func()
	arm = func() {
		runtime.SetFinalizer(&sentinel{}, func(*sentinel) {
			metrics.Read(live)
			if live[0].Value.Kind() == metrics.KindUint64 && float64(live[0].Value.Uint64()) > liftAt*float64(limit) {
				if gogc >= 0 {
					debug.SetGCPercent(gogc)
				}
				debug.SetMemoryLimit(math.MaxInt64)
				return
			}
			arm()
		})
	}
	arm()
}

// liftAt is the share of the soft memory limit that the live heap may reach before
// softMemoryLimit lifts the limit. A dense 50 MB stream's live heap reaches 0.86 of its
// limit while it renders, and is held under it.
const liftAt = 0.92

// eachLine puts prefix before every line of err, so that each problem is a line of its own
// that names its object.
func eachLine(prefix string, err error) error {
	lines := strings.Split(err.Error(), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return errors.New(strings.Join(lines, "\n"))
}

// process runs a command over the stream on stdin.
func process(cmd string, o *cliOptions, stdin io.Reader, stdout, stderr io.Writer) error {
	opts := transform.Options{Namespace: o.namespace, Release: o.release, Strict: o.strict}
	l, configErr := readConfig(o)
	if configErr != nil && l == nil {
		return configErr
	}
	opts.Config = l
	var grown func(read int)
	if o.collector == collectorTuned {
		grown = collectLate()
	}
	for _, s := range []any{stdin, stdout} {
		if f, ok := s.(*os.File); ok {
			widenPipe(f)
		}
	}
	input, err := readInput(stdin, grown)
	if err != nil {
		return errors.Join(configErr, fmt.Errorf("helm-netpol: stdin: %v", err))
	}
	if o.collector == collectorTuned {
		tuneGC(input)
	}
	if configErr != nil {
		// The config file has fields of the wrong shape, set aside: the run fails, but it
		// still goes, writing nothing, so that what the rest of the config means (and the
		// stream) is checked too and every problem is listed at once.
		_, _, err := transform.Process(input, opts)
		return errors.Join(configErr, err)
	}
	switch cmd {
	case "report":
		return writeReport(o, input, opts, stdout, stderr)
	case "trace":
		return writeTrace(o, input, opts, stdout)
	case "verify":
		return writeVerify(o, input, opts, stdout)
	}
	res, err := writeOutput(cmd, input, opts, stdout)
	if res != nil && err == nil {
		reportWarnings(o, stderr, res)
	}
	return err
}

// readConfig reads the --config file, if any, into a layer. A file that cannot be read is
// a usage error, with no layer; a file with fields of the wrong shape gives its layer
// without them, and the error that lists them.
func readConfig(o *cliOptions) (*transform.Layer, error) {
	if o.configFile == "" {
		return nil, nil
	}
	text, err := os.ReadFile(o.configFile)
	if err != nil {
		return nil, usageError{fmt.Errorf("helm-netpol: --config: %v", err)}
	}
	l, err := transform.ParseLayer(text, transform.LevelFile, "--config "+o.configFile, "")
	if err != nil {
		return l, eachLine("helm-netpol: --config "+o.configFile+": ", err)
	}
	return l, nil
}

// collectLate turns the collector off for the run's start, unless GOGC or GOMEMLIMIT is
// set: a collection then runs only when the heap nears the soft memory limit, which
// readInput raises as it reads and tuneGC then sets. The command lives a fraction of a
// second, and a collection costs it milliseconds of stopping goroutines and scanning even
// on a heap of a few MB: on a virtual machine of 2 cores, the two collections of a 5 MB
// chart's post-render took a sixth of its time.
//
// It returns what readInput tells of its progress: the limit then follows what was read
// (twice it and the next chunk, as the final copy will take, plus lateHeadroom), so that
// reading never makes the collector run. It returns nil where it leaves the collector be.
func collectLate() func(read int) {
	if !collectorUnset() {
		return nil
	}
	debug.SetGCPercent(-1)
	return func(read int) { debug.SetMemoryLimit(2*int64(read+1<<20) + lateHeadroom) }
}

// collectorUnset says neither GOGC nor GOMEMLIMIT is set, so that the command tunes the
// collector itself.
func collectorUnset() bool { return os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" }

// tuneGC tunes the garbage collector once the stream is read.
//
// A chart's stream (under largeInput) is left to collectLate: the heap may grow to twice
// the input plus lateHeadroom before anything is collected, and if the live heap itself
// comes near that, the limit is lifted and GOGC 100, Go's default, governs.
//
// On a large stream the heap now holds the input and the chunks it was read in;
// collecting here sets the next goal from the input alone. What lives to the end is
// mostly the input, what discovery decoded of the workloads and Services (their trees
// are cut down to stubs) and the generated policies' text. GOGC 40 keeps the peak near
// twice the input at little CPU cost; a stream of big charts, which makes far more
// garbage, takes about a tenth more time than under 50. On a dense stream (thousands
// of small releases, a workload or Service in nearly every document) what lives is
// more, and the soft memory limit of twice the input plus memoryHeadroom has the
// collector run earlier as the heap nears it, which costs a dense 50 MB stream about a
// tenth more time and keeps its peak within its target (see memoryHeadroom). A run whose
// live heap comes near the limit anyway (tens of thousands of tiny workloads) has it
// lifted (softMemoryLimit). GOGC and GOMEMLIMIT, when set, win.
func tuneGC(input []byte) {
	if len(input) < largeInput {
		if collectorUnset() { // collectLate turned the collector off
			softMemoryLimit(2*int64(len(input))+lateHeadroom, 100)
		}
		return
	}
	limit := 2*int64(len(input)) + memoryHeadroom
	runtime.GC()
	gogc := -1
	if os.Getenv("GOGC") == "" {
		gogc = 40
		debug.SetGCPercent(gogc)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		softMemoryLimit(limit, gogc)
	}
}

// writeOutput writes what a command that transforms the stream outputs: the policies
// alone, Flux patches, or the stream with its policies.
func writeOutput(cmd string, input []byte, opts transform.Options, stdout io.Writer) (*transform.Result, error) {
	if cmd == "policies" || cmd == "flux-patches" {
		do := transform.Policies
		if cmd == "flux-patches" {
			do = transform.FluxPatches
		}
		out, res, err := do(input, opts)
		if err == nil {
			_, err = stdout.Write(out)
		}
		return res, err
	}
	return transform.ProcessTo(stdout, input, opts)
}

// reportWarnings reports a run's warning findings, unless --strict is set.
func reportWarnings(o *cliOptions, stderr io.Writer, res *transform.Result) {
	var warnings []string
	for _, f := range res.Findings {
		if f.Severity == transform.SeverityWarning && !o.strict {
			warnings = append(warnings, f.String())
		}
	}
	if len(warnings) > 0 {
		report(o, stderr, strings.Join(warnings, "\n"))
	}
}

func writeReport(o *cliOptions, input []byte, opts transform.Options, stdout, stderr io.Writer) error {
	var render func(*transform.Report) (string, error)
	switch o.format {
	case "markdown", "":
		render = func(r *transform.Report) (string, error) { return r.Markdown(), nil }
	case "json":
		render = (*transform.Report).JSON
	case "mermaid":
		render = func(r *transform.Report) (string, error) { return r.Mermaid(), nil }
	default:
		return usageError{fmt.Errorf("helm-netpol: --format %q: must be one of markdown, json, mermaid", o.format)}
	}
	rep, err := transform.BuildReport(input, opts)
	if err != nil {
		return err
	}
	text, err := render(rep)
	if err != nil {
		return err
	}
	_, err = io.WriteString(stdout, text)
	return err
}

// report writes lines to stderr and, with --log-file, appends them to the log; the first
// error writing the log is kept in o.logErr, and fails the run.
func report(o *cliOptions, stderr io.Writer, lines string) {
	fmt.Fprintln(stderr, lines)
	if o.log == nil {
		return
	}
	if _, err := fmt.Fprintln(o.log, lines); err != nil && o.logErr == nil {
		o.logErr = err
		fmt.Fprintf(stderr, "helm-netpol: --log-file: %v: the lines above are not in the log\n", err)
	}
}
