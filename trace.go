package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/helm-netpol/helm-netpol/transform"
	sigsyaml "sigs.k8s.io/yaml"
)

// traceFlags are the flags of helm-netpol trace: one probe, or a file of them.
type traceFlags struct {
	probeFile                                    string
	direction                                    string
	workload, workloadLabels, workloadNamespace  string
	peerLabels, peerNamespace, peerNamespaceLbls string
	peerIP, peerEntity                           string
	port                                         int
	protocol                                     string
	cni                                          string
}

// traceFlagNames are the flags only trace takes.
var traceFlagNames = []string{"probe", "direction", "workload", "workload-labels", "workload-namespace", "peer-labels", "peer-namespace", "peer-namespace-labels", "peer-ip", "peer-entity", "port", "protocol", "cni"}

func (t *traceFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&t.probeFile, "probe", "", "trace: a JSON (or YAML) `file` of probes, one object or a list, instead of the probe flags")
	fs.StringVar(&t.direction, "direction", "ingress", "trace: ingress (peer to workload) or egress (workload to peer)")
	fs.StringVar(&t.workload, "workload", "", "trace: the workload as `KIND/NAME` (Deployment/ctrl), taken from the stream")
	fs.StringVar(&t.workloadLabels, "workload-labels", "", "trace: the workload's pod `labels` (k=v,k=v), instead of --workload")
	fs.StringVar(&t.workloadNamespace, "workload-namespace", "", "trace: the workload's `namespace` (with --workload-labels; --namespace by default)")
	fs.StringVar(&t.peerLabels, "peer-labels", "", "trace: a peer pod's `labels` (k=v,k=v)")
	fs.StringVar(&t.peerNamespace, "peer-namespace", "", "trace: the peer pod's `namespace`")
	fs.StringVar(&t.peerNamespaceLbls, "peer-namespace-labels", "", "trace: the peer pod's namespace's `labels` (k=v,k=v; kubernetes.io/metadata.name is added)")
	fs.StringVar(&t.peerIP, "peer-ip", "", "trace: the peer's `address` (alone, or with a peer pod or entity)")
	fs.StringVar(&t.peerEntity, "peer-entity", "", "trace: the peer as an `entity`: kube-apiserver, host, remote-node, world, kube-dns-service")
	fs.IntVar(&t.port, "port", 0, "trace: the destination `port`")
	fs.StringVar(&t.protocol, "protocol", "TCP", "trace: TCP, UDP or SCTP")
	fs.StringVar(&t.cni, "cni", "", "trace, verify: the plugin that enforces the policies: kubernetes, cilium or calico (default: the one the generated policies are written for)")
}

// checkCommandFlags refuses flags that the command does not take.
func checkCommandFlags(cmd string, fs *flag.FlagSet, o *cliOptions) error {
	var errs []error
	fs.Visit(func(f *flag.Flag) {
		for _, n := range traceFlagNames {
			if f.Name == n && cmd != "trace" && !(n == "cni" && cmd == "verify") {
				errs = append(errs, fmt.Errorf("helm-netpol: --%s: only trace takes it", n))
			}
		}
		for _, n := range verifyFlagNames {
			if f.Name == n && cmd != "verify" {
				errs = append(errs, fmt.Errorf("helm-netpol: --%s: only verify takes it", n))
			}
		}
	})
	if cmd == "verify" {
		switch o.format {
		case "", "text", "json":
		default:
			errs = append(errs, fmt.Errorf("helm-netpol: --format %q: verify writes text or json", o.format))
		}
		if o.verify.flows == "" {
			errs = append(errs, errors.New("helm-netpol: verify: --flows FILE: the recorded flows"))
		}
		switch o.verify.format {
		case "", "hubble", "csv", "json":
		default:
			errs = append(errs, fmt.Errorf("helm-netpol: --flows-format %q: must be one of hubble, csv, json", o.verify.format))
		}
	}
	if cmd == "trace" {
		switch o.format {
		case "", "text", "json":
		default:
			errs = append(errs, fmt.Errorf("helm-netpol: --format %q: trace writes text or json", o.format))
		}
		if o.trace.probeFile != "" {
			fs.Visit(func(f *flag.Flag) {
				for _, n := range traceFlagNames {
					if f.Name == n && n != "probe" && n != "cni" {
						errs = append(errs, fmt.Errorf("helm-netpol: --%s: --probe gives the probes; leave the probe flags out", n))
					}
				}
			})
		}
	}
	return errors.Join(errs...)
}

// probes returns the probes of the flags or the probe file, and whether they came as a
// list (the JSON output follows the input's shape).
func (t *traceFlags) probes(defaultNamespace string) ([]transform.Probe, bool, error) {
	if t.probeFile != "" {
		b, err := os.ReadFile(t.probeFile)
		if err != nil {
			return nil, false, usageError{fmt.Errorf("helm-netpol: --probe: %v", err)}
		}
		j, err := sigsyaml.YAMLToJSON(b)
		if err != nil {
			return nil, false, usageError{fmt.Errorf("helm-netpol: --probe %s: %v", t.probeFile, err)}
		}
		list := bytes.HasPrefix(bytes.TrimSpace(j), []byte("["))
		var probes []transform.Probe
		dec := json.NewDecoder(bytes.NewReader(j))
		dec.DisallowUnknownFields()
		if list {
			err = dec.Decode(&probes)
		} else {
			var p transform.Probe
			err = dec.Decode(&p)
			probes = []transform.Probe{p}
		}
		if err != nil {
			return nil, false, usageError{fmt.Errorf("helm-netpol: --probe %s: %v", t.probeFile, strings.TrimPrefix(err.Error(), "json: "))}
		}
		return probes, list, nil
	}
	p := transform.Probe{Direction: t.direction, Port: t.port, Protocol: t.protocol}
	var errs []error
	parse := func(flag, text string) map[string]string {
		m, err := labelsFlag(text)
		if err != nil {
			errs = append(errs, fmt.Errorf("helm-netpol: --%s: %v", flag, err))
		}
		return m
	}
	switch {
	case t.workload != "" && t.workloadLabels != "":
		errs = append(errs, errors.New("helm-netpol: --workload and --workload-labels: give one"))
	case t.workload != "":
		kind, name, ok := strings.Cut(t.workload, "/")
		if !ok || kind == "" || name == "" {
			errs = append(errs, fmt.Errorf("helm-netpol: --workload %q: want KIND/NAME, e.g. Deployment/ctrl", t.workload))
		}
		p.Workload = transform.TracePod{Kind: kind, Name: name, Namespace: t.workloadNamespace}
	case t.workloadLabels != "":
		ns := t.workloadNamespace
		if ns == "" {
			ns = defaultNamespace
		}
		p.Workload = transform.TracePod{Namespace: ns, Labels: parse("workload-labels", t.workloadLabels)}
	default:
		errs = append(errs, errors.New("helm-netpol: trace: say which workload: --workload KIND/NAME, or --workload-labels (and --workload-namespace)"))
	}
	if t.peerLabels != "" || t.peerNamespace != "" || t.peerNamespaceLbls != "" {
		if t.peerNamespace == "" {
			errs = append(errs, errors.New("helm-netpol: --peer-namespace: a peer pod needs its namespace"))
		}
		p.Peer.Pod = &transform.TracePod{Namespace: t.peerNamespace, Labels: parse("peer-labels", t.peerLabels), NamespaceLabels: parse("peer-namespace-labels", t.peerNamespaceLbls)}
	}
	p.Peer.IP, p.Peer.Entity = t.peerIP, t.peerEntity
	if err := errors.Join(errs...); err != nil {
		return nil, false, usageError{err}
	}
	if err := p.Validate(); err != nil {
		return nil, false, usageError{fmt.Errorf("helm-netpol: trace: %v", err)}
	}
	return []transform.Probe{p}, false, nil
}

// labelsFlag reads k=v,k=v.
func labelsFlag(text string) (map[string]string, error) {
	if strings.TrimSpace(text) == "" {
		return nil, nil
	}
	out := map[string]string{}
	for _, kv := range strings.Split(text, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%q: want key=value", kv)
		}
		out[k] = v
	}
	return out, nil
}

// writeTrace answers the probes. A verdict that could not be evaluated fails the run
// (exit 1) after every verdict is written.
func writeTrace(o *cliOptions, input []byte, opts transform.Options, stdout io.Writer) error {
	probes, list, err := o.trace.probes(opts.Namespace)
	if err != nil {
		return err
	}
	if o.trace.probeFile != "" {
		for i := range probes {
			if err := probes[i].Validate(); err != nil {
				return usageError{fmt.Errorf("helm-netpol: --probe %s: probe %d: %v", o.trace.probeFile, i+1, err)}
			}
		}
	}
	switch c := transform.CNI(o.trace.cni); c {
	case "", transform.CNIKubernetes, transform.CNICilium, transform.CNICalico:
		opts.CNI = c
	default:
		return usageError{fmt.Errorf("helm-netpol: --cni %q: must be one of kubernetes, cilium, calico", o.trace.cni)}
	}
	verdicts, err := transform.Trace(input, opts, probes)
	if err != nil {
		return err
	}
	if o.format == "json" {
		var v any = verdicts
		if !list {
			v = verdicts[0]
		}
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		if _, err := stdout.Write(append(b, '\n')); err != nil {
			return err
		}
	} else {
		var b strings.Builder
		for i, v := range verdicts {
			verdict := "DENIED"
			switch {
			case v.Error != "":
				verdict = "NOT EVALUATED"
			case v.Allowed:
				verdict = "ALLOWED"
			}
			fmt.Fprintf(&b, "%s: %s\n", verdict, probes[i])
			if v.Error != "" {
				fmt.Fprintf(&b, "  %s\n", v.Error)
			} else {
				fmt.Fprintf(&b, "  %s\n", v.Reason)
			}
		}
		if _, err := io.WriteString(stdout, b.String()); err != nil {
			return err
		}
	}
	var errs []error
	for i, v := range verdicts {
		if v.Error != "" {
			errs = append(errs, fmt.Errorf("helm-netpol: probe %d (%s): not evaluated: %s", i+1, probes[i], v.Error))
		}
	}
	return errors.Join(errs...)
}
