// Package cyclonus is a test-only module: it checks the kubernetes-engine policies that
// helm-netpol renders for the documented controller with cyclonus's NetworkPolicy matcher
// (github.com/mattfenwick/cyclonus/pkg/matcher), an implementation of the NetworkPolicy
// semantics written independently of helm-netpol, on a small model of pods and namespaces;
// and that helm-netpol's trace (CNI kubernetes) answers every probe of issue 12's
// catalogue as that matcher does, on every fixture and corpus render (TestTraceEqualsCyclonus).
//
// It is a module of its own so that cyclonus and its client-go stay out of helm-netpol's
// go.mod. cyclonus v0.5.6 was released against k8s.io 0.30; it builds with Go 1.26 against
// k8s.io/api, apimachinery and client-go 0.37.2 (client-go must be at the minor of
// k8s.io/api), the versions helm-netpol itself uses. Run: cd oracle/cyclonus && go test ./...
package cyclonus
