// Package transform is helm-netpol's public face: Process, ProcessTo and Policies run the
// post-renderer on a stream, FluxPatches writes kustomize patches for a chart's own
// policies, BuildReport says who may reach each workload, Trace answers probes (may this
// peer reach that pod?) against the stream's policies. Inject is the kio.Filter that
// runs the stages, each a package of its own under internal/, in one direction:
//
//	manifest (read the stream) -> config -> discover -> plan -> lint -> engine
//	-> manifest (write the stream)
//
// Each engine also reads its objects back (engine.Object); report and trace work over what
// the engines read back. No stage imports a later one (TestImportDirection).
package transform
