package transform

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Annotations and labels the tool reads or writes.
const (
	AnnotationGeneratedFor  = "helm-netpol.io/generated-for"
	AnnotationHook          = "helm.sh/hook"
	AnnotationHookWeight    = "helm.sh/hook-weight"
	AnnotationHookDelete    = "helm.sh/hook-delete-policy"
	AnnotationPromPort      = "prometheus.io/port"
	LabelJobName            = "batch.kubernetes.io/job-name"
	hookDeleteBeforeCreate  = "before-hook-creation"
	portNameWebhook         = "webhook"
	portNameGate            = "gate"
	portNameMetrics         = "metrics"
	portNameHTTPMetrics     = "http-metrics"
	defaultWebhookSvcPort   = 443
	fieldTemplateAnnotation = "spec.template.metadata.annotations"
)

// Object is a Kubernetes object of the stream.
type Object struct {
	Node       *yaml.RNode
	APIVersion string
	Kind       string
	Name       string
	Namespace  string

	// Decoded is, for a stub (a document whose tree was cut down as the stream was read,
	// see Document.slim), what a later stage read of the document before; nil otherwise.
	Decoded any
	// stubAnnotations are a stub's annotations that the run reads: helm.sh/hook if set.
	stubAnnotations map[string]string
}

func newObject(n *yaml.RNode) *Object {
	y := n.YNode()
	if y.Kind != yaml.MappingNode {
		return nil
	}
	o := &Object{Node: n, APIVersion: scalarField(y, "apiVersion"), Kind: scalarField(y, "kind")}
	if meta := mapField(y, "metadata"); meta != nil && meta.Kind == yaml.MappingNode {
		o.Name = scalarField(meta, "name")
		o.Namespace = scalarField(meta, "namespace")
	}
	return o
}

func stringField(n *yaml.RNode, key string) string { return scalarField(n.YNode(), key) }

// scalarField is the value of a mapping's scalar field, "" if there is none.
func scalarField(m *yaml.Node, key string) string {
	v := mapField(m, key)
	if v == nil || v.Kind != yaml.ScalarNode {
		return ""
	}
	return v.Value
}

// mapField finds a mapping's field as kyaml's RNode.Field does (the first key of that value),
// without the two nodes and the pair that Field allocates: newObject runs for every object,
// and again for every generated one.
func mapField(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// ID names the object in messages: "apps/v1 Deployment ns/ctrl".
func (o *Object) ID() string {
	name := o.Name
	if o.Namespace != "" {
		name = o.Namespace + "/" + name
	}
	id := strings.TrimSpace(o.APIVersion + " " + o.Kind)
	if id == "" {
		id = "object"
	}
	return id + " " + name
}

// Ref is the provenance value of a policy generated for this object: "apps/v1/Deployment/ctrl".
func (o *Object) Ref() string { return o.APIVersion + "/" + o.Kind + "/" + o.Name }

// Group is the API group of the object.
func (o *Object) Group() string {
	g, _, found := strings.Cut(o.APIVersion, "/")
	if !found {
		return ""
	}
	return g
}

func (o *Object) annotations() map[string]string {
	if o.Decoded != nil {
		return o.stubAnnotations
	}
	return o.Node.GetAnnotations()
}

// Workload is an object that runs pods.
type Workload struct {
	*Object
	PodLabels      map[string]string
	PodAnnotations map[string]string
	// Selector selects the workload's pods, narrowed by the release label; nil when the
	// workload has nothing to select its pods by.
	Selector    *metav1.LabelSelector
	Ports       []ContainerPort
	ProbePorts  map[string]bool // probe targets, by port name and by number
	HostNetwork bool
	Hook        *Hook
	Release     string // the pods' app.kubernetes.io/instance
}

// ContainerPort is a port a pod declares.
type ContainerPort struct {
	Container string
	Name      string
	Port      int32
	Protocol  corev1.Protocol
}

// Hook is a Helm hook's timing.
type Hook struct {
	Events string
	Weight int
}

var workloadKinds = []string{"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob", "Pod", "Rollout"}

func isWorkloadKind(kind string) bool { return oneOf(kind, workloadKinds) }

// isWorkload tells the workload kinds by group and kind, so a custom resource that happens
// to be called "Deployment" is not mistaken for one.
func (o *Object) isWorkload() bool {
	switch o.Kind {
	case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet":
		return o.Group() == "apps" || o.Group() == "extensions"
	case "Job", "CronJob":
		return o.Group() == "batch"
	case "Pod":
		return o.APIVersion == "v1"
	case "Rollout":
		return o.Group() == "argoproj.io"
	}
	return false
}

// templatePath is where the pod template's metadata sits in the workload.
func (o *Object) templatePath() []string {
	switch o.Kind {
	case "Pod":
		return nil
	case "CronJob":
		return []string{"spec", "jobTemplate", "spec", "template"}
	}
	return []string{"spec", "template"}
}

// metadataPaths are where the object's metadata sits, and a workload's pod template's.
func (o *Object) metadataPaths() [][]string {
	paths := [][]string{{"metadata"}}
	if o.isWorkload() && o.templatePath() != nil {
		paths = append(paths, append(o.templatePath(), "metadata"))
	}
	return paths
}

type workloadShape struct {
	Metadata metav1.ObjectMeta `json:"metadata"`
	Spec     struct {
		Selector    *metav1.LabelSelector   `json:"selector"`
		Template    *corev1.PodTemplateSpec `json:"template"`
		JobTemplate *struct {
			Spec struct {
				Template *corev1.PodTemplateSpec `json:"template"`
			} `json:"spec"`
		} `json:"jobTemplate"`
	} `json:"spec"`
}

// parseWorkload reads what discovery needs from a workload object.
func parseWorkload(o *Object) (*Workload, error) {
	raw, err := nodeJSON(o.Node)
	if err != nil {
		return nil, err
	}
	w := &Workload{Object: o}
	var tpl *corev1.PodTemplateSpec
	var selector *metav1.LabelSelector
	switch o.Kind {
	case "Pod":
		var p corev1.Pod
		if err := json.Unmarshal(raw, &p); err != nil {
			return nil, fmt.Errorf("not a valid Pod: %v", err)
		}
		tpl = &corev1.PodTemplateSpec{ObjectMeta: p.ObjectMeta, Spec: p.Spec}
	default:
		var s workloadShape
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("not a valid %s: %v", o.Kind, err)
		}
		tpl, selector = s.Spec.Template, s.Spec.Selector
		if o.Kind == "CronJob" {
			tpl, selector = nil, nil
			if s.Spec.JobTemplate != nil {
				tpl = s.Spec.JobTemplate.Spec.Template
			}
		}
		if o.Kind == "Job" {
			selector = nil
		}
	}
	if tpl == nil {
		tpl = &corev1.PodTemplateSpec{}
	}
	w.PodLabels = tpl.Labels
	w.PodAnnotations = tpl.Annotations
	w.HostNetwork = tpl.Spec.HostNetwork
	w.Release = tpl.Labels[LabelInstance]
	if selector == nil {
		selector = &metav1.LabelSelector{MatchLabels: copyMap(tpl.Labels)}
		if o.Kind == "Job" && len(tpl.Labels) == 0 && o.Name != "" {
			selector.MatchLabels = map[string]string{LabelJobName: o.Name}
		}
	} else {
		selector = selector.DeepCopy()
	}
	if rel, ok := tpl.Labels[LabelInstance]; ok && !selectsKey(selector, LabelInstance) {
		if selector.MatchLabels == nil {
			selector.MatchLabels = map[string]string{}
		}
		selector.MatchLabels[LabelInstance] = rel
	}
	if selectsSomeLabel(selector) {
		w.Selector = selector
	}
	w.ProbePorts = map[string]bool{}
	containers := append([]corev1.Container{}, tpl.Spec.Containers...)
	for _, c := range tpl.Spec.InitContainers {
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			containers = append(containers, c) // a sidecar serves like a container
		}
	}
	for _, c := range containers {
		for _, p := range c.Ports {
			proto := p.Protocol
			if proto == "" {
				proto = corev1.ProtocolTCP
			}
			w.Ports = append(w.Ports, ContainerPort{Container: c.Name, Name: p.Name, Port: p.ContainerPort, Protocol: proto})
		}
		for _, pr := range []*corev1.Probe{c.LivenessProbe, c.ReadinessProbe, c.StartupProbe} {
			if pr == nil {
				continue
			}
			switch {
			case pr.HTTPGet != nil:
				w.ProbePorts[pr.HTTPGet.Port.String()] = true
			case pr.TCPSocket != nil:
				w.ProbePorts[pr.TCPSocket.Port.String()] = true
			case pr.GRPC != nil:
				w.ProbePorts[strconv.Itoa(int(pr.GRPC.Port))] = true
			}
		}
	}
	if ev, ok := o.annotations()[AnnotationHook]; ok {
		weight, _ := strconv.Atoi(strings.TrimSpace(o.annotations()[AnnotationHookWeight]))
		w.Hook = &Hook{Events: ev, Weight: weight}
	}
	return w, nil
}

// selectorField is the field a workload's pods are selected by, for findings about its
// selector: a Pod's own labels, a Job's or CronJob's pod template labels (their pods are
// selected by those), or spec.selector.
func (w *Workload) selectorField() string {
	switch w.Kind {
	case "Pod":
		return "metadata.labels"
	case "Job":
		return "spec.template.metadata.labels"
	case "CronJob":
		return "spec.jobTemplate.spec.template.metadata.labels"
	}
	return "spec.selector"
}

// selectsSomeLabel tells whether a selector requires some label to be present. One that
// only excludes (NotIn, DoesNotExist) selects every other pod of the namespace, so it is
// treated as no selector at all.
func selectsSomeLabel(s *metav1.LabelSelector) bool {
	if len(s.MatchLabels) > 0 {
		return true
	}
	for _, e := range s.MatchExpressions {
		if e.Operator == metav1.LabelSelectorOpIn || e.Operator == metav1.LabelSelectorOpExists {
			return true
		}
	}
	return false
}

func selectsKey(s *metav1.LabelSelector, key string) bool {
	if _, ok := s.MatchLabels[key]; ok {
		return true
	}
	for _, e := range s.MatchExpressions {
		if e.Key == key {
			return true
		}
	}
	return false
}

func copyMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	c := make(map[string]string, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// matches tells whether the workload's pods match a selector from asSelector.
func (w *Workload) matches(s labels.Selector) bool {
	return s != nil && s.Matches(labels.Set(w.PodLabels))
}

// asSelector converts a label selector, once for many workloads; nil matches nothing.
func asSelector(sel *metav1.LabelSelector) labels.Selector {
	if sel == nil {
		return nil
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return nil
	}
	return s
}

// portByName finds a declared port by name.
func (w *Workload) portByName(name string) *ContainerPort {
	for i := range w.Ports {
		if w.Ports[i].Name == name {
			return &w.Ports[i]
		}
	}
	return nil
}

func (w *Workload) portByNumber(n int32) *ContainerPort {
	for i := range w.Ports {
		if w.Ports[i].Port == n {
			return &w.Ports[i]
		}
	}
	return nil
}

// resolve turns a Service targetPort into the declared container port it reaches.
func (w *Workload) resolve(target intstr.IntOrString) (int32, corev1.Protocol, bool) {
	if target.Type == intstr.String {
		if p := w.portByName(target.StrVal); p != nil {
			return p.Port, p.Protocol, true
		}
		return 0, "", false
	}
	if p := w.portByNumber(target.IntVal); p != nil {
		return p.Port, p.Protocol, true
	}
	return target.IntVal, corev1.ProtocolTCP, target.IntVal > 0
}

// Service is a Service of the stream.
type Service struct {
	*Object
	Spec corev1.ServiceSpec
}

// serviceRef is how webhooks name the Service they call.
type serviceRef struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Port      *int32 `json:"port"`
}

// webhookRefs returns the Services a webhook configuration or a CRD's conversion webhook
// routes through. It reads only those fields, so a large CRD costs a few lookups.
func webhookRefs(o *Object) ([]serviceRef, error) {
	var configs []*yaml.RNode
	switch {
	case o.Group() == "admissionregistration.k8s.io" && (o.Kind == "ValidatingWebhookConfiguration" || o.Kind == "MutatingWebhookConfiguration"):
		webhooks, err := o.Node.Pipe(yaml.Lookup("webhooks"))
		if err != nil || webhooks == nil {
			return nil, err
		}
		items, err := webhooks.Elements()
		if err != nil {
			return nil, fmt.Errorf("webhooks: %v", err)
		}
		for _, wh := range items {
			if cc := wh.Field("clientConfig"); cc != nil { // one without calls no Service
				configs = append(configs, cc.Value)
			}
		}
	case o.Group() == "apiextensions.k8s.io" && o.Kind == "CustomResourceDefinition":
		cc, err := o.Node.Pipe(yaml.Lookup("spec", "conversion", "webhook", "clientConfig"))
		if err != nil || cc == nil {
			return nil, err
		}
		configs = append(configs, cc)
	default:
		return nil, nil
	}
	var refs []serviceRef
	for _, cc := range configs {
		if cc == nil {
			continue
		}
		svc := cc.Field("service")
		if svc == nil {
			continue
		}
		raw, err := nodeJSON(svc.Value)
		if err != nil {
			return nil, err
		}
		var ref serviceRef
		if err := json.Unmarshal(raw, &ref); err != nil {
			return nil, fmt.Errorf("clientConfig.service: %v", err)
		}
		refs = append(refs, ref)
	}
	return refs, nil
}

// sameNamespace compares namespaces where an empty one is the release namespace.
func sameNamespace(a, b, release string) bool {
	if a == "" {
		a = release
	}
	if b == "" {
		b = release
	}
	return a == "" || b == "" || a == b
}

// sortedPorts returns ports ordered by number then protocol.
func sortedPorts(ports []ContainerPort) []ContainerPort {
	out := append([]ContainerPort(nil), ports...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Port != out[j].Port {
			return out[i].Port < out[j].Port
		}
		return out[i].Protocol < out[j].Protocol
	})
	return out
}

// chartPolicy is a NetworkPolicy the chart renders itself.
type chartPolicy struct {
	*Object
	Policy networkingv1.NetworkPolicy
}
