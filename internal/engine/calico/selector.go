package calico

import (
	"fmt"
	"strings"
)

// ParseSelector parses a Calico selector expression (the NetworkPolicy reference,
// "Selectors"; libcalico-go lib/selector/parser) into something that evaluates it on a set
// of labels. It reads:
//
//	label == 'v'   label != 'v'      (!= also matches a pod without the label)
//	label in {'a', 'b'}   label not in {'a', 'b'}   (not in also matches without it)
//	label contains 's'   label starts with 's'   label ends with 's'
//	has(label)   all()   ! e   e && e   e || e   ( e )
//
// and an empty selector as all(). Strings are quoted with ' or " and have no escapes.
// global(), which selects non-namespaced resources (network sets, host endpoints), is
// refused, as is anything else.
func ParseSelector(s string) (*Expr, error) {
	p := &parser{src: s}
	p.skip()
	if p.pos == len(p.src) {
		return &Expr{src: s, root: allNode{}}, nil
	}
	n, err := p.or()
	if err != nil {
		return nil, fmt.Errorf("selector %q: %w", s, err)
	}
	p.skip()
	if p.pos != len(p.src) {
		return nil, fmt.Errorf("selector %q: unexpected %q at %d", s, p.src[p.pos:], p.pos)
	}
	return &Expr{src: s, root: n}, nil
}

// Expr is a parsed selector.
type Expr struct {
	src  string
	root node
}

// Matches evaluates the selector on labels.
func (e *Expr) Matches(labels map[string]string) bool { return e.root.eval(labels) }

func (e *Expr) String() string { return e.src }

type node interface{ eval(map[string]string) bool }

type (
	allNode struct{}
	notNode struct{ n node }
	andNode struct{ a, b node }
	orNode  struct{ a, b node }
	hasNode struct{ key string }
	cmpNode struct {
		key, op string
		values  []string
	}
)

func (allNode) eval(map[string]string) bool     { return true }
func (n notNode) eval(l map[string]string) bool { return !n.n.eval(l) }
func (n andNode) eval(l map[string]string) bool { return n.a.eval(l) && n.b.eval(l) }
func (n orNode) eval(l map[string]string) bool  { return n.a.eval(l) || n.b.eval(l) }
func (n hasNode) eval(l map[string]string) bool { _, ok := l[n.key]; return ok }

func (n cmpNode) eval(l map[string]string) bool {
	v, ok := l[n.key]
	switch n.op {
	case "==":
		return ok && v == n.values[0]
	case "!=":
		return !ok || v != n.values[0]
	case "in":
		return ok && contains(n.values, v)
	case "not in":
		return !ok || !contains(n.values, v)
	case "contains":
		return ok && strings.Contains(v, n.values[0])
	case "starts with":
		return ok && strings.HasPrefix(v, n.values[0])
	case "ends with":
		return ok && strings.HasSuffix(v, n.values[0])
	}
	return false
}

func contains(list []string, v string) bool {
	for _, e := range list {
		if e == v {
			return true
		}
	}
	return false
}

type parser struct {
	src string
	pos int
}

func (p *parser) skip() {
	for p.pos < len(p.src) && strings.ContainsRune(" \t\r\n", rune(p.src[p.pos])) {
		p.pos++
	}
}

// accept consumes tok (after blanks) when the source continues with it. A word must not
// run on into a label ("in" is not "inner").
func (p *parser) accept(tok string) bool {
	p.skip()
	if !strings.HasPrefix(p.src[p.pos:], tok) {
		return false
	}
	end := p.pos + len(tok)
	if isLabelChar(tok[len(tok)-1]) && end < len(p.src) && isLabelChar(p.src[end]) {
		return false
	}
	p.pos = end
	return true
}

func (p *parser) or() (node, error) {
	n, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.accept("||") {
		m, err := p.and()
		if err != nil {
			return nil, err
		}
		n = orNode{n, m}
	}
	return n, nil
}

func (p *parser) and() (node, error) {
	n, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.accept("&&") {
		m, err := p.unary()
		if err != nil {
			return nil, err
		}
		n = andNode{n, m}
	}
	return n, nil
}

func (p *parser) unary() (node, error) {
	switch {
	case p.accept("!"):
		n, err := p.unary()
		return notNode{n}, err
	case p.accept("("):
		n, err := p.or()
		if err != nil {
			return nil, err
		}
		if !p.accept(")") {
			return nil, fmt.Errorf("missing ) at %d", p.pos)
		}
		return n, nil
	case p.accept("all"):
		if !p.accept("(") || !p.accept(")") {
			return nil, fmt.Errorf("all: want all() at %d", p.pos)
		}
		return allNode{}, nil
	case p.accept("global"):
		return nil, fmt.Errorf("global() selects non-namespaced resources (network sets, host endpoints), which trace does not model")
	case p.accept("has"):
		if !p.accept("(") {
			return nil, fmt.Errorf("has: want has(label) at %d", p.pos)
		}
		key, err := p.label()
		if err != nil {
			return nil, err
		}
		if !p.accept(")") {
			return nil, fmt.Errorf("has: missing ) at %d", p.pos)
		}
		return hasNode{key}, nil
	}
	key, err := p.label()
	if err != nil {
		return nil, err
	}
	for _, op := range []string{"==", "!=", "not in", "in", "contains", "starts with", "ends with"} {
		if op == "not in" {
			save := p.pos
			if p.accept("not") && p.accept("in") {
				return p.set(key, op)
			}
			p.pos = save
			continue
		}
		if op == "starts with" || op == "ends with" {
			save := p.pos
			if p.accept(strings.Fields(op)[0]) && p.accept("with") {
				v, err := p.str()
				return cmpNode{key, op, []string{v}}, err
			}
			p.pos = save
			continue
		}
		if !p.accept(op) {
			continue
		}
		if op == "in" {
			return p.set(key, op)
		}
		v, err := p.str()
		return cmpNode{key, op, []string{v}}, err
	}
	return nil, fmt.Errorf("label %s: want an operator (==, !=, in, not in, contains, starts with, ends with) at %d", key, p.pos)
}

func (p *parser) set(key, op string) (node, error) {
	if !p.accept("{") {
		return nil, fmt.Errorf("%s %s: want { at %d", key, op, p.pos)
	}
	var values []string
	if p.accept("}") {
		return cmpNode{key, op, values}, nil
	}
	for {
		v, err := p.str()
		if err != nil {
			return nil, err
		}
		values = append(values, v)
		if p.accept("}") {
			return cmpNode{key, op, values}, nil
		}
		if !p.accept(",") {
			return nil, fmt.Errorf("%s %s: want , or } at %d", key, op, p.pos)
		}
	}
}

func isLabelChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '/' || c == '-'
}

func (p *parser) label() (string, error) {
	p.skip()
	start := p.pos
	for p.pos < len(p.src) && isLabelChar(p.src[p.pos]) {
		p.pos++
	}
	if p.pos == start {
		return "", fmt.Errorf("want a label at %d", p.pos)
	}
	return p.src[start:p.pos], nil
}

func (p *parser) str() (string, error) {
	p.skip()
	if p.pos >= len(p.src) || (p.src[p.pos] != '\'' && p.src[p.pos] != '"') {
		return "", fmt.Errorf("want a quoted string at %d", p.pos)
	}
	q := p.src[p.pos]
	end := strings.IndexByte(p.src[p.pos+1:], q)
	if end < 0 {
		return "", fmt.Errorf("unterminated string at %d", p.pos)
	}
	v := p.src[p.pos+1 : p.pos+1+end]
	p.pos += end + 2
	return v, nil
}
