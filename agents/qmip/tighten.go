package qmip

import (
	"context"
	"math"
	"slices"

	"github.com/corl-go/corl/solver"
)

// tighten narrows every unstable neuron's bounds in bd by optimisation-based
// bound tightening, layer by layer: the smallest and largest pre-activation
// over the LP relaxation of the family's fragment, a row limiting the
// action to card variables, and the earlier layers' ReLU rows under their
// (already tightened) bounds. After each layer the later layers are
// propagated again from the tightened ones. The LP optima are widened by
// a relative 1e-6 for the solver's tolerances. A neuron whose LP does not
// end optimal keeps its bounds. It returns the new bounds and the number
// of LPs solved; only a cancelled context is an error.
func (sel *Selector) tighten(ctx context.Context, net Net, fixed []float64, card int, bd Bounds) (Bounds, int, error) {
	lps := 0
	for l := range net.Layers[:len(net.Layers)-1] {
		var unstable []int
		for i := range bd.Lo[l] {
			if bd.Lo[l][i] < 0 && bd.Hi[l][i] > 0 {
				unstable = append(unstable, i)
			}
		}
		if len(unstable) == 0 {
			continue
		}
		var b solver.Builder
		act := sel.appendFragment(&b)
		if card < len(act) {
			b.AddRow("card", math.Inf(-1), float64(card), act, slices.Repeat([]float64{1}, len(act)))
		}
		e := newEncoder(net, &b, act, fixed)
		for k := range l {
			e.layer(k, bd.Lo[k], bd.Hi[k])
		}
		pre := e.pre(l)
		m, err := b.Build()
		if err != nil {
			return bd, lps, err
		}
		m.Type = nil // the LP relaxation
		if err := sel.s.Load(m); err != nil {
			return bd, lps, err
		}
		idx := make([]int, m.NumCols())
		for j := range idx {
			idx[j] = j
		}
		cost := make([]float64, m.NumCols())
		for _, i := range unstable {
			a := pre[i]
			for _, sign := range [2]float64{1, -1} { // min a, then min −a = −max a
				clear(cost)
				for k, col := range a.cols {
					cost[col] = sign * a.vals[k]
				}
				if err := sel.s.SetColsCost(idx, cost); err != nil {
					return bd, lps, err
				}
				st, err := sel.s.Solve(ctx)
				lps++
				if err != nil {
					return bd, lps, err
				}
				if st != solver.StatusOptimal {
					continue
				}
				obj, err := sel.s.Objective()
				if err != nil {
					return bd, lps, err
				}
				v := sign*obj + a.c
				pad := 1e-6 * (1 + math.Abs(v))
				if sign > 0 {
					bd.Lo[l][i] = max(bd.Lo[l][i], v-pad)
				} else {
					bd.Hi[l][i] = min(bd.Hi[l][i], v+pad)
				}
			}
		}
		bd = net.propagate(len(act), fixed, card, bd)
	}
	return bd, lps, nil
}
