package bnb

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/corl-go/corl/internal/highstest"
	"github.com/corl-go/corl/solver"
)

// starModel is maximum independent set on a star of k leaves, edge
// formulation: column 0 the centre, columns 1..k the leaves.
func starModel(k int) *solver.Model {
	n := k + 1
	m := &solver.Model{Sense: solver.Maximize, Cost: make([]float64, n), ColLower: make([]float64, n),
		ColUpper: make([]float64, n), Type: make([]solver.VarType, n)}
	for j := range n {
		m.Cost[j], m.ColUpper[j], m.Type[j] = 1, 1, solver.Integer
	}
	for range k {
		m.RowLower, m.RowUpper = append(m.RowLower, math.Inf(-1)), append(m.RowUpper, 1)
	}
	m.Start = append(m.Start, 0)
	for i := range k { // the centre is in every edge
		m.Index, m.Value = append(m.Index, i), append(m.Value, 1)
	}
	for j := 1; j < n; j++ {
		m.Start = append(m.Start, len(m.Index))
		m.Index, m.Value = append(m.Index, j-1), append(m.Value, 1)
	}
	m.Start = append(m.Start, len(m.Index))
	return m
}

// On a star, the centre alone is a local optimum of one-opt (every leaf
// is held by its edge) and the swap search's first exchange, the centre
// out and every leaf in, gives the optimum k.
func TestSwapStar(t *testing.T) {
	lp := highstest.New(t)
	m := starModel(4)
	for _, noSwap := range []bool{true, false} {
		s, err := NewSearch(context.Background(), lp, m, Config{Heuristics: Heuristics{NoSwap: noSwap}})
		if err != nil {
			t.Fatal(err)
		}
		s.newIncumbent([]float64{1, 0, 0, 0, 0}, true)
		s.improveDue()
		x, obj := s.Incumbent()
		want := 4.0
		if noSwap {
			want = 1
		}
		if obj != want {
			t.Errorf("swap off %v: incumbent %v of %v, want %v", noSwap, x, obj, want)
		}
		if st := s.Stats().Heuristics[Swap]; noSwap != (st.Calls == 0) || !noSwap && st.Successes != 1 {
			t.Errorf("swap off %v: stats %+v", noSwap, st)
		}
	}
}

// The swap search, started from every feasible grid point of random
// small MIPs (both senses, coefficients of both signs, equality and ranged
// rows, continuous columns), leaves an incumbent that satisfies every
// bound, row and integrality, no worse than one-opt's and no better than
// the best feasible point found by brute force; it improves on one-opt's
// local optimum from some starts.
func TestSwapRandomMIPs(t *testing.T) {
	lp := highstest.New(t)
	rng := rand.New(rand.NewPCG(29, 3))
	starts, beyond := 0, 0
	for k := range 150 {
		c := randomOneOptCase(rng)
		best := math.Inf(1)
		sg := 1.0
		if c.m.Sense == solver.Maximize {
			sg = -1
		}
		for _, x := range c.feasible {
			best = math.Min(best, sg*oneOptObjective(c.m, x))
		}
		for _, x0 := range c.feasible {
			var objs [2]float64
			for q, noSwap := range []bool{true, false} {
				s, err := NewSearch(context.Background(), lp, c.m, Config{Heuristics: Heuristics{NoSwap: noSwap}})
				if err != nil {
					t.Fatalf("model %d: %v", k, err)
				}
				s.newIncumbent(x0, true)
				s.improveDue()
				x, obj := s.Incumbent()
				if why := oneOptViolation(c.m, x); why != "" {
					t.Fatalf("model %d %+v from %v (swap off %v): gave %v, which breaks %s", k, c.m, x0, noSwap, x, why)
				}
				if got := oneOptObjective(c.m, x); got != obj {
					t.Fatalf("model %d from %v: incumbent %v has objective %v, the search says %v", k, x0, x, got, obj)
				}
				if sg*obj < best-1e-9 {
					t.Fatalf("model %d from %v: %v of %v beats the brute-force optimum %v", k, x0, x, obj, sg*best)
				}
				objs[q] = sg * obj
			}
			starts++
			if objs[1] > objs[0] {
				t.Fatalf("model %d %+v from %v: with the swap search %v, worse than one-opt's %v", k, c.m, x0, sg*objs[1], sg*objs[0])
			}
			if objs[1] < objs[0] {
				beyond++
			}
		}
	}
	t.Logf("%d starts, %d improved beyond one-opt", starts, beyond)
	if starts < 500 || beyond < 20 {
		t.Errorf("%d starts, %d improved beyond one-opt: the models do not exercise the swap search", starts, beyond)
	}
}
