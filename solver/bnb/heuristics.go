package bnb

import "math"

// computeLocks counts, per column, the rows that moving it down or up
// could violate.
func (s *Search) computeLocks() {
	m := s.model
	s.dnLocks, s.upLocks = make([]int, s.n), make([]int, s.n)
	for j := range s.n {
		for k := m.Start[j]; k < m.Start[j+1]; k++ {
			i, a := m.Index[k], m.Value[k]
			hasLo, hasUp := !math.IsInf(m.RowLower[i], -1), !math.IsInf(m.RowUpper[i], 1)
			if (a > 0 && hasLo) || (a < 0 && hasUp) {
				s.dnLocks[j]++
			}
			if (a > 0 && hasUp) || (a < 0 && hasLo) {
				s.upLocks[j]++
			}
		}
	}
}

// simpleRounding rounds every fractional candidate in a direction no row
// locks; the LP solution being feasible, the result is too. It checks the
// rows anyway and offers the point as an incumbent.
func (s *Search) simpleRounding() {
	x := append(s.roundX[:0], s.x...)
	s.roundX = x
	for _, j := range s.cands {
		switch {
		case s.dnLocks[j] == 0:
			x[j] = math.Floor(x[j])
		case s.upLocks[j] == 0:
			x[j] = math.Ceil(x[j])
		default:
			return
		}
	}
	for j := range s.n {
		if s.integer[j] {
			x[j] = math.Round(x[j])
		}
		if x[j] < s.curLo[j]-feasTol || x[j] > s.curUp[j]+feasTol {
			return
		}
	}
	if s.rowsFeasible(x) {
		s.newIncumbent(x, true)
	}
}
