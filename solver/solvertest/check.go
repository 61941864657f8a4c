package solvertest

import (
	"fmt"
	"math"

	"github.com/corl-go/corl/solver"
)

// CheckSolution returns an error naming the first column or row where x
// fails m: a column outside its bounds or, for an integer column, not
// integral (absolute tolerance 1e-6), or a row activity outside its bounds
// (1e-5 relative to the bound's magnitude, at least 1e-5), or an objective
// that differs from obj (1e-6 relative); a value that is NaN or infinite
// fails too. It returns nil for a feasible x.
func CheckSolution(m *solver.Model, x []float64, obj float64) error {
	if len(x) != m.NumCols() {
		return fmt.Errorf("solution has %d values, the model %d columns", len(x), m.NumCols())
	}
	if math.IsNaN(obj) || math.IsInf(obj, 0) {
		return fmt.Errorf("objective %v", obj)
	}
	const tol = 1e-6
	for j, v := range x {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("column %s = %v", m.ColName(j), v)
		}
		if v < m.ColLower[j]-tol || v > m.ColUpper[j]+tol {
			return fmt.Errorf("column %s = %v outside [%v, %v]", m.ColName(j), v, m.ColLower[j], m.ColUpper[j])
		}
		if m.ColType(j) == solver.Integer && math.Abs(v-math.Round(v)) > tol {
			return fmt.Errorf("integer column %s = %v", m.ColName(j), v)
		}
	}
	act := m.RowActivitiesTo(make([]float64, m.NumRows()), x)
	for i, a := range act {
		lo, hi := m.RowLower[i], m.RowUpper[i]
		if a < lo-1e-5*math.Max(1, math.Abs(lo)) || a > hi+1e-5*math.Max(1, math.Abs(hi)) {
			return fmt.Errorf("row %s: activity %v outside [%v, %v]", m.RowName(i), a, lo, hi)
		}
	}
	if got := m.ObjectiveValue(x); math.Abs(got-obj) > 1e-6*math.Max(1, math.Abs(got)) {
		return fmt.Errorf("the solution's objective is %v, not %v", got, obj)
	}
	return nil
}
