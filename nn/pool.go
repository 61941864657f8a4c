package nn

import "sync"

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

// storePool keeps released host storages by length. Training steps and
// forward passes repeat the same shapes, so an exact length finds its
// buffer from the previous call.
type storePool[T float] struct {
	mu    sync.Mutex
	free  map[int][]*cpuStore[T]
	bytes int
}

// get returns a released storage of n elements, or nil.
func (p *storePool[T]) get(n int) *cpuStore[T] {
	if n < poolMinElems {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	list := p.free[n]
	if len(list) == 0 {
		return nil
	}
	s := list[len(list)-1]
	s.inPool = false
	list[len(list)-1] = nil
	p.free[n] = list[:len(list)-1]
	p.bytes -= n * elemBytes[T]()
	return s
}

// put keeps s for reuse while the pool is below its cap.
func (p *storePool[T]) put(s *cpuStore[T]) {
	n := len(s.v)
	if n < poolMinElems {
		return
	}
	size := n * elemBytes[T]()
	p.mu.Lock()
	defer p.mu.Unlock()
	if s.inPool || p.bytes+size > poolMaxBytes {
		return
	}
	if p.free == nil {
		p.free = map[int][]*cpuStore[T]{}
	}
	s.inPool = true
	p.free[n] = append(p.free[n], s)
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
