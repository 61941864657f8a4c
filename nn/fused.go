package nn

// Fused operations: each is one node of the tape built from several
// kernels that work in place on the node's own buffers, saving the
// intermediate tensors and passes over memory that composing the public
// operations would cost. Their gradients are checked like any other
// operation's (nn/backendtest: Linear, BipartiteConv, GCNN).

// linear returns x·Wᵀ + bias for x [m, in], W [out, in], bias [out] or nil.
func linear(x, w, bias *Tensor) *Tensor {
	mustShape("Linear", x.Rank() == 2 && w.Rank() == 2 && w.shape[1] == x.shape[1], x, w)
	return batchMatMul(x, w, false, true, 1, bias)
}

// edgeMessages returns ReLU(t[dst] + s[src] + e·Weᵀ) for node terms
// t [nt, d] and s [ns, d], edges e [ne, fe] from src to dst, We [d, fe]:
// the per-edge pre-activation of a bipartite convolution.
func edgeMessages(t, s *Tensor, dst, src *Index, e, we *Tensor) *Tensor {
	be := sameBackend(t, s, e, we)
	ne, fe, d := e.shape[0], e.shape[1], t.shape[1]
	mustShape("edge messages", s.shape[1] == d && we.shape[0] == d && we.shape[1] == fe && dst.Len() == ne && src.Len() == ne, t, s, e, we)
	dst.check("edge messages", t.shape[0])
	src.check("edge messages", s.shape[0])
	out := result(be, []int{ne, d}, func(out *Tensor) {
		g := be.Alloc(ne * d) // gradient before the ReLU
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
	be.Gather(out.data, t.data, dst.data, ne, d, false)
	be.Gather(out.data, s.data, src.data, ne, d, true)
	be.Gemm(&Gemm{TransB: true, M: ne, N: d, K: fe, Alpha: 1, Beta: 1, A: e.data, LdA: fe, B: we.data, LdB: fe, C: out.data, LdC: d, Batch: 1})
	be.Map(MapReLU, out.data, out.data, ne*d, 0, 0)
	return out
}
