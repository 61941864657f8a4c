package bnb

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/corl-go/corl/solver"
)

// NodeSelection is the order in which open nodes are processed.
type NodeSelection int

const (
	BestFirst    NodeSelection = iota // best bound, with plunging (default)
	DepthFirst                        // last created child first
	BestEstimate                      // best pseudocost estimate, with plunging
)

func (s NodeSelection) String() string {
	switch s {
	case DepthFirst:
		return "dfs"
	case BestEstimate:
		return "estimate"
	}
	return "best"
}

// ParseNodeSelection reads "best", "dfs" or "estimate".
func ParseNodeSelection(s string) (NodeSelection, error) {
	switch strings.ToLower(s) {
	case "best", "bestfirst", "best-first", "":
		return BestFirst, nil
	case "dfs", "depthfirst", "depth-first":
		return DepthFirst, nil
	case "estimate", "bestestimate", "best-estimate":
		return BestEstimate, nil
	}
	return 0, fmt.Errorf("bnb: unknown node selection %q (want best, dfs or estimate)", s)
}

// Config configures a search. The zero value means: best-first with
// plunging, no limits, cutting planes at the root and at every node, no
// reduced-cost fixing, every primal heuristic on (simple rounding, the
// three dives, RENS, RINS, one-opt, the swap search and the pooled
// knapsack heuristic; RINS's adaptive schedule off) with
// the budgets below.
type Config struct {
	NodeSelection NodeSelection
	// NodeLimit stops the search after this many nodes (0: none).
	NodeLimit int64
	// GapLimit stops the search once the relative gap is at most this (0:
	// prove optimality). It also prunes every node whose bound lies within
	// it of the incumbent, as HiGHS prunes with mip_rel_gap; the least
	// such bound stays part of the dual bound, and a search that ends on
	// an empty tree so ends with StatusGapLimit unless that bound reached
	// the incumbent.
	GapLimit float64
	// GapStopOnly has GapLimit only stop the search, pruning nodes by the
	// incumbent alone (the search before gap pruning).
	GapStopOnly bool
	// Cutoff, when HasCutoff, prunes nodes whose bound reaches it (in the
	// model's own sense: an upper bound for a minimisation).
	Cutoff    float64
	HasCutoff bool
	// NoHeuristics turns every primal heuristic off (rounding, diving and
	// the neighbourhood searches), whatever the fields below say.
	NoHeuristics bool
	// Heuristics tunes the primal heuristics; its zero value means defaults.
	Heuristics Heuristics
	// NoCuts turns the cutting planes off, whatever Cuts says.
	NoCuts bool
	// Cuts tunes the cutting planes; its zero value means defaults.
	Cuts Cuts
	// Presolve has Solve search HiGHS's presolved model instead of the
	// model itself (see Solve); off by default. NewSearch, and so the
	// branching environment, searches the model it is given.
	Presolve bool
	// Redcost says where LP reduced costs tighten the bounds of integer
	// columns against the cutoff (the zero value: RedcostDefault).
	Redcost Redcost
	// MaxPlungeDepth bounds a dive (0: 20).
	MaxPlungeDepth int
	// PlungeQuot: once there is a cutoff, a dive (best-first and
	// best-estimate selection) goes on into a child whose bound lies
	// within this fraction of the gap between the least open bound and
	// the cutoff (0: 1, every child not cut off, as far as MaxPlungeDepth;
	// 0.5 before, RATIONALE.md "Plunging to the cutoff").
	PlungeQuot float64
	// Log receives one progress line every LogEvery nodes (nil: none).
	Log      io.Writer
	LogEvery int64
	// Observe, when set, is called by Run (and Solve) once per branching
	// decision, after the search has gone on to its next decision or its
	// end; an error from it stops the search and is returned. Driving the
	// step API by hand calls nothing.
	Observe func(Decided) error
}

// withDefaults fills in the search's own defaults (the heuristics' and
// cuts' are theirs).
func (c Config) withDefaults() Config {
	if c.MaxPlungeDepth == 0 {
		c.MaxPlungeDepth = 20
	}
	if c.PlungeQuot == 0 {
		c.PlungeQuot = DefaultPlungeQuot
	}
	return c
}

// DefaultPlungeQuot is Config.PlungeQuot's default: a dive goes on into
// every child not cut off.
const DefaultPlungeQuot = 1.0

// Validate checks the configuration.
func (c Config) Validate() error {
	switch {
	case c.NodeSelection < BestFirst || c.NodeSelection > BestEstimate:
		return &ConfigError{"Config.NodeSelection", fmt.Sprintf("unknown value %d", c.NodeSelection)}
	case c.NodeLimit < 0:
		return &ConfigError{"Config.NodeLimit", "must not be negative"}
	case c.GapLimit < 0 || math.IsNaN(c.GapLimit):
		return &ConfigError{"Config.GapLimit", "must be a non-negative number"}
	case c.HasCutoff && (math.IsNaN(c.Cutoff) || math.IsInf(c.Cutoff, 0)):
		return &ConfigError{"Config.Cutoff", "must be a finite number"}
	case c.MaxPlungeDepth < 0:
		return &ConfigError{"Config.MaxPlungeDepth", "must not be negative"}
	case !(c.PlungeQuot >= 0 && c.PlungeQuot <= 1):
		return &ConfigError{"Config.PlungeQuot", "must be in [0, 1]"}
	case c.Redcost < RedcostDefault || c.Redcost > RedcostNodes:
		return &ConfigError{"Config.Redcost", fmt.Sprintf("unknown value %d", c.Redcost)}
	}
	if err := c.Cuts.Validate(); err != nil {
		return err
	}
	return c.Heuristics.Validate()
}

// Heuristics configures the primal heuristics. They look for solutions
// only: they never branch, add nodes or change a node's bounds, so a
// brancher still sees every decision. The zero value turns them all on.
//
// Diving fixes fractional columns one at a time on the node LP and
// re-solves, until the LP is integral (a solution), infeasible or cut off,
// or its budget is spent. LNS (RENS and RINS) hands a sub-MIP, the model
// with many integer columns fixed, to HiGHS's own MIP solver on a second
// engine (found with solver.Spawner on the node LP engine, or SubMIP).
type Heuristics struct {
	NoRounding bool // simple rounding at every node
	NoDiving   bool // fractional, coefficient and pseudocost diving
	NoRENS     bool // RENS once at the root
	NoRINS     bool // RINS on its schedule (RINSFreq, FixedRINS) once there is an incumbent
	NoOneOpt   bool // one-opt on each new incumbent
	NoSwap     bool // the swap search on each new incumbent
	NoPooled   bool // the pooled knapsack's item sets placed in its knapsacks (pooled.go)

	// DiveFreq: the three dives run at the root, then one of them in turn
	// every DiveFreq nodes (0: 10).
	DiveFreq int
	// DiveQuota bounds all dives together to this fraction of the node LPs'
	// simplex iterations, plus 1000 (0: 0.1); a dive stops where it would
	// pass it.
	DiveQuota float64
	// RINSFreq sets RINS's adaptive schedule (0: 100): RINSFreq nodes
	// after its last call, each call that finds nothing doubling the
	// distance to the next (up to 64 RINSFreq), one that finds a solution
	// setting it back; and, at the root too, once an incumbent that no
	// sub-MIP found has come since its last call (a new neighbourhood;
	// one-opt's and the swap search's moves of an incumbent count as its
	// source's), at least RINSFreq/10 nodes after that call; never while
	// the sub-MIPs' work passes LNSEffort.
	RINSFreq int
	// FixedRINS runs RINS at every multiple of RINSFreq nodes instead,
	// never at the root: the schedule before the adaptive one became the
	// default (RATIONALE.md, "RINS on an adaptive schedule").
	FixedRINS bool
	// PooledFreq: the pooled knapsack heuristic runs at the root and at
	// node counts PooledFreq, 2·PooledFreq, 4·PooledFreq, ... (0: 100),
	// where the model has a pooled knapsack bound below the incumbent.
	PooledFreq int
	// MinFixRENS and MinFixRINS: the sub-MIP is skipped when fewer than
	// this fraction of the integer columns would be fixed (0: 0.5 and 0.3).
	MinFixRENS, MinFixRINS float64
	// LNSLimits chooses what ends each sub-MIP besides the safety net
	// (LNSTime): counts, so the search is the same on every machine and
	// under any load. The zero value, LNSLimitHiGHS, ends them as HiGHS
	// ends its own.
	LNSLimits LNSLimits
	// LNSNodes, LNSStallNodes and LNSLeaves are those counts: HiGHS's
	// mip_max_nodes, mip_max_stall_nodes (nodes in a row, taken from its
	// queue, whose estimate reaches the cutoff) and mip_max_leaves. Their
	// defaults (0) and use depend on LNSLimits.
	LNSNodes, LNSStallNodes, LNSLeaves int64
	// LNSEffort caps adaptive RINS's work: it runs only while the
	// sub-MIPs' simplex iterations (RENS's and RINS's) stay within
	// LNSEffort times the search's own (LPIterations) plus 10,000, as
	// HiGHS budgets its heuristics (0: DefaultLNSEffort; +Inf: no cap, as
	// before). The fixed schedule (FixedRINS) has no cap.
	LNSEffort float64
	// LNSTime is a safety net on each sub-MIP's wall time (0: 120 s; never
	// past the search's own deadline), far above what a sub-MIP within
	// LNSNodes takes; one stopped by it is counted in
	// HeuristicStats.TimeLimited, since its result then depends on the
	// machine.
	LNSTime time.Duration
	// SubMIP makes the engine the sub-MIPs run on (nil: Spawn on the node
	// LP engine when it is a solver.Spawner; without either, no LNS), and
	// the repairs of rounded integral LP solutions (Stats.IntegralRepairs).
	// The search closes it when it ends.
	SubMIP func() (solver.Engine, error)
}

// LNSLimits chooses the counts that end RENS's and RINS's sub-MIPs
// (Heuristics.LNSNodes, LNSStallNodes, LNSLeaves; each one's default
// below, where it is 0).
type LNSLimits int8

const (
	// LNSLimitHiGHS, the default, ends them as HiGHS ends the sub-MIPs of
	// its own RENS and RINS: LNSNodes (200) plus a twentieth of the
	// search's nodes so far, LNSStallNodes (12) stalled nodes, LNSLeaves
	// (500) leaves; and sets two of the settings HiGHS gives them:
	// pseudocosts trusted from the first observation
	// (mip_pscost_minreliable 0) and heuristic effort 0.8. (HiGHS's own
	// sub-MIPs also start from their parent's pseudocosts and clique
	// table, and run with no relative gap and no symmetry detection;
	// ours do not.)
	LNSLimitHiGHS LNSLimits = iota
	// LNSLimitStall: LNSNodes (500) nodes, LNSStallNodes (200) plus a
	// twentieth of the search's nodes stalled nodes, and RINS's LNSLeaves
	// (12) leaves, the engine's own settings. With LNSEffort 0.5 it is
	// the default search before LNSLimitHiGHS.
	LNSLimitStall
	// LNSLimitNodes, the default before that: LNSNodes (500) nodes alone.
	LNSLimitNodes
)

// DefaultLNSEffort is Heuristics.LNSEffort's default. HiGHS gives its
// heuristics 5% of its search's simplex iterations, counting a sub-MIP's
// scaled down by the share of the columns its presolve leaves; ours are
// counted whole, hence a larger share (0.5 before sub-MIPs ended as HiGHS
// ends its own: RATIONALE.md, "Sub-MIPs end as HiGHS ends its own, read
// right").
const DefaultLNSEffort = 0.1

// lnsEffortSlack is the sub-MIP simplex iterations adaptive RINS may
// spend beyond LNSEffort times the search's own.
const lnsEffortSlack = 10000

// maxRINSFreq is the largest RINSFreq: adaptive RINS's distance to its
// next call reaches 64 RINSFreq and is doubled from there, which must
// not overflow.
const maxRINSFreq = math.MaxInt64 / 128

// Validate checks the heuristic settings.
func (h Heuristics) Validate() error {
	switch {
	case h.DiveFreq < 0:
		return &ConfigError{"Config.Heuristics.DiveFreq", "must not be negative"}
	case h.RINSFreq < 0:
		return &ConfigError{"Config.Heuristics.RINSFreq", "must not be negative"}
	case h.PooledFreq < 0:
		return &ConfigError{"Config.Heuristics.PooledFreq", "must not be negative"}
	case int64(h.RINSFreq) > maxRINSFreq:
		return &ConfigError{"Config.Heuristics.RINSFreq", fmt.Sprintf("must be at most %d", int64(maxRINSFreq))}
	case !(h.DiveQuota >= 0) || math.IsInf(h.DiveQuota, 1):
		return &ConfigError{"Config.Heuristics.DiveQuota", "must be a finite non-negative number"}
	case !(h.MinFixRENS >= 0 && h.MinFixRENS <= 1):
		return &ConfigError{"Config.Heuristics.MinFixRENS", "must be in [0, 1]"}
	case !(h.MinFixRINS >= 0 && h.MinFixRINS <= 1):
		return &ConfigError{"Config.Heuristics.MinFixRINS", "must be in [0, 1]"}
	case h.LNSNodes < 0:
		return &ConfigError{"Config.Heuristics.LNSNodes", "must not be negative"}
	case h.LNSLeaves < 0:
		return &ConfigError{"Config.Heuristics.LNSLeaves", "must not be negative"}
	case h.LNSStallNodes < 0:
		return &ConfigError{"Config.Heuristics.LNSStallNodes", "must not be negative"}
	case !(h.LNSEffort >= 0):
		return &ConfigError{"Config.Heuristics.LNSEffort", "must be a non-negative number (+Inf: no cap)"}
	case h.LNSLimits < LNSLimitHiGHS || h.LNSLimits > LNSLimitNodes:
		return &ConfigError{"Config.Heuristics.LNSLimits", "must be LNSLimitHiGHS, LNSLimitStall or LNSLimitNodes"}
	case h.LNSTime < 0:
		return &ConfigError{"Config.Heuristics.LNSTime", "must not be negative"}
	}
	return nil
}

// withDefaults fills the zero fields.
func (h Heuristics) withDefaults() Heuristics {
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	if h.DiveFreq == 0 {
		h.DiveFreq = 10
	}
	if h.RINSFreq == 0 {
		h.RINSFreq = 100
	}
	if h.PooledFreq == 0 {
		h.PooledFreq = 100
	}
	def(&h.DiveQuota, 0.1)
	def(&h.MinFixRENS, 0.5)
	def(&h.MinFixRINS, 0.3)
	nodes, stall, leaves := int64(500), int64(200), int64(12)
	if h.LNSLimits == LNSLimitHiGHS {
		nodes, stall, leaves = 200, 12, 500
	}
	for _, f := range []struct {
		v *int64
		d int64
	}{{&h.LNSNodes, nodes}, {&h.LNSStallNodes, stall}, {&h.LNSLeaves, leaves}} {
		if *f.v == 0 {
			*f.v = f.d
		}
	}
	def(&h.LNSEffort, DefaultLNSEffort)
	if h.LNSTime == 0 {
		h.LNSTime = 120 * time.Second
	}
	return h
}

// ParseHeuristics reads which primal heuristics run: "all" (or ""), "none",
// or a comma-separated list among rounding, diving, rens, rins, rins-fixed
// (RINS on Heuristics.FixedRINS's schedule), oneopt, swap and pooled. It
// returns the value of Config.NoHeuristics and the on/off fields of
// Config.Heuristics that say so.
func ParseHeuristics(list string) (none bool, h Heuristics, err error) {
	switch strings.ToLower(strings.TrimSpace(list)) {
	case "", "all", "on":
		return false, h, nil
	case "none", "off":
		return true, h, nil
	}
	h = Heuristics{NoRounding: true, NoDiving: true, NoRENS: true, NoRINS: true, NoOneOpt: true, NoSwap: true, NoPooled: true}
	for _, name := range strings.Split(list, ",") {
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "rounding":
			h.NoRounding = false
		case "diving", "dive":
			h.NoDiving = false
		case "rens":
			h.NoRENS = false
		case "rins":
			h.NoRINS = false
		case "rins-fixed":
			h.NoRINS, h.FixedRINS = false, true
		case "oneopt":
			h.NoOneOpt = false
		case "swap":
			h.NoSwap = false
		case "pooled":
			h.NoPooled = false
		default:
			return false, Heuristics{}, fmt.Errorf("bnb: unknown heuristic %q (want all, none, or a list of rounding, diving, rens, rins, rins-fixed, oneopt, swap, pooled)", name)
		}
	}
	return false, h, nil
}
