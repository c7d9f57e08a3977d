// Command floor starts and exits. It links kyaml's kio, on which helm-netpol is built, and
// nothing else, so its time is what the start of any post-renderer built on kyaml costs
// at least: the Go runtime's start and the initialisation of kio's packages (kyaml's yaml,
// kube-openapi's spec, gnostic, protobuf ...). scripts/bench.sh times it beside Helm.
package main

import _ "sigs.k8s.io/kustomize/kyaml/kio" // for its packages' initialisation alone

func main() {}
