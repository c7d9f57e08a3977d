package main

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files of fixtures/ from the current output")

// fixtureCase is one folder of fixtures/: input.yaml and either want.yaml (the output) or,
// for a folder named error-*, error.txt (stderr of a refused run). warnings.txt holds the
// stderr of a run that succeeded with warnings. An optional args file holds one flag a line;
// "{dir}" in it stands for the folder.
type fixtureCase struct {
	name, dir string
}

func fixtureCases(t *testing.T) []fixtureCase {
	t.Helper()
	inputs, err := filepath.Glob("fixtures/*/input.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(inputs) == 0 {
		t.Fatal("no fixtures/*/input.yaml found")
	}
	var cases []fixtureCase
	for _, in := range inputs {
		dir := filepath.Dir(in)
		cases = append(cases, fixtureCase{name: filepath.Base(dir), dir: dir})
	}
	return cases
}

func (c fixtureCase) args(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(c.dir, "args"))
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var args []string
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			args = append(args, strings.ReplaceAll(line, "{dir}", c.dir))
		}
	}
	return args
}

func runCLI(args []string, stdin []byte) (stdout, stderr string, code int) {
	var out, errb bytes.Buffer
	code = run(args, bytes.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), code
}

// TestFixtures runs every golden fixture through the command line, and runs each good
// output through again to show that a second run changes nothing.
func TestFixtures(t *testing.T) {
	for _, c := range fixtureCases(t) {
		t.Run(c.name, func(t *testing.T) {
			input, err := os.ReadFile(filepath.Join(c.dir, "input.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			args := c.args(t)
			stdout, stderr, code := runCLI(args, input)
			errFile := filepath.Join(c.dir, "error.txt")
			wantFile := filepath.Join(c.dir, "want.yaml")
			if strings.HasPrefix(c.name, "error-") || fileExists(errFile) {
				if code != exitInput {
					t.Errorf("exit code %d, want %d; stderr:\n%s", code, exitInput, stderr)
				}
				if stdout != "" {
					t.Errorf("stdout is not empty on error:\n%s", stdout)
				}
				golden(t, errFile, stderr)
				return
			}
			if code != exitOK {
				t.Fatalf("exit code %d, want 0; stderr:\n%s", code, stderr)
			}
			golden(t, wantFile, stdout)
			if warnFile := filepath.Join(c.dir, "warnings.txt"); stderr != "" || fileExists(warnFile) {
				golden(t, warnFile, stderr)
			}
			again, stderr2, code := runCLI(args, []byte(stdout))
			if code != exitOK {
				t.Fatalf("second run: exit code %d; stderr:\n%s", code, stderr2)
			}
			if diff := cmp.Diff(stdout, again); diff != "" {
				t.Errorf("second run on the output changed it (-first +second):\n%s", diff)
			}
		})
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// golden compares got with the file, or rewrites the file under -update.
func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./... -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", path, diff)
	}
}

// TestReports checks the report, in each format, on fixtures of each engine: it reads the
// rendered objects back, so its goldens show what each dialect really allows.
func TestReports(t *testing.T) {
	formats := map[string]string{"markdown": "report.md", "json": "report.json", "mermaid": "report.mmd"}
	for _, name := range []string{"doc-egress", "doc-default-deny", "cilium-egress", "cilium-doc-passthrough-egress", "calico-egress", "calico-default-deny", "clusternetworkpolicy-egress", "clusternetworkpolicy-passthrough", "rewrite-bitnami", "aggregated-api-kubernetes", "aggregated-api-clusternetworkpolicy", "staged-calico", "staged-kubernetes", "staged-rewrite-kyverno-kubernetes"} {
		c := fixtureCase{name: name, dir: filepath.Join("fixtures", name)}
		input, err := os.ReadFile(filepath.Join(c.dir, "input.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		for format, file := range formats {
			t.Run(name+"/"+format, func(t *testing.T) {
				args := append([]string{"report", "--format", format}, c.args(t)...)
				stdout, stderr, code := runCLI(args, input)
				if code != exitOK {
					t.Fatalf("exit code %d; stderr:\n%s", code, stderr)
				}
				golden(t, filepath.Join(c.dir, file), stdout)
			})
		}
	}
}

// TestReadInput reads streams around the sizes where readInput changes chunks, through a
// reader that returns half of what is asked each time, and passes a read error on.
func TestReadInput(t *testing.T) {
	for _, size := range []int{0, 1, 64<<10 - 1, 64 << 10, 64<<10 + 1, 64<<10 + 1<<20, 64<<10 + 3<<20 + 5} {
		want := bytes.Repeat([]byte("abcdefg\n"), size/8+1)[:size]
		got, err := readInput(iotest.HalfReader(bytes.NewReader(want)), nil)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("size %d: read %d bytes (%v)", size, len(got), err)
		}
	}
	boom := errors.New("boom")
	if _, err := readInput(io.MultiReader(bytes.NewReader(make([]byte, 70<<10)), iotest.ErrReader(boom)), nil); !errors.Is(err, boom) {
		t.Fatalf("a read error comes back as %v", err)
	}
}

// TestSoftMemoryLimit: the limit holds while the live heap stays well under it, and is
// lifted once a collection finds the live heap above liftAt of it.
func TestSoftMemoryLimit(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	limit := int64(256 << 20)
	runtime.GC()
	softMemoryLimit(limit, -1)
	collect := func() {
		for range 3 {
			runtime.GC()
			time.Sleep(20 * time.Millisecond) // finalizers run on a goroutine of their own
		}
	}
	collect()
	if got := debug.SetMemoryLimit(-1); got != limit {
		t.Fatalf("the limit is %d with a small live heap; want it kept at %d", got, limit)
	}
	big := make([]byte, int(liftAt*float64(limit))+(8<<20)) // above liftAt of the limit
	for deadline := time.Now().Add(time.Minute); debug.SetMemoryLimit(-1) != math.MaxInt64; {
		if time.Now().After(deadline) {
			t.Fatalf("the limit is still %d with %d bytes live", debug.SetMemoryLimit(-1), len(big))
		}
		collect()
	}
	runtime.KeepAlive(big)
}
