package bnb

import (
	"context"
	"math"
	"slices"
	"time"

	"github.com/corl-go/corl/solver"
)

// runHeuristics runs the primal heuristics due at node, whose LP solution
// is in s.x. They leave the node's LP solution, basis and bounds as they
// found them (the LP engine's state aside: lastLP is reset).
func (s *Search) runHeuristics(ctx context.Context, node *Node) error {
	if s.cfg.NoHeuristics {
		return nil
	}
	h := &s.heur
	s.improveDue() // an incumbent from an earlier node's LP
	if !h.NoRounding {
		s.timed(Rounding, func() error { s.simpleRounding(); return nil })
		s.improveDue()
	}
	root := node.ParentID < 0
	s.pooledDue(root)
	s.improveDue()
	if !h.NoDiving && (root || s.stats.Nodes%int64(h.DiveFreq) == 0) {
		kinds := []Heuristic{FractionalDive, CoefficientDive, PseudocostDive}
		if !root {
			kinds = kinds[s.diveTurn%3 : s.diveTurn%3+1]
			s.diveTurn++
		}
		for _, k := range kinds {
			if s.pruned(node.Bound) || ctx.Err() != nil {
				return nil
			}
			if err := s.dive(ctx, k); err != nil {
				return err
			}
			s.improveDue()
		}
	}
	if root && !h.NoRENS && !s.pruned(node.Bound) {
		if err := s.lns(ctx, RENS); err != nil {
			return err
		}
		s.improveDue()
	}
	if !h.NoRINS && s.incumbent != nil && s.rinsDue(root) && !s.pruned(node.Bound) {
		inc := s.stats.Incumbents
		if err := s.lns(ctx, RINS); err != nil {
			return err
		}
		s.rinsCalled(s.stats.Nodes, inc)
		s.improveDue()
	}
	return nil
}

// rinsState is RINS's schedule: the node count at its last call, the
// distance to the next call, the incumbent count after the last call,
// and whether the last lns call ran a sub-MIP (it skips neighbourhoods
// that fix too little).
type rinsState struct {
	last, gap int64
	seen      int
	ran       bool
}

// rinsCalled updates RINS's schedule after a call at node count node,
// made when the incumbent count was before: the next call RINSFreq nodes
// on after one that found a solution, twice as far as the last (64
// RINSFreq at most) after a sub-MIP that found nothing, as far as the
// last after a call that ran no sub-MIP (s.rins.ran false).
func (s *Search) rinsCalled(node int64, before int) {
	freq := int64(s.heur.RINSFreq)
	s.rins.last, s.rins.seen = node, s.stats.Incumbents
	switch {
	case s.stats.Incumbents > before:
		s.rins.gap = freq
	case s.rins.ran:
		s.rins.gap = min(2*max(s.rins.gap, freq), 64*freq)
	}
}

// rinsDue reports whether RINS runs at this node (see
// Heuristics.RINSFreq).
func (s *Search) rinsDue(root bool) bool {
	freq := int64(s.heur.RINSFreq)
	if s.heur.FixedRINS {
		return !root && s.stats.Nodes%freq == 0
	}
	if s.rins.gap == 0 {
		s.rins.gap = freq
	}
	if s.lnsOverBudget() {
		return false
	}
	since := s.stats.Nodes - s.rins.last
	fresh := false
	if by, ok := s.lastFinder(); ok && s.stats.Incumbents > s.rins.seen {
		fresh = by != RENS && by != RINS && (s.rins.last == 0 || since >= max(1, freq/10))
	}
	return fresh || (!root && since >= s.rins.gap)
}

// lnsOverBudget reports whether the sub-MIPs have spent more simplex
// iterations than Heuristics.LNSEffort allows adaptive RINS.
func (s *Search) lnsOverBudget() bool {
	if math.IsInf(s.heur.LNSEffort, 1) {
		return false
	}
	spent := s.stats.Heuristics[RENS].LPIterations + s.stats.Heuristics[RINS].LPIterations
	return float64(spent) > s.heur.LNSEffort*float64(s.stats.LPIterations)+lnsEffortSlack
}

// lastFinder is the heuristic whose solution the incumbent came from:
// one-opt's and the swap search's moves of an incumbent count as their
// source's, since they stay in its neighbourhood. ok is false without an incumbent.
func (s *Search) lastFinder() (by Heuristic, ok bool) {
	for _, f := range slices.Backward(s.stats.Found) {
		if f.By != OneOpt && f.By != Swap {
			return f.By, true
		}
	}
	return NodeLP, false
}

// timed runs f as one call of heuristic h, counting its time and whether
// it improved the incumbent.
func (s *Search) timed(h Heuristic, f func() error) error {
	st := &s.stats.Heuristics[h]
	inc, start := s.stats.Incumbents, time.Now()
	st.Calls++
	outer := s.running
	s.running = h
	err := f()
	s.running = outer
	st.Time += time.Since(start)
	if s.stats.Incumbents > inc {
		st.Successes++
	}
	return err
}

// diveIterations is the simplex iterations every dive has used.
func (s *Search) diveIterations() int64 {
	h := &s.stats.Heuristics
	return h[FractionalDive].LPIterations + h[CoefficientDive].LPIterations + h[PseudocostDive].LPIterations
}

// dive runs one dive of the given kind from the node LP solution: fix a
// fractional column to a side, re-solve, and repeat until the LP solution
// is integral (offered as an incumbent), the LP is infeasible or cut off
// after one backtrack (the other side of the last fixing), or the dive
// quota is spent. The node's bounds and basis are restored afterwards.
func (s *Search) dive(ctx context.Context, kind Heuristic) error {
	budget := int64(s.heur.DiveQuota*float64(s.stats.LPIterations)) + 1000 - s.diveIterations()
	if budget <= 0 {
		return nil
	}
	return s.timed(kind, func() error {
		x := append(s.diveX[:0], s.x...)
		lo := append(s.diveLo[:0], s.curLo...)
		up := append(s.diveUp[:0], s.curUp...)
		s.diveX, s.diveLo, s.diveUp = x, lo, up
		changed := s.diveIdx[:0]
		defer func() { s.diveIdx = changed[:0] }()
		err := s.diveLoop(ctx, kind, x, lo, up, &changed, budget)
		if rerr := s.undoDive(changed); err == nil {
			err = rerr
		}
		return err
	})
}

func (s *Search) diveLoop(ctx context.Context, kind Heuristic, x, lo, up []float64, changed *[]int, budget int64) error {
	st := &s.stats.Heuristics[kind]
	for {
		j, dir := s.diveChoice(kind, x, lo, up)
		if j < 0 {
			s.offerIntegral(ctx, x, true) // an integral LP solution
			return nil
		}
		st.Nodes++
		oldLo, oldUp := lo[j], up[j]
		*changed = append(*changed, j)
		for try := 0; ; try++ {
			if dir < 0 {
				lo[j], up[j] = oldLo, math.Floor(x[j])
			} else {
				lo[j], up[j] = math.Ceil(x[j]), oldUp
			}
			if err := s.lp.SetColBounds(j, lo[j], up[j]); err != nil {
				return err
			}
			status, err := s.solveDiveLP(ctx, kind, budget-(s.diveIterations()))
			if err != nil {
				return err
			}
			switch status {
			case solver.StatusOptimal:
			case solver.StatusInfeasible, solver.StatusObjectiveBound:
				if try == 0 {
					dir = -dir // backtrack once: the other side
					continue
				}
				return nil
			default: // the quota, a limit or an interruption
				return nil
			}
			break
		}
		obj, err := s.lp.Objective()
		if err != nil {
			return err
		}
		if s.pruned(obj) {
			return nil
		}
		if err := s.lp.SolutionTo(x, nil, nil, nil); err != nil {
			return err
		}
		// Rounding the dive's LP point, as SCIP's divers do, offers a
		// solution but does not end the dive: on a model whose columns all
		// round down (packing, knapsack) it always succeeds, with a point
		// far worse than where the dive is heading.
		s.roundPoint(x, lo, up)
	}
}

// solveDiveLP solves the dive's LP within limit simplex iterations,
// counting them as the heuristic's rather than the search's.
func (s *Search) solveDiveLP(ctx context.Context, kind Heuristic, limit int64) (solver.Status, error) {
	if limit <= 0 {
		return solver.StatusIterationLimit, nil
	}
	if s.opts != nil {
		if err := s.opts.SetIntOption("simplex_iteration_limit", int(min(limit, math.MaxInt32))); err != nil {
			return 0, err
		}
		defer s.opts.SetIntOption("simplex_iteration_limit", math.MaxInt32)
	}
	before := s.stats.LPIterations
	st, err := s.solveLP(ctx)
	s.stats.Heuristics[kind].LPIterations += s.stats.LPIterations - before
	s.stats.LPIterations = before
	if st == solver.StatusInterrupted || st == solver.StatusTimeLimit {
		return st, nil // the search sees its context next
	}
	return st, err
}

// undoDive puts the node's bounds on the changed columns and the node's
// basis back into the LP.
func (s *Search) undoDive(changed []int) error {
	if len(changed) == 0 {
		return nil
	}
	s.idx, s.lo, s.up = s.idx[:0], s.lo[:0], s.up[:0]
	for _, j := range changed {
		if slices.Contains(s.idx, j) { // a general integer fixed twice
			continue
		}
		s.idx = append(s.idx, j)
		s.lo = append(s.lo, s.curLo[j])
		s.up = append(s.up, s.curUp[j])
	}
	if err := s.lp.SetColsBounds(s.idx, s.lo, s.up); err != nil {
		return err
	}
	s.lastLP = nil
	return s.lp.SetBasis(s.cb, s.rb)
}

// diveChoice picks the next column to fix and its side (-1 down, +1 up),
// or -1 when x is integral on every integer column. As in SCIP's divers, a
// column that rounding repairs (no row locks one of its sides) is fixed
// to its locked side, where the dive learns something rounding cannot,
// and only when every fractional column is such a column: on packing
// models, where every column rounds down, the dive fixes columns to 1.
func (s *Search) diveChoice(kind Heuristic, x, lo, up []float64) (col, dir int) {
	col, best, roundable := -1, math.Inf(1), true
	for j := range s.n {
		if !s.integer[j] || lo[j] == up[j] {
			continue
		}
		f := x[j] - math.Floor(x[j])
		if f <= intTol || f >= 1-intTol {
			continue
		}
		mayDown, mayUp := s.dnLocks[j] == 0, s.upLocks[j] == 0
		r := mayDown || mayUp
		if r && !roundable {
			continue // a column rounding cannot repair is already in hand
		}
		var d int
		var score float64
		switch { // a side rounding repairs: the locked one, the nearest first
		case mayUp && !mayDown:
			d, score = -1, f
		case mayDown && !mayUp:
			d, score = 1, 1-f
		default:
			d, score = s.diveScore(kind, j, f)
		}
		if (roundable && !r) || score < best {
			col, dir, best, roundable = j, d, score, r
		}
	}
	return col, dir
}

// diveScore is the side (-1 down, +1 up) a dive of the given kind fixes
// column j to, whose LP value has fractional part f, and its score (the
// least first).
func (s *Search) diveScore(kind Heuristic, j int, f float64) (dir int, score float64) {
	d, score := -1, f // round to the nearest side
	if f > 0.5 {
		d, score = 1, 1-f
	}
	switch kind {
	case CoefficientDive:
		// the side fewer rows lock; the fewest locks first
		dn, upl := s.dnLocks[j], s.upLocks[j]
		if dn != upl {
			d = 1
			if dn < upl {
				d = -1
			}
		}
		locks := upl
		if d < 0 {
			locks = dn
		}
		dist := f
		if d > 0 {
			dist = 1 - f
		}
		score = float64(locks) + dist
	case PseudocostDive:
		// the cheaper side by the pseudocosts, unless nearly integral;
		// the column whose chosen side is cheapest relative to the other
		cd, cu := s.pc.Down(j)*f, s.pc.Up(j)*(1-f)
		switch {
		case f < 0.3:
			d = -1
		case f > 0.7:
			d = 1
		case cd <= cu:
			d = -1
		default:
			d = 1
		}
		if d < 0 {
			score = (cd + 1e-6) / (cu + 1e-6)
		} else {
			score = (cu + 1e-6) / (cd + 1e-6)
		}
	}
	return d, score
}
