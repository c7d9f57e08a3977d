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

// rolePorts decides, for one workload under its effective config, which role ports open.
// It reports config ports that contradict what the stream says.
func (d *Discovery) RolePorts(w *Workload, m *config.Merged, fs *findings.List) map[Role][]RolePort {
	roles := map[Role][]RolePort{}
	own := func(path string) bool {
		l := m.Origin(path)
		return l != nil && l.Level == config.LevelWorkload
	}
	contradiction := func(path string, config int32, found []RolePort, how string) {
		for _, p := range found {
			if p.Port == config {
				return
			}
		}
		from := ""
		if l := m.Origin(path); l != nil && l.Object != w.ID() {
			from = " (from " + l.Source() + ")"
		}
		fs.Errorf(w.ID(), path, "%d%s contradicts port %s that %s: set %s to it, or remove it", config, from, PortList(found), how, path)
	}

	// webhook
	if m.Webhook.Enabled == nil || *m.Webhook.Enabled {
		chain := d.webhookPorts(w)
		var named []RolePort
		if p := w.portByName(portNameWebhook); p != nil {
			named = []RolePort{{p.Port, p.Protocol}}
		}
		on := len(chain) > 0 || len(named) > 0 || m.Webhook.Enabled != nil && own("webhook.enabled")
		if on {
			switch {
			case m.Ports.Webhook != nil:
				if len(chain) > 0 {
					contradiction("ports.webhook", *m.Ports.Webhook, chain, "the webhook Service routes to")
				} else if len(named) > 0 {
					contradiction("ports.webhook", *m.Ports.Webhook, named, "the pods name webhook")
				}
				roles[RoleWebhook] = []RolePort{{*m.Ports.Webhook, w.protocolOf(*m.Ports.Webhook)}}
			case len(chain) > 0:
				roles[RoleWebhook] = chain
			case len(named) > 0:
				roles[RoleWebhook] = named
			default:
				roles[RoleWebhook] = []RolePort{{config.DefaultWebhookPort, w.protocolOf(config.DefaultWebhookPort)}}
			}
		}
	}

	// aggregated APIs: always on where an APIService routes to the pods
	if chain, _ := d.AggregatedAPIs(w); len(chain) > 0 {
		roles[RoleAggregatedAPI] = chain
	}

	// metrics
	var found []RolePort
	how := ""
	for _, name := range []string{portNameMetrics, portNameHTTPMetrics} {
		if p := w.portByName(name); p != nil {
			found, how = []RolePort{{p.Port, p.Protocol}}, "the pods name "+name
			break
		}
	}
	if found == nil {
		if v, ok := w.PodAnnotations[manifest.AnnotationPromPort]; ok {
			if n, err := strconv.Atoi(v); err == nil && n > 0 && n < 65536 {
				found, how = []RolePort{{int32(n), w.protocolOf(int32(n))}}, "the pod annotation "+manifest.AnnotationPromPort+" names"
			}
		}
	}
	switch {
	case m.Ports.Metrics != nil && (found != nil || own("ports.metrics")):
		if found != nil {
			contradiction("ports.metrics", *m.Ports.Metrics, found, how)
		}
		roles[RoleMetrics] = []RolePort{{*m.Ports.Metrics, w.protocolOf(*m.Ports.Metrics)}}
	case found != nil:
		roles[RoleMetrics] = found
	}

	// gate
	if m.Gate.Enabled == nil || *m.Gate.Enabled {
		var named []RolePort
		if p := w.portByName(portNameGate); p != nil {
			named = []RolePort{{p.Port, p.Protocol}}
		}
		if len(named) > 0 || m.Gate.Enabled != nil && own("gate.enabled") {
			switch {
			case m.Ports.Gate != nil:
				if len(named) > 0 {
					contradiction("ports.gate", *m.Ports.Gate, named, "the pods name gate")
				}
				roles[RoleGate] = []RolePort{{*m.Ports.Gate, w.protocolOf(*m.Ports.Gate)}}
			case len(named) > 0:
				roles[RoleGate] = named
			default:
				roles[RoleGate] = []RolePort{{config.DefaultGatePort, w.protocolOf(config.DefaultGatePort)}}
			}
		}
	}

	// every other declared port, unless only probes use it
	if m.NetworkPolicy.OtherPorts.OtherPortsEnabled() {
		claimed := map[RolePort]bool{}
		for _, ps := range roles {
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
			if probed && !d.serviceTargets(w, p) {
				continue
			}
			claimed[rp] = true
			roles[RoleOther] = append(roles[RoleOther], rp)
		}
	}
	return roles
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
