package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

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
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, errHelp) {
			return exitOK
		}
		return exitUsage
	}
	if *dir == "" && os.Getenv("HELM_BIN") != "" && os.Getenv("HELM_CONTENT_CACHE") == "" {
		// Run as a Helm 3 plugin (Helm 4 passes HELM_CONTENT_CACHE to its plugins, Helm 3
		// does not): a v1 manifest in Helm 3's plugins folder breaks every Helm 3 plugin.
		fmt.Fprintf(stderr, "helm-netpol: install-postrenderer: this is Helm 3, which cannot load the Helm 4 post-renderer plugin: with Helm 3 pass the binary itself (--post-renderer %s), or give --dir the plugins folder of Helm 4\n", filepath.Join(os.Getenv("HELM_PLUGIN_DIR"), "bin", "helm-netpol"))
		return exitUsage
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

// pluginVersion is the version in a form Helm accepts (semver).
func pluginVersion() string {
	if version == "dev" {
		return "0.1.0"
	}
	return version
}
