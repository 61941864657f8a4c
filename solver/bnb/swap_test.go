package bnb

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
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

// matchingModel is maximum independent set on k disjoint edges (2j,
// 2j+1): any one end of each edge is optimal and no exchange gains.
func matchingModel(k int) *solver.Model {
	n := 2 * k
	m := &solver.Model{Sense: solver.Maximize, Cost: make([]float64, n), ColLower: make([]float64, n),
		ColUpper: make([]float64, n), Type: make([]solver.VarType, n)}
	for j := range n {
		m.Cost[j], m.ColUpper[j], m.Type[j] = 1, 1, solver.Integer
		m.Start = append(m.Start, len(m.Index))
		m.Index, m.Value = append(m.Index, j/2), append(m.Value, 1)
	}
	m.Start = append(m.Start, len(m.Index))
	for range k {
		m.RowLower, m.RowUpper = append(m.RowLower, math.Inf(-1)), append(m.RowUpper, 1)
	}
	return m
}

// Where the work cap stops a call within its first pass, the call stays
// within the cap (plus one column's work), the next call goes on from
// the column the last one stopped at, so that successive calls try every
// column as the one out, and two searches make the same calls alike.
func TestSwapWorkCapRotates(t *testing.T) {
	lp := highstest.New(t)
	const k, capWork, calls = 40, 30, 16
	m := matchingModel(k)
	x0 := make([]float64, 2*k)
	for j := 0; j < 2*k; j += 2 {
		x0[j] = 1
	}
	var runs [2][]int
	for r := range runs {
		s, err := NewSearch(context.Background(), lp, m, Config{})
		if err != nil {
			t.Fatal(err)
		}
		s.newIncumbent(x0, true)
		s.swapCap = capWork
		tried := make([]bool, 2*k)
		for c := range calls {
			first, outs, spent := s.swapNext, s.swapOuts, s.swapSpent
			s.swapSearch()
			n := int(s.swapOuts - outs)
			if n <= 0 || n >= 2*k {
				t.Fatalf("run %d call %d: %d columns tried out of %d; the cap does not bind", r, c, n, 2*k)
			}
			// A column's work here is at most 2+2+2+2 (its steps, its row,
			// its neighbour's steps twice).
			if w := s.swapSpent - spent; w > capWork+8 {
				t.Errorf("run %d call %d: work %d, cap %d", r, c, w, capWork)
			}
			for q := range n {
				tried[(first+q)%(2*k)] = true
			}
			if want := (first + n) % (2 * k); s.swapNext != want {
				t.Errorf("run %d call %d: next column %d, want %d (the one the cap stopped before)", r, c, s.swapNext, want)
			}
			runs[r] = append(runs[r], s.swapNext)
		}
		for j, ok := range tried {
			if !ok {
				t.Errorf("run %d: column %d never tried as the one out in %d calls", r, j, calls)
			}
		}
		if _, obj := s.Incumbent(); obj != k {
			t.Errorf("run %d: incumbent %v, want %d", r, obj, k)
		}
	}
	if !slices.Equal(runs[0], runs[1]) {
		t.Errorf("two searches stopped at columns %v and %v", runs[0], runs[1])
	}
}
