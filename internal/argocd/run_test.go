package argocd

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fake is a stand-in for helm or helm-netpol: a shell script that records its arguments
// (one a line), its working directory and its stdin, and then prints $FAKE_OUT and exits
// $FAKE_EXIT, or for helm-netpol, $FAKE_NETPOL_OUT and $FAKE_NETPOL_EXIT.
type fake struct {
	dir  string
	name string
}

func newFake(t *testing.T, dir, name, prefix string) fake {
	t.Helper()
	script := `#!/bin/sh
printf '%s\n' "$@" > "` + dir + `/` + name + `.args"
pwd > "` + dir + `/` + name + `.pwd"
cat > "` + dir + `/` + name + `.stdin"
if [ -n "$` + prefix + `_LAYER_COPY" ]; then
	for a in "$@"; do case $a in *.yaml) [ -f "$a" ] && cp "$a" "$` + prefix + `_LAYER_COPY";; esac; done
fi
printf '%s' "$` + prefix + `_OUT"
printf '%s' "$` + prefix + `_ERR" >&2
exit "${` + prefix + `_EXIT:-0}"
`
	if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return fake{dir: dir, name: name}
}

func (f fake) path() string { return filepath.Join(f.dir, f.name) }

func (f fake) ran() bool {
	_, err := os.Stat(filepath.Join(f.dir, f.name+".args"))
	return err == nil
}

func (f fake) args(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(f.dir, f.name+".args"))
	if err != nil {
		t.Fatalf("%s did not run: %v", f.name, err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func (f fake) read(t *testing.T, what string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(f.dir, f.name+"."+what))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// setup makes a repository with an app folder apps/ctrl holding a chart, and fakes for
// helm and helm-netpol.
type setup struct {
	repo, app    string
	helm, netpol fake
	environ      []string
}

func newSetup(t *testing.T) *setup {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the fakes are shell scripts")
	}
	tmp := t.TempDir()
	s := &setup{repo: filepath.Join(tmp, "repo")}
	s.app = filepath.Join(s.repo, "apps", "ctrl")
	for _, d := range []string{s.app, filepath.Join(s.repo, "values"), filepath.Join(tmp, "bin")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write(t, filepath.Join(s.app, "Chart.yaml"), "apiVersion: v2\nname: ctrl\nversion: 0.1.0\n")
	write(t, filepath.Join(s.app, "values-prod.yaml"), "replicas: 2\n")
	write(t, filepath.Join(s.repo, "values", "common.yaml"), "a: b\n")
	write(t, filepath.Join(tmp, "secret.yaml"), "password: x\n")
	s.helm = newFake(t, filepath.Join(tmp, "bin"), "helm", "FAKE")
	s.netpol = newFake(t, filepath.Join(tmp, "bin"), "helm-netpol", "FAKE_NETPOL")
	s.environ = []string{
		"PATH=" + os.Getenv("PATH"),
		"ARGOCD_APP_NAME=rel",
		"ARGOCD_APP_NAMESPACE=ctrl-system",
		"ARGOCD_APP_SOURCE_PATH=apps/ctrl",
		"KUBE_VERSION=1.31.0",
		"KUBE_API_VERSIONS=apps/v1,monitoring.coreos.com/v1,monitoring.coreos.com/v1/ServiceMonitor",
		"FAKE_OUT=kind: ConfigMap\n",
		"FAKE_NETPOL_OUT=kind: ConfigMap\n---\nkind: NetworkPolicy\n",
	}
	return s
}

func write(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (s *setup) run(t *testing.T, extra []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	c := &Command{Stdout: &out, Stderr: &errOut, Environ: append(append([]string(nil), s.environ...), extra...),
		Dir: s.app, Helm: s.helm.path(), Self: s.netpol.path()}
	code = c.Run(args)
	return code, out.String(), errOut.String()
}

func TestGenerate(t *testing.T) {
	s := newSetup(t)
	layer := filepath.Join(t.TempDir(), "layer.yaml")
	code, stdout, stderr := s.run(t, []string{
		"FAKE_NETPOL_LAYER_COPY=" + layer,
		`ARGOCD_APP_PARAMETERS=[{"name":"engine","string":"cilium"},{"name":"values-files","array":["values-prod.yaml","../../values/common.yaml"]}]`,
		"ARGOCD_ENV_NETPOL_DEFAULT_DENY=true",
		"ARGOCD_ENV_NETPOL_STRICT=true",
	}, "generate")
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	if stdout != "kind: ConfigMap\n---\nkind: NetworkPolicy\n" {
		t.Errorf("stdout is not helm-netpol's output: %q", stdout)
	}
	wantHelm := []string{"template", "rel", ".", "--include-crds", "--namespace", "ctrl-system", "--kube-version", "1.31.0",
		"--api-versions", "apps/v1", "--api-versions", "monitoring.coreos.com/v1", "--api-versions", "monitoring.coreos.com/v1/ServiceMonitor",
		"--values", "values-prod.yaml", "--values", "../../values/common.yaml"}
	if diff := cmp.Diff(wantHelm, s.helm.args(t)); diff != "" {
		t.Errorf("helm arguments (-want +got):\n%s", diff)
	}
	if got := strings.TrimSpace(s.helm.read(t, "pwd")); got != s.app {
		t.Errorf("helm ran in %s, want the app folder %s", got, s.app)
	}
	got := s.netpol.args(t)
	if len(got) != 8 || got[6] != "--config" || filepath.Base(got[7]) != layerFile {
		t.Fatalf("helm-netpol arguments %q: want post-render --release rel --namespace ctrl-system --strict --config .../%s", got, layerFile)
	}
	if diff := cmp.Diff([]string{"post-render", "--release", "rel", "--namespace", "ctrl-system", "--strict"}, got[:6]); diff != "" {
		t.Errorf("helm-netpol arguments (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(got[7]); !os.IsNotExist(err) {
		t.Errorf("the layer %s is still there after the run", got[7])
	}
	b, err := os.ReadFile(layer)
	if err != nil {
		t.Fatal(err)
	}
	if want := "networkPolicy:\n  engine: cilium\n  defaultDeny:\n    enabled: true\n"; string(b) != want {
		t.Errorf("layer:\n%s\nwant:\n%s", b, want)
	}
	if in := s.netpol.read(t, "stdin"); in != "kind: ConfigMap\n" {
		t.Errorf("helm-netpol read %q, want helm's output", in)
	}
}

func TestGenerateWithoutSettings(t *testing.T) {
	s := newSetup(t)
	s.environ = []string{"PATH=" + os.Getenv("PATH"), "ARGOCD_APP_NAME=rel", "FAKE_OUT=a: b\n", "FAKE_NETPOL_OUT=a: b\n"}
	code, stdout, stderr := s.run(t, nil, "generate")
	if code != 0 || stdout != "a: b\n" {
		t.Fatalf("exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
	}
	if diff := cmp.Diff([]string{"template", "rel", ".", "--include-crds"}, s.helm.args(t)); diff != "" {
		t.Errorf("helm arguments (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"post-render", "--release", "rel"}, s.netpol.args(t)); diff != "" {
		t.Errorf("helm-netpol arguments (-want +got):\n%s", diff)
	}
}

func TestGenerateReleaseName(t *testing.T) {
	s := newSetup(t)
	// Argo CD names an Application outside its own namespace ns_name: no release name.
	code, _, stderr := s.run(t, []string{"ARGOCD_APP_NAME=team_ctrl", `ARGOCD_APP_PARAMETERS=[{"name":"release-name","string":"ctrl"}]`}, "generate")
	if code != 0 {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	if got := s.helm.args(t)[1]; got != "ctrl" {
		t.Errorf("helm template release %q, want ctrl", got)
	}
	if got := s.netpol.args(t)[2]; got != "ctrl" {
		t.Errorf("helm-netpol --release %q, want ctrl", got)
	}
}

func TestGenerateFails(t *testing.T) {
	for _, tc := range []struct {
		name     string
		environ  []string
		stderr   []string // lines stderr must hold
		helmRuns bool
	}{
		{
			name:    "a bad parameter",
			environ: []string{`ARGOCD_APP_PARAMETERS=[{"name":"engine","string":"calcio"}]`},
			stderr:  []string{`helm-netpol: argocd: parameter engine: "calcio" is not an engine: want one of kubernetes, cilium, calico, clusterNetworkPolicy`},
		},
		{
			name:    "no release name",
			environ: []string{"ARGOCD_APP_NAME="},
			stderr:  []string{"helm-netpol: argocd generate: no release name: ARGOCD_APP_NAME is not set (argocd-cmp-server sets it) and neither is parameter release-name"},
		},
		{
			name:     "helm fails",
			environ:  []string{"FAKE_EXIT=1", "FAKE_ERR=Error: chart requires kubeVersion\n"},
			stderr:   []string{"Error: chart requires kubeVersion", "helm-netpol: argocd: helm template exited 1"},
			helmRuns: true,
		},
		{
			name: "helm-netpol fails, naming the parameters rather than a temporary file",
			environ: []string{`ARGOCD_APP_PARAMETERS=[{"name":"config","string":"networkPolicy: {engin: cilium}"}]`,
				"FAKE_NETPOL_EXIT=1", "FAKE_NETPOL_ERR=helm-netpol: --config /nonexistent/argocd-parameters.yaml: networkPolicy.engin: unknown field\n"},
			stderr:   []string{"helm-netpol: argocd: helm-netpol exited 1"},
			helmRuns: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSetup(t)
			code, stdout, stderr := s.run(t, tc.environ, "generate")
			if code != exitInput {
				t.Errorf("exit %d, want %d", code, exitInput)
			}
			if stdout != "" {
				t.Errorf("stdout is not empty: %q", stdout)
			}
			lines := strings.Split(strings.TrimSuffix(stderr, "\n"), "\n")
			for _, want := range tc.stderr {
				if !contains(lines, want) {
					t.Errorf("stderr has no line %q:\n%s", want, stderr)
				}
			}
			if s.helm.ran() != tc.helmRuns {
				t.Errorf("helm ran: %v, want %v", s.helm.ran(), tc.helmRuns)
			}
		})
	}
}

func TestGenerateNamesTheLayer(t *testing.T) {
	s := newSetup(t)
	// The fake cannot know the temporary path, so it prints a message about every .yaml
	// argument it gets; the real helm-netpol names --config FILE the same way.
	script := `#!/bin/sh
for a in "$@"; do case $a in *.yaml) echo "helm-netpol: --config $a: networkPolicy.engin: unknown field" >&2;; esac; done
exit 1
`
	write(t, s.netpol.path(), script)
	code, stdout, stderr := s.run(t, []string{`ARGOCD_APP_PARAMETERS=[{"name":"config","string":"networkPolicy: {engin: cilium}"}]`}, "generate")
	if code != exitInput || stdout != "" {
		t.Fatalf("exit %d, stdout %q", code, stdout)
	}
	want := "helm-netpol: the Argo CD parameters: networkPolicy.engin: unknown field\nhelm-netpol: argocd: helm-netpol exited 1\n"
	if stderr != want {
		t.Errorf("stderr:\n%s\nwant:\n%s", stderr, want)
	}
}

func TestValuesFiles(t *testing.T) {
	s := newSetup(t)
	if err := os.Symlink(filepath.Join(filepath.Dir(s.repo), "secret.yaml"), filepath.Join(s.app, "link.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(s.repo, "values", "common.yaml"), filepath.Join(s.app, "inside-link.yaml")); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		file, why string
	}{
		{"values-prod.yaml", ""},
		{"./values-prod.yaml", ""},
		{"../../values/common.yaml", ""},
		{"inside-link.yaml", ""},
		{"/etc/passwd", "an absolute path: want a file of the repository, relative to the chart"},
		{"https://example.com/values.yaml", "a URL: want a file of the repository, relative to the chart"},
		{"../../../secret.yaml", "outside the repository: want a file of the repository, relative to the chart"},
		{"link.yaml", "outside the repository: want a file of the repository, relative to the chart"},
		{"missing.yaml", "not found in the repository"},
		{"../../values", "not a file"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			c := &Command{Environ: []string{"ARGOCD_APP_SOURCE_PATH=apps/ctrl"}, Dir: s.app}
			err := c.checkValuesFiles([]string{tc.file})
			if tc.why == "" {
				if err != nil {
					t.Errorf("refused: %v", err)
				}
				return
			}
			want := "helm-netpol: argocd: parameter values-files: " + tc.file + ": " + tc.why
			if err == nil || err.Error() != want {
				t.Errorf("error %v, want %s", err, want)
			}
		})
	}
	t.Run("without ARGOCD_APP_SOURCE_PATH the chart is the root", func(t *testing.T) {
		c := &Command{Dir: s.app}
		err := c.checkValuesFiles([]string{"../../values/common.yaml"})
		want := "helm-netpol: argocd: parameter values-files: ../../values/common.yaml: outside the repository: want a file of the repository, relative to the chart"
		if err == nil || err.Error() != want {
			t.Errorf("error %v, want %s", err, want)
		}
	})
}

func TestInit(t *testing.T) {
	const deps = "apiVersion: v2\nname: umbrella\nversion: 0.1.0\ndependencies:\n- name: ctrl\n  version: 0.1.0\n  repository: file://../ctrl\n"
	for _, tc := range []struct {
		name     string
		chart    string            // Chart.yaml; none when empty
		files    map[string]string // more files of the chart
		environ  []string
		helmRuns bool
		code     int
		stderr   string
	}{
		{name: "no dependencies", chart: "apiVersion: v2\nname: c\nversion: 0.1.0\n"},
		{name: "dependencies", chart: deps, helmRuns: true},
		{name: "vendored as a folder", chart: deps, files: map[string]string{"charts/ctrl/Chart.yaml": "name: ctrl\n"}},
		{name: "vendored as an archive", chart: deps, files: map[string]string{"charts/ctrl-0.1.0.tgz": "x"}},
		{name: "an archive of another chart", chart: deps, files: map[string]string{"charts/ctrl-extra-0.1.0.tgz": "x"}, helmRuns: true},
		{
			name:     "a v1 chart's requirements.yaml",
			chart:    "apiVersion: v1\nname: c\nversion: 0.1.0\n",
			files:    map[string]string{"requirements.yaml": "dependencies:\n- name: redis\n  version: 1.0.0\n  repository: https://charts.example.com\n"},
			helmRuns: true,
		},
		{
			name:   "no chart",
			code:   exitInput,
			stderr: "helm-netpol: argocd init: no Chart.yaml in the Application's source directory: the plugin renders Helm charts\n",
		},
		{
			name:    "a bad parameter fails before any download",
			chart:   deps,
			environ: []string{`ARGOCD_APP_PARAMETERS=[{"name":"egress","string":"yes"}]`},
			code:    exitInput,
			stderr:  "helm-netpol: argocd: parameter egress: \"yes\" is not a boolean: want true or false\n",
		},
		{
			name:     "helm fails",
			chart:    deps,
			environ:  []string{"FAKE_EXIT=3", "FAKE_ERR=Error: no repository definition\n"},
			helmRuns: true,
			code:     exitInput,
			stderr:   "Error: no repository definition\nhelm-netpol: argocd: helm dependency build exited 3\n",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSetup(t)
			os.Remove(filepath.Join(s.app, "Chart.yaml"))
			if tc.chart != "" {
				write(t, filepath.Join(s.app, "Chart.yaml"), tc.chart)
			}
			for name, text := range tc.files {
				if err := os.MkdirAll(filepath.Dir(filepath.Join(s.app, name)), 0o755); err != nil {
					t.Fatal(err)
				}
				write(t, filepath.Join(s.app, name), text)
			}
			code, _, stderr := s.run(t, tc.environ, "init")
			if code != tc.code || stderr != tc.stderr {
				t.Errorf("exit %d, stderr %q; want exit %d, stderr %q", code, stderr, tc.code, tc.stderr)
			}
			if s.helm.ran() != tc.helmRuns {
				t.Fatalf("helm ran: %v, want %v", s.helm.ran(), tc.helmRuns)
			}
			if tc.helmRuns {
				if diff := cmp.Diff([]string{"dependency", "build"}, s.helm.args(t)); diff != "" {
					t.Errorf("helm arguments (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestUsage(t *testing.T) {
	for _, tc := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{nil, exitUsage, "helm-netpol: argocd: want a subcommand, init or generate: run helm-netpol argocd --help\n"},
		{[]string{"render"}, exitUsage, "helm-netpol: argocd: unknown subcommand \"render\": want init or generate\n"},
		{[]string{"generate", "extra"}, exitUsage, "helm-netpol: argocd generate: unexpected argument \"extra\"\n"},
		{[]string{"--help"}, exitOK, ""},
		{[]string{"generate", "--help"}, exitOK, ""},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var out, errOut bytes.Buffer
			c := &Command{Stdout: &out, Stderr: &errOut, Dir: t.TempDir(), Helm: "/nonexistent/helm", Self: "/nonexistent/helm-netpol"}
			code := c.Run(tc.args)
			if code != tc.code {
				t.Errorf("exit %d, want %d", code, tc.code)
			}
			if tc.code == exitOK {
				if !strings.Contains(errOut.String(), "Usage:") {
					t.Errorf("no usage on --help: %q", errOut.String())
				}
			} else if errOut.String() != tc.stderr {
				t.Errorf("stderr %q, want %q", errOut.String(), tc.stderr)
			}
			if out.Len() != 0 {
				t.Errorf("stdout %q", out.String())
			}
		})
	}
}
