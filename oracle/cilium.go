package oracle

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/helm-netpol/helm-netpol/transform"
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

// CiliumVerdict is Cilium's answer to one probe.
type CiliumVerdict struct {
	Allowed bool   `json:"allowed"`
	Reason  string `json:"reason"`
}

// CiliumVerdicts answers probes against the policies in docs with Cilium 1.20.2's own
// policy resolution (./cilium/cmd/ciliumverdict, under the agent's default
// configuration): one run for all of them. docs must be of the kinds Cilium enforces
// (CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy, NetworkPolicy,
// ClusterNetworkPolicy). A probe names its workload by its pods (namespace, labels,
// declared ports), not by kind and name.
func CiliumVerdicts(docs [][]byte, probes []transform.Probe) ([]CiliumVerdict, error) {
	bin, err := ciliumVerdict()
	if err != nil {
		return nil, err
	}
	var verdicts []CiliumVerdict
	if err := runVerdicts("ciliumverdict", bin, nil, docs, probes, &verdicts); err != nil {
		return nil, err
	}
	return verdicts, nil
}

// runVerdicts runs a verdict command of the probe contract (ciliumverdict,
// calicoverdict): {"documents": [...], "probes": [...]} on its standard input,
// {"verdicts": [...]} on its standard output, decoded into verdicts, one per probe.
func runVerdicts[V any](name, bin string, args []string, docs [][]byte, probes []transform.Probe, verdicts *[]V) error {
	req := struct {
		Documents []string          `json:"documents"`
		Probes    []transform.Probe `json:"probes"`
	}{Documents: []string{}, Probes: probes}
	for _, d := range docs {
		req.Documents = append(req.Documents, string(d))
	}
	for i, p := range probes {
		if p.Workload.Kind != "" || p.Workload.Name != "" {
			return fmt.Errorf("probe %d: %s takes the workload's pods, not its kind and name", i, name)
		}
	}
	in, err := json.Marshal(req)
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(stderr.String()))
	}
	var resp struct {
		Verdicts []V `json:"verdicts"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &resp); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if len(resp.Verdicts) != len(probes) {
		return fmt.Errorf("%s: %d verdicts for %d probes", name, len(resp.Verdicts), len(probes))
	}
	*verdicts = resp.Verdicts
	return nil
}

// ciliumParser and ciliumVerdict build the commands of ./cilium once each and return the
// binary's path, in a temporary directory that RemoveBinaries removes.
var (
	ciliumParser  = sync.OnceValues(func() (string, error) { return buildCommand("cilium", "ciliumparse") })
	ciliumVerdict = sync.OnceValues(func() (string, error) { return buildCommand("cilium", "ciliumverdict") })
)

var (
	binMu  sync.Mutex
	binDir string
)

// buildCommand builds the command ./<module>/cmd/<name> (a module of its own, built with
// GOWORK=off) into the temporary directory the oracles' binaries share, and returns its
// path.
func buildCommand(module, name string) (string, error) {
	binMu.Lock()
	defer binMu.Unlock()
	if binDir == "" {
		dir, err := os.MkdirTemp("", "helm-netpol-oracle-")
		if err != nil {
			return "", err
		}
		binDir = dir
	}
	bin := filepath.Join(binDir, name)
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/"+name)
	cmd.Dir = filepath.Join(moduleDir(), module)
	cmd.Env = append(os.Environ(), "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build %s: %w: %s", name, err, strings.TrimSpace(string(out)))
	}
	return bin, nil
}

// RemoveBinaries removes the binaries ParseCilium, CiliumVerdicts and CalicoVerdicts
// built, if they built any: a TestMain calls it once the tests have run.
func RemoveBinaries() {
	binMu.Lock()
	defer binMu.Unlock()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
		binDir = ""
	}
}
