package transform

import (
	"bytes"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Process runs the post-renderer on a whole stream: the input with the generated objects
// appended. Documents the run does not change leave as the bytes they came in as.
func Process(input []byte, opts Options) ([]byte, *Result, error) {
	s, err := ReadStream(input)
	if err != nil {
		return nil, nil, err
	}
	opts.Format = s.Format
	var res Result
	var nodes []*yaml.RNode
	docOf := map[*yaml.RNode]*Document{}
	for _, d := range s.Docs {
		if d.Node != nil {
			nodes = append(nodes, d.Node)
			docOf[d.Node] = d
		}
	}
	out, err := Inject{Options: opts, Result: &res}.Filter(nodes)
	if err != nil {
		return nil, &res, err
	}
	kept := map[*yaml.RNode]bool{}
	for _, n := range out {
		kept[n] = true
	}
	var buf bytes.Buffer
	buf.Grow(len(input) + 4096)
	for _, d := range s.Docs {
		if d.Node != nil && !kept[d.Node] {
			continue
		}
		if err := s.writeDocument(&buf, d, res.Changed[d.Node]); err != nil {
			return nil, &res, err
		}
	}
	if err := writeGenerated(&buf, res.Generated); err != nil {
		return nil, &res, err
	}
	return buf.Bytes(), &res, nil
}

// Policies runs the post-renderer on a whole stream and returns only what it generated.
func Policies(input []byte, opts Options) ([]byte, *Result, error) {
	s, err := ReadStream(input)
	if err != nil {
		return nil, nil, err
	}
	opts.Format = FormatPlain
	var res Result
	var nodes []*yaml.RNode
	for _, d := range s.Docs {
		if d.Node != nil {
			nodes = append(nodes, d.Node)
		}
	}
	if _, err := (Inject{Options: opts, Result: &res}).Filter(nodes); err != nil {
		return nil, &res, err
	}
	var buf bytes.Buffer
	if err := writeGenerated(&buf, res.Generated); err != nil {
		return nil, &res, err
	}
	return buf.Bytes(), &res, nil
}

// writeGenerated appends generated objects, each behind a "---" line.
func writeGenerated(buf *bytes.Buffer, nodes []*yaml.RNode) error {
	if buf.Len() > 0 && !bytes.HasSuffix(buf.Bytes(), []byte("\n")) {
		buf.WriteByte('\n')
	}
	for _, n := range nodes {
		s, err := n.String()
		if err != nil {
			return err
		}
		buf.WriteString("---\n")
		buf.WriteString(s)
	}
	return nil
}
