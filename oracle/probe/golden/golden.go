// Package golden reads what the oracles' fixture tests need of the objects of a golden
// fixture: a workload's pods as a probe names them, its effective networkPolicy config,
// and the plain-map helpers both read them with.
package golden

import (
	"fmt"
	"maps"
	"strings"

	"github.com/helm-netpol/helm-netpol/oracle/probe"
	"sigs.k8s.io/yaml"
)

// Workload reads the pods of a workload object (a Pod, a CronJob's job template, else
// spec.template): their namespace as the object gives it, their labels (a Job's pods also
// the labels the Job controller gives them, its name), and their declared container
// ports; and the workload's effective config, release's networkPolicy overlaid with its
// pods' helm-netpol.io/config annotation. ref names the workload in errors.
func Workload(ref string, obj, release map[string]any) (probe.Pod, map[string]any, error) {
	template := obj
	switch Str(obj, "kind") {
	case "Pod":
	case "CronJob":
		template = MapAt(obj, "spec", "jobTemplate", "spec", "template")
	default:
		template = MapAt(obj, "spec", "template")
	}
	pod := probe.Pod{Namespace: Str(obj, "metadata", "namespace"), Labels: map[string]string{}}
	for k, v := range MapAt(template, "metadata", "labels") {
		pod.Labels[k] = fmt.Sprint(v)
	}
	if Str(obj, "kind") == "Job" {
		// The Job controller labels its pods with the Job's name (and controller-uid
		// labels, which no policy of a chart can know).
		pod.Labels["batch.kubernetes.io/job-name"] = Str(obj, "metadata", "name")
		pod.Labels["job-name"] = Str(obj, "metadata", "name")
	}
	containers, _ := MapAt(template, "spec")["containers"].([]any)
	for _, c := range containers {
		ports, _ := c.(map[string]any)["ports"].([]any)
		for _, p := range ports {
			pm := p.(map[string]any)
			n, _ := pm["containerPort"].(float64)
			proto, _ := pm["protocol"].(string)
			if proto == "" {
				proto = "TCP"
			}
			name, _ := pm["name"].(string)
			pod.Ports = append(pod.Ports, probe.NamedPort{Name: name, Port: int32(n), Protocol: proto})
		}
	}
	config := MapAt(release, "networkPolicy")
	if a := Str(template, "metadata", "annotations", "helm-netpol.io/config"); a != "" {
		var own map[string]any
		if err := yaml.Unmarshal([]byte(a), &own); err != nil {
			return pod, config, fmt.Errorf("%s: config annotation: %w", ref, err)
		}
		config = Merge(config, MapAt(own, "networkPolicy"))
	}
	return pod, config, nil
}

// Str is the string at path in m, "" when there is none.
func Str(m map[string]any, path ...string) string {
	v := MapAt(m, path[:len(path)-1]...)[path[len(path)-1]]
	s, _ := v.(string)
	return s
}

// MapAt is the map at path in m, empty when there is none.
func MapAt(m map[string]any, path ...string) map[string]any {
	for _, p := range path {
		next, _ := m[p].(map[string]any)
		m = next
	}
	if m == nil {
		return map[string]any{}
	}
	return m
}

// Merge returns base overlaid with over, maps merged key by key.
func Merge(base, over map[string]any) map[string]any {
	out := maps.Clone(base)
	if out == nil {
		out = map[string]any{}
	}
	for k, v := range over {
		if vm, ok := v.(map[string]any); ok {
			if bm, ok := out[k].(map[string]any); ok {
				out[k] = Merge(bm, vm)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// Unnamespaced is a helm-netpol.io/generated-for value without its namespace segment
// (apps/v1/Deployment/ns/name -> apps/v1/Deployment/name), the key objects are filed by.
func Unnamespaced(ref string) string {
	seg := strings.Split(ref, "/")
	for k, s := range seg {
		if s != "" && s[0] >= 'A' && s[0] <= 'Z' {
			if len(seg) == k+3 {
				return strings.Join(append(seg[:k+1:k+1], seg[k+2]), "/")
			}
			break
		}
	}
	return ref
}
