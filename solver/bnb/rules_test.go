package bnb_test

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/corl-go/corl/solver"
	"github.com/corl-go/corl/solver/bnb"
	"github.com/corl-go/corl/solver/solvertest"
)

// TestReliabilityThreshold checks the reliability threshold against values
// computed by hand from SCIP's rule: budget = quot·nodeLP + ofs + rootSB,
// prio = max(min(1, (budget−sb)/(sb+1)), (quot·nodeLP−sb)/(sb+1)),
// threshold = (1−prio)·min + prio·max, 0 past the budget.
func TestReliabilityThreshold(t *testing.T) {
	// stats with node LP iterations nodeLP, strong branching sb of which root at the root.
	stats := func(nodeLP, sb, root int64) bnb.Stats {
		return bnb.Stats{LPIterations: nodeLP + sb, SBIterations: sb, RootSBIterations: root}
	}
	for _, c := range []struct {
		name string
		r    bnb.Reliability
		st   bnb.Stats
		want float64
	}{
		// Defaults: min 1, max 8, quot 0.5, ofs 10,000.
		// budget 10,500; prio min(1, 10500/1) = 1, max(., 500/1) = 500: 1 + 7·500.
		{"nothing spent", bnb.Reliability{}, stats(1000, 0, 0), 3501},
		// budget 20,000, quot 10,000: prio 1 (12000/8001 > 1; 2000/8001 < 1).
		{"under half the budget", bnb.Reliability{}, stats(20000, 8000, 0), 8},
		// prio = 5000/15001: 1 + 7·5000/15001.
		{"past half the budget", bnb.Reliability{}, stats(20000, 15000, 0), 1 + 35000.0/15001},
		// SCIP's maximum: 1 + 4·5000/15001.
		{"SCIP's maximum", bnb.Reliability{MaxReliable: 5}, stats(20000, 15000, 0), 1 + 20000.0/15001},
		{"at the budget", bnb.Reliability{}, stats(20000, 20000, 0), 1},
		{"past the budget", bnb.Reliability{}, stats(20000, 20001, 0), 0},
		// The root's strong branching comes on top: budget 25,000, prio 4000/21001.
		{"root on top", bnb.Reliability{}, stats(20000, 21000, 5000), 1 + 28000.0/21001},
		// Cheap strong branching: quot 50,000, sb 10,000: prio = 40000/10001 > 1.
		{"cheap strong branching", bnb.Reliability{}, stats(100000, 10000, 0), 1 + 280000.0/10001},
		// Fixed threshold 8 while under the budget.
		{"fixed", bnb.Reliability{MinReliable: 8, MaxReliable: 8}, stats(20000, 15000, 0), 8},
		{"fixed, past the budget", bnb.Reliability{MinReliable: 8, MaxReliable: 8}, stats(20000, 25000, 0), 0},
		// MinReliable above the default maximum lifts the maximum with it.
		{"min above 8", bnb.Reliability{MinReliable: 9}, stats(20000, 15000, 0), 9},
		// Own quotient and offset: budget 0.1·20,000 + 100 = 2,100; prio 100/2001.
		{"own budget", bnb.Reliability{SBIterQuot: 0.1, SBIterOfs: 100}, stats(20000, 2000, 0), 1 + 700.0/2001},
		{"no budget", bnb.Reliability{SBIterQuot: math.Inf(1)}, stats(20000, 1e9, 0), 8},
	} {
		if got := c.r.Threshold(c.st); math.Abs(got-c.want) > 1e-9*math.Max(1, c.want) {
			t.Errorf("%s: threshold %v, want %v", c.name, got, c.want)
		}
	}
}

func TestReliabilityValidate(t *testing.T) {
	for _, c := range []struct {
		r     bnb.Reliability
		field string
	}{
		{bnb.Reliability{MinReliable: -1}, "MinReliable"}, {bnb.Reliability{MaxReliable: -1}, "MaxReliable"},
		{bnb.Reliability{MinReliable: 4, MaxReliable: 3}, "MaxReliable"}, {bnb.Reliability{Lookahead: -1}, "Lookahead"},
		{bnb.Reliability{IterLimit: -1}, "IterLimit"}, {bnb.Reliability{SBIterQuot: -0.5}, "SBIterQuot"},
		{bnb.Reliability{SBIterQuot: math.NaN()}, "SBIterQuot"}, {bnb.Reliability{SBIterOfs: -1}, "SBIterOfs"},
	} {
		var ce *bnb.ConfigError
		if err := c.r.Validate(); !errors.As(err, &ce) || ce.Field != "Reliability."+c.field {
			t.Errorf("%+v: %v, want a ConfigError on Reliability.%s", c.r, err, c.field)
		}
	}
	if err := (&bnb.Reliability{MinReliable: 3, MaxReliable: 3, SBIterQuot: math.Inf(1)}).Validate(); err != nil {
		t.Error(err)
	}
}

// budgetWatch wraps a Reliability rule and checks, at every decision, the
// rule's counters against its threshold and budget.
type budgetWatch struct {
	t                          *testing.T
	r                          *bnb.Reliability
	decisions, overBudget, sbs int
}

func (w *budgetWatch) Select(ctx context.Context, d *bnb.Decision) (int, error) {
	before := d.Search().Stats()
	thr := w.r.Threshold(before)
	reliable := true
	for _, j := range d.Candidates() {
		if dn, up := d.Pseudocosts().Count(j); float64(min(dn, up)) < thr {
			reliable = false
		}
	}
	j, err := w.r.Select(ctx, d)
	after := d.Search().Stats()
	w.decisions++
	strong := after.SBLPs > before.SBLPs
	if strong {
		w.sbs++
	}
	if thr == 0 {
		w.overBudget++
	}
	if strong && reliable {
		w.t.Errorf("node %d: strong branching with every candidate reliable (threshold %v)", d.Node.ID, thr)
	}
	if grew := after.RootSBIterations > before.RootSBIterations; grew != (d.Node.ParentID < 0 && strong) {
		w.t.Errorf("node %d (depth %d): root strong-branching iterations %d -> %d", d.Node.ID, d.Node.Depth,
			before.RootSBIterations, after.RootSBIterations)
	}
	return j, err
}

// TestReliabilityBudget runs relpscost with a small strong-branching budget
// and checks that no node past the budget strong-branches, that nodes with
// only reliable candidates do not either, and that the budget holds at the
// end up to one node's strong branching.
func TestReliabilityBudget(t *testing.T) {
	m := solvertest.SetCover(rand.New(rand.NewPCG(5, 6)), 200, 400, 0.05, 100)
	run := func(r *bnb.Reliability) (bnb.Result, *budgetWatch) {
		w := &budgetWatch{t: t, r: r}
		res, err := bnb.Solve(context.Background(), newLP(t), m, w, bnb.Config{NoHeuristics: true, NoCuts: true})
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != solver.StatusOptimal {
			t.Fatalf("status %v", res.Status)
		}
		return res, w
	}
	free, _ := run(&bnb.Reliability{SBIterQuot: math.Inf(1)})
	r := &bnb.Reliability{SBIterQuot: 0.05, SBIterOfs: 200, IterLimit: 40, Lookahead: 4}
	res, w := run(r)
	if free.Objective != res.Objective {
		t.Errorf("objective %v with the budget, %v without", res.Objective, free.Objective)
	}
	st := res.Stats
	t.Logf("%d decisions, %d strong-branched, %d past the budget; SB iterations %d (root %d) of %d, without a budget %d of %d",
		w.decisions, w.sbs, w.overBudget, st.SBIterations, st.RootSBIterations, st.LPIterations, free.Stats.SBIterations, free.Stats.LPIterations)
	if w.overBudget == 0 || w.sbs < 2 {
		t.Fatalf("%d decisions past the budget, %d strong-branched: the budget is not exercised", w.overBudget, w.sbs)
	}
	// A node starts strong branching only within the budget and tries at
	// most Lookahead candidates past it, each child at most IterLimit
	// iterations (HiGHS may finish the pivot it is in: one more).
	budget := 0.05*float64(st.LPIterations-st.SBIterations) + 200 + float64(st.RootSBIterations)
	if over := float64(st.SBIterations) - budget; over > float64(2*r.Lookahead*(r.IterLimit+1)) {
		t.Errorf("strong branching %d iterations, budget %.0f: over by more than one node's strong branching", st.SBIterations, budget)
	}
	if st.SBIterations-st.RootSBIterations >= free.Stats.SBIterations-free.Stats.RootSBIterations {
		t.Errorf("strong branching outside the root: %d iterations with the budget, %d without",
			st.SBIterations-st.RootSBIterations, free.Stats.SBIterations-free.Stats.RootSBIterations)
	}
}
