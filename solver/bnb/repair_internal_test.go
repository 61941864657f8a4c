package bnb

import (
	"context"
	"math"
	"slices"
	"testing"

	"github.com/corl-go/corl/internal/highstest"
	"github.com/corl-go/corl/solver"
)

// repairModel is max z, z − 1000y ≤ 0, y binary, z in [0, 1000] (columns
// y, z), and with capped also 2,000,000y ≤ 1.
func repairModel(t *testing.T, capped bool) *solver.Model {
	t.Helper()
	var b solver.Builder
	b.SetSense(solver.Maximize)
	y := b.AddCol("y", 0, 0, 1, solver.Integer)
	z := b.AddCol("z", 1, 0, 1000, solver.Continuous)
	b.AddRow("link", math.Inf(-1), 0, []int{y, z}, []float64{-1000, 1})
	if capped {
		b.AddRow("cap", math.Inf(-1), 1, []int{y}, []float64{2e6})
	}
	m, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestIntegralRepairByHand: on max z, z − 1000y ≤ 0, y binary, z in
// [0, 1000], the LP point (y, z) = (5e-7, 5e-4) is integral within the
// tolerance, but rounded it is (0, 5e-4), whose row is violated by 5e-4.
// The repair solves the LP in z with y fixed at 0 and offers (0, 0), the
// only feasible point with y = 0. A point whose rounding keeps its rows
// (y = 1 − 5e-7, z = 999.9995) is offered as it is, rounded.
func TestIntegralRepairByHand(t *testing.T) {
	m := repairModel(t, false)
	ctx := context.Background()
	s, err := NewSearch(ctx, highstest.New(t), m, Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !s.offerIntegral(ctx, []float64{5e-7, 5e-4}, false) {
		t.Fatal("not repaired")
	}
	x, obj := s.Incumbent()
	if !slices.Equal(x, []float64{0, 0}) || obj != 0 || s.stats.IntegralRepairs != 1 {
		t.Fatalf("incumbent %v (%v) after %d repairs; want [0 0] (0) after 1", x, obj, s.stats.IntegralRepairs)
	}
	if s.offerIntegral(ctx, []float64{1 - 5e-7, 999.9995}, false) {
		t.Fatal("repaired a point whose rounding keeps its row")
	}
	x, obj = s.Incumbent()
	if !slices.Equal(x, []float64{1, 999.9995}) || obj != 999.9995 || s.stats.IntegralRepairs != 1 {
		t.Fatalf("incumbent %v (%v) after %d repairs; want [1 999.9995] (999.9995) after 1", x, obj, s.stats.IntegralRepairs)
	}
}

// TestRepairedNodeKeepsItsBound: with 2,000,000y ≤ 1 added, the root LP
// is (y, z) = (5e-7, 5e-4), integral within the tolerance, so the root
// closes at it; its repair is (0, 0), of value 0, below the root's bound
// 5e-4. The search returns the feasible (0, 0) with the root's bound as
// its dual bound and no claim of optimality: without a branching on y the
// bound is not proved.
func TestRepairedNodeKeepsItsBound(t *testing.T) {
	m := repairModel(t, true)
	r, err := NewRule("mostfrac", 1)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Solve(context.Background(), highstest.New(t), m, r, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stats.IntegralRepairs != 1 || !slices.Equal(res.X, []float64{0, 0}) || res.Objective != 0 {
		t.Fatalf("%v %v after %d repairs; want [0 0] (0) after 1", res.X, res.Objective, res.Stats.IntegralRepairs)
	}
	if res.Status != solver.StatusGapLimit || math.Abs(res.Stats.DualBound-5e-4) > 1e-9 {
		t.Fatalf("status %v, dual bound %v; want gap_limit and the root's bound 5e-4", res.Status, res.Stats.DualBound)
	}
}
