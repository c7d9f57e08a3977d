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

// SelectorPairs returns the pair each of services is filed under in an index of them: of
// the pairs of its selector, the one fewest of the services in its namespace (namespace
// gives it) have in theirs, the first key on a tie. Pods the Service selects carry every
// pair of the selector, so they carry this one; and a pair that every Service of a release
// shares (app.kubernetes.io/instance) is passed over for the one that tells the Service
// apart, so that looking up the Services of one workload does not go through them all. A
// Service without a selector selects no pods and is not filed.
func SelectorPairs(services []*Service, namespace func(*Service) string) func(*Service) map[string]string {
	count := map[nsPair]int{}
	for _, s := range services {
		for k, v := range s.Spec.Selector {
			count[nsPair{namespace(s), k, v}]++
		}
	}
	return func(s *Service) map[string]string {
		ns := namespace(s)
		best, found := "", false
		for k, v := range s.Spec.Selector {
			if !found {
				best, found = k, true
				continue
			}
			c, b := count[nsPair{ns, k, v}], count[nsPair{ns, best, s.Spec.Selector[best]}]
			if c < b || c == b && k < best {
				best = k
			}
		}
		if !found {
			return nil
		}
		return map[string]string{best: s.Spec.Selector[best]}
	}
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
