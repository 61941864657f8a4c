package nn

import "math"

// The float32 kernels below run the bulk of a slice through the
// assembly in simd_amd64.s where the CPU has it (8 elements at a time)
// and the rest through the Go loops, which are also the whole kernel
// elsewhere. Both round every operation the same way, so the result's
// bits do not depend on which ran (TestSIMDMatchesGo).

// simdBulk returns how many leading elements of n the SIMD kernels take.
func simdBulk(n int) int {
	if !hasSIMD {
		return 0
	}
	return n &^ 7
}

// reluF32 sets d[i] = max(x[i], 0) (NaN stays NaN, −0 becomes +0).
func reluF32(d, x []float32) {
	x = x[:len(d)]
	k := simdBulk(len(d))
	if k > 0 {
		reluSIMD(d[:k], x[:k])
	}
	for i := k; i < len(d); i++ {
		d[i] = max(x[i], 0)
	}
}

// reluGradAddF32 adds g[i] to d[i] where x[i]'s bits, read as an int32,
// are positive: x > 0, and a NaN with its sign bit clear. A mask, not a
// branch: the signs of pre-activations are a coin toss, which a branch
// predictor loses half the time.
func reluGradAddF32(d, x, g []float32) {
	x, g = x[:len(d)], g[:len(d)]
	k := simdBulk(len(d))
	if k > 0 {
		reluGradAddSIMD(d[:k], x[:k], g[:k])
	}
	for i := k; i < len(d); i++ {
		t := int64(int32(math.Float32bits(x[i])))
		mask := uint32((-t) >> 63) // t > 0: -t < 0, an arithmetic shift gives all ones
		d[i] += math.Float32frombits(math.Float32bits(g[i]) & mask)
	}
}

// axpyF32 does d[i] += a·s[i].
func axpyF32(d []float32, a float32, s []float32) {
	s = s[:len(d)]
	k := simdBulk(len(d))
	if k > 0 {
		axpySIMD(d[:k], a, s[:k])
	}
	for i := k; i < len(d); i++ {
		d[i] += a * s[i]
	}
}

// adamConsts are an AdamStep's scalars as the float32 kernel reads them.
type adamConsts struct {
	b1, ob1, b2, ob2, c1, c2, eps, lr, lrwd float32
}

func newAdamConsts(h AdamStep) adamConsts {
	return adamConsts{b1: h.B1, ob1: 1 - h.B1, b2: h.B2, ob2: 1 - h.B2,
		c1: h.C1, c2: h.C2, eps: h.Eps, lr: h.LR, lrwd: h.LR * h.WD}
}

// adamF32 applies one Adam(W) update (see AdamStep) to p, m and v.
func adamF32(p, g, m, v []float32, c *adamConsts) {
	n := len(p)
	g, m, v = g[:n], m[:n], v[:n]
	k := simdBulk(n)
	if k > 0 {
		adamSIMD(p[:k], g[:k], m[:k], v[:k], c)
	}
	for i := k; i < n; i++ {
		gi := g[i]
		mi := c.b1*m[i] + c.ob1*gi
		vi := c.b2*v[i] + c.ob2*gi*gi
		m[i], v[i] = mi, vi
		den := float32(math.Sqrt(float64(vi/c.c2))) + c.eps
		p[i] -= c.lr*(mi/c.c1)/den + c.lrwd*p[i]
	}
}
