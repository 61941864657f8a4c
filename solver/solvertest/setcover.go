package solvertest

import (
	"math/rand/v2"
	"strconv"

	"github.com/corl-go/corl/solver"
)

// SetCover returns a seeded set-cover MIP: minimise sum_j cost[j] x[j]
// subject to every row being covered, sum_{j covers i} x[j] >= 1, x binary.
// Each entry of the rows x cols matrix is present with probability density
// (every row gets at least one entry); costs are integers in [1, maxCost].
func SetCover(rng *rand.Rand, rows, cols int, density float64, maxCost int) *solver.Model {
	var b solver.Builder
	b.SetName("setcover-" + strconv.Itoa(rows) + "x" + strconv.Itoa(cols))
	for j := range cols {
		b.AddCol("x"+strconv.Itoa(j), float64(1+rng.IntN(maxCost)), 0, 1, solver.Integer)
	}
	var idx []int
	var val []float64
	for i := range rows {
		idx, val = idx[:0], val[:0]
		for j := range cols {
			if rng.Float64() < density {
				idx = append(idx, j)
				val = append(val, 1)
			}
		}
		if len(idx) == 0 {
			idx = append(idx, rng.IntN(cols))
			val = append(val, 1)
		}
		b.AddRow("c"+strconv.Itoa(i), 1, solver.Inf, idx, val)
	}
	m, err := b.Build()
	if err != nil {
		panic(err) // the construction above always gives a valid model
	}
	return m
}

// Relax returns a copy of m with every column continuous.
func Relax(m *solver.Model) *solver.Model {
	c := m.Clone()
	c.Type = nil
	return c
}
