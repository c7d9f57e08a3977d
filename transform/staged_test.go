package transform

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// kindsOf lists the apiVersion and kind of each generated object of a run.
func kindsOf(res *Result) map[string]int {
	out := map[string]int{}
	for _, g := range res.Generated {
		out[g.APIVersion+" "+g.Kind]++
	}
	return out
}

// TestStagedSwitch turns networkPolicy.staged off (and on again) on a stream that already
// holds what a run generated in the other form: the objects of the other form go, each
// replaced by its counterpart of the same name, so that no staged and enforced copy of a
// policy live side by side.
func TestStagedSwitch(t *testing.T) {
	in, err := os.ReadFile(filepath.Join("..", "fixtures", "staged-calico", "input.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name          string
		from, to      string // the staged: line of the earlier run and of this one
		gone, present string
	}{
		{"staged to enforced", "staged: true", "staged: false", "projectcalico.org/v3 StagedNetworkPolicy", "projectcalico.org/v3 NetworkPolicy"},
		{"enforced to staged", "staged: false", "staged: true", "projectcalico.org/v3 NetworkPolicy", "projectcalico.org/v3 StagedNetworkPolicy"},
	} {
		t.Run(c.name, func(t *testing.T) {
			earlierIn := []byte(strings.Replace(string(in), "staged: true", c.from, 1))
			earlier, res, err := Policies(earlierIn, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if kindsOf(res)[c.gone] != 2 {
				t.Fatalf("the earlier run generated %v, want 2 %s", kindsOf(res), c.gone)
			}
			now := strings.Replace(string(in), "staged: true", c.to, 1) + string(earlier)
			_, res, err = Process([]byte(now), Options{})
			if err != nil {
				t.Fatal(err)
			}
			got := kindsOf(res)
			if got[c.gone] != 0 || got[c.present] != 2 || len(got) != 1 {
				t.Errorf("generated %v, want the 2 objects as %s only", got, c.present)
			}
		})
	}
}
