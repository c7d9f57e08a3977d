package oracle

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"

	"k8s.io/apiextensions-apiserver/pkg/apihelpers"
	apiextensionsinternal "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsinstall "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/install"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	schemaobjectmeta "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/objectmeta"
	structuralpruning "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/pruning"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apiextensions-apiserver/pkg/registry/customresource"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured/unstructuredscheme"
	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
	"sigs.k8s.io/yaml"
)

// CRDValidator validates custom resources against a set of CRDs the way
// apiextensions-apiserver 1.37 validates a create request with
// fieldValidation=Strict.
type CRDValidator struct {
	versions map[schema.GroupVersionKind][]*crdVersion
}

// crdVersion is one served version of one CRD file.
type crdVersion struct {
	file       string // base name of the CRD file, to say which CRD failed
	namespaced bool
	hasStatus  bool // status subresource: create drops status
	structural *structuralschema.Structural
	pruning    bool // false when the CRD preserves unknown fields
	strategy   rest.RESTCreateStrategy
}

// LoadCRDs reads every *.yaml file in dir. A file may hold several CRDs. Two
// CRDs may serve the same kind (e.g. the standard and experimental channels of
// network-policy-api): an object must then pass both.
func LoadCRDs(dir string) (*CRDValidator, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("no CRD files in %s", dir)
	}
	v := &CRDValidator{versions: map[schema.GroupVersionKind][]*crdVersion{}}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, err
		}
		docs, err := splitYAML(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		for _, doc := range docs {
			crd, err := decodeCRD(doc)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", file, err)
			}
			if err := v.add(filepath.Base(file), crd); err != nil {
				return nil, fmt.Errorf("%s: %s: %w", file, crd.Name, err)
			}
		}
	}
	return v, nil
}

var crdCodecs = func() serializer.CodecFactory {
	scheme := k8sruntime.NewScheme()
	apiextensionsinstall.Install(scheme)
	return serializer.NewCodecFactory(scheme, serializer.EnableStrict)
}()

// decodeCRD decodes an apiextensions.k8s.io/v1 CRD and applies the defaults
// the API server applies when the CRD is created.
func decodeCRD(doc []byte) (*apiextensionsv1.CustomResourceDefinition, error) {
	obj, _, err := crdCodecs.UniversalDecoder(apiextensionsv1.SchemeGroupVersion).Decode(doc, nil, nil)
	if err != nil {
		return nil, err
	}
	crd, ok := obj.(*apiextensionsv1.CustomResourceDefinition)
	if !ok {
		return nil, fmt.Errorf("got %T, want a CustomResourceDefinition", obj)
	}
	return crd, nil
}

// add registers every served version of crd, building its schemas the way
// the apiextensions-apiserver's CRD handler does when it starts serving.
func (v *CRDValidator) add(file string, crd *apiextensionsv1.CustomResourceDefinition) error {
	for _, ver := range crd.Spec.Versions {
		if !ver.Served {
			continue
		}
		gvk := schema.GroupVersionKind{Group: crd.Spec.Group, Version: ver.Name, Kind: crd.Spec.Names.Kind}

		val, err := apihelpers.GetSchemaForVersion(crd, ver.Name)
		if err != nil {
			return err
		}
		if val == nil {
			return fmt.Errorf("version %s has no schema", ver.Name)
		}
		internal := &apiextensionsinternal.CustomResourceValidation{}
		if err := apiextensionsv1.Convert_v1_CustomResourceValidation_To_apiextensions_CustomResourceValidation(val, internal, nil); err != nil {
			return fmt.Errorf("version %s: %w", ver.Name, err)
		}
		structural, err := structuralschema.NewStructural(internal.OpenAPIV3Schema)
		if err != nil {
			return fmt.Errorf("version %s: schema is not structural: %w", ver.Name, err)
		}
		structural = structural.DeepCopy()
		if err := structuraldefaulting.PruneDefaults(structural); err != nil {
			return fmt.Errorf("version %s: %w", ver.Name, err)
		}
		validator, _, err := apiservervalidation.NewSchemaValidator(internal.OpenAPIV3Schema)
		if err != nil {
			return fmt.Errorf("version %s: %w", ver.Name, err)
		}

		subresources, err := apihelpers.GetSubresourcesForVersion(crd, ver.Name)
		if err != nil {
			return err
		}
		var (
			statusSpec      *apiextensionsinternal.CustomResourceSubresourceStatus
			statusValidator apiservervalidation.SchemaValidator
			scaleSpec       *apiextensionsinternal.CustomResourceSubresourceScale
		)
		if subresources != nil && subresources.Status != nil {
			statusSpec = &apiextensionsinternal.CustomResourceSubresourceStatus{}
			if err := apiextensionsv1.Convert_v1_CustomResourceSubresourceStatus_To_apiextensions_CustomResourceSubresourceStatus(subresources.Status, statusSpec, nil); err != nil {
				return err
			}
			if s, ok := internal.OpenAPIV3Schema.Properties["status"]; ok {
				if statusValidator, _, err = apiservervalidation.NewSchemaValidator(&s); err != nil {
					return err
				}
			}
		}
		if subresources != nil && subresources.Scale != nil {
			scaleSpec = &apiextensionsinternal.CustomResourceSubresourceScale{}
			if err := apiextensionsv1.Convert_v1_CustomResourceSubresourceScale_To_apiextensions_CustomResourceSubresourceScale(subresources.Scale, scaleSpec, nil); err != nil {
				return err
			}
		}

		namespaced := crd.Spec.Scope == apiextensionsv1.NamespaceScoped
		v.versions[gvk] = append(v.versions[gvk], &crdVersion{
			file:       file,
			namespaced: namespaced,
			hasStatus:  statusSpec != nil,
			structural: structural,
			pruning:    !crd.Spec.PreserveUnknownFields,
			strategy: customresource.NewStrategy(unstructuredscheme.NewUnstructuredObjectTyper(), namespaced, gvk,
				validator, statusValidator, structural, statusSpec, scaleSpec, ver.SelectableFields),
		})
	}
	return nil
}

// Validate checks one custom resource (YAML or JSON) against every CRD that
// serves its apiVersion and kind.
func (v *CRDValidator) Validate(doc []byte) error {
	data, err := yaml.YAMLToJSONStrict(doc)
	if err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	obj, _, err := unstructured.UnstructuredJSONScheme.Decode(data, nil, nil)
	if err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return fmt.Errorf("decode: got %T, want a single object", obj)
	}
	gvk := u.GroupVersionKind()
	versions := v.versions[gvk]
	if len(versions) == 0 {
		return fmt.Errorf("no CRD serves %s", gvk)
	}
	var errs []error
	for _, cv := range versions {
		if err := cv.validate(u.DeepCopy()); err != nil {
			errs = append(errs, fmt.Errorf("%s:\n%w", cv.file, err))
		}
	}
	return errors.Join(errs...)
}

// validate follows the CRD handler's create path: decoding with pruning and
// metadata coercion (an unknown field is an error, as with
// fieldValidation=Strict), defaulting, namespace handling, the strategy's
// PrepareForCreate, then rest.ValidateCreate, which runs the OpenAPI schema
// validation, list-type and embedded-object checks, x-kubernetes-validations
// CEL rules and metadata (name) validation.
func (cv *crdVersion) validate(u *unstructured.Unstructured) error {
	unknown, err := cv.prune(u)
	if err != nil {
		return err
	}
	var errs []error
	for _, path := range unknown {
		errs = append(errs, fmt.Errorf("%s: unknown field: the API server would prune it, or reject the object with fieldValidation=Strict", path))
	}
	structuraldefaulting.Default(u.Object, cv.structural)

	switch {
	case cv.namespaced && u.GetNamespace() == "":
		u.SetNamespace(defaultNamespace)
	case !cv.namespaced && u.GetNamespace() != "":
		errs = append(errs, errors.New("metadata.namespace: the kind is cluster-scoped: the API server drops the namespace"))
		u.SetNamespace("")
	}
	if _, ok := u.Object["status"]; ok && cv.hasStatus {
		errs = append(errs, errors.New("status: the status subresource owns it: the API server drops it on create"))
	}

	ctx := genericapirequest.WithNamespace(context.Background(), u.GetNamespace())
	cv.strategy.PrepareForCreate(ctx, u)
	errs = append(errs, fieldErrors(rest.ValidateCreate(ctx, u, cv.strategy))...)
	for _, w := range cv.strategy.WarningsOnCreate(ctx, u) {
		errs = append(errs, fmt.Errorf("warning: %s", w))
	}
	return errors.Join(errs...)
}

// prune does what the CRD handler's schema coercer does on decode and returns
// the paths of the fields it dropped.
func (cv *crdVersion) prune(u *unstructured.Unstructured) ([]string, error) {
	kind, apiVersion := u.GetKind(), u.GetAPIVersion()
	meta, foundMeta, unknown, err := schemaobjectmeta.GetObjectMetaWithOptions(u.Object, schemaobjectmeta.ObjectMetaOptions{ReturnUnknownFieldPaths: true})
	if err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	if cv.pruning {
		opts := structuralschema.UnknownFieldPathOptions{TrackUnknownFieldPaths: true}
		unknown = append(unknown, structuralpruning.PruneWithOptions(u.Object, cv.structural, true, opts)...)
		structuraldefaulting.PruneNonNullableNullsWithoutDefaults(u.Object, cv.structural)
	}
	// CoerceWithOptions returns a *field.Error: keep it out of err, where a
	// nil pointer would be a non-nil error.
	coerceErr, paths := schemaobjectmeta.CoerceWithOptions(nil, u.Object, cv.structural, false, schemaobjectmeta.CoerceOptions{ReturnUnknownFieldPaths: true})
	if coerceErr != nil {
		return nil, coerceErr
	}
	unknown = append(unknown, paths...)

	u.SetKind(kind)
	u.SetAPIVersion(apiVersion)
	if foundMeta {
		if err := schemaobjectmeta.SetObjectMeta(u.Object, meta); err != nil {
			return nil, err
		}
	}
	sort.Strings(unknown)
	return unknown, nil
}

var defaultCRDs = sync.OnceValues(func() (*CRDValidator, error) {
	return LoadCRDs(filepath.Join(moduleDir(), "..", "fixtures", "crds"))
})

// ValidateCRDObject validates a custom resource against the CRDs in the
// repository's fixtures/crds.
func ValidateCRDObject(doc []byte) error {
	v, err := defaultCRDs()
	if err != nil {
		return fmt.Errorf("load CRDs: %w", err)
	}
	return v.Validate(doc)
}

// moduleDir is the directory of this module's source.
func moduleDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(file)
}

// splitYAML splits a YAML stream into its non-empty documents.
func splitYAML(data []byte) ([][]byte, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var docs [][]byte
	for {
		doc, err := r.Read()
		if err == io.EOF {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		if len(bytes.TrimSpace(doc)) > 0 {
			docs = append(docs, doc)
		}
	}
}
