package cilium

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		file    string
		wantErr string // empty: the policy must be accepted
	}{
		{"good.yaml", ""},
		{"clusterwide.yaml", ""},
		{"bad-fqdn-and-cidr.yaml", "is not supported yet"},
	}
	for _, tt := range tests {
		doc, err := os.ReadFile(filepath.Join("..", "testdata", "cilium", tt.file))
		if err != nil {
			t.Fatal(err)
		}
		err = Parse(doc)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("%s: unexpected error: %v", tt.file, err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%s: got error %v, want one containing %q", tt.file, err, tt.wantErr)
		}
	}
}
