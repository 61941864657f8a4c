package bnb

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/corl-go/corl/internal/highstest"
	"github.com/corl-go/corl/solver"
)

// randomFlowMIP is a small fixed-charge network flow: per arc a a flow
// x_a in [0, U_a] (continuous, cost c_a ≥ 0) and an opening y_a (binary,
// cost f_a > 0) with the variable upper bound x_a ≤ u_a·y_a as a row, and
// per node Σ_in x − Σ_out x = d_v with demands summing to zero (some
// fractional). Columns: x_0..x_{A-1}, then y_0..y_{A-1}.
func randomFlowMIP(rng *rand.Rand, nodes, arcs int) *solver.Model {
	var b solver.Builder
	type arc struct{ from, to int }
	as := make([]arc, arcs)
	for a := range as {
		f := rng.IntN(nodes)
		to := rng.IntN(nodes - 1)
		if to >= f {
			to++
		}
		as[a] = arc{f, to}
	}
	u := make([]float64, arcs)
	for a := range as {
		u[a] = float64(2 + rng.IntN(9))
		up := u[a] + float64(rng.IntN(3)) // the simple bound, at or above u_a
		b.AddCol("", float64(rng.IntN(3)), 0, up, solver.Continuous)
	}
	for range as {
		b.AddCol("", float64(1+rng.IntN(9)), 0, 1, solver.Integer)
	}
	for a := range as {
		b.AddRow("", math.Inf(-1), 0, []int{a, arcs + a}, []float64{1, -u[a]})
	}
	d := make([]float64, nodes)
	for v := range nodes - 1 {
		d[v] = float64(rng.IntN(9) - 4)
		if rng.IntN(3) == 0 {
			d[v] += 0.5
		}
		d[nodes-1] -= d[v]
	}
	for v := range nodes {
		var idx []int
		var val []float64
		for a, e := range as {
			switch v {
			case e.to:
				idx, val = append(idx, a), append(val, 1)
			case e.from:
				idx, val = append(idx, a), append(val, -1)
			}
		}
		if len(idx) > 0 || d[v] != 0 {
			b.AddRow("", d[v], d[v], idx, val)
		}
	}
	m, err := b.Build()
	if err != nil {
		panic(err)
	}
	return m
}

// cutMaxOverFlows checks every cut against every mixed-integer feasible
// point of a flow model from randomFlowMIP: for each opening y in {0,1}^A
// whose flow polytope is not empty it maximises each cut's left-hand side
// over the flows by LP, and reports a cut whose maximum exceeds its
// right-hand side. It returns the number of feasible openings.
func cutMaxOverFlows(t *testing.T, m *solver.Model, cuts []*cut, k int) int {
	t.Helper()
	arcs := m.NumCols() / 2
	e := highstest.New(t)
	relax := m.Clone()
	relax.Type = nil
	relax.Sense = solver.Minimize
	clear(relax.Cost)
	if err := e.Load(relax); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	idx := make([]int, m.NumCols())
	for j := range idx {
		idx[j] = j
	}
	cost := make([]float64, m.NumCols())
	yIdx := make([]int, arcs)
	yv := make([]float64, arcs)
	for a := range yIdx {
		yIdx[a] = arcs + a
	}
	feasible := 0
	for mask := range 1 << arcs {
		for a := range yv {
			yv[a] = float64(mask >> a & 1)
		}
		if err := e.SetColsBounds(yIdx, yv, yv); err != nil {
			t.Fatal(err)
		}
		clear(cost)
		if err := e.SetColsCost(idx, cost); err != nil {
			t.Fatal(err)
		}
		st, err := e.Solve(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st == solver.StatusInfeasible {
			continue
		}
		if st != solver.StatusOptimal {
			t.Fatalf("instance %d, openings %v: LP status %v", k, yv, st)
		}
		feasible++
		for _, c := range cuts {
			clear(cost)
			for q, j := range c.idx {
				cost[j] = -c.val[q] // maximise the left-hand side
			}
			if err := e.SetColsCost(idx, cost); err != nil {
				t.Fatal(err)
			}
			if st, err := e.Solve(ctx); err != nil || st != solver.StatusOptimal {
				t.Fatalf("instance %d, openings %v: LP status %v, %v", k, yv, st, err)
			}
			obj, err := e.Objective()
			if err != nil {
				t.Fatal(err)
			}
			if lhs := -obj; lhs > c.rhs+1e-7*math.Max(1, math.Abs(c.rhs)) {
				x, _ := e.Primal()
				t.Fatalf("instance %d: %v cut %v·x ≤ %v removes the feasible point %v (lhs %v)", k, c.kind, c.val, c.rhs, x, lhs)
			}
		}
	}
	return feasible
}

// No cut removes a mixed-integer feasible point of a fixed-charge network
// flow, the structure of variable upper bounds and flow conservation that
// the c-MIR's substitution and path aggregation work on: every cut of a
// search with cuts at every node, against every opening of the arcs and
// the flows it allows (by LP); and the search's optimum is HiGHS's.
func TestCutsKeepFlowPoints(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 3))
	instances := 60
	if testing.Short() {
		instances = 20
	}
	kinds, total, withMIR := [NumCutKinds]int{}, 0, 0
	for k := range instances {
		m := randomFlowMIP(rng, 3+rng.IntN(3), 4+rng.IntN(4))
		cuts, res := searchCuts(t, m, Cuts{}, 200)
		mir := 0
		for _, c := range cuts {
			kinds[c.kind]++
			if c.kind == MIR {
				mir++
			}
		}
		if mir > 0 {
			withMIR++
		}
		total += len(cuts)
		feasible := cutMaxOverFlows(t, m, cuts, k)
		st, want, _ := highsOptimum(t, m)
		switch {
		case res.Status == solver.StatusNodeLimit:
		case feasible == 0 && res.Status != solver.StatusInfeasible:
			t.Fatalf("instance %d: status %v, no opening is feasible", k, res.Status)
		case feasible > 0 && (res.Status != solver.StatusOptimal || st != solver.StatusOptimal || math.Abs(res.Objective-want) > 1e-6*math.Max(1, math.Abs(want))):
			t.Fatalf("instance %d: %v %v, HiGHS %v %v", k, res.Status, res.Objective, st, want)
		}
	}
	t.Logf("%d cuts checked on %d instances (%d with MIR cuts): %v by kind", total, instances, withMIR, kinds)
	if kinds[MIR] == 0 {
		t.Error("no MIR cut was checked")
	}
}
