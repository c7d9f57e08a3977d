package transform

import (
	"fmt"
	"strings"

	"github.com/helm-netpol/helm-netpol/internal/manifest"
	"sigs.k8s.io/kustomize/kyaml/yaml"
	sigsyaml "sigs.k8s.io/yaml"
)

// fluxPostRenderers is a HelmRelease's spec.postRenderers.
type fluxPostRenderers struct {
	PostRenderers []fluxPostRenderer `json:"postRenderers"`
}

type fluxPostRenderer struct {
	Kustomize fluxKustomize `json:"kustomize"`
}

type fluxKustomize struct {
	Patches []fluxPatch `json:"patches"`
}

type fluxPatch struct {
	Target fluxTarget `json:"target"`
	Patch  string     `json:"patch"`
}

type fluxTarget struct {
	Group     string `json:"group,omitempty"`
	Version   string `json:"version"`
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}

type jsonPatchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value,omitempty"`
}

func targetOf(o *manifest.Object) fluxTarget {
	group, version, found := strings.Cut(o.APIVersion, "/")
	if !found {
		group, version = "", o.APIVersion
	}
	return fluxTarget{Group: group, Version: version, Kind: o.Kind, Name: o.Name, Namespace: o.Namespace}
}

// FluxPatches returns a HelmRelease spec.postRenderers block of kustomize patches doing what
// patches can of the post-render of input.
func FluxPatches(input []byte, opts Options) ([]byte, *Result, error) {
	in, err := inject(input, opts, generatedOnly)
	res := in.res
	if err != nil {
		return nil, res, err
	}
	if res == nil {
		return nil, nil, fmt.Errorf("helm-netpol: stdin: flux-patches reads a manifest stream, not a ResourceList")
	}
	var patches []fluxPatch
	for _, rm := range res.Removed {
		p, err := jsonPatch(rm.Object, []jsonPatchOp{{Op: "remove", Path: rm.Pointer}})
		if err != nil {
			return nil, res, err
		}
		patches = append(patches, p)
	}
	replacement := map[string]*yaml.RNode{}
	for _, g := range res.Generated {
		replacement[g.For] = g.Node
	}
	for _, o := range res.Replaced {
		n := replacement[o.Ref()]
		if n != nil && manifest.StringField(n, "apiVersion") == o.APIVersion && manifest.StringField(n, "kind") == o.Kind {
			spec, err := n.Pipe(yaml.Lookup("spec"))
			if err != nil {
				return nil, res, err
			}
			var value any
			if err := spec.YNode().Decode(&value); err != nil {
				return nil, res, err
			}
			p, err := jsonPatch(o, []jsonPatchOp{
				{Op: "replace", Path: "/spec", Value: value},
				{Op: "add", Path: "/metadata/annotations", Value: n.GetAnnotations()},
			})
			if err != nil {
				return nil, res, err
			}
			patches = append(patches, p)
			continue
		}
		// Another engine: the chart's policy goes, its translation comes with the policies.
		del, err := sigsyaml.Marshal(map[string]any{
			"apiVersion": o.APIVersion,
			"kind":       o.Kind,
			"metadata":   map[string]any{"name": o.Name, "namespace": o.Namespace},
			"$patch":     "delete",
		})
		if err != nil {
			return nil, res, err
		}
		patches = append(patches, fluxPatch{Target: targetOf(o), Patch: string(del)})
	}
	out, err := sigsyaml.Marshal(fluxPostRenderers{PostRenderers: []fluxPostRenderer{{Kustomize: fluxKustomize{Patches: patches}}}})
	if err != nil {
		return nil, res, err
	}
	header := "# HelmRelease spec.postRenderers from helm-netpol flux-patches: put it under the\n" +
		"# HelmRelease's spec. Patches cannot add objects: apply the output of\n" +
		"# `helm-netpol policies` with a Flux Kustomization beside it (docs/flux.md).\n"
	return append([]byte(header), out...), res, nil
}

func jsonPatch(o *manifest.Object, ops []jsonPatchOp) (fluxPatch, error) {
	b, err := sigsyaml.Marshal(ops)
	if err != nil {
		return fluxPatch{}, err
	}
	return fluxPatch{Target: targetOf(o), Patch: string(b)}, nil
}
