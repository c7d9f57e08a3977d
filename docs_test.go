package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The fenced blocks of README.md and docs/*.md, by their info string's first word:
//
//	sh       commands, run as printed (bash, -e -o pipefail); the exit status must be 0
//	console  "$ " commands (a line ending in \ continues), each followed by its output
//	         (stdout and stderr), which must match; a line "..." matches any lines, and
//	         "..." within a line any text (a temporary path, say); blanks at the end
//	         of a line do not count. A command may fail only if the next one is
//	         "echo $?", which shows the status
//	yaml     not run; but a block whose first line is "# <relative path>.yaml" is written
//	         to that file before the blocks after it run, so the commands use the very
//	         files the page shows
//	anything else (text, json ...) is not run: output, and commands that need a cluster,
//	the internet or minutes
//
// A fence without an info string is an error: every block says what it is. helm3 and
// helm4 are the pinned Helm 3 and Helm 4 (scripts/tools.sh), helm3 with a data home of its
// own ($HOME/.local/share/helm3, unless HELM_DATA_HOME is set). A runnable block that
// calls plain helm is an error: it would leave the reader guessing which Helm it means.

// runElsewhere are commands of the docs that TestDocs does not run, because they are the
// test suite this test is part of (scripts/test.sh runs each; .ci/run runs it).
var runElsewhere = map[string]bool{
	"scripts/test.sh":                  true,
	"scripts/e2e.sh":                   true,
	"(cd test/helm4 && go test ./...)": true,
}

type docBlock struct {
	file string
	line int // of the opening fence
	lang string
	text string
}

var fence = regexp.MustCompile("^( *)(```+)(.*)$")

// docBlocks returns the fenced blocks of a Markdown file, their text unindented by the
// fence's indentation.
func docBlocks(t *testing.T, file string) []docBlock {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []docBlock
	var open *docBlock
	var indent, ticks string
	for i, line := range strings.Split(string(data), "\n") {
		if open != nil {
			if m := fence.FindStringSubmatch(line); m != nil && m[2] == ticks && strings.TrimSpace(m[3]) == "" {
				blocks = append(blocks, *open)
				open = nil
				continue
			}
			open.text += strings.TrimPrefix(line, indent) + "\n"
			continue
		}
		if m := fence.FindStringSubmatch(line); m != nil {
			indent, ticks = m[1], m[2]
			lang, _, _ := strings.Cut(strings.TrimSpace(m[3]), " ")
			if lang == "" {
				t.Errorf("%s:%d: a fenced block without a language: say sh or console (run by TestDocs), or text, yaml ...", file, i+1)
			}
			open = &docBlock{file: file, line: i + 1, lang: lang}
		}
	}
	if open != nil {
		t.Errorf("%s:%d: the fenced block is never closed", file, open.line)
	}
	return blocks
}

// TestDocs runs every sh and console block of README.md and docs/*.md as printed, page by
// page in a scratch copy of the repository, with the pinned helm3, helm4, kustomize and
// crane and a freshly built helm-netpol on PATH, and a HOME of its own.
func TestDocs(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the documented commands with real Helm binaries")
	}
	root, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("scripts/tools.sh", "helm3", "helm4", "kustomize", "crane").CombinedOutput(); err != nil {
		t.Fatalf("scripts/tools.sh: %v\n%s", err, out)
	}
	tools, err := filepath.EvalSymlinks(filepath.Join(root, ".bin"))
	if err != nil {
		t.Fatal(err)
	}
	build := t.TempDir()
	if out, err := exec.Command("go", "build", "-trimpath", "-o", filepath.Join(build, "helm-netpol"), ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	files := repoFiles(t)
	pages, _ := filepath.Glob("docs/*.md")
	for _, page := range append([]string{"README.md"}, pages...) {
		var run []docBlock
		for _, b := range docBlocks(t, page) {
			if b.lang == "sh" || b.lang == "console" || b.lang == "yaml" && docFile(b) != "" {
				run = append(run, b)
			}
		}
		if len(run) == 0 {
			continue
		}
		t.Run(page, func(t *testing.T) {
			t.Parallel() // each page has a copy and a HOME of its own
			scratch, env := pageSandbox(t, root, tools, build, files)
			for _, b := range run {
				start := time.Now()
				switch b.lang {
				case "sh":
					runSh(t, b, scratch, env)
				case "console":
					runConsole(t, b, scratch, env)
				default:
					writeDocFile(t, b, scratch)
				}
				t.Logf("%s:%d: %s block, %v", b.file, b.line, b.lang, time.Since(start).Round(time.Millisecond))
			}
		})
	}
}

// pageSandbox makes what a page's commands run in: a copy of the repository's files with
// the pinned tools and the fresh helm-netpol in its .bin, and their environment.
func pageSandbox(t *testing.T, root, tools, build string, files []string) (scratch string, env []string) {
	t.Helper()
	dir := t.TempDir()
	scratch = filepath.Join(dir, "repo")
	copyFiles(t, root, scratch, files)
	bin := filepath.Join(scratch, ".bin")
	for _, name := range []string{"helm3", "helm4", "kustomize", "crane"} {
		link(t, filepath.Join(tools, name), filepath.Join(bin, name))
		copyFiles(t, tools, bin, []string{"." + name + ".stamp"})
	}
	link(t, filepath.Join(build, "helm-netpol"), filepath.Join(bin, "helm-netpol"))
	// helm3 with a data home (and plugins folder) of its own, as docs/helm.md has it on a
	// machine with both Helms: a Helm 4 plugin in Helm 3's folder would stop Helm 3
	// loading any plugin.
	wrappers := filepath.Join(dir, "path")
	helm3 := "#!/bin/sh\n: \"${HELM_DATA_HOME:=$HOME/.local/share/helm3}\"\nexport HELM_DATA_HOME\nexec '" + filepath.Join(tools, "helm3") + "' \"$@\"\n"
	if err := os.MkdirAll(wrappers, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(wrappers, "helm3"), []byte(helm3), 0o755); err != nil {
		t.Fatal(err)
	}
	return scratch, docsEnv(t, wrappers+string(os.PathListSeparator)+bin, filepath.Join(dir, "home"))
}

// docsEnv is the environment of the documented commands: no Helm, kube or XDG setting of
// the caller's, a fresh HOME, and the caller's Go caches so builds stay fast.
func docsEnv(t *testing.T, path, home string) []string {
	t.Helper()
	if err := os.MkdirAll(home, 0o755); err != nil {
		t.Fatal(err)
	}
	goEnv, err := exec.Command("go", "env", "GOCACHE", "GOMODCACHE", "GOPATH").Output()
	if err != nil {
		t.Fatal(err)
	}
	g := strings.Split(strings.TrimSpace(string(goEnv)), "\n")
	env := []string{
		"PATH=" + path + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HOME=" + home,
		"GOCACHE=" + g[0], "GOMODCACHE=" + g[1], "GOPATH=" + g[2],
		// Builds in the scratch copy reuse what the cache holds for this folder's
		// packages: without -trimpath a package's folder is part of its cache key.
		strings.TrimSpace("GOFLAGS=-trimpath " + os.Getenv("GOFLAGS")),
	}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch {
		case k == "PATH" || k == "HOME" || k == "GOCACHE" || k == "GOMODCACHE" || k == "GOPATH" || k == "GOFLAGS":
		case strings.HasPrefix(k, "HELM_") || strings.HasPrefix(k, "XDG_") || strings.HasPrefix(k, "KUBE") || strings.HasPrefix(k, "ARGOCD_"):
		default:
			env = append(env, kv)
		}
	}
	return env
}

var docFileComment = regexp.MustCompile(`^# ([A-Za-z0-9_][A-Za-z0-9_./-]*\.ya?ml)\n`)

// docFile is the file a yaml block names in its first line ("# apps/values.yaml"), or "".
func docFile(b docBlock) string {
	m := docFileComment.FindStringSubmatch(b.text)
	if m == nil || strings.Contains(m[1], "..") {
		return ""
	}
	return m[1]
}

func writeDocFile(t *testing.T, b docBlock, dir string) {
	t.Helper()
	path := filepath.Join(dir, docFile(b))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(b.text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// bareHelm finds a command named helm, which the docs never run: they say helm3 or helm4.
var bareHelm = regexp.MustCompile(`(^|[;&|(]|\$\()\s*helm\s`)

func runSh(t *testing.T, b docBlock, dir string, env []string) {
	t.Helper()
	var script strings.Builder
	script.WriteString("set -eo pipefail\n")
	for _, line := range strings.Split(b.text, "\n") {
		cmd, _, _ := strings.Cut(line, " #")
		if runElsewhere[strings.TrimSpace(cmd)] {
			line = "# run elsewhere: " + line
		}
		if bareHelm.MatchString(line) {
			t.Errorf("%s:%d: %q runs helm: write helm3 or helm4", b.file, b.line, line)
		}
		script.WriteString(line + "\n")
	}
	out, err := bash(dir, env, script.String())
	if err != nil {
		t.Errorf("%s:%d: the sh block failed: %v\n%s\n--- output:\n%s", b.file, b.line, err, b.text, out)
	}
}

// consoleCommand is one "$ " command of a console block and the output shown after it.
type consoleCommand struct {
	cmd, want string
}

func consoleCommands(b docBlock) []consoleCommand {
	var cmds []consoleCommand
	continued := false
	for _, line := range strings.Split(strings.TrimSuffix(b.text, "\n"), "\n") {
		switch {
		case continued:
			cmds[len(cmds)-1].cmd += "\n" + line
		case strings.HasPrefix(line, "$ "):
			cmds = append(cmds, consoleCommand{cmd: strings.TrimPrefix(line, "$ ")})
		case len(cmds) > 0:
			cmds[len(cmds)-1].want += line + "\n"
		}
		continued = len(cmds) > 0 && strings.HasSuffix(line, "\\")
	}
	return cmds
}

func runConsole(t *testing.T, b docBlock, dir string, env []string) {
	t.Helper()
	cmds := consoleCommands(b)
	if len(cmds) == 0 {
		t.Errorf("%s:%d: a console block without a \"$ \" command", b.file, b.line)
		return
	}
	mark := fmt.Sprintf("@@docs-%d@@", time.Now().UnixNano())
	var script strings.Builder
	script.WriteString("exec 2>&1\nset -o pipefail\n")
	for _, c := range cmds {
		if bareHelm.MatchString(c.cmd) {
			t.Errorf("%s:%d: %q runs helm: write helm3 or helm4", b.file, b.line, c.cmd)
		}
		fmt.Fprintf(&script, "%s\n__rc=$?; printf '\\n%s %%d\\n' \"$__rc\"; (exit \"$__rc\")\n", c.cmd, mark)
	}
	out, _ := bash(dir, env, script.String())
	chunks := regexp.MustCompile(`\n`+mark+` (\d+)\n`).FindAllStringSubmatchIndex(out, -1)
	start := 0
	for i, c := range cmds {
		if i >= len(chunks) {
			t.Errorf("%s:%d: $ %s: the block ended before it ran:\n%s", b.file, b.line, c.cmd, out[start:])
			return
		}
		got := out[start:chunks[i][0]]
		rc, _ := strconv.Atoi(out[chunks[i][2]:chunks[i][3]])
		start = chunks[i][1]
		if rc != 0 && (i+1 == len(cmds) || cmds[i+1].cmd != "echo $?") {
			t.Errorf("%s:%d: $ %s: exit status %d (show it with echo $? if it is meant)\n%s", b.file, b.line, c.cmd, rc, got)
		}
		if !matchLines(strings.Split(strings.TrimRight(c.want, "\n"), "\n"), strings.Split(strings.TrimRight(got, "\n"), "\n")) {
			t.Errorf("%s:%d: $ %s: the output differs\n--- the docs:\n%s--- the command:\n%s", b.file, b.line, c.cmd, c.want, got)
		}
	}
}

// matchLines matches got against want, where a want line "..." stands for any lines and
// "..." within a line for any text; blanks at the end of a line are ignored.
func matchLines(want, got []string) bool {
	if len(want) == 0 {
		return len(got) == 0
	}
	if want[0] == "..." {
		for i := 0; i <= len(got); i++ {
			if matchLines(want[1:], got[i:]) {
				return true
			}
		}
		return false
	}
	return len(got) > 0 && matchLine(want[0], got[0]) && matchLines(want[1:], got[1:])
}

func matchLine(want, got string) bool {
	// Trailing blanks do not count: editors drop them from the docs.
	want, got = strings.TrimRight(want, " \t"), strings.TrimRight(got, " \t")
	parts := strings.Split(want, "...")
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile("^" + strings.Join(parts, ".*") + "$").MatchString(got)
}

func bash(dir string, env []string, script string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script)
	cmd.Dir, cmd.Env = dir, env
	// A block that outlasts the timeout is ended with everything it started.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// repoFiles lists the repository's files as git sees them: tracked, and untracked ones
// not ignored (built binaries, .bin and dist/ stay out).
func repoFiles(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	return strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
}

// copyFiles copies files (paths relative to from) into to, keeping their modes. A file
// listed but gone (deleted, not yet committed) is skipped.
func copyFiles(t *testing.T, from, to string, files []string) {
	t.Helper()
	for _, f := range files {
		src, err := os.Open(filepath.Join(from, f))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		fi, err := src.Stat()
		if err == nil && !fi.Mode().IsRegular() {
			src.Close()
			continue
		}
		dst := filepath.Join(to, f)
		if err == nil {
			err = os.MkdirAll(filepath.Dir(dst), 0o755)
		}
		var w *os.File
		if err == nil {
			w, err = os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, fi.Mode().Perm())
		}
		if err == nil {
			_, err = io.Copy(w, src)
			if cerr := w.Close(); err == nil {
				err = cerr
			}
		}
		src.Close()
		if err != nil {
			t.Fatal(err)
		}
	}
}

func link(t *testing.T, target, name string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, name); err != nil {
		t.Fatal(err)
	}
}

// TestReadmeFront checks what the top of README.md promises: at most 120 lines, opening
// with the command that runs the main job and the one that runs every test, the latter
// being what CI (.ci/run) runs.
func TestReadmeFront(t *testing.T) {
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(readme), "\n"); n > 120 {
		t.Errorf("README.md has %d lines, want at most 120: the reference belongs in docs/", n)
	}
	blocks := docBlocks(t, "README.md")
	if len(blocks) == 0 || !strings.HasPrefix(blocks[0].text, "scripts/demo.sh ") || !strings.Contains(blocks[0].text, "\nscripts/test.sh ") {
		t.Errorf("README.md does not open with scripts/demo.sh and scripts/test.sh")
	}
	ci, err := os.ReadFile(".ci/run")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^scripts/test.sh$`).Match(ci) {
		t.Errorf(".ci/run does not run scripts/test.sh, the README's test command")
	}
}

// TestDocLinks checks that every relative link of README.md and docs/*.md names a file
// of the repository.
func TestDocLinks(t *testing.T) {
	pages, _ := filepath.Glob("docs/*.md")
	link := regexp.MustCompile(`\]\(([^)#\s]*)(#[^)\s]*)?\)`)
	for _, page := range append([]string{"README.md"}, pages...) {
		text, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range link.FindAllStringSubmatch(string(text), -1) {
			target := m[1]
			if target == "" || strings.Contains(target, "://") {
				continue
			}
			path := filepath.Join(filepath.Dir(page), target)
			if _, err := os.Stat(path); err != nil {
				t.Errorf("%s: link %s: no such file", page, m[0])
			}
		}
	}
}
