package nn

import "fmt"

// GCNNInference runs a GCNN's forward pass for decisions (a branching
// policy asks at every node of a search tree): it records no autodiff
// graph and calls the backend's kernels directly on buffers it keeps
// between calls, growing them when a larger graph comes. It reads the
// network's parameters at every call, so it always runs the current
// weights, and it computes the same function as GCNN.Forward up to
// rounding.
//
// A GCNNInference is not safe for concurrent use: make one per goroutine
// (they may share the GCNN, as long as nothing trains it meanwhile).
type GCNNInference struct {
	g  *GCNN
	be Backend

	// Kernel descriptions, reused so that a call allocates none.
	gemm Gemm
	bc   Broadcast

	vars, cons   scratch // embeddings [nv, dim] and [nc, dim]
	vars1, cons1 scratch // the convolutions' outputs
	tgt, src     scratch // Target and Source terms of a convolution
	edges        scratch // per-edge pre-activations [ne, dim]
	sum          scratch // messages summed per target, then normalised
	hid, hid2    scratch // hidden layers of the MLPs
	out          scratch // logits [nv]
	rstd         scratch // Normalize's per-row scale
	deg, ones    scratch // edges into each target, and their count's summands
}

// scratch is a backend buffer that only grows.
type scratch struct{ s Storage }

// get returns a buffer of at least n elements, growing it (at least
// doubling) when it is smaller. Its contents are unspecified.
func (b *scratch) get(be Backend, n int) Storage {
	if b.s == nil || b.s.Len() < n {
		old := 0
		if b.s != nil {
			old = b.s.Len()
		}
		b.s = be.Alloc(max(n, 2*old))
	}
	return b.s
}

// Inference returns a runner of g's forward pass without autodiff, on the
// backend holding g's parameters.
func (g *GCNN) Inference() *GCNNInference {
	return &GCNNInference{g: g, be: g.Head.Layers[0].Weight.be}
}

// Forward returns one logit per variable of x in a new slice.
func (r *GCNNInference) Forward(x *Bipartite) []float32 { return r.ForwardTo(nil, x) }

// ForwardTo writes one logit per variable of x into dst, reallocating it
// only when its capacity is below the number of variables, and returns
// dst resized to that number. With a dst of enough capacity a call
// allocates no buffers once the runner has seen a graph as large.
// Inputs that do not fit the network panic, as in GCNN.Forward.
func (r *GCNNInference) ForwardTo(dst []float32, x *Bipartite) []float32 {
	be, g := r.be, r.g
	r.check(x)
	nv, nc := x.Vars.Dim(0), x.Cons.Dim(0)
	d := g.ToCons.Final.Weight.shape[0]

	v := r.vars.get(be, nv*d)
	r.mlp(v, g.VarEmb, nv, part{x.Vars.data, x.Vars.Dim(1)})
	c := r.cons.get(be, nc*d)
	r.mlp(c, g.ConsEmb, nc, part{x.Cons.data, x.Cons.Dim(1)})
	c1 := r.cons1.get(be, nc*d)
	r.conv(c1, g.ToCons, v, nv, c, nc, x.Edges, x.VarIdx, x.ConsIdx)
	v1 := r.vars1.get(be, nv*d)
	r.conv(v1, g.ToVars, c1, nc, v, nv, x.Edges, x.ConsIdx, x.VarIdx)
	out := r.out.get(be, nv)
	r.mlp(out, g.Head, nv, part{v1, d})

	if cap(dst) < nv {
		dst = make([]float32, nv)
	}
	dst = dst[:nv]
	be.Download(dst, out)
	return dst
}

// check panics, naming the mismatch, when x does not fit the network or
// lies on another backend.
func (r *GCNNInference) check(x *Bipartite) {
	g := r.g
	ne := x.Edges.Dim(0)
	for _, t := range []*Tensor{x.Vars, x.Cons, x.Edges} {
		if t.be != r.be {
			panic(fmt.Sprintf("nn: GCNN inference: input on backend %s, network on %s", t.be.Name(), r.be.Name()))
		}
	}
	for _, ix := range []*Index{x.VarIdx, x.ConsIdx} {
		if ix.be != r.be {
			panic(fmt.Sprintf("nn: GCNN inference: index on backend %s, network on %s", ix.be.Name(), r.be.Name()))
		}
	}
	mustShape("GCNN inference", x.Vars.Rank() == 2 && x.Cons.Rank() == 2 && x.Edges.Rank() == 2 &&
		x.Vars.Dim(1) == g.VarEmb.Layers[0].Weight.shape[1] &&
		x.Cons.Dim(1) == g.ConsEmb.Layers[0].Weight.shape[1] &&
		x.Edges.Dim(1) == g.ToCons.Edge.Weight.shape[1] && x.Edges.Dim(1) == g.ToVars.Edge.Weight.shape[1] &&
		x.VarIdx.Len() == ne && x.ConsIdx.Len() == ne,
		x.Vars, x.Cons, x.Edges, g.VarEmb.Layers[0].Weight, g.ConsEmb.Layers[0].Weight, g.ToCons.Edge.Weight)
	x.VarIdx.check("GCNN inference", x.Vars.Dim(0))
	x.ConsIdx.check("GCNN inference", x.Cons.Dim(0))
}

// part is one block of columns of a layer's input: the input is the
// concatenation of its parts along the feature axis.
type part struct {
	x    Storage
	cols int
}

// conv writes c's output [nt, dim] into y for source embeddings s [ns, dim]
// and target embeddings t [nt, dim], following BipartiteConv.Forward.
func (r *GCNNInference) conv(y Storage, c *BipartiteConv, s Storage, ns int, t Storage, nt int, e *Tensor, src, dst *Index) {
	be := r.be
	d := c.Final.Weight.shape[0]
	ne, fe := e.Dim(0), e.Dim(1)

	tt := r.tgt.get(be, nt*d)
	r.dense(tt, c.Target, nt, ActNone, part{t, d})
	ss := r.src.get(be, ns*d)
	r.dense(ss, c.Source, ns, ActNone, part{s, d})
	sum := r.sum.get(be, nt*d) // Σ_k ReLU(t[dst_k] + s[src_k] + e_k·Weᵀ) per target
	be.Fill(sum, 0, nt*d, 0)
	if em, ok := be.(EdgeMessenger); !ok || !em.EdgeMessages(nil, sum, tt, ss, e.data, c.Edge.Weight.data, dst.data, src.data, ne, d, fe) {
		pre := r.edges.get(be, ne*d) // the messages, summed next
		messages(be, &r.gemm, pre, tt, ss, e.data, c.Edge.Weight.data, dst, src, ne, d, fe)
		be.ScatterAdd(sum, pre, dst.data, ne, d)
	}
	var deg Storage
	if c.Final.Bias != nil {
		deg = r.deg.get(be, nt)
		degrees(be, deg, r.ones.get(be, ne), dst, nt)
	}
	agg := tt // the Target term is spent
	linearSum(be, &r.gemm, agg, sum, c.Final.Weight.data, biasData(c.Final.Bias), deg, nt, d, d)

	n := c.Norm // LayerNorm, into sum
	be.Normalize(sum, r.rstd.get(be, nt), agg, nt, d, n.Eps)
	r.rows(BinMul, sum, n.Weight.data, nt, d)
	r.rows(BinAdd, sum, n.Bias.data, nt, d)
	r.mlp(y, c.Output, nt, part{sum, d}, part{t, d})
}

// mlp writes m applied to the rows of the concatenated parts into y.
func (r *GCNNInference) mlp(y Storage, m *MLP, rows int, in ...part) {
	bufs := [2]*scratch{&r.hid, &r.hid2}
	var prev Storage
	for i, l := range m.Layers {
		out, act, dst := l.Weight.shape[0], m.Config.Hidden, y
		if i == len(m.Layers)-1 {
			act = m.Config.Output
		} else {
			dst = bufs[i%2].get(r.be, rows*out)
		}
		if i == 0 {
			r.dense(dst, l, rows, act, in...)
		} else {
			r.dense(dst, l, rows, act, part{prev, l.Weight.shape[1]})
		}
		prev = dst
	}
}

// dense writes act(x·Wᵀ + b) into y for x the concatenated parts (rows
// each), one product per part against its block of W's columns.
func (r *GCNNInference) dense(y Storage, l *Linear, rows int, act Activation, in ...part) {
	be := r.be
	out, cols := l.Weight.shape[0], l.Weight.shape[1]
	n := 0
	for _, p := range in {
		n += p.cols
	}
	if n != cols {
		panic(fmt.Sprintf("nn: GCNN inference: %d input columns for a layer of %d", n, cols))
	}
	off := 0
	for i, p := range in {
		beta := float32(1)
		if i == 0 {
			beta = 0
		}
		r.gemm = Gemm{TransB: true, M: rows, N: out, K: p.cols, Alpha: 1, Beta: beta, A: p.x, LdA: p.cols, B: l.Weight.data, OffB: off, LdB: cols, C: y, LdC: out, Batch: 1}
		be.Gemm(&r.gemm)
		off += p.cols
	}
	if l.Bias != nil {
		r.rows(BinAdd, y, l.Bias.data, rows, out)
	}
	switch act {
	case ActReLU:
		be.Map(MapReLU, y, y, rows*out, 0, 0)
	case ActTanh:
		be.Map(MapTanh, y, y, rows*out, 0, 0)
	case ActSigmoid:
		be.Map(MapSigmoid, y, y, rows*out, 0, 0)
	case ActNone, "":
	default:
		panic("nn: unknown activation " + string(act))
	}
}

// rows applies y[i, :] = y[i, :] op v to each of the rows of y [rows, cols].
func (r *GCNNInference) rows(op BinaryOp, y, v Storage, rows, cols int) {
	r.bc = Broadcast{Shape: [MaxDims]int{1, 1, rows, cols}, A: [MaxDims]int{0, 0, cols, 1}, B: [MaxDims]int{0, 0, 0, 1}}
	r.be.Binary(op, y, y, v, &r.bc)
}
