package oracle

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestValidators(t *testing.T) {
	tests := []struct {
		file     string
		validate func([]byte) error
		wantErr  []string // all must appear in the error; none: the object must be accepted
	}{
		{"networkpolicy/good.yaml", ValidateNetworkPolicy, nil},
		{"networkpolicy/bad-port.yaml", ValidateNetworkPolicy, []string{"spec.ingress[0].ports[0].port: Invalid value: 70000"}},
		{"networkpolicy/bad-except.yaml", ValidateNetworkPolicy, []string{"spec.egress[0].to[0].ipBlock.except[0]"}},
		{"networkpolicy/bad-cidr.yaml", ValidateNetworkPolicy, []string{"must not have bits set beyond the prefix length", "warning: spec.egress[0].to[0].ipBlock.cidr"}},
		{"networkpolicy/bad-unknown-field.yaml", ValidateNetworkPolicy, []string{`unknown field "spec.policyType"`}},

		{"cilium/good.yaml", ValidateCRDObject, nil},
		{"cilium/good.yaml", ParseCilium, nil},
		{"cilium/bad-unknown-field.yaml", ValidateCRDObject, []string{"spec.ingress[0].toPort: unknown field"}},
		{"cilium/bad-fqdn-and-cidr.yaml", ValidateCRDObject, nil},
		{"cilium/bad-fqdn-and-cidr.yaml", ParseCilium, []string{"combining ", "ToFQDNs", "ToCIDR", "is not supported yet"}},
		{"cilium/bad-cel-no-spec.yaml", ValidateCRDObject, []string{"spec or specs must be provided"}},
		{"cilium/clusterwide.yaml", ValidateCRDObject, []string{"no CRD serves cilium.io/v2, Kind=CiliumClusterwideNetworkPolicy"}},
		{"cilium/clusterwide.yaml", ParseCilium, nil},

		{"calico/good-networkpolicy.yaml", ValidateCRDObject, nil},
		{"calico/good-globalnetworkpolicy.yaml", ValidateCRDObject, nil},
		{"calico/bad-types.yaml", ValidateCRDObject, []string{`spec.types[0]: Unsupported value: "Ingres"`}},
		{"calico/bad-order-type.yaml", ValidateCRDObject, []string{"spec.order: Invalid value: \"string\""}},
		{"calico/bad-duplicate-types.yaml", ValidateCRDObject, []string{`spec.types[1]: Duplicate value: "Ingress"`}},
		{"calico/bad-metadata-field.yaml", ValidateCRDObject, []string{"metadata.label: unknown field", "metadata.namespace: the kind is cluster-scoped"}},
		{"calico/bad-name.yaml", ValidateCRDObject, []string{`metadata.name: Invalid value: "Web_Allow"`}},
		{"calico/good-stagednetworkpolicy.yaml", ValidateCRDObject, nil},
		{"calico/bad-staged-action.yaml", ValidateCRDObject, []string{`spec.stagedAction: Unsupported value: "Apply"`}},
		{"calico/good-stagedkubernetesnetworkpolicy.yaml", ValidateCRDObject, nil},
		{"calico/good-stagedkubernetesnetworkpolicy.yaml", ValidateStagedKubernetesNetworkPolicy, nil},
		{"calico/bad-stagedkubernetes-port.yaml", ValidateCRDObject, nil},
		{"calico/bad-stagedkubernetes-port.yaml", ValidateStagedKubernetesNetworkPolicy, []string{"as the networking.k8s.io/v1 NetworkPolicy it stages", "spec.ingress[0].ports[0].port: Invalid value: 70000"}},
		{"calico/bad-stagedkubernetes-unknown-field.yaml", ValidateCRDObject, []string{"spec.ingress[0].form: unknown field"}},

		{"clusternetworkpolicy/good.yaml", ValidateCRDObject, nil},
		{"clusternetworkpolicy/bad-priority.yaml", ValidateCRDObject, []string{"spec.priority: Invalid value: 2000"}},
		{"clusternetworkpolicy/bad-status.yaml", ValidateCRDObject, []string{"status: the status subresource owns it"}},
		{"clusternetworkpolicy/bad-cel-cidr.yaml", ValidateCRDObject, []string{"Invalid CIDR format provided"}},
	}
	for _, tt := range tests {
		doc, err := os.ReadFile(filepath.Join("testdata", tt.file))
		if err != nil {
			t.Fatal(err)
		}
		err = tt.validate(doc)
		switch {
		case err == nil && len(tt.wantErr) > 0:
			t.Errorf("%s: accepted, want an error containing %q", tt.file, tt.wantErr)
		case err != nil && len(tt.wantErr) == 0:
			t.Errorf("%s: unexpected error:\n%v", tt.file, err)
		case err != nil:
			t.Logf("%s: rejected as expected:\n%v", tt.file, err)
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("%s: error does not contain %q:\n%v", tt.file, want, err)
				}
			}
		}
	}
}
