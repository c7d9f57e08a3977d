// Package hubbleflows writes the Hubble flows the main module's verify tests read, made
// with Cilium's own flow types and marshalled as hubble observe -o json writes them (the
// types' MarshalJSON: protojson with the proto's field names), so verify's own small
// structs are checked against the real JSON. go test -update rewrites the file.
package hubbleflows

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"testing"

	"github.com/cilium/cilium/api/v1/flow"
	"github.com/cilium/cilium/api/v1/observer"
	"google.golang.org/protobuf/types/known/timestamppb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

var update = flag.Bool("update", false, "rewrite the flows file")

const file = "../../../testdata/verify/hubble-cilium.jsonl"

func tcp(src, dst uint32) *flow.Layer4 {
	return &flow.Layer4{Protocol: &flow.Layer4_TCP{TCP: &flow.TCP{SourcePort: src, DestinationPort: dst, Flags: &flow.TCPFlags{SYN: true}}}}
}

func pod(ns, name string, labels ...string) *flow.Endpoint {
	ls := []string{"k8s:io.kubernetes.pod.namespace=" + ns, "k8s:io.cilium.k8s.namespace.labels.kubernetes.io/metadata.name=" + ns, "k8s:io.cilium.k8s.policy.cluster=default"}
	for _, l := range labels {
		ls = append(ls, "k8s:"+l)
	}
	return &flow.Endpoint{ID: 100, Identity: 40000, ClusterName: "default", Namespace: ns, Labels: ls, PodName: name}
}

func flows() []*flow.Flow {
	prom := pod("monitoring", "prometheus-0", "app=prometheus")
	web := pod("shop", "web-7d9f-abcde", "app=web", "pod-template-hash=7d9f")
	ip := func(s, d string) *flow.IP { return &flow.IP{Source: s, Destination: d, IpVersion: flow.IPVersion_IPv4} }
	return []*flow.Flow{
		// allowed: the declared port
		{Verdict: flow.Verdict_FORWARDED, IP: ip("10.0.1.5", "10.0.2.7"), L4: tcp(41000, 8080), Source: prom, Destination: web, TrafficDirection: flow.TrafficDirection_INGRESS, IsReply: wrapperspb.Bool(false), Type: flow.FlowType_L3_L4},
		// would be dropped: a port nothing opens
		{Verdict: flow.Verdict_FORWARDED, IP: ip("10.0.1.5", "10.0.2.7"), L4: tcp(41001, 9090), Source: prom, Destination: web, TrafficDirection: flow.TrafficDirection_INGRESS, IsReply: wrapperspb.Bool(false), Type: flow.FlowType_L3_L4},
		// a reply
		{Verdict: flow.Verdict_FORWARDED, IP: ip("10.0.2.7", "10.0.1.5"), L4: tcp(8080, 41000), Source: web, Destination: prom, TrafficDirection: flow.TrafficDirection_EGRESS, IsReply: wrapperspb.Bool(true), Type: flow.FlowType_L3_L4},
		// dropped already
		{Verdict: flow.Verdict_DROPPED, DropReasonDesc: flow.DropReason_POLICY_DENIED, IP: ip("10.0.1.5", "10.0.2.7"), L4: tcp(41002, 9999), Source: prom, Destination: web, TrafficDirection: flow.TrafficDirection_INGRESS, Type: flow.FlowType_L3_L4},
		// pods the stream does not hold
		{Verdict: flow.Verdict_FORWARDED, IP: ip("10.0.3.1", "10.0.3.2"), L4: &flow.Layer4{Protocol: &flow.Layer4_UDP{UDP: &flow.UDP{SourcePort: 5353, DestinationPort: 53}}}, Source: pod("other", "x-0", "app=x"), Destination: pod("kube-system", "coredns-1", "k8s-app=kube-dns"), TrafficDirection: flow.TrafficDirection_EGRESS, Type: flow.FlowType_L3_L4},
		// egress to the world, which the egress policy does not allow
		{Verdict: flow.Verdict_FORWARDED, IP: ip("10.0.2.7", "192.0.2.1"), L4: tcp(40000, 443), Source: web, Destination: &flow.Endpoint{Identity: 2, Labels: []string{"reserved:world"}}, TrafficDirection: flow.TrafficDirection_EGRESS, IsReply: wrapperspb.Bool(false), Type: flow.FlowType_L3_L4},
	}
}

func TestHubbleFlows(t *testing.T) {
	var b bytes.Buffer
	at := &timestamppb.Timestamp{Seconds: 1796551200}
	for i, f := range flows() {
		f.Time = at
		f.NodeName = "kind-worker"
		var v any = f
		if i%2 == 0 { // GetFlowsResponse, as hubble observe writes it; bare flows too
			v = &observer.GetFlowsResponse{ResponseTypes: &observer.GetFlowsResponse_Flow{Flow: f}, NodeName: "kind-worker", Time: at}
		}
		line, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	if *update {
		if err := os.WriteFile(file, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, b.Bytes()) {
		t.Errorf("%s differs from what Cilium's types write: go test -update", file)
	}
}
