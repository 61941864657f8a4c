package nn

import (
	"fmt"
	"math"
	"runtime"
	"sync"
	"unsafe"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

type float interface{ ~float32 | ~float64 }

// cpuBackend runs kernels on the host in T precision: float32 is the
// production backend, float64 the reference the gradient checks use.
type cpuBackend[T float] struct {
	name string
	blas *openBLAS // float32 products run on OpenBLAS when set, else on gonum
	pool storePool[T]
}

type cpuStore[T float] struct {
	v      []T
	inPool bool // held by the pool (a second Recycle is ignored)
}

func (s *cpuStore[T]) Len() int { return len(s.v) }

type cpuIndex struct{ v []int32 }

func (s *cpuIndex) Len() int { return len(s.v) }

var (
	cpu32 *cpuBackend[float32] // chosen by chooseCPU
	cpu64 = &cpuBackend[float64]{name: "cpu64"}
)

// CPU returns the float32 backend, using every core GOMAXPROCS allows for
// large kernels. Its matrix products run on OpenBLAS when the library
// loads and on gonum's pure-Go GEMM otherwise (with a log line saying
// so); CORL_NN_BLAS forces one (see EnvBLAS and CPUBLAS).
func CPU() Backend {
	chooseCPU()
	return cpu32
}

// CPU64 returns the float64 CPU backend. Tensors on it still exchange
// float32 values through Upload/Download, but every kernel computes and
// stores in float64; it is the reference for gradient checks (see Precise).
func CPU64() Backend { return cpu64 }

var (
	_ Backend  = (*cpuBackend[float32])(nil)
	_ Precise  = (*cpuBackend[float64])(nil)
	_ Recycler = (*cpuBackend[float32])(nil)
)

func vals[T float](s Storage) []T { return s.(*cpuStore[T]).v }

func (c *cpuBackend[T]) Name() string { return c.name }

// maxHostBytes is the user address space of 64-bit Linux, macOS and
// Windows (47 bits); no allocation beyond it can succeed.
const maxHostBytes = 1 << 47

// Alloc returns n zeroed elements. A request no address space can hold
// raises an *AllocError (see Guard); running out of memory below that
// size ends the process, as any Go allocation does.
func (c *cpuBackend[T]) Alloc(n int) Storage {
	c.checkAlloc(n)
	if s := c.pool.get(n); s != nil {
		clear(s.v)
		return s
	}
	return c.pool.fresh(n)
}

// checkAlloc raises the AllocError of a request no address space holds.
func (c *cpuBackend[T]) checkAlloc(n int) {
	if n < 0 || uint64(n) > maxHostBytes/uint64(unsafe.Sizeof(T(0))) {
		panic(&AllocError{Backend: c.name, Elems: n, Err: fmt.Errorf("%d elements exceed the address space", n)})
	}
}

// AllocRaw returns n elements, a released storage of that length when the
// pool holds one (its old values left in place), else fresh zeroed ones.
func (c *cpuBackend[T]) AllocRaw(n int) Storage {
	c.checkAlloc(n)
	if s := c.pool.get(n); s != nil {
		return s
	}
	return c.pool.fresh(n)
}

// Recycle puts s in the pool (storages of other backends are ignored).
func (c *cpuBackend[T]) Recycle(s Storage) {
	if cs, ok := s.(*cpuStore[T]); ok {
		c.pool.put(cs)
	}
}

// convert copies src into dst element by element, converting the type.
func convert[D, S float](dst []D, src []S) {
	for i, x := range src {
		dst[i] = D(x)
	}
}

func (c *cpuBackend[T]) Upload(s Storage, src []float32) { convert(vals[T](s), src) }

func (c *cpuBackend[T]) Download(dst []float32, s Storage) { convert(dst, vals[T](s)[:len(dst)]) }

func (c *cpuBackend[T]) Upload64(s Storage, src []float64) { convert(vals[T](s), src) }

func (c *cpuBackend[T]) Download64(dst []float64, s Storage) { convert(dst, vals[T](s)[:len(dst)]) }

func (c *cpuBackend[T]) Index(idx []int32) IndexStorage {
	return &cpuIndex{v: append([]int32(nil), idx...)}
}

// parallelMin is the work (in elements) below which kernels stay on one core.
const parallelMin = 1 << 15

// simdParallelMin is parallelMin for the SIMD kernels of simd.go, which
// take a fraction of a nanosecond per element: below it, waking a second
// goroutine costs more than it saves, and right after a threaded matrix
// product it waits for the core an OpenMP worker is still spinning on.
const simdParallelMin = 1 << 20

// parallelForSIMD is parallelFor with simdParallelMin as its threshold.
func parallelForSIMD(n, work int, fn func(lo, hi int)) {
	if work < simdParallelMin {
		fn(0, n)
		return
	}
	parallelFor(n, work, fn)
}

// parallelFor splits [0, n) into contiguous chunks run on up to GOMAXPROCS
// goroutines when work (the number of elements touched) pays for it.
func parallelFor(n, work int, fn func(lo, hi int)) {
	p := runtime.GOMAXPROCS(0)
	if p > n {
		p = n
	}
	if p <= 1 || work < parallelMin {
		fn(0, n)
		return
	}
	// The caller computes the first chunk itself: one goroutine fewer to
	// start, and it blocks only if a helper is still running after it.
	var wg sync.WaitGroup
	chunk := (n + p - 1) / p
	for lo := chunk; lo < n; lo += chunk {
		hi := min(lo+chunk, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(lo, hi)
		}()
	}
	fn(0, min(chunk, n))
	wg.Wait()
}

func (c *cpuBackend[T]) Fill(s Storage, off, n int, v float32) {
	d := vals[T](s)[off : off+n]
	if math.Float32bits(v) == 0 { // +0 only: clearing would turn −0 into +0
		clear(d)
		return
	}
	for i := range d {
		d[i] = T(v)
	}
}

func (c *cpuBackend[T]) Axpy(y Storage, alpha float32, x Storage, n int) {
	yv, xv := vals[T](y)[:n], vals[T](x)[:n]
	a := T(alpha)
	if y32, ok := any(yv).([]float32); ok {
		x32 := any(xv).([]float32)
		parallelForSIMD(n, n, func(lo, hi int) { axpyF32(y32[lo:hi], alpha, x32[lo:hi]) })
		return
	}
	parallelFor(n, n, func(lo, hi int) {
		if a == 1 {
			for i := lo; i < hi; i++ {
				yv[i] += xv[i]
			}
			return
		}
		for i := lo; i < hi; i++ {
			yv[i] += a * xv[i]
		}
	})
}

func (c *cpuBackend[T]) Copy2D(dst Storage, dOff, dLd int, src Storage, sOff, sLd, rows, cols int, add bool) {
	d, s := vals[T](dst), vals[T](src)
	// Row copies are memmove and row additions the SIMD axpy for float32:
	// both take the SIMD kernels' threshold.
	parallelForSIMD(rows, rows*cols, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			dr := d[dOff+r*dLd : dOff+r*dLd+cols]
			sr := s[sOff+r*sLd : sOff+r*sLd+cols]
			if d32, ok := any(dr).([]float32); ok && add {
				axpyF32(d32, 1, any(sr).([]float32))
			} else if add {
				for i, x := range sr {
					dr[i] += x
				}
			} else {
				copy(dr, sr)
			}
		}
	})
}

func (c *cpuBackend[T]) Transpose(dst, src Storage, rows, cols int, add bool) {
	d, sv := vals[T](dst), vals[T](src)
	const tile = 32 // blocks keep both sides in cache
	parallelFor((rows+tile-1)/tile, rows*cols, func(lo, hi int) {
		for r0 := lo * tile; r0 < min(hi*tile, rows); r0 += tile {
			for c0 := 0; c0 < cols; c0 += tile {
				for r := r0; r < min(r0+tile, rows); r++ {
					for k := c0; k < min(c0+tile, cols); k++ {
						if add {
							d[k*rows+r] += sv[r*cols+k]
						} else {
							d[k*rows+r] = sv[r*cols+k]
						}
					}
				}
			}
		}
	})
}

func trans(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}

func (c *cpuBackend[T]) Gemm(g *Gemm) {
	if g.M == 0 || g.N == 0 {
		return
	}
	batch := max(g.Batch, 1)
	if batch == 1 && (c.thinK(g) || c.blas == nil && c.splitK(g)) {
		return
	}
	// gonum parallelises one large product itself; many small ones of a
	// batch run side by side instead.
	if batch > 1 && g.M*g.N*g.K < 1<<18 {
		parallelFor(batch, batch*g.M*g.N*max(g.K, 1), func(lo, hi int) {
			for i := lo; i < hi; i++ {
				c.gemmBatch(g, i)
			}
		})
		return
	}
	for i := range batch {
		c.gemmBatch(g, i)
	}
}

// gemmBatch runs product i of g's batch. It is a method rather than a
// closure so that a product run in place allocates nothing.
func (c *cpuBackend[T]) gemmBatch(g *Gemm, i int) {
	a, b, cv := vals[T](g.A), vals[T](g.B), vals[T](g.C)
	ao, bo, co := g.OffA+i*g.StrideA, g.OffB+i*g.StrideB, g.OffC+i*g.StrideC
	c.gemm(g.TransA, g.TransB, g.M, g.N, g.K, T(g.Alpha), a[ao:], g.LdA, b[bo:], g.LdB, T(g.Beta), cv[co:], g.LdC)
}

// thinKMax is the largest inner dimension thinK computes.
const thinKMax = 4

// thinK runs a product with B transposed and an inner dimension of a
// handful (an edge-feature layer: one feature per edge, K = 1) as K
// scaled row additions per row of C, rows split over the cores. gonum
// computes such a product as one dot product of length K per element of
// C, whose call costs far more than its arithmetic.
func (c *cpuBackend[T]) thinK(g *Gemm) bool {
	if g.TransA || !g.TransB || g.K > thinKMax {
		return false
	}
	a, b, cc := vals[T](g.A), vals[T](g.B), vals[T](g.C)
	alpha, beta := T(g.Alpha), T(g.Beta)
	n := g.N
	var bt [thinKMax][]T // the rows of op(B), B's columns
	for l := range g.K {
		if g.LdB == 1 { // K = 1: the column is contiguous
			bt[l] = b[g.OffB : g.OffB+n]
			continue
		}
		bt[l] = make([]T, n)
		for j := range bt[l] {
			bt[l][j] = b[g.OffB+j*g.LdB+l]
		}
	}
	parallelFor(g.M, g.M*n*max(g.K, 1), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			row := cc[g.OffC+i*g.LdC : g.OffC+i*g.LdC+n]
			switch beta {
			case 0:
				clear(row)
			case 1:
			default:
				for j := range row {
					row[j] *= beta
				}
			}
			for l := range g.K {
				x, br := alpha*a[g.OffA+i*g.LdA+l], bt[l][:n]
				for j := range row {
					row[j] += x * br[j]
				}
			}
		}
	})
	return true
}

// splitK runs a product with a small result and a long inner dimension
// (a weight gradient summed over many rows or edges) as one product per
// core over a slice of K, summed at the end: gonum parallelises over
// blocks of the result, of which such a product has only one or two.
func (c *cpuBackend[T]) splitK(g *Gemm) bool {
	p := runtime.GOMAXPROCS(0)
	if p < 2 || g.M*g.N > 128*128 || g.K < 2048 {
		return false
	}
	a, b, cc := vals[T](g.A), vals[T](g.B), vals[T](g.C)
	chunk := (g.K + p - 1) / p
	parts := make([][]T, 0, p)
	var wg sync.WaitGroup
	for lo := 0; lo < g.K; lo += chunk {
		k := min(chunk, g.K-lo)
		part := make([]T, g.M*g.N)
		parts = append(parts, part)
		// Row lo of op(A)'s K dimension: a column of A when transposed.
		ao, bo := g.OffA+lo*g.LdA, g.OffB+lo
		if !g.TransA {
			ao = g.OffA + lo
		}
		if !g.TransB {
			bo = g.OffB + lo*g.LdB
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.gemm(g.TransA, g.TransB, g.M, g.N, k, T(g.Alpha), a[ao:], g.LdA, b[bo:], g.LdB, 0, part, g.N)
		}()
	}
	wg.Wait()
	beta := T(g.Beta)
	for r := 0; r < g.M; r++ {
		row := cc[g.OffC+r*g.LdC : g.OffC+r*g.LdC+g.N]
		for j := range row {
			v := beta * row[j]
			if beta == 0 {
				v = 0
			}
			for _, part := range parts {
				v += part[r*g.N+j]
			}
			row[j] = v
		}
	}
	return true
}

// gemm is one row-major product C = alpha·op(A)·op(B) + beta·C through
// OpenBLAS (float32, when loaded) or gonum's Sgemm or Dgemm; with k = 0 it
// only scales C (gonum rejects k = 0).
func (cb *cpuBackend[T]) gemm(ta, tb bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	if k == 0 {
		for r := range m {
			row := c[r*ldc : r*ldc+n]
			if beta == 0 { // C's old values may be anything, NaN too
				clear(row)
				continue
			}
			for j := range row {
				row[j] *= beta
			}
		}
		return
	}
	switch av := any(a).(type) {
	case []float32:
		if cb.blas != nil && max(m, n, k, lda, ldb, ldc) <= math.MaxInt32 {
			cb.blas.sgemm(ta, tb, m, n, k, float32(alpha), av, lda, any(b).([]float32), ldb, float32(beta), any(c).([]float32), ldc)
			return
		}
		gonum.Implementation{}.Sgemm(trans(ta), trans(tb), m, n, k, float32(alpha),
			av, lda, any(b).([]float32), ldb, float32(beta), any(c).([]float32), ldc)
	case []float64:
		gonum.Implementation{}.Dgemm(trans(ta), trans(tb), m, n, k, float64(alpha),
			av, lda, any(b).([]float64), ldb, float64(beta), any(c).([]float64), ldc)
	}
}

func (c *cpuBackend[T]) Map(op MapOp, dst, x Storage, n int, p, q float32) {
	d, xv := vals[T](dst)[:n], vals[T](x)[:n]
	if d32, ok := any(d).([]float32); ok && op == MapReLU {
		x32 := any(xv).([]float32)
		parallelForSIMD(n, n, func(lo, hi int) { reluF32(d32[lo:hi], x32[lo:hi]) })
		return
	}
	P, Q := T(p), T(q)
	parallelFor(n, n*4, func(lo, hi int) {
		d, xv := d[lo:hi], xv[lo:hi]
		switch op {
		case MapReLU:
			for i, v := range xv {
				d[i] = max(v, 0)
			}
		case MapScale:
			for i, v := range xv {
				d[i] = P*v + Q
			}
		case MapSquare:
			for i, v := range xv {
				d[i] = v * v
			}
		case MapAbs:
			for i, v := range xv {
				d[i] = T(math.Abs(float64(v)))
			}
		case MapClamp:
			for i, v := range xv {
				d[i] = min(max(v, P), Q)
			}
		default:
			for i, v := range xv {
				d[i] = T(mapF(op, float64(v), float64(P)))
			}
		}
	})
}

// mapF evaluates the functions Map has no single-precision loop for.
func mapF(op MapOp, x, p float64) float64 {
	switch op {
	case MapTanh:
		return math.Tanh(x)
	case MapSigmoid:
		if x >= 0 {
			return 1 / (1 + math.Exp(-x))
		}
		e := math.Exp(x)
		return e / (1 + e)
	case MapExp:
		return math.Exp(x)
	case MapLog:
		return math.Log(x)
	case MapLog1p:
		return math.Log1p(x)
	case MapSqrt:
		return math.Sqrt(x)
	case MapHuber:
		a := math.Abs(x)
		if a <= p {
			return 0.5 * x * x
		}
		return p * (a - 0.5*p)
	case MapValue:
		return sign(x)*(math.Sqrt(math.Abs(x)+1)-1) + p*x
	case MapValueInv:
		return sign(x) * valueInvU(math.Abs(x), p)
	}
	panic("nn: map op " + op.String() + " has no float64 form")
}

func sign(x float64) float64 {
	switch {
	case x > 0:
		return 1
	case x < 0:
		return -1
	}
	return 0
}

// valueInvU returns h⁻¹(a) for a ≥ 0: ((√(1+4ε(a+1+ε)) − 1)/(2ε))² − 1.
func valueInvU(a, eps float64) float64 {
	if eps == 0 {
		u := a + 1
		return u*u - 1
	}
	u := (math.Sqrt(1+4*eps*(a+1+eps)) - 1) / (2 * eps)
	return u*u - 1
}

// mapDeriv returns f'(x) given x and y = f(x), for the functions MapGrad
// has no single-precision loop for.
func mapDeriv(op MapOp, x, y, p, q float64) float64 {
	switch op {
	case MapExp:
		return y
	case MapLog:
		return 1 / x
	case MapLog1p:
		return 1 / (1 + x)
	case MapSquare:
		return 2 * x
	case MapAbs:
		return sign(x)
	case MapScale:
		return p
	case MapHuber:
		return min(max(x, -p), p)
	case MapValue:
		return 1/(2*math.Sqrt(math.Abs(x)+1)) + p
	case MapValueInv:
		a := math.Abs(x)
		if p == 0 {
			return 2 * (a + 1)
		}
		s := math.Sqrt(1 + 4*p*(a+1+p))
		u := (s - 1) / (2 * p)
		return 2 * u / s
	case MapClamp:
		if x >= p && x <= q {
			return 1
		}
		return 0
	case MapSqrt:
		return 0.5 / y
	}
	panic("nn: map op " + op.String() + " has no derivative")
}

func (c *cpuBackend[T]) MapGrad(op MapOp, dx, x, y, dy Storage, n int, p, q float32) {
	d, xv, yv, g := vals[T](dx)[:n], vals[T](x)[:n], vals[T](y)[:n], vals[T](dy)[:n]
	if d32, ok := any(d).([]float32); ok && op == MapReLU {
		x32, g32 := any(xv).([]float32), any(g).([]float32)
		parallelForSIMD(n, n, func(lo, hi int) { reluGradAddF32(d32[lo:hi], x32[lo:hi], g32[lo:hi]) })
		return
	}
	parallelFor(n, n*4, func(lo, hi int) {
		switch op {
		case MapReLU:
			reluGrad(d[lo:hi], xv[lo:hi], g[lo:hi])
		case MapTanh:
			for i := lo; i < hi; i++ {
				d[i] += g[i] * (1 - yv[i]*yv[i])
			}
		case MapSigmoid:
			for i := lo; i < hi; i++ {
				d[i] += g[i] * yv[i] * (1 - yv[i])
			}
		case MapSquare: // the losses' square: 2x is exact, as in mapDeriv
			for i := lo; i < hi; i++ {
				d[i] += g[i] * (2 * xv[i])
			}
		case MapScale:
			P := T(p)
			for i := lo; i < hi; i++ {
				d[i] += g[i] * P
			}
		default:
			for i := lo; i < hi; i++ {
				d[i] += g[i] * T(mapDeriv(op, float64(xv[i]), float64(yv[i]), float64(p), float64(q)))
			}
		}
	})
}

// reluGrad does d[i] += g[i] where x[i] > 0. Only the float64 backend
// comes here: float32 takes reluGradAddF32 (simd.go), a mask instead of
// this branch, before MapGrad splits the work.
func reluGrad[T float](d, x, g []T) {
	x, g = x[:len(d)], g[:len(d)]
	for i, v := range x {
		if v > 0 {
			d[i] += g[i]
		}
	}
}

func binF[T float](op BinaryOp, a, b T) T {
	switch op {
	case BinAdd:
		return a + b
	case BinSub:
		return a - b
	case BinMul:
		return a * b
	default:
		return a / b
	}
}

func (c *cpuBackend[T]) Binary(op BinaryOp, dst, a, b Storage, bc *Broadcast) {
	d, av, bv := vals[T](dst), vals[T](a), vals[T](b)
	s := bc.Shape
	inner := s[3]
	outer := s[0] * s[1] * s[2]
	full := dense(s)
	if bc.A == full && bc.B == full {
		n := outer * inner
		parallelFor(n, n, func(lo, hi int) {
			d, av, bv := d[lo:hi], av[lo:hi], bv[lo:hi]
			switch op {
			case BinAdd:
				for i := range d {
					d[i] = av[i] + bv[i]
				}
			case BinSub:
				for i := range d {
					d[i] = av[i] - bv[i]
				}
			case BinMul:
				for i := range d {
					d[i] = av[i] * bv[i]
				}
			default:
				for i := range d {
					d[i] = av[i] / bv[i]
				}
			}
		})
		return
	}
	parallelFor(outer, outer*inner, func(lo, hi int) {
		for o := lo; o < hi; o++ {
			i2 := o % s[2]
			i1 := (o / s[2]) % s[1]
			i0 := o / (s[2] * s[1])
			ao := i0*bc.A[0] + i1*bc.A[1] + i2*bc.A[2]
			bo := i0*bc.B[0] + i1*bc.B[1] + i2*bc.B[2]
			dr := d[o*inner : (o+1)*inner]
			sa, sb := bc.A[3], bc.B[3]
			switch {
			case sa == 1 && sb == 0:
				y := bv[bo]
				for j, x := range av[ao : ao+inner] {
					dr[j] = binF(op, x, y)
				}
			case sa == 1 && sb == 1:
				ar, br := av[ao:ao+inner], bv[bo:bo+inner]
				switch op {
				case BinAdd:
					for j := range dr {
						dr[j] = ar[j] + br[j]
					}
				case BinMul:
					for j := range dr {
						dr[j] = ar[j] * br[j]
					}
				default:
					for j := range dr {
						dr[j] = binF(op, ar[j], br[j])
					}
				}
			default:
				for j := range dr {
					dr[j] = binF(op, av[ao+j*sa], bv[bo+j*sb])
				}
			}
		}
	})
}

// contiguous returns the row-major strides of shape.
func contiguous(s [MaxDims]int) [MaxDims]int {
	var st [MaxDims]int
	k := 1
	for i := MaxDims - 1; i >= 0; i-- {
		st[i] = k
		k *= s[i]
	}
	return st
}

// dense returns the strides of a contiguous array of shape s in the form
// Broadcast uses: 0 for dimensions of size 1 (where the index is always 0).
func dense(s [MaxDims]int) [MaxDims]int {
	st := contiguous(s)
	for i, d := range s {
		if d == 1 {
			st[i] = 0
		}
	}
	return st
}

func (c *cpuBackend[T]) ReduceTo(dst, src Storage, bc *Broadcast, alpha float32) {
	d, sv := vals[T](dst), vals[T](src)
	s := bc.Shape
	inner := s[3]
	outer := s[0] * s[1] * s[2]
	al := T(alpha)
	st := bc.A
	rows := func(lo, hi int, acc []T, accOff int) {
		for o := lo; o < hi; o++ {
			i2 := o % s[2]
			i1 := (o / s[2]) % s[1]
			i0 := o / (s[2] * s[1])
			do := i0*st[0] + i1*st[1] + i2*st[2] - accOff
			sr := sv[o*inner : (o+1)*inner]
			if st[3] == 0 {
				var sum T
				for _, x := range sr {
					sum += x
				}
				acc[do] += al * sum
				continue
			}
			dr := acc[do : do+inner]
			if d32, ok := any(dr).([]float32); ok {
				axpyF32(d32, alpha, any(sr).([]float32))
				continue
			}
			for j, x := range sr {
				dr[j] += al * x
			}
		}
	}
	// The common gradient of a bias: every leading dimension reduced, the
	// last kept. float32 splits the columns over the cores, so every column
	// is summed in row order whatever their number, and the bits do not
	// depend on it.
	bias := st[0] == 0 && st[1] == 0 && st[2] == 0 && st[3] == 1
	if d32, ok := any(d).([]float32); ok && bias {
		s32 := any(sv).([]float32)
		parallelForSIMD(inner, outer*inner, func(lo, hi int) {
			for o := range outer {
				axpyF32(d32[lo:hi], alpha, s32[o*inner+lo:o*inner+hi])
			}
		})
		return
	}
	// Other types: workers sum disjoint row ranges into private rows.
	if bias && outer*inner >= parallelMin && runtime.GOMAXPROCS(0) > 1 {
		p := min(runtime.GOMAXPROCS(0), outer)
		parts := make([][]T, p)
		chunk := (outer + p - 1) / p
		var wg sync.WaitGroup
		for w := range p {
			lo, hi := w*chunk, min((w+1)*chunk, outer)
			parts[w] = make([]T, inner)
			wg.Add(1)
			go func() {
				defer wg.Done()
				rows(lo, hi, parts[w], 0)
			}()
		}
		wg.Wait()
		for _, part := range parts {
			for j, x := range part {
				d[j] += x
			}
		}
		return
	}
	rows(0, outer, d, 0)
}

func (c *cpuBackend[T]) Softmax(dst, x, mask Storage, rows, cols, maskRows int, log bool) {
	d, xv := vals[T](dst), vals[T](x)
	var mv []T
	if mask != nil {
		mv = vals[T](mask)
	}
	parallelFor(rows, rows*cols*8, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xr, dr := xv[r*cols:(r+1)*cols], d[r*cols:(r+1)*cols]
			var mr []T
			if mv != nil {
				mr = mv[(r%maskRows)*cols : (r%maskRows+1)*cols]
			}
			m := math.Inf(-1)
			for j, v := range xr {
				if mr == nil || mr[j] != 0 {
					m = max(m, float64(v))
				}
			}
			if math.IsInf(m, -1) { // every entry masked
				for j := range dr {
					dr[j] = 0
				}
				continue
			}
			var z float64
			for j, v := range xr {
				if mr == nil || mr[j] != 0 {
					z += math.Exp(float64(v) - m)
				}
			}
			lz := math.Log(z)
			for j, v := range xr {
				switch {
				case mr != nil && mr[j] == 0:
					dr[j] = 0
				case log:
					dr[j] = T(float64(v) - m - lz)
				default:
					dr[j] = T(math.Exp(float64(v)-m) / z)
				}
			}
		}
	})
}

func (c *cpuBackend[T]) SoftmaxGrad(dx, y, dy, mask Storage, rows, cols, maskRows int, log bool) {
	d, yv, g := vals[T](dx), vals[T](y), vals[T](dy)
	var mv []T
	if mask != nil {
		mv = vals[T](mask)
	}
	parallelFor(rows, rows*cols*4, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			yr, gr, dr := yv[r*cols:(r+1)*cols], g[r*cols:(r+1)*cols], d[r*cols:(r+1)*cols]
			var mr []T
			if mv != nil {
				mr = mv[(r%maskRows)*cols : (r%maskRows+1)*cols]
			}
			keep := func(j int) bool { return mr == nil || mr[j] != 0 }
			var s float64
			for j := range yr {
				if !keep(j) {
					continue
				}
				if log {
					s += float64(gr[j])
				} else {
					s += float64(gr[j]) * float64(yr[j])
				}
			}
			for j := range yr {
				if !keep(j) {
					continue
				}
				if log {
					dr[j] += gr[j] - T(math.Exp(float64(yr[j]))*s)
				} else {
					dr[j] += yr[j] * (gr[j] - T(s))
				}
			}
		}
	})
}

func (c *cpuBackend[T]) Normalize(y, rstd, x Storage, rows, cols int, eps float32) {
	yv, rv, xv := vals[T](y), vals[T](rstd), vals[T](x)
	parallelFor(rows, rows*cols*3, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xr, yr := xv[r*cols:(r+1)*cols], yv[r*cols:(r+1)*cols]
			var mean float64
			for _, v := range xr {
				mean += float64(v)
			}
			mean /= float64(cols)
			var vr float64
			for _, v := range xr {
				dv := float64(v) - mean
				vr += dv * dv
			}
			vr /= float64(cols)
			rs := 1 / math.Sqrt(vr+float64(eps))
			rv[r] = T(rs)
			for j, v := range xr {
				yr[j] = T((float64(v) - mean) * rs)
			}
		}
	})
}

func (c *cpuBackend[T]) NormalizeGrad(dx, y, rstd, dy Storage, rows, cols int) {
	d, yv, rv, g := vals[T](dx), vals[T](y), vals[T](rstd), vals[T](dy)
	parallelFor(rows, rows*cols*3, func(lo, hi int) {
		for r := lo; r < hi; r++ {
			yr, gr, dr := yv[r*cols:(r+1)*cols], g[r*cols:(r+1)*cols], d[r*cols:(r+1)*cols]
			var mg, mgy float64
			for j := range yr {
				mg += float64(gr[j])
				mgy += float64(gr[j]) * float64(yr[j])
			}
			mg /= float64(cols)
			mgy /= float64(cols)
			rs := float64(rv[r])
			for j := range yr {
				dr[j] += T(rs * (float64(gr[j]) - mg - float64(yr[j])*mgy))
			}
		}
	})
}

func (c *cpuBackend[T]) Gather(dst, src Storage, idx IndexStorage, n, cols int, add bool) {
	d, s, iv := vals[T](dst), vals[T](src), idx.(*cpuIndex).v
	parallelFor(n, n*cols, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			k := int(iv[i])
			dr, sr := d[i*cols:(i+1)*cols], s[k*cols:(k+1)*cols]
			if add {
				for j, v := range sr {
					dr[j] += v
				}
			} else {
				copy(dr, sr)
			}
		}
	})
}

func (c *cpuBackend[T]) ScatterAdd(dst, src Storage, idx IndexStorage, n, cols int) {
	d, s, iv := vals[T](dst), vals[T](src), idx.(*cpuIndex).v
	// Rows of dst collide, columns never do: workers own column ranges.
	parallelFor(cols, n*cols, func(lo, hi int) {
		for i := range n {
			k := int(iv[i])
			dr, sr := d[k*cols+lo:k*cols+hi], s[i*cols+lo:i*cols+hi]
			for j, v := range sr {
				dr[j] += v
			}
		}
	})
}

func (c *cpuBackend[T]) SumSquares(x Storage, n int) float64 {
	var s float64
	for _, v := range vals[T](x)[:n] {
		s += float64(v) * float64(v)
	}
	return s
}

func (c *cpuBackend[T]) Adam(p, g, m, v Storage, n int, h AdamStep) {
	pv, gv, mv, vv := vals[T](p)[:n], vals[T](g)[:n], vals[T](m)[:n], vals[T](v)[:n]
	if p32, ok := any(pv).([]float32); ok {
		c := newAdamConsts(h)
		g32, m32, v32 := any(gv).([]float32), any(mv).([]float32), any(vv).([]float32)
		parallelForSIMD(n, n*4, func(lo, hi int) { adamF32(p32[lo:hi], g32[lo:hi], m32[lo:hi], v32[lo:hi], &c) })
		return
	}
	b1, b2, eps, lr, wd := T(h.B1), T(h.B2), T(h.Eps), T(h.LR), T(h.WD)
	c1, c2 := T(h.C1), T(h.C2)
	parallelFor(n, n*8, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			gi := gv[i]
			mi := b1*mv[i] + (1-b1)*gi
			vi := b2*vv[i] + (1-b2)*gi*gi
			mv[i], vv[i] = mi, vi
			den := T(math.Sqrt(float64(vi/c2))) + eps
			pv[i] -= lr*(mi/c1)/den + lr*wd*pv[i]
		}
	})
}

// edgeMaxDim is the widest message EdgeMessages computes (a row of it
// lives on the stack).
const edgeMaxDim = 256

// edgeRow writes columns [lo, hi) of message k, ReLU(t[tk] + s[sk] +
// e_k·Weᵀ), into out (hi − lo long), for fe edge features; the sums are
// taken in the order of the separate kernels (t, then s, then each edge
// feature's term), so it gives their results.
func edgeRow[T float](out, tv, sv, ev, wv []T, k, tk, sk, lo, hi, fe int) {
	tr, sr := tv[tk+lo:tk+hi], sv[sk+lo:sk+hi]
	if fe == 1 {
		x, w := ev[k], wv[lo:hi]
		for j := range out {
			v := tr[j] + sr[j]
			v += x * w[j]
			out[j] = max(v, 0)
		}
		return
	}
	for j := range out {
		out[j] = tr[j] + sr[j]
	}
	for l := range fe {
		x := ev[k*fe+l]
		for j := range out {
			out[j] += x * wv[(lo+j)*fe+l]
		}
	}
	for j := range out {
		out[j] = max(out[j], 0)
	}
}

// EdgeMessages is the fused message kernel (see EdgeMessenger) for up to
// thinKMax edge features and messages up to edgeMaxDim wide; messages
// are added into a target in edge order, as ScatterAdd does.
func (c *cpuBackend[T]) EdgeMessages(m, sum, t, s, e, we Storage, dst, src IndexStorage, ne, d, fe int) bool {
	if fe > thinKMax || d > edgeMaxDim || m == nil && sum == nil {
		return false
	}
	tv, sv, ev, wv := vals[T](t), vals[T](s), vals[T](e), vals[T](we)
	di, si := dst.(*cpuIndex).v, src.(*cpuIndex).v
	var mv, sumv []T
	if m != nil {
		mv = vals[T](m)
	}
	if sum != nil {
		sumv = vals[T](sum)
	}
	// row computes columns [lo, hi) of message k.
	row := func(k, lo, hi int) {
		var tmp [edgeMaxDim]T
		out := tmp[:hi-lo]
		if mv != nil {
			out = mv[k*d+lo : k*d+hi]
		}
		tk := int(di[k]) * d
		edgeRow(out, tv, sv, ev, wv, k, tk, int(si[k])*d, lo, hi, fe)
		if sumv != nil {
			acc := sumv[tk+lo : tk+hi]
			for j, v := range out {
				acc[j] += v
			}
		}
	}
	if sumv != nil { // targets collide, columns never do: workers own column ranges
		parallelFor(d, ne*d*4, func(lo, hi int) {
			for k := range ne {
				row(k, lo, hi)
			}
		})
		return true
	}
	parallelFor(ne, ne*d*4, func(k0, k1 int) {
		for k := k0; k < k1; k++ {
			row(k, 0, d)
		}
	})
	return true
}

// EdgeMessagesGrad is the fused backward of the per-target sums (see
// EdgeMessenger). Workers own column ranges, so the scatters never
// collide; dWe is summed over the edges in float64, in edge order,
// whatever the number of workers.
func (c *cpuBackend[T]) EdgeMessagesGrad(dt, ds, dwe, dsum, t, s, e, we Storage, dst, src IndexStorage, ne, d, fe int) bool {
	if fe > thinKMax || d > edgeMaxDim {
		return false
	}
	tv, sv, ev, wv, gv := vals[T](t), vals[T](s), vals[T](e), vals[T](we), vals[T](dsum)
	di, si := dst.(*cpuIndex).v, src.(*cpuIndex).v
	var dtv, dsv, dwv []T
	if dt != nil {
		dtv = vals[T](dt)
	}
	if ds != nil {
		dsv = vals[T](ds)
	}
	if dwe != nil {
		dwv = vals[T](dwe)
	}
	parallelFor(d, ne*d*6, func(lo, hi int) {
		var acc [edgeMaxDim * thinKMax]float64 // dWe[j, l] for j in [lo, hi)
		var tmp [edgeMaxDim]T
		w := hi - lo
		y := tmp[:w]
		for k := range ne {
			tk, sk := int(di[k])*d, int(si[k])*d
			edgeRow(y, tv, sv, ev, wv, k, tk, sk, lo, hi, fe)
			gr := gv[tk+lo : tk+hi]
			for j := range w {
				if !(y[j] > 0) { // MapGrad's ReLU test on the output: NaN passes nothing
					continue
				}
				g := gr[j]
				if dtv != nil {
					dtv[tk+lo+j] += g
				}
				if dsv != nil {
					dsv[sk+lo+j] += g
				}
				if dwv != nil {
					for l := range fe {
						acc[j*fe+l] += float64(g) * float64(ev[k*fe+l])
					}
				}
			}
		}
		if dwv != nil {
			for j := range w {
				for l := range fe {
					dwv[(lo+j)*fe+l] += T(acc[j*fe+l])
				}
			}
		}
	})
	return true
}
