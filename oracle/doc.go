// Package oracle checks rendered network policies with the validation code of
// the systems that will receive them: kube-apiserver for NetworkPolicy,
// apiextensions-apiserver for custom resources (Cilium, Calico,
// ClusterNetworkPolicy) and Cilium's own policy parser; and, with Cilium's own policy
// resolution (CiliumVerdicts), that helm-netpol's trace answers every probe as Cilium
// does (TestTraceEqualsCilium); and, with Cilium's and Calico's verdicts (CalicoVerdicts),
// that one config rendered in the four dialects allows the same probes but for the
// differences docs/engines.md tables (TestDialectsAgree).
//
// It is a test-only module, kept apart from helm-netpol so that the product
// does not depend on k8s.io/kubernetes.
package oracle
