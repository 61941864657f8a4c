package qmip

import (
	"math"
	"slices"
	"strconv"

	"github.com/corl-go/corl/solver"
)

// affine is c + Σ vals[k]·x[cols[k]] over a builder's columns.
type affine struct {
	cols []int
	vals []float64
	c    float64
}

// at evaluates a at the column values x.
func (a affine) at(x []float64) float64 {
	v := a.c
	for k, col := range a.cols {
		v += a.vals[k] * x[col]
	}
	return v
}

// combine returns Σ w[i]·terms[i] + c, merging repeated columns.
func combine(w []float64, terms []affine, c float64) affine {
	acc := map[int]float64{}
	for i, t := range terms {
		if w[i] == 0 {
			continue
		}
		c += w[i] * t.c
		for k, col := range t.cols {
			acc[col] += w[i] * t.vals[k]
		}
	}
	out := affine{c: c}
	for col := range acc {
		out.cols = append(out.cols, col)
	}
	slices.Sort(out.cols)
	for _, col := range out.cols {
		out.vals = append(out.vals, acc[col])
	}
	return out
}

// Encoding counts what Encode added for the hidden neurons.
type Encoding struct {
	Binaries  int // unstable neurons: one binary, one continuous column and three rows each
	StableOn  int // neurons proved active on the whole domain: substituted, nothing added
	StableOff int // neurons proved inactive: dropped
	Unused    int // neurons that reach Q through weights 0 only: dropped
}

// unread marks, per hidden layer, the neurons that Q does not read: every
// weight out of them is 0 or goes to a neuron Q does not read.
func unread(n Net) [][]bool {
	out := make([][]bool, len(n.Layers)-1)
	for l := len(out) - 1; l >= 0; l-- {
		out[l] = make([]bool, len(n.Layers[l].W))
		for i := range out[l] {
			out[l][i] = true
			for o, row := range n.Layers[l+1].W {
				if row[i] != 0 && (l+1 == len(out) || !out[l+1][o]) {
					out[l][i] = false
					break
				}
			}
		}
	}
	return out
}

// relu is an unstable neuron as encoded: its pre-activation over the
// builder's columns, its output column y and its binary z.
type relu struct {
	a    affine
	y, z int
}

// encoder writes a network into a builder one hidden layer at a time, so
// that bound tightening can stop at any layer and read its
// pre-activations as affine terms over the columns.
type encoder struct {
	net    Net
	b      *solver.Builder
	in     []affine // the current layer's inputs
	unread [][]bool // per hidden layer, the neurons Q does not read (unread)
	x      []affine // the network's inputs
	enc    Encoding
	relus  []relu // in the order written: a layer's only use earlier columns
}

func newEncoder(n Net, b *solver.Builder, act []int, fixed []float64) *encoder {
	in := make([]affine, len(act)+len(fixed))
	for k, col := range act {
		in[k] = affine{cols: []int{col}, vals: []float64{1}}
	}
	for k, v := range fixed {
		in[len(act)+k] = affine{c: v}
	}
	return &encoder{net: n, b: b, in: in, x: in, unread: unread(n)}
}

// pre returns layer l's pre-activations given its inputs; l is the next
// layer to write.
func (e *encoder) pre(l int) []affine {
	ly := e.net.Layers[l]
	out := make([]affine, len(ly.W))
	for i, row := range ly.W {
		out[i] = combine(row, e.in, ly.B[i])
	}
	return out
}

// layer writes hidden layer l with pre-activation bounds [lo, hi] and makes
// its outputs the next layer's inputs.
func (e *encoder) layer(l int, lo, hi []float64) {
	pre := e.pre(l)
	for i, a := range pre {
		switch {
		case e.unread[l][i]:
			e.enc.Unused++
			pre[i] = affine{}
		case hi[i] <= 0:
			e.enc.StableOff++
			pre[i] = affine{}
		case lo[i] >= 0:
			e.enc.StableOn++
		default:
			e.enc.Binaries++
			r := reluRows(e.b, a, lo[i], hi[i], "h"+strconv.Itoa(l)+"_"+strconv.Itoa(i))
			e.relus = append(e.relus, r)
			pre[i] = affine{cols: []int{r.y}, vals: []float64{1}}
		}
	}
	e.in = pre
}

// Encode writes Q = net(x, fixed) as the objective of b, where x are the
// binary columns act and fixed the network's remaining inputs, using the
// pre-activation bounds bd (from Propagate, or tighter). A hidden neuron
// y = max(0, a) with bounds [L, U] becomes
//
//	U ≤ 0:  y = 0 (dropped)
//	L ≥ 0:  y = a (substituted into the next layer)
//	else:   y ≥ a, y ≥ 0, y ≤ a − L(1 − z), y ≤ U·z, z binary
//
// so a neuron gets a binary only when its bounds cannot decide it, and the
// big-M constants are its own bounds, never a constant. A neuron Q reads
// through zero weights only is dropped whatever its bounds, and the
// network's Skip term adds its weights to the objective: a network whose
// ReLU part is zero is a linear objective. Encode sets the
// objective (costs and offset) of b; the sense is the caller's to set.
func (n Net) Encode(b *solver.Builder, act []int, fixed []float64, bd Bounds) Encoding {
	enc, _ := n.encode(b, act, fixed, bd)
	return enc
}

// encode is Encode that also returns the unstable neurons it wrote.
func (n Net) encode(b *solver.Builder, act []int, fixed []float64, bd Bounds) (Encoding, []relu) {
	e := newEncoder(n, b, act, fixed)
	for l := range n.Layers[:len(n.Layers)-1] {
		e.layer(l, bd.Lo[l], bd.Hi[l])
	}
	last := n.Layers[len(n.Layers)-1]
	q := combine(last.W[0], e.in, last.B[0])
	if n.Skip != nil { // the linear term: objective coefficients, nothing more
		q = combine([]float64{1, 1}, []affine{q, combine(n.Skip, e.x, 0)}, 0)
	}
	for k, col := range q.cols {
		b.SetCost(col, q.vals[k])
	}
	b.SetOffset(q.c)
	return e.enc, e.relus
}

// reluRows adds y = max(0, a) for a in [lo, hi] with lo < 0 < hi.
func reluRows(b *solver.Builder, a affine, lo, hi float64, name string) relu {
	y := b.AddCol("y"+name, 0, 0, hi, solver.Continuous)
	z := b.AddCol("z"+name, 0, 0, 1, solver.Integer)
	cols := append([]int{y}, a.cols...)
	neg := make([]float64, 1, len(cols)+1)
	neg[0] = 1
	for _, v := range a.vals {
		neg = append(neg, -v)
	}
	b.AddRow("ge"+name, a.c, math.Inf(1), cols, neg)                                           // y − a ≥ 0
	b.AddRow("le"+name, math.Inf(-1), a.c-lo, append(cols, z), append(slices.Clone(neg), -lo)) // y − a − L·z ≤ −L
	b.AddRow("on"+name, math.Inf(-1), 0, []int{y, z}, []float64{1, -hi})                       // y ≤ U·z
	return relu{a: a, y: y, z: z}
}

// startTo writes into x (whose first entries hold a point of the
// fragment) every unstable neuron's y and z by a forward pass, so that x
// satisfies the encoding's rows whenever the fragment point lies in the
// domain the bounds hold on.
func startTo(x []float64, relus []relu) {
	for _, r := range relus {
		if v := r.a.at(x); v > 0 {
			x[r.y], x[r.z] = v, 1
		} else {
			x[r.y], x[r.z] = 0, 0
		}
	}
}
