package qmip

import (
	"fmt"
	"math"
	"slices"

	"github.com/corl-go/corl/nn"
)

// Layer is one affine map z = W·x + B, with W row-major: W[i] holds the
// weights of output i.
type Layer struct {
	W [][]float64
	B []float64
}

// Net is a ReLU network: a ReLU after every layer but the last, whose
// single output is Q. It is the float64 form of a trained nn.MLP that the
// MIP encoding reads.
type Net struct {
	Layers []Layer
	// Features is the input layout: FeaturesPlain ("" too) or
	// FeaturesProduct (set by whoever made the network from its weights).
	Features string
	// Skip, when not nil, is a linear term over the input added to the
	// output: Q(x) = MLP(x) + Skip·x. It enters the MIP as objective
	// coefficients, with no row and no binary.
	Skip []float64
}

// skip returns Skip·x (0 without a skip term).
func (n Net) skip(x []float64) float64 {
	s := 0.0
	for k, w := range n.Skip {
		s += w * x[k]
	}
	return s
}

// In is the number of inputs.
func (n Net) In() int { return len(n.Layers[0].W[0]) }

// Validate checks that the layers chain and end in one output.
func (n Net) Validate() error {
	if len(n.Layers) < 1 {
		return fmt.Errorf("qmip: network has no layers")
	}
	in := -1
	for l, ly := range n.Layers {
		if len(ly.W) == 0 || len(ly.W) != len(ly.B) {
			return fmt.Errorf("qmip: layer %d has %d weight rows and %d biases", l, len(ly.W), len(ly.B))
		}
		for _, row := range ly.W {
			if in >= 0 && len(row) != in || len(row) == 0 {
				return fmt.Errorf("qmip: layer %d has rows of %d inputs, want %d", l, len(row), in)
			}
			for _, w := range row {
				if math.IsNaN(w) || math.IsInf(w, 0) {
					return fmt.Errorf("qmip: layer %d has a non-finite weight", l)
				}
			}
			if in < 0 {
				in = len(row)
			}
		}
		in = len(ly.W)
	}
	if in != 1 {
		return fmt.Errorf("qmip: the last layer has %d outputs, want 1 (Q)", in)
	}
	if n.Skip != nil && len(n.Skip) != n.In() {
		return fmt.Errorf("qmip: skip term has %d weights, the network %d inputs", len(n.Skip), n.In())
	}
	for _, w := range n.Skip {
		if math.IsNaN(w) || math.IsInf(w, 0) {
			return fmt.Errorf("qmip: the skip term has a non-finite weight")
		}
	}
	return nil
}

// Forward returns Q(x) and, when acts is not nil, appends every hidden
// layer's pre-activations to it (one slice per hidden layer).
func (n Net) Forward(x []float64, acts *[][]float64) float64 {
	h := x
	for l, ly := range n.Layers {
		z := make([]float64, len(ly.W))
		for i, row := range ly.W {
			s := ly.B[i]
			for k, w := range row {
				s += w * h[k]
			}
			z[i] = s
		}
		if l == len(n.Layers)-1 {
			return z[0] + n.skip(x)
		}
		if acts != nil {
			*acts = append(*acts, slices.Clone(z))
		}
		for i := range z {
			z[i] = max(z[i], 0)
		}
		h = z
	}
	panic("unreachable")
}

// ForwardRows writes Q(xs[r]) into dst[r] for every input, going through
// each layer's weights once for all of them, with buffers from scratch
// (grown when short, and returned for the next call): the values are
// Forward's to the bit, each sum taken in the same order.
func (n Net) ForwardRows(dst []float64, xs [][]float64, scratch []float64) []float64 {
	rows, width := len(xs), 0
	for _, ly := range n.Layers {
		width = max(width, len(ly.W))
	}
	if need := 2 * rows * width; cap(scratch) < need {
		scratch = make([]float64, need)
	}
	h, z := scratch[:rows*width], scratch[rows*width:2*rows*width]
	for l, ly := range n.Layers {
		last := l == len(n.Layers)-1
		for i, row := range ly.W {
			for r := range rows {
				x := xs[r]
				if l > 0 {
					x = h[r*width : r*width+len(row)]
				}
				s := ly.B[i]
				for k, w := range row {
					s += w * x[k]
				}
				if last {
					dst[r] = s + n.skip(xs[r])
				} else {
					z[r*width+i] = max(s, 0)
				}
			}
		}
		h, z = z, h
	}
	return scratch
}

// FromMLP copies an nn.MLP's weights (hidden ReLU, no output activation,
// one output) into a Net.
func FromMLP(m *nn.MLP) (Net, error) {
	if m.Config.Hidden != nn.ActReLU && m.Config.Hidden != "" {
		return Net{}, fmt.Errorf("qmip: hidden activation %q, want relu", m.Config.Hidden)
	}
	if m.Config.Output != nn.ActNone && m.Config.Output != "" {
		return Net{}, fmt.Errorf("qmip: output activation %q, want none", m.Config.Output)
	}
	var n Net
	for _, l := range m.Layers {
		sh := l.Weight.Shape()
		w := l.Weight.Data()
		ly := Layer{W: make([][]float64, sh[0]), B: make([]float64, sh[0])}
		for i := range sh[0] {
			ly.W[i] = make([]float64, sh[1])
			for k := range sh[1] {
				ly.W[i][k] = float64(w[i*sh[1]+k])
			}
		}
		if l.Bias != nil {
			for i, b := range l.Bias.Data() {
				ly.B[i] = float64(b)
			}
		}
		n.Layers = append(n.Layers, ly)
	}
	return n, n.Validate()
}

// Bounds holds, per hidden layer and neuron, an interval that contains the
// neuron's pre-activation for every input in the domain Propagate was given.
type Bounds struct {
	Lo, Hi [][]float64
}

// Propagate bounds every hidden pre-activation when the first nFree inputs
// are binaries with at most card of them set (the action: card is the
// largest feasible action's size; card <= 0 or >= nFree means no limit)
// and the others are fixed to fixed (the state).
//
// Each neuron carries two affine functions of the binaries, one below and
// one above its pre-activation on the whole domain (the first layer's are
// exact), and its bounds are their extremes over the domain: the constant
// plus the card largest (smallest) coefficients. Through a ReLU whose
// bounds [L, U] straddle 0, the upper function becomes U(z − L)/(U − L)
// and the lower one z or 0 (whichever loses less area), the linear
// relaxation of symbolic interval propagation (DeepPoly, CROWN). Plain
// interval arithmetic is computed too and the tighter of the two kept.
func (n Net) Propagate(nFree int, fixed []float64, card int) Bounds {
	return n.propagate(nFree, fixed, card, Bounds{})
}

// propagate is Propagate intersected, layer by layer, with prior bounds
// known to hold on the domain (none when prior is zero), so that bounds
// tightened in an earlier layer tighten the later ones.
func (n Net) propagate(nFree int, fixed []float64, card int, prior Bounds) Bounds {
	if card <= 0 || card > nFree {
		card = nFree
	}
	// lo, hi: per input of the current layer, affine functions of the
	// binaries bounding it; box: its interval-arithmetic bounds.
	lo := make([]linear, nFree+len(fixed))
	hi := make([]linear, len(lo))
	boxLo, boxHi := make([]float64, len(lo)), make([]float64, len(lo))
	for k := range nFree {
		e := linear{coef: make([]float64, nFree)}
		e.coef[k] = 1
		lo[k], hi[k] = e, e
		boxHi[k] = 1
	}
	for k, v := range fixed {
		lo[nFree+k], hi[nFree+k] = linear{c: v}, linear{c: v}
		boxLo[nFree+k], boxHi[nFree+k] = v, v
	}
	var b Bounds
	for l, ly := range n.Layers[:len(n.Layers)-1] {
		m := len(ly.W)
		zl, zh := make([]float64, m), make([]float64, m)
		nlo, nhi := make([]linear, m), make([]linear, m)
		for i, row := range ly.W {
			up, down := linear{c: ly.B[i], coef: make([]float64, nFree)}, linear{c: ly.B[i], coef: make([]float64, nFree)}
			il, ih := ly.B[i], ly.B[i]
			for k, w := range row {
				if w >= 0 {
					up.add(w, hi[k])
					down.add(w, lo[k])
					il, ih = il+w*boxLo[k], ih+w*boxHi[k]
				} else {
					up.add(w, lo[k])
					down.add(w, hi[k])
					il, ih = il+w*boxHi[k], ih+w*boxLo[k]
				}
			}
			zl[i] = max(down.min(card), il)
			zh[i] = min(up.max(card), ih)
			if prior.Lo != nil {
				zl[i] = max(zl[i], prior.Lo[l][i])
				zh[i] = min(zh[i], prior.Hi[l][i])
			}
			nlo[i], nhi[i] = down, up
		}
		b.Lo, b.Hi = append(b.Lo, zl), append(b.Hi, zh)
		// through the ReLUs
		boxLo, boxHi = make([]float64, m), make([]float64, m)
		for i := range m {
			L, U := zl[i], zh[i]
			boxLo[i], boxHi[i] = max(L, 0), max(U, 0)
			switch {
			case U <= 0:
				nlo[i], nhi[i] = linear{}, linear{}
			case L >= 0:
			default:
				s := U / (U - L)
				nhi[i] = nhi[i].scaled(s, -s*L)
				if U < -L {
					nlo[i] = linear{}
				}
			}
		}
		lo, hi = nlo, nhi
	}
	return b
}

// linear is c + coef·x over the binaries (a nil coef is all zeros).
type linear struct {
	coef []float64
	c    float64
}

// add adds w·e.
func (l *linear) add(w float64, e linear) {
	l.c += w * e.c
	for k, v := range e.coef {
		l.coef[k] += w * v
	}
}

// scaled returns s·l + t.
func (l linear) scaled(s, t float64) linear {
	out := linear{c: s*l.c + t, coef: make([]float64, len(l.coef))}
	for k, v := range l.coef {
		out.coef[k] = s * v
	}
	return out
}

// max is the largest value over binaries with at most card set: the
// constant plus the card largest positive coefficients.
func (l linear) max(card int) float64 { return l.c + topSum(l.coef, card, 1) }

// min is the smallest value over the same domain.
func (l linear) min(card int) float64 { return l.c - topSum(l.coef, card, -1) }

// topSum returns the sum of the card largest positive values of sign·v.
func topSum(v []float64, card int, sign float64) float64 {
	var pos []float64
	for _, x := range v {
		if sign*x > 0 {
			pos = append(pos, sign*x)
		}
	}
	if len(pos) > card {
		slices.Sort(pos)
		pos = pos[len(pos)-card:]
	}
	s := 0.0
	for _, x := range pos {
		s += x
	}
	return s
}
