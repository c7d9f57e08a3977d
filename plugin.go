package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"sigs.k8s.io/yaml"
)

// postRendererPlugin is the Helm 4 plugin manifest of the post-renderer
// (plugins/netpol-postrender/plugin.yaml), pointing at a given binary.
type postRendererPlugin struct {
	APIVersion    string        `json:"apiVersion"`
	Type          string        `json:"type"`
	Name          string        `json:"name"`
	Version       string        `json:"version"`
	Runtime       string        `json:"runtime"`
	RuntimeConfig runtimeConfig `json:"runtimeConfig"`
}

type runtimeConfig struct {
	PlatformCommand []platformCommand `json:"platformCommand"`
}

type platformCommand struct {
	Command string   `json:"command"`
	Args    []string `json:"args"`
}

const postRendererName = "netpol-postrender"

// pluginsDir is where Helm 4 looks plugins up: the first entry of $HELM_PLUGINS, else
// $HELM_DATA_HOME/plugins, else the XDG data home's helm/plugins.
func pluginsDir() (string, error) {
	if list := filepath.SplitList(os.Getenv("HELM_PLUGINS")); len(list) > 0 && list[0] != "" {
		return list[0], nil
	}
	if d := os.Getenv("HELM_DATA_HOME"); d != "" {
		return filepath.Join(d, "plugins"), nil
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "helm", "plugins"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", errors.New("set HELM_PLUGINS or HELM_DATA_HOME: the home directory is unknown")
	}
	return filepath.Join(home, ".local", "share", "helm", "plugins"), nil
}

// installPostRenderer registers the Helm 4 post-renderer plugin for this very binary, so
// that a git-URL install of the CLI plugin (which Helm scans one level deep only) can also
// offer --post-renderer netpol-postrender.
func installPostRenderer(args []string, stdout, stderr io.Writer) int {
	fs, _ := newFlags(stderr)
	dir := fs.String("dir", "", "the plugins `directory` (default: first of $HELM_PLUGINS, else $HELM_DATA_HOME/plugins)")
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	if *dir == "" {
		d, err := pluginsDir()
		if err != nil {
			fmt.Fprintf(stderr, "helm-netpol: install-postrenderer: %v\n", err)
			return exitUsage
		}
		*dir = d
	}
	exe, err := os.Executable()
	if err == nil {
		exe, err = filepath.EvalSymlinks(exe)
	}
	if err != nil {
		fmt.Fprintf(stderr, "helm-netpol: install-postrenderer: cannot find this binary's path: %v\n", err)
		return exitInput
	}
	if helm3 := helm3Loading(*dir); helm3 != "" {
		fmt.Fprintf(stderr, "helm-netpol: install-postrenderer: Helm 3 (%s) loads plugins from %s, and the Helm 4 post-renderer plugin there would stop it loading any plugin: with Helm 3 pass the binary itself (--post-renderer %s); for Helm 4 give it a plugins folder of its own (HELM_DATA_HOME) and pass that with --dir\n", helm3, *dir, exe)
		return exitUsage
	}
	manifest, err := yaml.Marshal(postRendererPlugin{
		APIVersion: "v1",
		Type:       "postrenderer/v1",
		Name:       postRendererName,
		Version:    pluginVersion(),
		Runtime:    "subprocess",
		RuntimeConfig: runtimeConfig{PlatformCommand: []platformCommand{
			{Command: exe, Args: []string{"post-render"}},
		}},
	})
	if err != nil {
		fmt.Fprintf(stderr, "helm-netpol: install-postrenderer: %v\n", err)
		return exitInput
	}
	header := "# Written by helm-netpol install-postrenderer: the Helm 4 post-renderer plugin.\n" +
		"# Helm 3 cannot read this manifest; keep it out of Helm 3's HELM_PLUGINS.\n"
	target := filepath.Join(*dir, postRendererName)
	// Only ever replace a plugin this command wrote: a netpol-postrender installed from a
	// checkout is a symlink into it, and writing through it would rewrite the checkout's
	// plugins/netpol-postrender/plugin.yaml; one installed from a tarball has its own.
	if fi, err := os.Lstat(target); err == nil {
		old, _ := os.ReadFile(filepath.Join(target, "plugin.yaml"))
		if fi.Mode()&os.ModeSymlink != 0 || !bytes.HasPrefix(old, []byte(header)) {
			fmt.Fprintf(stderr, "helm-netpol: install-postrenderer: %s is already installed at %s: remove it first (helm plugin uninstall %s)\n", postRendererName, target, postRendererName)
			return exitInput
		}
	}
	if err := os.MkdirAll(target, 0o755); err != nil {
		fmt.Fprintf(stderr, "helm-netpol: install-postrenderer: %v\n", err)
		return exitInput
	}
	if err := os.WriteFile(filepath.Join(target, "plugin.yaml"), append([]byte(header), manifest...), 0o644); err != nil {
		fmt.Fprintf(stderr, "helm-netpol: install-postrenderer: %v\n", err)
		return exitInput
	}
	fmt.Fprintf(stdout, "installed the Helm 4 post-renderer plugin %s in %s (it runs %s)\nuse: helm install ... --post-renderer %s\n", postRendererName, target, exe, postRendererName)
	return exitOK
}

// helm3Loading names the Helm 3 that loads plugins from dir ("" when none does), asking
// each candidate for its version and its plugins folders: the Helm that runs this
// command as a plugin (HELM_BIN), else helm and helm3 on PATH, since Helm 3 and Helm 4
// share $HELM_DATA_HOME/plugins unless told otherwise. Helm 3 reads plugin.yaml strictly,
// and one v1 manifest in its folders makes it give up on all of them.
func helm3Loading(dir string) string {
	candidates := []string{"helm", "helm3"}
	if bin := os.Getenv("HELM_BIN"); bin != "" {
		candidates = []string{bin}
	}
	for _, bin := range candidates {
		path, err := exec.LookPath(bin)
		if err != nil {
			// Run by a Helm that cannot be asked: Helm 4 passes HELM_CONTENT_CACHE to its
			// plugins, Helm 3 does not; either sets HELM_PLUGINS.
			if bin == os.Getenv("HELM_BIN") && os.Getenv("HELM_CONTENT_CACHE") == "" && inFolders(dir, os.Getenv("HELM_PLUGINS")) {
				return bin
			}
			continue
		}
		version, err := exec.Command(path, "version", "--template", "{{.Version}}").Output()
		if err != nil || !bytes.HasPrefix(version, []byte("v3.")) {
			continue
		}
		folders, err := exec.Command(path, "env", "HELM_PLUGINS").Output()
		if err == nil && inFolders(dir, strings.TrimSpace(string(folders))) {
			return bin + " " + string(bytes.TrimSpace(version))
		}
	}
	return ""
}

// inFolders reports whether dir is one of the folders of list (separated like PATH).
// The folders need not exist.
func inFolders(dir, list string) bool {
	clean := func(p string) string {
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		return p
	}
	for _, d := range filepath.SplitList(list) {
		if d != "" && clean(d) == clean(dir) {
			return true
		}
	}
	return false
}

// pluginVersion is the version in a form Helm accepts (semver).
func pluginVersion() string {
	if version == "dev" {
		return "0.1.0"
	}
	return version
}
