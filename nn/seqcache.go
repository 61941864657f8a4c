package nn

import "math"

// SequenceCache is what SequenceModel.Extend needs of a sequence's
// prefix: each block's key and value at every position. A cache is never
// changed; extending it makes a new one that points to it, so the
// sequences of a tree's paths share their common prefixes (a node's
// children extend its cache).
type SequenceCache struct {
	prev *SequenceCache
	n    int         // positions, this one included
	k, v [][]float32 // per block: this position's key and value [Dim]
}

// Len is the number of positions the cache holds (0 for nil).
func (c *SequenceCache) Len() int {
	if c == nil {
		return 0
	}
	return c.n
}

// Extend encodes one more position x (In values) after the prefix prev
// (nil: the first position) and returns its output (Dim values), what
// Forward gives at that position on the whole sequence (to rounding), and
// the cache of the longer prefix. A position's work is its own token
// through every block and attention over the prefix's keys, so a path of
// T positions costs O(T) per position instead of Forward's rerun of all T.
// The prefix must be shorter than MaxLen.
func (m *SequenceModel) Extend(prev *SequenceCache, x []float32) ([]float32, *SequenceCache) {
	t, dim := prev.Len(), m.Config.Dim
	mustShape("SequenceModel.Extend", len(x) == m.Config.In && t < m.Config.MaxLen, m.pos)
	be := m.In.Weight.be
	sc := NoGrad()
	defer sc.Release()
	chain := make([]*SequenceCache, t) // the prefix, position order
	for c, i := prev, t-1; c != nil; c, i = c.prev, i-1 {
		chain[i] = c
	}
	next := &SequenceCache{prev: prev, n: t + 1, k: make([][]float32, len(m.Blocks)), v: make([][]float32, len(m.Blocks))}
	h := Add(m.In.Forward(sc.In(From(be, x, 1, len(x)))), Slice(m.pos, 0, t, t+1)) // [1, Dim]
	keys, vals := make([]float32, (t+1)*dim), make([]float32, (t+1)*dim)
	for l, b := range m.Blocks {
		a := b.LN1.Forward(h)
		q := b.Attn.Q.Forward(a)
		next.k[l], next.v[l] = b.Attn.K.Forward(a).Data(), b.Attn.V.Forward(a).Data()
		for p, c := range chain {
			copy(keys[p*dim:], c.k[l])
			copy(vals[p*dim:], c.v[l])
		}
		copy(keys[t*dim:], next.k[l])
		copy(vals[t*dim:], next.v[l])
		kt, vt := sc.In(From(be, keys, t+1, dim)), sc.In(From(be, vals, t+1, dim))
		dh := dim / b.Attn.Heads
		scale := float32(1 / math.Sqrt(float64(dh)))
		heads := make([]*Tensor, b.Attn.Heads)
		for hd := range heads {
			qh := Slice(q, 1, hd*dh, (hd+1)*dh)
			att := Softmax(Scale(MatMulT(qh, Slice(kt, 1, hd*dh, (hd+1)*dh), false, true), scale), nil) // [1, t+1]
			heads[hd] = MatMul(att, Slice(vt, 1, hd*dh, (hd+1)*dh))
		}
		h = Add(h, b.Attn.O.Forward(Concat(1, heads...)))
		h = Add(h, b.MLP.Forward(b.LN2.Forward(h)))
	}
	return m.Norm.Forward(h).Data(), next
}
