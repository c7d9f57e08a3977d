package oracle

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// ParseCilium runs Cilium 1.20.2's own policy parser (CiliumNetworkPolicy.Parse
// or CiliumClusterwideNetworkPolicy.Parse, with the agent's default
// configuration) on doc and returns its error.
//
// Cilium 1.20.2 is built against k8s.io 0.36 and this module against 0.37, so
// the parser lives in the separate module ./cilium and runs as a subprocess
// (go run ./cmd/ciliumparse, which the build cache keeps fast).
func ParseCilium(doc []byte) error {
	cmd := exec.Command("go", "run", "./cmd/ciliumparse")
	cmd.Dir = filepath.Join(moduleDir(), "cilium")
	cmd.Env = append(os.Environ(), "GOWORK=off")
	cmd.Stdin = bytes.NewReader(doc)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	err := cmd.Run()
	if reason := strings.TrimSpace(stdout.String()); reason != "" {
		// ciliumparse prints only a rejection on standard output.
		return errors.New(reason)
	}
	if err != nil {
		return fmt.Errorf("run cilium parser: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return nil
}
