package yamlfast

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// appendNodeJSON appends to dst the JSON of n exactly as n.Decode into an `any` followed by
// json.Marshal writes it, walking the tree instead of building maps and sorting them by
// reflection. It reports false, with dst possibly extended, for a tree it does not take:
// aliases, merge keys, keys that are not strings (the decode makes them a
// map[interface{}]interface{}, which json.Marshal refuses), duplicate keys (the decode
// fails), tags other than the standard ones, !!binary, nested documents, and anything the
// decode or json.Marshal would refuse. The caller then goes the long way.
//
// Strings, null, true/false, and plain decimal integers and decimals are written here; a
// scalar of any other form (0x1F, 1e3, 2002-12-14, ...) is decoded on its own by yaml.v3
// and marshalled by encoding/json, which is what the whole-tree decode does with it.
func AppendNodeJSON(dst []byte, n *yaml.Node) ([]byte, bool) {
	var keys [64]int
	e := nodeEncoder{buf: dst, keys: keys[:0]}
	if !e.node(n) {
		return dst, false
	}
	return e.buf, true
}

type nodeEncoder struct {
	buf  []byte
	keys []int // a stack of the key indexes of the mappings being written
}

func (e *nodeEncoder) node(n *yaml.Node) bool {
	if n == nil {
		return false
	}
	switch n.Kind {
	case yaml.ScalarNode:
		return e.scalar(n)
	case yaml.MappingNode:
		if n.Tag != "" && n.Tag != "!" && n.Tag != yaml.NodeTagMap {
			return false
		}
		return e.mapping(n)
	case yaml.SequenceNode:
		if n.Tag != "" && n.Tag != "!" && n.Tag != yaml.NodeTagSeq {
			return false
		}
		e.buf = append(e.buf, '[')
		for i, c := range n.Content {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			if !e.node(c) {
				return false
			}
		}
		e.buf = append(e.buf, ']')
		return true
	}
	return false // aliases, documents, zero nodes
}

// mapping writes a mapping whose keys are all distinct strings, sorted by their bytes as
// json.Marshal sorts the keys of a map[string]any.
func (e *nodeEncoder) mapping(n *yaml.Node) bool {
	c := n.Content
	if len(c)%2 != 0 {
		return false
	}
	base := len(e.keys)
	defer func() { e.keys = e.keys[:base] }()
	sorted := true
	for i := 0; i < len(c); i += 2 {
		if !stringKey(c[i]) {
			return false
		}
		if i > 0 && c[i-2].Value >= c[i].Value {
			sorted = false
		}
		e.keys = append(e.keys, i)
	}
	if !sorted {
		keys := e.keys[base:]
		slices.SortFunc(keys, func(a, b int) int { return strings.Compare(c[a].Value, c[b].Value) })
		for j := 1; j < len(keys); j++ {
			if c[keys[j-1]].Value == c[keys[j]].Value {
				return false // the decode fails on a duplicate key
			}
		}
	}
	e.buf = append(e.buf, '{')
	for j := base; j < base+len(c)/2; j++ {
		i := e.keys[j] // e.keys grows (and may move) while a value is written
		if j > base {
			e.buf = append(e.buf, ',')
		}
		e.buf = appendJSONString(e.buf, c[i].Value)
		e.buf = append(e.buf, ':')
		if !e.node(c[i+1]) {
			return false
		}
	}
	e.buf = append(e.buf, '}')
	return true
}

// stringKey reports whether a mapping key decodes as a string key (its Value) that does
// not make the mapping a map[interface{}]interface{} and is not a merge key.
func stringKey(k *yaml.Node) bool {
	if k.Kind != yaml.ScalarNode {
		return false
	}
	switch k.Tag {
	case yaml.NodeTagString:
		return true
	case "", "!":
		if k.Value == "<<" {
			return false // a merge key, whatever its style
		}
		if k.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
			return true
		}
		return plainValue(k.Value) == plainString
	}
	return false
}

// scalar writes a scalar as the decode resolves it.
func (e *nodeEncoder) scalar(n *yaml.Node) bool {
	switch n.Tag {
	case yaml.NodeTagString:
		e.buf = appendJSONString(e.buf, n.Value)
		return true
	case "":
		if n.Style&(yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
			e.buf = appendJSONString(e.buf, n.Value)
			return true
		}
	case yaml.NodeTagNull, yaml.NodeTagBool, yaml.NodeTagInt, yaml.NodeTagFloat:
	case "!", "!!timestamp":
		return e.decodeScalar(n)
	default:
		return false // !!binary, !!merge, long forms, custom tags
	}
	var tag string
	switch r := plainValue(n.Value); r {
	case plainString:
		tag = yaml.NodeTagString
		if n.Tag == "" {
			e.buf = appendJSONString(e.buf, n.Value)
			return true
		}
	case plainNull:
		tag = yaml.NodeTagNull
		if n.Tag == "" || n.Tag == tag {
			e.buf = append(e.buf, "null"...)
			return true
		}
	case plainTrue, plainFalse:
		tag = yaml.NodeTagBool
		if n.Tag == "" || n.Tag == tag {
			e.buf = strconv.AppendBool(e.buf, r == plainTrue)
			return true
		}
	case plainInt:
		tag = yaml.NodeTagInt
		if n.Tag == "" || n.Tag == tag {
			e.buf = append(e.buf, n.Value...) // already as strconv.AppendInt writes it
			return true
		}
	case plainDecimal:
		tag = yaml.NodeTagFloat
		if n.Tag == "" || n.Tag == tag {
			f, err := strconv.ParseFloat(n.Value, 64)
			if err != nil {
				break
			}
			e.buf = appendJSONFloat(e.buf, f)
			return true
		}
	}
	return e.decodeScalar(n)
}

// decodeScalar writes a scalar the slow, exact way: as json.Marshal writes what yaml.v3
// decodes it into.
func (e *nodeEncoder) decodeScalar(n *yaml.Node) bool {
	var v any
	if err := n.Decode(&v); err != nil {
		return false
	}
	b, err := json.Marshal(v)
	if err != nil {
		return false
	}
	e.buf = append(e.buf, b...)
	return true
}

// What a plain scalar (an untagged one, not quoted, not a block scalar) decodes to in
// yaml.v3 (its resolve("", value)), as plainValue tells it; plainOther when not worked out
// here.
const (
	plainOther = iota
	plainString
	plainNull
	plainTrue
	plainFalse
	plainInt     // a decimal integer that fits an int64, written canonically
	plainDecimal // digits, a point and digits: a float64 unless ParseFloat fails
)

// plainValue is what a plain scalar decodes to, telling apart the values nodeJSON writes
// itself.
func plainValue(s string) int {
	switch s {
	case "", "~", "null", "Null", "NULL":
		return plainNull
	case "true", "True", "TRUE":
		return plainTrue
	case "false", "False", "FALSE":
		return plainFalse
	case ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF":
		return plainOther
	}
	// Only a scalar that starts like a number (or a timestamp) can be anything but a string
	// once the special values above are out of the way.
	if c := s[0]; c != '.' && c != '+' && c != '-' && (c < '0' || c > '9') {
		return plainString
	}
	if isCanonicalInt(s) {
		return plainInt
	}
	if isPlainDecimal(s) {
		return plainDecimal
	}
	// Every form yaml.v3 reads as a number or a timestamp (strconv.ParseInt, ParseUint and
	// ParseFloat after its float pattern, the 0b and 0o forms, and time.Parse with its four
	// layouts) is made of these bytes; a scalar with any other byte is a string.
	for i := 0; i < len(s); i++ {
		if !numericByte[s[i]] {
			return plainString
		}
	}
	return plainOther
}

var numericByte = func() (t [256]bool) {
	for _, c := range "0123456789abcdefABCDEFxXoOtTZ_.,:+- " {
		t[c] = true
	}
	return t
}()

// isCanonicalInt reports whether s is an optional "-" and 1 to 18 decimal digits without a
// leading zero (or "0"): an integer that strconv.ParseInt reads as written and that prints
// the same again.
func isCanonicalInt(s string) bool {
	d := s
	if len(d) > 0 && d[0] == '-' {
		d = d[1:]
	}
	if len(d) == 0 || len(d) > 18 || d[0] == '0' && (len(d) > 1 || len(s) > 1) {
		return false
	}
	for i := 0; i < len(d); i++ {
		if d[i] < '0' || d[i] > '9' {
			return false
		}
	}
	return true
}

// isPlainDecimal reports whether s is an optional "-", digits, ".", digits: not an integer
// nor a timestamp to yaml.v3, and matched by its float pattern.
func isPlainDecimal(s string) bool {
	if len(s) > 0 && s[0] == '-' {
		s = s[1:]
	}
	dot := strings.IndexByte(s, '.')
	if dot <= 0 || dot == len(s)-1 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if i != dot && (s[i] < '0' || s[i] > '9') {
			return false
		}
	}
	return true
}

// appendJSONFloat is encoding/json's floatEncoder for a finite float64.
func appendJSONFloat(b []byte, f float64) []byte {
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// appendJSONString is encoding/json's appendString with HTML escaping, as json.Marshal
// writes strings and map keys.
func appendJSONString(dst []byte, src string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(src); {
		if b := src[i]; b < utf8.RuneSelf {
			if jsonSafe[b] {
				i++
				continue
			}
			dst = append(dst, src[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				// Bytes below 0x20 other than the above, and <, > and &.
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(src[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, src[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		// U+2028 LINE SEPARATOR and U+2029 PARAGRAPH SEPARATOR.
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, src[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, src[start:]...)
	dst = append(dst, '"')
	return dst
}

// jsonSafe tells the ASCII bytes json.Marshal writes in a string as they are: all but the
// control characters, '"', '\\' and, escaping HTML, '<', '>' and '&'.
var jsonSafe = func() (t [utf8.RuneSelf]bool) {
	for b := range t {
		t[b] = b >= 0x20 && !strings.ContainsRune(`"\<>&`, rune(b))
	}
	return t
}()
