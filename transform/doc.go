// Package transform is helm-netpol's public face: Process, ProcessTo and Policies run the
// post-renderer on a stream, FluxPatches writes kustomize patches for a chart's own
// policies, BuildReport says who may reach each workload. Inject is the kio.Filter that
// runs the stages, each a package of its own under internal/, in one direction:
//
//	manifest (read the stream) -> config -> discover -> plan -> lint -> engine
//	-> manifest (write the stream)
//
// report reads rendered objects back. No stage imports a later one (TestImportDirection).
package transform
