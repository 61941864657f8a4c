package nn

import (
	"math/bits"
	"sync"
)

// Bounds of the CPU backend's pool of released storages (see Recycler).
const (
	// poolMinElems: smaller storages are left to the garbage collector,
	// which allocates them about as fast as the pool's lock.
	poolMinElems = 256
	// poolMaxBytes caps what the pool holds; storages released beyond it
	// go to the garbage collector. A GCNN step on a set-cover graph of
	// 25,000 edges releases about 50 MB.
	poolMaxBytes = 512 << 20
)

// storePool keeps released host storages by size class: a length is
// rounded up to the next multiple of an eighth of its power of two, and a
// pooled storage's capacity is its class, so a batch a little smaller or
// larger than the last (graphs of another size, another number of
// searches asking) still finds a buffer, at most 12.5% larger than asked.
type storePool[T float] struct {
	mu    sync.Mutex
	free  map[int][]*cpuStore[T]
	bytes int
}

// sizeClass returns the capacity of a pooled storage of n elements.
func sizeClass(n int) int {
	if n < poolMinElems {
		return n
	}
	step := 1 << (bits.Len(uint(n)) - 4) // an eighth of n's power of two
	return (n + step - 1) &^ (step - 1)
}

// get returns a released storage of n elements, or nil.
func (p *storePool[T]) get(n int) *cpuStore[T] {
	if n < poolMinElems {
		return nil
	}
	c := sizeClass(n)
	p.mu.Lock()
	defer p.mu.Unlock()
	list := p.free[c]
	if len(list) == 0 {
		return nil
	}
	s := list[len(list)-1]
	s.inPool = false
	s.v = s.v[:n]
	list[len(list)-1] = nil
	p.free[c] = list[:len(list)-1]
	p.bytes -= c * elemBytes[T]()
	return s
}

// fresh returns a new zeroed storage of n elements, with its class's
// capacity where the pool may take it later.
func (p *storePool[T]) fresh(n int) *cpuStore[T] {
	return &cpuStore[T]{v: make([]T, n, sizeClass(n))}
}

// put keeps s for reuse while the pool is below its cap.
func (p *storePool[T]) put(s *cpuStore[T]) {
	c := cap(s.v)
	if c < poolMinElems || c != sizeClass(c) {
		return
	}
	size := c * elemBytes[T]()
	p.mu.Lock()
	defer p.mu.Unlock()
	if s.inPool || p.bytes+size > poolMaxBytes {
		return
	}
	if p.free == nil {
		p.free = map[int][]*cpuStore[T]{}
	}
	s.inPool = true
	p.free[c] = append(p.free[c], s)
	p.bytes += size
}

func elemBytes[T float]() int {
	var x T
	switch any(x).(type) {
	case float32:
		return 4
	}
	return 8
}
