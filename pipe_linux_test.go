package main

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestWidenPipe: a pipe on stdin gets a buffer of pipeBuffer bytes; a file is left alone.
func TestWidenPipe(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	size := func(f *os.File) uintptr {
		n, _, errno := syscall.Syscall(syscall.SYS_FCNTL, f.Fd(), syscall.F_GETPIPE_SZ, 0)
		if errno != 0 {
			t.Fatalf("F_GETPIPE_SZ: %v", errno)
		}
		return n
	}
	before := size(r)
	widenPipe(r)
	if got := size(r); got != pipeBuffer {
		t.Errorf("the pipe's buffer is %d bytes after widenPipe (%d before); want %d", got, before, pipeBuffer)
	}
	f, err := os.Create(filepath.Join(t.TempDir(), "input"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	widenPipe(f) // a file: nothing to do, nothing to fail
}
