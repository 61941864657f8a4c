package bnb

import (
	"math"
	"slices"
	"strconv"
	"time"
)

// Stats describes a search so far. Bounds are in the model's own sense.
type Stats struct {
	Nodes      int64 // node LPs solved (the root included)
	Branchings int64
	OpenNodes  int
	// OpenNodeBytes is the most memory the open nodes held at once: each
	// open node and its places in the queues, and the processed nodes
	// kept for their open descendants with their basis deltas.
	// OpenNodesAtPeak is the number of open nodes at that moment.
	OpenNodeBytes   int64
	OpenNodesAtPeak int
	MaxDepth        int
	LPIterations    int64 // simplex iterations: node LPs and strong branching
	SBIterations    int64 // of which strong branching
	SBLPs           int64 // strong-branching child LPs
	// RootSBIterations is the part of SBIterations spent at the root, and
	// SBTime the wall time of every strong-branching child LP.
	RootSBIterations int64
	SBTime           time.Duration
	// SBWarmStarts counts the node LPs warm-started from the final basis
	// of their parent's strong branching on them.
	SBWarmStarts int64
	// LPResolves counts the node LPs solved again from the slack basis
	// after HiGHS ended a solve of them with an unknown status.
	LPResolves int64
	// IntegralRepairs counts the integral LP solutions (a node's, a
	// dive's) whose rounding left a row violated, and whose continuous
	// columns were solved again with the integer columns fixed.
	IntegralRepairs     int64
	Incumbents          int // improving solutions found
	HeuristicIncumbents int // of which by a primal heuristic
	// Found lists the improving solutions in the order they were found,
	// with the node count at the time: the same on every machine for the
	// same search, unlike History's seconds.
	Found []Found
	// Heuristics counts each primal heuristic's work, by Heuristic. Their
	// simplex iterations are not in LPIterations.
	Heuristics [NumHeuristics]HeuristicStats
	// Cuts counts the cutting planes' work. Their re-solves' simplex
	// iterations are not in LPIterations.
	Cuts CutStats
	// Redcost counts reduced-cost fixing's work.
	Redcost RedcostStats
	// GapPruned counts the nodes pruned because their bound lay within
	// Config.GapLimit of the incumbent (and not past it).
	GapPruned int64
	// RootLPValue is the root LP's value before cuts, RootBound the root's
	// bound after them (minimisation form).
	RootLPValue float64
	RootBound   float64
	PrimalBound float64 // ±Inf without a solution
	DualBound   float64
	Gap         float64 // relative: |primal - dual| / max(|primal|, |dual|)
	Time        time.Duration
	// Integrals over wall time (seconds), minimisation form; see the package doc.
	PrimalIntegral     float64
	DualIntegral       float64
	PrimalDualIntegral float64
	// History is every change of the bounds so far, read-only: it shares
	// the search's array (copying it at every Stats call would make a long
	// search quadratic), and an append to it copies.
	History []BoundEvent
}

// negatedSense returns s with the values in the model's sense negated
// (the bounds, the solutions found), as for a presolved model of the
// other sense; the values in minimisation form are the same in both. The
// Found list is copied.
func (s Stats) negatedSense() Stats {
	s.PrimalBound, s.DualBound = -s.PrimalBound, -s.DualBound
	s.Found = slices.Clone(s.Found)
	for i := range s.Found {
		s.Found[i].Objective = -s.Found[i].Objective
	}
	return s
}

// BytesPerOpenNode is OpenNodeBytes per open node at its peak (0 before
// any node was open).
func (s Stats) BytesPerOpenNode() float64 {
	if s.OpenNodesAtPeak == 0 {
		return 0
	}
	return float64(s.OpenNodeBytes) / float64(s.OpenNodesAtPeak)
}

// Heuristic names a primal heuristic.
type Heuristic int

const (
	Rounding        Heuristic = iota // simple rounding
	FractionalDive                   // diving on the least fractional column
	CoefficientDive                  // diving on the column with the fewest locks
	PseudocostDive                   // diving guided by the pseudocosts
	RENS                             // sub-MIP around the root LP solution
	RINS                             // sub-MIP where a node LP agrees with the incumbent
	OneOpt                           // shifting single integer columns of the incumbent
	Swap                             // one column out, its row neighbours in, on the incumbent
	Pooled                           // the pooled knapsack's best item sets, placed in the knapsacks
	NumHeuristics

	// NodeLP is not a heuristic: Found.By of a node LP solution that was
	// integral.
	NodeLP Heuristic = -1
)

var heuristicNames = [NumHeuristics]string{"rounding", "fracdive", "coefdive", "pscostdive", "rens", "rins", "oneopt", "swap", "pooled"}

func (h Heuristic) String() string {
	if h == NodeLP {
		return "lp"
	}
	if h >= 0 && h < NumHeuristics {
		return heuristicNames[h]
	}
	return "heuristic(" + strconv.Itoa(int(h)) + ")"
}

// HeuristicStats is one heuristic's work so far.
type HeuristicStats struct {
	Calls        int64 // runs (a skipped sub-MIP is not a run)
	Successes    int64 // runs that improved the incumbent
	LPIterations int64 // simplex iterations (dives: their LPs; LNS: the sub-MIP's)
	Nodes        int64 // sub-MIP nodes (LNS), dive depth summed (diving), or sets listed and placement nodes (pooled)
	Time         time.Duration
	// TimeLimited counts the sub-MIPs (LNS) that Heuristics.LNSTime, the
	// safety net, stopped: 0 in a search that depends on no clock.
	TimeLimited int64
}

// Found is one improving solution of a search.
type Found struct {
	Node      int64     // node LPs solved when it was found (Stats.Nodes)
	Objective float64   // model's sense
	By        Heuristic // the heuristic that found it; NodeLP for an integral node LP
}

// BoundEvent is a change of the primal or dual bound (minimisation form).
type BoundEvent struct {
	Seconds      float64
	Primal, Dual float64
}

// integrals accumulates the bound integrals of the package doc over time.
type integrals struct {
	d0, p0     float64 // trivial bounds; replaced by the root LP value when infinite
	lastT      float64
	primal     float64 // current p(t), d(t), clipped
	dual       float64
	pNow, dNow float64
	primalDual float64
	history    []BoundEvent
	rootSet    bool
}

func (g *integrals) init(d0, p0 float64) {
	g.d0, g.p0 = d0, p0
	g.pNow, g.dNow = math.Inf(1), math.Inf(-1)
}

// setRoot fills infinite trivial bounds from the root LP value.
func (g *integrals) setRoot(v float64) {
	if g.rootSet {
		return
	}
	g.rootSet = true
	if math.IsInf(g.d0, 0) {
		g.d0 = v
	}
	if math.IsInf(g.p0, 0) {
		g.p0 = v + math.Max(1, math.Abs(v))
	}
}

// advance integrates the current bounds up to time t.
func (g *integrals) advance(t float64) {
	dt := t - g.lastT
	if dt <= 0 {
		return
	}
	g.lastT = t
	if math.IsInf(g.d0, 0) || math.IsInf(g.p0, 0) {
		return // before the root LP: no finite reference yet
	}
	p := math.Min(g.p0, g.pNow)
	// The dual bound is +Inf once the model is proven infeasible: clipped
	// to P0, it closes the dual gap instead of making it −Inf.
	d := math.Min(math.Max(g.d0, g.dNow), g.p0)
	g.primal += (p - g.d0) * dt
	g.dual += (g.p0 - d) * dt
	g.primalDual += math.Max(p-d, 0) * dt
}

// update integrates up to t, then records new bounds.
func (g *integrals) update(t, primal, dual float64) {
	g.advance(t)
	if primal != g.pNow || dual != g.dNow {
		g.pNow, g.dNow = primal, dual
		g.history = append(g.history, BoundEvent{t, primal, dual})
	}
}

// HeuristicTotal sums the work of every heuristic.
func (s *Stats) HeuristicTotal() HeuristicStats {
	var t HeuristicStats
	for _, h := range s.Heuristics {
		t.Calls += h.Calls
		t.Successes += h.Successes
		t.LPIterations += h.LPIterations
		t.Nodes += h.Nodes
		t.Time += h.Time
		t.TimeLimited += h.TimeLimited
	}
	return t
}
