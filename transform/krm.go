package transform

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/helm-netpol/helm-netpol/internal/config"
	"github.com/helm-netpol/helm-netpol/internal/findings"
	"github.com/helm-netpol/helm-netpol/internal/manifest"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

func isResourceList(s *manifest.Stream) bool {
	var found *yaml.RNode
	for _, d := range s.Docs {
		switch {
		case d.Node != nil && found == nil:
			found = d.Node
		case d.Node != nil || d.Skipped:
			return false
		}
	}
	return found != nil && manifest.StringField(found, "kind") == manifest.ResourceListKind && manifest.StringField(found, "apiVersion") == manifest.ResourceListAPIVersion
}

// processResourceList runs the filter on a ResourceList's items and writes a ResourceList
// back. A helm-netpol.io/config annotation on the functionConfig (of any kind) is a
// release-wide config. The items keep the annotations kustomize put on them, and no
// index annotation is added.
func processResourceList(input []byte, opts Options, want output) ([]byte, *Result, error) {
	opts.keepText = false // the ResourceList writer encodes the items' trees itself
	var configErrs findings.Errors
	rw := &kio.ByteReadWriter{Reader: bytes.NewReader(input), OmitReaderAnnotations: true, KeepReaderAnnotations: true}
	items, err := rw.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("helm-netpol: ResourceList: %v", err)
	}
	if fc := rw.FunctionConfig; fc != nil {
		if text, ok := fc.GetAnnotations()[manifest.AnnotationConfig]; ok {
			o := manifest.NewObject(fc)
			l, err := config.ParseLayer([]byte(text), config.LevelRelease, "functionConfig "+o.ID(), "annotation "+manifest.AnnotationConfig)
			if err != nil {
				for _, e := range findings.SplitErrors(err) {
					configErrs = append(configErrs, findings.Finding{Severity: findings.SeverityError, Object: "functionConfig " + o.ID(), Where: "annotation " + manifest.AnnotationConfig, What: e.Error()})
				}
				if l == nil {
					return nil, nil, configErrs
				}
				// Fields of the wrong shape are set aside, and the run goes on, to fail
				// with every problem of the config and the items listed at once.
			}
			opts.releaseConfig = l
		}
	}
	opts.Format = manifest.FormatPlain
	var res Result
	out, err := Inject{Options: opts, Result: &res}.Filter(items)
	if configErrs != nil {
		var more findings.Errors
		if !errors.As(err, &more) && err != nil {
			return nil, &res, errors.Join(configErrs, err)
		}
		return nil, &res, append(configErrs, more...)
	}
	if err != nil {
		return nil, &res, err
	}
	if want == generatedOnly {
		out = make([]*yaml.RNode, 0, len(res.Generated))
		for _, g := range res.Generated {
			out = append(out, g.Node)
		}
	}
	var buf bytes.Buffer
	rw.Writer = &buf
	if err := rw.Write(out); err != nil {
		return nil, &res, err
	}
	return buf.Bytes(), &res, nil
}
