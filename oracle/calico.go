package oracle

import (
	"strconv"
	"strings"
	"sync"

	"github.com/helm-netpol/helm-netpol/transform"
)

// CalicoVerdict is Calico's answer to one probe, as ./calico/cmd/calicoverdict gives it.
type CalicoVerdict struct {
	Allowed bool   `json:"allowed"`
	Reason  string `json:"reason"`
}

// CalicoVerdicts answers probes against the policies in docs as Calico enforces them
// (./calico/cmd/calicoverdict: Calico's own selector parser, our reading of its tier,
// order and action semantics; see calico/README.md): one run for all of them. docs may
// hold any kinds: calicoverdict judges projectcalico.org/v3 NetworkPolicy and
// GlobalNetworkPolicy and networking.k8s.io/v1 NetworkPolicy, reads the staged kinds
// without enforcing them, and ignores the rest. apiserverIPs and apiserverPorts are the
// endpoints of Service default/kubernetes, which a Calico `services` rule matches (the
// kube-apiserver entity is always one; 443 and 6443 when apiserverPorts is empty). A
// probe names its workload by its pods, not by kind and name.
func CalicoVerdicts(docs [][]byte, probes []transform.Probe, apiserverIPs []string, apiserverPorts []int) ([]CalicoVerdict, error) {
	bin, err := calicoVerdict()
	if err != nil {
		return nil, err
	}
	var args []string
	if len(apiserverIPs) > 0 {
		args = append(args, "-apiserver-ips", strings.Join(apiserverIPs, ","))
	}
	if len(apiserverPorts) > 0 {
		ports := make([]string, len(apiserverPorts))
		for i, p := range apiserverPorts {
			ports[i] = strconv.Itoa(p)
		}
		args = append(args, "-apiserver-ports", strings.Join(ports, ","))
	}
	var verdicts []CalicoVerdict
	if err := runVerdicts("calicoverdict", bin, args, docs, probes, &verdicts); err != nil {
		return nil, err
	}
	return verdicts, nil
}

// calicoVerdict builds ./calico/cmd/calicoverdict once and returns the binary's path.
var calicoVerdict = sync.OnceValues(func() (string, error) { return buildCommand("calico", "calicoverdict") })
