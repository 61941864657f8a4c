package bnb

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/corl-go/corl/internal/highstest"
	"github.com/corl-go/corl/solver"
)

// inBounds reports whether x lies in m's column bounds, its integer
// columns integral.
func inBounds(m *solver.Model, x []float64) bool {
	for j, v := range x {
		if v < m.ColLower[j]-1e-9 || v > m.ColUpper[j]+1e-9 {
			return false
		}
		if m.ColType(j) == solver.Integer && v != math.Round(v) {
			return false
		}
	}
	return true
}

// placeable reports, by trying every column of every item of set, whether
// the set's items fit the model's rows together, one column each, every
// other column at its lower bound.
func placeable(p mkp, set [][]int) bool {
	m := p.m
	x := append([]float64(nil), m.ColLower...)
	act := make([]float64, m.NumRows())
	var rec func(q int) bool
	rec = func(q int) bool {
		if q == len(set) {
			return satisfies(m, act, x)
		}
		for _, j := range set[q] {
			x[j] = 1
			ok := rec(q + 1)
			x[j] = 0
			if ok {
				return true
			}
		}
		return false
	}
	return rec(0)
}

// The pooled heuristic on small random multiple knapsacks, against
// enumeration: every placement it makes satisfies the model's rows; with
// budgets far above what they need its first solution is the model's
// optimum (every level above it is listed in full, and each set's
// placement is a complete search; with a fractional objective, where
// the first level is the pooled optimum's and the second every improving
// set, where the pooled optimum is the model's); and on random item sets
// its placement succeeds exactly where trying every column of every item
// finds one.
func TestPooledHeuristic(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 5))
	ran, placements, sets, fits := 0, 0, 0, 0
	for k := range 150 {
		n, K := 7+rng.IntN(4), 2
		if rng.IntN(3) == 0 {
			n, K = 8, 3
		}
		p := randomMKP(rng, n, K, k%2 == 1, k%3 == 2)
		frac := k%4 == 3 // a fractional objective: the optimum's level, then every improving set
		if frac {
			for j := range p.m.Cost {
				p.m.Cost[j] *= 0.37
			}
		}
		s, err := NewSearch(context.Background(), highstest.New(t), p.m, Config{Cuts: onlyAggCover})
		if err != nil {
			t.Fatal(err)
		}
		s.buildAggKnapsacks()
		if math.IsInf(s.agg.bound, -1) {
			s.Close()
			continue
		}
		ran++
		act := make([]float64, p.m.NumRows())
		s.placeHook = func(x []float64) {
			placements++
			if !inBounds(p.m, x) || !satisfies(p.m, act, x) {
				t.Fatalf("instance %d: the placement %v breaks a row or bound of the model", k, x)
			}
		}
		for range 100 { // budgets far above what these instances need
			if s.pooledSt.done || s.incumbent != nil {
				break
			}
			s.pooled(1_000_000)
		}
		best := math.Inf(-1)
		p.points(func(x []float64) { best = math.Max(best, p.m.ObjectiveValue(x)) })
		inc, obj := s.Incumbent()
		switch {
		case inc == nil:
			t.Fatalf("instance %d: no solution, the optimum is %v", k, best)
		case obj > best+1e-6 || (math.Abs(obj-best) > 1e-6 && (!frac || math.Abs(-s.agg.bound-best) < 1e-6)):
			t.Fatalf("instance %d: the heuristic's first solution is %v, the optimum %v (pooled %v)", k, obj, best, -s.agg.bound)
		case !inBounds(p.m, inc) || !satisfies(p.m, act, inc):
			t.Fatalf("instance %d: the solution %v is infeasible", k, inc)
		}
		// Random sets of the pooled items, placed against enumeration.
		ps := &s.pooledSt
		item := make(map[int][]int) // a column's item's columns
		for _, cols := range p.items {
			for _, j := range cols {
				item[j] = cols
			}
		}
		for range 20 {
			var set [][]int
			for g := range ps.in {
				ps.in[g] = rng.IntN(3) == 0
				if !ps.in[g] {
					continue
				}
				for _, j := range ps.items[g].colIn {
					if j >= 0 {
						cols, ok := item[j]
						if !ok {
							cols = []int{j} // a column of one knapsack alone
						}
						set = append(set, cols)
						break
					}
				}
			}
			sets++
			nodes, ok := s.place(1_000_000)
			if nodes >= 1_000_000 {
				t.Fatalf("instance %d: placing the items %v took the whole budget", k, set)
			}
			if want := placeable(p, set); ok != want {
				t.Fatalf("instance %d: placing the items %v: %v, enumeration %v", k, set, ok, want)
			}
			if ok {
				fits++
				if !inBounds(p.m, ps.x) || !satisfies(p.m, act, ps.x) {
					t.Fatalf("instance %d: the placement %v breaks a row or bound of the model", k, ps.x)
				}
				for _, cols := range set {
					on := 0.0
					for _, j := range cols {
						on += ps.x[j]
					}
					if on != 1 {
						t.Fatalf("instance %d: the placement %v puts the item %v in %v knapsacks", k, ps.x, cols, on)
					}
				}
			}
		}
		s.Close()
	}
	t.Logf("%d instances with a pooled bound, %d placements listed; %d random sets, %d of them placeable", ran, placements, sets, fits)
	if ran < 40 || fits < 200 || sets-fits < 200 {
		t.Errorf("too little checked: %d instances, %d random sets placeable and %d not", ran, fits, sets-fits)
	}
}

// The heuristic runs in a search only where the pooled bound is below
// the incumbent, and the search's solution is the optimum; without the
// pooled knapsack (aggregated covers off) it never runs.
func TestPooledHeuristicInSearch(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 6))
	found := 0
	for k := range 20 {
		p := randomMKP(rng, 9, 2, k%2 == 1, false)
		best := math.Inf(-1)
		p.points(func(x []float64) { best = math.Max(best, p.m.ObjectiveValue(x)) })
		for _, cuts := range []Cuts{{}, {NoAggCover: true}} {
			res, err := Solve(context.Background(), highstest.New(t), p.m, PseudoCost{}, Config{Cuts: cuts})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != solver.StatusOptimal || math.Abs(res.Objective-best) > 1e-6 {
				t.Fatalf("instance %d: %v %v, the optimum %v", k, res.Status, res.Objective, best)
			}
			if calls := res.Stats.Heuristics[Pooled].Calls; cuts.NoAggCover && calls != 0 {
				t.Fatalf("instance %d: the pooled heuristic ran %d times without aggregated covers", k, calls)
			}
			for _, f := range res.Stats.Found {
				if f.By == Pooled {
					found++
				}
			}
		}
	}
	if found == 0 {
		t.Errorf("the pooled heuristic found no solution in 20 searches")
	}
}
