package bnb

import (
	"cmp"
	"math"
	"slices"
)

// oneOptMove is a shift of one integer column of the incumbent that
// improves the objective: by steps units in direction dir.
type oneOptMove struct {
	col   int
	dir   float64
	steps float64
	gain  float64
}

// oneOptDue runs one-opt on the incumbent when one came since it last ran
// (and one-opt itself did not find it): after each heuristic, and at once
// after a node LP's integral solution.
func (s *Search) oneOptDue() {
	if s.cfg.NoHeuristics || s.heur.NoOneOpt || s.incumbent == nil || s.stats.Incumbents == s.oneOptSeen {
		return
	}
	s.timed(OneOpt, func() error { s.oneOpt(); return nil })
	s.oneOptSeen = s.stats.Incumbents
}

// oneOpt shifts integer columns of the incumbent, one at a time, in the
// direction their cost improves, as far as their root bounds and every
// row allow, the largest objective gains first (SCIP's oneopt, without
// its LP over the continuous columns, which stay as they are). An
// improved point is offered as an incumbent.
func (s *Search) oneOpt() {
	m := s.model
	y := append(s.oneOptX[:0], s.incumbent...)
	s.oneOptX = y
	if cap(s.oneOptAct) < s.m {
		s.oneOptAct = make([]float64, s.m)
	}
	act := m.RowActivitiesTo(s.oneOptAct[:s.m], y)
	moves := s.oneOptCands[:0]
	for j := range s.n {
		if !s.integer[j] || s.cost[j] == 0 {
			continue
		}
		dir := -math.Copysign(1, s.cost[j]) // internal objective is minimised
		if t := s.oneOptSteps(j, dir, y, act); t >= 1 {
			moves = append(moves, oneOptMove{col: j, dir: dir, steps: t, gain: math.Abs(s.cost[j]) * t})
		}
	}
	s.oneOptCands = moves
	if len(moves) == 0 {
		return
	}
	slices.SortStableFunc(moves, func(a, b oneOptMove) int { return cmp.Compare(b.gain, a.gain) })
	shifted := false
	for _, mv := range moves {
		j := mv.col
		t := s.oneOptSteps(j, mv.dir, y, act) // rows moved by earlier shifts
		if t < 1 {
			continue
		}
		s.shift(j, mv.dir*t, y, act)
		shifted = true
	}
	if shifted && s.feasible(y) {
		s.newIncumbent(y, true)
	}
}

// shift moves column j of y by d and the rows' activities act with it.
func (s *Search) shift(j int, d float64, y, act []float64) {
	m := s.model
	y[j] += d
	for k := m.Start[j]; k < m.Start[j+1]; k++ {
		act[m.Index[k]] += m.Value[k] * d
	}
}

// oneOptSteps is how many whole units column j of y can move in direction
// dir within its root bounds and every row's bounds, given the rows'
// activities act.
func (s *Search) oneOptSteps(j int, dir float64, y, act []float64) float64 {
	m := s.model
	t := s.rootUp[j] - y[j]
	if dir < 0 {
		t = y[j] - s.rootLo[j]
	}
	for k := m.Start[j]; k < m.Start[j+1] && t >= 1; k++ {
		i, a := m.Index[k], m.Value[k]*dir
		switch {
		case a > 0:
			t = math.Min(t, (m.RowUpper[i]-act[i])/a)
		case a < 0:
			t = math.Min(t, (act[i]-m.RowLower[i])/-a)
		}
	}
	if math.IsInf(t, 1) || math.IsNaN(t) {
		return 0 // unbounded in its direction: the LP would have said so
	}
	return math.Floor(t + 1e-9)
}
