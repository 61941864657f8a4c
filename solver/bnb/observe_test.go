package bnb_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/corl-go/corl/solver/bnb"
)

// decision is what an observer and a hand-driven search both see.
type decision struct {
	step, node         int64
	depth, cands, col  int
	nodesBefore, nodes int64
	itersBefore, iters int64
	branchings         int64
	done               bool
}

// Run's observer sees every decision, with the counters the step API
// driven by hand with the same rule shows on the same model.
func TestObserveSeesEveryDecision(t *testing.T) {
	ctx := context.Background()
	m := randomBinary(rand.New(rand.NewPCG(3, 9)), 40, 20)
	var seen []decision
	// The heuristics and cuts solve this model at the root; without them it branches.
	cfg := bnb.Config{NoHeuristics: true, NoCuts: true, Observe: func(e bnb.Decided) error {
		seen = append(seen, decision{e.Step, e.Node.ID, e.Node.Depth, e.Candidates, e.Column,
			e.Before.Nodes, e.After.Nodes, e.Before.LPIterations, e.After.LPIterations, e.After.Branchings, e.Done})
		return nil
	}}
	res, err := bnb.Solve(ctx, newLP(t), m, bnb.PseudoCost{}, cfg)
	if err != nil {
		t.Fatal(err)
	}

	s, err := bnb.NewSearch(ctx, newLP(t), m, bnb.Config{NoHeuristics: true, NoCuts: true})
	if err != nil {
		t.Fatal(err)
	}
	var want []decision
	d, err := s.Next(ctx)
	for step := int64(0); d != nil && err == nil; step++ {
		before := s.Stats()
		col, serr := bnb.PseudoCost{}.Select(ctx, d)
		if serr != nil {
			t.Fatal(serr)
		}
		node, ncand := d.Node, len(d.Candidates())
		if err := s.Branch(col); err != nil {
			t.Fatal(err)
		}
		d, err = s.Next(ctx)
		after := s.Stats()
		want = append(want, decision{step, node.ID, node.Depth, ncand, col,
			before.Nodes, after.Nodes, before.LPIterations, after.LPIterations, after.Branchings, d == nil})
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(want) < 3 {
		t.Fatalf("only %d decisions: pick a model that branches more", len(want))
	}
	if len(seen) != len(want) {
		t.Fatalf("observer saw %d decisions, the step API made %d", len(seen), len(want))
	}
	for i := range want {
		if seen[i] != want[i] {
			t.Errorf("decision %d: observed %+v, by hand %+v", i, seen[i], want[i])
		}
	}
	if last := seen[len(seen)-1]; !last.done || last.nodes != res.Stats.Nodes || last.branchings != int64(len(seen)) {
		t.Errorf("last decision %+v; search ended with %d nodes after %d decisions", last, res.Stats.Nodes, len(seen))
	}
	if res.Stats.Nodes != s.Stats().Nodes || res.Objective != func() float64 { _, o := s.Incumbent(); return o }() {
		t.Errorf("Run: %d nodes, objective %v; by hand %d nodes", res.Stats.Nodes, res.Objective, s.Stats().Nodes)
	}
}

// An observer's error stops the search at that decision.
func TestObserveErrorStops(t *testing.T) {
	m := randomBinary(rand.New(rand.NewPCG(3, 9)), 40, 20)
	stop := errors.New("stop")
	calls := 0
	cfg := bnb.Config{NoHeuristics: true, NoCuts: true, Observe: func(e bnb.Decided) error {
		calls++
		if e.Step == 1 {
			return stop
		}
		return nil
	}}
	if _, err := bnb.Solve(context.Background(), newLP(t), m, bnb.PseudoCost{}, cfg); !errors.Is(err, stop) || calls != 2 {
		t.Errorf("err %v after %d calls, want stop after 2", err, calls)
	}
}
