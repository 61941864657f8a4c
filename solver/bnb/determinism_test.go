package bnb_test

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/corl-go/corl/solver"
	"github.com/corl-go/corl/solver/bnb"
	"github.com/corl-go/corl/solver/highs"
	"github.com/corl-go/corl/solver/solvertest"
)

// subMIPRecorder is a HiGHS engine that records, for each sub-MIP it
// solves, the node, leaf, stall-node and time limits in force, and how
// hard its HiGHS works at each node.
type subMIPRecorder struct {
	*highs.Solver
	ints    map[string]int
	doubles map[string]float64
	solves  []subMIPLimits
}

type subMIPLimits struct {
	nodes, leaves, stall, minReliable int
	time, effort                      float64
}

func (r *subMIPRecorder) SetIntOption(name string, v int) error {
	r.ints[name] = v
	return r.Solver.SetIntOption(name, v)
}

func (r *subMIPRecorder) SetDoubleOption(name string, v float64) error {
	r.doubles[name] = v
	return r.Solver.SetDoubleOption(name, v)
}

func (r *subMIPRecorder) Solve(ctx context.Context) (solver.Status, error) {
	r.solves = append(r.solves, subMIPLimits{r.ints["mip_max_nodes"], r.ints["mip_max_leaves"], r.ints["mip_max_stall_nodes"],
		r.ints["mip_pscost_minreliable"], r.doubles["time_limit"], r.doubles["mip_heuristic_effort"]})
	return r.Solver.Solve(ctx)
}

// lnsOften runs RENS at the root and RINS every other node (its fixed
// schedule, not the adaptive one), whatever columns they fix, so small
// models exercise them.
func lnsOften(h bnb.Heuristics) bnb.Heuristics {
	h.RINSFreq, h.MinFixRENS, h.MinFixRINS, h.FixedRINS = 2, 1e-9, 1e-9, true
	return h
}

// determinismModels are models whose searches branch and run RENS and
// RINS: a set-cover model (17 nodes under relpscost, 45 under pscost; the
// random binary programs and the other set-cover draws tried close at
// the root).
func determinismModels() []*solver.Model {
	rng := rand.New(rand.NewPCG(17, 4))
	return []*solver.Model{solvertest.SetCover(rng, 120, 240, 0.05, 100)}
}

// TestSubMIPsEndByNodes: every sub-MIP runs under the counts its
// LNSLimits choose, with the time limit only as the safety net far above
// them, and no sub-MIP of these small models reaches the net.
//   - LNSLimitHiGHS: nodes 37 plus a twentieth of the search's at the call,
//     5 stalled nodes, 9 leaves, on RENS and RINS alike, pseudocosts
//     trusted at once and heuristic effort 0.8;
//   - LNSLimitStall: nodes 37, stalled nodes 200 plus a twentieth of the
//     search's (200 at the root), RINS's leaves 9, the engine's own settings;
//   - LNSLimitNodes: nodes 37 alone.
func TestSubMIPsEndByNodes(t *testing.T) {
	const inf = math.MaxInt32
	for k, m := range determinismModels() {
		for _, limits := range []bnb.LNSLimits{bnb.LNSLimitHiGHS, bnb.LNSLimitStall, bnb.LNSLimitNodes} {
			rec := &subMIPRecorder{ints: map[string]int{}, doubles: map[string]float64{}}
			h := lnsOften(bnb.Heuristics{LNSNodes: 37, LNSLeaves: 9, LNSLimits: limits})
			if limits == bnb.LNSLimitHiGHS {
				h.LNSStallNodes = 5
			}
			h.SubMIP = func() (solver.Engine, error) {
				rec.Solver = newLP(t)
				return rec, nil
			}
			res := solveBnB(t, m, "relpscost", bnb.Config{Heuristics: h})
			lns := res.Stats.Heuristics[bnb.RENS].Calls + res.Stats.Heuristics[bnb.RINS].Calls
			if res.Stats.Heuristics[bnb.RENS].Calls != 1 || lns < 2 || int64(len(rec.solves)) != lns {
				t.Fatalf("model %d: %d sub-MIPs solved, %d LNS calls counted", k, len(rec.solves), lns)
			}
			grow := int(res.Stats.Nodes / 20) // a twentieth of the search's nodes, at most
			for i, l := range rec.solves {
				root := i == 0 // RENS, at the root
				type span struct{ lo, hi int }
				nodes, stall, leaves := span{37, 37}, span{inf, inf}, 9
				minRel, effort := 0, 0.0 // not set: the engine's own
				switch limits {
				case bnb.LNSLimitHiGHS:
					nodes.hi += grow
					stall = span{5, 5}
					minRel, effort = 0, 0.8
				case bnb.LNSLimitStall:
					stall = span{200, 200 + grow}
					if root {
						leaves, stall.hi = inf, 200
					}
				case bnb.LNSLimitNodes:
					leaves = inf
				}
				if root {
					nodes.hi = 37
				}
				if l.nodes < nodes.lo || l.nodes > nodes.hi || l.stall < stall.lo || l.stall > stall.hi || l.leaves != leaves ||
					l.minReliable != minRel || l.effort != effort || l.time < (120*time.Second).Seconds() {
					t.Errorf("model %d, LNSLimits %d, sub-MIP %d: %+v; want nodes in %v, stalled nodes in %v, %d leaves, min reliable %d, effort %v, the 120 s safety net",
						k, limits, i, l, nodes, stall, leaves, minRel, effort)
				}
			}
			for _, kind := range []bnb.Heuristic{bnb.RENS, bnb.RINS} {
				if n := res.Stats.Heuristics[kind].TimeLimited; n != 0 {
					t.Errorf("model %d: %v stopped %d times by the safety net", k, kind, n)
				}
			}
		}
	}
}

// TestSubMIPNodesUnbounded: a node limit past what HiGHS's options hold
// is clamped to the largest it takes, the twentieth of the search's nodes
// added under HiGHS's limits included, never wrapped around.
func TestSubMIPNodesUnbounded(t *testing.T) {
	rec := &subMIPRecorder{ints: map[string]int{}, doubles: map[string]float64{}}
	h := lnsOften(bnb.Heuristics{LNSNodes: math.MaxInt64})
	h.SubMIP = func() (solver.Engine, error) {
		rec.Solver = newLP(t)
		return rec, nil
	}
	solveBnB(t, determinismModels()[0], "relpscost", bnb.Config{Heuristics: h})
	if len(rec.solves) < 2 {
		t.Fatalf("%d sub-MIPs solved, want RENS and RINS", len(rec.solves))
	}
	for i, l := range rec.solves {
		if l.nodes != math.MaxInt32 {
			t.Errorf("sub-MIP %d: node limit %d, want %d", i, l.nodes, math.MaxInt32)
		}
	}
}

// TestSafetyNetIsCounted: a sub-MIP stopped by LNSTime is counted, since
// the search then depends on the machine's speed.
func TestSafetyNetIsCounted(t *testing.T) {
	m := determinismModels()[0]
	res := solveBnB(t, m, "pscost", bnb.Config{Heuristics: lnsOften(bnb.Heuristics{NoRINS: true, LNSTime: time.Nanosecond})})
	rens := res.Stats.Heuristics[bnb.RENS]
	if rens.Calls != 1 || rens.TimeLimited != 1 {
		t.Errorf("RENS under a 1 ns net: %+v; want one call, stopped by the net", rens)
	}
}

// TestSearchRepeats: the same search run twice builds the same tree (every
// node's parent, children and LP iterations), finds the same solutions at
// the same nodes by the same heuristics, and spends the same work in each
// heuristic. Nothing in the search reads a clock while no sub-MIP hits
// its safety time limit, so each run must show TimeLimited 0: one that
// does not depended on the machine, and proves nothing.
func TestSearchRepeats(t *testing.T) {
	ctx := context.Background()
	for k, m := range determinismModels() {
		for _, rule := range []string{"relpscost", "pscost"} {
			type run struct {
				tree  []bnb.NodeInfo
				stats bnb.Stats
			}
			var runs [2]run
			for i := range runs {
				r, err := bnb.NewRule(rule, 1)
				if err != nil {
					t.Fatal(err)
				}
				s, err := bnb.NewSearch(ctx, newLP(t), m, bnb.Config{Heuristics: lnsOften(bnb.Heuristics{})})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := s.Run(ctx, r); err != nil {
					t.Fatal(err)
				}
				runs[i] = run{s.Tree(), s.Stats()}
				if h := runs[i].stats.History; len(h) > 0 {
					n := len(h)
					h = append(h, bnb.BoundEvent{Primal: math.NaN()})
					if got := s.Stats().History; len(got) != n || cap(h) == cap(got) && &h[0] == &got[0] {
						t.Errorf("model %d, %s: appending to Stats().History changed the search's", k, rule)
					}
				} else {
					t.Errorf("model %d, %s: no bound history", k, rule)
				}
			}
			a, b := runs[0], runs[1]
			for i, r := range runs {
				if tl := r.stats.HeuristicTotal().TimeLimited; tl != 0 {
					t.Errorf("model %d, %s, run %d: %d sub-MIPs stopped by the safety time limit: the runs depended on the clock", k, rule, i, tl)
				}
			}
			if !slices.Equal(a.tree, b.tree) {
				t.Errorf("model %d, %s: trees differ (%d and %d nodes)", k, rule, len(a.tree), len(b.tree))
			}
			if !slices.Equal(a.stats.Found, b.stats.Found) || len(a.stats.Found) == 0 {
				t.Errorf("model %d, %s: solutions found %v and %v", k, rule, a.stats.Found, b.stats.Found)
			}
			if a.stats.Nodes != b.stats.Nodes || a.stats.LPIterations != b.stats.LPIterations || a.stats.Cuts.LPIterations != b.stats.Cuts.LPIterations {
				t.Errorf("model %d, %s: nodes %d/%d, LP iterations %d/%d, cut iterations %d/%d", k, rule,
					a.stats.Nodes, b.stats.Nodes, a.stats.LPIterations, b.stats.LPIterations, a.stats.Cuts.LPIterations, b.stats.Cuts.LPIterations)
			}
			for h := range bnb.NumHeuristics {
				ha, hb := a.stats.Heuristics[h], b.stats.Heuristics[h]
				ha.Time, hb.Time = 0, 0
				if ha != hb {
					t.Errorf("model %d, %s, %v: %+v and %+v", k, rule, h, ha, hb)
				}
			}
			lns := a.stats.Heuristics[bnb.RENS].Calls + a.stats.Heuristics[bnb.RINS].Calls
			t.Logf("model %d, %s: %d nodes, %d sub-MIPs, %d solutions", k, rule, a.stats.Nodes, lns, len(a.stats.Found))
			if lns == 0 || a.stats.Nodes < 10 {
				t.Errorf("model %d, %s: %d nodes, %d sub-MIPs: too small to show anything", k, rule, a.stats.Nodes, lns)
			}
		}
	}
}
