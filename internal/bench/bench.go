// Package bench holds the workloads behind `go test -bench` and `corl bench`,
// so that both measure exactly the same thing.
package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/corl-go/corl/datasets"
	"github.com/corl-go/corl/solver"
	"github.com/corl-go/corl/solver/highs"
)

// SetCoverLP is the LP relaxation of the seeded 500x1000 set-cover instance
// (datasets' setcover family: density 0.05, costs 1..100) the solver
// benchmarks use.
func SetCoverLP() *solver.Model {
	m := datasets.Families["setcover"].Build(rand.New(rand.NewPCG(2026, 1)),
		map[string]float64{"rows": 500, "cols": 1000, "density": 0.05, "max_cost": 100})
	m.Type = nil // every column continuous
	return m
}

// Workload is one benchmark: Setup prepares a solver and returns the
// operation to time.
type Workload struct {
	Name  string
	Unit  string // what one operation is
	Setup func(runtime string) (op func() error, cleanup func(), err error)
}

// SolverWorkloads returns the LP, warm re-solve and MIP workloads; the MIP
// model is given by the caller (p0548 from the shared set, when present).
func SolverWorkloads(mip *solver.Model) []Workload {
	lp := SetCoverLP()
	w := []Workload{
		{Name: "lp", Unit: "solve of the 500x1000 set-cover LP relaxation, model load included", Setup: func(rt string) (func() error, func(), error) {
			s, err := highs.New(highs.Config{Runtime: rt})
			if err != nil {
				return nil, nil, err
			}
			return func() error { return loadSolve(s, lp) }, func() { s.Close() }, nil
		}},
		{Name: "load", Unit: "model load (Go-side marshalling plus HiGHS's copy) of the same LP", Setup: func(rt string) (func() error, func(), error) {
			s, err := highs.New(highs.Config{Runtime: rt})
			if err != nil {
				return nil, nil, err
			}
			return func() error { return s.Load(lp) }, func() { s.Close() }, nil
		}},
		{Name: "warm", Unit: "200 warm re-solves, each after changing one column bound, which is then restored", Setup: func(rt string) (func() error, func(), error) {
			s, err := highs.New(highs.Config{Runtime: rt})
			if err != nil {
				return nil, nil, err
			}
			if err := loadSolve(s, lp); err != nil {
				s.Close()
				return nil, nil, err
			}
			x, err := s.Primal()
			if err != nil {
				s.Close()
				return nil, nil, err
			}
			// Cycle over the columns with a positive value: fixing one to 0
			// forces the simplex to move.
			var cols []int
			for j, v := range x {
				if v > 1e-6 {
					cols = append(cols, j)
				}
			}
			ctx := context.Background()
			op := func() error {
				for k := range 200 {
					j := cols[k%len(cols)]
					if err := s.SetColBounds(j, 0, 0); err != nil {
						return err
					}
					if _, err := s.Solve(ctx); err != nil {
						return err
					}
					if err := s.SetColBounds(j, lp.ColLower[j], lp.ColUpper[j]); err != nil {
						return err
					}
				}
				return nil
			}
			return op, func() { s.Close() }, nil
		}},
	}
	if mip != nil {
		w = append(w, Workload{Name: "mip", Unit: "MIP solve of " + mip.Name, Setup: func(rt string) (func() error, func(), error) {
			s, err := highs.New(highs.Config{Runtime: rt})
			if err != nil {
				return nil, nil, err
			}
			return func() error { return loadSolve(s, mip) }, func() { s.Close() }, nil
		}})
	}
	return w
}

func loadSolve(s *highs.Solver, m *solver.Model) error {
	if err := s.Load(m); err != nil {
		return err
	}
	st, err := s.Solve(context.Background())
	if err != nil {
		return err
	}
	if st != solver.StatusOptimal {
		return fmt.Errorf("status %v", st)
	}
	return nil
}

// Time runs op n times after one warm-up and returns the mean duration.
func Time(op func() error, n int) (time.Duration, error) {
	if err := op(); err != nil {
		return 0, err
	}
	start := time.Now()
	for range n {
		if err := op(); err != nil {
			return 0, err
		}
	}
	return time.Since(start) / time.Duration(n), nil
}
