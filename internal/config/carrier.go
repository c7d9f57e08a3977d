package config

import (
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
