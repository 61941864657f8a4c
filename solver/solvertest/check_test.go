package solvertest_test

import (
	"math"
	"strings"
	"testing"

	"github.com/corl-go/corl/solver"
	"github.com/corl-go/corl/solver/solvertest"
)

func TestCheckSolution(t *testing.T) {
	var b solver.Builder
	x := b.AddCol("x", 1, 0, 3, solver.Integer)
	y := b.AddCol("y", 2, 0, math.Inf(1), solver.Continuous)
	b.AddRow("cap", math.Inf(-1), 4, []int{x, y}, []float64{1, 1})
	m, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	if err := solvertest.CheckSolution(m, []float64{2, 1.5}, 5); err != nil {
		t.Errorf("feasible point: %v", err)
	}
	for _, c := range []struct {
		x    []float64
		obj  float64
		want string
	}{
		{[]float64{4, 0}, 4, "column x"},
		{[]float64{1.5, 0}, 1.5, "integer column x"},
		{[]float64{3, 2}, 7, "row cap"},
		{[]float64{2, 1}, 5, "objective"},
		{[]float64{2}, 2, "1 values"},
		{[]float64{math.NaN(), math.NaN()}, 5, "column x"},
		{[]float64{2, 1.5}, math.NaN(), "objective"},
	} {
		err := solvertest.CheckSolution(m, c.x, c.obj)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want an error naming %q", c.x, err, c.want)
		}
	}
}
