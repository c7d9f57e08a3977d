package manifest

import (
	"bytes"
	"encoding/binary"
	"unicode/utf8"
)

// quickHead is what a quick scan learns of a document.
type QuickHead struct {
	Kind       string
	ApiVersion string
	Hook       bool // metadata.annotations holds helm.sh/hook
	Helm4      bool // metadata.annotations holds Helm 4's postrender-filename
	Conversion bool // spec holds a conversion key
}

// The mappings whose keys the scan follows; every other one is pathOther.
type scanPath uint8

const (
	pathOther scanPath = iota
	pathRoot
	pathMeta
	pathSpec
	pathAnnotations
	pathLabels
)

type scanFrame struct {
	indent int
	seq    bool
	// indentless says a sequence sits at its parent key's own column ("key:\n- a").
	indentless bool
	path       scanPath
}

// What the previous lines left open.
const (
	openNone    = iota
	openPending // a key or "-" without a value: a nested block may follow
	openPlain   // a plain scalar that may go on on more indented lines
	openQuoted  // a quoted scalar not closed yet
	openBlock   // a block scalar ("|", ">")
)

type scanner struct {
	h     QuickHead
	stack []scanFrame
	open  int
	// parent is the column of the collection that the open value belongs to: nested
	// blocks and scalar continuations must be indented more.
	parent int
	// pendingPath is the path of a block that opens under a pending key, pendingWant
	// what its value must be.
	pendingPath scanPath
	pendingWant int
	// tracked says the open plain scalar is a value the scan reports, which must not go
	// on to other lines.
	tracked     bool
	single      bool // the open quoted scalar is single-quoted
	blockIndent int  // the open block scalar's content column, -1 until known
	// The keys seen of the mappings whose keys decide whether a document matters: one
	// seen twice sends the document to the parser, which refuses it (checkHeadKeys).
	rootKeys []string
	metaKeys []string
	annKeys  []string // metadata.annotations'
	specKeys []string
}

// quickScan scans a document. ok is false when the document is outside the subset the
// scan vouches for; it must then be parsed.
func QuickScan(raw []byte) (QuickHead, bool) {
	s := scanner{stack: make([]scanFrame, 0, 16)}
	for pos, first := 0, true; pos < len(raw); first = false {
		end := bytes.IndexByte(raw[pos:], '\n')
		if end < 0 {
			end = len(raw)
		} else {
			end += pos
		}
		line := raw[pos:end]
		pos = end + 1
		if !PlainText(line) {
			return QuickHead{}, false
		}
		if first && IsSeparator(line) {
			if !blankOrComment(line[3:]) {
				return QuickHead{}, false
			}
			continue
		}
		if !s.line(line) {
			return QuickHead{}, false
		}
	}
	if len(s.stack) == 0 || s.open == openQuoted {
		return QuickHead{}, false
	}
	return s.h, true
}

// plainText tells whether a line holds only characters the scan's subset allows:
// printable ASCII, and the non-ASCII characters the YAML parser accepts, except the line
// and paragraph separators that it reads as line breaks. No tab, no carriage return, no
// byte order mark.
func PlainText(raw []byte) bool {
	i := 0
	// Eight bytes at a time while they are all printable ASCII (0x20 to 0x7e).
	for ; i+8 <= len(raw); i += 8 {
		w := binary.LittleEndian.Uint64(raw[i:])
		const ones, highs = 0x0101010101010101, 0x8080808080808080
		below := (w - 0x20*ones) & ^w & highs // some byte is below 0x20 (or not ASCII)
		del := (w ^ 0x7f*ones - ones) & ^(w ^ 0x7f*ones) & highs
		if (w&highs)|below|del != 0 {
			break
		}
	}
	for i < len(raw) {
		b := raw[i]
		if b < utf8.RuneSelf {
			if b < 0x20 || b == 0x7f {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(raw[i:])
		switch {
		case r == utf8.RuneError && n <= 1:
			return false
		case r >= 0xa0 && r <= 0xd7ff && r != 0x2028 && r != 0x2029:
		case r >= 0xe000 && r <= 0xfffd && r != 0xfeff:
		case r >= 0x10000 && r <= 0x10ffff:
		default:
			return false
		}
		i += n
	}
	return true
}

func (s *scanner) top() *scanFrame { return &s.stack[len(s.stack)-1] }

// line scans one line, without its line feed.
func (s *scanner) line(line []byte) bool {
	indent := 0
	for indent < len(line) && line[indent] == ' ' {
		indent++
	}
	rest := line[indent:]

	switch s.open {
	case openBlock:
		if ok, done := s.blockScalarLine(indent, rest); done {
			return ok
		}
	case openQuoted:
		return s.quotedScalarLine(indent, rest)
	case openPlain:
		if ok, done := s.plainScalarLine(indent, rest); done {
			return ok
		}
	}
	if len(rest) == 0 || rest[0] == '#' {
		return true
	}
	if indent == 0 && (bytes.HasPrefix(rest, []byte("---")) || bytes.HasPrefix(rest, []byte("...")) || rest[0] == '%') {
		return false
	}
	isSeq := rest[0] == '-' && (len(rest) == 1 || rest[1] == ' ')

	if len(s.stack) == 0 {
		if isSeq || indent != 0 {
			return false
		}
		s.stack = append(s.stack, scanFrame{path: pathRoot})
	} else {
		if s.open == openPending {
			if ok, done := s.nestUnderPending(indent, rest, isSeq); done {
				return ok
			}
		}
		if !s.closeFrames(indent, isSeq) {
			return false
		}
	}

	if !isSeq {
		key, value, isKey, ok := splitKey(rest)
		if !ok || !isKey {
			return false
		}
		return s.entry(key, value)
	}
	return s.sequenceEntry(indent, rest)
}

// blockScalarLine scans a line while a block scalar ("|", ">") is open. done says the line
// is scanned, ok how; otherwise the line is less indented than the scalar's content, which
// it ends, and is scanned as any other.
func (s *scanner) blockScalarLine(indent int, rest []byte) (ok, done bool) {
	switch {
	case len(rest) == 0:
		// An all-space line before the first content line could set the scalar's
		// indentation; leave that to the parser.
		return s.blockIndent >= 0 || indent == 0, true
	case s.blockIndent < 0 && indent > s.parent:
		s.blockIndent = indent
		return true, true
	case s.blockIndent >= 0 && indent >= s.blockIndent:
		return true, true
	case indent > s.parent:
		return false, true // less indented than the content, more than its parent
	}
	s.open = openNone
	return false, false
}

// quotedScalarLine scans a line while a quoted scalar is open: the line goes on with it,
// and may close it.
func (s *scanner) quotedScalarLine(indent int, rest []byte) bool {
	if len(rest) == 0 {
		return true
	}
	if indent <= s.parent {
		return false
	}
	closed, after, ok := scanQuoted(rest, s.single)
	if !ok {
		return false
	}
	if closed {
		s.open = openNone
		return blankOrComment(after)
	}
	return true
}

// plainScalarLine scans a line while a plain scalar that may go on is open. done says the
// line is scanned, ok how; otherwise the line is not indented past the scalar's parent,
// which ends it, and is scanned as any other.
func (s *scanner) plainScalarLine(indent int, rest []byte) (ok, done bool) {
	switch {
	case len(rest) == 0:
		return true, true
	case rest[0] == '#':
		s.open = openNone // a comment ends a plain scalar
		return true, true
	case indent > s.parent:
		if s.tracked {
			return false, true
		}
		_, comment, ok := plainLine(rest)
		if comment {
			s.open = openNone
		}
		return ok, true
	}
	s.open = openNone
	return false, false
}

// nestUnderPending ends the value that a key or "-" without one left pending: a line
// indented past it (or a sequence at the column of a mapping's key) is its value, on a
// line of its own, or opens the nested block it is. done says the line is scanned, ok
// how; otherwise the line is scanned as an entry, of the nested block or of an outer one.
func (s *scanner) nestUnderPending(indent int, rest []byte, isSeq bool) (ok, done bool) {
	top := s.top()
	s.open = openNone
	if indent <= top.indent && !(isSeq && indent == top.indent && !top.seq) {
		return false, false
	}
	if !isSeq {
		if _, _, isKey, ok := splitKey(rest); ok && !isKey {
			// The value on a line of its own: "key:\n  {}".
			return s.value(rest, top.indent, s.pendingWant), true
		}
	}
	if s.pendingWant == valueString || (isSeq && s.pendingWant == valueMap) || len(s.stack) > 500 {
		return false, true
	}
	f := scanFrame{indent: indent, seq: isSeq, indentless: indent == top.indent, path: pathOther}
	if !isSeq {
		f.path = s.pendingPath
	}
	s.stack = append(s.stack, f)
	return false, false
}

// closeFrames closes the collections that a line at indent ends, and tells whether the
// line is an entry of the one left open: at its column, and of its kind.
func (s *scanner) closeFrames(indent int, isSeq bool) bool {
	for len(s.stack) > 1 && s.top().indent > indent {
		s.stack = s.stack[:len(s.stack)-1]
	}
	if t := s.top(); t.seq && t.indentless && !isSeq && t.indent == indent {
		s.stack = s.stack[:len(s.stack)-1]
	}
	t := s.top()
	return t.indent == indent && t.seq == isSeq
}

// sequenceEntry scans a sequence entry: "-" and a value, or a mapping whose first key
// sits on this line.
func (s *scanner) sequenceEntry(indent int, rest []byte) bool {
	content := rest[1:]
	col := indent + 1
	for len(content) > 0 && content[0] == ' ' {
		content = content[1:]
		col++
	}
	if len(content) == 0 || content[0] == '#' {
		s.pend(indent, pathOther, valueAny)
		return true
	}
	if content[0] == '-' && (len(content) == 1 || content[1] == ' ') {
		return false
	}
	key, value, isKey, ok := splitKey(content)
	if !ok {
		return false
	}
	if !isKey {
		return s.value(content, indent, valueAny)
	}
	s.stack = append(s.stack, scanFrame{indent: col, path: pathOther})
	return s.entry(key, value)
}

// pend leaves a value open for a nested block.
func (s *scanner) pend(parent int, path scanPath, want int) {
	s.open, s.parent, s.pendingPath, s.pendingWant = openPending, parent, path, want
}

// What a value must be.
const (
	valueAny     = iota
	valueTracked // a single-line scalar the scan reports (kind, apiVersion)
	valueMap     // a mapping or null (metadata, labels, annotations)
	valueString  // a scalar (a label's or an annotation's value)
	valueBlock   // anything but a non-empty flow collection, whose keys the scan does not read (spec)
)

// entry scans a mapping entry of the top frame: its key, and the value after ": ".
func (s *scanner) entry(key []byte, value []byte) bool {
	f := s.top()
	want, child := valueAny, pathOther
	switch f.path {
	case pathRoot:
		if seen(&s.rootKeys, key) {
			return false
		}
		switch string(key) {
		case "kind", "apiVersion":
			want = valueTracked
		case "metadata":
			want, child = valueMap, pathMeta
		case "spec":
			want, child = valueBlock, pathSpec
		}
	case pathMeta:
		if seen(&s.metaKeys, key) {
			return false
		}
		switch string(key) {
		case "annotations":
			want, child = valueMap, pathAnnotations
		case "labels":
			want, child = valueMap, pathLabels
		}
	case pathAnnotations:
		if seen(&s.annKeys, key) {
			return false
		}
		want = valueString
		switch string(key) {
		case AnnotationHook:
			s.h.Hook = true
		case AnnotationHelm4Filename:
			s.h.Helm4 = true
		}
	case pathLabels:
		want = valueString
	case pathSpec:
		if seen(&s.specKeys, key) {
			return false
		}
		if string(key) == "conversion" {
			s.h.Conversion = true
		}
	}
	if want == valueTracked {
		text, ok := trackedValue(value)
		if !ok {
			return false
		}
		if string(key) == "kind" {
			s.h.Kind = text
		} else {
			s.h.ApiVersion = text
		}
	}
	if len(value) == 0 || value[0] == '#' {
		if want == valueTracked {
			return false
		}
		s.pend(f.indent, child, want)
		return true
	}
	return s.value(value, f.indent, want)
}

// seen records a key of a mapping whose keys the scan reads, and tells whether it was
// there already: which of two equal keys a reader takes differs between readers. Past
// 64 keys it says yes, so that the scan gives up instead of comparing every pair.
func seen(keys *[]string, key []byte) bool {
	if len(*keys) >= 64 {
		return true
	}
	for _, k := range *keys {
		if k == string(key) {
			return true
		}
	}
	*keys = append(*keys, string(key))
	return false
}

// value scans a value that starts on this line: parent is the column of the collection
// it belongs to.
func (s *scanner) value(v []byte, parent int, want int) bool {
	s.parent = parent
	switch v[0] {
	case '|', '>':
		if want == valueMap || want == valueTracked {
			return false
		}
		h := v[1:]
		if len(h) > 0 && (h[0] == '-' || h[0] == '+') {
			h = h[1:]
		}
		if !blankOrComment(h) {
			return false // an indentation indicator, or something else
		}
		s.open, s.blockIndent = openBlock, -1
		return true
	case '\'', '"':
		if want == valueMap {
			return false
		}
		closed, after, ok := scanQuoted(v[1:], v[0] == '\'')
		if !ok {
			return false
		}
		if !closed {
			if want == valueTracked {
				return false
			}
			s.open, s.single = openQuoted, v[0] == '\''
			return true
		}
		s.open = openNone
		return blankOrComment(after)
	case '{', '[':
		switch want {
		case valueString, valueTracked:
			return false
		case valueMap, valueBlock:
			if !bytes.HasPrefix(v, []byte("{}")) && (want == valueMap || !bytes.HasPrefix(v, []byte("[]"))) {
				return false
			}
		}
		after, ok := scanFlow(v, 0)
		s.open = openNone
		return ok && blankOrComment(after)
	case '&', '*', '!', '%', '@', '`', ',', ']', '}':
		return false
	case '-', '?', ':':
		// In a block, these start a plain scalar only when a character other than a
		// space follows.
		if len(v) == 1 || v[1] == ' ' {
			return false
		}
	}
	text, comment, ok := plainLine(v)
	if !ok {
		return false
	}
	if want == valueMap {
		if t := string(text); t != "null" && t != "~" && t != "Null" && t != "NULL" {
			return false
		}
	}
	s.open, s.tracked = openPlain, want == valueTracked || want == valueMap
	if comment {
		s.open = openNone
	}
	return true
}

// scanFlow scans a flow collection that starts b and ends on the same line, and returns
// what follows it. It vouches only for collections of quoted scalars, plain scalars made
// of key characters, and flow collections of the same, as in `command: ["sh", "-c"]` or
// `- {key: app, operator: In, values: [web]}`.
func scanFlow(b []byte, depth int) (after []byte, ok bool) {
	if depth > 20 {
		return nil, false
	}
	mapping := b[0] == '{'
	closing := b[0] + 2
	b = skipSpaces(b[1:])
	if len(b) > 0 && b[0] == closing {
		return b[1:], true
	}
	for {
		var ok bool
		if b, ok = flowNode(b, depth); !ok {
			return nil, false
		}
		if mapping {
			if len(b) < 2 || b[0] != ':' || b[1] != ' ' {
				return nil, false
			}
			if b, ok = flowNode(skipSpaces(b[1:]), depth); !ok {
				return nil, false
			}
		}
		b = skipSpaces(b)
		switch {
		case len(b) == 0:
			return nil, false // the collection goes on on the next line
		case b[0] == closing:
			return b[1:], true
		case b[0] != ',':
			return nil, false
		}
		b = skipSpaces(b[1:])
	}
}

// flowNode scans one node inside a flow collection, and returns what follows it.
func flowNode(b []byte, depth int) ([]byte, bool) {
	if len(b) == 0 {
		return nil, false
	}
	switch b[0] {
	case '[', '{':
		return scanFlow(b, depth+1)
	case '"', '\'':
		closed, after, ok := scanQuoted(b[1:], b[0] == '\'')
		return after, ok && closed
	}
	n := 0
	for n < len(b) && keyChar(b[n], false) {
		n++
	}
	if n == 0 || b[0] == '-' && (n == 1 || b[1] == ' ') {
		return nil, false
	}
	return b[n:], true
}

func skipSpaces(b []byte) []byte {
	for len(b) > 0 && b[0] == ' ' {
		b = b[1:]
	}
	return b
}

// trackedValue returns the text of a single-line scalar that the scan reports.
func trackedValue(v []byte) (string, bool) {
	if len(v) == 0 {
		return "", false
	}
	switch v[0] {
	case '\'', '"':
		closed, after, ok := scanQuoted(v[1:], v[0] == '\'')
		if !ok || !closed || !blankOrComment(after) {
			return "", false
		}
		text := v[1 : len(v)-len(after)-1]
		if bytes.IndexByte(text, '\\') >= 0 || bytes.IndexByte(text, '\'') >= 0 {
			return "", false // an escape: leave the decoding to the parser
		}
		return string(text), true
	case '|', '>', '{', '[', '&', '*', '!', '%', '@', '`', ',', ']', '}', '?', ':', '#', '-':
		return "", false
	}
	text, _, ok := plainLine(v)
	return string(text), ok
}

// plainLine scans one line of a plain scalar. It returns the scalar's text on the line and
// whether a comment ends it there; ok is false where ": " (or a ":" at the end) would make
// the text a mapping key, which the parser refuses in a value.
func plainLine(b []byte) (text []byte, comment bool, ok bool) {
	end := len(b)
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case ':':
			if i+1 == len(b) || b[i+1] == ' ' {
				return nil, false, false
			}
		case '#':
			if i > 0 && b[i-1] == ' ' {
				end, comment = i, true
			}
		}
		if comment {
			break
		}
	}
	for end > 0 && b[end-1] == ' ' {
		end--
	}
	return b[:end], comment, true
}

// scanQuoted scans a quoted scalar's text on one line, after the opening quote or from
// the start of a continuation line. It returns whether the scalar closes on the line and
// what follows the closing quote. ok is false on an escape the scan does not vouch for.
func scanQuoted(b []byte, single bool) (closed bool, after []byte, ok bool) {
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case single && c == '\'':
			if i+1 < len(b) && b[i+1] == '\'' {
				i++
				continue
			}
			return true, b[i+1:], true
		case !single && c == '"':
			return true, b[i+1:], true
		case !single && c == '\\':
			if i+1 == len(b) {
				return false, nil, false // an escaped line break
			}
			i++
			switch b[i] {
			case '0', 'a', 'b', 't', 'n', 'v', 'f', 'r', 'e', ' ', '"', '\\', 'N', '_', 'L', 'P':
			case 'x':
				if !hexDigits(b[i+1:], 2) {
					return false, nil, false
				}
				i += 2
			case 'u':
				if !hexDigits(b[i+1:], 4) || b[i+1] == 'd' || b[i+1] == 'D' {
					return false, nil, false // a surrogate, or not hex
				}
				i += 4
			default:
				return false, nil, false
			}
		}
	}
	return false, nil, true
}

func hexDigits(b []byte, n int) bool {
	if len(b) < n {
		return false
	}
	for _, c := range b[:n] {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// splitKey reads "key: value" at the start of b: a plain key of the characters keys are
// usually made of, or a quoted key on one line. isKey is false when b does not start with
// a key; ok is false when it starts with one the scan does not vouch for.
func splitKey(b []byte) (key []byte, value []byte, isKey, ok bool) {
	var rest []byte
	switch b[0] {
	case '"', '\'':
		closed, after, qok := scanQuoted(b[1:], b[0] == '\'')
		if !qok {
			return nil, nil, false, false
		}
		if !closed || len(after) == 0 || after[0] != ':' {
			return nil, nil, false, true
		}
		text := b[1 : len(b)-len(after)-1]
		if bytes.IndexByte(text, '\\') >= 0 || bytes.IndexByte(text, '\'') >= 0 || bytes.IndexByte(text, '"') >= 0 {
			return nil, nil, false, false
		}
		key, rest = text, after
	default:
		n := 0
		for n < len(b) && keyChar(b[n], n == 0) {
			n++
		}
		if n == 0 || n == len(b) || b[n] != ':' {
			return nil, nil, false, true
		}
		key, rest = b[:n], b[n:]
	}
	if len(key) > 512 {
		return nil, nil, false, false // the parser limits how long a key may be
	}
	// rest starts with ':'.
	if len(rest) > 1 && rest[1] != ' ' {
		return nil, nil, false, true // "a:b" is a scalar, not a key
	}
	rest = rest[1:]
	for len(rest) > 0 && rest[0] == ' ' {
		rest = rest[1:]
	}
	return key, rest, true, true
}

// keyChar tells the characters of the plain keys the scan reads: letters, digits and
// "_./$", and "-" after the first.
func keyChar(c byte, first bool) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	case c == '_' || c == '.' || c == '/' || c == '$':
		return true
	case c == '-':
		return !first
	}
	return false
}

// blankOrComment tells whether the rest of a line is spaces and perhaps a comment.
func blankOrComment(b []byte) bool {
	for i, c := range b {
		switch c {
		case ' ':
			continue
		case '#':
			return i > 0
		}
		return false
	}
	return true
}
