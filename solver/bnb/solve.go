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

// Decided tells Config.Observe about one branching decision of Run.
type Decided struct {
	Step       int64 // decisions before this one
	Node       *Node // the node branched on
	Candidates int   // its fractional candidates
	Column     int   // the column the rule chose
	Before     Stats // when the decision was asked for
	After      Stats // when the next one was asked for, or the search ended
	Done       bool  // the search ended before another decision
}

// Run drives the search to its end with rule, telling s's Config.Observe
// about each decision.
func (s *Search) Run(ctx context.Context, rule Brancher) (Result, error) {
	observe := s.cfg.Observe
	d, err := s.Next(ctx)
	for step := int64(0); err == nil && d != nil; step++ {
		var ev Decided
		if observe != nil {
			ev = Decided{Step: step, Node: d.Node, Candidates: len(d.Candidates()), Before: s.Stats()}
		}
		col, serr := rule.Select(ctx, d)
		if serr != nil {
			return Result{}, serr
		}
		if err := s.Branch(col); err != nil {
			return Result{}, err
		}
		d, err = s.Next(ctx)
		if observe != nil && err == nil {
			ev.Column, ev.After, ev.Done = col, s.Stats(), d == nil
			err = observe(ev)
		}
	}
	if err != nil {
		return Result{}, err
	}
	x, obj := s.Incumbent()
	return Result{Status: s.Status(), Objective: obj, X: x, Stats: s.Stats()}, nil
}
