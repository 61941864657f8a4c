package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// simdInputs returns n float32s mixing ordinary values with the ones the
// kernels must treat exactly as Go does: ±0, NaN of either sign, ±Inf,
// subnormals.
func simdInputs(r *rand.Rand, n int) []float32 {
	special := []float32{0, float32(math.Copysign(0, -1)), float32(math.NaN()),
		math.Float32frombits(0xffc00001), float32(math.Inf(1)), float32(math.Inf(-1)),
		math.Float32frombits(1), math.Float32frombits(0x80000003)}
	v := make([]float32, n)
	for i := range v {
		if r.IntN(5) == 0 {
			v[i] = special[r.IntN(len(special))]
		} else {
			v[i] = float32(r.NormFloat64() * math.Pow(10, float64(r.IntN(9)-4)))
		}
	}
	return v
}

// sameBits compares bit for bit, except that any two NaNs agree.
func sameBits(t *testing.T, what string, n int, got, want []float32) {
	t.Helper()
	for i := range want {
		nan := got[i] != got[i] && want[i] != want[i] // a NaN's sign and payload carry nothing
		if !nan && math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s, n=%d: element %d is %v (%#x), the Go loop gives %v (%#x)",
				what, n, i, got[i], math.Float32bits(got[i]), want[i], math.Float32bits(want[i]))
		}
	}
}

// TestSIMDMatchesGo checks the float32 kernels bit for bit against plain
// scalar Go loops, the oracle, at every length around the 8-wide bulk and
// on the values where max, masks and division differ most easily.
func TestSIMDMatchesGo(t *testing.T) {
	if !hasSIMD {
		t.Log("no SIMD kernels on this CPU or build: the wrappers run Go loops only")
	}
	r := rand.New(rand.NewPCG(7, 7))
	for n := 0; n <= 70; n++ {
		x, g, d0 := simdInputs(r, n), simdInputs(r, n), simdInputs(r, n)

		got, want := make([]float32, n), make([]float32, n)
		reluF32(got, x)
		for i, v := range x {
			want[i] = max(v, 0)
		}
		sameBits(t, "relu", n, got, want)

		copy(got, d0)
		copy(want, d0)
		reluGradAddF32(got, x, g)
		for i, v := range x {
			if int32(math.Float32bits(v)) > 0 {
				want[i] += g[i]
			} else {
				want[i] += 0 // the mask adds +0: −0 becomes +0, as in the kernel
			}
		}
		sameBits(t, "relu gradient", n, got, want)

		for _, a := range []float32{1, -0.37} {
			copy(got, d0)
			copy(want, d0)
			axpyF32(got, a, x)
			for i, v := range x {
				want[i] += a * v
			}
			sameBits(t, "axpy", n, got, want)
		}

		// Adam on finite values (moments are never NaN in use), with
		// weight decay, and v ≥ 0 as it always is.
		fin := func() []float32 {
			v := make([]float32, n)
			for i := range v {
				v[i] = float32(r.NormFloat64())
			}
			return v
		}
		p, gr, m, v := fin(), fin(), fin(), fin()
		for i := range v {
			v[i] *= v[i]
		}
		h := AdamStep{LR: 1e-3, B1: 0.9, B2: 0.999, Eps: 1e-8, WD: 0.01, C1: 1 - 0.9*0.9, C2: 1 - 0.999*0.999}
		c := newAdamConsts(h)
		pw, mw, vw := append([]float32(nil), p...), append([]float32(nil), m...), append([]float32(nil), v...)
		adamF32(p, gr, m, v, &c)
		b1, b2, eps, lr, wd, c1, c2 := h.B1, h.B2, h.Eps, h.LR, h.WD, h.C1, h.C2
		for i := range pw {
			gi := gr[i]
			mi := b1*mw[i] + (1-b1)*gi
			vi := b2*vw[i] + (1-b2)*gi*gi
			mw[i], vw[i] = mi, vi
			den := float32(math.Sqrt(float64(vi/c2))) + eps
			pw[i] -= lr*(mi/c1)/den + lr*wd*pw[i]
		}
		sameBits(t, "adam m", n, m, mw)
		sameBits(t, "adam v", n, v, vw)
		sameBits(t, "adam p", n, p, pw)
	}
}

// TestBiasGradientIndependentOfCores: a float32 bias gradient (every row
// reduced onto the last axis) sums each column in row order however many
// cores share the work, so its bits are the same on 1, 2 and 3.
func TestBiasGradientIndependentOfCores(t *testing.T) {
	be := CPU()
	r := rand.New(rand.NewPCG(3, 9))
	for _, shape := range [][2]int{{256, 256}, {777, 37}, {4096, 300}, {30000, 64}} {
		rows, cols := shape[0], shape[1]
		src := be.Alloc(rows * cols)
		be.Upload(src, simdInputs(r, rows*cols))
		bc := &Broadcast{Shape: [MaxDims]int{1, 1, rows, cols}, A: [MaxDims]int{0, 0, 0, 1}}
		var first []float32
		for _, procs := range []int{1, 2, 3} {
			old := runtime.GOMAXPROCS(procs)
			dst := be.Alloc(cols)
			be.ReduceTo(dst, src, bc, 0.5)
			runtime.GOMAXPROCS(old)
			got := make([]float32, cols)
			be.Download(got, dst)
			if first == nil {
				first = got
				continue
			}
			sameBits(t, fmt.Sprintf("bias gradient %dx%d on %d cores against 1", rows, cols, procs), cols, got, first)
		}
	}
}
