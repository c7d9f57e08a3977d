package discover

import (
	"slices"
	"strconv"

	"github.com/helm-netpol/helm-netpol/internal/config"
	"github.com/helm-netpol/helm-netpol/internal/findings"
	"github.com/helm-netpol/helm-netpol/internal/manifest"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
)

// ns is the namespace of an object of the stream: its own, else the release namespace.
func (d *Discovery) NamespaceOf(namespace string) string {
	if namespace == "" {
		return d.Namespace
	}
	return namespace
}

// index files what discovery found by namespace; it runs once discovery is done.
func (d *Discovery) Index() {
	svcNS := func(s *Service) string { return d.NamespaceOf(s.Namespace) }
	d.servicesIn = NewNSIndex(d.services, svcNS).ByPairs(svcNS, SelectorPairs(d.services, svcNS))
	refNS := func(r serviceRef) string { return d.NamespaceOf(r.Namespace) }
	d.webhooksIn = NewNSIndex(d.webhooks, refNS)
	d.apisIn = NewNSIndex(d.apis, refNS)
	wNS := func(w *Workload) string { return d.NamespaceOf(w.Namespace) }
	d.WorkloadsIn = NewNSIndex(d.Workloads, wNS).ByPairs(wNS, func(w *Workload) map[string]string { return w.PodLabels })
}

// webhookPorts returns the container ports a webhook Service chain routes to the workload.
func (d *Discovery) webhookPorts(w *Workload) []RolePort {
	ports, _ := d.routedPorts(w, d.webhooksIn.In(d.NamespaceOf(w.Namespace)))
	return ports
}

// AggregatedAPIs returns the container ports the kube-apiserver reaches on the workload's
// pods for the APIServices whose Service selects them, and those APIServices' names.
func (d *Discovery) AggregatedAPIs(w *Workload) ([]RolePort, []string) {
	return d.routedPorts(w, d.apisIn.In(d.NamespaceOf(w.Namespace)))
}

// routedPorts returns the container ports that the Services refs name route to the
// workload, and the callers (sorted, once each) of the refs that reach it.
func (d *Discovery) routedPorts(w *Workload, refs []serviceRef) ([]RolePort, []string) {
	var out []RolePort
	var callers []string
	services := d.servicesIn.FiledUnder(d.NamespaceOf(w.Namespace), w.PodLabels)
	for _, ref := range refs {
		for _, svc := range services {
			if svc.Name != ref.Name || !SameNamespace(svc.Namespace, ref.Namespace, d.Namespace) || !SameNamespace(svc.Namespace, w.Namespace, d.Namespace) {
				continue
			}
			if len(svc.Spec.Selector) == 0 || !labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(w.PodLabels)) {
				continue
			}
			want := int32(defaultWebhookSvcPort)
			if ref.Port != nil {
				want = *ref.Port
			}
			for _, sp := range svc.Spec.Ports {
				if sp.Port != want {
					continue
				}
				target := sp.TargetPort
				if target.IntVal == 0 && target.StrVal == "" {
					target.IntVal = sp.Port
				}
				if port, proto, ok := w.Resolve(target); ok {
					out = addPort(out, RolePort{port, proto})
					if ref.Caller != "" && !slices.Contains(callers, ref.Caller) {
						callers = append(callers, ref.Caller)
					}
				}
			}
		}
	}
	slices.Sort(callers)
	return out, callers
}

// serviceTargets tells whether any Service that selects the workload's pods targets port.
func (d *Discovery) serviceTargets(w *Workload, p ContainerPort) bool {
	for _, svc := range d.servicesIn.FiledUnder(d.NamespaceOf(w.Namespace), w.PodLabels) {
		if len(svc.Spec.Selector) == 0 || !SameNamespace(svc.Namespace, w.Namespace, d.Namespace) ||
			!labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(w.PodLabels)) {
			continue
		}
		for _, sp := range svc.Spec.Ports {
			t := sp.TargetPort
			switch {
			case t.StrVal != "" && t.StrVal == p.Name,
				t.StrVal == "" && t.IntVal == p.Port,
				t.StrVal == "" && t.IntVal == 0 && sp.Port == p.Port:
				return true
			}
		}
	}
	return false
}

func (w *Workload) protocolOf(port int32) corev1.Protocol {
	if p := w.portByNumber(port); p != nil {
		return p.Protocol
	}
	return corev1.ProtocolTCP
}

// RolePorts decides, for one workload under its effective config, which role ports open.
// It reports config ports that contradict what the stream says.
func (d *Discovery) RolePorts(w *Workload, m *config.Merged, fs *findings.List) map[Role][]RolePort {
	rd := &roleDecision{d: d, w: w, m: m, fs: fs, roles: map[Role][]RolePort{}}
	rd.webhook()
	// aggregated APIs: always on where an APIService routes to the pods
	if chain, _ := d.AggregatedAPIs(w); len(chain) > 0 {
		rd.roles[RoleAggregatedAPI] = chain
	}
	rd.metrics()
	rd.gate()
	if m.NetworkPolicy.OtherPorts.OtherPortsEnabled() {
		rd.otherPorts()
	}
	return rd.roles
}

// roleDecision is RolePorts at work on one workload: the roles decided so far, and where
// contradictions are reported.
type roleDecision struct {
	d     *Discovery
	w     *Workload
	m     *config.Merged
	fs    *findings.List
	roles map[Role][]RolePort
}

// own tells whether the workload's own config sets path.
func (rd *roleDecision) own(path string) bool {
	l := rd.m.Origin(path)
	return l != nil && l.Level == config.LevelWorkload
}

// contradiction reports the port the config sets at path when it is none of the ports
// found, found as how tells.
func (rd *roleDecision) contradiction(path string, set int32, found []RolePort, how string) {
	for _, p := range found {
		if p.Port == set {
			return
		}
	}
	from := ""
	if l := rd.m.Origin(path); l != nil && l.Object != rd.w.ID() {
		from = " (from " + l.Source() + ")"
	}
	rd.fs.Errorf(rd.w.ID(), path, "%d%s contradicts port %s that %s: set %s to it, or remove it", set, from, PortList(found), how, path)
}

// configured is a port the config sets, with the protocol the pods declare for it.
func (rd *roleDecision) configured(port int32) []RolePort {
	return []RolePort{{port, rd.w.protocolOf(port)}}
}

// named is the port the pods declare by name, if any.
func (rd *roleDecision) named(name string) []RolePort {
	if p := rd.w.portByName(name); p != nil {
		return []RolePort{{p.Port, p.Protocol}}
	}
	return nil
}

// webhook opens the webhook role, unless turned off, where a webhook Service routes to the
// pods, the pods name a webhook port, or the workload's own config turns it on: on the
// configured port, else the routed ones, else the named one, else the default.
func (rd *roleDecision) webhook() {
	m := rd.m
	if m.Webhook.Enabled != nil && !*m.Webhook.Enabled {
		return
	}
	chain := rd.d.webhookPorts(rd.w)
	named := rd.named(portNameWebhook)
	if len(chain) == 0 && len(named) == 0 && (m.Webhook.Enabled == nil || !rd.own("webhook.enabled")) {
		return
	}
	switch {
	case m.Ports.Webhook != nil:
		if len(chain) > 0 {
			rd.contradiction("ports.webhook", *m.Ports.Webhook, chain, "the webhook Service routes to")
		} else if len(named) > 0 {
			rd.contradiction("ports.webhook", *m.Ports.Webhook, named, "the pods name webhook")
		}
		rd.roles[RoleWebhook] = rd.configured(*m.Ports.Webhook)
	case len(chain) > 0:
		rd.roles[RoleWebhook] = chain
	case len(named) > 0:
		rd.roles[RoleWebhook] = named
	default:
		rd.roles[RoleWebhook] = rd.configured(config.DefaultWebhookPort)
	}
}

// metrics opens the metrics role on the configured port, where the stream shows a metrics
// port or the workload's own config sets one, else on the port the stream shows.
func (rd *roleDecision) metrics() {
	m := rd.m
	found, how := rd.w.metricsPort()
	switch {
	case m.Ports.Metrics != nil && (found != nil || rd.own("ports.metrics")):
		if found != nil {
			rd.contradiction("ports.metrics", *m.Ports.Metrics, found, how)
		}
		rd.roles[RoleMetrics] = rd.configured(*m.Ports.Metrics)
	case found != nil:
		rd.roles[RoleMetrics] = found
	}
}

// metricsPort is the metrics port the stream shows, and how: a port named metrics or
// http-metrics, else the Prometheus port annotation of the pods.
func (w *Workload) metricsPort() ([]RolePort, string) {
	for _, name := range []string{portNameMetrics, portNameHTTPMetrics} {
		if p := w.portByName(name); p != nil {
			return []RolePort{{p.Port, p.Protocol}}, "the pods name " + name
		}
	}
	if n, err := strconv.Atoi(w.PromPort); err == nil && n > 0 && n < 65536 {
		return []RolePort{{int32(n), w.protocolOf(int32(n))}}, "the pod annotation " + manifest.AnnotationPromPort + " names"
	}
	return nil, ""
}

// gate opens the gate role, unless turned off, where the pods name a gate port or the
// workload's own config turns it on: on the configured port, else the named one, else
// the default.
func (rd *roleDecision) gate() {
	m := rd.m
	if m.Gate.Enabled != nil && !*m.Gate.Enabled {
		return
	}
	named := rd.named(portNameGate)
	if len(named) == 0 && (m.Gate.Enabled == nil || !rd.own("gate.enabled")) {
		return
	}
	switch {
	case m.Ports.Gate != nil:
		if len(named) > 0 {
			rd.contradiction("ports.gate", *m.Ports.Gate, named, "the pods name gate")
		}
		rd.roles[RoleGate] = rd.configured(*m.Ports.Gate)
	case len(named) > 0:
		rd.roles[RoleGate] = named
	default:
		rd.roles[RoleGate] = rd.configured(config.DefaultGatePort)
	}
}

// otherPorts opens every other declared port, unless only probes use it.
func (rd *roleDecision) otherPorts() {
	w := rd.w
	claimed := map[RolePort]bool{}
	for _, ps := range rd.roles {
		for _, p := range ps {
			claimed[p] = true
		}
	}
	for _, p := range SortedPorts(w.Ports) {
		rp := RolePort{p.Port, p.Protocol}
		if claimed[rp] || p.Port <= 0 {
			continue
		}
		probed := w.ProbePorts[strconv.Itoa(int(p.Port))] || p.Name != "" && w.ProbePorts[p.Name]
		if probed && !rd.d.serviceTargets(w, p) {
			continue
		}
		claimed[rp] = true
		rd.roles[RoleOther] = append(rd.roles[RoleOther], rp)
	}
}

func PortList(ps []RolePort) string {
	s := ""
	for i, p := range ps {
		if i > 0 {
			s += ", "
		}
		s += strconv.Itoa(int(p.Port))
	}
	return s
}
