package nn_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/corl-go/corl/nn"
)

// values64 returns t's values as float64.
func values64(t *nn.Tensor) []float64 {
	v := make([]float64, t.Len())
	for i, x := range t.Data() {
		v[i] = float64(x)
	}
	return v
}

// affine64 returns W·x + b for W [out, in] (row-major) and b [out] (nil
// for none), in float64.
func affine64(w, b, x []float64, out int) []float64 {
	in := len(w) / out
	y := make([]float64, out)
	for o := range out {
		s := 0.0
		if b != nil {
			s = b[o]
		}
		for i := range in {
			s += w[o*in+i] * x[i]
		}
		y[o] = s
	}
	return y
}

func relu64(x []float64) []float64 {
	for i, v := range x {
		x[i] = math.Max(v, 0)
	}
	return x
}

// naiveBipartiteConv computes a BipartiteConv in float64 loops from its
// per-edge definition, Final applied to every edge's message before the
// sum, reading only the layer's parameter values:
//
//	m_k   = Final(ReLU(Target(x_t[dst_k]) + Edge(e_k) + Source(x_s[src_k])))
//	agg_t = Σ_{k: dst_k = t} m_k
//	out_t = Output(concat(LayerNorm(agg_t), x_t))
func naiveBipartiteConv(c *nn.BipartiteConv, source, target, edges []float64, src, dst []int32, dim int) []float64 {
	p := func(t *nn.Tensor) []float64 {
		if t == nil {
			return nil
		}
		return values64(t)
	}
	fe := len(edges) / len(src)
	nt := len(target) / dim
	row := func(x []float64, i, w int) []float64 { return x[i*w : (i+1)*w] }
	agg := make([]float64, nt*dim)
	for k := range src {
		pre := affine64(p(c.Target.Weight), p(c.Target.Bias), row(target, int(dst[k]), dim), dim)
		ee := affine64(p(c.Edge.Weight), nil, row(edges, k, fe), dim)
		ss := affine64(p(c.Source.Weight), nil, row(source, int(src[k]), dim), dim)
		for j := range pre {
			pre[j] += ee[j] + ss[j]
		}
		m := affine64(p(c.Final.Weight), p(c.Final.Bias), relu64(pre), dim)
		for j, v := range m {
			agg[int(dst[k])*dim+j] += v
		}
	}
	gain, bias, eps := p(c.Norm.Weight), p(c.Norm.Bias), float64(c.Norm.Eps)
	w1, b1 := p(c.Output.Layers[0].Weight), p(c.Output.Layers[0].Bias)
	w2, b2 := p(c.Output.Layers[1].Weight), p(c.Output.Layers[1].Bias)
	out := make([]float64, 0, nt*dim)
	for t := range nt {
		a := row(agg, t, dim)
		mean, vr := 0.0, 0.0
		for _, v := range a {
			mean += v
		}
		mean /= float64(dim)
		for _, v := range a {
			vr += (v - mean) * (v - mean)
		}
		vr /= float64(dim)
		cat := make([]float64, 0, 2*dim)
		for j, v := range a {
			cat = append(cat, (v-mean)/math.Sqrt(vr+eps)*gain[j]+bias[j])
		}
		cat = append(cat, row(target, t, dim)...)
		out = append(out, affine64(w2, b2, relu64(affine64(w1, b1, cat, dim)), dim)...)
	}
	return out
}

// TestBipartiteConvMatchesPerEdgeFormula checks the convolution, which
// applies Final after the sum over edges, against its per-edge definition
// on a graph with isolated targets (degree 0), repeated edges and a
// nonzero Final bias, on both CPU backends.
func TestBipartiteConvMatchesPerEdgeFormula(t *testing.T) {
	const ns, nt, dim, fe = 7, 8, 6, 2
	r := rand.New(rand.NewPCG(4, 4))
	var src, dst []int32
	deg := make([]int, nt)
	for range 30 {
		s, d := int32(r.IntN(ns)), int32(r.IntN(nt))
		if d == 2 || d == 5 { // isolated targets
			continue
		}
		src, dst = append(src, s), append(dst, d)
		deg[d]++
	}
	src, dst = append(src, src[0]), append(dst, dst[0]) // a repeated edge
	deg[dst[0]]++
	draw := func(n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = float64(float32(r.NormFloat64()))
		}
		return v
	}
	source, target, edges := draw(ns*dim), draw(nt*dim), draw(len(src)*fe)
	f32 := func(v []float64) []float32 {
		out := make([]float32, len(v))
		for i, x := range v {
			out[i] = float32(x)
		}
		return out
	}
	for _, be := range []nn.Backend{nn.CPU64(), nn.CPU()} {
		t.Run(be.Name(), func(t *testing.T) {
			c := nn.NewBipartiteConv(be, rand.New(rand.NewPCG(5, 5)), dim, fe)
			// A LayerNorm with its own gain and shift, so they take part.
			gain, shift := make([]float32, dim), make([]float32, dim)
			for j := range dim {
				gain[j], shift[j] = 0.5+float32(j)/4, float32(j)/10-0.2
			}
			c.Norm.Weight.Set(gain)
			c.Norm.Bias.Set(shift)
			want := naiveBipartiteConv(c, source, target, edges, src, dst, dim)
			got := c.Forward(nn.From(be, f32(source), ns, dim), nn.From(be, f32(target), nt, dim),
				nn.From(be, f32(edges), len(src), fe), nn.NewIndex(be, src), nn.NewIndex(be, dst)).Data()
			if len(got) != len(want) {
				t.Fatalf("%d outputs, want %d", len(got), len(want))
			}
			for i := range want {
				if d := math.Abs(float64(got[i]) - want[i]); d > 1e-5*math.Max(1, math.Abs(want[i])) {
					t.Errorf("target %d (degree %d) output %d = %.8g, per-edge formula %.8g", i/dim, deg[i/dim], i%dim, got[i], want[i])
				}
			}
		})
	}
}
