package registry

import (
	"fmt"
	"github.com/helm-netpol/helm-netpol/internal/config"
	"github.com/helm-netpol/helm-netpol/internal/engine"
	"github.com/helm-netpol/helm-netpol/internal/engine/calico"
	"github.com/helm-netpol/helm-netpol/internal/engine/cilium"
	"github.com/helm-netpol/helm-netpol/internal/engine/clusternetworkpolicy"
	"github.com/helm-netpol/helm-netpol/internal/engine/kubernetes"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"strings"
)

// renderers maps each engine to its dialect.
var Renderers = map[config.Engine]engine.Renderer{
	config.EngineKubernetes:           kubernetes.RenderKubernetes,
	config.EngineCilium:               cilium.RenderCilium,
	config.EngineCalico:               calico.RenderCalico,
	config.EngineClusterNetworkPolicy: clusternetworkpolicy.RenderClusterNetworkPolicy,
}
