package transform

import (
	"bytes"
	"encoding/json"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/kyaml/yaml"
)

// objectTree builds, from the JSON of a rendered object, the tree that yaml.Parse makes of
// marshalYAML's text for it, without metadata.creationTimestamp and status: the same
// kinds, tags, styles, values and order (only the Line and Column of the nodes are not
// set; nothing reads them on a generated object). That text is never written: every scalar
// gets the style that the emitter of go.yaml.in/yaml/v2 would have chosen and the tag
// that kyaml's parser would have read back.
//
// It does this only for what it is sure to reproduce: JSON whose strings are printable
// ASCII and line feeds (none in keys), whose numbers are 64-bit integers, with no long
// key, and strings of at most maxTreeString characters. It returns false for anything
// else, which then goes the long way.
func objectTree(j []byte) (*yaml.RNode, bool) {
	for _, c := range j {
		if c >= 0x7f {
			return nil, false
		}
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, false
	}
	root, ok := v.(map[string]any)
	if !ok {
		return nil, false
	}
	// The long way writes a mapping in block style and clears the fields from it after:
	// a mapping left empty so stays a block mapping, where objectTree would make an empty
	// mapping in flow style. Leave that to the long way.
	if _, ok := root["status"]; ok {
		delete(root, "status")
		if len(root) == 0 {
			return nil, false
		}
	}
	if m, ok := root["metadata"]; ok {
		meta, ok := m.(map[string]any)
		if !ok {
			return nil, false
		}
		if _, ok := meta["creationTimestamp"]; ok {
			delete(meta, "creationTimestamp")
			if len(meta) == 0 {
				return nil, false
			}
		}
	}
	b := treeBuilder{}
	n, ok := b.node(root)
	if !ok {
		return nil, false
	}
	return yaml.NewRNode(&yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{n}}), true
}

// maxTreeKey is the longest key objectTree writes: the emitter writes a longer one as a
// complex key ("? key").
const maxTreeKey = 128

// maxTreeString is the longest string objectTree writes. The emitter folds longer lines;
// that changes no value, but objectTree does not rely on it.
const maxTreeString = 1000

// treeBuilder makes the nodes of a tree, a slab at a time.
type treeBuilder struct {
	slab []yaml.Node
}

func (b *treeBuilder) new() *yaml.Node {
	if len(b.slab) == 0 {
		b.slab = make([]yaml.Node, 64)
	}
	n := &b.slab[0]
	b.slab = b.slab[1:]
	return n
}

func (b *treeBuilder) node(v any) (*yaml.Node, bool) {
	switch v := v.(type) {
	case nil:
		return b.scalar("!!null", "null", 0), true
	case bool:
		return b.scalar("!!bool", strconv.FormatBool(v), 0), true
	case json.Number:
		i, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return nil, false
		}
		return b.scalar("!!int", strconv.FormatInt(i, 10), 0), true
	case string:
		return b.str(v, false)
	case []any:
		n := b.new()
		n.Kind, n.Tag = yaml.SequenceNode, "!!seq"
		if len(v) == 0 {
			n.Style = yaml.FlowStyle
			return n, true
		}
		n.Content = make([]*yaml.Node, len(v))
		for i, e := range v {
			c, ok := b.node(e)
			if !ok {
				return nil, false
			}
			n.Content[i] = c
		}
		return n, true
	case map[string]any:
		n := b.new()
		n.Kind, n.Tag = yaml.MappingNode, "!!map"
		if len(v) == 0 {
			n.Style = yaml.FlowStyle
			return n, true
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		if !sortKeys(keys) {
			return nil, false
		}
		n.Content = make([]*yaml.Node, 0, 2*len(keys))
		for _, k := range keys {
			kn, ok := b.str(k, true)
			if !ok {
				return nil, false
			}
			vn, ok := b.node(v[k])
			if !ok {
				return nil, false
			}
			n.Content = append(n.Content, kn, vn)
		}
		return n, true
	}
	return nil, false
}

func (b *treeBuilder) scalar(tag, value string, style yaml.Style) *yaml.Node {
	n := b.new()
	n.Kind, n.Tag, n.Value, n.Style = yaml.ScalarNode, tag, value, style
	return n
}

// str is the node of a string, as a key or a value.
func (b *treeBuilder) str(s string, key bool) (*yaml.Node, bool) {
	style, ok := stringStyle(s)
	if !ok || key && (len(s) > maxTreeKey || style == yaml.LiteralStyle || style == yaml.DoubleQuotedStyle && strings.Contains(s, "\n")) {
		return nil, false
	}
	return b.scalar("!!str", s, style), true
}

// stringStyle is the style in which go.yaml.in/yaml/v2 writes a string in block context, as
// kyaml's parser reads it back; false where the string is not one objectTree reproduces.
// Every string it accepts is read back as !!str: yaml.v3 resolves a plain scalar as
// yaml.v2 does, except for the YAML 1.1 booleans, which yaml.v2 quotes, and "<<", which
// stringStyle refuses.
func stringStyle(s string) (yaml.Style, bool) {
	if len(s) > maxTreeString || s == "<<" {
		return 0, false
	}
	lines := false
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '\n' {
			lines = true
		} else if c < 0x20 || c > 0x7e {
			return 0, false
		}
	}
	if lines {
		// encode.go stringv asks for a literal block; the emitter writes it double-quoted
		// where a block is not allowed: after a trailing space, or a space before a line
		// break.
		if s[len(s)-1] == ' ' || strings.Contains(s, " \n") {
			return yaml.DoubleQuotedStyle, true
		}
		return yaml.LiteralStyle, true
	}
	// encode.go stringv: a string that would resolve to another type, or that looks like
	// a base 60 float, is asked for double-quoted; the emitter keeps that for printable
	// ASCII.
	if !resolvesToString(s) || isBase60Float(s) {
		return yaml.DoubleQuotedStyle, true
	}
	// emitterc.go select_scalar_style: plain where block plain is allowed, else single
	// quotes (always allowed without line breaks or special characters).
	if !blockPlainAllowed(s) {
		return yaml.SingleQuotedStyle, true
	}
	return 0, true
}

// blockPlainAllowed is yaml_emitter_analyze_scalar's block_plain_allowed for a non-empty
// string of printable ASCII.
func blockPlainAllowed(s string) bool {
	n := len(s)
	if s[0] == ' ' || s[n-1] == ' ' {
		return false
	}
	if strings.HasPrefix(s, "---") || strings.HasPrefix(s, "...") {
		return false
	}
	spaceAfter := func(i int) bool { return i+1 >= n || s[i+1] == ' ' }
	switch s[0] {
	case '#', ',', '[', ']', '{', '}', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
		return false
	case '?', ':', '-':
		if spaceAfter(0) {
			return false
		}
	}
	for i := 1; i < n; i++ {
		switch s[i] {
		case ':':
			if spaceAfter(i) {
				return false
			}
		case '#':
			if s[i-1] == ' ' {
				return false
			}
		}
	}
	return true
}

// yaml11Map holds the strings go.yaml.in/yaml/v2's resolve looks up first: booleans, nulls
// and special floats.
var yaml11Map = map[string]bool{}

func init() {
	for _, s := range []string{"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON",
		"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF",
		"", "~", "null", "Null", "NULL", ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF",
		"+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", "<<"} {
		yaml11Map[s] = true
	}
}

// resolvesToString is whether go.yaml.in/yaml/v2's resolve, untagged, makes a string of s:
// the same steps, in the same order.
func resolvesToString(s string) bool {
	if s == "" {
		return false
	}
	switch c := s[0]; {
	case c == '+' || c == '-' || c >= '0' && c <= '9':
		if yaml11Map[s] {
			return false
		}
		if timestampLike(s) {
			return false
		}
		plain := strings.ReplaceAll(s, "_", "")
		if _, err := strconv.ParseInt(plain, 0, 64); err == nil {
			return false
		}
		if _, err := strconv.ParseUint(plain, 0, 64); err == nil {
			return false
		}
		if yamlStyleFloat.MatchString(plain) {
			if _, err := strconv.ParseFloat(plain, 64); err == nil {
				return false
			}
		}
		if strings.HasPrefix(plain, "0b") {
			if _, err := strconv.ParseInt(plain[2:], 2, 64); err == nil {
				return false
			}
			if _, err := strconv.ParseUint(plain[2:], 2, 64); err == nil {
				return false
			}
		} else if strings.HasPrefix(plain, "-0b") {
			if _, err := strconv.ParseInt("-"+plain[3:], 2, 64); err == nil {
				return false
			}
		}
	case c == '.':
		if yaml11Map[s] {
			return false
		}
		if _, err := strconv.ParseFloat(s, 64); err == nil {
			return false
		}
	case strings.IndexByte("yYnNtTfFoO~", c) >= 0:
		return !yaml11Map[s]
	}
	return true
}

// base60float is go.yaml.in/yaml/v2's: such strings are quoted.
var base60float = regexp.MustCompile(`^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`)

func isBase60Float(s string) bool {
	if s == "" {
		return false
	}
	c := s[0]
	if !(c == '+' || c == '-' || c >= '0' && c <= '9') || strings.IndexByte(s, ':') < 0 {
		return false
	}
	return base60float.MatchString(s)
}

// sortKeys sorts the keys of a mapping as go.yaml.in/yaml/v2 does (keyList.Less, which
// orders runs of digits by number). Without digits that order is total; with digits,
// sortKeys checks that it is total on these keys, as otherwise yaml.v2's order would
// depend on the map's, and returns false if not.
func sortKeys(keys []string) bool {
	digits := false
	for _, k := range keys {
		if strings.ContainsAny(k, "0123456789") {
			digits = true
			break
		}
	}
	sort.Slice(keys, func(i, j int) bool { return keyLess(keys[i], keys[j]) })
	if digits {
		if len(keys) > 64 {
			return false
		}
		for i := range keys {
			for j := i + 1; j < len(keys); j++ {
				if !keyLess(keys[i], keys[j]) || keyLess(keys[j], keys[i]) {
					return false
				}
			}
		}
	}
	return true
}

// keyLess is go.yaml.in/yaml/v2's keyList.Less for two strings of ASCII.
func keyLess(a, b string) bool {
	isLetter := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
	isDigit := func(c byte) bool { return c >= '0' && c <= '9' }
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] == b[i] {
			continue
		}
		al, bl := isLetter(a[i]), isLetter(b[i])
		if al && bl {
			return a[i] < b[i]
		}
		if al || bl {
			return bl
		}
		var ai, bi int
		var an, bn int64
		if a[i] == '0' || b[i] == '0' {
			for j := i - 1; j >= 0 && isDigit(a[j]); j-- {
				if a[j] != '0' {
					an = 1
					bn = 1
					break
				}
			}
		}
		for ai = i; ai < len(a) && isDigit(a[ai]); ai++ {
			an = an*10 + int64(a[ai]-'0')
		}
		for bi = i; bi < len(b) && isDigit(b[bi]); bi++ {
			bn = bn*10 + int64(b[bi]-'0')
		}
		if an != bn {
			return an < bn
		}
		if ai != bi {
			return ai < bi
		}
		return a[i] < b[i]
	}
	return len(a) < len(b)
}

// treeText is the text kyaml's String gives of a tree objectTree built (with the head
// comment render gives it), written directly: block mappings and sequences, the sequences
// of a mapping not indented (kyaml's compact style), empty ones in flow style, and scalars
// in their node's style, which yaml.v3's emitter keeps for the strings objectTree makes.
// It returns false for any node it does not write exactly so; String then writes it.
func treeText(doc *yaml.Node) (string, bool) {
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || !noComments(doc) {
		return "", false
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode || len(root.Content) == 0 || root.LineComment != "" || root.FootComment != "" {
		return "", false
	}
	w := treeWriter{b: make([]byte, 0, 2048)}
	if c := root.HeadComment; c != "" {
		if !printable(c, false) {
			return "", false
		}
		if c[0] != '#' {
			w.b = append(w.b, "# "...)
		}
		w.b = append(w.b, c...)
		w.b = append(w.b, '\n')
	}
	if !w.mapping(root, 0, false) {
		return "", false
	}
	return string(w.b), true
}

// treeString is the text of a tree, as its String method gives it: treeText where it
// can.
func treeString(n *yaml.RNode) (string, error) {
	if t, ok := treeText(n.Document()); ok {
		return t, nil
	}
	return n.String()
}

type treeWriter struct {
	b []byte
}

// printable is whether s is printable ASCII, and line feeds if lines is set.
func printable(s string, lines bool) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < 0x20 || c > 0x7e) && !(lines && c == '\n') {
			return false
		}
	}
	return true
}

func noComments(n *yaml.Node) bool {
	return n.HeadComment == "" && n.LineComment == "" && n.FootComment == "" && n.Anchor == "" && n.Alias == nil
}

func (w *treeWriter) indent(n int) {
	for range n {
		w.b = append(w.b, ' ')
	}
}

// mapping writes a non-empty block mapping whose keys are at column indent; inline says
// the first key follows a "- " already written.
func (w *treeWriter) mapping(m *yaml.Node, indent int, inline bool) bool {
	if m.Style != 0 || len(m.Content)%2 != 0 || m.Tag != "!!map" {
		return false
	}
	for i := 0; i < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if i > 0 || !inline {
			w.indent(indent)
		}
		if k.Kind != yaml.ScalarNode || k.Tag != "!!str" || len(k.Value) > maxTreeKey || !noComments(k) ||
			!printable(k.Value, false) || k.Style == yaml.LiteralStyle || !w.scalar(k, 0) {
			return false
		}
		w.b = append(w.b, ':')
		if !noComments(v) {
			return false
		}
		switch {
		case v.Kind == yaml.ScalarNode:
			w.b = append(w.b, ' ')
			if !w.scalar(v, indent+2) {
				return false
			}
			w.b = append(w.b, '\n')
		case len(v.Content) == 0:
			if !w.empty(v) {
				return false
			}
		case v.Kind == yaml.MappingNode:
			w.b = append(w.b, '\n')
			if !w.mapping(v, indent+2, false) {
				return false
			}
		case v.Kind == yaml.SequenceNode:
			w.b = append(w.b, '\n')
			if !w.sequence(v, indent) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// empty writes an empty mapping or sequence, in flow style, after a space.
func (w *treeWriter) empty(n *yaml.Node) bool {
	switch {
	case n.Style != yaml.FlowStyle:
		return false
	case n.Kind == yaml.MappingNode && n.Tag == "!!map":
		w.b = append(w.b, " {}\n"...)
	case n.Kind == yaml.SequenceNode && n.Tag == "!!seq":
		w.b = append(w.b, " []\n"...)
	default:
		return false
	}
	return true
}

// sequence writes a non-empty block sequence whose "- " are at column indent.
func (w *treeWriter) sequence(s *yaml.Node, indent int) bool {
	if s.Style != 0 || s.Tag != "!!seq" {
		return false
	}
	for _, e := range s.Content {
		if !noComments(e) {
			return false
		}
		w.indent(indent)
		w.b = append(w.b, '-')
		switch {
		case e.Kind == yaml.ScalarNode:
			w.b = append(w.b, ' ')
			if e.Style == yaml.LiteralStyle || !w.scalar(e, 0) {
				return false
			}
			w.b = append(w.b, '\n')
		case len(e.Content) == 0:
			if !w.empty(e) {
				return false
			}
		case e.Kind == yaml.MappingNode:
			w.b = append(w.b, ' ')
			if !w.mapping(e, indent+2, true) {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// scalar writes a scalar; the lines of a literal block go at column indent.
func (w *treeWriter) scalar(n *yaml.Node, indent int) bool {
	s := n.Value
	switch n.Tag {
	case "!!str":
	case "!!int":
		if i, err := strconv.ParseInt(s, 10, 64); err != nil || n.Style != 0 || strconv.FormatInt(i, 10) != s {
			return false
		}
	case "!!bool":
		if n.Style != 0 || s != "true" && s != "false" {
			return false
		}
	case "!!null":
		if n.Style != 0 || s != "null" {
			return false
		}
	default:
		return false
	}
	switch n.Style {
	case 0:
		if s == "" || !printable(s, false) {
			return false
		}
		if n.Tag == "!!str" {
			// yaml.v3 writes a plain !!str as it is only where it is allowed plain, and
			// reads it back as a string.
			if !blockPlainAllowed(s) || !resolvesToString(s) || isBase60Float(s) || s == "<<" {
				return false
			}
		}
		w.b = append(w.b, s...)
	case yaml.SingleQuotedStyle:
		if s == "" || !printable(s, false) {
			return false
		}
		w.b = append(w.b, '\'')
		for i := 0; i < len(s); i++ {
			if s[i] == '\'' {
				w.b = append(w.b, '\'')
			}
			w.b = append(w.b, s[i])
		}
		w.b = append(w.b, '\'')
	case yaml.DoubleQuotedStyle:
		if !printable(s, true) {
			return false
		}
		w.b = append(w.b, '"')
		for i := 0; i < len(s); i++ {
			switch c := s[i]; c {
			case '"', '\\':
				w.b = append(w.b, '\\', c)
			case '\n':
				w.b = append(w.b, '\\', 'n')
			default:
				w.b = append(w.b, c)
			}
		}
		w.b = append(w.b, '"')
	case yaml.LiteralStyle:
		// Only a block with neither an indentation hint (a leading space or line break)
		// nor the keep hint (more than one final line break), and which yaml.v3 writes
		// as a block: no trailing space, no space before a line break.
		if s == "" || !printable(s, true) || s[0] == ' ' || s[0] == '\n' || s[len(s)-1] == ' ' || strings.Contains(s, " \n") ||
			strings.HasSuffix(s, "\n\n") {
			return false
		}
		w.b = append(w.b, '|')
		if s[len(s)-1] != '\n' {
			w.b = append(w.b, '-')
		}
		w.b = append(w.b, '\n')
		breaks := true
		for i := 0; i < len(s); i++ {
			if s[i] == '\n' {
				w.b = append(w.b, '\n')
				breaks = true
				continue
			}
			if breaks {
				w.indent(indent)
			}
			w.b = append(w.b, s[i])
			breaks = false
		}
		if s[len(s)-1] == '\n' {
			w.b = w.b[:len(w.b)-1] // the caller ends the line
		}
	default:
		return false
	}
	return true
}
