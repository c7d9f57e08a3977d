// Package manifest owns the stream: splitting it into documents at "---" lines, keeping
// each document's bytes, parsing and checking every document (malformed YAML, alias and
// depth bombs, duplicate keys, metadata), telling Helm 3 and Helm 4 framing apart, the
// quick scan that lets uninteresting documents through unparsed, stubs (documents whose
// trees are cut down once read), and the writer that copies unchanged documents as byte
// ranges of the input. It also holds the identity of an object (Object) and the
// annotation and label names helm-netpol reads or writes (api.go).
//
// It may import findings and yamlfast only.
package manifest
