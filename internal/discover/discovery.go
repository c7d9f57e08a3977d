package discover

import (
	corev1 "k8s.io/api/core/v1"
)

// Role is a port the documented chart knows by purpose.
type Role string

const (
	RoleWebhook Role = "webhook"
	RoleMetrics Role = "metrics"
	RoleGate    Role = "gate"
	RoleOther   Role = "otherPorts"
)

// RoleAggregatedAPI is the port the kube-apiserver proxies an APIService's requests to
// (metrics-server, prometheus-adapter, KEDA's metrics apiserver). Its caller is the
// apiserver, as for a webhook, so networkPolicy.webhook.from narrows it, never
// networkPolicy.otherPorts.from.
const RoleAggregatedAPI Role = "aggregatedAPI"

// rolePort is a port a role opens.
type RolePort struct {
	Port     int32
	Protocol corev1.Protocol
}

// discovery is what the stream says about webhooks and Services.
type Discovery struct {
	services  []*Service
	webhooks  []serviceRef
	apis      []serviceRef // the Service of each APIService, its name the Caller
	Workloads []*Workload
	Namespace string // the release namespace, when known

	// The same, by namespace (see index), and the same-release rule of each release and
	// namespace once made.
	servicesIn  *nsIndex[*Service]
	webhooksIn  *nsIndex[serviceRef]
	apisIn      *nsIndex[serviceRef]
	WorkloadsIn *nsIndex[*Workload]
}

// selectorPair is the pair a Service is filed under in servicesIn: the first key of its
// selector and its value. Pods the Service selects carry every pair of the selector, so
// they carry this one. A Service without a selector selects no pods and is not filed.
func SelectorPair(s *Service) map[string]string {
	if len(s.Spec.Selector) == 0 {
		return nil
	}
	first, found := "", false
	for k := range s.Spec.Selector {
		if !found || k < first {
			first, found = k, true
		}
	}
	return map[string]string{first: s.Spec.Selector[first]}
}

func addPort(ports []RolePort, p RolePort) []RolePort {
	for _, q := range ports {
		if q == p {
			return ports
		}
	}
	return append(ports, p)
}

var RoleOrder = []Role{RoleWebhook, RoleAggregatedAPI, RoleMetrics, RoleGate, RoleOther}
