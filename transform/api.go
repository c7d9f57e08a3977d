package transform

import (
	"github.com/helm-netpol/helm-netpol/internal/config"
	"github.com/helm-netpol/helm-netpol/internal/findings"
	"github.com/helm-netpol/helm-netpol/internal/manifest"
	"github.com/helm-netpol/helm-netpol/internal/report"
)

// The names of the stages that the public face hands on: a config layer, a finding, the
// report. They are the stages' own types.
type (
	// Layer is one config: the --config file, a release-wide annotation or a workload's.
	Layer = config.Layer
	// Level is where a Layer comes from, lowest first.
	Level = config.Level
	// Finding is one error, warning or note about an object.
	Finding = findings.Finding
	// Severity is how bad a Finding is.
	Severity = findings.Severity
	// Report is who may reach each workload, and why.
	Report = report.Report
	// Format is the framing of a stream (plain, Helm 3, Helm 4).
	Format = manifest.Format
)

// Config levels, severities and annotations of the public face.
const (
	LevelFile     = config.LevelFile
	LevelRelease  = config.LevelRelease
	LevelWorkload = config.LevelWorkload

	SeverityError   = findings.SeverityError
	SeverityWarning = findings.SeverityWarning
	SeverityInfo    = findings.SeverityInfo

	AnnotationConfig       = manifest.AnnotationConfig
	AnnotationGeneratedFor = manifest.AnnotationGeneratedFor
)

// ParseLayer decodes one config document strictly; see config.ParseLayer.
func ParseLayer(text []byte, level Level, object, where string) (*Layer, error) {
	return config.ParseLayer(text, level, object, where)
}
