package qmip

import (
	"fmt"
	"math"
)

// leastSquares returns w minimising Σ_i (w·x_i − y_i)² + ρ‖w‖² over the n
// rows of x (row-major, d columns), with ρ a relative 1e-10 of the largest
// diagonal entry of xᵀx: the normal equations, solved by Cholesky. The
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
	// a = L·Lᵀ in place (lower triangle)
	for j := range d {
		s := a[j*d+j]
		for k := range j {
			s -= a[j*d+k] * a[j*d+k]
		}
		if !(s > 0) {
			return nil, fmt.Errorf("qmip: least squares: pivot %d is %g", j, s)
		}
		a[j*d+j] = math.Sqrt(s)
		for i := j + 1; i < d; i++ {
			t := a[i*d+j]
			for k := range j {
				t -= a[i*d+k] * a[j*d+k]
			}
			a[i*d+j] = t / a[j*d+j]
		}
	}
	w := b // L·z = b, then Lᵀ·w = z
	for i := range d {
		for k := range i {
			w[i] -= a[i*d+k] * w[k]
		}
		w[i] /= a[i*d+i]
	}
	for i := d - 1; i >= 0; i-- {
		for k := i + 1; k < d; k++ {
			w[i] -= a[k*d+i] * w[k]
		}
		w[i] /= a[i*d+i]
	}
	return w, nil
}
