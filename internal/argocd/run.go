package argocd

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"sigs.k8s.io/yaml"
)

// Exit codes, as the rest of helm-netpol uses them.
const (
	exitOK    = 0
	exitInput = 1 // bad parameters, or helm or helm-netpol failed
	exitUsage = 2
)

const usage = `helm-netpol argocd: run as an Argo CD Config Management Plugin (argocd/plugin.yaml).

Usage:
  helm-netpol argocd init [--helm PATH]       build the chart's dependencies when it has any
  helm-netpol argocd generate [--helm PATH]   helm template the chart for the Application,
                                              piped through helm-netpol, on stdout

Both run in the Application's source directory (a Helm chart) and read what
argocd-cmp-server sets: ARGOCD_APP_NAME (the release), ARGOCD_APP_NAMESPACE,
KUBE_VERSION, KUBE_API_VERSIONS, and the Application's plugin parameters in
ARGOCD_APP_PARAMETERS or as ARGOCD_ENV_NETPOL_<NAME> variables:

  enabled        true|false    networkPolicy.enabled for the whole release
  engine         kubernetes|cilium|calico|clusterNetworkPolicy
  default-deny   true|false    networkPolicy.defaultDeny.enabled
  egress         true|false    networkPolicy.egress.enabled
  strict         true|false    helm-netpol --strict: warnings fail the render
  values-files   [files]       helm -f, relative to the chart (a variable: comma-separated)
  release-name   name          the release name, instead of ARGOCD_APP_NAME
  config         YAML          a whole helm-netpol config document

enabled, engine, default-deny, egress and config make one --config layer, release-wide,
below the chart's own annotations.

Flags:
`

// Command is one run of `helm-netpol argocd`.
type Command struct {
	Stdout, Stderr io.Writer
	// Environ is the environment, in os.Environ's form.
	Environ []string
	// Dir is the Application's source directory (the working directory).
	Dir string
	// Helm is the helm binary; Self the helm-netpol binary that renders the policies.
	Helm, Self string
}

// Main runs `helm-netpol argocd ARGS...` in the working directory with the process's
// environment, and returns the exit code.
func Main(args []string, stdout, stderr io.Writer) int {
	dir, err := os.Getwd()
	if err != nil {
		fmt.Fprintf(stderr, "helm-netpol: argocd: %v\n", err)
		return exitInput
	}
	self, err := os.Executable()
	if err != nil {
		self = os.Args[0]
	}
	c := &Command{Stdout: stdout, Stderr: stderr, Environ: os.Environ(), Dir: dir, Self: self}
	return c.Run(args)
}

// Run runs the subcommand args[0] with its flags.
func (c *Command) Run(args []string) int {
	fs := flag.NewFlagSet("helm-netpol argocd", flag.ContinueOnError)
	fs.SetOutput(c.Stderr)
	fs.Usage = func() {
		fmt.Fprint(c.Stderr, usage)
		fs.PrintDefaults()
	}
	helm := fs.String("helm", "helm", "the helm `binary` (a name looked up on PATH, or a path)")
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			fs.Usage()
			return exitOK
		}
		fmt.Fprintln(c.Stderr, "helm-netpol: argocd: want a subcommand, init or generate: run helm-netpol argocd --help")
		return exitUsage
	}
	sub := args[0]
	if sub == "help" {
		fs.Usage()
		return exitOK
	}
	if sub != "init" && sub != "generate" {
		fmt.Fprintf(c.Stderr, "helm-netpol: argocd: unknown subcommand %q: want init or generate\n", sub)
		return exitUsage
	}
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(c.Stderr, "helm-netpol: argocd %s: unexpected argument %q\n", sub, fs.Arg(0))
		return exitUsage
	}
	if c.Helm == "" {
		c.Helm = *helm
	}
	var err error
	if sub == "init" {
		err = c.init()
	} else {
		err = c.generate()
	}
	if err == nil {
		return exitOK
	}
	var exit *exitError
	if errors.As(err, &exit) {
		if exit.msg != "" {
			fmt.Fprintln(c.Stderr, exit.msg)
		}
		return exit.code
	}
	fmt.Fprintln(c.Stderr, err)
	return exitInput
}

// exitError ends a run whose child (helm or helm-netpol) failed and has said why on
// stderr: msg adds which one, code is the exit code.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func (c *Command) getenv(k string) string {
	for i := len(c.Environ) - 1; i >= 0; i-- {
		if name, v, ok := strings.Cut(c.Environ[i], "="); ok && name == k {
			return v
		}
	}
	return ""
}

// settings reads and checks everything init and generate need from the environment.
func (c *Command) settings() (Settings, []byte, error) {
	s, err := ParseEnv(c.Environ)
	errs := []error{err}
	errs = append(errs, c.checkValuesFiles(s.ValuesFiles))
	var layer []byte
	if err == nil {
		layer, err = s.Layer()
		errs = append(errs, err)
	}
	return s, layer, errors.Join(errs...)
}

// repoRoot is the root of the repository copy argocd-cmp-server unpacked: the source
// directory without ARGOCD_APP_SOURCE_PATH. Values files may come from anywhere in it
// (../values/prod.yaml), not from outside.
func (c *Command) repoRoot() string {
	dir := filepath.Clean(c.Dir)
	rel := filepath.Clean(c.getenv(envSourcePath))
	if rel == "." || rel == "" || filepath.IsAbs(rel) || strings.HasPrefix(rel, "..") {
		return dir
	}
	if strings.HasSuffix(dir, string(filepath.Separator)+rel) {
		return strings.TrimSuffix(dir, string(filepath.Separator)+rel)
	}
	return dir
}

// checkValuesFiles refuses values files that are not files of the repository: absolute
// paths, URLs, paths (or symbolic links) leading out of it, and missing files.
func (c *Command) checkValuesFiles(files []string) error {
	if len(files) == 0 {
		return nil
	}
	root, err := filepath.EvalSymlinks(c.repoRoot())
	if err != nil {
		return fmt.Errorf("helm-netpol: argocd: %v", err)
	}
	var errs []error
	for _, f := range files {
		bad := func(why string) {
			errs = append(errs, fmt.Errorf("helm-netpol: argocd: parameter values-files: %s: %s", f, why))
		}
		switch {
		case strings.TrimSpace(f) == "":
			continue // reported by ParseEnv
		case strings.Contains(f, "://"):
			bad("a URL: want a file of the repository, relative to the chart")
			continue
		case filepath.IsAbs(f):
			bad("an absolute path: want a file of the repository, relative to the chart")
			continue
		}
		real, err := filepath.EvalSymlinks(filepath.Join(c.Dir, f))
		if err != nil {
			bad("not found in the repository")
			continue
		}
		if r, err := filepath.Rel(root, real); err != nil || r == ".." || strings.HasPrefix(r, ".."+string(filepath.Separator)) {
			bad("outside the repository: want a file of the repository, relative to the chart")
			continue
		}
		if fi, err := os.Stat(real); err != nil || !fi.Mode().IsRegular() {
			bad("not a file")
		}
	}
	return errors.Join(errs...)
}

// chartFile is what init needs of Chart.yaml (and of a v1 chart's requirements.yaml).
type chartFile struct {
	Dependencies []struct {
		Name string `json:"name"`
	} `json:"dependencies"`
}

// init builds the chart's dependencies with helm dependency build, unless the chart has
// none or charts/ already holds every one (vendored).
func (c *Command) init() error {
	if _, _, err := c.settings(); err != nil {
		return err
	}
	var deps []string
	for _, name := range []string{"Chart.yaml", "requirements.yaml"} {
		text, err := os.ReadFile(filepath.Join(c.Dir, name))
		if os.IsNotExist(err) {
			if name == "Chart.yaml" {
				return errors.New("helm-netpol: argocd init: no Chart.yaml in the Application's source directory: the plugin renders Helm charts")
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("helm-netpol: argocd init: %v", err)
		}
		var cf chartFile
		if err := yaml.Unmarshal(text, &cf); err != nil {
			return fmt.Errorf("helm-netpol: argocd init: %s: %v", name, err)
		}
		for _, d := range cf.Dependencies {
			deps = append(deps, d.Name)
		}
	}
	missing := false
	for _, d := range deps {
		if !vendored(filepath.Join(c.Dir, "charts"), d) {
			missing = true
		}
	}
	if !missing {
		return nil
	}
	// init's stdout is not read as manifests: helm's chatter may go there.
	return c.runHelm("helm dependency build", []string{"dependency", "build"}, c.Stdout)
}

// vendored reports whether charts/ holds the dependency name: a folder of that name or
// an archive name-<version>.tgz.
func vendored(charts, name string) bool {
	if fi, err := os.Stat(filepath.Join(charts, name, "Chart.yaml")); err == nil && fi.Mode().IsRegular() {
		return true
	}
	archives, _ := filepath.Glob(filepath.Join(charts, name+"-*.tgz"))
	for _, a := range archives {
		v := strings.TrimPrefix(filepath.Base(a), name+"-")
		if v != "" && v[0] >= '0' && v[0] <= '9' {
			return true
		}
	}
	return false
}

// layerFile is the name the config layer is written under, which helm-netpol's messages
// about it then carry.
const layerFile = "argocd-parameters.yaml"

// generate renders the chart with helm template and pipes it through helm-netpol. Nothing
// reaches stdout unless both succeed.
func (c *Command) generate() error {
	s, layer, err := c.settings()
	if err != nil {
		return err
	}
	release := s.ReleaseName
	if release == "" {
		release = c.getenv(envAppName)
	}
	if release == "" {
		return fmt.Errorf("helm-netpol: argocd generate: no release name: %s is not set (argocd-cmp-server sets it) and neither is parameter release-name", envAppName)
	}
	namespace := c.getenv(envAppNS)

	args := []string{"template", release, ".", "--include-crds"}
	if namespace != "" {
		args = append(args, "--namespace", namespace)
	}
	if v := c.getenv(envKubeVersion); v != "" {
		args = append(args, "--kube-version", v)
	}
	for _, v := range strings.Split(c.getenv(envAPIVersions), ",") {
		if v = strings.TrimSpace(v); v != "" {
			args = append(args, "--api-versions", v)
		}
	}
	for _, f := range s.ValuesFiles {
		args = append(args, "--values", f)
	}
	var rendered bytes.Buffer
	if err := c.runHelm("helm template", args, &rendered); err != nil {
		return err
	}

	netpolArgs := []string{"post-render", "--release", release}
	if namespace != "" {
		netpolArgs = append(netpolArgs, "--namespace", namespace)
	}
	if s.Strict != nil && *s.Strict {
		netpolArgs = append(netpolArgs, "--strict")
	}
	var layerPath string
	if layer != nil {
		tmp, err := os.MkdirTemp("", "helm-netpol-argocd-")
		if err != nil {
			return fmt.Errorf("helm-netpol: argocd generate: %v", err)
		}
		defer os.RemoveAll(tmp)
		layerPath = filepath.Join(tmp, layerFile)
		if err := os.WriteFile(layerPath, layer, 0o600); err != nil {
			return fmt.Errorf("helm-netpol: argocd generate: %v", err)
		}
		netpolArgs = append(netpolArgs, "--config", layerPath)
	}
	var out, errOut bytes.Buffer
	cmd := exec.Command(c.Self, netpolArgs...)
	cmd.Dir, cmd.Env = c.Dir, c.Environ
	cmd.Stdin, cmd.Stdout, cmd.Stderr = &rendered, &out, &errOut
	runErr := cmd.Run()
	// Its messages name the layer by its temporary path: name it as the user wrote it.
	msg := errOut.String()
	if layerPath != "" {
		msg = strings.ReplaceAll(msg, "--config "+layerPath, "the Argo CD parameters")
		msg = strings.ReplaceAll(msg, layerPath, "the Argo CD parameters")
	}
	io.WriteString(c.Stderr, msg)
	if runErr != nil {
		return childError("helm-netpol", runErr)
	}
	_, err = c.Stdout.Write(out.Bytes())
	return err
}

// runHelm runs helm in the source directory with stderr passed through; what names the
// run in messages.
func (c *Command) runHelm(what string, args []string, stdout io.Writer) error {
	cmd := exec.Command(c.Helm, args...)
	cmd.Dir, cmd.Env = c.Dir, c.Environ
	// An empty stdin rather than none: os/exec would open /dev/null for none, which a
	// bare root file system may lack.
	cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(""), stdout, c.Stderr
	if err := cmd.Run(); err != nil {
		return childError(what, err)
	}
	return nil
}

func childError(what string, err error) error {
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() > 0 {
		return &exitError{code: exitInput, msg: fmt.Sprintf("helm-netpol: argocd: %s exited %d", what, ee.ExitCode())}
	}
	return fmt.Errorf("helm-netpol: argocd: %s: %v", what, err)
}
