package bnb

import (
	"math"
	"testing"

	"github.com/corl-go/corl/solver"
)

// TestDiveChoiceLockedSide: a column simple rounding could repair is
// fixed to the side a row locks (a packing column up, a covering column
// down), and only when no column rounding cannot repair is fractional;
// among those the dive kind chooses.
func TestDiveChoiceLockedSide(t *testing.T) {
	// Columns 0 and 1 pack (x0 + x1 <= 1), columns 2 and 3 cover
	// (x2 + x3 >= 1), column 4 is in a packing and a covering row
	// (x4 + x0 <= 1, x4 + x2 >= 1): both its sides are locked.
	var b solver.Builder
	for range 5 {
		b.AddCol("", 1, 0, 1, solver.Integer)
	}
	b.AddRow("", math.Inf(-1), 1, []int{0, 1}, []float64{1, 1})
	b.AddRow("", 1, math.Inf(1), []int{2, 3}, []float64{1, 1})
	b.AddRow("", math.Inf(-1), 1, []int{4, 0}, []float64{1, 1})
	b.AddRow("", 1, math.Inf(1), []int{4, 2}, []float64{1, 1})
	s := searchOf(t, &b)
	lo, up := make([]float64, 5), []float64{1, 1, 1, 1, 1}
	for _, c := range []struct {
		name     string
		x        []float64
		col, dir int
	}{
		{"packing column", []float64{0, 0.3, 0, 0, 0}, 1, 1},
		{"covering column", []float64{0, 0, 0, 0.7, 0}, 3, -1},
		{"locked both ways first", []float64{0, 0.5, 0, 0.5, 0.9}, 4, 1},
		{"integral", []float64{0, 1, 1, 0, 0}, -1, 0},
	} {
		for _, kind := range []Heuristic{FractionalDive, CoefficientDive, PseudocostDive} {
			col, dir := s.diveChoice(kind, c.x, lo, up)
			if col != c.col || (col >= 0 && dir != c.dir) {
				t.Errorf("%s, %v: column %d side %d, want %d side %d", c.name, kind, col, dir, c.col, c.dir)
			}
		}
	}
}
