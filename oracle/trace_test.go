package oracle

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/helm-netpol/helm-netpol/transform"
)

// repoRoot is the repository's root, which holds fixtures/.
const repoRoot = ".."

// ciliumKinds are the policy kinds Cilium 1.20.2 enforces, as ciliumverdict reads them
// (ClusterNetworkPolicy with enable-k8s-cluster-network-policy).
var ciliumKinds = map[string]bool{
	"cilium.io/v2 CiliumNetworkPolicy":                             true,
	"cilium.io/v2 CiliumClusterwideNetworkPolicy":                  true,
	"networking.k8s.io/v1 NetworkPolicy":                           true,
	"policy.networking.k8s.io/v1alpha2 ClusterNetworkPolicy":       true,
	"policy.networking.k8s.io/v1alpha1 ClusterNetworkPolicy":       false,
	"projectcalico.org/v3 NetworkPolicy":                           false,
	"projectcalico.org/v3 GlobalNetworkPolicy":                     false,
	"projectcalico.org/v3 StagedNetworkPolicy":                     false,
	"projectcalico.org/v3 StagedGlobalNetworkPolicy":               false,
	"projectcalico.org/v3 StagedKubernetesNetworkPolicy":           false,
	"policy.networking.k8s.io/v1alpha1 AdminNetworkPolicy":         false,
	"policy.networking.k8s.io/v1alpha1 BaselineAdminNetworkPolicy": false,
}

// ciliumDifferences are the known ways trace (CNI cilium) and Cilium's own policy
// resolution answer a probe differently, each with its reason. Any other difference
// fails TestTraceEqualsCilium.
var ciliumDifferences = []difference{
	{
		name: "host-network workload",
		reason: "trace answers allowed for a workload whose pods use the host network: Cilium gives such pods the host's identity " +
			"and selects them with no pod policy (only a CiliumClusterwideNetworkPolicy nodeSelector, which helm-netpol does not render); " +
			"ciliumverdict is told only the pods' labels and judges them as an ordinary pod",
		explains: func(c probeCase, tv transform.Verdict, _ bool) bool {
			return c.workload.hostNetwork && tv.Error == "" && tv.Allowed
		},
	},
	{
		name: "toFQDNs, an address",
		reason: "a toFQDNs rule allows the addresses Cilium's DNS proxy saw answered for the name, which the policy does not say: " +
			"trace reports an address it meets there as not evaluated; the catalogue's addresses were never answered, so Cilium denies them",
		explains: func(_ probeCase, tv transform.Verdict, engineAllowed bool) bool {
			return strings.Contains(tv.Error, "toFQDNs") && !engineAllowed
		},
	},
}

// TestTraceEqualsCilium: for every golden fixture and every real chart render under every
// release-wide config, every probe of issue 12's catalogue on every covered workload gets
// the same verdict from helm-netpol's trace (CNI cilium, reading the post-rendered objects
// back) as from Cilium 1.20.2's own policy resolution (ciliumverdict) on the objects Cilium
// enforces, unless a difference of ciliumDifferences explains it.
func TestTraceEqualsCilium(t *testing.T) {
	renders := append(fixtureRenders(t), corpusRenders(t)...)
	ty := newTally()
	ran := 0
	for _, r := range renders {
		t.Run(r.name, func(t *testing.T) {
			ran++
			_, docs, cases := renderProbes(t, r)
			if len(cases) == 0 {
				return
			}
			var enforced [][]byte
			for _, d := range docs {
				enforce, known := ciliumKinds[d.apiVersion+" "+d.kind]
				if !known {
					t.Fatalf("the output holds a %s %s: say whether Cilium enforces it (ciliumKinds)", d.apiVersion, d.kind)
				}
				if enforce {
					enforced = append(enforced, d.text)
				}
			}
			probes, trace := traceCases(t, r, transform.CNICilium, cases)
			// ciliumverdict takes the workload's pods as the probe's workload.
			for i, c := range cases {
				probes[i].Workload = c.workload.pod
			}
			verdicts, err := CiliumVerdicts(enforced, probes)
			if err != nil {
				t.Fatal(err)
			}
			allowed := make([]bool, len(verdicts))
			reasons := make([]string, len(verdicts))
			for i, v := range verdicts {
				allowed[i], reasons[i] = v.Allowed, v.Reason
			}
			ty.compare(t, "cilium", cases, trace, allowed, reasons, ciliumDifferences)
		})
	}
	t.Logf("trace (CNI cilium) against Cilium 1.20.2's policy resolution: %s", ty.summary(ciliumDifferences))
	if ty.renders < ran/2 || ty.allowed == 0 || ty.denied == 0 {
		t.Errorf("compared %d renders (%d allowed, %d denied): the catalogue proves little", ty.renders, ty.allowed, ty.denied)
	}
}

// TestCorpusConfigsAgree: the release-wide configs are those of the product's tests.
func TestCorpusConfigsAgree(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot, "transform", "security_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(b), "var corpusConfigs = []struct{ name, text string }{\n")
	block, _, ok2 := strings.Cut(block, "\n}\n")
	if !ok || !ok2 {
		t.Fatal("transform/security_test.go holds no corpusConfigs")
	}
	var theirs []string
	for _, line := range strings.Split(block, "\n") {
		if line = strings.TrimSpace(line); strings.HasPrefix(line, "{") {
			theirs = append(theirs, line)
		}
	}
	var ours []string
	for _, c := range corpusConfigs {
		ours = append(ours, fmt.Sprintf("{%q, %q},", c.name, c.text))
	}
	if strings.Join(ours, "\n") != strings.Join(theirs, "\n") {
		t.Errorf("corpusConfigs differ from transform/security_test.go's:\nours:\n%s\ntheirs:\n%s", strings.Join(ours, "\n"), strings.Join(theirs, "\n"))
	}
}
