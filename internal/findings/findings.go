package findings

import (
	"fmt"
	"sort"
	"strings"
)

// Severity ranks a finding.
type Severity string

const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	// SeverityInfo is for the report only: something a reviewer should know.
	SeverityInfo Severity = "info"
)

// Finding is one problem or remark about one object.
type Finding struct {
	Severity Severity `json:"severity"`
	Object   string   `json:"object,omitempty"`
	Where    string   `json:"where,omitempty"`
	What     string   `json:"what"`
}

// String is the one-line form: "helm-netpol: <object>: <where>: <what>".
func (f Finding) String() string {
	if f.Severity == SeverityWarning {
		return "helm-netpol: warning: " + f.Text()
	}
	return "helm-netpol: " + f.Text()
}

// text is "<object>: <where>: <what>", leaving out what is empty.
func (f Finding) Text() string {
	var parts []string
	for _, p := range []string{f.Object, f.Where, f.What} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, ": ")
}

// Errors is every error found in one run; its message has one line per error.
type Errors []Finding

func (e Errors) Error() string {
	lines := make([]string, len(e))
	for i, f := range e {
		lines[i] = f.String()
	}
	return strings.Join(lines, "\n")
}

// List collects findings without duplicates, in the order they were found.
type List struct {
	List []Finding
	seen map[Finding]bool
}

func (fs *List) add(sev Severity, object, where, what string) {
	f := Finding{Severity: sev, Object: object, Where: where, What: what}
	if fs.seen == nil {
		fs.seen = map[Finding]bool{}
	}
	if fs.seen[f] {
		return
	}
	fs.seen[f] = true
	fs.List = append(fs.List, f)
}

// Errorf records an error about object at where (a field path or annotation), its text
// formatted as fmt.Sprintf formats it.
func (fs *List) Errorf(object, where, format string, args ...any) {
	fs.add(SeverityError, object, where, fmt.Sprintf(format, args...))
}

// Warnf records a warning, which --strict turns into an error.
func (fs *List) Warnf(object, where, format string, args ...any) {
	fs.add(SeverityWarning, object, where, fmt.Sprintf(format, args...))
}

// Infof records a note, shown by report only.
func (fs *List) Infof(object, where, format string, args ...any) {
	fs.add(SeverityInfo, object, where, fmt.Sprintf(format, args...))
}

// Errors returns the error findings (and the warnings too when strict) as one error, or nil.
func (fs *List) Errors(strict bool) error {
	var errs Errors
	for _, f := range fs.List {
		if f.Severity == SeverityError || strict && f.Severity == SeverityWarning {
			errs = append(errs, f)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Severity < errs[j].Severity })
	return errs
}
