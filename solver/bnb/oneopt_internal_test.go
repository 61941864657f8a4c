package bnb

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/corl-go/corl/internal/highstest"
	"github.com/corl-go/corl/solver"
	"github.com/corl-go/corl/solver/solvertest"
)

// TestOneOptByHand: on max 5a + 4b + 3c + d, 2a + 3b + c ≤ 5, c + 2d ≥ 1,
// a, b, c binary, d in {0..3} integer, from the incumbent (0, 0, 1, 0) of
// value 3, one-opt takes a (gain 5: row one at 3), then b no longer fits
// (3 + 3 > 5), and d rises to its bound (gain 3, no row limits it
// upwards): (1, 0, 1, 3) of value 11, by hand.
func TestOneOptByHand(t *testing.T) {
	inf := math.Inf(1)
	m := &solver.Model{
		Sense:    solver.Maximize,
		Cost:     []float64{5, 4, 3, 1},
		ColLower: []float64{0, 0, 0, 0},
		ColUpper: []float64{1, 1, 1, 3},
		Type:     []solver.VarType{solver.Integer, solver.Integer, solver.Integer, solver.Integer},
		RowLower: []float64{-inf, 1},
		RowUpper: []float64{5, inf},
		Start:    []int{0, 1, 2, 4, 5},
		Index:    []int{0, 0, 0, 1, 1},
		Value:    []float64{2, 3, 1, 1, 2},
	}
	s, err := NewSearch(context.Background(), highstest.New(t), m, Config{})
	if err != nil {
		t.Fatal(err)
	}
	s.newIncumbent([]float64{0, 0, 1, 0}, true)
	s.oneOptDue()
	x, obj := s.Incumbent()
	if !slices.Equal(x, []float64{1, 0, 1, 3}) || obj != 11 {
		t.Fatalf("one-opt gave %v (%v); want [1 0 1 3] (11)", x, obj)
	}
	if st := s.stats.Heuristics[OneOpt]; st.Calls != 1 || st.Successes != 1 {
		t.Errorf("one-opt's counters: %+v", st)
	}
	if f := s.stats.Found; len(f) != 2 || f[1].By != OneOpt || f[1].Objective != 11 {
		t.Errorf("found: %+v", f)
	}
	st := s.Stats()
	st.Found[0].Objective = 42
	if f := s.Stats().Found; f[0].Objective != 3 {
		t.Errorf("changing Stats().Found changed the search's: %+v", f)
	}
	s.oneOptDue() // its own solution: nothing to do
	if st := s.stats.Heuristics[OneOpt]; st.Calls != 1 {
		t.Errorf("one-opt ran again on its own solution: %+v", st)
	}
}

// TestRINSSchedule walks RINS's schedule by hand with RINSFreq 100: the
// first call at node 100, the distance doubling after calls that find
// nothing (200, then 400), set back after one that finds a solution, and a
// call once a solution not from a sub-MIP comes, 10 nodes after the last
// call at the earliest, at the root too; the fixed schedule (FixedRINS)
// is every 100 nodes.
func TestRINSSchedule(t *testing.T) {
	s := &Search{heur: Heuristics{}.withDefaults()}
	found := func(by Heuristic) {
		s.stats.Incumbents++
		s.stats.Found = append(s.stats.Found, Found{Node: s.stats.Nodes, By: by})
	}
	call := func(success bool) { // a call that ran a sub-MIP
		before := s.stats.Incumbents
		s.rins.ran = true
		if success {
			found(RINS)
		}
		s.rinsCalled(s.stats.Nodes, before)
	}
	due := func(node int64, root bool) bool { s.stats.Nodes = node; return s.rinsDue(root) }
	s.stats.Nodes = 1
	found(RENS)
	if due(1, true) || due(99, false) || !due(100, false) {
		t.Fatal("the first call is at node 100 when only RENS found a solution")
	}
	call(false)
	if due(299, false) || !due(300, false) {
		t.Fatal("after a failure the next call is 200 nodes on")
	}
	call(false)
	if due(699, false) || !due(700, false) {
		t.Fatal("after two failures the next call is 400 nodes on")
	}
	call(true)
	if due(799, false) || !due(800, false) {
		t.Fatal("after a success the next call is 100 nodes on")
	}
	call(false)
	s.stats.Nodes = 805
	found(Rounding)
	if due(805, false) || !due(810, false) {
		t.Fatal("a rounded solution brings the call forward to 10 nodes after the last")
	}
	call(false)
	if due(820, false) {
		t.Fatal("a solution already seen brings nothing forward")
	}

	// From the distance set back, seven failures in a row: the calls
	// 100, 200, ..., 3200, 6400 nodes apart, and the distance then stays
	// at the cap, 64 RINSFreq.
	call(true)
	var dists []int64
	for range 7 {
		last := s.stats.Nodes
		n := last + 1
		for !due(n, false) {
			n++
		}
		dists = append(dists, n-last)
		call(false)
	}
	if want := []int64{100, 200, 400, 800, 1600, 3200, 6400}; !slices.Equal(dists, want) {
		t.Fatalf("seven failures: calls %v nodes apart, want %v", dists, want)
	}
	if last := s.stats.Nodes; s.rins.gap != 6400 || due(last+6399, false) || !due(last+6400, false) {
		t.Fatalf("after seven failures the distance is %d, want the cap 6400", s.rins.gap)
	}
	// A call that ran no sub-MIP (too few columns fixed) keeps the
	// distance; a success sets it back.
	s.stats.Nodes += 6400
	s.rins.ran = false
	s.rinsCalled(s.stats.Nodes, s.stats.Incumbents)
	if s.rins.gap != 6400 {
		t.Fatalf("a call without a sub-MIP changed the distance to %d", s.rins.gap)
	}
	s.stats.Nodes += 6400
	call(true)
	if s.rins.gap != 100 || !due(s.stats.Nodes+100, false) {
		t.Fatalf("after a success the distance is %d, want 100", s.rins.gap)
	}

	r := &Search{heur: Heuristics{}.withDefaults()}
	r.stats.Nodes = 1
	r.stats.Incumbents = 1
	r.stats.Found = []Found{{Node: 1, By: FractionalDive}}
	if !r.rinsDue(true) {
		t.Error("a dive's solution at the root calls RINS there")
	}
	r.heur.FixedRINS = true
	if r.rinsDue(true) || !func() bool { r.stats.Nodes = 200; return r.rinsDue(false) }() {
		t.Error("the fixed schedule: every 100 nodes, never at the root")
	}
}

// TestRINSEffort: adaptive RINS is due only while RENS's and RINS's
// sub-MIP iterations stay within LNSEffort times the search's own plus
// 10,000 (the default: a tenth); the fixed schedule and an infinite
// LNSEffort have no cap.
func TestRINSEffort(t *testing.T) {
	s := &Search{heur: Heuristics{}.withDefaults()}
	s.stats.Nodes, s.stats.Incumbents = 100, 1
	s.stats.Found = []Found{{Node: 1, By: RENS}}
	s.stats.LPIterations = 40000
	s.stats.Heuristics[RENS].LPIterations = 13990
	if !s.rinsDue(false) {
		t.Error("the default effort at 40,000 search iterations: due up to 14,000 sub-MIP iterations")
	}
	s.stats.Heuristics[RENS].LPIterations = 14010
	if s.rinsDue(false) {
		t.Error("the default effort at 40,000 search iterations: not due past 14,000 sub-MIP iterations")
	}
	s = &Search{heur: Heuristics{LNSEffort: 0.5}.withDefaults()}
	s.stats.Nodes, s.stats.Incumbents = 100, 1
	s.stats.Found = []Found{{Node: 1, By: RENS}}
	s.stats.LPIterations = 40000
	due := func(rens, rins int64) bool {
		s.stats.Heuristics[RENS].LPIterations, s.stats.Heuristics[RINS].LPIterations = rens, rins
		return s.rinsDue(false)
	}
	if !due(20000, 10000) || due(20000, 10001) || due(30001, 0) {
		t.Error("LNSEffort 0.5 at 40,000 search iterations: due up to 30,000 sub-MIP iterations, not past them")
	}
	s.stats.LPIterations = 80000
	if !due(30001, 0) || !due(25000, 25000) || due(25000, 25001) {
		t.Error("at 80,000 search iterations: due up to 50,000 sub-MIP iterations")
	}
	s.stats.Found = append(s.stats.Found, Found{Node: 100, By: Rounding})
	s.stats.Incumbents = 2
	if due(50000, 1) {
		t.Error("a new neighbourhood does not pass the cap")
	}
	s.heur.LNSEffort = math.Inf(1)
	if !due(1e12, 1e12) {
		t.Error("LNSEffort +Inf: no cap")
	}
	s.stats.LPIterations = 0 // +Inf times 0 is no number: still no cap
	if !due(1e12, 1e12) {
		t.Error("LNSEffort +Inf with no search iterations yet: no cap")
	}
	s.heur.LNSEffort, s.heur.FixedRINS = DefaultLNSEffort, true
	if !due(1e12, 1e12) {
		t.Error("the fixed schedule has no cap")
	}
}

// One-opt's shift of an incumbent is no new neighbourhood for adaptive
// RINS: after RENS's solution and one-opt's improvement of it, RINS
// waits for its first call at node 100, not the root; after a rounded
// solution and one-opt's improvement of it, RINS is called at once.
func TestRINSOneOptKeepsItsSource(t *testing.T) {
	for _, tc := range []struct {
		source Heuristic
		root   bool
	}{{RENS, false}, {RINS, false}, {Rounding, true}, {NodeLP, true}} {
		s := &Search{heur: Heuristics{}.withDefaults()}
		s.stats.Nodes = 1
		s.stats.Incumbents = 2
		s.stats.Found = []Found{{Node: 1, By: tc.source}, {Node: 1, By: OneOpt}}
		if got := s.rinsDue(true); got != tc.root {
			t.Errorf("%v then one-opt: RINS due at the root %v, want %v", tc.source, got, tc.root)
		}
		s.stats.Nodes = 99
		if got := s.rinsDue(false); got != tc.root {
			t.Errorf("%v then one-opt: RINS due at node 99 %v, want %v", tc.source, got, tc.root)
		}
	}
}

// RINSFreq above maxRINSFreq is refused, naming the field: adaptive
// RINS's distance, 64 RINSFreq at most, is doubled, and must not
// overflow. At the largest accepted value it stays capped.
func TestRINSFreqOverflow(t *testing.T) {
	if math.MaxInt < maxRINSFreq {
		t.Skip("int is too small to hold a RINSFreq past the limit")
	}
	big := int64(maxRINSFreq)
	for _, f := range []int64{big + 1, math.MaxInt64 / 64, math.MaxInt64} {
		var ce *ConfigError
		err := (Config{Heuristics: Heuristics{RINSFreq: int(f)}}).Validate()
		if !errors.As(err, &ce) || ce.Field != "Config.Heuristics.RINSFreq" {
			t.Errorf("RINSFreq %d: %v, want a ConfigError on Config.Heuristics.RINSFreq", f, err)
		}
	}
	h := Heuristics{RINSFreq: int(big)}
	if err := (Config{Heuristics: h}).Validate(); err != nil {
		t.Fatalf("RINSFreq %d: %v", big, err)
	}
	s := &Search{heur: h.withDefaults()}
	s.stats.Incumbents = 1
	for range 10 {
		s.rinsDue(false)
		s.rins.ran = true
		s.rinsCalled(s.stats.Nodes, s.stats.Incumbents)
	}
	if want := 64 * big; s.rins.gap != want {
		t.Errorf("after 10 failures the distance is %d, want %d", s.rins.gap, want)
	}
}

// One-opt runs on every new incumbent as it comes, a node LP's included
// (not only at the next node that runs heuristics, which may never come):
// in searches to the end, its calls are the solutions others found.
func TestOneOptOnEveryIncumbent(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 9))
	nodeLP := 0
	for k := range 41 {
		m := solvertest.SetCover(rng, 12+rng.IntN(10), 20+rng.IntN(15), 0.2, 10)
		cfg := Config{Heuristics: Heuristics{NoRENS: true, NoRINS: true}}
		cfg.NoHeuristics = k == 40 // and with the heuristics off, never
		st := searchToEnd(t, highstest.New(t), m, cfg).Stats()
		others := 0
		for _, f := range st.Found {
			if f.By != OneOpt {
				others++
			}
			if f.By == NodeLP {
				nodeLP++
			}
		}
		if cfg.NoHeuristics {
			others = 0
		}
		if calls := st.Heuristics[OneOpt].Calls; calls != int64(others) {
			t.Errorf("model %d: one-opt ran %d times on %d solutions found by others: %+v", k, calls, others, st.Found)
		}
	}
	if nodeLP == 0 {
		t.Error("no node LP found a solution: the models do not exercise it")
	}
}

// noSpawn is an engine that cannot spawn sub-MIP engines.
type noSpawn struct{ solver.Engine }

// Without an engine for sub-MIPs, a RINS call runs none, so adaptive
// RINS keeps its distance rather than doubling it as after a failure.
func TestRINSWithoutSubMIPKeepsDistance(t *testing.T) {
	m := solvertest.SetCover(rand.New(rand.NewPCG(17, 4)), 120, 240, 0.05, 100)
	h := Heuristics{RINSFreq: 2, MinFixRINS: 1e-9, NoRENS: true}
	s := searchToEnd(t, noSpawn{highstest.New(t)}, m, Config{Heuristics: h})
	if s.rins.last == 0 || s.rins.gap != 2 {
		t.Errorf("RINS last called at node %d, distance %d; want a call and the distance 2", s.rins.last, s.rins.gap)
	}
}

// searchToEnd runs the search of m on lp under cfg with mostfrac
// branching to its end.
func searchToEnd(t *testing.T, lp solver.Engine, m *solver.Model, cfg Config) *Search {
	t.Helper()
	s, err := NewSearch(context.Background(), lp, m, cfg)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewRule("mostfrac", 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Run(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestLNSLimitsDefaults: each choice of LNSLimits fills the counts it
// reads with its own defaults, and leaves counts that are set alone.
func TestLNSLimitsDefaults(t *testing.T) {
	for _, c := range []struct {
		limits               LNSLimits
		nodes, stall, leaves int64
	}{
		{LNSLimitHiGHS, 200, 12, 500},
		{LNSLimitStall, 500, 200, 12},
		{LNSLimitNodes, 500, 200, 12},
	} {
		h := Heuristics{LNSLimits: c.limits}.withDefaults()
		if h.LNSNodes != c.nodes || h.LNSStallNodes != c.stall || h.LNSLeaves != c.leaves {
			t.Errorf("LNSLimits %d: nodes %d, stalled nodes %d, leaves %d; want %d, %d, %d", c.limits, h.LNSNodes, h.LNSStallNodes, h.LNSLeaves, c.nodes, c.stall, c.leaves)
		}
		if h := (Heuristics{LNSLimits: c.limits, LNSNodes: 7, LNSStallNodes: 8, LNSLeaves: 9}).withDefaults(); h.LNSNodes != 7 || h.LNSStallNodes != 8 || h.LNSLeaves != 9 {
			t.Errorf("LNSLimits %d with counts set: %d, %d, %d; want 7, 8, 9", c.limits, h.LNSNodes, h.LNSStallNodes, h.LNSLeaves)
		}
	}
}
