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
			return z[0]
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

// Propagate bounds every hidden pre-activation by interval arithmetic when
// the first nFree inputs range over [0, 1] (the action's binaries) and the
// others are fixed to fixed[k-nFree] (the state). It is exact for the first
// layer over the box and sound, not tight, after it.
func (n Net) Propagate(nFree int, fixed []float64) Bounds {
	lo := make([]float64, nFree+len(fixed))
	hi := make([]float64, len(lo))
	for k := range nFree {
		hi[k] = 1
	}
	copy(lo[nFree:], fixed)
	copy(hi[nFree:], fixed)
	var b Bounds
	for _, ly := range n.Layers[:len(n.Layers)-1] {
		zl, zh := make([]float64, len(ly.W)), make([]float64, len(ly.W))
		for i, row := range ly.W {
			l, h := ly.B[i], ly.B[i]
			for k, w := range row {
				if w >= 0 {
					l, h = l+w*lo[k], h+w*hi[k]
				} else {
					l, h = l+w*hi[k], h+w*lo[k]
				}
			}
			zl[i], zh[i] = l, h
		}
		b.Lo, b.Hi = append(b.Lo, zl), append(b.Hi, zh)
		lo, hi = make([]float64, len(zl)), make([]float64, len(zh))
		for i := range zl {
			lo[i], hi[i] = max(zl[i], 0), max(zh[i], 0)
		}
	}
	return b
}
