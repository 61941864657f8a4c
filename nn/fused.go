package nn

// Fused operations: each is one node of the tape built from several
// kernels that work in place on the node's own buffers, saving the
// intermediate tensors and passes over memory that composing the public
// operations would cost. Their gradients are checked like any other
// operation's (nn/backendtest: Linear, BipartiteConv, BipartiteConvIsolated,
// GCNN).

// linear returns act(x·Wᵀ + bias) for x [m, in], W [out, in], bias [out]
// or nil, and act one of MapReLU, MapTanh, MapSigmoid or noAct: the
// activation is applied in place and its derivative taken from the
// output, so a hidden layer keeps one buffer instead of two.
func linear(x, w, bias *Tensor, act MapOp) *Tensor {
	mustShape("Linear", x.Rank() == 2 && w.Rank() == 2 && w.shape[1] == x.shape[1], x, w)
	return batchMatMul(x, w, false, true, 1, bias, act)
}

// layerNorm returns Normalize(x)·w + b over the last axis as one node: it
// keeps the normalised values and the per-row scale for the gradient, and
// writes the output in place, where the composition of Normalize, Mul and
// Add keeps three tensors and allocates three gradients.
func layerNorm(x, w, b *Tensor, eps float32) *Tensor {
	be := sameBackend(x, w, b)
	rows, cols := rowsCols(x)
	mustShape("LayerNorm", w.Len() == cols && b.Len() == cols, x, w, b)
	xhat, rstd := allocRaw(be, x.Len()), allocRaw(be, rows)
	bc := &Broadcast{Shape: [MaxDims]int{1, 1, rows, cols}, A: [MaxDims]int{0, 0, cols, 1}, B: [MaxDims]int{0, 0, 0, 1}}
	out := resultRaw(be, x.shape, func(out *Tensor) {
		dy := out.grad.data
		tmp := allocRaw(be, x.Len())
		defer recycle(be, tmp)
		reduce := &Broadcast{Shape: bc.Shape, A: bc.B}
		if w.requiresGrad { // dw = column sums of dy·x̂
			be.Binary(BinMul, tmp, dy, xhat, &Broadcast{Shape: bc.Shape, A: bc.A, B: bc.A})
			be.ReduceTo(w.gradBuf().data, tmp, reduce, 1)
		}
		if b.requiresGrad { // db = column sums of dy
			be.ReduceTo(b.gradBuf().data, dy, reduce, 1)
		}
		if x.requiresGrad { // dx̂ = dy·w, then through the normalisation
			be.Binary(BinMul, tmp, dy, w.data, bc)
			be.NormalizeGrad(x.gradBuf().data, xhat, rstd, tmp, rows, cols)
		}
	}, x, w, b)
	out.keep(xhat, rstd)
	be.Normalize(xhat, rstd, x.data, rows, cols, eps)
	be.Binary(BinMul, out.data, xhat, w.data, bc)
	be.Binary(BinAdd, out.data, out.data, b.data, bc)
	return out
}

// edgeMessages returns ReLU(t[dst] + s[src] + e·Weᵀ) for node terms
// t [nt, d] and s [ns, d], edges e [ne, fe] from src to dst, We [d, fe]:
// the per-edge pre-activation of a bipartite convolution.
func edgeMessages(t, s *Tensor, dst, src *Index, e, we *Tensor) *Tensor {
	be := sameBackend(t, s, e, we)
	ne, fe, d := e.shape[0], e.shape[1], t.shape[1]
	checkEdges(t, s, dst, src, e, we)
	out := resultRaw(be, []int{ne, d}, func(out *Tensor) {
		g := be.Alloc(ne * d) // gradient before the ReLU
		defer recycle(be, g)
		// ReLU's derivative tests x > 0, the same as y > 0 for its output.
		be.MapGrad(MapReLU, g, out.data, out.data, out.grad.data, ne*d, 0, 0)
		if t.requiresGrad {
			be.ScatterAdd(t.gradBuf().data, g, dst.data, ne, d)
		}
		if s.requiresGrad {
			be.ScatterAdd(s.gradBuf().data, g, src.data, ne, d)
		}
		if we.requiresGrad { // dWe = gᵀ·e
			be.Gemm(&Gemm{TransA: true, M: d, N: fe, K: ne, Alpha: 1, Beta: 1, A: g, LdA: d, B: e.data, LdB: fe, C: we.gradBuf().data, LdC: fe, Batch: 1})
		}
		if e.requiresGrad { // de = g·We
			be.Gemm(&Gemm{M: ne, N: fe, K: d, Alpha: 1, Beta: 1, A: g, LdA: d, B: we.data, LdB: fe, C: e.gradBuf().data, LdC: fe, Batch: 1})
		}
	}, t, s, e, we)
	messages(be, new(Gemm), out.data, t.data, s.data, e.data, we.data, dst, src, ne, d, fe)
	return out
}

// checkEdges panics unless t [nt, d], s [ns, d], e [ne, fe], We [d, fe]
// and the edges' endpoints fit together.
func checkEdges(t, s *Tensor, dst, src *Index, e, we *Tensor) {
	ne, fe, d := e.shape[0], e.shape[1], t.shape[1]
	mustShape("edge messages", s.shape[1] == d && we.shape[0] == d && we.shape[1] == fe && dst.Len() == ne && src.Len() == ne, t, s, e, we)
	dst.check("edge messages", t.shape[0])
	src.check("edge messages", s.shape[0])
}

// convMessages returns messageSum(edgeMessages(t, s, dst, src, e, We),
// dst, nt, W, bias) as one node, on backends with the fused message
// kernels and for edge features that need no gradient (they are data); it
// returns nil elsewhere. It never stores a message: the forward pass sums
// them per target as it computes them, and the backward pass recomputes
// each one's pre-activation for the ReLU's mask, so no edge-sized array is
// written in either direction.
func convMessages(t, s *Tensor, dst, src *Index, e, we, w, bias *Tensor) *Tensor {
	be := sameBackend(t, s, e, we, w)
	em, ok := be.(EdgeMessenger)
	if !ok || e.requiresGrad {
		return nil
	}
	checkEdges(t, s, dst, src, e, we)
	ne, fe, d, nt, out := e.shape[0], e.shape[1], t.shape[1], t.shape[0], w.shape[0]
	mustShape("message sum", w.Rank() == 2 && w.shape[1] == d, t, w)
	sum := be.Alloc(nt * d)
	if !em.EdgeMessages(nil, sum, t.data, s.data, e.data, we.data, dst.data, src.data, ne, d, fe) {
		recycle(be, sum)
		return nil
	}
	deg := degreesOf(be, dst, nt, w, bias)
	res := resultRaw(be, []int{nt, out}, func(res *Tensor) {
		dy := res.grad.data
		sumGrads(be, dy, sum, deg, w, bias, nt, d, out)
		if t.requiresGrad || s.requiresGrad || we.requiresGrad {
			dsum := allocRaw(be, nt*d) // dY·W: the gradient of each target's sum
			defer recycle(be, dsum)
			be.Gemm(&Gemm{M: nt, N: d, K: out, Alpha: 1, A: dy, LdA: out, B: w.data, LdB: d, C: dsum, LdC: d, Batch: 1})
			em.EdgeMessagesGrad(gradOf(t), gradOf(s), gradOf(we), dsum, t.data, s.data, e.data, we.data, dst.data, src.data, ne, d, fe)
		}
	}, t, s, e, we, w, bias)
	res.keep(sum)
	if deg != nil {
		res.keep(deg)
	}
	linearSum(be, new(Gemm), res.data, sum, w.data, biasData(bias), deg, nt, d, out)
	return res
}

// gradOf returns x's gradient buffer when x needs one, else nil.
func gradOf(x *Tensor) Storage {
	if !x.requiresGrad {
		return nil
	}
	return x.gradBuf().data
}

// degreesOf returns the number of edges into each of the nt targets when
// there is a bias (whose term deg_t·b they weigh), else nil.
func degreesOf(be Backend, dst *Index, nt int, w, bias *Tensor) Storage {
	if bias == nil {
		return nil
	}
	sameBackend(w, bias)
	mustShape("message sum bias", bias.Len() == w.shape[0], w, bias)
	deg := allocRaw(be, nt)
	ones := allocRaw(be, dst.Len())
	degrees(be, deg, ones, dst, nt)
	recycle(be, ones)
	return deg
}

// sumGrads adds the gradients of y = sum·Wᵀ + deg⊗b into W's and b's,
// given dY.
func sumGrads(be Backend, dy, sum, deg Storage, w, bias *Tensor, nt, d, out int) {
	if w.requiresGrad { // dW = dYᵀ·sum
		be.Gemm(&Gemm{TransA: true, M: out, N: d, K: nt, Alpha: 1, Beta: 1, A: dy, LdA: out, B: sum, LdB: d, C: w.gradBuf().data, LdC: d, Batch: 1})
	}
	if bias != nil && bias.requiresGrad { // db = degᵀ·dY
		be.Gemm(&Gemm{TransA: true, M: 1, N: out, K: nt, Alpha: 1, Beta: 1, A: deg, LdA: 1, B: dy, LdB: out, C: bias.gradBuf().data, LdC: out, Batch: 1})
	}
}

// messageSum returns Σ_{k: dst_k = t} (m_k·Wᵀ + b) for every target t in
// [0, nt), for messages m [ne, d], W [out, d] and b [out] (nil for none).
// A linear layer commutes with the sum, so it is computed as
// (Σ_k m_k)·Wᵀ + deg_t·b, deg_t the number of edges into t: one product
// per target instead of one per edge, and no [ne, out] intermediate.
func messageSum(m *Tensor, dst *Index, nt int, w, bias *Tensor) *Tensor {
	be := sameBackend(m, w)
	ne, d, out := m.shape[0], m.shape[1], w.shape[0]
	mustShape("message sum", m.Rank() == 2 && w.Rank() == 2 && w.shape[1] == d && dst.Len() == ne, m, w)
	dst.check("message sum", nt)
	deg := degreesOf(be, dst, nt, w, bias)
	sum := be.Alloc(nt * d) // Σ m_k per target, kept for W's gradient
	be.ScatterAdd(sum, m.data, dst.data, ne, d)
	res := resultRaw(be, []int{nt, out}, func(res *Tensor) {
		dy := res.grad.data
		sumGrads(be, dy, sum, deg, w, bias, nt, d, out)
		if m.requiresGrad { // dm_k = (dY·W)[dst_k]
			ds := allocRaw(be, nt*d)
			defer recycle(be, ds)
			be.Gemm(&Gemm{M: nt, N: d, K: out, Alpha: 1, A: dy, LdA: out, B: w.data, LdB: d, C: ds, LdC: d, Batch: 1})
			be.Gather(m.gradBuf().data, ds, dst.data, ne, d, true)
		}
	}, m, w, bias)
	res.keep(sum)
	if deg != nil {
		res.keep(deg)
	}
	linearSum(be, new(Gemm), res.data, sum, w.data, biasData(bias), deg, nt, d, out)
	return res
}

// linearSum writes y = sum·Wᵀ + deg⊗b for sum [nt, d], W [out, d], b [out]
// and deg [nt] (b nil for none), describing each product in g: the
// forward of messageSum, shared with inference, which passes a g it keeps.
func linearSum(be Backend, g *Gemm, y, sum, w, b, deg Storage, nt, d, out int) {
	*g = Gemm{TransB: true, M: nt, N: out, K: d, Alpha: 1, A: sum, LdA: d, B: w, LdB: d, C: y, LdC: out, Batch: 1}
	be.Gemm(g)
	if b != nil { // the rank-one product deg·bᵀ
		*g = Gemm{M: nt, N: out, K: 1, Alpha: 1, Beta: 1, A: deg, LdA: 1, B: b, LdB: out, C: y, LdC: out, Batch: 1}
		be.Gemm(g)
	}
}

// degrees writes into deg [nt] the number of edges into each target, the
// sum of ones [ne] (overwritten) by target: on the backend, so that no
// host copy waits for queued kernels.
func degrees(be Backend, deg, ones Storage, dst *Index, nt int) {
	ne := dst.Len()
	be.Fill(ones, 0, ne, 1)
	be.Fill(deg, 0, nt, 0)
	be.ScatterAdd(deg, ones, dst.data, ne, 1)
}

func biasData(b *Tensor) Storage {
	if b == nil {
		return nil
	}
	return b.data
}

// EdgeMessenger is implemented by backends with one fused kernel for a
// bipartite convolution's messages m_k = ReLU(t[dst_k] + s[src_k] +
// e_k·Weᵀ), for node terms t and s [·, d], edge features e [ne, fe] and
// We [d, fe]: the two gathers, the thin product and the ReLU in one pass
// over the edges instead of four. It writes m [ne, d] when m is not nil
// and adds each m_k into sum[dst_k] (sum [·, d]) when sum is not nil, so
// inference, which needs only the sums, never stores the messages. It
// returns false, having done nothing, for shapes it does not handle; the
// caller then runs the separate kernels.
//
// EdgeMessagesGrad is the backward pass of the per-target sums, for edge
// features that need no gradient, given dsum [·, d], the gradient of each
// target's sum: it recomputes each message's pre-activation as
// EdgeMessages does, and where it is positive passes g_k = dsum[dst_k]
// on: dt[dst_k] += g_k, ds[src_k] += g_k and dWe += gᵀ·e, each skipped
// where its storage is nil. It handles the shapes EdgeMessages handles.
type EdgeMessenger interface {
	EdgeMessages(m, sum, t, s, e, we Storage, dst, src IndexStorage, ne, d, fe int) bool
	EdgeMessagesGrad(dt, ds, dwe, dsum, t, s, e, we Storage, dst, src IndexStorage, ne, d, fe int) bool
}

// messages writes ReLU(t[dst] + s[src] + e·Weᵀ) into pre [ne, d] with the
// separate kernels (or the fused one where be has it).
func messages(be Backend, g *Gemm, pre, t, s, e, we Storage, dst, src *Index, ne, d, fe int) {
	if em, ok := be.(EdgeMessenger); ok && em.EdgeMessages(pre, nil, t, s, e, we, dst.data, src.data, ne, d, fe) {
		return
	}
	be.Gather(pre, t, dst.data, ne, d, false)
	be.Gather(pre, s, src.data, ne, d, true)
	*g = Gemm{TransB: true, M: ne, N: d, K: fe, Alpha: 1, Beta: 1, A: e, LdA: fe, B: we, LdB: fe, C: pre, LdC: d, Batch: 1}
	be.Gemm(g)
	be.Map(MapReLU, pre, pre, ne*d, 0, 0)
}
