package qmip

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// leastSquares returns w minimising Σ_i (w·x_i − y_i)² + ρ‖w‖² over the n
// rows of x (row-major, d columns), with ρ a relative 1e-10 of the largest
// diagonal entry of xᵀx: the normal equations, solved by gonum's Cholesky. The
// ridge only settles the inputs that are linear combinations of others
// (the one-hot states of every arm sum to 1), where any split gives the
// same values on the rows; on a target that is linear in the input the
// residual stays at rounding level.
func leastSquares(x []float32, y []float32, n, d int) ([]float64, error) {
	a := make([]float64, d*d) // xᵀx, lower triangle
	b := make([]float64, d)
	row := make([]float64, d)
	var nz []int
	for i := range n {
		nz = nz[:0]
		for k := range d {
			row[k] = float64(x[i*d+k])
			if row[k] != 0 {
				nz = append(nz, k)
			}
		}
		yi := float64(y[i])
		for p, k := range nz {
			b[k] += row[k] * yi
			for _, l := range nz[:p+1] {
				a[k*d+l] += row[k] * row[l]
			}
		}
	}
	diag := 0.0
	for k := range d {
		diag = math.Max(diag, a[k*d+k])
	}
	rho := 1e-10 * math.Max(diag, 1)
	for k := range d {
		a[k*d+k] += rho
	}
	for k := range d { // the upper triangle, which SymDense reads
		for l := range k {
			a[l*d+k] = a[k*d+l]
		}
	}
	var ch mat.Cholesky
	if !ch.Factorize(mat.NewSymDense(d, a)) {
		return nil, fmt.Errorf("qmip: least squares: the normal equations are not positive definite")
	}
	var w mat.VecDense
	if err := ch.SolveVecTo(&w, mat.NewVecDense(d, b)); err != nil && !isCondition(err) {
		return nil, fmt.Errorf("qmip: least squares: %w", err)
	}
	return w.RawVector().Data, nil
}

// isCondition reports whether err is only gonum's warning that a system
// is ill-conditioned (its solution is still computed).
func isCondition(err error) bool {
	var c mat.Condition
	return errors.As(err, &c) && !math.IsInf(float64(c), 1)
}
