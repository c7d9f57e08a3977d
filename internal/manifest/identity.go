package manifest

import (
	"strings"
)

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

// Ref is the provenance value of a policy generated for this object, naming its namespace
// when it has one: "apps/v1/Deployment/ns/ctrl", or "apps/v1/Deployment/ctrl" (the form of
// earlier versions, read as "no namespace").
func (o *Object) Ref() string {
	if o.Namespace == "" {
		return o.APIVersion + "/" + o.Kind + "/" + o.Name
	}
	return o.APIVersion + "/" + o.Kind + "/" + o.Namespace + "/" + o.Name
}

// ReleaseRef is the provenance value of a release's default-deny in a namespace:
// "release/ns/rel", or "release/rel" without one.
func ReleaseRef(namespace, release string) string {
	if namespace == "" {
		return "release/" + release
	}
	return "release/" + namespace + "/" + release
}

// Marker is what a helm-netpol.io/generated-for value names: an object (a workload, or a
// chart NetworkPolicy that a rewrite replaced) or a release's default-deny, with the
// namespace, "" where the value names none.
type Marker struct {
	Release          string // set for a default-deny
	APIVersion, Kind string // set for an object
	Namespace, Name  string // Name: the object's
}

// ParseMarker reads a helm-netpol.io/generated-for value, of this version or of earlier
// ones: ok is false when it is neither.
func ParseMarker(v string) (Marker, bool) {
	seg := strings.Split(v, "/")
	for _, s := range seg {
		if s == "" {
			return Marker{}, false
		}
	}
	if seg[0] == "release" {
		switch len(seg) {
		case 2:
			return Marker{Release: seg[1]}, true
		case 3:
			return Marker{Release: seg[2], Namespace: seg[1]}, true
		}
		return Marker{}, false
	}
	// The kind is the first segment in upper case: apiVersion's group and version, the
	// namespace and the name are lower case.
	k := -1
	for i, s := range seg {
		if s[0] >= 'A' && s[0] <= 'Z' {
			k = i
			break
		}
	}
	if k < 1 || k > 2 {
		return Marker{}, false
	}
	m := Marker{APIVersion: strings.Join(seg[:k], "/"), Kind: seg[k]}
	switch rest := seg[k+1:]; len(rest) {
	case 1:
		m.Name = rest[0]
	case 2:
		m.Namespace, m.Name = rest[0], rest[1]
	default:
		return Marker{}, false
	}
	return m, true
}

// GeneratedKind tells the kinds of the policies helm-netpol writes, the only objects whose
// helm-netpol.io/generated-for it honours.
func GeneratedKind(apiVersion, kind string) bool {
	switch apiVersion {
	case "networking.k8s.io/v1":
		return kind == "NetworkPolicy"
	case "cilium.io/v2":
		return kind == "CiliumNetworkPolicy"
	case "projectcalico.org/v3":
		// The staged kinds are what networkPolicy.staged renders, under calico and
		// kubernetes.
		return kind == "NetworkPolicy" || kind == "StagedNetworkPolicy" || kind == "StagedKubernetesNetworkPolicy"
	case "policy.networking.k8s.io/v1alpha2":
		return kind == "ClusterNetworkPolicy"
	}
	return false
}

// Group is the API group of the object.
func (o *Object) Group() string {
	g, _, found := strings.Cut(o.APIVersion, "/")
	if !found {
		return ""
	}
	return g
}

func (o *Object) Annotations() map[string]string {
	if o.Decoded != nil {
		return o.stubAnnotations
	}
	return o.Node.GetAnnotations()
}

// isWorkload tells the workload kinds by group and kind, so a custom resource that happens
// to be called "Deployment" is not mistaken for one.
func (o *Object) IsWorkload() bool {
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
func (o *Object) TemplatePath() []string {
	switch o.Kind {
	case "Pod":
		return nil
	case "CronJob":
		return []string{"spec", "jobTemplate", "spec", "template"}
	}
	return []string{"spec", "template"}
}

// metadataPaths are where the object's metadata sits, and a workload's pod template's.
func (o *Object) MetadataPaths() [][]string {
	paths := [][]string{{"metadata"}}
	if o.IsWorkload() && o.TemplatePath() != nil {
		paths = append(paths, append(o.TemplatePath(), "metadata"))
	}
	return paths
}
