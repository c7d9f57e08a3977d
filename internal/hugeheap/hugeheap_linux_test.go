package hugeheap

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
	"unsafe"
)

// TestHeapAdvised requires that a large allocation after the init lies, from its first
// byte to its last, in memory advised for huge pages (VmFlags "hg" in /proc/self/smaps),
// where the kernel's mode asks for advice. Small objects may still fill free slots of the
// spans the inits left, below the advised range.
func TestHeapAdvised(t *testing.T) {
	if !wanted() {
		t.Skip("transparent huge pages are not in madvise mode on this machine, or GODEBUG=disablethp=1: the init asks nothing")
	}
	for _, size := range []int{1 << 20, 8 << 20, 32 << 20} {
		b := make([]byte, size)
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		first := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
		for _, addr := range []uintptr{first, first + uintptr(size) - 1} {
			flags, hugeKB := mapping(t, addr)
			if !strings.Contains(" "+flags+" ", " hg ") {
				t.Errorf("a %d-byte allocation at %#x is in a mapping without huge page advice (VmFlags: %s)", size, first, flags)
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
