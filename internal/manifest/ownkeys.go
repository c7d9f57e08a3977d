package manifest

import (
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// OwnKey is a key of helm-netpol's own prefix (helm-netpol.io/, in any case) somewhere in
// an object: the path of the mapping that holds it ("metadata.annotations",
// "spec.ingress[0].metadata.annotations"), and the key.
type OwnKey struct {
	Path string
	Key  string
}

// isOwnKey tells whether a key starts with helm-netpol's prefix, in any case.
func isOwnKey(k string) bool {
	return len(k) >= len(OwnPrefix) && strings.EqualFold(k[:len(OwnPrefix)], OwnPrefix)
}

// HasOwnKey tells whether a tree holds a mapping key of helm-netpol's own prefix anywhere:
// such a document is read, wherever the key sits, so that one in a place helm-netpol does
// not read is reported instead of ignored. It reads the parsed keys, so that an escape in
// a quoted key cannot hide one.
func HasOwnKey(n *yaml.Node) bool {
	stack := []*yaml.Node{n}
	for len(stack) > 0 {
		y := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if y.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(y.Content); i += 2 {
				if k := y.Content[i]; k.Kind == yaml.ScalarNode && isOwnKey(k.Value) {
					return true
				}
			}
		}
		stack = append(stack, y.Content...)
	}
	return false
}

// OwnKeys lists the keys of helm-netpol's own prefix in a tree, in document order.
func OwnKeys(n *yaml.Node) []OwnKey {
	type frame struct {
		y    *yaml.Node
		path string
	}
	var out []OwnKey
	stack := []frame{{n, ""}}
	for len(stack) > 0 {
		f := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		var next []frame
		switch f.y.Kind {
		case yaml.DocumentNode:
			for _, c := range f.y.Content {
				next = append(next, frame{c, f.path})
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(f.y.Content); i += 2 {
				k := f.y.Content[i]
				if k.Kind == yaml.ScalarNode && isOwnKey(k.Value) {
					out = append(out, OwnKey{Path: f.path, Key: k.Value})
				}
				next = append(next, frame{f.y.Content[i+1], joinPath(f.path, k.Value)})
			}
		case yaml.SequenceNode:
			for i, c := range f.y.Content {
				next = append(next, frame{c, f.path + "[" + strconv.Itoa(i) + "]"})
			}
		}
		for i := len(next) - 1; i >= 0; i-- { // so that the first is looked at first
			stack = append(stack, next[i])
		}
	}
	return out
}
