package oracle

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
)

// ParseCilium runs Cilium 1.20.2's own policy parser (CiliumNetworkPolicy.Parse
// or CiliumClusterwideNetworkPolicy.Parse, with the agent's default
// configuration) on doc and returns its error.
//
// Cilium 1.20.2 is built against k8s.io 0.36 and this module against 0.37, so
// the parser lives in the separate module ./cilium, built once per process into a
// temporary directory (ciliumparse) and run as a subprocess for each policy.
func ParseCilium(doc []byte) error {
	bin, err := ciliumParser()
	if err != nil {
		return err
	}
	cmd := exec.Command(bin)
	cmd.Stdin = bytes.NewReader(doc)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	err = cmd.Run()
	if reason := strings.TrimSpace(stdout.String()); reason != "" {
		// ciliumparse prints only a rejection on standard output.
		return errors.New(reason)
	}
	if err != nil {
		return fmt.Errorf("run cilium parser: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

// ciliumParser builds ./cilium/cmd/ciliumparse once and returns the binary's path, in a
// temporary directory that RemoveCiliumParser removes.
var ciliumParser = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "helm-netpol-ciliumparse-")
	if err != nil {
		return "", err
	}
	parserDir.Store(&dir)
	bin := filepath.Join(dir, "ciliumparse")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/ciliumparse")
	cmd.Dir = filepath.Join(moduleDir(), "cilium")
	cmd.Env = append(os.Environ(), "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build the cilium parser: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return bin, nil
})

var parserDir atomic.Pointer[string]

// RemoveCiliumParser removes the binary ParseCilium built, if it built one: a TestMain
// calls it once the tests have run.
func RemoveCiliumParser() {
	if dir := parserDir.Load(); dir != nil {
		_ = os.RemoveAll(*dir)
	}
}
