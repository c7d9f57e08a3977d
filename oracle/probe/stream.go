package probe

import (
	"bytes"
	"net/netip"
)

// SplitYAML cuts a multi-document YAML stream into its documents at its document
// markers (a line "---", or "---" and a space and more), dropping those with nothing but
// comments and blank lines.
func SplitYAML(stream []byte) [][]byte {
	var docs [][]byte
	var cur bytes.Buffer
	flush := func() {
		if hasContent(cur.Bytes()) {
			docs = append(docs, bytes.Clone(cur.Bytes()))
		}
		cur.Reset()
	}
	for line := range bytes.Lines(stream) {
		if t := bytes.TrimRight(line, " \t\r\n"); bytes.Equal(t, []byte("---")) || bytes.HasPrefix(t, []byte("--- ")) {
			flush()
			continue
		}
		cur.Write(line)
	}
	flush()
	return docs
}

func hasContent(doc []byte) bool {
	for line := range bytes.Lines(doc) {
		t := bytes.TrimSpace(line)
		if len(t) > 0 && t[0] != '#' {
			return true
		}
	}
	return false
}

// NamedAddr is an address a catalogue probes, with the name its verdicts are listed by.
type NamedAddr struct {
	Name string
	Addr netip.Addr
}

// CIDREdges are the addresses that tell whether a policy's CIDR is matched as written: for
// each prefix but /0, an address inside it ("in <prefix>": the first after the network
// address, or the address itself for a single address) and the first address past it
// ("after <prefix>"), each once, in the order of the prefixes.
func CIDREdges(prefixes []netip.Prefix) []NamedAddr {
	var out []NamedAddr
	seen := map[netip.Addr]bool{}
	for _, p := range prefixes {
		if p.Bits() == 0 {
			continue
		}
		in := p.Masked().Addr()
		if p.Bits() < p.Addr().BitLen() {
			in = in.Next()
		}
		for _, a := range []NamedAddr{{"in " + p.String(), in}, {"after " + p.String(), LastAddr(p).Next()}} {
			if a.Addr.IsValid() && !seen[a.Addr] {
				seen[a.Addr] = true
				out = append(out, a)
			}
		}
	}
	return out
}

// LastAddr is the last address of the prefix.
func LastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 1 << (7 - i%8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}
