package transform

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// Format is the framing convention of a stream, which generated documents follow.
type Format string

const (
	// FormatPlain is a stream of documents separated by "---".
	FormatPlain Format = "plain"
	// FormatHelm3 is what Helm 3 pipes to a post-renderer: "---" and "# Source:" lines.
	FormatHelm3 Format = "helm3"
	// FormatHelm4 is what Helm 4 pipes to a post-renderer: every document carries the
	// postrender-filename annotation.
	FormatHelm4 Format = "helm4"
)

// AnnotationHelm4Filename is the annotation Helm 4 uses to map post-rendered documents back
// to template files.
const AnnotationHelm4Filename = "postrenderer.helm.sh/postrender-filename"

// Document is one YAML document of a stream together with the bytes it came in as.
type Document struct {
	Index int    // position in the stream, from 1
	Line  int    // line of the stream on which the document's bytes begin, from 1
	Raw   []byte // the document's bytes: its "---" line, comments and body
	// Node is the parsed document, nil when it holds nothing but comments and blank lines,
	// or when it was parsed but not kept.
	Node *yaml.RNode
	// skipped says the document was parsed and found of no interest; hook says it is a
	// Helm hook.
	skipped, hook bool
}

// Where names the document for messages: "document 3 (line 45)".
func (d *Document) Where() string {
	return fmt.Sprintf("document %d (line %d)", d.Index, d.Line)
}

// Stream is a parsed manifest stream.
type Stream struct {
	Docs   []*Document
	Format Format
}

// ReadStream splits data into documents at "---" lines, keeping each document's bytes, and
// parses every document. Every malformed document is reported, each naming its position.
func ReadStream(data []byte) (*Stream, error) {
	return readStream(data, nil)
}

// readStream is ReadStream that keeps a document's parsed node only where keep says so,
// so that a large stream does not hold the trees of documents nobody looks at. Documents
// are parsed on every core, and the result does not depend on their number.
func readStream(data []byte, keep func(*yaml.RNode) bool) (*Stream, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("helm-netpol: stdin: the input is empty: expected the rendered manifests of a chart (an empty result would install a release without resources)")
	}
	segs := splitDocuments(data)
	s := &Stream{Format: FormatPlain, Docs: make([]*Document, len(segs))}
	errs := make([]error, len(segs))
	helm4 := make([]bool, len(segs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(segs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1) - 1); i < len(segs); i = int(next.Add(1) - 1) {
				seg := segs[i]
				d := &Document{Index: i + 1, Line: seg.line, Raw: seg.raw}
				node, err := parseDocument(seg.raw, seg.line)
				if err != nil {
					errs[i] = fmt.Errorf("helm-netpol: %s: %w", d.Where(), err)
				}
				if node != nil {
					_, helm4[i] = node.GetAnnotations()[AnnotationHelm4Filename]
					d.hook = isHook(node)
					if keep == nil || keep(node) {
						d.Node = node
					} else {
						d.skipped = true
					}
				}
				s.Docs[i] = d
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	s.Format = FormatPlain
	for _, h := range helm4 {
		if h {
			s.Format = FormatHelm4
			break
		}
	}
	if s.Format == FormatPlain {
		for _, d := range s.Docs {
			if bytes.HasPrefix(d.Raw, []byte("# Source: ")) || bytes.Contains(d.Raw, []byte("\n# Source: ")) {
				s.Format = FormatHelm3
				break
			}
		}
	}
	return s, nil
}

func isHook(n *yaml.RNode) bool {
	_, ok := n.GetAnnotations()[AnnotationHook]
	return ok
}

type segment struct {
	raw  []byte
	line int
}

// splitDocuments cuts data before every line that starts a document ("---" alone or
// followed by a space or tab). YAML forbids such a line inside any scalar, so the cut is
// exact. Concatenating the segments gives data back.
func splitDocuments(data []byte) []segment {
	var segs []segment
	start, startLine, line := 0, 1, 1
	for pos := 0; pos < len(data); {
		end := bytes.IndexByte(data[pos:], '\n')
		next := len(data)
		if end >= 0 {
			next = pos + end + 1
		}
		if pos > start && isSeparator(data[pos:next]) {
			segs = append(segs, segment{raw: data[start:pos], line: startLine})
			start, startLine = pos, line
		}
		pos = next
		line++
	}
	if start < len(data) {
		segs = append(segs, segment{raw: data[start:], line: startLine})
	}
	return segs
}

func isSeparator(line []byte) bool {
	if !bytes.HasPrefix(line, []byte("---")) {
		return false
	}
	if len(line) == 3 {
		return true
	}
	switch line[3] {
	case ' ', '\t', '\r', '\n':
		return true
	}
	return false
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

// parseDocument parses one segment. It returns nil for a segment without content.
func parseDocument(raw []byte, firstLine int) (*yaml.RNode, error) {
	if bytes.IndexByte(raw, 0) >= 0 {
		return nil, errors.New("malformed YAML: the document contains a NUL byte")
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, fmt.Errorf("malformed YAML: %s", streamLines(err.Error(), firstLine))
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, fmt.Errorf("malformed YAML: %s", streamLines(err.Error(), firstLine))
		}
		return nil, errors.New("holds a second YAML document after a \"...\" end marker: separate documents with \"---\"")
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	return yaml.NewRNode(&doc), nil
}

// streamLines rewrites "line N" in a parser message, counted from the document's first
// line, into the line of the whole stream.
func streamLines(msg string, firstLine int) string {
	return yamlLine.ReplaceAllStringFunc(msg, func(m string) string {
		n, err := strconv.Atoi(m[len("line "):])
		if err != nil {
			return m
		}
		return "line " + strconv.Itoa(n+firstLine-1)
	})
}

// writeDocument writes a document: unchanged, as its original bytes; changed, encoded anew
// behind its original "---" line.
func writeDocument(w *errWriter, d *Document, changed bool) error {
	if !changed || d.Node == nil {
		_, err := w.Write(d.Raw)
		return err
	}
	if isSeparator(firstLine(d.Raw)) {
		w.WriteString("---\n")
	}
	out, err := d.Node.String()
	if err != nil {
		return fmt.Errorf("helm-netpol: %s: encode: %w", d.Where(), err)
	}
	w.WriteString(out)
	return w.err
}

func firstLine(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i+1]
	}
	return b
}
