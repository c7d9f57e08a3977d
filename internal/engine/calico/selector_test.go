package calico

import (
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestParseSelector evaluates the selector forms of Calico's NetworkPolicy reference
// ("Selectors") on label sets.
func TestParseSelector(t *testing.T) {
	web := map[string]string{"app": "web", "tier": "front", "env": "prod-eu"}
	for _, c := range []struct {
		sel  string
		want bool
	}{
		{"", true},
		{"all()", true},
		{"app == 'web'", true},
		{`app == "db"`, false},
		{"app != 'db'", true},
		{"missing != 'x'", true}, // != matches a missing label
		{"app in {'web', 'db'}", true},
		{"app in {}", false},
		{"missing in {'x'}", false},
		{"app not in {'db'}", true},
		{"missing not in {'x'}", true}, // not in matches a missing label
		{"has(tier)", true},
		{"!has(tier)", false},
		{"! has(missing)", true},
		{"app == 'web' && tier == 'back'", false},
		{"app == 'db' || tier == 'front'", true},
		{"!(app == 'db' || tier == 'back') && has(app)", true},
		{"env starts with 'prod'", true},
		{"env ends with 'eu'", true},
		{"env contains 'd-e'", true},
		{"missing contains ''", false},
		{"kubernetes.io/metadata.name == 'web'", false},
	} {
		e, err := ParseSelector(c.sel)
		if err != nil {
			t.Errorf("%q: %v", c.sel, err)
			continue
		}
		if got := e.Matches(web); got != c.want {
			t.Errorf("%q on %v: %v, want %v", c.sel, web, got, c.want)
		}
	}
}

// TestParseSelectorRefuses lists what the parser refuses: global(), bad syntax.
func TestParseSelectorRefuses(t *testing.T) {
	for _, sel := range []string{"global()", "app ==", "app = 'x'", "app == 'x", "has(app", "app in {'a' 'b'}", "(app == 'x'", "app == 'x' &&", "all"} {
		if _, err := ParseSelector(sel); err == nil {
			t.Errorf("%q: parsed, want an error", sel)
		}
	}
}

// TestRenderedSelectorsParse: every selector CalicoSelector writes parses back and
// selects what the Kubernetes selector it came from selects.
func TestRenderedSelectorsParse(t *testing.T) {
	sel := &metav1.LabelSelector{
		MatchLabels: map[string]string{"app.kubernetes.io/name": "ctrl", "quote": `it's`},
		MatchExpressions: []metav1.LabelSelectorRequirement{
			{Key: "tier", Operator: metav1.LabelSelectorOpIn, Values: []string{"a", "b"}},
			{Key: "env", Operator: metav1.LabelSelectorOpNotIn, Values: []string{"dev"}},
			{Key: "team", Operator: metav1.LabelSelectorOpExists},
			{Key: "legacy", Operator: metav1.LabelSelectorOpDoesNotExist},
		},
	}
	text, err := CalicoSelector(sel)
	if err != nil {
		t.Fatal(err)
	}
	e, err := ParseSelector(text)
	if err != nil {
		t.Fatalf("%s: %v", text, err)
	}
	yes := map[string]string{"app.kubernetes.io/name": "ctrl", "quote": `it's`, "tier": "b", "team": "x"}
	if !e.Matches(yes) {
		t.Errorf("%s does not match %v", text, yes)
	}
	for k, v := range map[string]string{"tier": "c", "env": "dev", "legacy": "1", "quote": "its"} {
		no := map[string]string{}
		for kk, vv := range yes {
			no[kk] = vv
		}
		no[k] = v
		if e.Matches(no) {
			t.Errorf("%s matches %v", text, no)
		}
	}
	if !strings.Contains(text, `"it's"`) {
		t.Errorf("%s: want the value with ' quoted by \"", text)
	}
}
