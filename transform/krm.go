package transform

import (
	"bytes"
	"errors"
	"fmt"

	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// KRM function support: kustomize and kpt call an exec function with a ResourceList on
// stdin and expect one back.
const (
	resourceListAPIVersion = "config.kubernetes.io/v1"
	resourceListKind       = "ResourceList"
)

func isResourceList(s *Stream) bool {
	var found *yaml.RNode
	for _, d := range s.Docs {
		switch {
		case d.Node != nil && found == nil:
			found = d.Node
		case d.Node != nil || d.skipped:
			return false
		}
	}
	return found != nil && stringField(found, "kind") == resourceListKind && stringField(found, "apiVersion") == resourceListAPIVersion
}

// processResourceList runs the filter on a ResourceList's items and writes a ResourceList
// back. A helm-netpol.io/config annotation on the functionConfig (of any kind) is a
// release-wide config. The items keep the annotations kustomize put on them, and no
// index annotation is added.
func processResourceList(input []byte, opts Options, onlyGenerated bool) ([]byte, *Result, error) {
	opts.keepText = false // the ResourceList writer encodes the items' trees itself
	var configErrs Errors
	rw := &kio.ByteReadWriter{Reader: bytes.NewReader(input), OmitReaderAnnotations: true, KeepReaderAnnotations: true}
	items, err := rw.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("helm-netpol: ResourceList: %v", err)
	}
	if fc := rw.FunctionConfig; fc != nil {
		if text, ok := fc.GetAnnotations()[AnnotationConfig]; ok {
			o := newObject(fc)
			l, err := ParseLayer([]byte(text), LevelRelease, "functionConfig "+o.ID(), "annotation "+AnnotationConfig)
			if err != nil {
				for _, e := range splitErrors(err) {
					configErrs = append(configErrs, Finding{Severity: SeverityError, Object: "functionConfig " + o.ID(), Where: "annotation " + AnnotationConfig, What: e.Error()})
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
	opts.Format = FormatPlain
	var res Result
	out, err := Inject{Options: opts, Result: &res}.Filter(items)
	if configErrs != nil {
		var more Errors
		if !errors.As(err, &more) && err != nil {
			return nil, &res, errors.Join(configErrs, err)
		}
		return nil, &res, append(configErrs, more...)
	}
	if err != nil {
		return nil, &res, err
	}
	if onlyGenerated {
		out = res.Generated
	}
	var buf bytes.Buffer
	rw.Writer = &buf
	if err := rw.Write(out); err != nil {
		return nil, &res, err
	}
	return buf.Bytes(), &res, nil
}
