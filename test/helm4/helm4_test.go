// Package helm4 runs helm-netpol inside the Helm 4 SDK (helm.sh/helm/v4), as a Go program
// embedding Helm would: transform.Process behind Helm 4's postrenderer.PostRenderer
// interface, for each post-render strategy Helm 4 offers that shows hooks to the
// post-renderer. It is a module of its own so the product's go.mod never requires Helm 4.
package helm4

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/action"
	chartcommon "helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/loader"
	"helm.sh/helm/v4/pkg/postrenderer"
	release "helm.sh/helm/v4/pkg/release/v1"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/helm-netpol/helm-netpol/transform"
)

const (
	chartDir    = "../../fixtures/charts/controller"
	releaseName = "ctrl"
	namespace   = "ctrl-system"

	deploymentRef = "apps/v1/Deployment/ctrl-system/ctrl-controller"
	hookJobRef    = "batch/v1/Job/ctrl-system/ctrl-controller-preflight"
	releaseRef    = "release/ctrl-system/ctrl"

	// Helm 4's own bookkeeping annotation between its render and the post-renderer.
	filenameAnnotation = "postrenderer.helm.sh/postrender-filename"
)

// postRenderer is helm-netpol behind Helm 4's post-renderer interface. It keeps every
// stream it was given, to tell how often Helm ran it and with what.
type postRenderer struct {
	opts   transform.Options
	inputs []string
}

var _ postrenderer.PostRenderer = (*postRenderer)(nil)

func (p *postRenderer) Run(in *bytes.Buffer) (*bytes.Buffer, error) {
	p.inputs = append(p.inputs, in.String())
	out, _, err := transform.Process(in.Bytes(), p.opts)
	if err != nil {
		return nil, err
	}
	return bytes.NewBuffer(out), nil
}

// install renders the fixture chart with Helm 4's install action, client only and dry
// run (what `helm template` does), with helm-netpol as the post-renderer.
func install(t *testing.T, strategy action.PostRenderStrategy, values map[string]any) (*release.Release, *postRenderer) {
	t.Helper()
	chrt, err := loader.Load(chartDir)
	if err != nil {
		t.Fatal(err)
	}
	pr := &postRenderer{}
	inst := action.NewInstall(action.NewConfiguration())
	inst.DryRunStrategy = action.DryRunClient
	inst.ReleaseName = releaseName
	inst.Namespace = namespace
	inst.KubeVersion = &chartcommon.KubeVersion{Version: "v1.37.0", Major: "1", Minor: "37"}
	inst.PostRenderer = pr
	inst.PostRenderStrategy = strategy
	r, err := inst.Run(chrt, values)
	if err != nil {
		for i, in := range pr.inputs {
			t.Logf("post-renderer input %d:\n%s", i+1, in)
		}
		t.Fatalf("install with the %q strategy: %v", strategy, err)
	}
	rel, ok := r.(*release.Release)
	if !ok {
		t.Fatalf("install returned a %T, want a *release.Release", r)
	}
	return rel, pr
}

// object is one document of the release: from its manifest, or one of its hooks.
type object struct {
	node   *yaml.RNode
	hook   *release.Hook // nil for the release manifest
	source string
}

func (o object) id() string {
	return fmt.Sprintf("%s %s %s/%s", o.node.GetApiVersion(), o.node.GetKind(), o.node.GetNamespace(), o.node.GetName())
}

func (o object) where() string {
	if o.hook != nil {
		return "hook " + o.source
	}
	return "manifest " + o.source
}

// objects lists every object Helm would create: the release manifest, then the hooks.
func objects(t *testing.T, rel *release.Release) []object {
	t.Helper()
	var objs []object
	add := func(text, source string, hook *release.Hook) {
		nodes, err := kio.ParseAll(text)
		if err != nil {
			t.Fatalf("%s: %v\n%s", source, err, text)
		}
		for _, n := range nodes {
			objs = append(objs, object{node: n, hook: hook, source: source})
		}
	}
	for _, doc := range strings.Split(rel.Manifest, "\n---\n") {
		source := "?"
		for _, line := range strings.Split(doc, "\n") {
			if s, ok := strings.CutPrefix(line, "# Source: "); ok {
				source = s
				break
			}
		}
		if strings.TrimSpace(strings.TrimPrefix(doc, "---")) != "" {
			add(doc, source, nil)
		}
	}
	for _, h := range rel.Hooks {
		add(h.Manifest, h.Path, h)
	}
	return objs
}

func TestHelm4PostRenderStrategies(t *testing.T) {
	values := map[string]any{
		"hookJob": map[string]any{"enabled": true},
		"podAnnotations": map[string]any{
			transform.AnnotationConfig: "networkPolicy: {enabled: true, defaultDeny: {enabled: true}}\n",
		},
	}
	for _, tc := range []struct {
		strategy action.PostRenderStrategy
		runs     int // how often Helm runs the post-renderer
	}{
		{action.PostRenderStrategyCombined, 1},
		{action.PostRenderStrategySeparate, 2},
	} {
		t.Run(string(tc.strategy), func(t *testing.T) {
			rel, pr := install(t, tc.strategy, values)
			if len(pr.inputs) != tc.runs {
				t.Errorf("Helm ran the post-renderer %d times, want %d", len(pr.inputs), tc.runs)
			}
			objs := objects(t, rel)
			if testing.Verbose() {
				for _, o := range objs {
					t.Logf("%s: %s", o.where(), o.id())
				}
			}
			checkRelease(t, rel, objs)
		})
	}
}

func checkRelease(t *testing.T, rel *release.Release, objs []object) {
	t.Helper()

	// No object twice, across the release manifest and the hooks.
	seen := map[string]string{}
	for _, o := range objs {
		if prev, dup := seen[o.id()]; dup {
			t.Errorf("%s twice: in %s and in %s", o.id(), prev, o.where())
		}
		seen[o.id()] = o.where()
	}

	// Neither the config nor Helm's filename annotation is left anywhere.
	for _, text := range append([]string{rel.Manifest}, hookManifests(rel)...) {
		for _, leak := range []string{transform.AnnotationConfig, filenameAnnotation} {
			if strings.Contains(text, leak) {
				t.Errorf("%s left in the release:\n%s", leak, text)
			}
		}
	}

	generated := map[string][]object{}
	for _, o := range objs {
		if ref, ok := o.node.GetAnnotations()[transform.AnnotationGeneratedFor]; ok {
			generated[ref] = append(generated[ref], o)
		}
	}
	for ref, list := range generated {
		if !slices.Contains([]string{deploymentRef, hookJobRef, releaseRef}, ref) {
			t.Errorf("unexpected generated object for %s: %s in %s", ref, list[0].id(), list[0].where())
		}
	}

	// The Deployment's allowlist: once, in the release manifest, not a hook.
	if allow := one(t, generated, deploymentRef); allow != nil {
		if allow.hook != nil || hasHookAnnotation(allow.node) {
			t.Errorf("the Deployment's allowlist %s is a hook (%s)", allow.id(), allow.where())
		}
		wantKind(t, allow, "NetworkPolicy")
	}

	// The hook Job's allowlist: once, a hook of the same event, weighted before the Job.
	job := find(objs, "Job", "ctrl-controller-preflight")
	if job == nil || job.hook == nil {
		t.Fatalf("the pre-install hook Job ctrl-controller-preflight is not among the release's hooks")
	}
	if allow := one(t, generated, hookJobRef); allow != nil {
		wantKind(t, allow, "NetworkPolicy")
		ann := allow.node.GetAnnotations()
		switch {
		case allow.hook == nil:
			t.Errorf("the hook Job's allowlist %s is in the release manifest, not a hook", allow.id())
		case !slices.Equal(allow.hook.Events, job.hook.Events):
			t.Errorf("the hook Job's allowlist runs on %v, the Job on %v", allow.hook.Events, job.hook.Events)
		case allow.hook.Weight >= job.hook.Weight:
			t.Errorf("the hook Job's allowlist has weight %d, want less than the Job's %d", allow.hook.Weight, job.hook.Weight)
		}
		if ann["helm.sh/hook"] != job.node.GetAnnotations()["helm.sh/hook"] {
			t.Errorf("the hook Job's allowlist has helm.sh/hook %q, the Job %q", ann["helm.sh/hook"], job.node.GetAnnotations()["helm.sh/hook"])
		}
		if w, err := strconv.Atoi(ann["helm.sh/hook-weight"]); err != nil || w >= job.hook.Weight {
			t.Errorf("the hook Job's allowlist has helm.sh/hook-weight %q, want below %d", ann["helm.sh/hook-weight"], job.hook.Weight)
		}
		if !strings.Contains(ann["helm.sh/hook-delete-policy"], "before-hook-creation") {
			t.Errorf("the hook Job's allowlist has helm.sh/hook-delete-policy %q, want before-hook-creation", ann["helm.sh/hook-delete-policy"])
		}
	}

	// The default-deny: once, in the release manifest, every pod of the namespace.
	if deny := one(t, generated, releaseRef); deny != nil {
		wantKind(t, deny, "NetworkPolicy")
		if deny.hook != nil || hasHookAnnotation(deny.node) {
			t.Errorf("the default-deny %s is a hook (%s)", deny.id(), deny.where())
		}
		sel, err := deny.node.Pipe(yaml.Lookup("spec", "podSelector"))
		if err != nil || sel == nil || len(sel.Content()) != 0 {
			t.Errorf("the default-deny %s does not select every pod: podSelector %v", deny.id(), sel.MustString())
		}
	}
}

// one returns the single object generated for ref, reporting none or several.
func one(t *testing.T, generated map[string][]object, ref string) *object {
	t.Helper()
	list := generated[ref]
	if len(list) != 1 {
		var where []string
		for _, o := range list {
			where = append(where, o.id()+" in "+o.where())
		}
		t.Errorf("%d objects generated for %s, want exactly 1: %v", len(list), ref, where)
		return nil
	}
	return &list[0]
}

func find(objs []object, kind, name string) *object {
	for i := range objs {
		if objs[i].node.GetKind() == kind && objs[i].node.GetName() == name {
			return &objs[i]
		}
	}
	return nil
}

func wantKind(t *testing.T, o *object, kind string) {
	t.Helper()
	if o.node.GetKind() != kind || o.node.GetApiVersion() != "networking.k8s.io/v1" {
		t.Errorf("%s: want a networking.k8s.io/v1 %s", o.id(), kind)
	}
}

func hasHookAnnotation(n *yaml.RNode) bool {
	_, ok := n.GetAnnotations()["helm.sh/hook"]
	return ok
}

func hookManifests(rel *release.Release) []string {
	var out []string
	for _, h := range rel.Hooks {
		out = append(out, h.Manifest)
	}
	return out
}
