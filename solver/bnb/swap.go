package bnb

import (
	"cmp"
	"math"
	"slices"
)

// Swap is a local search on the incumbent that one-opt cannot do: one
// integer column moves one unit the way its cost worsens (a vertex leaves
// an independent set, a set enters a cover), and the columns that share a
// row with it then shift the way their costs improve, greedily by gain as
// one-opt shifts them, as far as their root bounds and every row allow.
// The exchange is kept when the gains exceed the loss, undone otherwise;
// passes over the columns go on while one finds an exchange and the work
// cap allows. A call that the cap stops leaves the next column to try in
// the search, and the next call starts there, so successive calls try
// every column in turn. On a set
// packing this is the (1, k)-swap of independent-set local search: a
// vertex out, every free neighbour in.

// maxSwapPasses bounds the passes of one call; each pass that goes on
// has improved the objective.
const maxSwapPasses = 20

// swapWork bounds one call's work, counted in matrix entries visited, to
// this many times the model's nonzeros (plus swapWorkOfs): a count, so
// the search repeats on any machine. A pass over a set cover of 1000
// columns in 25 rows of 50 each visits about 30 million, so there the cap
// stops a call within its first pass and the next call goes on from the
// column it stopped at.
const (
	swapWork    = 50
	swapWorkOfs = 10000
)

// improveDue runs one-opt, then the swap search, on an incumbent that came
// since they last ran.
func (s *Search) improveDue() {
	s.oneOptDue()
	s.swapDue()
}

// swapDue runs the swap search on the incumbent when one came since it
// last ran and the search did not find it itself.
func (s *Search) swapDue() {
	if s.cfg.NoHeuristics || s.heur.NoSwap || s.incumbent == nil || s.stats.Incumbents == s.swapSeen {
		return
	}
	s.timed(Swap, func() error { s.swapSearch(); return nil })
	s.swapSeen = s.stats.Incumbents
}

// swapRowIndex is the model's rows as column lists (the cut rows' when
// cuts are on, built here otherwise).
func (s *Search) swapRowIndex() (start, idx []int) {
	if s.rows.start != nil {
		return s.rows.start, s.rows.idx
	}
	if s.swapStart == nil {
		s.swapStart, s.swapIdx, _ = s.rowWise()
	}
	return s.swapStart, s.swapIdx
}

// swapBudget is one call's work cap (swapWork times the nonzeros plus
// swapWorkOfs), or Search.swapCap where a test sets one.
func (s *Search) swapBudget() int64 {
	if s.swapCap > 0 {
		return s.swapCap
	}
	return swapWork*int64(len(s.model.Index)) + swapWorkOfs
}

// swapSearch runs the exchanges on a copy of the incumbent and offers the
// result, checked against every row, as an incumbent.
func (s *Search) swapSearch() {
	m := s.model
	start, idx := s.swapRowIndex()
	y := append(s.swapX[:0], s.incumbent...)
	s.swapX = y
	if cap(s.swapAct) < s.m {
		s.swapAct = make([]float64, s.m)
	}
	act := s.swapAct[:s.m] // set from y at each pass
	if len(s.swapMark) < s.n {
		s.swapMark = make([]bool, s.n)
	}
	mark := s.swapMark
	move := func(j int, d float64) { s.shift(j, d, y, act) }
	improved := false
	budget := s.swapBudget()
	defer func(b0 int64) { s.swapSpent += b0 - budget }(budget)
	steps := func(j int, dir float64) float64 {
		budget -= int64(m.Start[j+1]-m.Start[j]) + 1
		return s.oneOptSteps(j, dir, y, act)
	}
	if s.swapNext >= s.n {
		s.swapNext = 0
	}
	for range maxSwapPasses {
		found := false
		// The row activities again from y: many moves and their undoing
		// leave rounding in act.
		m.RowActivitiesTo(act, y)
		first := s.swapNext
		for t := range s.n {
			j := first + t
			if j >= s.n {
				j -= s.n
			}
			if budget <= 0 {
				s.swapNext = j // the next call starts at the column not tried
				break
			}
			s.swapOuts++
			if !s.integer[j] || s.cost[j] == 0 {
				continue
			}
			out := math.Copysign(1, s.cost[j]) // the way j's cost worsens
			if steps(j, out) < 1 {
				continue
			}
			move(j, out)
			loss := math.Abs(s.cost[j])
			moves := s.swapCands[:0]
			mark[j] = true
			for k := m.Start[j]; k < m.Start[j+1]; k++ {
				i := m.Index[k]
				budget -= int64(start[i+1] - start[i])
				for _, c := range idx[start[i]:start[i+1]] {
					if mark[c] || !s.integer[c] || s.cost[c] == 0 {
						continue
					}
					mark[c] = true
					dir := -math.Copysign(1, s.cost[c])
					if t := steps(c, dir); t >= 1 {
						moves = append(moves, oneOptMove{col: c, dir: dir, steps: t, gain: math.Abs(s.cost[c]) * t})
					}
				}
			}
			mark[j] = false
			for k := m.Start[j]; k < m.Start[j+1]; k++ {
				for _, c := range idx[start[m.Index[k]]:start[m.Index[k]+1]] {
					mark[c] = false
				}
			}
			s.swapCands = moves
			slices.SortStableFunc(moves, func(a, b oneOptMove) int { return cmp.Compare(b.gain, a.gain) })
			gain, done := 0.0, moves[:0]
			for _, mv := range moves {
				t := steps(mv.col, mv.dir)
				if t < 1 {
					continue
				}
				move(mv.col, mv.dir*t)
				gain += math.Abs(s.cost[mv.col]) * t
				mv.steps = t
				done = append(done, mv)
			}
			if gain > loss+1e-9*math.Max(1, loss) {
				found, improved = true, true
				continue
			}
			for _, mv := range slices.Backward(done) {
				move(mv.col, -mv.dir*mv.steps)
			}
			move(j, -out)
		}
		if !found || budget <= 0 {
			break
		}
	}
	if improved && s.feasible(y) {
		s.newIncumbent(y, true)
	}
}
