package oracle

import (
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	code := m.Run()
	RemoveCiliumParser()
	os.Exit(code)
}
