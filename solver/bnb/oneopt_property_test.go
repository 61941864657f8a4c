package bnb

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/corl-go/corl/internal/highstest"
	"github.com/corl-go/corl/solver"
)

// oneOptCase is a small random MIP and the points of its grid (integer
// columns at every integer of their bounds, continuous ones at their
// bounds and midpoint) that satisfy it, found by brute force.
type oneOptCase struct {
	m        *solver.Model
	feasible [][]float64
}

// randomOneOptCase draws a model of 2 to 5 columns (at least one
// integer; continuous ones too) and 1 to 3 rows with coefficients of both
// signs, each row a ≤, ≥, equality or ranged row around the activity of
// a random grid point, so that point satisfies it.
func randomOneOptCase(rng *rand.Rand) oneOptCase {
	inf := math.Inf(1)
	n, r := 2+rng.IntN(4), 1+rng.IntN(3)
	m := &solver.Model{Sense: solver.Minimize, Cost: make([]float64, n), ColLower: make([]float64, n),
		ColUpper: make([]float64, n), Type: make([]solver.VarType, n), RowLower: make([]float64, r), RowUpper: make([]float64, r)}
	if rng.IntN(2) == 1 {
		m.Sense = solver.Maximize
	}
	grids := make([][]float64, n)
	for j := range n {
		if j == 0 || rng.IntN(4) > 0 {
			lo := float64(rng.IntN(3) - 1)
			m.ColLower[j], m.ColUpper[j], m.Type[j] = lo, lo+float64(1+rng.IntN(3)), solver.Integer
			for v := m.ColLower[j]; v <= m.ColUpper[j]; v++ {
				grids[j] = append(grids[j], v)
			}
		} else {
			m.ColLower[j], m.ColUpper[j] = -1.5, 2
			grids[j] = []float64{-1.5, 0.25, 2}
		}
		m.Cost[j] = float64(rng.IntN(11) - 5)
	}
	dense := make([][]float64, r) // by row
	for i := range r {
		dense[i] = make([]float64, n)
		for j := range n {
			if rng.IntN(3) > 0 {
				dense[i][j] = float64(rng.IntN(7) - 3)
			}
		}
	}
	for j := range n {
		m.Start = append(m.Start, len(m.Index))
		for i := range r {
			if a := dense[i][j]; a != 0 {
				m.Index, m.Value = append(m.Index, i), append(m.Value, a)
			}
		}
	}
	m.Start = append(m.Start, len(m.Index))
	x0 := make([]float64, n)
	for j := range n {
		x0[j] = grids[j][rng.IntN(len(grids[j]))]
	}
	act := m.RowActivitiesTo(make([]float64, r), x0)
	for i := range r {
		lo, up := act[i]-float64(rng.IntN(3)), act[i]+float64(rng.IntN(3))
		switch rng.IntN(4) {
		case 0:
			lo = -inf
		case 1:
			up = inf
		case 2:
			lo, up = act[i], act[i]
		}
		m.RowLower[i], m.RowUpper[i] = lo, up
	}
	c := oneOptCase{m: m}
	x := make([]float64, n)
	var walk func(j int)
	walk = func(j int) {
		if j == n {
			if oneOptViolation(m, x) == "" {
				c.feasible = append(c.feasible, append([]float64(nil), x...))
			}
			return
		}
		for _, v := range grids[j] {
			x[j] = v
			walk(j + 1)
		}
	}
	walk(0)
	return c
}

// oneOptViolation says how x breaks the model's bounds, integrality or
// rows ("": it does not).
func oneOptViolation(m *solver.Model, x []float64) string {
	for j, v := range x {
		switch {
		case v < m.ColLower[j] || v > m.ColUpper[j]:
			return "a column bound"
		case m.Type[j] == solver.Integer && v != math.Round(v):
			return "integrality"
		}
	}
	for i, a := range m.RowActivitiesTo(make([]float64, len(m.RowLower)), x) {
		if a < m.RowLower[i]-1e-9 || a > m.RowUpper[i]+1e-9 {
			return "a row"
		}
	}
	return ""
}

func oneOptObjective(m *solver.Model, x []float64) float64 {
	obj := m.Offset
	for j, v := range x {
		obj += m.Cost[j] * v
	}
	return obj
}

// One-opt, started from every feasible grid point of random small MIPs
// (both senses, coefficients of both signs, equality and ranged rows,
// continuous columns), leaves an incumbent that satisfies every bound,
// row and integrality, and is no worse than the start; it improves some,
// and some of its shifts are held by a row's lower bound.
func TestOneOptRandomMIPs(t *testing.T) {
	lp := highstest.New(t)
	rng := rand.New(rand.NewPCG(13, 5))
	starts, improved, lowerHeld := 0, 0, 0
	for k := range 150 {
		c := randomOneOptCase(rng)
		for _, x0 := range c.feasible {
			s, err := NewSearch(context.Background(), lp, c.m, Config{})
			if err != nil {
				t.Fatalf("model %d: %v", k, err)
			}
			starts++
			s.newIncumbent(x0, true)
			s.oneOptDue()
			x, obj := s.Incumbent()
			if why := oneOptViolation(c.m, x); why != "" {
				t.Fatalf("model %d %+v from %v: one-opt gave %v, which breaks %s", k, c.m, x0, x, why)
			}
			start := oneOptObjective(c.m, x0)
			if got := oneOptObjective(c.m, x); got != obj {
				t.Fatalf("model %d from %v: incumbent %v has objective %v, the search says %v", k, x0, x, got, obj)
			}
			worse := obj > start
			if c.m.Sense == solver.Maximize {
				worse = obj < start
			}
			if worse {
				t.Fatalf("model %d %+v from %v: one-opt gave %v of %v, worse than %v", k, c.m, x0, x, obj, start)
			}
			if obj != start {
				improved++
				if oneOptHeldByLower(s, c.m, x0, x) {
					lowerHeld++
				}
			}
		}
	}
	t.Logf("%d starts, %d improved, %d with a shift held by a row's lower bound", starts, improved, lowerHeld)
	if starts < 500 || improved < 100 || lowerHeld == 0 {
		t.Errorf("%d starts, %d improved, %d held by a lower bound: the models do not exercise one-opt", starts, improved, lowerHeld)
	}
}

// oneOptHeldByLower reports whether, at one-opt's result x from x0, some
// shifted column's further move is held by a row's lower bound: the
// a < 0 branch of oneOptSteps, where the move lowers that row to its
// bound.
func oneOptHeldByLower(s *Search, m *solver.Model, x0, x []float64) bool {
	act := m.RowActivitiesTo(make([]float64, len(m.RowLower)), x)
	for j := range x {
		if x[j] == x0[j] {
			continue
		}
		dir := math.Copysign(1, x[j]-x0[j])
		for k := m.Start[j]; k < m.Start[j+1]; k++ {
			i := m.Index[k]
			if m.Value[k]*dir < 0 && act[i]+m.Value[k]*dir < m.RowLower[i]-1e-9 && x[j]+dir >= s.rootLo[j] && x[j]+dir <= s.rootUp[j] {
				return true
			}
		}
	}
	return false
}
