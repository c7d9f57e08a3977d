package discover

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/helm-netpol/helm-netpol/internal/findings"
	"github.com/helm-netpol/helm-netpol/internal/manifest"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Port names and defaults discovery reads.
const (
	portNameWebhook         = "webhook"
	portNameGate            = "gate"
	portNameMetrics         = "metrics"
	portNameHTTPMetrics     = "http-metrics"
	defaultWebhookSvcPort   = 443
	fieldTemplateAnnotation = "spec.template.metadata.annotations"
)

// Workload is an object that runs pods.
type Workload struct {
	*manifest.Object
	PodLabels map[string]string
	// PromPort is the pods' Prometheus port annotation, empty when they have none: the
	// one pod annotation discovery reads.
	PromPort string
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

// workloadShape is what discovery reads of a workload: its selector and pod template.
type workloadShape struct {
	Spec struct {
		Selector    *metav1.LabelSelector `json:"selector"`
		Template    *templateShape        `json:"template"`
		JobTemplate *struct {
			Spec struct {
				Template *templateShape `json:"template"`
			} `json:"spec"`
		} `json:"jobTemplate"`
	} `json:"spec"`
}

// templateShape is what discovery reads of a pod template, or of a Pod: its labels and
// annotations, whether it uses the host network, and its containers' ports and probes.
// The rest of the pod spec is the API server's to check. Decoding only this spares every
// run the reflection over the whole pod API (a third of a small chart's post-render).
type templateShape struct {
	Metadata struct {
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations"`
	} `json:"metadata"`
	Spec podSpecShape `json:"spec"`
}

// podSpecShape is what discovery reads of a pod spec.
type podSpecShape struct {
	HostNetwork    bool             `json:"hostNetwork"`
	Containers     []containerShape `json:"containers"`
	InitContainers []containerShape `json:"initContainers"`
}

// containerShape is what discovery reads of a container.
type containerShape struct {
	Name           string                         `json:"name"`
	Ports          []corev1.ContainerPort         `json:"ports"`
	RestartPolicy  *corev1.ContainerRestartPolicy `json:"restartPolicy"`
	LivenessProbe  *probeShape                    `json:"livenessProbe"`
	ReadinessProbe *probeShape                    `json:"readinessProbe"`
	StartupProbe   *probeShape                    `json:"startupProbe"`
}

// probeShape is what discovery reads of a probe: the port it targets.
type probeShape struct {
	HTTPGet *struct {
		Port intstr.IntOrString `json:"port"`
	} `json:"httpGet"`
	TCPSocket *struct {
		Port intstr.IntOrString `json:"port"`
	} `json:"tcpSocket"`
	GRPC *struct {
		Port int32 `json:"port"`
	} `json:"grpc"`
}

func parseWorkload(o *manifest.Object) (*Workload, error) {
	raw, err := manifest.NodeJSON(o.Node)
	if err != nil {
		return nil, err
	}
	tpl, selector, err := podTemplate(o, raw)
	if err != nil {
		return nil, err
	}
	w := &Workload{Object: o}
	w.PodLabels = tpl.Metadata.Labels
	w.PromPort = tpl.Metadata.Annotations[manifest.AnnotationPromPort]
	w.HostNetwork = tpl.Spec.HostNetwork
	w.Release = tpl.Metadata.Labels[manifest.LabelInstance]
	if selector = podSelector(o, tpl, selector); selectsSomeLabel(selector) {
		w.Selector = selector
	}
	w.Ports, w.ProbePorts = podPorts(&tpl.Spec)
	if ev, ok := o.Annotations()[manifest.AnnotationHook]; ok {
		weight, _ := strconv.Atoi(strings.TrimSpace(o.Annotations()[manifest.AnnotationHookWeight]))
		w.Hook = &Hook{Events: ev, Weight: weight}
	}
	return w, nil
}

// podTemplate decodes a workload's pod template (a Pod's own metadata and spec, a
// CronJob's job template's), never nil, and the selector it declares: spec.selector, of
// the kinds whose pods are selected by it.
func podTemplate(o *manifest.Object, raw []byte) (*templateShape, *metav1.LabelSelector, error) {
	var tpl *templateShape
	var selector *metav1.LabelSelector
	switch o.Kind {
	case "Pod":
		tpl = &templateShape{}
		if err := json.Unmarshal(raw, tpl); err != nil {
			return nil, nil, fmt.Errorf("not a valid Pod: %v", err)
		}
	default:
		var s workloadShape
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, nil, fmt.Errorf("not a valid %s: %v", o.Kind, err)
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
		tpl = &templateShape{}
	}
	return tpl, selector, nil
}

// podSelector is the selector of a workload's pods: the one it declares, else
// its pod template's labels (a Job's without any, the label its controller sets), pinned
// to the pods' release where their labels name one.
func podSelector(o *manifest.Object, tpl *templateShape, declared *metav1.LabelSelector) *metav1.LabelSelector {
	selector := declared // decoded for this workload alone: it is not shared
	if declared == nil {
		selector = &metav1.LabelSelector{MatchLabels: CopyMap(tpl.Metadata.Labels)}
		if o.Kind == "Job" && len(tpl.Metadata.Labels) == 0 && o.Name != "" {
			selector.MatchLabels = map[string]string{manifest.LabelJobName: o.Name}
		}
	}
	if rel, ok := tpl.Metadata.Labels[manifest.LabelInstance]; ok && !pinsValue(selector, manifest.LabelInstance, rel) {
		if selector.MatchLabels == nil {
			selector.MatchLabels = map[string]string{}
		}
		if _, set := selector.MatchLabels[manifest.LabelInstance]; !set {
			selector.MatchLabels[manifest.LabelInstance] = rel
		}
	}
	return selector
}

// podPorts reads the ports a pod serves on, of its containers and its sidecars (init
// containers that keep running), and the ports its probes reach, by number or name.
func podPorts(spec *podSpecShape) ([]ContainerPort, map[string]bool) {
	var ports []ContainerPort
	probePorts := map[string]bool{}
	containers := append([]containerShape{}, spec.Containers...)
	for _, c := range spec.InitContainers {
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
			ports = append(ports, ContainerPort{Container: c.Name, Name: p.Name, Port: p.ContainerPort, Protocol: proto})
		}
		for _, pr := range []*probeShape{c.LivenessProbe, c.ReadinessProbe, c.StartupProbe} {
			if pr == nil {
				continue
			}
			switch {
			case pr.HTTPGet != nil:
				probePorts[pr.HTTPGet.Port.String()] = true
			case pr.TCPSocket != nil:
				probePorts[pr.TCPSocket.Port.String()] = true
			case pr.GRPC != nil:
				probePorts[strconv.Itoa(int(pr.GRPC.Port))] = true
			}
		}
	}
	return ports, probePorts
}

// selectorField is the field a workload's pods are selected by, for findings about its
// selector: a Pod's own labels, a Job's or CronJob's pod template labels (their pods are
// selected by those), or spec.selector.
func (w *Workload) SelectorField() string {
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

// pinsValue tells whether a selector selects only pods whose label key has the value:
// matchLabels says so, or an In expression with that one value. Exists, NotIn, or In with
// other values beside it, let other releases' pods through.
func pinsValue(s *metav1.LabelSelector, key, value string) bool {
	if v, ok := s.MatchLabels[key]; ok && v == value {
		return true
	}
	for _, e := range s.MatchExpressions {
		if e.Key == key && e.Operator == metav1.LabelSelectorOpIn && len(e.Values) > 0 && !slices.ContainsFunc(e.Values, func(v string) bool { return v != value }) {
			return true
		}
	}
	return false
}

func CopyMap(m map[string]string) map[string]string {
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
func (w *Workload) Matches(s labels.Selector) bool {
	return s != nil && s.Matches(labels.Set(w.PodLabels))
}

// asSelector converts a label selector, once for many workloads; nil matches nothing.
func AsSelector(sel *metav1.LabelSelector) labels.Selector {
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
func (w *Workload) Resolve(target intstr.IntOrString) (int32, corev1.Protocol, bool) {
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
	*manifest.Object
	Spec ServiceSpec
}

// ServiceSpec is what discovery reads of a Service: the pods it selects and its ports.
// The rest is the API server's to check, and a stream of thousands of releases keeps one
// of these for each of its Services.
type ServiceSpec struct {
	Selector map[string]string `json:"selector"`
	Ports    []ServicePort     `json:"ports"`
}

// ServicePort is what discovery reads of a Service's port: the port and where it goes.
type ServicePort struct {
	Port       int32              `json:"port"`
	TargetPort intstr.IntOrString `json:"targetPort"`
}

// serviceRef is how webhooks and APIServices name the Service they call.
type serviceRef struct {
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	Port      *int32 `json:"port"`
	// Caller names what calls the Service, where discovery reports it: an APIService.
	Caller string `json:"-"`
}

// webhookRefs returns the Services a webhook configuration or a CRD's conversion webhook
// routes through. It reads only those fields, so a large CRD costs a few lookups.
func webhookRefs(o *manifest.Object) ([]serviceRef, error) {
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
		raw, err := manifest.NodeJSON(svc.Value)
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

// apiServiceRef returns the Service an apiregistration.k8s.io APIService routes to: the
// kube-apiserver proxies the API's requests there. An APIService without spec.service is
// served by the apiserver itself and calls no Service.
func apiServiceRef(o *manifest.Object) ([]serviceRef, error) {
	svc, err := o.Node.Pipe(yaml.Lookup("spec", "service"))
	if err != nil || svc == nil || yaml.IsMissingOrNull(svc) {
		return nil, err
	}
	raw, err := manifest.NodeJSON(svc)
	if err != nil {
		return nil, err
	}
	ref := serviceRef{Caller: o.Name}
	if err := json.Unmarshal(raw, &ref); err != nil {
		return nil, fmt.Errorf("spec.service: %v", err)
	}
	return []serviceRef{ref}, nil
}

// sameNamespace compares namespaces where an empty one is the release namespace.
func SameNamespace(a, b, release string) bool {
	if a == "" {
		a = release
	}
	if b == "" {
		b = release
	}
	return a == "" || b == "" || a == b
}

// sortedPorts returns ports ordered by number then protocol.
func SortedPorts(ports []ContainerPort) []ContainerPort {
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
type ChartPolicy struct {
	*manifest.Object
	Policy networkingv1.NetworkPolicy
}

// discover reads the workloads, Services and webhooks of the stream into d, and returns
// the chart's own NetworkPolicies. What a stub stands for was decoded as the stream was
// read (see document.slim); the rest is decoded here, the same way.
func DiscoverAll(d *Discovery, objects []*manifest.Object, fs *findings.List) []*ChartPolicy {
	var chartPolicies []*ChartPolicy
	for _, o := range objects {
		dec, _ := o.Decoded.(*decoded)
		if dec == nil {
			dec = decodeObject(o)
		}
		if dec.err != nil {
			fs.Errorf(o.ID(), dec.where, "%s", dec.err.Error())
			continue
		}
		switch {
		case dec.workload != nil:
			w := *dec.workload
			w.Object = o
			d.Workloads = append(d.Workloads, &w)
		case dec.service != nil:
			d.services = append(d.services, &Service{Object: o, Spec: *dec.service})
		case dec.policy != nil:
			chartPolicies = append(chartPolicies, &ChartPolicy{Object: o, Policy: *dec.policy})
		default:
			d.webhooks = append(d.webhooks, dec.webhooks...)
			d.apis = append(d.apis, dec.apis...)
		}
	}
	return chartPolicies
}

// decoded is what discovery reads of an object: a workload, a Service's spec, a chart's
// NetworkPolicy, or the Services a webhook or an APIService calls; or why it could not be
// read. For a stub, it also holds what the filter reads of the object itself.
type decoded struct {
	workload *Workload
	service  *ServiceSpec
	policy   *networkingv1.NetworkPolicy
	webhooks []serviceRef
	apis     []serviceRef
	err      error
	where    string // the field err is about, for the finding
}

// decodeObject reads what discovery needs of an object, by its kind.
func decodeObject(o *manifest.Object) *decoded {
	dec := &decoded{}
	switch {
	case o.IsWorkload():
		dec.workload, dec.err = parseWorkload(o)
	case o.APIVersion == "v1" && o.Kind == "Service":
		dec.service = &ServiceSpec{}
		if err := manifest.DecodeSpec(o, dec.service); err != nil {
			dec.err, dec.where = fmt.Errorf("not a valid Service: %w", err), "spec"
		}
	case o.Kind == "NetworkPolicy" && o.APIVersion == "networking.k8s.io/v1":
		// An allowlist or default-deny an earlier run generated is not the chart's; a
		// rewrite's translation is read as a chart policy all the same, since a forged mark
		// must not exempt a policy from the widening check.
		if m, ok := manifest.ParseMarker(o.Annotations()[manifest.AnnotationGeneratedFor]); ok && (m.Release != "" || manifest.IsWorkloadKind(m.Kind)) {
			return dec
		}
		dec.policy = &networkingv1.NetworkPolicy{}
		if err := manifest.DecodeJSON(o, dec.policy); err != nil {
			dec.err, dec.where = fmt.Errorf("not a valid NetworkPolicy: %w", err), "spec"
		}
	case o.Group() == "apiregistration.k8s.io" && o.Kind == "APIService":
		dec.apis, dec.err = apiServiceRef(o)
	default:
		dec.webhooks, dec.err = webhookRefs(o)
	}
	return dec
}
