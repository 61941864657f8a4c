package bnb

import (
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
// candidates whose pseudocosts rest on fewer than MinReliable observations
// in either direction are strong-branched, in order of pseudocost score and
// with at most IterLimit simplex iterations per child, until Lookahead of
// them in a row fail to improve the best score; strong branching results
// feed the pseudocosts.
type Reliability struct {
	MinReliable int // 0: 8
	Lookahead   int // 0: 8
	IterLimit   int // 0: 2 x the average iterations per node LP, at least 10
	order       []int
}

func (r *Reliability) Select(ctx context.Context, d *Decision) (int, error) {
	minRel, look := r.MinReliable, r.Lookahead
	if minRel == 0 {
		minRel = 8
	}
	if look == 0 {
		look = 8
	}
	iter := r.IterLimit
	if iter == 0 {
		st := d.s.stats
		iter = 10
		if nodes := st.Nodes; nodes > 0 {
			iter = max(iter, int(2*(st.LPIterations-st.SBIterations)/nodes))
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
	sinceBest := 0
	lp := d.LPValue()
	for _, j := range r.order {
		nd, nu := pc.Count(j)
		var score float64
		if min(nd, nu) < minRel && sinceBest < look {
			dn, up, err := d.StrongBranch(ctx, j, iter, true)
			if err != nil {
				return 0, err
			}
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
