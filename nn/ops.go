package nn

import (
	"fmt"
	"math"
	"slices"
)

// Reshape returns x with a new shape of the same size, sharing its values.
// One dimension may be -1 and is then inferred.
func Reshape(x *Tensor, shape ...int) *Tensor {
	shape = slices.Clone(shape)
	infer, known := -1, 1
	for i, d := range shape {
		if d == -1 {
			if infer >= 0 {
				panic("nn: Reshape with two -1 dimensions")
			}
			infer = i
			continue
		}
		known *= d
	}
	if infer >= 0 && known > 0 {
		shape[infer] = x.Len() / known
	}
	if numel(shape) != x.Len() {
		panic(fmt.Sprintf("nn: Reshape %v to %v", x.shape, shape))
	}
	out := &Tensor{shape: shape, data: x.data, be: x.be, scope: x.scope, view: true}
	if x.requiresGrad {
		out.requiresGrad = true
		out.inputs = []*Tensor{x}
		out.backward = func() { out.passGrad(x) } // out's gradient is final here
	}
	return out
}

// MatMul returns the matrix product a·b of a [m,k] and b [k,n].
func MatMul(a, b *Tensor) *Tensor { return MatMulT(a, b, false, false) }

// MatMulT returns op(a)·op(b) for 2-D a and b, where op transposes when
// the flag is set.
func MatMulT(a, b *Tensor, ta, tb bool) *Tensor {
	mustShape("MatMul", a.Rank() == 2 && b.Rank() == 2, a, b)
	return batchMatMul(a, b, ta, tb, 1, nil, noAct)
}

// BatchMatMul returns op(a[i])·op(b[i]) for each i of a batch of matrices
// a [batch,m,k] and b [batch,k,n] (dimensions as seen after op).
func BatchMatMul(a, b *Tensor, ta, tb bool) *Tensor {
	mustShape("BatchMatMul", a.Rank() == 3 && b.Rank() == 3 && a.shape[0] == b.shape[0], a, b)
	return batchMatMul(a, b, ta, tb, a.shape[0], nil, noAct)
}

// noAct is batchMatMul's activation for none.
const noAct = numMapOps

// batchMatMul is the product node of MatMulT, BatchMatMul and Linear.
// A bias (nil for none) of shape [n] is added to every row in place, and
// then the activation act (MapReLU, MapTanh, MapSigmoid, or noAct), so a
// dense layer is one node with one output buffer.
func batchMatMul(a, b *Tensor, ta, tb bool, batch int, bias *Tensor, act MapOp) *Tensor {
	be := sameBackend(a, b)
	ar, ac := a.Dim(-2), a.Dim(-1)
	br, bcols := b.Dim(-2), b.Dim(-1)
	m, k := ar, ac
	if ta {
		m, k = ac, ar
	}
	k2, n := br, bcols
	if tb {
		k2, n = bcols, br
	}
	mustShape("MatMul", k == k2, a, b)
	shape := []int{m, n}
	if a.Rank() == 3 {
		shape = []int{batch, m, n}
	}
	// Every row of the result, and the bias broadcast over them.
	rows := &Broadcast{Shape: [MaxDims]int{1, 1, batch * m, n}, A: [MaxDims]int{0, 0, n, 1}, B: [MaxDims]int{0, 0, 0, 1}}
	if bias != nil {
		sameBackend(a, bias)
		mustShape("MatMul bias", bias.Len() == n, b, bias)
	}
	out := resultRaw(be, shape, func(out *Tensor) {
		dc := out.grad.data
		if act != noAct { // the gradient before the activation, from its output alone
			g := be.Alloc(out.Len())
			defer recycle(be, g)
			be.MapGrad(act, g, out.data, out.data, dc, out.Len(), 0, 0)
			dc = g
		}
		if bias != nil && bias.requiresGrad { // db = column sums of dC
			be.ReduceTo(bias.gradBuf().data, dc, &Broadcast{Shape: rows.Shape, A: rows.B}, 1)
		}
		if a.requiresGrad {
			g := &Gemm{M: ar, N: ac, Alpha: 1, Beta: 1, C: a.gradBuf().data, LdC: ac,
				Batch: batch, StrideC: ar * ac}
			if !ta { // dA = dC·op(B)ᵀ
				g.K = n
				g.A, g.LdA, g.StrideA = dc, n, m*n
				g.B, g.LdB, g.StrideB, g.TransB = b.data, bcols, br*bcols, !tb
			} else { // dA = op(B)·dCᵀ
				g.K = n
				g.A, g.LdA, g.StrideA, g.TransA = b.data, bcols, br*bcols, tb
				g.B, g.LdB, g.StrideB, g.TransB = dc, n, m*n, true
			}
			be.Gemm(g)
		}
		if b.requiresGrad {
			g := &Gemm{M: br, N: bcols, K: m, Alpha: 1, Beta: 1, C: b.gradBuf().data, LdC: bcols,
				Batch: batch, StrideC: br * bcols}
			if !tb { // dB = op(A)ᵀ·dC
				g.A, g.LdA, g.StrideA, g.TransA = a.data, ac, ar*ac, !ta
				g.B, g.LdB, g.StrideB = dc, n, m*n
			} else { // dB = dCᵀ·op(A)
				g.A, g.LdA, g.StrideA, g.TransA = dc, n, m*n, true
				g.B, g.LdB, g.StrideB, g.TransB = a.data, ac, ar*ac, ta
			}
			be.Gemm(g)
		}
	}, a, b, bias)
	g := &Gemm{TransA: ta, TransB: tb, M: m, N: n, K: k, Alpha: 1,
		A: a.data, LdA: ac, StrideA: ar * ac,
		B: b.data, LdB: bcols, StrideB: br * bcols,
		C: out.data, LdC: n, StrideC: m * n, Batch: batch}
	if bias != nil {
		// The bias goes in first, copied into every row (source stride 0),
		// and the product adds onto it (beta 1), as addmm does: one write
		// pass, where a product into zeros and then an addition make a
		// zeroing pass and a read-and-write pass.
		be.Copy2D(out.data, 0, n, bias.data, 0, 0, batch*m, n, false)
		g.Beta = 1
	}
	be.Gemm(g)
	if act != noAct {
		be.Map(act, out.data, out.data, out.Len(), 0, 0)
	}
	return out
}

// broadcast computes the output shape of a and b under NumPy's rules and
// the kernel description; it panics when they do not broadcast.
func broadcast(op string, a, b *Tensor) ([]int, *Broadcast) {
	r := max(a.Rank(), b.Rank())
	if r > MaxDims {
		panic(fmt.Sprintf("nn: %s: rank %d above %d", op, r, MaxDims))
	}
	shape := make([]int, r)
	var bc Broadcast
	pa, pb := pad(a.shape), pad(b.shape)
	sa, sb := contiguous(pa), contiguous(pb)
	for i := range MaxDims {
		da, db := pa[i], pb[i]
		d := max(da, db)
		if (da != d && da != 1) || (db != d && db != 1) {
			mustShape(op, false, a, b)
		}
		bc.Shape[i] = d
		if da == d {
			bc.A[i] = sa[i]
		}
		if db == d {
			bc.B[i] = sb[i]
		}
		if d == 1 {
			bc.A[i], bc.B[i] = 0, 0
		}
		if i >= MaxDims-r {
			shape[i-(MaxDims-r)] = d
		}
	}
	return shape, &bc
}

func pad(shape []int) [MaxDims]int {
	var p [MaxDims]int
	for i := range p {
		p[i] = 1
	}
	copy(p[MaxDims-len(shape):], shape)
	return p
}

func binaryOp(op BinaryOp, name string, a, b *Tensor) *Tensor {
	be := sameBackend(a, b)
	shape, bc := broadcast(name, a, b)
	full := dense(bc.Shape)
	// reduce adds alpha·src (full shape) into x's gradient.
	reduce := func(x *Tensor, strides [MaxDims]int, src Storage, alpha float32) {
		if x.Len() == bc.Size() && strides == full {
			be.Axpy(x.gradBuf().data, alpha, src, x.Len())
			return
		}
		be.ReduceTo(x.gradBuf().data, src, &Broadcast{Shape: bc.Shape, A: strides}, alpha)
	}
	out := resultRaw(be, shape, func(out *Tensor) {
		dy := out.grad.data
		// times is dy (full shape) against an input read with strides st.
		times := func(st [MaxDims]int) *Broadcast { return &Broadcast{Shape: bc.Shape, A: full, B: st} }
		switch op {
		case BinAdd, BinSub:
			if a.requiresGrad && a.Len() == bc.Size() && bc.A == full {
				// out's gradient is final and only read from here on: a
				// may take it as its own (b's reduction only reads it).
				out.passGrad(a)
			} else if a.requiresGrad {
				reduce(a, bc.A, dy, 1)
			}
			if b.requiresGrad {
				alpha := float32(1)
				if op == BinSub {
					alpha = -1
				}
				reduce(b, bc.B, dy, alpha)
			}
		case BinMul:
			tmp := allocRaw(be, bc.Size())
			defer recycle(be, tmp)
			if a.requiresGrad {
				be.Binary(BinMul, tmp, dy, b.data, times(bc.B))
				reduce(a, bc.A, tmp, 1)
			}
			if b.requiresGrad {
				be.Binary(BinMul, tmp, dy, a.data, times(bc.A))
				reduce(b, bc.B, tmp, 1)
			}
		case BinDiv:
			tmp := allocRaw(be, bc.Size())
			defer recycle(be, tmp)
			if a.requiresGrad { // d/da (a/b) = 1/b
				be.Binary(BinDiv, tmp, dy, b.data, times(bc.B))
				reduce(a, bc.A, tmp, 1)
			}
			if b.requiresGrad { // d/db (a/b) = −y/b
				be.Binary(BinMul, tmp, dy, out.data, times(full))
				be.Binary(BinDiv, tmp, tmp, b.data, times(bc.B))
				reduce(b, bc.B, tmp, -1)
			}
		}
	}, a, b)
	be.Binary(op, out.data, a.data, b.data, bc)
	return out
}

// Add returns a + b with broadcasting.
func Add(a, b *Tensor) *Tensor { return binaryOp(BinAdd, "Add", a, b) }

// Sub returns a − b with broadcasting.
func Sub(a, b *Tensor) *Tensor { return binaryOp(BinSub, "Sub", a, b) }

// Mul returns a·b elementwise with broadcasting.
func Mul(a, b *Tensor) *Tensor { return binaryOp(BinMul, "Mul", a, b) }

// Div returns a/b elementwise with broadcasting.
func Div(a, b *Tensor) *Tensor { return binaryOp(BinDiv, "Div", a, b) }

func mapOp(op MapOp, x *Tensor, p, q float32) *Tensor {
	be := x.be
	out := resultRaw(be, x.shape, func(out *Tensor) {
		be.MapGrad(op, x.gradBuf().data, x.data, out.data, out.grad.data, x.Len(), p, q)
	}, x)
	be.Map(op, out.data, x.data, x.Len(), p, q)
	return out
}

// ReLU returns max(x, 0).
func ReLU(x *Tensor) *Tensor { return mapOp(MapReLU, x, 0, 0) }

// Tanh returns tanh(x).
func Tanh(x *Tensor) *Tensor { return mapOp(MapTanh, x, 0, 0) }

// Sigmoid returns 1/(1+exp(−x)).
func Sigmoid(x *Tensor) *Tensor { return mapOp(MapSigmoid, x, 0, 0) }

// Exp returns exp(x).
func Exp(x *Tensor) *Tensor { return mapOp(MapExp, x, 0, 0) }

// Log returns the natural logarithm.
func Log(x *Tensor) *Tensor { return mapOp(MapLog, x, 0, 0) }

// Log1p returns log(1+x).
func Log1p(x *Tensor) *Tensor { return mapOp(MapLog1p, x, 0, 0) }

// Square returns x².
func Square(x *Tensor) *Tensor { return mapOp(MapSquare, x, 0, 0) }

// Sqrt returns √x.
func Sqrt(x *Tensor) *Tensor { return mapOp(MapSqrt, x, 0, 0) }

// Abs returns |x|.
func Abs(x *Tensor) *Tensor { return mapOp(MapAbs, x, 0, 0) }

// Scale returns s·x.
func Scale(x *Tensor, s float32) *Tensor { return mapOp(MapScale, x, s, 0) }

// Affine returns s·x + c.
func Affine(x *Tensor, s, c float32) *Tensor { return mapOp(MapScale, x, s, c) }

// Clamp returns x limited to [lo, hi]; the gradient is 0 outside.
func Clamp(x *Tensor, lo, hi float32) *Tensor { return mapOp(MapClamp, x, lo, hi) }

// HuberElem returns the elementwise Huber function with threshold delta:
// ½x² where |x| ≤ delta, delta(|x| − ½delta) elsewhere.
func HuberElem(x *Tensor, delta float32) *Tensor { return mapOp(MapHuber, x, delta, 0) }

// ValueTransform returns MuZero's h(x) = sign(x)(√(|x|+1) − 1) + eps·x,
// which compresses value targets before the categorical encoding.
func ValueTransform(x *Tensor, eps float32) *Tensor { return mapOp(MapValue, x, eps, 0) }

// InverseValueTransform returns h⁻¹(x) for the same eps.
func InverseValueTransform(x *Tensor, eps float32) *Tensor {
	return mapOp(MapValueInv, x, eps, 0)
}

// sumTo is the node of Sum and SumAxis: the elements of x (viewed with
// padded shape full) summed into a tensor of the given shape, whose
// strides in full's dimensions are st (0 where summed).
func sumTo(x *Tensor, shape []int, full, st [MaxDims]int) *Tensor {
	be := x.be
	out := result(be, shape, func(out *Tensor) {
		// dx += dy broadcast back; adding in place is safe because each
		// element reads and writes only itself.
		g := x.gradBuf().data
		be.Binary(BinAdd, g, g, out.grad.data, &Broadcast{Shape: full, A: dense(full), B: st})
	}, x)
	be.ReduceTo(out.data, x.data, &Broadcast{Shape: full, A: st}, 1)
	return out
}

// Sum returns the sum of all elements, shape [1].
func Sum(x *Tensor) *Tensor {
	return sumTo(x, []int{1}, [MaxDims]int{1, 1, 1, x.Len()}, [MaxDims]int{})
}

// Mean returns the mean of all elements, shape [1].
func Mean(x *Tensor) *Tensor { return Scale(Sum(x), 1/float32(x.Len())) }

// SumAxis sums over one axis (negative counts from the end), removing it.
func SumAxis(x *Tensor, axis int) *Tensor {
	if axis < 0 {
		axis += x.Rank()
	}
	if axis < 0 || axis >= x.Rank() || x.Rank() > MaxDims {
		panic(fmt.Sprintf("nn: SumAxis %d of shape %v", axis, x.shape))
	}
	keep := slices.Clone(x.shape)
	keep[axis] = 1
	st := dense(pad(keep))
	st[MaxDims-x.Rank()+axis] = 0
	return sumTo(x, slices.Delete(slices.Clone(x.shape), axis, axis+1), pad(x.shape), st)
}

// MeanAxis averages over one axis, removing it.
func MeanAxis(x *Tensor, axis int) *Tensor {
	if axis < 0 {
		axis += x.Rank()
	}
	return Scale(SumAxis(x, axis), 1/float32(x.shape[axis]))
}

// rowsCols views x as rows of its last dimension.
func rowsCols(x *Tensor) (rows, cols int) {
	cols = x.Dim(-1)
	if cols == 0 {
		return 0, 0
	}
	return x.Len() / cols, cols
}

func softmax(x, mask *Tensor, log bool) *Tensor {
	be := x.be
	rows, cols := rowsCols(x)
	var ms Storage
	maskRows := 1
	if mask != nil {
		sameBackend(x, mask)
		mustShape("Softmax mask", mask.Dim(-1) == cols && mask.Len() > 0 && rows%(mask.Len()/cols) == 0, x, mask)
		ms, maskRows = mask.data, mask.Len()/cols
	}
	out := resultRaw(be, x.shape, func(out *Tensor) {
		be.SoftmaxGrad(x.gradBuf().data, out.data, out.grad.data, ms, rows, cols, maskRows, log)
	}, x)
	be.Softmax(out.data, x.data, ms, rows, cols, maskRows, log)
	return out
}

// Softmax returns the softmax over the last axis. Where mask (shape
// [..., cols] whose rows repeat over x's rows; nil for none) is 0 the
// output is 0 and the entry takes no part; a row masked entirely is all 0.
func Softmax(x, mask *Tensor) *Tensor { return softmax(x, mask, false) }

// LogSoftmax returns the log-softmax over the last axis with the same mask
// rule as Softmax: masked entries are 0 (not −∞) and get no gradient.
func LogSoftmax(x, mask *Tensor) *Tensor { return softmax(x, mask, true) }

// Normalize standardises the last axis to mean 0 and variance 1
// ((x − mean)/√(var + eps)), the core of layer normalisation.
func Normalize(x *Tensor, eps float32) *Tensor {
	be := x.be
	rows, cols := rowsCols(x)
	rstd := allocRaw(be, rows)
	out := resultRaw(be, x.shape, func(out *Tensor) {
		be.NormalizeGrad(x.gradBuf().data, out.data, rstd, out.grad.data, rows, cols)
	}, x)
	out.keep(rstd)
	be.Normalize(out.data, rstd, x.data, rows, cols, eps)
	return out
}

// Index is a vector of row indices on a backend, for Gather, ScatterAdd
// and Embedding.
type Index struct {
	data   IndexStorage
	host   []int32
	be     Backend
	lo, hi int32 // smallest and largest index, so that check is O(1)
}

// NewIndex stores idx on backend b.
func NewIndex(b Backend, idx []int32) *Index {
	ix := &Index{data: b.Index(idx), host: slices.Clone(idx), be: b}
	if len(idx) > 0 {
		ix.lo, ix.hi = slices.Min(idx), slices.Max(idx)
	}
	return ix
}

// Len is the number of indices.
func (ix *Index) Len() int { return len(ix.host) }

// Values returns a copy of the indices.
func (ix *Index) Values() []int32 { return slices.Clone(ix.host) }

// check panics, naming the first index outside [0, n), if there is one.
// Operations call it on every use; the bounds make that constant time.
func (ix *Index) check(op string, n int) {
	if len(ix.host) == 0 || (ix.lo >= 0 && int(ix.hi) < n) {
		return
	}
	for i, k := range ix.host {
		if k < 0 || int(k) >= n {
			panic(fmt.Sprintf("nn: %s: index %d is %d, outside [0,%d)", op, i, k, n))
		}
	}
}

// Gather returns the rows idx of x: out[i,...] = x[idx[i],...]. Its
// gradient scatters back, adding where an index repeats.
func Gather(x *Tensor, idx *Index) *Tensor {
	be := x.be
	if idx.be != be {
		panic("nn: Gather: index on another backend")
	}
	idx.check("Gather", x.shape[0])
	cols := x.Len() / max(x.shape[0], 1)
	shape := slices.Clone(x.shape)
	shape[0] = idx.Len()
	out := resultRaw(be, shape, func(out *Tensor) {
		be.ScatterAdd(x.gradBuf().data, out.grad.data, idx.data, idx.Len(), cols)
	}, x)
	be.Gather(out.data, x.data, idx.data, idx.Len(), cols, false)
	return out
}

// ScatterAdd returns a tensor of n rows where row k is the sum of the rows
// i of x with idx[i] = k (a segment sum: message aggregation on a graph).
func ScatterAdd(x *Tensor, idx *Index, n int) *Tensor {
	be := x.be
	if idx.be != be {
		panic("nn: ScatterAdd: index on another backend")
	}
	mustShape("ScatterAdd", x.shape[0] == idx.Len(), x)
	idx.check("ScatterAdd", n)
	cols := x.Len() / max(x.shape[0], 1)
	shape := slices.Clone(x.shape)
	shape[0] = n
	out := result(be, shape, func(out *Tensor) {
		be.Gather(x.gradBuf().data, out.grad.data, idx.data, idx.Len(), cols, true)
	}, x)
	be.ScatterAdd(out.data, x.data, idx.data, idx.Len(), cols)
	return out
}

// Concat joins tensors along axis; the other dimensions must agree.
func Concat(axis int, ts ...*Tensor) *Tensor {
	be := sameBackend(ts...)
	r := ts[0].Rank()
	if axis < 0 {
		axis += r
	}
	shape := slices.Clone(ts[0].shape)
	shape[axis] = 0
	for _, t := range ts {
		ok := t.Rank() == r
		for i := 0; ok && i < r; i++ {
			ok = i == axis || t.shape[i] == ts[0].shape[i]
		}
		mustShape("Concat", ok, ts...)
		shape[axis] += t.shape[axis]
	}
	outer := numel(shape[:axis])
	ld := numel(shape[axis:])
	out := resultRaw(be, shape, func(out *Tensor) {
		off := 0
		for _, t := range ts {
			cols := numel(t.shape[axis:])
			if t.requiresGrad {
				be.Copy2D(t.gradBuf().data, 0, cols, out.grad.data, off, ld, outer, cols, true)
			}
			off += cols
		}
	}, ts...)
	off := 0
	for _, t := range ts {
		cols := numel(t.shape[axis:])
		be.Copy2D(out.data, off, ld, t.data, 0, cols, outer, cols, false)
		off += cols
	}
	return out
}

// Slice returns the part of x with index in [from, to) along axis (a copy).
func Slice(x *Tensor, axis, from, to int) *Tensor {
	be := x.be
	if axis < 0 {
		axis += x.Rank()
	}
	if from < 0 || to > x.shape[axis] || from > to {
		panic(fmt.Sprintf("nn: Slice [%d,%d) of axis %d of shape %v", from, to, axis, x.shape))
	}
	shape := slices.Clone(x.shape)
	shape[axis] = to - from
	outer := numel(shape[:axis])
	inner := numel(x.shape[axis+1:])
	ld, cols, off := numel(x.shape[axis:]), (to-from)*inner, from*inner
	out := resultRaw(be, shape, func(out *Tensor) {
		be.Copy2D(x.gradBuf().data, off, ld, out.grad.data, 0, cols, outer, cols, true)
	}, x)
	be.Copy2D(out.data, 0, cols, x.data, off, ld, outer, cols, false)
	return out
}

// Transpose returns the transpose of a 2-D tensor (a copy). Inside a
// product, MatMulT's and BatchMatMul's flags transpose without one.
func Transpose(x *Tensor) *Tensor {
	mustShape("Transpose", x.Rank() == 2, x)
	be := x.be
	r, c := x.shape[0], x.shape[1]
	out := resultRaw(be, []int{c, r}, func(out *Tensor) {
		be.Transpose(x.gradBuf().data, out.grad.data, c, r, true)
	}, x)
	be.Transpose(out.data, x.data, r, c, false)
	return out
}

// Eye returns the n×n identity matrix.
func Eye(b Backend, n int) *Tensor {
	t := New(b, n, n)
	for i := range n {
		b.Fill(t.data, i*n+i, 1, 1)
	}
	return t
}

// constant returns a tensor with no gradient holding f(i) at index i.
func constant(b Backend, shape []int, f func(i int) float64) *Tensor {
	v := make([]float32, numel(shape))
	for i := range v {
		v[i] = float32(f(i))
	}
	return From(b, v, shape...)
}

// SinusoidalPositions returns the [n, dim] positional encoding of
// "Attention is all you need": sin(p/10000^(2i/dim)) in even columns and
// the matching cos in odd ones.
func SinusoidalPositions(b Backend, n, dim int) *Tensor {
	return constant(b, []int{n, dim}, func(k int) float64 {
		p, j := k/dim, k%dim
		f := float64(p) / math.Pow(10000, float64(j-j%2)/float64(dim))
		if j%2 == 0 {
			return math.Sin(f)
		}
		return math.Cos(f)
	})
}
