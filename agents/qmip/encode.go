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
// big-M constants are its own bounds, never a constant. Encode sets the
// objective (costs and offset) of b; the sense is the caller's to set.
func (n Net) Encode(b *solver.Builder, act []int, fixed []float64, bd Bounds) Encoding {
	var enc Encoding
	in := make([]affine, len(act)+len(fixed))
	for k, col := range act {
		in[k] = affine{cols: []int{col}, vals: []float64{1}}
	}
	for k, v := range fixed {
		in[len(act)+k] = affine{c: v}
	}
	for l, ly := range n.Layers[:len(n.Layers)-1] {
		out := make([]affine, len(ly.W))
		for i, row := range ly.W {
			a := combine(row, in, ly.B[i])
			lo, hi := bd.Lo[l][i], bd.Hi[l][i]
			switch {
			case hi <= 0:
				enc.StableOff++
				out[i] = affine{}
			case lo >= 0:
				enc.StableOn++
				out[i] = a
			default:
				enc.Binaries++
				out[i] = reluRows(b, a, lo, hi, "h"+strconv.Itoa(l)+"_"+strconv.Itoa(i))
			}
		}
		in = out
	}
	last := n.Layers[len(n.Layers)-1]
	q := combine(last.W[0], in, last.B[0])
	for k, col := range q.cols {
		b.SetCost(col, q.vals[k])
	}
	b.SetOffset(q.c)
	return enc
}

// reluRows adds y = max(0, a) for a in [lo, hi] with lo < 0 < hi and
// returns y as an affine term.
func reluRows(b *solver.Builder, a affine, lo, hi float64, name string) affine {
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
	return affine{cols: []int{y}, vals: []float64{1}}
}
