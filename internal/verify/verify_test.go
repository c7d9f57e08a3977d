package verify

import (
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/helm-netpol/helm-netpol/internal/trace"
)

func readAll(t *testing.T, text, format string) ([]Flow, string, error) {
	t.Helper()
	r, err := NewReader(strings.NewReader(text), format)
	if err != nil {
		return nil, "", err
	}
	var out []Flow
	for {
		f, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out, r.Format(), nil
		}
		if err != nil {
			return out, r.Format(), err
		}
		out = append(out, f)
	}
}

func TestHubble(t *testing.T) {
	wrapped := `{"flow":{"verdict":"FORWARDED","IP":{"source":"10.0.1.5","destination":"10.0.2.7"},"l4":{"TCP":{"source_port":41000,"destination_port":8080}},"source":{"identity":4321,"namespace":"monitoring","labels":["k8s:app=prometheus","k8s:io.kubernetes.pod.namespace=monitoring","k8s:io.cilium.k8s.namespace.labels.team=obs","k8s:io.cilium.k8s.policy.serviceaccount=prom"],"pod_name":"prometheus-0"},"destination":{"namespace":"shop","labels":["k8s:app=web","k8s:pod-template-hash=7d9f"]},"traffic_direction":"INGRESS","is_reply":false},"node_name":"n1"}`
	bare := `{"verdict":"DROPPED","IP":{"source":"10.0.2.7","destination":"192.0.2.1"},"l4":{"UDP":{"source_port":5000,"destination_port":53}},"source":{"namespace":"shop","labels":["k8s:app=web"]},"destination":{"identity":2,"labels":["reserved:world"]},"traffic_direction":"EGRESS"}`
	reply := `{"flow":{"verdict":"FORWARDED","l4":{"TCP":{"source_port":8080,"destination_port":41000}},"source":{"namespace":"shop","labels":["k8s:app=web"]},"destination":{"identity":1,"labels":["reserved:host"]},"reply":true}}`
	icmp := `{"flow":{"verdict":"FORWARDED","l4":{"ICMPv4":{"type":8}},"source":{"namespace":"shop"},"destination":{"namespace":"shop"}}}`
	status := `{"node_status":{"state_change":"NODE_CONNECTED"}}`
	flows, format, err := readAll(t, strings.Join([]string{wrapped, "", bare, reply, icmp, status}, "\n"), "")
	if err != nil || format != FormatHubble {
		t.Fatalf("format %q, err %v", format, err)
	}
	want := []Flow{
		{Line: 1, Port: 8080, Protocol: "TCP",
			Source:      Endpoint{Namespace: "monitoring", Labels: map[string]string{"app": "prometheus"}, NamespaceLabels: map[string]string{"team": "obs"}, IP: "10.0.1.5"},
			Destination: Endpoint{Namespace: "shop", Labels: map[string]string{"app": "web"}, IP: "10.0.2.7"}},
		{Line: 3, Port: 53, Protocol: "UDP", Dropped: true,
			Source:      Endpoint{Namespace: "shop", Labels: map[string]string{"app": "web"}, IP: "10.0.2.7"},
			Destination: Endpoint{Entity: "world", IP: "192.0.2.1"}},
		{Line: 4, Port: 41000, Protocol: "TCP", Reply: true,
			Source:      Endpoint{Namespace: "shop", Labels: map[string]string{"app": "web"}},
			Destination: Endpoint{Entity: "host"}},
		{Line: 5, Protocol: "OTHER",
			Source:      Endpoint{Namespace: "shop"},
			Destination: Endpoint{Namespace: "shop"}},
	}
	if !reflect.DeepEqual(flows, want) {
		t.Errorf("got\n%+v\nwant\n%+v", flows, want)
	}
	_, _, err = readAll(t, wrapped+"\n{\"flow\": {\"l4\": \n", FormatHubble)
	var le *LineError
	if !errors.As(err, &le) || le.Line != 2 {
		t.Errorf("malformed line: %v", err)
	}
}

func TestCSV(t *testing.T) {
	text := `source_namespace,source,destination_namespace,destination,port,protocol,verdict,reply
monitoring,"app=prometheus,team=obs",shop,app=web,8080,tcp
# a comment
-,10.1.2.3,shop,[app=web;tier=front],443,TCP,deny
shop,app=web,-,kube-apiserver,6443,TCP,allow,false
shop,app=web,b,app=y,41000,TCP,,true
`
	flows, format, err := readAll(t, text, "")
	if err != nil || format != FormatCSV {
		t.Fatalf("format %q, err %v", format, err)
	}
	want := []Flow{
		{Line: 2, Port: 8080, Protocol: "TCP",
			Source:      Endpoint{Namespace: "monitoring", Labels: map[string]string{"app": "prometheus", "team": "obs"}},
			Destination: Endpoint{Namespace: "shop", Labels: map[string]string{"app": "web"}}},
		{Line: 4, Port: 443, Protocol: "TCP", Dropped: true,
			Source:      Endpoint{IP: "10.1.2.3"},
			Destination: Endpoint{Namespace: "shop", Labels: map[string]string{"app": "web", "tier": "front"}}},
		{Line: 5, Port: 6443, Protocol: "TCP",
			Source:      Endpoint{Namespace: "shop", Labels: map[string]string{"app": "web"}},
			Destination: Endpoint{Entity: "kube-apiserver"}},
		{Line: 6, Port: 41000, Protocol: "TCP", Reply: true,
			Source:      Endpoint{Namespace: "shop", Labels: map[string]string{"app": "web"}},
			Destination: Endpoint{Namespace: "b", Labels: map[string]string{"app": "y"}}},
	}
	if !reflect.DeepEqual(flows, want) {
		t.Errorf("got\n%+v\nwant\n%+v", flows, want)
	}
	for _, c := range []struct{ text, want string }{
		{"a,app=x,b,app=y,80\n", "line 1: csv: 5 fields"},
		{"a,app=x,b,app=y,80,ICMP\n", `line 1: csv: protocol "ICMP"`},
		{"ok,app=x,b,app=y,80,TCP\na,app=x,b,noequals,80,TCP\n", `line 2: csv: destination: label "noequals"`},
		{"a,app=x,b,app=y,70000,TCP\n", "line 1: csv: port 70000"},
		{"a,app=x,b,app=y,80,TCP,maybe\n", `line 1: csv: verdict "maybe"`},
		{"-,-,b,app=y,80,TCP\n", "line 1: csv: source: give a namespace"},
		{"source_namespace,src\n", "line 1: csv header: column 2"},
	} {
		_, _, err := readAll(t, c.text, FormatCSV)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %s", c.text, err, c.want)
		}
	}
}

func TestJSON(t *testing.T) {
	text := `{"source": {"namespace": "a", "labels": {"app": "x"}}, "destination": {"ip": "::ffff:192.0.2.1"}, "port": 443, "protocol": "TCP", "verdict": "forwarded"}
{"source": {"namespace": "a"}, "destination": {"ip": "192.0.2.1"}, "port": 443, "protocol": "TCP", "peer": 1}
`
	flows, format, err := readAll(t, text, "")
	if format != FormatJSON || len(flows) != 1 || flows[0].Destination.IP != "192.0.2.1" {
		t.Errorf("format %q, flows %+v", format, flows)
	}
	if err == nil || !strings.Contains(err.Error(), `line 2: flow: unknown field "peer"`) {
		t.Errorf("err %v", err)
	}
	if _, err := NewReader(strings.NewReader(""), "yaml"); err == nil {
		t.Error("format yaml accepted")
	}
}

func TestDetect(t *testing.T) {
	for line, want := range map[string]string{
		`{"flow": {}}`: FormatHubble,
		`{"verdict": "FORWARDED", "source": {"labels": ["k8s:a=b"]}}`:     FormatHubble,
		`{"source": {"labels": ["k8s:a=b"]}}`:                             FormatHubble,
		`{"source": {"namespace": "a", "labels": {"a": "b"}}, "port": 1}`: FormatJSON,
		`a,app=x,b,app=y,80,TCP`:                                          FormatCSV,
	} {
		if got := Detect([]byte(line)); got != want {
			t.Errorf("%s: %s, want %s", line, got, want)
		}
	}
}

// fakeEval allows what allow says and counts the questions.
type fakeEval struct {
	allow func(trace.Probe) bool
	asked int
}

func (f *fakeEval) Evaluate(p trace.Probe) (trace.Verdict, error) {
	f.asked++
	if p.Port == 1 {
		return trace.Verdict{Reason: "not evaluated", Error: "cannot say"}, nil
	}
	if f.allow(p) {
		return trace.Verdict{Allowed: true, Reason: "allowed"}, nil
	}
	return trace.Verdict{Reason: "denied"}, nil
}

func TestGrouping(t *testing.T) {
	ev := &fakeEval{allow: func(p trace.Probe) bool { return p.Port == 8080 }}
	v := &Verifier{Eval: ev, Namespace: "shop", Workloads: []trace.Workload{
		{Kind: "Deployment", Name: "web", Labels: map[string]string{"app": "web"}},
		{Kind: "Deployment", Name: "db", Namespace: "data", Labels: map[string]string{"app": "db"}},
	}}
	web := func(ip string) Endpoint {
		return Endpoint{Namespace: "shop", Labels: map[string]string{"app": "web", "pod": ip}, IP: ip}
	}
	db := Endpoint{Namespace: "data", Labels: map[string]string{"app": "db"}, IP: "10.0.9.9"}
	prom := Endpoint{Namespace: "monitoring", Labels: map[string]string{"app": "prom"}, IP: "10.0.5.5"}
	var flows []Flow
	for i := 0; i < 100; i++ {
		flows = append(flows,
			Flow{Line: 4*i + 1, Source: prom, Destination: web("10.0.1.1"), Port: 8080, Protocol: "TCP"},
			Flow{Line: 4*i + 2, Source: prom, Destination: web("10.0.1.2"), Port: 9090, Protocol: "TCP"},
			Flow{Line: 4*i + 3, Source: web("10.0.1.1"), Destination: db, Port: 5432, Protocol: "TCP"},
			Flow{Line: 4*i + 4, Source: prom, Destination: Endpoint{Namespace: "other", Labels: map[string]string{"app": "x"}}, Port: 80, Protocol: "TCP"},
		)
	}
	flows = append(flows,
		Flow{Line: 1000, Source: web("10.0.1.1"), Destination: prom, Port: 41000, Protocol: "TCP", Reply: true},
		Flow{Line: 1001, Source: prom, Destination: web("10.0.1.1"), Port: 9999, Protocol: "TCP", Dropped: true},
		Flow{Line: 1002, Source: prom, Destination: web("10.0.1.1"), Port: 1, Protocol: "TCP"},
	)
	for _, f := range flows {
		if err := v.Add(f); err != nil {
			t.Fatal(err)
		}
	}
	r := v.Report()
	if r.Flows != 403 || r.Allowed != 100 || r.Dropped != 200 || r.NotEvaluated != 1 {
		t.Errorf("counts: %+v", r)
	}
	if r.ApartCounts[ApartUncovered] != 100 || r.ApartCounts[ApartReply] != 1 || r.ApartCounts[ApartDropped] != 1 {
		t.Errorf("apart: %v", r.ApartCounts)
	}
	// Each distinct question once, however many lines ask it: web's ingress on 8080,
	// 9090 and 1, web's egress to db and db's ingress from web.
	if ev.asked != 5 {
		t.Errorf("asked %d questions, want 5", ev.asked)
	}
	var got []string
	for _, g := range r.Drops {
		got = append(got, g.Direction+" "+g.Workload+" "+g.Peer+" "+g.Protocol+" "+strings.Repeat("*", g.Flows/100))
	}
	want := []string{
		"ingress Deployment data/db shop/{app=web,pod=10.0.1.1} TCP *",
		"ingress Deployment shop/web monitoring/{app=prom} TCP *",
		"egress Deployment shop/web data/{app=db} TCP *",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("groups:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(r.Undecided) != 1 || r.Undecided[0].Port != 1 {
		t.Errorf("not evaluated: %+v", r.Undecided)
	}
}

func TestSuggest(t *testing.T) {
	for _, c := range []struct {
		dir, role string
		peer      Endpoint
		want      string
	}{
		{"ingress", "metrics", Endpoint{Namespace: "monitoring", Labels: map[string]string{"app": "prom"}}, `networkPolicy:
  metrics:
    from:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: monitoring
      podSelector:
        matchLabels:
          app: prom`},
		{"ingress", "", Endpoint{Namespace: "monitoring", Labels: map[string]string{"app": "prom"}}, `networkPolicy:
  additionalIngress:
  - from:
    - namespaceSelector:
        matchLabels:
          kubernetes.io/metadata.name: monitoring
      podSelector:
        matchLabels:
          app: prom
    ports:
    - port: 8080
      protocol: TCP`},
		{"egress", "", Endpoint{Entity: "world", IP: "2001:db8::1"}, `networkPolicy:
  egress:
    enabled: true
    to:
    - ports:
      - port: 8080
        protocol: TCP
      to:
      - ipBlock:
          cidr: 2001:db8::1/128`},
		{"egress", "", Endpoint{Entity: "kube-apiserver", IP: "10.0.0.1"}, `networkPolicy:
  egress:
    apiserver:
      cidrs:
      - 10.0.0.1/32
      enabled: true
    enabled: true`},
		{"ingress", "", Endpoint{Entity: "remote-node"}, "# the flows name no address of the entity remote-node: add it as an ipBlock"},
	} {
		if got := Suggest(c.dir, c.peer, 8080, "TCP", c.role); got != c.want {
			t.Errorf("%s %s:\n%s\nwant\n%s", c.dir, c.peer, got, c.want)
		}
	}
}

// TestCalicoCSV reads a line as the jq of docs/verify.md writes Calico's flow logs.
func TestCalicoCSV(t *testing.T) {
	flows, _, err := readAll(t, `"monitoring","app=prom;team=obs","shop","10.0.2.7",9090,"6","allow"`+"\n", "")
	if err != nil || len(flows) != 1 {
		t.Fatal(flows, err)
	}
	f := flows[0]
	if f.Protocol != "TCP" || f.Port != 9090 || f.Dropped || f.Destination.IP != "10.0.2.7" || f.Source.Labels["team"] != "obs" {
		t.Errorf("%+v", f)
	}
}
