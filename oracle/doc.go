// Package oracle checks rendered network policies with the validation code of
// the systems that will receive them: kube-apiserver for NetworkPolicy,
// apiextensions-apiserver for custom resources (Cilium, Calico,
// ClusterNetworkPolicy) and Cilium's own policy parser; and, with Cilium's own policy
// resolution (CiliumVerdicts), that helm-netpol's trace answers every probe as Cilium
// does (TestTraceEqualsCilium); with cyclonus's NetworkPolicy matcher, an
// implementation of the NetworkPolicy semantics written apart from helm-netpol, that the
// kubernetes engine's policies allow what the documented controller's do
// (TestTruthTables) and that trace answers as it does (TestTraceEqualsCyclonus); and, with Cilium's and Calico's verdicts (CalicoVerdicts),
// that one config rendered in the four dialects allows the same probes but for the
// differences docs/engines.md tables (TestDialectsAgree).
//
// It is a test-only module, kept apart from helm-netpol so that the product
// does not depend on k8s.io/kubernetes or cyclonus. cyclonus v0.5.6 was released against
// k8s.io 0.30; it builds against the k8s.io 0.37.2 this module pins.
package oracle
