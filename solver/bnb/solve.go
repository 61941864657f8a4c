package bnb

import (
	"context"

	"github.com/corl-go/corl/solver"
)

// Result is the outcome of a search.
type Result struct {
	Status    solver.Status
	Objective float64   // the incumbent's objective, model's sense (±Inf if none)
	X         []float64 // the incumbent, nil if none
	Stats     Stats
}

// Solve runs branch-and-bound on m with rule choosing the branching column.
func Solve(ctx context.Context, lp solver.Engine, m *solver.Model, rule Brancher, cfg Config) (Result, error) {
	s, err := NewSearch(ctx, lp, m, cfg)
	if err != nil {
		return Result{}, err
	}
	return s.Run(ctx, rule)
}

// Run drives the search to its end with rule.
func (s *Search) Run(ctx context.Context, rule Brancher) (Result, error) {
	for {
		d, err := s.Next(ctx)
		if err != nil {
			return Result{}, err
		}
		if d == nil {
			break
		}
		col, err := rule.Select(ctx, d)
		if err != nil {
			return Result{}, err
		}
		if err := s.Branch(col); err != nil {
			return Result{}, err
		}
	}
	x, obj := s.Incumbent()
	return Result{Status: s.Status(), Objective: obj, X: x, Stats: s.Stats()}, nil
}
