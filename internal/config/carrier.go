package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/helm-netpol/helm-netpol/internal/findings"
	"github.com/helm-netpol/helm-netpol/internal/manifest"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// readCarrier reads the config annotations an object carries and removes them from it,
// returning the layers and, as JSON pointers, where the annotations were.
func ReadCarrier(o *manifest.Object, fs *findings.List) (layers []*Layer, removed []string) {
	level := LevelRelease
	if o.IsWorkload() {
		level = LevelWorkload
	}
	read := func(path []string, where string) {
		meta, err := o.Node.Pipe(yaml.Lookup(append(path, "metadata", "annotations")...))
		if err != nil || meta == nil || meta.YNode().Kind != yaml.MappingNode {
			return
		}
		f := meta.Field(manifest.AnnotationConfig)
		if f == nil {
			return
		}
		text := f.Value.YNode().Value
		if _, err := meta.Pipe(yaml.Clear(manifest.AnnotationConfig)); err != nil {
			fs.Errorf(o.ID(), where, "%s", err.Error())
			return
		}
		if len(meta.Content()) == 0 {
			parent, _ := o.Node.Pipe(yaml.Lookup(append(path, "metadata")...))
			if parent != nil {
				_, _ = parent.Pipe(yaml.Clear("annotations"))
			}
		}
		pointer := "/" + strings.Join(append(append([]string{}, path...), "metadata", "annotations", strings.ReplaceAll(manifest.AnnotationConfig, "/", "~1")), "/")
		removed = append(removed, pointer)
		l, err := ParseLayer([]byte(text), level, o.ID(), where)
		if err != nil {
			for _, e := range findings.SplitErrors(err) {
				fs.Errorf(o.ID(), where, "%s", e.Error())
			}
		}
		if l != nil {
			// Also with fields of the wrong shape, taken out: the run fails on those, and
			// what the rest means is checked all the same, so that one run reports every
			// problem of the config.
			layers = append(layers, l)
		}
	}
	read(nil, "annotation "+manifest.AnnotationConfig)
	if o.IsWorkload() && o.TemplatePath() != nil {
		read(o.TemplatePath(), strings.Join(o.TemplatePath(), ".")+".metadata.annotations["+manifest.AnnotationConfig+"]")
	}
	return layers, removed
}

// ownAnnotations are the annotations of helm-netpol's own, and the places it reads each.
var ownAnnotations = []string{manifest.AnnotationConfig, manifest.AnnotationGeneratedFor, manifest.AnnotationRuleOrigins, manifest.AnnotationOrigin}

// calicoRuleAnnotations is where a Calico rule of a generated object carries its origin.
var calicoRuleAnnotations = regexp.MustCompile(`^spec\.(ingress|egress)\[[0-9]+\]\.metadata\.annotations$`)

// readsOwnKey tells whether helm-netpol reads a key of its own where it is.
func readsOwnKey(o *manifest.Object, k manifest.OwnKey) bool {
	switch k.Key {
	case manifest.AnnotationConfig:
		return k.Path == "metadata.annotations" || o.IsWorkload() && o.TemplatePath() != nil && k.Path == strings.Join(o.TemplatePath(), ".")+".metadata.annotations"
	case manifest.AnnotationGeneratedFor, manifest.AnnotationRuleOrigins:
		return k.Path == "metadata.annotations" && manifest.GeneratedKind(o.APIVersion, o.Kind)
	case manifest.AnnotationOrigin:
		return o.Group() == "projectcalico.org" && manifest.GeneratedKind(o.APIVersion, o.Kind) && calicoRuleAnnotations.MatchString(k.Path)
	}
	return false
}

// configPlaces says where helm-netpol reads a config, for an object's messages.
func configPlaces(o *manifest.Object) string {
	if o.IsWorkload() && o.TemplatePath() != nil {
		return fmt.Sprintf("helm-netpol reads %s in metadata.annotations of any object (release-wide), and in %s.metadata.annotations of a %s (this workload's pods)", manifest.AnnotationConfig, strings.Join(o.TemplatePath(), "."), o.Kind)
	}
	return fmt.Sprintf("helm-netpol reads %s in metadata.annotations of any object (release-wide), and in the pod template's annotations of a workload (spec.template.metadata.annotations; a CronJob's spec.jobTemplate.spec.template.metadata.annotations)", manifest.AnnotationConfig)
}

// CheckOwnKeys refuses every key of helm-netpol's own prefix (helm-netpol.io/, in any
// case) that helm-netpol does not read where it is: an unknown one (helm-netpol.io/configs,
// helm-netpol.io/Config), or a known one in a place that is not read (a config on a
// CronJob's spec.jobTemplate.metadata.annotations, in labels, in a ConfigMap's data).
// Ignored, it would leave the workloads it was meant for without the policy it asks for.
func CheckOwnKeys(o *manifest.Object, fs *findings.List) {
	for _, k := range manifest.OwnKeys(o.Node.YNode()) {
		if readsOwnKey(o, k) {
			continue
		}
		where := k.Path + "[" + k.Key + "]"
		if k.Path == "" {
			where = k.Key
		}
		switch {
		case slices.Contains(ownAnnotations, k.Key) && k.Key != manifest.AnnotationConfig:
			fs.Errorf(o.ID(), where, "helm-netpol writes %s on the policies it generates only (NetworkPolicy, CiliumNetworkPolicy, Calico NetworkPolicy, ClusterNetworkPolicy), and does not read it here: remove it", k.Key)
		case k.Key == manifest.AnnotationConfig:
			fs.Errorf(o.ID(), where, "helm-netpol does not read a config here, so it would be ignored: move it; %s", configPlaces(o))
		default:
			meant := ""
			best := -1
			for _, a := range ownAnnotations {
				if d := editDistance(strings.ToLower(k.Key), a); best < 0 || d < best {
					meant, best = a, d
				}
			}
			hint := ""
			if best <= 3 {
				hint = " (did you mean " + meant + "?)"
			}
			fs.Errorf(o.ID(), where, "not an annotation helm-netpol knows%s, so it would be ignored: %s", hint, configPlaces(o))
		}
	}
}
