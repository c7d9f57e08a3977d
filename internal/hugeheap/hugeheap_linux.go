package hugeheap

import (
	"runtime"
	"syscall"
	"unsafe"
)

const (
	block = 64 << 20 // what is advised past the heap of the inits so far
	// chunk is the unit in which the Go runtime maps heap (pallocChunkBytes): the mapping
	// that holds the block ends on a chunk boundary.
	chunk = 4 << 20
)

// minInput is how many bytes must wait on stdin for the init to reserve: 64 KiB, a pipe's
// buffer full. The reservation's collection costs about 4 ms; a chart of a few kB gains
// less than that from huge pages, and Helm has written the whole render (or a full pipe
// of it) by the time the init runs.
const minInput = 64 << 10

func init() {
	if waiting(0) < minInput { // first: one fstat, where hugePageSize reads two files
		return
	}
	page := hugePageSize()
	if page == 0 {
		return
	}
	lo, hi := reserve(page)
	if hi > lo {
		syscall.Syscall(syscall.SYS_MADVISE, lo, hi-lo, syscall.MADV_HUGEPAGE) // advice: an error changes nothing
	}
}

// hugePageSize returns the size of a transparent huge page where the kernel gives them
// to memory that asks for them, the user has not turned them off for the Go heap, and a
// few fit in the block (2 MiB on x86-64 and on arm64 with 4 KiB pages; 512 MiB on arm64
// with 64 KiB pages, where the block would get none); 0 otherwise. It uses package
// syscall alone, whose init comes early: os, strings or strconv would have this one wait
// for the large dependencies'.
func hugePageSize() uintptr {
	if godebug, _ := syscall.Getenv("GODEBUG"); contains(godebug, "disablethp=1") {
		return 0
	}
	if !contains(readSmall("/sys/kernel/mm/transparent_hugepage/enabled"), "[madvise]") {
		return 0
	}
	var size uintptr
	for _, c := range []byte(readSmall("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size")) {
		if c < '0' || c > '9' {
			break
		}
		size = size*10 + uintptr(c-'0')
	}
	if size == 0 || size&(size-1) != 0 || size > block/4 {
		return 0
	}
	return size
}

// readSmall returns the first 64 bytes of a file, "" when it cannot be read.
func readSmall(name string) string {
	fd, err := syscall.Open(name, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return ""
	}
	defer syscall.Close(fd)
	var buf [64]byte
	n, err := syscall.Read(fd, buf[:])
	if err != nil || n < 0 {
		return ""
	}
	return string(buf[:n])
}

// waiting returns how many bytes wait on file descriptor fd: a file's size, what a pipe
// holds, nothing for anything else.
func waiting(fd int) int {
	var st syscall.Stat_t
	if syscall.Fstat(fd, &st) != nil {
		return 0
	}
	switch st.Mode & syscall.S_IFMT {
	case syscall.S_IFREG:
		return int(st.Size)
	case syscall.S_IFIFO:
		var n int32
		if _, _, errno := syscall.Syscall(syscall.SYS_IOCTL, uintptr(fd), syscall.TIOCINQ, uintptr(unsafe.Pointer(&n))); errno != 0 {
			return 0
		}
		return int(n)
	}
	return 0
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

// reserve maps block bytes of heap and gives them back to the heap's free pages, and
// returns the range to advise for huge pages of size page: from the huge page that holds
// the heap of the inits so far to the end of the mapping that holds the block. A huge
// page already partly touched stays in small pages; the advice is for the untouched ones.
func reserve(page uintptr) (lo, hi uintptr) {
	heapObject = new([64]byte) // kept in a package variable, so that it is on the heap
	probe := uintptr(unsafe.Pointer(heapObject))
	heapObject = nil
	b := make([]byte, block)
	start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
	b = nil
	runtime.GC()
	lo = probe &^ (page - 1)
	hi = (start + block + chunk - 1) &^ (chunk - 1)
	if probe > start || start-probe > block {
		// The block is not right above the heap of the inits: advise the block alone.
		lo = start &^ (page - 1)
	}
	return lo, hi
}

// heapObject is where reserve puts the object whose address tells where the heap is.
var heapObject *[64]byte
