package verify

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
)

// The formats flows come in.
const (
	FormatHubble = "hubble" // hubble observe -o json: one flow per line, bare or {"flow": ...}
	FormatCSV    = "csv"    // this tool's CSV (docs/verify.md)
	FormatJSON   = "json"   // this tool's JSON, one object per line (docs/verify.md)
)

// Formats lists the formats.
var Formats = []string{FormatHubble, FormatCSV, FormatJSON}

// MaxLine is the longest line read; a longer one is an error naming it.
const MaxLine = 4 << 20

// LineError is input that cannot be read, with the line it is on.
type LineError struct {
	Line int
	Err  error
}

func (e *LineError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *LineError) Unwrap() error { return e.Err }

// Reader reads flows one at a time.
type Reader struct {
	sc     *bufio.Scanner
	format string
	line   int
	header bool // the CSV header was seen or ruled out
	// skip-pending first line, read for detection
	pending []byte
	hasPend bool
}

// NewReader reads flows of format ("" detects it from the first line that is not blank
// or a comment: a JSON object holding "flow", "l4", "IP", "source" with "labels" as a
// list, or "traffic_direction" is Hubble's; another object is this tool's JSON; anything
// else is CSV).
func NewReader(r io.Reader, format string) (*Reader, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxLine)
	rd := &Reader{sc: sc, format: format}
	switch format {
	case "", FormatHubble, FormatCSV, FormatJSON:
	default:
		return nil, fmt.Errorf("format %q: must be one of %s", format, strings.Join(Formats, ", "))
	}
	if format == "" {
		for rd.scan() {
			b := bytes.TrimSpace(sc.Bytes())
			if len(b) == 0 || b[0] == '#' {
				continue
			}
			rd.pending, rd.hasPend = append([]byte(nil), sc.Bytes()...), true
			rd.format = Detect(b)
			break
		}
		if err := rd.scanErr(); err != nil {
			return nil, err
		}
		if rd.format == "" {
			rd.format = FormatCSV
		}
	}
	return rd, nil
}

// Format is the format read (detected, or as given).
func (r *Reader) Format() string { return r.format }

// Detect names the format of a line.
func Detect(line []byte) string {
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] != '{' {
		return FormatCSV
	}
	var probe struct {
		Flow      json.RawMessage `json:"flow"`
		L4        json.RawMessage `json:"l4"`
		IP        json.RawMessage `json:"IP"`
		Direction json.RawMessage `json:"traffic_direction"`
		Verdict   json.RawMessage `json:"verdict"`
		Source    struct {
			Labels json.RawMessage `json:"labels"`
		} `json:"source"`
	}
	if json.Unmarshal(line, &probe) == nil {
		if probe.Flow != nil || probe.L4 != nil || probe.IP != nil || probe.Direction != nil ||
			bytes.HasPrefix(bytes.TrimSpace(probe.Source.Labels), []byte("[")) {
			return FormatHubble
		}
		if v := strings.Trim(string(probe.Verdict), `"`); v == "FORWARDED" || v == "DROPPED" {
			return FormatHubble
		}
	}
	return FormatJSON
}

func (r *Reader) scan() bool {
	if r.sc.Scan() {
		r.line++
		return true
	}
	return false
}

func (r *Reader) scanErr() error {
	if err := r.sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return &LineError{Line: r.line + 1, Err: fmt.Errorf("longer than %d bytes", MaxLine)}
		}
		return err
	}
	return nil
}

// Next returns the next flow, or io.EOF. A line that cannot be read is a *LineError.
// Blank lines and lines starting with # are skipped.
func (r *Reader) Next() (Flow, error) {
	for {
		var b []byte
		if r.hasPend {
			b, r.hasPend = r.pending, false
		} else {
			if !r.scan() {
				if err := r.scanErr(); err != nil {
					return Flow{}, err
				}
				return Flow{}, io.EOF
			}
			b = r.sc.Bytes()
		}
		t := bytes.TrimSpace(b)
		if len(t) == 0 || t[0] == '#' {
			continue
		}
		var f Flow
		var err error
		var skip bool
		switch r.format {
		case FormatHubble:
			f, skip, err = parseHubble(t)
		case FormatJSON:
			f, err = parseJSON(t)
		default:
			f, skip, err = r.parseCSV(t)
		}
		if err != nil {
			return Flow{}, &LineError{Line: r.line, Err: err}
		}
		if skip {
			continue
		}
		f.Line = r.line
		return f, nil
	}
}

// hubbleFlow is what verify reads of Hubble's flow.Flow in its JSON form (protojson with
// the proto's field names, as hubble observe -o json writes it).
type hubbleFlow struct {
	Verdict          string          `json:"verdict"`
	IP               *hubbleIP       `json:"IP"`
	L4               *hubbleL4       `json:"l4"`
	Source           *hubbleEndpoint `json:"source"`
	Destination      *hubbleEndpoint `json:"destination"`
	TrafficDirection string          `json:"traffic_direction"`
	IsReply          *bool           `json:"is_reply"`
	Reply            bool            `json:"reply"`
}

type hubbleIP struct {
	Source      string `json:"source"`
	Destination string `json:"destination"`
}

type hubblePorts struct {
	SourcePort      int `json:"source_port"`
	DestinationPort int `json:"destination_port"`
}

type hubbleL4 struct {
	TCP    *hubblePorts    `json:"TCP"`
	UDP    *hubblePorts    `json:"UDP"`
	SCTP   *hubblePorts    `json:"SCTP"`
	ICMPv4 json.RawMessage `json:"ICMPv4"`
	ICMPv6 json.RawMessage `json:"ICMPv6"`
}

type hubbleEndpoint struct {
	Identity  uint32   `json:"identity"`
	Namespace string   `json:"namespace"`
	Labels    []string `json:"labels"`
	PodName   string   `json:"pod_name"`
}

// The numeric identities Cilium reserves (pkg/identity/numericidentity.go).
var reservedIdentities = map[uint32]string{1: "host", 2: "world", 6: "remote-node", 7: "kube-apiserver", 9: "world", 10: "world"}

// parseHubble reads a Hubble flow line: {"flow": {...}} (GetFlowsResponse) or a bare
// flow. A response that holds no flow (node_status, lost_events) is skipped.
func parseHubble(line []byte) (Flow, bool, error) {
	var wrap struct {
		Flow *hubbleFlow `json:"flow"`
		hubbleFlow
	}
	if err := json.Unmarshal(line, &wrap); err != nil {
		return Flow{}, false, fmt.Errorf("hubble flow: %v", strings.TrimPrefix(err.Error(), "json: "))
	}
	h := wrap.Flow
	if h == nil {
		h = &wrap.hubbleFlow
		if h.Source == nil && h.Destination == nil && h.L4 == nil && h.IP == nil {
			var any map[string]json.RawMessage
			_ = json.Unmarshal(line, &any)
			for _, k := range []string{"node_status", "lost_events"} {
				if _, ok := any[k]; ok {
					return Flow{}, true, nil
				}
			}
			return Flow{}, false, errors.New("hubble flow: no flow, source, destination, IP or l4")
		}
	}
	f := Flow{}
	if h.IP != nil {
		f.Source.IP, f.Destination.IP = h.IP.Source, h.IP.Destination
	}
	f.Source = hubbleEnd(h.Source, f.Source.IP)
	f.Destination = hubbleEnd(h.Destination, f.Destination.IP)
	if h.L4 != nil {
		switch {
		case h.L4.TCP != nil:
			f.Protocol, f.Port = "TCP", h.L4.TCP.DestinationPort
		case h.L4.UDP != nil:
			f.Protocol, f.Port = "UDP", h.L4.UDP.DestinationPort
		case h.L4.SCTP != nil:
			f.Protocol, f.Port = "SCTP", h.L4.SCTP.DestinationPort
		case h.L4.ICMPv4 != nil || h.L4.ICMPv6 != nil:
			f.Protocol = "ICMP"
		}
	}
	f.Reply = h.Reply || h.IsReply != nil && *h.IsReply
	switch h.Verdict {
	case "DROPPED", "ERROR":
		f.Dropped = true
	}
	if f.Protocol == "ICMP" || f.Protocol == "" {
		// No port to judge: counted with the flows no port policy decides.
		f.Protocol = "OTHER"
		return f, false, nil
	}
	if err := checkFlow(&f); err != nil {
		return Flow{}, false, fmt.Errorf("hubble flow: %v", err)
	}
	return f, false, nil
}

func hubbleEnd(e *hubbleEndpoint, ip string) Endpoint {
	out := Endpoint{IP: ip}
	if e == nil {
		return out
	}
	out.Namespace = e.Namespace
	for _, l := range e.Labels {
		src, kv, ok := strings.Cut(l, ":")
		if !ok {
			src, kv = "k8s", l
		}
		k, v, _ := strings.Cut(kv, "=")
		switch src {
		case "reserved":
			switch k {
			case "host", "remote-node", "kube-apiserver":
				if out.Entity == "" || k == "kube-apiserver" {
					out.Entity = k
				}
			case "world", "world-ipv4", "world-ipv6":
				out.Entity = "world"
			}
			continue
		case "k8s":
		default:
			continue
		}
		if rest, ok := strings.CutPrefix(k, "io.cilium.k8s.namespace.labels."); ok {
			if out.NamespaceLabels == nil {
				out.NamespaceLabels = map[string]string{}
			}
			out.NamespaceLabels[rest] = v
			continue
		}
		if k == "io.kubernetes.pod.namespace" {
			if out.Namespace == "" {
				out.Namespace = v
			}
			continue
		}
		if strings.HasPrefix(k, "io.cilium.k8s.policy.") || strings.HasPrefix(k, "io.cilium.") {
			continue
		}
		if out.Labels == nil {
			out.Labels = map[string]string{}
		}
		out.Labels[k] = v
	}
	if out.Entity == "" && out.Namespace == "" {
		out.Entity = reservedIdentities[e.Identity]
	}
	if out.Entity != "" {
		out.Namespace, out.Labels, out.NamespaceLabels = "", nil, nil
	}
	return out
}

// jsonFlow is a line of this tool's JSON format.
type jsonFlow struct {
	Source      jsonEnd `json:"source"`
	Destination jsonEnd `json:"destination"`
	Port        int     `json:"port"`
	Protocol    string  `json:"protocol"`
	Reply       bool    `json:"reply,omitempty"`
	Verdict     string  `json:"verdict,omitempty"`
}

type jsonEnd struct {
	Namespace       string            `json:"namespace,omitempty"`
	Labels          map[string]string `json:"labels,omitempty"`
	NamespaceLabels map[string]string `json:"namespaceLabels,omitempty"`
	IP              string            `json:"ip,omitempty"`
	Entity          string            `json:"entity,omitempty"`
}

func parseJSON(line []byte) (Flow, error) {
	var j jsonFlow
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return Flow{}, fmt.Errorf("flow: %v", strings.TrimPrefix(err.Error(), "json: "))
	}
	f := Flow{
		Source:      Endpoint{Namespace: j.Source.Namespace, Labels: j.Source.Labels, NamespaceLabels: j.Source.NamespaceLabels, IP: j.Source.IP, Entity: j.Source.Entity},
		Destination: Endpoint{Namespace: j.Destination.Namespace, Labels: j.Destination.Labels, NamespaceLabels: j.Destination.NamespaceLabels, IP: j.Destination.IP, Entity: j.Destination.Entity},
		Port:        j.Port, Protocol: j.Protocol, Reply: j.Reply,
	}
	var err error
	if f.Dropped, err = verdictDropped(j.Verdict); err != nil {
		return Flow{}, fmt.Errorf("flow: %v", err)
	}
	if err := checkEnds(&f); err != nil {
		return Flow{}, fmt.Errorf("flow: %v", err)
	}
	if err := checkFlow(&f); err != nil {
		return Flow{}, fmt.Errorf("flow: %v", err)
	}
	return f, nil
}

func verdictDropped(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "", "allow", "allowed", "forwarded":
		return false, nil
	case "deny", "denied", "drop", "dropped":
		return true, nil
	}
	return false, fmt.Errorf("verdict %q: must be forwarded (allow) or dropped (deny)", v)
}

func checkEnds(f *Flow) error {
	for _, e := range []struct {
		name string
		e    *Endpoint
	}{{"source", &f.Source}, {"destination", &f.Destination}} {
		if e.e.Entity != "" {
			switch e.e.Entity {
			case "host", "remote-node", "kube-apiserver", "world":
			default:
				return fmt.Errorf("%s entity %q: must be one of host, remote-node, kube-apiserver, world", e.name, e.e.Entity)
			}
			if e.e.Namespace != "" {
				return fmt.Errorf("%s: an entity has no namespace", e.name)
			}
		}
		if e.e.Namespace == "" && e.e.IP == "" && e.e.Entity == "" {
			return fmt.Errorf("%s: give a namespace (a pod), an ip or an entity", e.name)
		}
		if e.e.Namespace == "" && len(e.e.Labels) > 0 {
			return fmt.Errorf("%s: labels without a namespace", e.name)
		}
	}
	return nil
}

// csvHeader names the columns of this tool's CSV, in order; verdict and reply are optional.
var csvHeader = []string{"source_namespace", "source", "destination_namespace", "destination", "port", "protocol", "verdict", "reply"}

// parseCSV reads a CSV record. The first record may be the header.
func (r *Reader) parseCSV(line []byte) (Flow, bool, error) {
	cr := csv.NewReader(bytes.NewReader(line))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	rec, err := cr.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return Flow{}, false, fmt.Errorf("csv: %v", err)
	}
	if !r.header {
		r.header = true
		if strings.EqualFold(strings.TrimSpace(rec[0]), csvHeader[0]) {
			for i, c := range rec {
				if i >= len(csvHeader) || !strings.EqualFold(strings.TrimSpace(c), csvHeader[i]) {
					return Flow{}, false, fmt.Errorf("csv header: column %d is %q, want %s", i+1, c, strings.Join(csvHeader, ","))
				}
			}
			return Flow{}, true, nil
		}
	}
	if len(rec) < 6 || len(rec) > 8 {
		return Flow{}, false, fmt.Errorf("csv: %d fields, want 6 to 8: %s", len(rec), strings.Join(csvHeader, ","))
	}
	for i := range rec {
		rec[i] = strings.TrimSpace(rec[i])
	}
	f := Flow{Protocol: rec[5]}
	if f.Source, err = csvEnd(rec[0], rec[1]); err != nil {
		return Flow{}, false, fmt.Errorf("csv: source: %v", err)
	}
	if f.Destination, err = csvEnd(rec[2], rec[3]); err != nil {
		return Flow{}, false, fmt.Errorf("csv: destination: %v", err)
	}
	if f.Port, err = strconv.Atoi(rec[4]); err != nil {
		return Flow{}, false, fmt.Errorf("csv: port %q: not a number", rec[4])
	}
	if len(rec) > 6 {
		if f.Dropped, err = verdictDropped(rec[6]); err != nil {
			return Flow{}, false, fmt.Errorf("csv: %v", err)
		}
	}
	if len(rec) > 7 && rec[7] != "" {
		if f.Reply, err = strconv.ParseBool(rec[7]); err != nil {
			return Flow{}, false, fmt.Errorf("csv: reply %q: want true or false", rec[7])
		}
	}
	if err := checkEnds(&f); err != nil {
		return Flow{}, false, fmt.Errorf("csv: %v", err)
	}
	if err := checkFlow(&f); err != nil {
		return Flow{}, false, fmt.Errorf("csv: %v", err)
	}
	return f, false, nil
}

// csvEnd reads a namespace and "labels or IP": k=v;k=v (or k=v,k=v, in brackets as
// Calico writes them), an address, or an entity name; "-" or empty is none.
func csvEnd(ns, what string) (Endpoint, error) {
	if ns == "-" {
		ns = ""
	}
	if what == "-" {
		what = ""
	}
	e := Endpoint{Namespace: ns}
	switch what {
	case "host", "remote-node", "kube-apiserver", "world":
		e.Entity = what
		return e, nil
	}
	if a, err := netip.ParseAddr(what); err == nil {
		e.IP = a.String()
		return e, nil
	}
	what = strings.TrimSuffix(strings.TrimPrefix(what, "["), "]")
	if strings.TrimSpace(what) == "" {
		return e, nil
	}
	e.Labels = map[string]string{}
	for _, kv := range strings.FieldsFunc(what, func(r rune) bool { return r == ';' || r == ',' }) {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok || k == "" {
			return e, fmt.Errorf("label %q: want key=value (or an address)", kv)
		}
		e.Labels[k] = v
	}
	return e, nil
}
