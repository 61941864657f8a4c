//go:build !(linux || darwin || freebsd)

package highs

import "github.com/tetratelabs/wazero/experimental"

// mmapAllocator falls back to Go slices where mmap is not available.
var mmapAllocator experimental.MemoryAllocator = experimental.MemoryAllocatorFunc(
	func(_, _ uint64) experimental.LinearMemory { return &heapMemory{} })
