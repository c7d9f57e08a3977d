package oracle

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	code := m.Run()
	RemoveCiliumBinaries()
	os.Exit(code)
}
