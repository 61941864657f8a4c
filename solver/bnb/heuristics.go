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
func (s *Search) simpleRounding() { s.roundPoint(s.x, s.curLo, s.curUp) }

// roundPoint is simple rounding of an LP solution x within bounds lo, up;
// it reports whether it found a feasible point (offered as an incumbent).
func (s *Search) roundPoint(x, lo, up []float64) bool {
	y := append(s.roundX[:0], x...)
	s.roundX = y
	for j := range s.n {
		if !s.integer[j] {
			continue
		}
		if f := y[j] - math.Floor(y[j]); f > intTol && f < 1-intTol {
			switch {
			case s.dnLocks[j] == 0:
				y[j] = math.Floor(y[j])
			case s.upLocks[j] == 0:
				y[j] = math.Ceil(y[j])
			default:
				return false
			}
		}
		y[j] = math.Round(y[j])
		if y[j] < lo[j]-feasTol || y[j] > up[j]+feasTol {
			return false
		}
	}
	if !s.rowsFeasible(y) {
		return false
	}
	s.newIncumbent(y, true)
	return true
}
