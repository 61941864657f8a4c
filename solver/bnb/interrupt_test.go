package bnb_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/corl-go/corl/solver"
	"github.com/corl-go/corl/solver/bnb"
	"github.com/corl-go/corl/solver/highs"
	"github.com/corl-go/corl/solver/solvertest"
)

// interruptAt is HiGHS whose k-th solve (counting from 1; 0: none) runs
// under a cancelled context, as when a time limit or Ctrl-C arrives in
// the middle of a node's work: its node LP, a cut round's re-solve, a
// dive or strong branching.
type interruptAt struct {
	*highs.Solver
	k, calls int
	cancel   context.CancelFunc
}

func (e *interruptAt) Solve(ctx context.Context) (solver.Status, error) {
	e.calls++
	if e.calls == e.k {
		e.cancel()
	}
	return e.Solver.Solve(ctx)
}

// A search interrupted anywhere reports a dual bound no better than the
// optimum and an incumbent no better than it: the node whose work the
// interruption cut short keeps its bound, although it is no longer open.
func TestInterruptedSearchKeepsValidBounds(t *testing.T) {
	configs := []struct {
		name string
		cfg  bnb.Config
	}{
		{"defaults", bnb.Config{}},
		{"no cuts or heuristics", bnb.Config{NoCuts: true, NoHeuristics: true}},
	}
	// Two set covers: one searched in 9 to 11 nodes, and one whose third
	// node's interrupted LP held the optimum's subtree, the other open
	// node's bound lying above it.
	for _, seed := range [][2]uint64{{9, 9}, {5, 6}} {
		m := solvertest.SetCover(rand.New(rand.NewPCG(seed[0], seed[1])), 150, 300, 0.05, 100)
		st, opt := highsMIP(t, m)
		if st != solver.StatusOptimal {
			t.Fatalf("HiGHS: %v", st)
		}
		tol := 1e-6 * math.Max(1, math.Abs(opt))
		for _, c := range configs {
			t.Run(fmt.Sprintf("%v/%s", seed, c.name), func(t *testing.T) {
				run := func(k int) (bnb.Result, int) {
					ctx, cancel := context.WithCancel(context.Background())
					defer cancel()
					e := &interruptAt{Solver: newLP(t), k: k, cancel: cancel}
					r, err := bnb.NewRule("relpscost", 1)
					if err != nil {
						t.Fatal(err)
					}
					res, err := bnb.Solve(ctx, e, m, r, c.cfg)
					if err != nil {
						t.Fatalf("interrupted at solve %d: %v", k, err)
					}
					return res, e.calls
				}
				full, solves := run(0)
				t.Logf("%d LP solves, %d nodes", solves, full.Stats.Nodes)
				if full.Status != solver.StatusOptimal || math.Abs(full.Objective-opt) > tol {
					t.Fatalf("uninterrupted: %v %v, HiGHS %v", full.Status, full.Objective, opt)
				}
				// Every solve up to 24, then a spread over the rest.
				interrupted := 0
				for k := 1; k <= solves; k += max(1, (k-20)/4) {
					res, _ := run(k)
					if res.Status != solver.StatusInterrupted {
						continue // the cancellation came where nothing looks at it
					}
					interrupted++
					if d := res.Stats.DualBound; d > opt+tol {
						t.Errorf("interrupted at solve %d (node %d): dual bound %v above the optimum %v",
							k, res.Stats.Nodes, d, opt)
					}
					if res.X != nil && res.Objective < opt-tol {
						t.Errorf("interrupted at solve %d: incumbent %v below the optimum %v", k, res.Objective, opt)
					}
					if res.X != nil && res.Stats.DualBound > res.Objective+tol {
						t.Errorf("interrupted at solve %d: dual bound %v above the incumbent %v", k, res.Stats.DualBound, res.Objective)
					}
				}
				if interrupted == 0 {
					t.Fatal("no search ended interrupted: nothing was tested")
				}
			})
		}
	}
}

// A gap that closed within Config.GapLimit ends the search with
// StatusGapLimit even when the context ended too: the result is the one
// asked for, whichever came first on the clock.
func TestGapLimitComesBeforeAnEndedContext(t *testing.T) {
	m := solvertest.SetCover(rand.New(rand.NewPCG(9, 9)), 150, 300, 0.05, 100)
	first := func(cfg bnb.Config, ctx context.Context) (*bnb.Search, *bnb.Decision) {
		s, err := bnb.NewSearch(ctx, newLP(t), m, cfg)
		if err != nil {
			t.Fatal(err)
		}
		d, err := s.Next(ctx)
		if err != nil || d == nil {
			t.Fatalf("no first decision: %v", err)
		}
		return s, d
	}
	s0, _ := first(bnb.Config{}, context.Background())
	g := s0.Stats().Gap
	if math.IsInf(g, 0) || g <= 0 {
		t.Skipf("no finite gap at the first decision (%v): nothing to test", g)
	}
	// An interruption, and a deadline that passed.
	ended := map[string]func() context.Context{
		"cancelled": func() context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx
		},
		"deadline": func() context.Context {
			ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
			t.Cleanup(cancel)
			return ctx
		},
	}
	for name, end := range ended {
		s, d := first(bnb.Config{GapLimit: g, GapStopOnly: true}, context.Background())
		if err := s.Branch(d.Candidates()[0]); err != nil {
			t.Fatal(err)
		}
		if d, err := s.Next(end()); err != nil || d != nil {
			t.Fatalf("%s: Next after the gap closed: %v, %v", name, d, err)
		}
		if st := s.Status(); st != solver.StatusGapLimit {
			t.Errorf("%s: status %v with gap %v within the limit %v, want %v", name, st, s.Stats().Gap, g, solver.StatusGapLimit)
		}
	}
}
