package oracle

import (
	"encoding/json"
	"errors"
	"fmt"

	"sigs.k8s.io/yaml"
)

// ValidateStagedKubernetesNetworkPolicy checks the Kubernetes NetworkPolicy that a
// projectcalico.org/v3 StagedKubernetesNetworkPolicy (YAML or JSON) holds: its spec
// without stagedAction, as a networking.k8s.io/v1 NetworkPolicy of the same metadata, with
// ValidateNetworkPolicy. Calico converts a staged Kubernetes policy to that NetworkPolicy
// before it evaluates it, and turning staging off renders that NetworkPolicy itself: it
// must be one the API server accepts. The staged CRD does not check it (it has no port
// range, no CIDR check). A stagedAction Delete must have nothing else in its spec, as
// Calico's validator requires.
func ValidateStagedKubernetesNetworkPolicy(doc []byte) error {
	var obj map[string]any
	if err := yaml.UnmarshalStrict(doc, &obj); err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	if obj["apiVersion"] != "projectcalico.org/v3" || obj["kind"] != "StagedKubernetesNetworkPolicy" {
		return fmt.Errorf("not a projectcalico.org/v3 StagedKubernetesNetworkPolicy: %v %v", obj["apiVersion"], obj["kind"])
	}
	spec, _ := obj["spec"].(map[string]any)
	action := spec["stagedAction"]
	delete(spec, "stagedAction")
	switch action {
	case "Delete":
		if len(spec) > 0 {
			return errors.New("spec: a stagedAction Delete takes no other spec field")
		}
		return nil
	case nil, "Set", "Learn", "Ignore":
	default:
		return fmt.Errorf("spec.stagedAction: %v is not one of Set, Delete, Learn, Ignore", action)
	}
	obj["apiVersion"], obj["kind"] = "networking.k8s.io/v1", "NetworkPolicy"
	np, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	if err := ValidateNetworkPolicy(np); err != nil {
		return fmt.Errorf("as the networking.k8s.io/v1 NetworkPolicy it stages:\n%w", err)
	}
	return nil
}
