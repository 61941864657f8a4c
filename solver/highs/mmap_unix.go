//go:build linux || darwin || freebsd

package highs

import (
	"github.com/tetratelabs/wazero/experimental"
	"golang.org/x/sys/unix"
)

// mmapAllocator backs wazero's linear memory with one reservation of the
// memory's maximum size, so growing it never copies: the kernel commits
// pages only when HiGHS touches them. Without it, wazero copies the whole
// memory on every growth.
var mmapAllocator experimental.MemoryAllocator = experimental.MemoryAllocatorFunc(newMmapMemory)

type mmapMemory struct{ buf []byte }

func newMmapMemory(_, maxBytes uint64) experimental.LinearMemory {
	if maxBytes == 0 || maxBytes > 1<<32 {
		maxBytes = 1 << 32
	}
	buf, err := unix.Mmap(-1, 0, int(maxBytes), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANON|unix.MAP_NORESERVE)
	if err != nil {
		return &heapMemory{}
	}
	return &mmapMemory{buf: buf}
}

func (m *mmapMemory) Reallocate(size uint64) []byte {
	if size > uint64(len(m.buf)) {
		return nil
	}
	return m.buf[:size:len(m.buf)]
}

func (m *mmapMemory) Free() {
	if m.buf != nil {
		unix.Munmap(m.buf)
		m.buf = nil
	}
}
