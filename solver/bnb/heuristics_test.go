package bnb_test

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/corl-go/corl/internal/sharedtest"
	"github.com/corl-go/corl/solver"
	"github.com/corl-go/corl/solver/bnb"
	"github.com/corl-go/corl/solver/solvertest"
)

// only turns every heuristic off but h (diving counts as one).
func only(h string) bnb.Heuristics {
	_, hs, err := bnb.ParseHeuristics(h)
	if err != nil {
		panic(err)
	}
	return hs
}

// checkPoint checks x against every bound, integrality and row of m, and
// that its objective is obj and no better than the optimum opt.
func checkPoint(t *testing.T, m *solver.Model, x []float64, obj, opt float64, what string) {
	t.Helper()
	res := bnb.Result{X: x, Objective: obj}
	checkSolution(t, m, res)
	tol := 1e-6 * math.Max(1, math.Abs(opt))
	if (m.Sense == solver.Minimize && obj < opt-tol) || (m.Sense == solver.Maximize && obj > opt+tol) {
		t.Fatalf("%s: objective %v beats the optimum %v", what, obj, opt)
	}
}

// searchHeuristic drives a search by hand with pscost and checks every new
// incumbent as soon as it appears; it returns the search's statistics.
func searchHeuristic(t *testing.T, m *solver.Model, opt float64, cfg bnb.Config, what string) bnb.Stats {
	t.Helper()
	ctx := context.Background()
	s, err := bnb.NewSearch(ctx, newLP(t), m, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var last []float64
	check := func() {
		if x, obj := s.Incumbent(); x != nil && !slices.Equal(x, last) {
			checkPoint(t, m, x, obj, opt, what)
			last = x
		}
	}
	d, err := s.Next(ctx)
	for ; d != nil && err == nil; d, err = s.Next(ctx) {
		check()
		col, serr := bnb.PseudoCost{}.Select(ctx, d)
		if serr != nil {
			t.Fatal(serr)
		}
		if err := s.Branch(col); err != nil {
			t.Fatal(err)
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	check()
	return s.Stats()
}

// TestHeuristicSolutionsAreFeasible runs each heuristic alone, as often as
// it can run (every node), on random binary programs with brute-forced
// optima and on set-cover models with HiGHS's optima: every incumbent is
// feasible for the original model and never better than the optimum, the
// search still proves the optimum, and each heuristic finds something
// somewhere.
func TestHeuristicSolutionsAreFeasible(t *testing.T) {
	type instance struct {
		m   *solver.Model
		opt float64
	}
	rng := rand.New(rand.NewPCG(13, 1))
	var ins []instance
	for len(ins) < 12 {
		m := randomBinary(rng, 14, 7)
		if opt, ok := bruteForce(m); ok {
			ins = append(ins, instance{m, opt})
		}
	}
	for range 3 {
		m := solvertest.SetCover(rng, 60, 120, 0.06, 100)
		st, opt := highsMIP(t, m)
		if st != solver.StatusOptimal {
			t.Fatalf("HiGHS: %v", st)
		}
		ins = append(ins, instance{m, opt})
	}
	for _, h := range []struct {
		name string
		kind []bnb.Heuristic
	}{
		{"rounding", []bnb.Heuristic{bnb.Rounding}},
		{"diving", []bnb.Heuristic{bnb.FractionalDive, bnb.CoefficientDive, bnb.PseudocostDive}},
		{"rens", []bnb.Heuristic{bnb.RENS}},
		{"rins", []bnb.Heuristic{bnb.RINS}},
		{"oneopt", []bnb.Heuristic{bnb.OneOpt}},
	} {
		t.Run(h.name, func(t *testing.T) {
			hs := only(h.name)
			hs.DiveFreq, hs.RINSFreq, hs.MinFixRENS, hs.MinFixRINS = 1, 1, 1e-9, 1e-9
			if h.name == "rins" || h.name == "oneopt" { // they need an incumbent
				hs.NoRounding = false
			}
			found := int64(0)
			for k, in := range ins {
				// Cuts leave most of these instances nothing to find.
				st := searchHeuristic(t, in.m, in.opt, bnb.Config{Heuristics: hs, NoCuts: true}, h.name)
				for _, kind := range h.kind {
					found += st.Heuristics[kind].Successes
					if hst := st.Heuristics[kind]; hst.Successes > hst.Calls || (hst.Calls > 0 && hst.Time <= 0) {
						t.Errorf("instance %d %v: %+v", k, kind, hst)
					}
				}
				if math.Abs(st.PrimalBound-in.opt) > 1e-6*math.Max(1, math.Abs(in.opt)) || st.Gap != 0 {
					t.Fatalf("instance %d: primal %v (gap %v), optimum %v", k, st.PrimalBound, st.Gap, in.opt)
				}
				for other := range bnb.NumHeuristics {
					if !slices.Contains(h.kind, other) && st.Heuristics[other].Calls > 0 && ((h.name != "rins" && h.name != "oneopt") || other != bnb.Rounding) {
						t.Errorf("instance %d: %v ran %d times with only %s on", k, other, st.Heuristics[other].Calls, h.name)
					}
				}
			}
			// One-opt runs on few incumbents here and improves none
			// (TestOneOptByHand has one it improves).
			if found == 0 && h.name != "oneopt" {
				t.Errorf("%s never improved the incumbent: the instances do not exercise it", h.name)
			}
		})
	}
}

// TestHeuristicsOff: NoHeuristics runs none of them.
func TestHeuristicsOff(t *testing.T) {
	m := randomBinary(rand.New(rand.NewPCG(3, 9)), 40, 20)
	res := solveBnB(t, m, "pscost", bnb.Config{NoHeuristics: true})
	for h, st := range res.Stats.Heuristics {
		if st != (bnb.HeuristicStats{}) {
			t.Errorf("%v: %+v", bnb.Heuristic(h), st)
		}
	}
	if res.Stats.HeuristicIncumbents != 0 {
		t.Errorf("%d heuristic incumbents", res.Stats.HeuristicIncumbents)
	}
}

// TestHeuristicsOnSharedMIPLIB: at the root alone (one node), every
// solution the heuristics find on the shared instances with known optima
// is feasible and no better than the optimum.
func TestHeuristicsOnSharedMIPLIB(t *testing.T) {
	bnb.EachSharedMILP(t, bnb.SharedOptimal, func(t *testing.T, _ string, in sharedtest.Instance, m *solver.Model) {
		res := solveBnB(t, m, "pscost", bnb.Config{NodeLimit: 1})
		var calls []string
		for h, st := range res.Stats.Heuristics {
			if st.Calls > 0 {
				calls = append(calls, bnb.Heuristic(h).String())
			}
		}
		t.Logf("%v; heuristics run: %v; %d heuristic incumbents", res.Status, calls, res.Stats.HeuristicIncumbents)
		if res.X != nil {
			checkPoint(t, m, res.X, res.Objective, in.Objective, "root heuristics")
		}
	})
}

func TestParseHeuristics(t *testing.T) {
	for _, c := range []struct {
		in   string
		none bool
		h    bnb.Heuristics
	}{
		{"", false, bnb.Heuristics{}},
		{"all", false, bnb.Heuristics{}},
		{"none", true, bnb.Heuristics{}},
		{"rens, rins", false, bnb.Heuristics{NoRounding: true, NoDiving: true}},
		{"Diving", false, bnb.Heuristics{NoRounding: true, NoRENS: true, NoRINS: true}},
	} {
		none, h, err := bnb.ParseHeuristics(c.in)
		if err != nil || none != c.none || h.NoRounding != c.h.NoRounding || h.NoDiving != c.h.NoDiving || h.NoRENS != c.h.NoRENS || h.NoRINS != c.h.NoRINS {
			t.Errorf("%q: %v %+v %v", c.in, none, h, err)
		}
	}
	if _, _, err := bnb.ParseHeuristics("rens,cuts"); err == nil || !strings.Contains(err.Error(), "cuts") {
		t.Errorf("unknown name: %v", err)
	}
	if err := (bnb.Config{Heuristics: bnb.Heuristics{MinFixRINS: 2}}).Validate(); err == nil || !strings.Contains(err.Error(), "MinFixRINS") {
		t.Errorf("MinFixRINS 2: %v", err)
	}
	if _, h, err := bnb.ParseHeuristics("pooled"); err != nil || h.NoPooled || !h.NoSwap || !h.NoRounding {
		t.Errorf("pooled: %+v %v", h, err)
	}
	if _, h, err := bnb.ParseHeuristics("rins-fixed"); err != nil || h.NoRINS || !h.FixedRINS || !h.NoRENS {
		t.Errorf("rins-fixed: %+v %v", h, err)
	}
	if _, h, _ := bnb.ParseHeuristics("rins"); h.FixedRINS {
		t.Errorf("rins: %+v, want the adaptive schedule", h)
	}
	if _, h, _ := bnb.ParseHeuristics("swap"); !h.NoPooled {
		t.Errorf("swap: %+v, want the pooled heuristic off", h)
	}
	if err := (bnb.Config{Heuristics: bnb.Heuristics{PooledFreq: -1}}).Validate(); err == nil || !strings.Contains(err.Error(), "PooledFreq") {
		t.Errorf("PooledFreq -1: %v", err)
	}
	for _, c := range []struct {
		h     bnb.Heuristics
		field string
	}{
		{bnb.Heuristics{LNSLeaves: -1}, "LNSLeaves"},
		{bnb.Heuristics{LNSStallNodes: -1}, "LNSStallNodes"},
		{bnb.Heuristics{LNSLimits: bnb.LNSLimitNodes + 1}, "LNSLimits"},
		{bnb.Heuristics{LNSLimits: -1}, "LNSLimits"},
		{bnb.Heuristics{LNSEffort: -0.5}, "LNSEffort"},
		{bnb.Heuristics{LNSEffort: math.NaN()}, "LNSEffort"},
	} {
		if err := (bnb.Config{Heuristics: c.h}).Validate(); err == nil || !strings.Contains(err.Error(), c.field) {
			t.Errorf("%+v: %v, want an error naming %s", c.h, err, c.field)
		}
	}
	if err := (bnb.Config{Heuristics: bnb.Heuristics{LNSEffort: math.Inf(1)}}).Validate(); err != nil {
		t.Errorf("LNSEffort +Inf (no cap): %v", err)
	}
}

// TestPresolvedSearch solves every shared instance on HiGHS's presolved
// model: the postsolved solution is feasible for the original model with
// the known optimum, and every observed branching column is an original
// one.
func TestPresolvedSearch(t *testing.T) {
	bnb.EachSharedMILP(t, nil, func(t *testing.T, _ string, in sharedtest.Instance, m *solver.Model) {
		decisions := 0
		cfg := bnb.Config{Presolve: true, Observe: func(d bnb.Decided) error {
			decisions++
			// (presolve may find a continuous column implied integer and branch on it)
			if d.Column < 0 || d.Column >= m.NumCols() {
				t.Errorf("decision %d: column %d is no column of the original model", d.Step, d.Column)
			}
			return nil
		}}
		res := solveBnB(t, m, "relpscost", cfg)
		t.Logf("%v: %d nodes, %d decisions", res.Status, res.Stats.Nodes, decisions)
		checkShared(t, m, res, in)
	})
}

// TestDiveGoesPastRounding: on three disjoint 5-cycles (maximise the
// columns at 1, one per edge at most) the root LP is 1/2 everywhere and
// every column rounds down. A dive that stopped at the first point
// rounding repairs would offer 2 (one fixing, the other cycles rounded to
// 0); the first dive at the root must reach the optimum 6 by fixing
// columns to their locked side, 1. (Every column here rounds, so the
// three dives fix by the same rule; their kinds differ on the others.)
func TestDiveGoesPastRounding(t *testing.T) {
	var b solver.Builder
	b.SetSense(solver.Maximize)
	const cycles, k = 3, 5
	for range cycles * k {
		b.AddCol("", 1, 0, 1, solver.Integer)
	}
	for c := range cycles {
		for i := range k {
			b.AddRow("", math.Inf(-1), 1, []int{c*k + i, c*k + (i+1)%k}, []float64{1, 1})
		}
	}
	m, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	res := solveBnB(t, m, "mostfrac", bnb.Config{Heuristics: only("diving"), NoCuts: true, NodeLimit: 1})
	checkSolution(t, m, res)
	if res.Objective != 6 || res.Stats.Heuristics[bnb.FractionalDive].Successes != 1 {
		t.Errorf("diving at the root: %v (fractional dive %+v), want 6 by the fractional dive", res.Objective, res.Stats.Heuristics[bnb.FractionalDive])
	}
}
