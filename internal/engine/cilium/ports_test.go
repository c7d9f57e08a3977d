package cilium

import (
	"testing"

	"github.com/helm-netpol/helm-netpol/internal/plan"
)

func TestCiliumPortsChunked(t *testing.T) {
	r := plan.Rule{Origin: "networkPolicy.otherPorts"}
	for i := range 45 {
		r.Ports = append(r.Ports, plan.PortOf(int32(10000+i), "TCP"))
	}
	got, err := ciliumPorts(&plan.Policy{}, r, plan.Ingress, noL7)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || len(got[0].Ports) != CiliumMaxPorts || len(got[1].Ports) != 5 {
		t.Errorf("45 ports: got %d entries, want 40 ports then 5", len(got))
	}
}
