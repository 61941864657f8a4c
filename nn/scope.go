package nn

// Recycler is implemented by backends that keep storages nothing uses
// any more and hand them out again, so that a training step or a forward
// pass repeated with the same shapes reuses the previous one's memory
// instead of allocating (and zeroing) it afresh. Backends without it
// leave released storages to the garbage collector.
type Recycler interface {
	// AllocRaw returns n elements whose values are unspecified: for an
	// output a kernel overwrites entirely.
	AllocRaw(n int) Storage
	// Recycle takes back a storage of this backend that nothing reads or
	// writes any more.
	Recycle(s Storage)
}

// recycle returns s to be's pool where be keeps one.
func recycle(be Backend, s Storage) {
	if r, ok := be.(Recycler); ok && s != nil {
		r.Recycle(s)
	}
}

// allocRaw returns n elements the caller overwrites entirely: from the
// pool without clearing where be keeps one, else zeroed.
func allocRaw(be Backend, n int) Storage {
	if r, ok := be.(Recycler); ok {
		return r.AllocRaw(n)
	}
	return be.Alloc(n)
}

// Scope owns the tensors computed from the tensors it marks, so that
// their storage can be given back in one call when a training step or a
// forward pass is over, and the next one (same shapes) reuses it:
//
//	sc := nn.NewScope()
//	loss := nn.MSE(m.Forward(sc.In(x)), y)
//	nn.Backward(loss)
//	l := loss.Item()
//	sc.Release()
//
// Every operation with an input that belongs to a scope (In marks one, and
// each output of such an operation belongs to it too) adds its output to
// the scope. Release returns their storages to the backend (see Recycler);
// afterwards those tensors are dead: reading one panics, and a Detach of
// one keeps its storage out of the release. Parameters and tensors made
// by New, From and the like never belong to a scope.
//
// A NoGrad scope also records no autodiff graph: an operation whose
// inputs include a tensor of a NoGrad scope and no tensor that carries a
// recorded graph records nothing, even when a parameter that needs a
// gradient takes part. That is inference: a network called for a decision
// (a search, an evaluation) with NoGrad's In on its input computes the
// same values as in training, keeps no graph and, released after each
// call, reuses its buffers. A tensor of a NoGrad scope used in training
// (a target) is a constant there.
//
// A Scope is not safe for concurrent use, and is reusable after Release.
type Scope struct {
	noGrad bool
	owned  []*Tensor
}

// NewScope returns a scope that records autodiff graphs as usual.
func NewScope() *Scope { return &Scope{} }

// NoGrad returns a scope that records no autodiff graph through its tensors.
func NoGrad() *Scope { return &Scope{noGrad: true} }

// In returns a view of t (same values and shape, no copy) that belongs to
// the scope. Under NoGrad the view carries no gradient; otherwise
// gradients flow through it to t.
func (s *Scope) In(t *Tensor) *Tensor {
	out := &Tensor{shape: t.shape, data: t.data, be: t.be, scope: s, view: true}
	if t.requiresGrad && !s.noGrad {
		out.requiresGrad = true
		out.inputs = []*Tensor{t}
		out.backward = func() { out.passGrad(t) }
	}
	return out
}

// InGraph returns g with its feature tensors marked by In (the indices
// are shared): a GCNN's input in the scope.
func (s *Scope) InGraph(g *Bipartite) *Bipartite {
	return &Bipartite{Vars: s.In(g.Vars), Cons: s.In(g.Cons), Edges: s.In(g.Edges), ConsIdx: g.ConsIdx, VarIdx: g.VarIdx}
}

// Len is the number of tensors the scope owns.
func (s *Scope) Len() int { return len(s.owned) }

// Release gives the storage of every tensor the scope owns back to its
// backend and empties the scope. Those tensors must not be used again.
func (s *Scope) Release() {
	for i, t := range s.owned {
		if !t.pinned && t.data != nil {
			recycle(t.be, t.data)
			for _, x := range t.extra {
				recycle(t.be, x)
			}
		}
		t.data, t.extra, t.inputs, t.backward, t.grad = nil, nil, nil, nil, nil
		s.owned[i] = nil
	}
	s.owned = s.owned[:0]
}

// own adds t to the scope.
func (s *Scope) own(t *Tensor) {
	t.scope = s
	s.owned = append(s.owned, t)
}

// keep attaches storages a node holds for its backward (or computes on
// the way) to t, so that they are released with it; outside a scope the
// garbage collector takes them.
func (t *Tensor) keep(ss ...Storage) {
	if t.scope != nil {
		t.extra = append(t.extra, ss...)
	}
}

// passGrad hands t's final gradient to x: x takes the buffer when it has
// none yet (saving a copy), else it is added into x's.
func (t *Tensor) passGrad(x *Tensor) {
	if x.grad == nil {
		x.grad = &Tensor{shape: x.shape, data: t.grad.data, be: x.be}
		t.gradTaken = true
		return
	}
	x.be.Axpy(x.grad.data, 1, t.grad.data, x.Len())
}
