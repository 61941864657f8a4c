package bnb

import (
	"context"
	"errors"
	"math"
	"time"

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
//
// With cfg.Presolve, HiGHS's presolve (on an engine spawned from lp, which
// must be a solver.Spawner of solver.Presolvers) reduces m first and the
// search runs on the reduced model, whose objective has the same values;
// the solution is postsolved to m's columns, and each Decided's Column is
// the column of m the reduced column comes from (found by name; -1 when m
// has no names). The rule and Decided.Node see the reduced model.
func Solve(ctx context.Context, lp solver.Engine, m *solver.Model, rule Brancher, cfg Config) (Result, error) {
	if cfg.Presolve {
		return solvePresolved(ctx, lp, m, rule, cfg)
	}
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

// ErrNoPresolve: Config.Presolve was set on an engine that cannot presolve.
var ErrNoPresolve = errors.New("bnb: Config.Presolve: the LP engine cannot spawn a presolving engine")

func solvePresolved(ctx context.Context, lp solver.Engine, m *solver.Model, rule Brancher, cfg Config) (Result, error) {
	start := time.Now()
	sp, ok := lp.(solver.Spawner)
	if !ok {
		return Result{}, ErrNoPresolve
	}
	e, err := sp.Spawn()
	if err != nil {
		return Result{}, err
	}
	defer e.Close()
	pre, ok := e.(solver.Presolver)
	if !ok {
		return Result{}, ErrNoPresolve
	}
	if err := e.Load(m); err != nil {
		return Result{}, err
	}
	red, st, err := pre.Presolve()
	if err != nil {
		return Result{}, err
	}
	if red == nil { // presolve decided the model
		inf := math.Inf(1)
		if m.Sense == solver.Maximize {
			inf = -inf
		}
		return Result{Status: st, Objective: inf, Stats: Stats{PrimalBound: inf, DualBound: -inf, Gap: math.Inf(1), Time: time.Since(start)}}, nil
	}
	orig := map[string]int{}
	if m.ColNames != nil {
		for j, name := range m.ColNames {
			orig[name] = j
		}
	}
	cfg.Presolve = false
	// HiGHS's presolve minimises: a maximised model's reduced objective is
	// its own negated, so the values in the model's sense change sign.
	flip := red.Sense != m.Sense
	if observe := cfg.Observe; observe != nil {
		cfg.Observe = func(d Decided) error {
			j, ok := orig[red.ColName(d.Column)]
			if !ok {
				j = -1
			}
			d.Column = j
			if flip {
				d.Before, d.After = d.Before.negatedSense(), d.After.negatedSense()
			}
			return observe(d)
		}
	}
	var res Result
	if red.NumCols() == 0 {
		res = Result{Status: solver.StatusOptimal, X: []float64{}}
	} else if res, err = Solve(ctx, lp, red, rule, cfg); err != nil {
		return Result{}, err
	}
	res.Stats.Time = time.Since(start)
	if flip {
		res.Stats = res.Stats.negatedSense()
		if res.X == nil {
			res.Objective = -res.Objective
		}
	}
	if res.X == nil {
		return res, nil
	}
	x := make([]float64, m.NumCols())
	if err := pre.PostsolveTo(x, res.X); err != nil {
		return Result{}, err
	}
	for j := range x {
		if m.ColType(j) == solver.Integer {
			x[j] = math.Round(x[j])
		}
	}
	res.X, res.Objective = x, m.ObjectiveValue(x)
	if red.NumCols() == 0 {
		res.Stats.PrimalBound, res.Stats.DualBound = res.Objective, res.Objective
	}
	return res, nil
}
