package oracle

import (
	"context"
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/validation/field"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/kubernetes/pkg/api/legacyscheme"
	"k8s.io/kubernetes/pkg/apis/networking"
	_ "k8s.io/kubernetes/pkg/apis/networking/install" // registers networking.k8s.io in legacyscheme
	"k8s.io/kubernetes/pkg/registry/networking/networkpolicy"
)

// defaultNamespace stands in for the release namespace when a namespaced
// object carries none: the API server takes it from the request.
const defaultNamespace = "default"

// strictCodecs decodes like the API server does with fieldValidation=Strict
// (kubectl's default): unknown and duplicate fields are errors.
var strictCodecs = serializer.NewCodecFactory(legacyscheme.Scheme, serializer.EnableStrict)

// ValidateNetworkPolicy checks a networking.k8s.io/v1 NetworkPolicy (YAML or
// JSON) the way kube-apiserver 1.37 checks a create request: strict decoding,
// defaulting and conversion to the internal type, then the registry
// strategy's handwritten and declarative validation. The warnings the API
// server would return are reported as errors too.
func ValidateNetworkPolicy(doc []byte) error {
	decoder := strictCodecs.UniversalDecoder(networking.SchemeGroupVersion)
	obj, gvk, err := decoder.Decode(doc, nil, nil)
	if err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	if gvk.GroupVersion().String() != "networking.k8s.io/v1" || gvk.Kind != "NetworkPolicy" {
		return fmt.Errorf("not a networking.k8s.io/v1 NetworkPolicy: %s", gvk)
	}
	np, ok := obj.(*networking.NetworkPolicy)
	if !ok {
		return fmt.Errorf("decoded to %T, want *networking.NetworkPolicy", obj)
	}
	if np.Namespace == "" {
		np.Namespace = defaultNamespace
	}

	ctx := genericapirequest.WithNamespace(context.Background(), np.Namespace)
	ctx = genericapirequest.WithRequestInfo(ctx, &genericapirequest.RequestInfo{
		IsResourceRequest: true,
		Verb:              "create",
		APIGroup:          "networking.k8s.io",
		APIVersion:        "v1",
		Namespace:         np.Namespace,
		Resource:          "networkpolicies",
		Name:              np.Name,
	})
	networkpolicy.Strategy.PrepareForCreate(ctx, np)
	errs := fieldErrors(rest.ValidateCreate(ctx, np, networkpolicy.Strategy))
	for _, w := range networkpolicy.Strategy.WarningsOnCreate(ctx, np) {
		errs = append(errs, fmt.Errorf("warning: %s", w))
	}
	return errors.Join(errs...)
}

// fieldErrors converts a field.ErrorList for errors.Join.
func fieldErrors(list field.ErrorList) []error {
	var errs []error
	for _, e := range list {
		errs = append(errs, e)
	}
	return errs
}
