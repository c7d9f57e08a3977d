// Package cilium runs Cilium's own policy parser on rendered policies.
//
// It is a module of its own because Cilium 1.20.2 is built against k8s.io
// 0.36, while the parent oracle module needs k8s.io/kubernetes 1.37.
package cilium

import (
	"fmt"
	"log/slog"

	"github.com/cilium/cilium/pkg/defaults"
	ciliumv2 "github.com/cilium/cilium/pkg/k8s/apis/cilium.io/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// defaultNamespace stands in for the release namespace when a namespaced
// policy carries none, as the API server fills it in from the request.
const defaultNamespace = "default"

// Parse decodes a CiliumNetworkPolicy or CiliumClusterwideNetworkPolicy and
// runs its Parse method, the sanitizer the Cilium agent applies before it
// imports a policy. It uses the agent's default configuration.
func Parse(doc []byte) error {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	if tm.APIVersion != ciliumv2.SchemeGroupVersion.String() {
		return fmt.Errorf("unsupported apiVersion %q", tm.APIVersion)
	}
	logger := slog.New(slog.DiscardHandler)

	switch tm.Kind {
	case "CiliumNetworkPolicy":
		var p ciliumv2.CiliumNetworkPolicy
		if err := yaml.Unmarshal(doc, &p); err != nil {
			return fmt.Errorf("decode: %w", err)
		}
		if p.Namespace == "" {
			p.Namespace = defaultNamespace
		}
		_, err := p.Parse(logger, defaults.ClusterName)
		return err
	case "CiliumClusterwideNetworkPolicy":
		var p ciliumv2.CiliumClusterwideNetworkPolicy
		if err := yaml.Unmarshal(doc, &p); err != nil {
			return fmt.Errorf("decode: %w", err)
		}
		_, err := p.Parse(logger, defaults.ClusterName)
		return err
	default:
		return fmt.Errorf("unsupported kind %q", tm.Kind)
	}
}
