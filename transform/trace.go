package transform

import (
	"fmt"

	"github.com/helm-netpol/helm-netpol/internal/engine"
	"github.com/helm-netpol/helm-netpol/internal/engine/registry"
	"github.com/helm-netpol/helm-netpol/internal/manifest"
	"github.com/helm-netpol/helm-netpol/internal/trace"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// The types of trace's public face; their JSON names are shared with the oracles.
type (
	// Probe asks whether one connection is allowed.
	Probe = trace.Probe
	// TracePod is a pod of a probe: the workload, or a peer.
	TracePod = trace.Pod
	// TracePeer is the other end of a probe: a pod, an address, an entity.
	TracePeer = trace.Peer
	// NamedPort is a pod's declared port, which rules naming a port resolve against.
	NamedPort = trace.NamedPort
	// Verdict is the answer to a probe.
	Verdict = trace.Verdict
	// CNI is the network plugin that enforces the policies.
	CNI = trace.CNI
)

// The plugins Trace evaluates under.
const (
	CNIKubernetes = trace.Kubernetes
	CNICilium     = trace.Cilium
	CNICalico     = trace.Calico
)

// Trace answers probes against the policies of a stream: it runs the post-render (on the
// post-renderer's output that changes nothing), reads every policy object of the result
// back in its own dialect, and evaluates each probe the way opts.CNI (else the plugin the
// policies are written for) enforces them. A verdict that depends on something trace does
// not evaluate carries an Error. An invalid probe, or one naming a workload the stream
// does not hold, is an error of the call.
func Trace(input []byte, opts Options, probes []Probe) ([]Verdict, error) {
	c, err := traceCluster(input, opts)
	if err != nil {
		return nil, err
	}
	out := make([]Verdict, len(probes))
	for i, p := range probes {
		v, err := c.Evaluate(p)
		if err != nil {
			return nil, fmt.Errorf("helm-netpol: probe %d (%s): %w", i+1, p, err)
		}
		out[i] = v
	}
	return out, nil
}

// traceCluster reads what Trace evaluates: the policies of the post-rendered stream, and
// its workloads.
func traceCluster(input []byte, opts Options) (*trace.Cluster, error) {
	output, res, err := Process(input, opts)
	if err != nil {
		return nil, err
	}
	s, err := manifest.ReadFiltered(output, func(n *yaml.RNode) bool {
		o := manifest.NewObject(n)
		return o != nil && (registry.IsPolicy(o) || o.Kind == manifest.ResourceListKind)
	}, nil)
	if err != nil {
		return nil, err
	}
	if isResourceList(s) {
		return nil, fmt.Errorf("helm-netpol: stdin: trace reads a manifest stream, not a ResourceList")
	}
	c := &trace.Cluster{Namespace: opts.Namespace, CNI: opts.CNI}
	for _, d := range s.Docs {
		if d.Node == nil {
			continue
		}
		o, err := registry.Read(d.Node)
		if err != nil {
			return nil, err
		}
		c.Objects = append(c.Objects, o)
	}
	if c.CNI == "" {
		var generated []*engine.Object
		for _, o := range c.Objects {
			if o.GeneratedFor != "" {
				generated = append(generated, o)
			}
		}
		if c.CNI, err = trace.CNIOf(generated); err != nil {
			return nil, fmt.Errorf("helm-netpol: %v (--cni)", err)
		}
	}
	for _, w := range res.Workloads {
		tw := trace.Workload{Kind: w.Kind, Name: w.Name, Namespace: w.Namespace, Labels: w.PodLabels, HostNetwork: w.HostNetwork}
		if w.Kind == "Job" {
			// The Job controller labels the pods it makes with the Job's name.
			tw.Labels = map[string]string{manifest.LabelJobName: w.Name, "job-name": w.Name}
			for k, v := range w.PodLabels {
				tw.Labels[k] = v
			}
		}
		for _, p := range w.Ports {
			tw.Ports = append(tw.Ports, trace.NamedPort{Name: p.Name, Port: p.Port, Protocol: string(p.Protocol)})
		}
		c.Workloads = append(c.Workloads, tw)
	}
	return c, nil
}
