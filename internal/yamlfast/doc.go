// Package yamlfast writes the JSON of a yaml.v3 tree straight from the tree (node-to-JSON),
// the same bytes as decoding the tree and marshalling the result, and says when it cannot
// vouch for them so that the caller takes the long way.
//
// It imports no other package of helm-netpol.
package yamlfast
