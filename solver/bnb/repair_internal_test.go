package bnb

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/corl-go/corl/internal/highstest"
	"github.com/corl-go/corl/solver"
)

// TestIntegralRepairByHand: on max z, z − 1000y ≤ 0, y binary, z in
// [0, 1000], the LP point (y, z) = (5e-7, 5e-4) is integral within the
// tolerance, but rounded it is (0, 5e-4), whose row is violated by 5e-4.
// The repair solves the LP in z with y fixed at 0 and offers (0, 0), the
// only feasible point with y = 0. A point whose rounding keeps its rows
// (y = 1 − 5e-7, z = 999.9995) is offered as it is, rounded.
func TestIntegralRepairByHand(t *testing.T) {
	inf := math.Inf(1)
	m := &solver.Model{
		Sense:    solver.Maximize,
		Cost:     []float64{0, 1},
		ColLower: []float64{0, 0},
		ColUpper: []float64{1, 1000},
		Type:     []solver.VarType{solver.Integer, solver.Continuous},
		RowLower: []float64{-inf},
		RowUpper: []float64{0},
		Start:    []int{0, 1, 2},
		Index:    []int{0, 0},
		Value:    []float64{-1000, 1},
	}
	ctx := context.Background()
	s, err := NewSearch(ctx, highstest.New(t), m, Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.offerIntegral(ctx, []float64{5e-7, 5e-4}, false); err != nil {
		t.Fatal(err)
	}
	x, obj := s.Incumbent()
	if !slices.Equal(x, []float64{0, 0}) || obj != 0 || s.stats.IntegralRepairs != 1 {
		t.Fatalf("incumbent %v (%v) after %d repairs; want [0 0] (0) after 1", x, obj, s.stats.IntegralRepairs)
	}
	if err := s.offerIntegral(ctx, []float64{1 - 5e-7, 999.9995}, false); err != nil {
		t.Fatal(err)
	}
	x, obj = s.Incumbent()
	if !slices.Equal(x, []float64{1, 999.9995}) || obj != 999.9995 || s.stats.IntegralRepairs != 1 {
		t.Fatalf("incumbent %v (%v) after %d repairs; want [1 999.9995] (999.9995) after 1", x, obj, s.stats.IntegralRepairs)
	}
}
