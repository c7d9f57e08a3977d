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
