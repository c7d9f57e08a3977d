package transform

import (
	"bytes"
	"encoding/binary"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// On a dense stream (many small releases) most of a run's time went to the YAML parser
// building the trees of the documents the filter reads: workloads, Services, webhooks.
// When the stream is read for Process, such a tree lives only until discovery has decoded
// it (see Document.slim), and only its data is read, never its comments. fastParse builds
// that tree itself, for the subset of YAML that charts render, in a fraction of the time
// and with a few allocations: the nodes of a document come from one slab, and a scalar's
// value is a slice of one string copy of the document wherever it is written verbatim.
//
// The tree is exactly the one go.yaml.in/yaml/v3 builds, comments aside: the same nodes
// with the same kind, style, tag, value, line and column. The subset is ASCII text without
// tabs or control characters (so a column counted in characters is a byte offset), one
// mapping at the top, block mappings and sequences (also "key:\n- a"), plain, quoted and
// literal block scalars on one line each (a literal block scalar's header), one-line flow
// collections of simple scalars, comments, and a "---" line first. Anything else or in
// doubt (anchors, aliases, tags, merge keys, complex keys, directives, "...", folded or
// multi-line scalars, an indentation indicator, keys of unusual characters, an escape the
// parser would refuse, an indentation the parser would refuse) makes fastParse give up
// early, and the document is parsed by the parser. TestFastParseAgrees,
// TestFastParseMutations and FuzzFastParse hold it to the parser.

// fastParseOn lets tests turn the fast parser off, to compare both paths.
var fastParseOn = true

// fastDocument returns the tree of a document that readStubs may take from fastParse
// instead of the parser: one that Document.slim will cut down to a stub, so that no
// comment is ever missed. A List (which checkDocument reads item by item, and slim keeps
// when it is a ResourceList), or a document that mentions helm-netpol's own annotations
// (which slim keeps), is left to the parser. It returns nil when the parser must run.
func fastDocument(raw []byte) *yaml.RNode {
	if !fastParseOn || bytes.Contains(raw, []byte("helm-netpol.io/")) {
		return nil
	}
	doc, ok := fastParse(raw)
	if !ok {
		return nil
	}
	root := doc.Content[0]
	if kind := mapField(root, "kind"); kind != nil && (kind.Kind != yaml.ScalarNode || strings.HasSuffix(kind.Value, "List")) {
		return nil
	}
	return yaml.NewRNode(doc)
}

// A fastFrame is a block collection that is still open.
type fastFrame struct {
	node *yaml.Node
	col  int // the column of its entries, from 0
	seq  bool
	// indentless says a sequence sits at its parent key's own column ("key:\n- a").
	indentless bool
	start      int // where its entries begin in fastParser.kids
}

type fastParser struct {
	src   string       // the document, copied once: values are slices of it
	nodes []yaml.Node  // the slab nodes are taken from
	ptrs  []*yaml.Node // the slab Content slices are taken from
	kids  []*yaml.Node // the entries of the open collections, innermost last
	stack []fastFrame
	line  int // the line being read, from 1
	cur   int // where it starts in src

	// pending says the last key or "-" has no value on its line: a nested block, a
	// value on a line of its own, or nothing (a null at pendLine, pendCol) follows.
	pending           bool
	pendLine, pendCol int

	// block is the literal block scalar being read, nil if none.
	block       *yaml.Node
	blockMin    int  // the least indentation of its content
	blockIndent int  // its content's indentation, -1 until the first content line
	chomp       byte // '-' (strip), '+' (keep) or 0 (clip)
	leading     bool // a line break follows the last content line
	trailing    int  // empty lines since the last content line
	buf         []byte
}

// fastParse parses a document of the subset described above into the tree the YAML
// parser would build, without comments. ok is false when the document is outside the
// subset, or holds nothing but comments: it must then be parsed by the parser.
func fastParse(raw []byte) (doc *yaml.Node, ok bool) {
	lines, ok := asciiText(raw)
	if !ok || len(raw) == 0 {
		return nil, false
	}
	lines++
	p := fastParser{
		src:   string(raw),
		nodes: make([]yaml.Node, 0, 2*lines+4),
		ptrs:  make([]*yaml.Node, 0, 2*lines+4),
		kids:  make([]*yaml.Node, 0, 64),
		stack: make([]fastFrame, 0, 16),
	}
	docLine := 0
	for pos := 0; pos < len(raw); {
		end := bytes.IndexByte(raw[pos:], '\n')
		brk := end >= 0
		if brk {
			end += pos
		} else {
			end = len(raw)
		}
		line, start := raw[pos:end], pos
		pos = end + 1
		p.line++
		if p.line == 1 && bytes.HasPrefix(line, []byte("---")) {
			if !blankOrComment(line[3:]) {
				return nil, false
			}
			docLine = 1
			continue
		}
		if !p.read(line, start, brk) {
			return nil, false
		}
		if docLine == 0 && len(p.stack) > 0 {
			docLine = p.line
		}
	}
	if p.block != nil {
		p.endBlock()
	}
	if len(p.stack) == 0 {
		return nil, false
	}
	if p.pending {
		p.kids = append(p.kids, p.null())
	}
	root := p.stack[0].node
	for len(p.stack) > 0 {
		p.close()
	}
	doc = p.node(yaml.DocumentNode, "", "", docLine, 0)
	p.kids = append(p.kids, root)
	doc.Content = p.collect(0)
	return doc, true
}

// asciiText tells whether a document is lines of printable ASCII (no tab, no control
// character, no byte of a multi-byte character), and counts its line feeds. It runs
// before anything is allocated, so that refusing such a document costs little.
func asciiText(b []byte) (lineFeeds int, ok bool) {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		const ones, highs = 0x0101010101010101, 0x8080808080808080
		below := (w - 0x20*ones) & ^w & highs // some byte is below 0x20
		del := (w ^ 0x7f*ones - ones) & ^(w ^ 0x7f*ones) & highs
		if (w&highs)|below|del == 0 {
			continue
		}
		for _, c := range b[i : i+8] {
			if c == '\n' {
				lineFeeds++
			} else if c < 0x20 || c >= 0x7f {
				return 0, false
			}
		}
	}
	for _, c := range b[i:] {
		if c == '\n' {
			lineFeeds++
		} else if c < 0x20 || c >= 0x7f {
			return 0, false
		}
	}
	return lineFeeds, true
}

// node takes a node from the slab.
func (p *fastParser) node(kind yaml.Kind, tag, value string, line, col int) *yaml.Node {
	if len(p.nodes) == cap(p.nodes) {
		p.nodes = make([]yaml.Node, 0, 64)
	}
	p.nodes = p.nodes[:len(p.nodes)+1]
	n := &p.nodes[len(p.nodes)-1]
	n.Kind, n.Tag, n.Value, n.Line, n.Column = kind, tag, value, line, col+1
	return n
}

// null is the empty value of the pending key or "-".
func (p *fastParser) null() *yaml.Node {
	p.pending = false
	return p.node(yaml.ScalarNode, "!!null", "", p.pendLine, p.pendCol-1)
}

// collect takes the entries from start on off kids, as a Content slice from the slab.
func (p *fastParser) collect(start int) []*yaml.Node {
	k := p.kids[start:]
	p.kids = p.kids[:start]
	if len(k) == 0 {
		return nil
	}
	if cap(p.ptrs)-len(p.ptrs) < len(k) {
		p.ptrs = make([]*yaml.Node, 0, max(len(k), 64))
	}
	a := len(p.ptrs)
	p.ptrs = append(p.ptrs, k...)
	return p.ptrs[a:len(p.ptrs):len(p.ptrs)]
}

func (p *fastParser) top() *fastFrame { return &p.stack[len(p.stack)-1] }

// close closes the innermost open collection.
func (p *fastParser) close() {
	f := p.top()
	f.node.Content = p.collect(f.start)
	p.stack = p.stack[:len(p.stack)-1]
}

// push opens a block collection at column col of the current line.
func (p *fastParser) push(seq bool, col int, indentless bool) bool {
	if len(p.stack) > 500 {
		return false
	}
	kind, tag := yaml.MappingNode, "!!map"
	if seq {
		kind, tag = yaml.SequenceNode, "!!seq"
	}
	n := p.node(kind, tag, "", p.line, col)
	if len(p.stack) > 0 {
		p.kids = append(p.kids, n)
	}
	p.stack = append(p.stack, fastFrame{node: n, col: col, seq: seq, indentless: indentless, start: len(p.kids)})
	return true
}

// read reads one line, without its line feed; start is where it begins in the document,
// brk whether a line feed ends it.
func (p *fastParser) read(line []byte, start int, brk bool) bool {
	p.cur = start
	indent := 0
	for indent < len(line) && line[indent] == ' ' {
		indent++
	}
	if p.block != nil {
		if done, ok := p.blockLine(line, indent, brk); done || !ok {
			return ok
		}
	}
	rest := line[indent:]
	if len(rest) == 0 || rest[0] == '#' {
		return true
	}
	if indent == 0 && (bytes.HasPrefix(rest, []byte("---")) || bytes.HasPrefix(rest, []byte("...")) || rest[0] == '%') {
		return false
	}
	isSeq := rest[0] == '-' && (len(rest) == 1 || rest[1] == ' ')
	if len(p.stack) == 0 {
		if isSeq || indent != 0 {
			return false
		}
		p.push(false, 0, false)
	} else {
		if p.pending {
			top := p.top()
			if indent > top.col || isSeq && indent == top.col && !top.seq {
				if !isSeq {
					if _, isKey, ok := p.key(line, indent); !ok {
						return false
					} else if !isKey {
						// The value on a line of its own: "key:\n  {}".
						p.pending = false
						return p.value(line, indent, true)
					}
				}
				p.pending = false
				if !p.push(isSeq, indent, indent == top.col) {
					return false
				}
			} else {
				p.kids = append(p.kids, p.null())
			}
		}
		for len(p.stack) > 1 && p.top().col > indent {
			p.close()
		}
		if t := p.top(); t.seq && t.indentless && !isSeq && t.col == indent {
			p.close()
		}
		if t := p.top(); t.col != indent || t.seq != isSeq {
			return false
		}
	}
	if !isSeq {
		k, isKey, ok := p.key(line, indent)
		if !ok || !isKey {
			return false
		}
		return p.entry(line, k)
	}
	// A sequence entry: "-" and a value, or a mapping whose first key is on this line.
	col := indent + 1
	for col < len(line) && line[col] == ' ' {
		col++
	}
	if col == len(line) || line[col] == '#' {
		p.pending, p.pendLine, p.pendCol = true, p.line, indent+2
		return true
	}
	if line[col] == '-' && (col+1 == len(line) || line[col+1] == ' ') {
		return false
	}
	k, isKey, ok := p.key(line, col)
	if !ok {
		return false
	}
	if !isKey {
		return p.value(line, col, false)
	}
	if !p.push(false, col, false) {
		return false
	}
	return p.entry(line, k)
}

// A fastKey is a mapping key on a line: its text (without quotes) from start to end, its
// style, where its ":" is and where its value starts.
type fastKey struct {
	start, end int
	style      yaml.Style
	colon      int
	value      int
}

// key reads the mapping key at line[at:]: a plain key of the characters keys are usually
// made of, or a quoted key without escapes. isKey is false when the line holds no key
// there; ok is false when it holds one fastParse does not vouch for.
func (p *fastParser) key(line []byte, at int) (k fastKey, isKey, ok bool) {
	i := at
	switch q := line[at]; q {
	case '"', '\'':
		i++
		for i < len(line) && line[i] != q {
			if line[i] == '\\' && q == '"' {
				return k, false, false
			}
			i++
		}
		if i == len(line) || q == '\'' && i+1 < len(line) && line[i+1] == '\'' {
			return k, false, false // on more than one line, or an escaped quote
		}
		k.start, k.end, k.style = at+1, i, yaml.DoubleQuotedStyle
		if q == '\'' {
			k.style = yaml.SingleQuotedStyle
		}
		i++
	default:
		for i < len(line) && keyChar(line[i], i == at) {
			i++
		}
		if i == at {
			return k, false, true
		}
		k.start, k.end = at, i
	}
	if i == len(line) || line[i] != ':' || i+1 < len(line) && line[i+1] != ' ' {
		return k, false, true // "a:b" is a scalar, not a key
	}
	if i-at > 512 {
		return k, false, false // the parser limits how long a key may be
	}
	k.colon = i
	i++
	for i < len(line) && line[i] == ' ' {
		i++
	}
	k.value = i
	return k, true, true
}

// entry adds a mapping entry to the innermost collection: its key, and the value that
// starts on the line or is pending.
func (p *fastParser) entry(line []byte, k fastKey) bool {
	text := p.text(k.start, k.end)
	tag := "!!str"
	col := k.start
	if k.style == 0 {
		tag = resolvePlain(text)
	} else {
		col--
	}
	kn := p.node(yaml.ScalarNode, tag, text, p.line, col)
	kn.Style = k.style
	p.kids = append(p.kids, kn)
	if k.value == len(line) || line[k.value] == '#' {
		p.pending, p.pendLine, p.pendCol = true, p.line, k.colon+2
		return true
	}
	return p.value(line, k.value, false)
}

// text is the current line's text from from to to, as a slice of src.
func (p *fastParser) text(from, to int) string {
	return p.src[p.cur+from : p.cur+to]
}

// value adds the value that starts at line[at:] to the innermost collection. ownLine says
// it is on a line of its own under its key or "-".
func (p *fastParser) value(line []byte, at int, ownLine bool) bool {
	v := line[at:]
	switch v[0] {
	case '|':
		if ownLine {
			return false
		}
		h := v[1:]
		chomp := byte(0)
		if len(h) > 0 && (h[0] == '-' || h[0] == '+') {
			chomp, h = h[0], h[1:]
		}
		if !blankOrComment(h) {
			return false // an indentation indicator, or something else
		}
		n := p.node(yaml.ScalarNode, "!!str", "", p.line, at)
		n.Style = yaml.LiteralStyle
		p.kids = append(p.kids, n)
		p.block, p.blockMin, p.blockIndent, p.chomp = n, p.top().col+1, -1, chomp
		p.leading, p.trailing, p.buf = false, 0, p.buf[:0]
		return true
	case '"', '\'':
		n, end, ok := p.quoted(line, at)
		if !ok || !blankOrComment(line[end:]) {
			return false
		}
		p.kids = append(p.kids, n)
		return true
	case '[', '{':
		n, end, ok := p.flow(line, at, 0)
		if !ok || !blankOrComment(line[end:]) {
			return false
		}
		p.kids = append(p.kids, n)
		return true
	case '>', '&', '*', '!', '%', '@', '`', ',', ']', '}', '#':
		return false
	case '-', '?', ':':
		// In a block, these start a plain scalar only when a character other than a
		// space follows.
		if len(v) == 1 || v[1] == ' ' {
			return false
		}
	}
	text, _, ok := plainLine(v)
	if !ok || string(text) == "<<" {
		return false
	}
	s := p.text(at, at+len(text))
	p.kids = append(p.kids, p.node(yaml.ScalarNode, resolvePlain(s), s, p.line, at))
	return true
}

// quoted reads the quoted scalar at line[at:], which must end on the line, and returns
// it and where it ends.
func (p *fastParser) quoted(line []byte, at int) (n *yaml.Node, end int, ok bool) {
	q := line[at]
	escaped := false
	i := at + 1
	for ; i < len(line); i++ {
		c := line[i]
		if q == '\'' {
			if c == '\'' {
				if i+1 < len(line) && line[i+1] == '\'' {
					escaped = true
					i++
					continue
				}
				break
			}
			continue
		}
		if c == '"' {
			break
		}
		if c == '\\' {
			escaped = true
			if i+1 == len(line) {
				return nil, 0, false // an escaped line break
			}
			i++
			switch line[i] {
			case '0', 'a', 'b', 't', 'n', 'v', 'f', 'r', 'e', ' ', '"', '\'', '\\', 'N', '_', 'L', 'P':
			case 'x':
				i += 2
			case 'u':
				i += 4
			case 'U':
				i += 8
			default:
				return nil, 0, false
			}
		}
	}
	if i >= len(line) {
		return nil, 0, false // not closed on the line
	}
	var value string
	switch {
	case !escaped:
		value = p.text(at+1, i)
	case q == '\'':
		value = strings.ReplaceAll(p.text(at+1, i), "''", "'")
	default:
		if value, ok = unescape(line[at+1 : i]); !ok {
			return nil, 0, false
		}
	}
	n = p.node(yaml.ScalarNode, "!!str", value, p.line, at)
	n.Style = yaml.SingleQuotedStyle
	if q == '"' {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n, i + 1, true
}

// unescape decodes the text of a double-quoted scalar on one line as the parser does.
func unescape(b []byte) (string, bool) {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		code := 0
		switch b[i] {
		case '0':
			out = append(out, 0)
		case 'a':
			out = append(out, '\a')
		case 'b':
			out = append(out, '\b')
		case 't':
			out = append(out, '\t')
		case 'n':
			out = append(out, '\n')
		case 'v':
			out = append(out, '\v')
		case 'f':
			out = append(out, '\f')
		case 'r':
			out = append(out, '\r')
		case 'e':
			out = append(out, 0x1b)
		case ' ', '"', '\'', '\\':
			out = append(out, b[i])
		case 'N':
			out = append(out, "\u0085"...)
		case '_':
			out = append(out, "\u00a0"...)
		case 'L':
			out = append(out, "\u2028"...)
		case 'P':
			out = append(out, "\u2029"...)
		case 'x':
			code = 2
		case 'u':
			code = 4
		case 'U':
			code = 8
		default:
			return "", false
		}
		if code == 0 {
			continue
		}
		if !hexDigits(b[i+1:], code) {
			return "", false
		}
		v, err := strconv.ParseUint(string(b[i+1:i+1+code]), 16, 32)
		if err != nil || v >= 0xd800 && v <= 0xdfff || v > 0x10ffff {
			return "", false
		}
		out = utf8.AppendRune(out, rune(v))
		i += code
	}
	return string(out), true
}

// flow reads the flow collection at line[at:], which must end on the line, of quoted
// scalars, plain scalars of key characters, and flow collections of the same, and
// returns it and where it ends.
func (p *fastParser) flow(line []byte, at int, depth int) (n *yaml.Node, end int, ok bool) {
	if depth > 20 {
		return nil, 0, false
	}
	mapping := line[at] == '{'
	closing := line[at] + 2
	kind, tag := yaml.SequenceNode, "!!seq"
	if mapping {
		kind, tag = yaml.MappingNode, "!!map"
	}
	n = p.node(kind, tag, "", p.line, at)
	n.Style = yaml.FlowStyle
	start := len(p.kids)
	i := skipSpaceAt(line, at+1)
	if i < len(line) && line[i] == closing {
		return n, i + 1, true
	}
	for {
		if i, ok = p.flowNode(line, i, depth); !ok {
			return nil, 0, false
		}
		if mapping {
			if i+1 >= len(line) || line[i] != ':' || line[i+1] != ' ' {
				return nil, 0, false
			}
			if i, ok = p.flowNode(line, skipSpaceAt(line, i+1), depth); !ok {
				return nil, 0, false
			}
		}
		i = skipSpaceAt(line, i)
		switch {
		case i == len(line):
			return nil, 0, false // the collection goes on on the next line
		case line[i] == closing:
			n.Content = p.collect(start)
			return n, i + 1, true
		case line[i] != ',':
			return nil, 0, false
		}
		i = skipSpaceAt(line, i+1)
	}
}

// flowNode reads one node inside a flow collection, adds it to kids, and returns where it
// ends.
func (p *fastParser) flowNode(line []byte, at int, depth int) (int, bool) {
	if at >= len(line) {
		return 0, false
	}
	var n *yaml.Node
	var end int
	var ok bool
	switch line[at] {
	case '[', '{':
		n, end, ok = p.flow(line, at, depth+1)
	case '"', '\'':
		n, end, ok = p.quoted(line, at)
	default:
		end = at
		for end < len(line) && keyChar(line[end], end == at) {
			end++
		}
		if end == at {
			return 0, false
		}
		s := p.text(at, end)
		n, ok = p.node(yaml.ScalarNode, resolvePlain(s), s, p.line, at), true
	}
	if !ok {
		return 0, false
	}
	p.kids = append(p.kids, n)
	return end, true
}

func skipSpaceAt(line []byte, i int) int {
	for i < len(line) && line[i] == ' ' {
		i++
	}
	return i
}

// blockLine reads a line while a literal block scalar is open, as the parser's scanner
// does. done is false when the line ends the scalar, which is then complete, and the line
// must be read as any other; ok is false when fastParse gives up.
func (p *fastParser) blockLine(line []byte, indent int, brk bool) (done, ok bool) {
	blank := indent == len(line)
	if p.blockIndent < 0 {
		if blank {
			if indent > 0 {
				// Spaces before the first content line could set the indentation;
				// leave that to the parser.
				return false, false
			}
			if brk {
				p.trailing++
			}
			return true, true
		}
		if indent < p.blockMin {
			p.endBlock()
			return false, true
		}
		p.blockIndent = indent
	}
	if blank && indent <= p.blockIndent {
		if brk {
			p.trailing++
		}
		return true, true
	}
	if indent < p.blockIndent {
		p.endBlock()
		return false, true
	}
	if p.leading {
		p.buf = append(p.buf, '\n')
	}
	for range p.trailing {
		p.buf = append(p.buf, '\n')
	}
	p.buf = append(p.buf, line[p.blockIndent:]...)
	p.leading, p.trailing = brk, 0
	return true, true
}

// endBlock completes the open block scalar, chomping its line breaks.
func (p *fastParser) endBlock() {
	if p.chomp != '-' && p.leading {
		p.buf = append(p.buf, '\n')
	}
	if p.chomp == '+' {
		for range p.trailing {
			p.buf = append(p.buf, '\n')
		}
	}
	p.block.Value = string(p.buf)
	p.block = nil
}

// resolveHint is the parser's table of the first characters of the plain scalars that
// may be something else than a string.
var resolveHint = func() (t [256]byte) {
	t['+'], t['-'] = 'S', 'S'
	for c := '0'; c <= '9'; c++ {
		t[c] = 'D'
	}
	for _, c := range "yYnNtTfFoO~" {
		t[c] = 'M'
	}
	t['.'] = '.'
	return t
}()

// resolveWords are the plain scalars that the parser resolves by name.
var resolveWords = map[string]string{
	"true": "!!bool", "True": "!!bool", "TRUE": "!!bool",
	"false": "!!bool", "False": "!!bool", "FALSE": "!!bool",
	"": "!!null", "~": "!!null", "null": "!!null", "Null": "!!null", "NULL": "!!null",
	".nan": "!!float", ".NaN": "!!float", ".NAN": "!!float",
	".inf": "!!float", ".Inf": "!!float", ".INF": "!!float",
	"+.inf": "!!float", "+.Inf": "!!float", "+.INF": "!!float",
	"-.inf": "!!float", "-.Inf": "!!float", "-.INF": "!!float",
}

// yamlStyleFloat is the float pattern of yaml.v3's resolve, the same as yaml v2's.
var yamlStyleFloat = regexp.MustCompile(`^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`)

// resolvePlain is the tag the parser gives a plain scalar other than "<<" (a merge key):
// its resolve, step by step.
func resolvePlain(in string) string {
	hint := byte('N')
	if in != "" {
		hint = resolveHint[in[0]]
	}
	if hint == 0 {
		return "!!str"
	}
	if tag, ok := resolveWords[in]; ok {
		return tag
	}
	switch hint {
	case '.':
		if _, err := strconv.ParseFloat(in, 64); err == nil {
			return "!!float"
		}
	case 'D', 'S':
		if timestampLike(in) {
			return "!!timestamp"
		}
		// Past here only numbers are not strings, and they are made of these.
		for i := 0; i < len(in); i++ {
			switch c := in[i]; {
			case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
			case c == 'x' || c == 'X' || c == 'o' || c == 'O' || c == '_' || c == '+' || c == '-' || c == '.':
			default:
				return "!!str"
			}
		}
		plain := strings.ReplaceAll(in, "_", "")
		if _, err := strconv.ParseInt(plain, 0, 64); err == nil {
			return "!!int"
		}
		if _, err := strconv.ParseUint(plain, 0, 64); err == nil {
			return "!!int"
		}
		if yamlStyleFloat.MatchString(plain) {
			if _, err := strconv.ParseFloat(plain, 64); err == nil {
				return "!!float"
			}
		}
		if strings.HasPrefix(plain, "0b") {
			if _, err := strconv.ParseInt(plain[2:], 2, 64); err == nil {
				return "!!int"
			}
			if _, err := strconv.ParseUint(plain[2:], 2, 64); err == nil {
				return "!!int"
			}
		} else if strings.HasPrefix(plain, "-0b") {
			if _, err := strconv.ParseInt("-"+plain[3:], 2, 64); err == nil {
				return "!!int"
			}
		}
		if strings.HasPrefix(plain, "0o") {
			if _, err := strconv.ParseInt(plain[2:], 8, 64); err == nil {
				return "!!int"
			}
			if _, err := strconv.ParseUint(plain[2:], 8, 64); err == nil {
				return "!!int"
			}
		} else if strings.HasPrefix(plain, "-0o") {
			if _, err := strconv.ParseInt("-"+plain[3:], 8, 64); err == nil {
				return "!!int"
			}
		}
	}
	return "!!str"
}

// timestampLike is the parser's parseTimestamp, without the time; go.yaml.in/yaml/v2 reads
// timestamps the same way.
func timestampLike(s string) bool {
	i := 0
	for ; i < len(s); i++ {
		if c := s[i]; c < '0' || c > '9' {
			break
		}
	}
	if i != 4 || i == len(s) || s[i] != '-' {
		return false
	}
	for _, format := range []string{
		"2006-1-2T15:4:5.999999999Z07:00",
		"2006-1-2t15:4:5.999999999Z07:00",
		"2006-1-2 15:4:5.999999999",
		"2006-1-2",
	} {
		if _, err := time.Parse(format, s); err == nil {
			return true
		}
	}
	return false
}
