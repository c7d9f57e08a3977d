package transform

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// renderer turns an engine-agnostic policy into a typed object of one dialect, marshalled
// with sigs.k8s.io/yaml. meta carries the name, namespace and annotations to use;
// cluster-scoped dialects move the namespace into the name and the subject.
type renderer func(p *Policy, meta metav1.ObjectMeta) (any, error)

// renderers maps each engine to its dialect.
var renderers = map[Engine]renderer{
	EngineKubernetes: renderKubernetes,
}
