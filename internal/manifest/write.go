package manifest

import (
	"io"
)

// errWriter remembers the first write error, and whether the last byte written ended a
// line.
type ErrWriter struct {
	W           io.Writer
	Err         error
	LastNewline bool
}

func (e *ErrWriter) Write(p []byte) (int, error) {
	if e.Err != nil || len(p) == 0 {
		return len(p), e.Err
	}
	_, e.Err = e.W.Write(p)
	e.LastNewline = p[len(p)-1] == '\n'
	return len(p), e.Err
}

func (e *ErrWriter) WriteString(s string) { _, _ = e.Write([]byte(s)) }

// writeGenerated appends encoded objects, each behind a "---" line.
func WriteGenerated(w *ErrWriter, encoded []string) {
	if len(encoded) > 0 && !w.LastNewline {
		w.WriteString("\n")
	}
	for _, s := range encoded {
		w.WriteString("---\n")
		w.WriteString(s)
	}
}
