package bnb

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

// Rules returns the built-in branching rules' names.
func Rules() []string { return []string{"mostfrac", "pscost", "fsb", "relpscost", "random"} }

// NewRule returns the built-in rule called name; seed drives "random".
func NewRule(name string, seed uint64) (Brancher, error) {
	switch strings.ToLower(name) {
	case "mostfrac", "mostfractional":
		return MostFractional{}, nil
	case "pscost", "pseudocost":
		return PseudoCost{}, nil
	case "fsb", "strong", "fullstrong":
		return FullStrong{}, nil
	case "relpscost", "reliability":
		return &Reliability{}, nil
	case "random":
		return NewRandom(rand.New(rand.NewPCG(seed, 0xb4a2c4))), nil
	}
	return nil, fmt.Errorf("bnb: unknown branching rule %q (want one of %s)", name, strings.Join(Rules(), ", "))
}

var (
	_ Brancher = MostFractional{}
	_ Brancher = PseudoCost{}
	_ Brancher = FullStrong{}
	_ Brancher = (*Reliability)(nil)
	_ Brancher = (*Random)(nil)
)

// argmax returns the candidate with the greatest score (the first on ties).
func argmax(cands []int, score func(j int) float64) int {
	best, bestScore := cands[0], math.Inf(-1)
	for _, j := range cands {
		if sc := score(j); sc > bestScore {
			best, bestScore = j, sc
		}
	}
	return best
}

// MostFractional branches on the column whose value is farthest from an integer.
type MostFractional struct{}

func (MostFractional) Select(_ context.Context, d *Decision) (int, error) {
	return argmax(d.Candidates(), func(j int) float64 {
		f := d.Fractionality(j)
		return math.Min(f, 1-f)
	}), nil
}

// PseudoCost branches on the best product score of the pseudocosts.
type PseudoCost struct{}

func (PseudoCost) Select(_ context.Context, d *Decision) (int, error) {
	pc := d.Pseudocosts()
	return argmax(d.Candidates(), func(j int) float64 { return pc.Score(j, d.Fractionality(j)) }), nil
}

// FullStrong solves both children of every candidate exactly and branches
// on the best product of the two objective gains.
type FullStrong struct{}

func (FullStrong) Select(ctx context.Context, d *Decision) (int, error) {
	scores, err := d.StrongBranchingScores(ctx, nil)
	if err != nil {
		return 0, err
	}
	cands := d.Candidates()
	k := 0
	for i, sc := range scores {
		if sc > scores[k] {
			k = i
		}
	}
	return cands[k], nil
}

// Reliability is reliability pseudocost branching (SCIP's relpscost):
// candidates whose pseudocosts rest on fewer observations than the
// reliability threshold in either direction are strong-branched, in order
// of pseudocost score and with at most IterLimit simplex iterations per
// child, until Lookahead of them in a row fail to improve the best score;
// strong branching results feed the pseudocosts.
//
// Strong branching is held to a budget of iterations, as SCIP holds it:
// outside the root, its simplex iterations may reach SBIterQuot times the
// node LPs' iterations plus SBIterOfs (the root's strong branching comes
// on top). The threshold is MaxReliable while less than half the budget is
// spent and falls towards MinReliable as the rest is spent:
//
//	prio      = min(1, (budget − sb) / (sb + 1)), at least (SBIterQuot·nodeLP − sb) / (sb + 1)
//	threshold = (1 − prio)·MinReliable + prio·MaxReliable
//
// where sb is the strong-branching iterations so far and nodeLP the node
// LPs' (Stats.LPIterations − Stats.SBIterations). While strong branching
// has spent less than a quarter of nodeLP, prio exceeds 1 and the
// threshold exceeds MaxReliable: cheap strong branching is used more. Past the
// budget no candidate is strong-branched and the rule is pseudocost
// branching. Within a node, strong branching stops at the budget once
// Lookahead candidates were tried. The zero value is SCIP's defaults but
// for MaxReliable, 8 where SCIP has 5, and SBIterOfs, a tenth of
// SCIP's (see RATIONALE.md).
type Reliability struct {
	// MinReliable and MaxReliable bound the reliability threshold (0: 1
	// and 8; SCIP's maximum is 5). MinReliable = MaxReliable fixes it.
	MinReliable, MaxReliable int
	// Lookahead: strong branching at a node stops after this many
	// candidates in a row that do not improve the best score (0: 8).
	Lookahead int
	// IterLimit bounds each child LP's simplex iterations (0: twice the
	// average iterations per node LP, within [10, 500]).
	IterLimit int
	// SBIterQuot is the budget's share of the node LPs' iterations (0:
	// 0.5; +Inf: no budget, the threshold stays at MaxReliable).
	SBIterQuot float64
	// SBIterOfs is the budget's fixed allowance of iterations (0: 10,000).
	SBIterOfs int64
	order     []int
}

// Reliability's defaults, for the zero fields.
const (
	DefaultMinReliable = 1
	DefaultMaxReliable = 8
	DefaultLookahead   = 8
	DefaultSBIterQuot  = 0.5
	DefaultSBIterOfs   = 10000
)

// Validate checks the settings; a bad one is a *ConfigError.
func (r *Reliability) Validate() error {
	bad := func(field, reason string) error { return &ConfigError{"Reliability." + field, reason} }
	switch {
	case r.MinReliable < 0:
		return bad("MinReliable", "must not be negative")
	case r.MaxReliable < 0:
		return bad("MaxReliable", "must not be negative")
	case r.MaxReliable > 0 && r.MaxReliable < r.minReliable():
		return bad("MaxReliable", fmt.Sprintf("must not be below MinReliable (%d)", r.minReliable()))
	case r.Lookahead < 0:
		return bad("Lookahead", "must not be negative")
	case r.IterLimit < 0:
		return bad("IterLimit", "must not be negative")
	case !(r.SBIterQuot >= 0):
		return bad("SBIterQuot", "must be a non-negative number")
	case r.SBIterOfs < 0:
		return bad("SBIterOfs", "must not be negative")
	}
	return nil
}

func (r *Reliability) minReliable() int { return cmp.Or(r.MinReliable, DefaultMinReliable) }

func (r *Reliability) maxReliable() int {
	return cmp.Or(r.MaxReliable, max(DefaultMaxReliable, r.minReliable()))
}

// sbBudget returns the most strong-branching iterations the search may
// have spent, and its share from the node LPs alone (both +Inf without a
// budget).
func (r *Reliability) sbBudget(st *Stats) (budget, quot float64) {
	q := cmp.Or(r.SBIterQuot, DefaultSBIterQuot)
	if math.IsInf(q, 1) {
		return math.Inf(1), math.Inf(1)
	}
	quot = q * float64(st.LPIterations-st.SBIterations)
	return quot + float64(cmp.Or(r.SBIterOfs, DefaultSBIterOfs)+st.RootSBIterations), quot
}

// Threshold returns the reliability threshold after a search's work st:
// a candidate with fewer pseudocost observations than it in either
// direction is strong-branched. It is 0 (nothing is strong-branched) once
// strong branching has spent its budget.
func (r *Reliability) Threshold(st Stats) float64 {
	budget, quot := r.sbBudget(&st)
	sb := float64(st.SBIterations)
	if sb > budget {
		return 0
	}
	prio := 1.0
	if !math.IsInf(budget, 1) {
		prio = min(1, (budget-sb)/(sb+1))
		prio = max(prio, (quot-sb)/(sb+1))
	}
	return (1-prio)*float64(r.minReliable()) + prio*float64(r.maxReliable())
}

func (r *Reliability) Select(ctx context.Context, d *Decision) (int, error) {
	if err := r.Validate(); err != nil {
		return 0, err
	}
	st := &d.s.stats
	reliable := r.Threshold(*st)
	look := cmp.Or(r.Lookahead, DefaultLookahead)
	iter := r.IterLimit
	if iter == 0 {
		iter = 10
		if nodes := st.Nodes; nodes > 0 {
			iter = min(max(iter, int(2*(st.LPIterations-st.SBIterations)/nodes)), 500)
		}
	}
	pc := d.Pseudocosts()
	cands := d.Candidates()
	r.order = append(r.order[:0], cands...)
	pcScore := func(j int) float64 { return pc.Score(j, d.Fractionality(j)) }
	slices.SortStableFunc(r.order, func(a, b int) int {
		sa, sb := pcScore(a), pcScore(b)
		switch {
		case sa > sb:
			return -1
		case sa < sb:
			return 1
		}
		return 0
	})
	best, bestScore := r.order[0], math.Inf(-1)
	sinceBest, tried := 0, 0
	lp := d.LPValue()
	for _, j := range r.order {
		nd, nu := pc.Count(j)
		var score float64
		unreliable := float64(min(nd, nu)) < reliable && sinceBest < look
		if unreliable && tried >= look {
			// Past the first Lookahead candidates, only within the budget.
			if budget, _ := r.sbBudget(st); float64(st.SBIterations) >= budget {
				unreliable = false
			}
		}
		if unreliable {
			dn, up, err := d.StrongBranch(ctx, j, iter, true)
			if err != nil {
				return 0, err
			}
			tried++
			score = productScore(dn-lp, up-lp)
		} else {
			score = pcScore(j)
		}
		if score > bestScore {
			best, bestScore, sinceBest = j, score, 0
		} else {
			sinceBest++
		}
	}
	return best, nil
}

// Random branches on a uniformly random candidate.
type Random struct{ rng *rand.Rand }

// NewRandom returns a Random rule drawing from rng.
func NewRandom(rng *rand.Rand) *Random { return &Random{rng: rng} }

func (r *Random) Select(_ context.Context, d *Decision) (int, error) {
	c := d.Candidates()
	return c[r.rng.IntN(len(c))], nil
}
