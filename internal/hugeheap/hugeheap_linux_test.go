package hugeheap

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// TestHeapAdvised runs this test binary again with minInput bytes on stdin, from a file
// and from a pipe, and with one byte less: in the first two the init must have advised
// huge pages for the heap, in the last not. The child checks that a large allocation
// lies, from its first byte to its last, in memory advised for huge pages (VmFlags "hg"
// in /proc/self/smaps) or not. (Small objects may still fill free slots of the spans the
// inits left, below the advised range.)
func TestHeapAdvised(t *testing.T) {
	if hugePageSize() == 0 {
		t.Skip("transparent huge pages are not in madvise mode on this machine, are too large for the block, or GODEBUG=disablethp=1: the init asks nothing")
	}
	if want := os.Getenv("HUGEHEAP_WANT"); want != "" {
		checkAdvised(t, want == "advised")
		return
	}
	for _, c := range []struct {
		name string
		size int
		pipe bool
		want string
	}{
		{"a file of minInput bytes", minInput, false, "advised"},
		{"a pipe holding minInput bytes", minInput, true, "advised"},
		{"a file of one byte less", minInput - 1, false, "not advised"},
	} {
		t.Run(c.name, func(t *testing.T) {
			stdin := input(t, c.size, c.pipe)
			cmd := exec.Command(os.Args[0], "-test.run=^TestHeapAdvised$", "-test.v")
			cmd.Stdin = stdin
			cmd.Env = append(os.Environ(), "HUGEHEAP_WANT="+c.want)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Errorf("the heap should be %s: %v\n%s", c.want, err, out)
			}
		})
	}
}

// input returns a file, or the reading end of a pipe, holding size bytes.
func input(t *testing.T, size int, pipe bool) *os.File {
	t.Helper()
	data := make([]byte, size)
	if !pipe {
		name := filepath.Join(t.TempDir(), "input")
		if err := os.WriteFile(name, data, 0o644); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	if _, err := w.Write(data); err != nil { // a pipe's buffer holds 64 KiB: no reader needed
		t.Fatal(err)
	}
	w.Close()
	return r
}

func checkAdvised(t *testing.T, advised bool) {
	for _, size := range []int{1 << 20, 8 << 20, 32 << 20} {
		b := make([]byte, size)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		first := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
		for _, addr := range []uintptr{first, first + uintptr(size) - 1} {
			flags, hugeKB := mapping(t, addr)
			if got := strings.Contains(" "+flags+" ", " hg "); got != advised {
				t.Errorf("a %d-byte allocation at %#x: huge page advice %v, want %v (VmFlags: %s)", size, first, got, advised, flags)
			}
			t.Logf("%d bytes, byte at %#x: VmFlags %s; AnonHugePages of its mapping %d kB", size, addr, flags, hugeKB)
		}
	}
}

// mapping returns the VmFlags and AnonHugePages of the mapping of /proc/self/smaps that
// holds addr.
func mapping(t *testing.T, addr uintptr) (flags string, hugeKB int) {
	t.Helper()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	in := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 {
			continue
		}
		if lo, hi, ok := strings.Cut(fields[0], "-"); ok && !strings.HasSuffix(fields[0], ":") {
			l, err1 := strconv.ParseUint(lo, 16, 64)
			h, err2 := strconv.ParseUint(hi, 16, 64)
			if err1 == nil && err2 == nil {
				in = uint64(addr) >= l && uint64(addr) < h
				continue
			}
		}
		if !in {
			continue
		}
		switch fields[0] {
		case "AnonHugePages:":
			hugeKB, _ = strconv.Atoi(fields[1])
		case "VmFlags:":
			return strings.Join(fields[1:], " "), hugeKB
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	t.Fatalf("no mapping of /proc/self/smaps holds %#x", addr)
	return "", 0
}
