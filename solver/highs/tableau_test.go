package highs

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/corl-go/corl/solver"
)

// The rows of the basis inverse times [A −I] are the tableau rows: 1 on
// the position's basic column (−1 on a basic row activity), 0 on every
// other basic variable (every engine, random bounded LPs with ranged and
// equality rows, maximised and minimised).
func TestTableauRows(t *testing.T) {
	for _, rt := range Runtimes() {
		t.Run(rt, func(t *testing.T) {
			s := newTestSolver(t, rt, nil)
			rng := rand.New(rand.NewPCG(13, 2))
			basicRows := 0
			for k := range 20 {
				m := randomBoundedLP(rng, 8+rng.IntN(8), 4+rng.IntN(6))
				if err := s.Load(m); err != nil {
					t.Fatal(err)
				}
				st, err := s.Solve(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if st != solver.StatusOptimal {
					continue
				}
				checkTableau(t, s, m, k, &basicRows)
			}
			if basicRows == 0 {
				t.Error("no row was basic: the test checks columns only")
			}
		})
	}
}

func checkTableau(t *testing.T, s *Solver, m *solver.Model, k int, basicRows *int) {
	t.Helper()
	n, r := m.NumCols(), m.NumRows()
	basic := make([]int, r)
	if err := s.BasicVariablesTo(basic); err != nil {
		t.Fatal(err)
	}
	lam := make([]float64, r)
	row := make([]float64, n+r) // over columns, then row activities
	for p := range r {
		if err := s.BasisInverseRowTo(p, lam); err != nil {
			t.Fatal(err)
		}
		clear(row)
		for j := range n {
			for q := m.Start[j]; q < m.Start[j+1]; q++ {
				row[j] += lam[m.Index[q]] * m.Value[q]
			}
		}
		for i := range r {
			row[n+i] = -lam[i]
		}
		for q, v := range basic {
			at := v
			if v < 0 {
				at = n - 1 - v
			}
			want := 0.0
			if q == p {
				want = 1
				if v < 0 {
					want, *basicRows = -1, *basicRows+1
				}
			}
			if math.Abs(row[at]-want) > 1e-7 {
				t.Fatalf("LP %d, position %d: coefficient %v on basic variable %d, want %v", k, p, row[at], v, want)
			}
		}
	}
}

// randomBoundedLP has finite column bounds, so every LP is bounded.
func randomBoundedLP(rng *rand.Rand, n, r int) *solver.Model {
	var b solver.Builder
	if rng.IntN(2) == 0 {
		b.SetSense(solver.Maximize)
	}
	for range n {
		b.AddCol("", rng.Float64()*10-5, -float64(rng.IntN(3)), float64(1+rng.IntN(5)), solver.Continuous)
	}
	for range r {
		var idx []int
		var val []float64
		for j := range n {
			if rng.Float64() < 0.5 {
				idx = append(idx, j)
				val = append(val, math.Round((rng.Float64()*8-4)*100)/100)
			}
		}
		lo, up := rng.Float64()*4-6, rng.Float64()*6
		switch rng.IntN(3) {
		case 0:
			lo = math.Inf(-1)
		case 1:
			up = lo + 1
		}
		b.AddRow("", lo, up, idx, val)
	}
	m, err := b.Build()
	if err != nil {
		panic(err)
	}
	return m
}
