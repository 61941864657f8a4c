package backendtest

import (
	"fmt"
	"math"
)

// The forward oracles: each case's expected output computed by plain
// float64 loops written from the operation's definition, never by nn code,
// so that a wrong forward pass shared by every backend (the reference
// included) is still caught. Arrays are dense and row-major.

// numel is the number of elements of shape.
func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// f32 rounds v to float32, for constants the API takes as float32.
func f32(v float64) float64 { return float64(float32(v)) }

// each applies f to every element.
func each(f func(float64) float64) func(x []float64) []float64 {
	return func(x []float64) []float64 {
		y := make([]float64, len(x))
		for i, v := range x {
			y[i] = f(v)
		}
		return y
	}
}

func relu(v float64) float64    { return math.Max(v, 0) }
func sigmoid(v float64) float64 { return 1 / (1 + math.Exp(-v)) }
func ident(v float64) float64   { return v }

// huber is the Huber function with threshold d: quadratic inside, linear
// outside, continuous with a continuous derivative.
func huber(x, d float64) float64 {
	if math.Abs(x) <= d {
		return x * x / 2
	}
	return d * (math.Abs(x) - d/2)
}

// valueTransform is MuZero's h(x) = sign(x)(√(|x|+1) − 1) + εx.
func valueTransform(x, eps float64) float64 {
	s := 1.0
	if x < 0 {
		s = -1
	}
	return s*(math.Sqrt(math.Abs(x)+1)-1) + eps*x
}

// inverseValueTransform is h⁻¹ in MuZero's closed form.
func inverseValueTransform(y, eps float64) float64 {
	s := 1.0
	if y < 0 {
		s = -1
	}
	u := (math.Sqrt(1+4*eps*(math.Abs(y)+1+eps)) - 1) / (2 * eps)
	return s * (u*u - 1)
}

// broadcastShape is NumPy's broadcast of two shapes (aligned on the right).
func broadcastShape(a, b []int) []int {
	n := max(len(a), len(b))
	out := make([]int, n)
	for i := range n {
		da, db := 1, 1
		if j := i - (n - len(a)); j >= 0 {
			da = a[j]
		}
		if j := i - (n - len(b)); j >= 0 {
			db = b[j]
		}
		if da != db && da != 1 && db != 1 {
			panic(fmt.Sprintf("backendtest: shapes %v and %v do not broadcast", a, b))
		}
		out[i] = max(da, db)
	}
	return out
}

// offset is the position in an array of shape s of the element at index
// idx of the broadcast shape (len(idx) ≥ len(s); size-1 axes repeat).
func offset(idx, s []int) int {
	off := 0
	for j, d := range s {
		i := idx[len(idx)-len(s)+j]
		if d == 1 {
			i = 0
		}
		off = off*d + i
	}
	return off
}

// elementwise applies f to a (shape as) and b (shape bs) broadcast together.
func elementwise(as, bs []int, f func(x, y float64) float64) func(a, b []float64) []float64 {
	return func(a, b []float64) []float64 {
		shape := broadcastShape(as, bs)
		out := make([]float64, numel(shape))
		idx := make([]int, len(shape))
		for k := range out {
			for j, r := len(shape)-1, k; j >= 0; j-- {
				idx[j] = r % shape[j]
				r /= shape[j]
			}
			out[k] = f(a[offset(idx, as)], b[offset(idx, bs)])
		}
		return out
	}
}

// matmul returns batch products op(A)·op(B) of [m, k] by [k, n], where A is
// stored [k, m] when ta and B is stored [n, k] when tb.
func matmul(batch, m, k, n int, ta, tb bool) func(a, b []float64) []float64 {
	return func(a, b []float64) []float64 {
		out := make([]float64, batch*m*n)
		for p := range batch {
			ap, bp := a[p*m*k:], b[p*k*n:]
			for i := range m {
				for j := range n {
					var s float64
					for l := range k {
						x, y := ap[i*k+l], bp[l*n+j]
						if ta {
							x = ap[l*m+i]
						}
						if tb {
							y = bp[j*k+l]
						}
						s += x * y
					}
					out[p*m*n+i*n+j] = s
				}
			}
		}
		return out
	}
}

// sumAxis sums x of the given shape over axis.
func sumAxis(x []float64, shape []int, axis int) []float64 {
	outer, n, inner := numel(shape[:axis]), shape[axis], numel(shape[axis+1:])
	out := make([]float64, outer*inner)
	for o := range outer {
		for a := range n {
			for i := range inner {
				out[o*inner+i] += x[(o*n+a)*inner+i]
			}
		}
	}
	return out
}

func sum(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s
}

func mean(x []float64) float64 { return sum(x) / float64(len(x)) }

// softmaxRows is the (log-)softmax of each row of cols entries. mask (nil
// for none) holds rows of cols entries used in turn; a masked entry is 0
// and takes no part, and a row masked entirely is all 0.
func softmaxRows(x []float64, cols int, mask []float64, log bool) []float64 {
	out := make([]float64, len(x))
	for r := range len(x) / cols {
		on := func(j int) bool {
			return mask == nil || mask[(r*cols+j)%len(mask)] != 0
		}
		var z float64
		for j := range cols {
			if on(j) {
				z += math.Exp(x[r*cols+j])
			}
		}
		for j := range cols {
			switch {
			case !on(j):
			case log:
				out[r*cols+j] = x[r*cols+j] - math.Log(z)
			default:
				out[r*cols+j] = math.Exp(x[r*cols+j]) / z
			}
		}
	}
	return out
}

// normalizeRows standardises each row of cols entries: (x − mean)/√(var + eps)
// with the population variance.
func normalizeRows(x []float64, cols int, eps float64) []float64 {
	out := make([]float64, len(x))
	for r := range len(x) / cols {
		row := x[r*cols : (r+1)*cols]
		mu := mean(row)
		var v float64
		for _, e := range row {
			v += (e - mu) * (e - mu)
		}
		v /= float64(cols)
		for j, e := range row {
			out[r*cols+j] = (e - mu) / math.Sqrt(v+eps)
		}
	}
	return out
}

// layerNorm is normalizeRows with eps 1e-5 (as float32) followed by the
// gain w and bias b of each column.
func layerNorm(x, w, b []float64) []float64 {
	cols := len(w)
	y := normalizeRows(x, cols, f32(1e-5))
	for i := range y {
		y[i] = y[i]*w[i%cols] + b[i%cols]
	}
	return y
}

// gatherRows returns rows idx of x.
func gatherRows(x []float64, cols int, idx []int) []float64 {
	var out []float64
	for _, i := range idx {
		out = append(out, x[i*cols:(i+1)*cols]...)
	}
	return out
}

// scatterRows returns n rows, row t the sum of the rows k of x with idx[k] = t.
func scatterRows(x []float64, cols int, idx []int, n int) []float64 {
	out := make([]float64, n*cols)
	for k, t := range idx {
		for j := range cols {
			out[t*cols+j] += x[k*cols+j]
		}
	}
	return out
}

// concat joins arrays with the given shapes along axis (negative counts
// from the end).
func concat(axis int, shapes [][]int, parts [][]float64) []float64 {
	if axis < 0 {
		axis += len(shapes[0])
	}
	outer := numel(shapes[0][:axis])
	var out []float64
	for o := range outer {
		for i, p := range parts {
			block := numel(shapes[i][axis:])
			out = append(out, p[o*block:(o+1)*block]...)
		}
	}
	return out
}

// sliceAxis is x[..., from:to, ...] along axis.
func sliceAxis(x []float64, shape []int, axis, from, to int) []float64 {
	outer, n, inner := numel(shape[:axis]), shape[axis], numel(shape[axis+1:])
	var out []float64
	for o := range outer {
		out = append(out, x[(o*n+from)*inner:(o*n+to)*inner]...)
	}
	return out
}

// transpose is the transpose of an r×c matrix.
func transpose(x []float64, r, c int) []float64 {
	out := make([]float64, len(x))
	for i := range r {
		for j := range c {
			out[j*r+i] = x[i*c+j]
		}
	}
	return out
}

// params holds a module's parameters by name.
type params map[string][]float64

// join is the name of part of a module: "name.part", or "part" at the top.
func join(name, part string) string {
	if name == "" {
		return part
	}
	return name + "." + part
}

// linear is x·Wᵀ + b for rows of in features, W [out, in] read as
// name.weight and b as name.bias (absent for no bias).
func (p params) linear(name string, x []float64, in int) []float64 {
	w, b := p.must(join(name, "weight")), p[join(name, "bias")]
	out := len(w) / in
	rows := len(x) / in
	y := make([]float64, rows*out)
	for r := range rows {
		for o := range out {
			var s float64
			for i := range in {
				s += x[r*in+i] * w[o*in+i]
			}
			if b != nil {
				s += b[o]
			}
			y[r*out+o] = s
		}
	}
	return y
}

// mlp applies Linear layers name.layers.0, 1, ... with hidden between them
// and output after the last; sizes are the layer widths from the input's.
func (p params) mlp(name string, x []float64, sizes []int, hidden, output func(float64) float64) []float64 {
	for i := 1; i < len(sizes); i++ {
		x = p.linear(join(name, fmt.Sprintf("layers.%d", i-1)), x, sizes[i-1])
		act := hidden
		if i == len(sizes)-1 {
			act = output
		}
		x = each(act)(x)
	}
	return x
}

func (p params) layerNorm(name string, x []float64) []float64 {
	return layerNorm(x, p.must(join(name, "weight")), p.must(join(name, "bias")))
}

func (p params) must(name string) []float64 {
	v, ok := p[name]
	if !ok {
		panic("backendtest: oracle reads parameter " + name + ", which the module does not have")
	}
	return v
}

// attention is causal multi-head self-attention over x [batch, t, dim]
// with projections name.q, name.k, name.v and name.o.
func (p params) attention(name string, x []float64, batch, t, dim, heads int) []float64 {
	q, k, v := p.linear(join(name, "q"), x, dim), p.linear(join(name, "k"), x, dim), p.linear(join(name, "v"), x, dim)
	dh := dim / heads
	scale := f32(1 / math.Sqrt(float64(dh)))
	cat := make([]float64, batch*t*dim)
	for b := range batch {
		for h := range heads {
			for i := range t {
				at := func(m []float64, pos, j int) float64 { return m[(b*t+pos)*dim+h*dh+j] }
				w := make([]float64, i+1) // causal: positions 0..i only
				var z float64
				for s := range w {
					var dot float64
					for j := range dh {
						dot += at(q, i, j) * at(k, s, j)
					}
					w[s] = math.Exp(scale * dot)
					z += w[s]
				}
				for j := range dh {
					var y float64
					for s := range w {
						y += w[s] / z * at(v, s, j)
					}
					cat[(b*t+i)*dim+h*dh+j] = y
				}
			}
		}
	}
	return p.linear(join(name, "o"), cat, dim)
}

// bipartiteConv passes messages from source [ns, dim] to target [nt, dim]
// along edges e [ne, fe], edge k from src[k] to dst[k]:
//
//	m_k   = Final(ReLU(Target(t[dst_k]) + Edge(e_k) + Source(s[src_k])))
//	agg_t = Σ_{k: dst_k = t} m_k
//	out_t = Output(concat(LayerNorm(agg_t), t))
func (p params) bipartiteConv(name string, source, target, e []float64, src, dst []int, dim int) []float64 {
	ne, nt := len(src), len(target)/dim
	fe := len(e) / ne
	agg := make([]float64, nt*dim)
	for k := range ne {
		pre := p.linear(join(name, "target"), target[dst[k]*dim:(dst[k]+1)*dim], dim)
		es := p.linear(join(name, "edge"), e[k*fe:(k+1)*fe], fe)
		ss := p.linear(join(name, "source"), source[src[k]*dim:(src[k]+1)*dim], dim)
		for j := range pre {
			pre[j] = relu(pre[j] + es[j] + ss[j])
		}
		m := p.linear(join(name, "final"), pre, dim)
		for j, v := range m {
			agg[dst[k]*dim+j] += v
		}
	}
	h := concat(1, [][]int{{nt, dim}, {nt, dim}}, [][]float64{p.layerNorm(join(name, "norm"), agg), target})
	return p.mlp(join(name, "output"), h, []int{2 * dim, dim, dim}, relu, ident)
}

// sequenceModel is the causal transformer of one pre-norm block over x
// [batch, t, in]: an input projection plus sinusoidal positions, then
// h + Attn(LN1(h)), then + MLP(LN2(h)) with a 4·dim ReLU hidden layer, then
// a final LayerNorm.
func (p params) sequenceModel(x []float64, batch, t, in, dim, heads int) []float64 {
	h := p.linear("in", x, in)
	for i := range h {
		pos, j := (i/dim)%t, i%dim
		// sin(pos/10000^(2k/dim)) in column 2k, cos in column 2k+1, stored
		// as float32 like every tensor.
		f := float64(pos) / math.Pow(10000, float64(2*(j/2))/float64(dim))
		if j%2 == 0 {
			h[i] += f32(math.Sin(f))
		} else {
			h[i] += f32(math.Cos(f))
		}
	}
	a := p.attention("blocks.0.attn", p.layerNorm("blocks.0.ln1", h), batch, t, dim, heads)
	for i := range h {
		h[i] += a[i]
	}
	m := p.mlp("blocks.0.mlp", p.layerNorm("blocks.0.ln2", h), []int{dim, 4 * dim, dim}, relu, ident)
	for i := range h {
		h[i] += m[i]
	}
	return p.layerNorm("norm", h)
}
