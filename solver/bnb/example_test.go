package bnb_test

import (
	"context"
	"fmt"
	"math"

	"github.com/corl-go/corl/solver"
	"github.com/corl-go/corl/solver/bnb"
	"github.com/corl-go/corl/solver/highs"
)

// Branch and bound on a two-variable MIP: maximise 5x + 4y subject to
// x + y <= 5 and 10x + 6y <= 45, x, y integer. The LP relaxation's optimum
// is 23.75 at (3.75, 1.25); the integer optimum is 23 at (3, 2).
func ExampleSolve() {
	var b solver.Builder
	b.SetSense(solver.Maximize)
	x := b.AddCol("x", 5, 0, 10, solver.Integer)
	y := b.AddCol("y", 4, 0, solver.Inf, solver.Integer)
	b.AddRow("capacity", math.Inf(-1), 5, []int{x, y}, []float64{1, 1})
	b.AddRow("weight", math.Inf(-1), 45, []int{x, y}, []float64{10, 6})
	m, err := b.Build()
	if err != nil {
		panic(err)
	}
	lp, err := highs.New(highs.Config{})
	if err != nil {
		fmt.Println("HiGHS not installed:", err)
		return
	}
	defer lp.Close()
	res, err := bnb.Solve(context.Background(), lp, m, bnb.MostFractional{}, bnb.Config{})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%v %.4g at x=%.4g y=%.4g\n", res.Status, res.Objective, res.X[x], res.X[y])
	// Output:
	// optimal 23 at x=3 y=2
}
