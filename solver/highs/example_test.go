package highs_test

import (
	"context"
	"fmt"
	"math"

	"github.com/corl-go/corl/solver"
	"github.com/corl-go/corl/solver/highs"
)

// Solve a small MIP, then warm-start its LP relaxation after a bound change.
func Example() {
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
	s, err := highs.New(highs.Config{})
	if err != nil {
		fmt.Println("HiGHS not installed:", err)
		return
	}
	defer s.Close()
	if err := s.Load(m); err != nil {
		panic(err)
	}
	st, err := s.Solve(context.Background())
	if err != nil {
		panic(err)
	}
	obj, _ := s.Objective()
	fmt.Println("MIP:", st, obj)

	m.Type = nil // the LP relaxation
	s.Load(m)
	s.Solve(context.Background())
	lp, _ := s.Objective()
	s.SetColBounds(x, 0, 2) // warm start from the previous basis
	s.Solve(context.Background())
	lp2, _ := s.Objective()
	fmt.Printf("LP: %.2f, with x <= 2: %.2f\n", lp, lp2)
	// Output:
	// MIP: optimal 23
	// LP: 23.75, with x <= 2: 22.00
}
