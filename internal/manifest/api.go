package manifest

// The annotations and labels helm-netpol reads or writes: its own API, and the ones of
// Helm and Kubernetes it relies on.
const (
	// OwnPrefix starts every annotation of helm-netpol's own.
	OwnPrefix = "helm-netpol.io/"
	// AnnotationConfig carries a config, on a workload, its pod template or any object.
	AnnotationConfig = "helm-netpol.io/config"
	// AnnotationGeneratedFor marks a generated object with what it was generated for.
	AnnotationGeneratedFor = "helm-netpol.io/generated-for"
	// AnnotationOrigin names, on a Calico rule, the config key the rule comes from.
	AnnotationOrigin = "helm-netpol.io/origin"
	// AnnotationRuleOrigins lists, on a generated object, the config key behind each rule
	// of a dialect whose rules carry no name of their own.
	AnnotationRuleOrigins = "helm-netpol.io/rule-origins"

	// AnnotationHelm4Filename is the annotation Helm 4 uses to map post-rendered documents
	// back to template files.
	AnnotationHelm4Filename = "postrenderer.helm.sh/postrender-filename"
	AnnotationHook          = "helm.sh/hook"
	AnnotationHookWeight    = "helm.sh/hook-weight"
	AnnotationHookDelete    = "helm.sh/hook-delete-policy"
	// HookDeleteBeforeCreate is the hook-delete-policy of a hook's generated policy.
	HookDeleteBeforeCreate = "before-hook-creation"
	// AnnotationPromPort is the pod annotation Prometheus reads a metrics port from.
	AnnotationPromPort = "prometheus.io/port"

	LabelInstance      = "app.kubernetes.io/instance"
	LabelNamespaceName = "kubernetes.io/metadata.name"
	LabelJobName       = "batch.kubernetes.io/job-name"
)

// KRM function support: kustomize and kpt call an exec function with a ResourceList on
// stdin and expect one back.
const (
	ResourceListAPIVersion = "config.kubernetes.io/v1"
	ResourceListKind       = "ResourceList"
)
