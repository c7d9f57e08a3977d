package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/helm-netpol/helm-netpol/internal/findings"
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

// Document is one YAML document of a stream together with the bytes it came in as.
type Document struct {
	Index int    // position in the stream, from 1
	Line  int    // line of the stream on which the document's bytes begin, from 1
	Raw   []byte // the document's bytes: its "---" line, comments and body
	// offset is where Raw starts in the stream.
	Offset int
	// Node is the parsed document, nil when it holds nothing but comments and blank lines,
	// or when it was parsed but not kept; read for Process, it may be a stub (see slim).
	Node *yaml.RNode
	// skipped says the document was found of no interest, and scanned that it was on the
	// quick scan, without being parsed; hook says it is a Helm hook; object says it is a
	// mapping.
	Skipped, Scanned, Hook, object bool
	// encoded is the changed document encoded anew, once encode has run.
	encoded []byte
	// stub is the document's object when Node is a stub (see slim).
	Stub *Object
}

// Where names the document for messages: "document 3 (line 45)".
func (d *Document) Where() string {
	return fmt.Sprintf("document %d (line %d)", d.Index, d.Line)
}

// errorf names the document on every line of err.
func (d *Document) errorf(err error) error {
	var errs []error
	for _, e := range findings.SplitErrors(err) {
		errs = append(errs, fmt.Errorf("helm-netpol: %s: %w", d.Where(), e))
	}
	return errors.Join(errs...)
}

// Stream is a parsed manifest stream.
type Stream struct {
	Docs   []*Document
	Format Format
}

// ReadStream splits data into documents at "---" lines, keeping each document's bytes, and
// parses every document. Every malformed document is reported, each naming its position.
func ReadStream(data []byte) (*Stream, error) {
	return ReadFiltered(data, nil, nil)
}

// readStream is ReadStream that keeps a document's parsed node only where keep says so,
// so that a large stream does not hold the trees of documents nobody looks at. A document
// that pass says can go through is not even parsed (see passThrough). Documents are read
// on every core, and the result does not depend on their number.
func ReadFiltered(data []byte, keep func(*yaml.RNode) bool, pass func([]byte) (QuickHead, bool)) (*Stream, error) {
	return ReadStubs(data, keep, pass, nil)
}

// readStubs is readStream that, with stubs, also cuts the kept trees of the documents that
// a post-render will not change down to stubs, once discovery's part of them is decoded
// (see document.slim). Process reads its input so.
func ReadStubs(data []byte, keep func(*yaml.RNode) bool, pass func([]byte) (QuickHead, bool), stub Stubber) (*Stream, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, errors.New("helm-netpol: stdin: the input is empty: expected the rendered manifests of a chart (an empty result would install a release without resources)")
	}
	segs := SplitDocuments(data)
	s := &Stream{Format: FormatPlain, Docs: make([]*Document, len(segs))}
	// The documents live as long as the run, so they are allocated together: one by one,
	// between the parses' garbage, they would keep thousands of small spans half full.
	docs := make([]Document, len(segs))
	errs := make([]error, len(segs))
	helm4 := make([]bool, len(segs))
	Parallel(len(segs), func(i int) {
		seg := segs[i]
		d := &docs[i]
		*d = Document{Index: i + 1, Line: seg.Line, Raw: seg.Raw, Offset: seg.offset}
		s.Docs[i] = d
		if pass != nil {
			if h, ok := pass(seg.Raw); ok {
				d.object, d.Hook, d.Skipped, d.Scanned, helm4[i] = true, h.Hook, true, true, h.Helm4
				return
			}
		}
		node, err := ParseDocument(seg.Raw, seg.Line)
		if err == nil && node != nil {
			err = CheckDocument(node, seg.Raw, seg.Line, keep)
		}
		if err != nil {
			errs[i] = d.errorf(err)
			return
		}
		if node == nil {
			return
		}
		if node.YNode().Kind == yaml.MappingNode {
			d.object = true
			ann := node.GetAnnotations()
			_, helm4[i] = ann[AnnotationHelm4Filename]
			_, d.Hook = ann[AnnotationHook]
		}
		if keep != nil && !keep(node) {
			d.Skipped = true
			return
		}
		if err := checkDuplicateKeys(node.YNode(), seg.Line); err != nil {
			errs[i] = d.errorf(err)
			return
		}
		d.Node = node
		if stub != nil {
			d.slim(stub)
		}
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	objects := false
	for _, d := range s.Docs {
		objects = objects || d.object
	}
	if !objects {
		return nil, errors.New("helm-netpol: stdin: the input holds no Kubernetes object, only separators, comments, blank lines, scalars or lists: expected the rendered manifests of a chart (an empty result would install a release without resources)")
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

type segment struct {
	Raw    []byte
	Line   int
	offset int // where raw starts in the stream
}

// splitDocuments cuts data before every line that starts a document ("---" alone or
// followed by a space or tab). YAML forbids such a line inside any scalar, so the cut is
// exact. Lines end where the YAML parser ends them: at LF, CR LF, a lone CR, or one of the
// Unicode breaks NEL, LS and PS. Concatenating the segments gives data back.
func SplitDocuments(data []byte) []segment {
	if bytes.IndexByte(data, '\r') >= 0 || bytes.Contains(data, nel) || bytes.Contains(data, ls) || bytes.Contains(data, ps) {
		return SplitLines(data, nextBreak)
	}
	// Only line feeds: jump from one "\n---" to the next instead of walking every line.
	var segs []segment
	start, startLine := 0, 1
	for pos := 0; ; {
		i := bytes.Index(data[pos:], []byte("\n---"))
		if i < 0 {
			break
		}
		lineStart := pos + i + 1
		if IsSeparator(data[lineStart:NextLF(data, lineStart)]) {
			segs = append(segs, segment{Raw: data[start:lineStart], Line: startLine, offset: start})
			startLine += bytes.Count(data[start:lineStart], []byte("\n"))
			start = lineStart
		}
		pos = lineStart
	}
	if start < len(data) {
		segs = append(segs, segment{Raw: data[start:], Line: startLine, offset: start})
	}
	return segs
}

// splitLines is splitDocuments walking every line, ended by lineEnd.
func SplitLines(data []byte, lineEnd func([]byte, int) int) []segment {
	var segs []segment
	start, startLine, line := 0, 1, 1
	for pos := 0; pos < len(data); {
		next := lineEnd(data, pos)
		if pos > start && IsSeparator(data[pos:next]) {
			segs = append(segs, segment{Raw: data[start:pos], Line: startLine, offset: start})
			start, startLine = pos, line
		}
		pos = next
		line++
	}
	if start < len(data) {
		segs = append(segs, segment{Raw: data[start:], Line: startLine, offset: start})
	}
	return segs
}

// The line breaks YAML knows besides LF and CR.
var (
	nel = []byte("\u0085")
	ls  = []byte("\u2028")
	ps  = []byte("\u2029")
)

// nextLF returns the end of the line that starts at pos, past its LF.
func NextLF(data []byte, pos int) int {
	if i := bytes.IndexByte(data[pos:], '\n'); i >= 0 {
		return pos + i + 1
	}
	return len(data)
}

// nextBreak returns the end of the line that starts at pos, past its line break.
func nextBreak(data []byte, pos int) int {
	for i := pos; i < len(data); i++ {
		if n := breakLen(data[i:]); n > 0 {
			return i + n
		}
	}
	return len(data)
}

// breakLen returns the length of the line break that b starts with, 0 if none.
func breakLen(b []byte) int {
	switch {
	case len(b) == 0:
		return 0
	case b[0] == '\n':
		return 1
	case b[0] == '\r':
		if len(b) > 1 && b[1] == '\n' {
			return 2
		}
		return 1
	case bytes.HasPrefix(b, nel):
		return len(nel)
	case bytes.HasPrefix(b, ls), bytes.HasPrefix(b, ps):
		return len(ls)
	}
	return 0
}

// isSeparator tells whether a line (with its line break) starts a document.
func IsSeparator(line []byte) bool {
	if !bytes.HasPrefix(line, []byte("---")) {
		return false
	}
	rest := line[3:]
	return len(rest) == 0 || rest[0] == ' ' || rest[0] == '\t' || breakLen(rest) > 0
}

var (
	yamlLine  = regexp.MustCompile(`line (\d+)`)
	endMarker = regexp.MustCompile(`(?m)^\.\.\.[ \t\r]*$`)
)

// parseDocument parses one segment. It returns nil for a segment without content.
func ParseDocument(raw []byte, firstLine int) (*yaml.RNode, error) {
	if i := bytes.IndexByte(raw, 0); i >= 0 {
		return nil, fmt.Errorf("malformed YAML: line %d: the document contains a NUL byte", firstLine+lineBreaks(raw[:i]))
	}
	if !utf8.Valid(raw) {
		i := 0
		for i < len(raw) {
			r, n := utf8.DecodeRune(raw[i:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			i += n
		}
		return nil, fmt.Errorf("malformed YAML: line %d: byte 0x%02x is not UTF-8: the manifests must be UTF-8 text", firstLine+lineBreaks(raw[:i]), raw[i])
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, malformed(err, raw, firstLine)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, malformed(err, raw, firstLine)
		}
		return nil, errors.New("holds a second YAML document after a \"...\" end marker: separate documents with \"---\"")
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	return yaml.NewRNode(&doc), nil
}

// malformed words a parser error, with the lines of the stream.
func malformed(err error, raw []byte, firstLine int) error {
	msg := streamLines(err.Error(), firstLine)
	if strings.Contains(msg, "did not find expected <document start>") && endMarker.Match(raw) {
		msg += ` (a "..." line ends a document: start the next one with "---")`
	}
	return fmt.Errorf("malformed YAML: %s", msg)
}

// lineBreaks counts the line breaks in b as the YAML parser does.
func lineBreaks(b []byte) int {
	n := 0
	for i := 0; i < len(b); {
		if l := breakLen(b[i:]); l > 0 {
			n++
			i += l
			continue
		}
		i++
	}
	return n
}

// maxAliasNodes bounds how far a document's aliases may expand: the larger of this and
// twice the document's own size. A document that expands further (an alias bomb) is
// refused; the YAML library Helm parses manifests with refuses such documents too.
const maxAliasNodes = 400000

// checkDocument makes a parsed document safe and unambiguous to read: its aliases and merge
// keys are expanded in place, so that every lookup sees what Kubernetes will see; an object's
// metadata, labels and annotations must be mappings of single values, which every reader of
// the stream relies on; and, when keep is given, a List may not hide an item the filter must
// see.
func CheckDocument(n *yaml.RNode, raw []byte, firstLine int, keep func(*yaml.RNode) bool) error {
	if err := ExpandAliases(n, raw, firstLine); err != nil {
		return err
	}
	if n.YNode().Kind != yaml.MappingNode {
		return nil
	}
	if err := checkHeadKeys(n.YNode(), firstLine); err != nil {
		return err
	}
	if err := checkMetadata(n, firstLine); err != nil {
		return err
	}
	if keep == nil {
		return nil
	}
	kind := StringField(n, "kind")
	items := n.Field("items")
	if !strings.HasSuffix(kind, "List") || kind == ResourceListKind || items == nil || items.Value.YNode().Kind != yaml.SequenceNode {
		return nil
	}
	for i, item := range items.Value.YNode().Content {
		it := yaml.NewRNode(item)
		if item.Kind != yaml.MappingNode {
			continue
		}
		if err := checkHeadKeys(item, firstLine); err != nil {
			return fmt.Errorf("items[%d]: %w", i, err)
		}
		if err := checkMetadata(it, firstLine); err != nil {
			return fmt.Errorf("items[%d]: %w", i, err)
		}
		if keep(it) {
			return fmt.Errorf("line %d: items[%d] is %s, which helm-netpol has to read (a workload, a Service, a webhook configuration, a network policy or a config carrier), and it reads those only as documents of their own: render the items of this %s as separate documents", firstLine+item.Line-1, i, NewObject(it).ID(), kind)
		}
	}
	return nil
}

// expandAliases replaces the aliases and merge keys of a document with what they stand for.
// raw is the document's text: an alias needs an anchor ("&") and a "*", a merge key "<<".
func ExpandAliases(n *yaml.RNode, raw []byte, firstLine int) error {
	if (bytes.IndexByte(raw, '&') < 0 || bytes.IndexByte(raw, '*') < 0) && !bytes.Contains(raw, []byte("<<")) {
		return nil
	}
	size, aliases := 0, false
	var count func(*yaml.Node)
	count = func(y *yaml.Node) {
		size++
		aliases = aliases || y.Kind == yaml.AliasNode || y.Kind == yaml.ScalarNode && y.ShortTag() == "!!merge"
		for _, c := range y.Content {
			count(c)
		}
	}
	count(n.YNode())
	if !aliases {
		return nil
	}
	limit := max(maxAliasNodes, 2*size)
	memo := map[*yaml.Node]int{}
	active := map[*yaml.Node]bool{}
	var expanded func(*yaml.Node) (int, error)
	expanded = func(y *yaml.Node) (int, error) {
		if s, ok := memo[y]; ok {
			return s, nil
		}
		if active[y] {
			return 0, fmt.Errorf("malformed YAML: line %d: alias *%s refers to a node that contains it", firstLine+y.Line-1, y.Value)
		}
		active[y] = true
		defer delete(active, y)
		total := 1
		if y.Kind == yaml.AliasNode {
			if y.Alias == nil {
				return 0, fmt.Errorf("malformed YAML: line %d: alias *%s has no anchor", firstLine+y.Line-1, y.Value)
			}
			s, err := expanded(y.Alias)
			if err != nil {
				return 0, err
			}
			total = s
		}
		for _, c := range y.Content {
			s, err := expanded(c)
			if err != nil {
				return 0, err
			}
			total += s
			if total > limit {
				return 0, fmt.Errorf("line %d: its YAML aliases expand to more than %d nodes (an alias bomb?)", firstLine+y.Line-1, limit)
			}
		}
		memo[y] = total
		return total, nil
	}
	if _, err := expanded(n.YNode()); err != nil {
		return err
	}
	if err := n.DeAnchor(); err != nil {
		return fmt.Errorf("malformed YAML: %v", err)
	}
	return nil
}

// checkMetadata checks that the metadata of an object, and the pod template's of a
// workload, are mappings, and their labels and annotations mappings of single values.
// Kubernetes accepts nothing else there, and the YAML library's readers assume it.
func checkMetadata(n *yaml.RNode, firstLine int) error {
	for _, p := range NewObject(n).MetadataPaths() {
		meta := n.YNode()
		for i, key := range p {
			v := MappingValue(meta, key)
			if v == nil || isNull(v) {
				meta = nil
				break
			}
			if v.Kind != yaml.MappingNode {
				return fmt.Errorf("line %d: %s must be a mapping, not a %s", firstLine+v.Line-1, strings.Join(p[:i+1], "."), nodeKind(v))
			}
			meta = v
		}
		if meta == nil {
			continue
		}
		for _, field := range []string{"labels", "annotations"} {
			m := MappingValue(meta, field)
			if m == nil || isNull(m) {
				continue
			}
			path := strings.Join(append(append([]string{}, p...), field), ".")
			if m.Kind != yaml.MappingNode {
				return fmt.Errorf("line %d: %s must be a mapping, not a %s", firstLine+m.Line-1, path, nodeKind(m))
			}
			for i := 0; i+1 < len(m.Content); i += 2 {
				k, v := m.Content[i], m.Content[i+1]
				if k.Kind != yaml.ScalarNode {
					return fmt.Errorf("line %d: %s: a key must be a string, not a %s", firstLine+k.Line-1, path, nodeKind(k))
				}
				if v.Kind != yaml.ScalarNode {
					what := "a value"
					if field == "annotations" && k.Value == AnnotationConfig {
						what = "the config (write it as text: a block scalar after \"|\")"
					}
					return fmt.Errorf("line %d: %s[%s]: %s must be a string, not a %s", firstLine+v.Line-1, path, k.Value, what, nodeKind(v))
				}
			}
		}
	}
	return nil
}

// mappingValue returns the value of key in a mapping node, nil if absent or not a mapping.
func MappingValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Kind == yaml.ScalarNode && m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" }

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.AliasNode:
		return "alias"
	}
	return "scalar"
}

// headPaths are the mappings whose keys decide whether a document matters to helm-netpol:
// its kind and apiVersion, its annotations (a config, a generated object), a CRD's
// conversion webhook.
var headPaths = [][]string{nil, {"metadata"}, {"metadata", "annotations"}, {"spec"}, {"spec", "conversion"}}

// checkHeadKeys refuses a key that appears twice in the mappings that decide whether the
// document matters (headPaths), before that is decided: read with the first of two kinds,
// a document Kubernetes reads as a Deployment would pass through as a ServiceAccount, and
// the workload would get no policy. The rest of a document is checked only where
// helm-netpol reads it (checkDuplicateKeys).
func checkHeadKeys(root *yaml.Node, firstLine int) error {
	var errs []error
	for _, path := range headPaths {
		m := root
		for _, key := range path {
			m = MappingValue(m, key)
		}
		if m == nil || m.Kind != yaml.MappingNode {
			continue
		}
		errs = append(errs, duplicateKeys(m, firstLine)...)
	}
	return errors.Join(errs...)
}

// duplicateKeys reports every key of mapping m that is there a second time. firstLine is
// the stream's line of the document's first line.
func duplicateKeys(m *yaml.Node, firstLine int) []error {
	if len(m.Content) <= 2 {
		return nil
	}
	var errs []error
	seen := make(map[string]*yaml.Node, len(m.Content)/2)
	for i := 0; i+1 < len(m.Content); i += 2 {
		k := m.Content[i]
		if k.Kind != yaml.ScalarNode {
			continue
		}
		if first, dup := seen[k.Value]; dup {
			errs = append(errs, fmt.Errorf("malformed YAML: line %d: key %q appears twice (first on line %d): Kubernetes would take the last value, so remove one", firstLine+k.Line-1, k.Value, firstLine+first.Line-1))
			continue
		}
		seen[k.Value] = k
	}
	return errs
}

// checkDuplicateKeys refuses a mapping that has a key twice. Kubernetes' YAML reader takes
// the last value of such a key, helm-netpol's the first, so the two would disagree about
// the object; it is checked in the documents helm-netpol reads.
func checkDuplicateKeys(n *yaml.Node, firstLine int) error {
	var errs []error
	var walk func(*yaml.Node)
	walk = func(y *yaml.Node) {
		if y.Kind == yaml.MappingNode {
			errs = append(errs, duplicateKeys(y, firstLine)...)
		}
		for _, c := range y.Content {
			walk(c)
		}
	}
	walk(n)
	return errors.Join(errs...)
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
func WriteDocument(w *ErrWriter, d *Document, changed bool) error {
	if !changed || d.Node == nil {
		_, err := w.Write(d.Raw)
		return err
	}
	if err := d.Encode(); err != nil {
		return err
	}
	if IsSeparator(firstLine(d.Raw)) {
		w.WriteString("---\n")
	}
	_, err := w.Write(d.encoded)
	return err
}

// encode encodes a changed document for writeDocument, once. A writer that must not
// write part of a stream encodes every changed document before it writes any.
func (d *Document) Encode() error {
	if d.encoded != nil {
		return nil
	}
	out, err := encodeDocument(d)
	if err != nil {
		return err
	}
	d.encoded = []byte(out)
	return nil
}

// encodeDocument encodes a changed document, and checks that it reads back as the same
// tree: the YAML encoder has corners where it would not (an empty value in a flow mapping
// comes out as an empty string), and a changed document must change only where the run
// changed it.
func encodeDocument(d *Document) (string, error) {
	spellNulls(d.Node.YNode(), false)
	out, err := d.Node.String()
	if err != nil {
		return "", fmt.Errorf("helm-netpol: %s: encode: %w", d.Where(), err)
	}
	back, err := ParseDocument([]byte(out), 1)
	if err == nil && back == nil {
		err = errors.New("it encodes to nothing")
	}
	if err == nil {
		if diff := sameTree(d.Node.YNode(), back.YNode(), ""); diff != "" {
			err = errors.New(diff)
		}
	}
	if err != nil {
		return "", fmt.Errorf("helm-netpol: %s: written anew without the config annotation, it would not read back the same (%v): write the document in plain block style", d.Where(), err)
	}
	return out, nil
}

// spellNulls spells out the empty null values that the encoder would write as empty
// strings: those in flow collections ("{a: }") and null keys ("? : a").
func spellNulls(n *yaml.Node, flow bool) {
	if n.Kind == yaml.MappingNode {
		for i := 0; i < len(n.Content); i += 2 {
			if k := n.Content[i]; k.Kind == yaml.ScalarNode && k.Value == "" && k.ShortTag() == "!!null" {
				k.Value = "null"
			}
		}
	}
	if n.Kind == yaml.ScalarNode && flow && n.Value == "" && n.ShortTag() == "!!null" {
		n.Value = "null"
	}
	flow = flow || n.Style&yaml.FlowStyle != 0
	for _, c := range n.Content {
		spellNulls(c, flow)
	}
}

// sameTree compares two YAML trees by what they mean: kinds, resolved tags and values, not
// how they are written. It returns "" when they are equal, else where they differ.
func sameTree(a, b *yaml.Node, path string) string {
	if a.Kind != b.Kind {
		return fmt.Sprintf("%s: a %s became a %s", displayNodePath(path), nodeKind(a), nodeKind(b))
	}
	if a.Kind == yaml.ScalarNode && (a.ShortTag() != b.ShortTag() || a.Value != b.Value) {
		return fmt.Sprintf("%s: %s %q became %s %q", displayNodePath(path), a.ShortTag(), a.Value, b.ShortTag(), b.Value)
	}
	if a.Kind != yaml.ScalarNode && a.Kind != yaml.DocumentNode && a.ShortTag() != b.ShortTag() {
		return fmt.Sprintf("%s: tag %s became %s", displayNodePath(path), a.ShortTag(), b.ShortTag())
	}
	if a.Kind == yaml.AliasNode && a.Value != b.Value {
		return fmt.Sprintf("%s: alias *%s became *%s", displayNodePath(path), a.Value, b.Value)
	}
	if len(a.Content) != len(b.Content) {
		return fmt.Sprintf("%s: %d entries became %d", displayNodePath(path), len(a.Content), len(b.Content))
	}
	for i := range a.Content {
		p := path
		switch {
		case a.Kind == yaml.MappingNode && i%2 == 1:
			p = joinPath(path, a.Content[i-1].Value)
		case a.Kind == yaml.MappingNode:
			p = joinPath(path, a.Content[i].Value) + " (key)"
		case a.Kind == yaml.SequenceNode:
			p = fmt.Sprintf("%s[%d]", path, i)
		}
		if diff := sameTree(a.Content[i], b.Content[i], p); diff != "" {
			return diff
		}
	}
	return ""
}

func displayNodePath(path string) string {
	if path == "" {
		return "the document"
	}
	return path
}

func firstLine(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i+1]
	}
	return b
}

// joinPath appends a key to a dotted field path.
func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
