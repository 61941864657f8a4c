package bnb

import (
	"math"
	"slices"
)

// Clique cuts work on literals: literal j is binary column j, literal n+j
// its complement 1 − x_j. A set-packing row (binaries with one coefficient
// a in absolute value, at most a of the literals' weight, after
// complementing the negative ones) says that at most one of its literals
// is 1: its literals are pairwise in conflict. Two literals conflict when
// a set-packing row holds both; a clique of the conflict graph whose LP
// values sum to more than 1 gives the violated cut Σ_K literal ≤ 1.

// cliqueTable is the set-packing rows as literal lists, and per literal the
// rows that hold it.
type cliqueTable struct {
	rows  [][]int // sorted literals
	of    [][]int // per literal: indices into rows, ascending
	built bool
}

// maxCliqueRow bounds the set-packing rows read: longer ones are left out,
// which only loses conflicts.
const maxCliqueRow = 1000

func (s *Search) buildCliques() {
	ct := &s.cliques
	ct.built = true
	s.packingRows(func(lits []int) { ct.rows = append(ct.rows, lits) })
	if len(ct.rows) == 0 {
		return
	}
	ct.of = make([][]int, 2*s.n)
	for r, lits := range ct.rows {
		for _, l := range lits {
			ct.of[l] = append(ct.of[l], r)
		}
	}
}

// packingRows calls f with the literals of each side of a model row that
// is a set-packing row of at most maxCliqueRow literals, in row order.
func (s *Search) packingRows(f func(lits []int)) {
	for i := range s.m {
		idx, a := s.lpRow(i)
		if len(idx) < 2 || len(idx) > maxCliqueRow {
			continue
		}
		for _, side := range [2]float64{1, -1} {
			b, ok := s.sideBound(i, side)
			if !ok {
				continue
			}
			if lits, ok := s.packing(idx, a, side, b); ok {
				f(lits)
			}
		}
	}
}

// packing reads side·(row) ≤ b as a set-packing row over literals.
func (s *Search) packing(idx []int, a []float64, side, b float64) ([]int, bool) {
	w := math.Abs(a[0])
	lits := make([]int, 0, len(idx))
	for q, j := range idx {
		v := side * a[q]
		if !s.integer[j] || s.rootLo[j] != 0 || s.rootUp[j] != 1 || math.Abs(v) != w {
			return nil, false
		}
		if v > 0 {
			lits = append(lits, j)
		} else {
			b += w // w·(1 − x) in place of −w·x
			lits = append(lits, s.n+j)
		}
	}
	if b >= 2*w-1e-9*w {
		return nil, false // two literals may be 1
	}
	slices.Sort(lits)
	return lits, true
}

// litValue is a literal's LP value.
func (s *Search) litValue(l int) float64 {
	if l < s.n {
		return s.x[l]
	}
	return 1 - s.x[l-s.n]
}

// conflict reports whether literals u and v share a set-packing row.
func (s *Search) conflict(u, v int) bool {
	a, b := s.cliques.of[u], s.cliques.of[v]
	for p, q := 0, 0; p < len(a) && q < len(b); {
		switch {
		case a[p] == b[q]:
			return true
		case a[p] < b[q]:
			p++
		default:
			q++
		}
	}
	return false
}

// cliqueCuts grows a clique greedily from each literal at a fractional
// value, taking its neighbours by decreasing LP value (those at 0 too, to
// make the clique maximal), and keeps the cliques whose values sum to
// more than 1.
func (s *Search) cliqueCuts() []*cut {
	if !s.cliques.built {
		s.buildCliques()
	}
	ct := &s.cliques
	if len(ct.rows) == 0 {
		return nil
	}
	var starts []int
	for l := range 2 * s.n {
		if v := s.litValue(l); len(ct.of[l]) > 0 && v > intTol && v < 1-intTol {
			starts = append(starts, l)
		}
	}
	slices.SortStableFunc(starts, func(a, b int) int { return cmpFloat(s.litValue(b), s.litValue(a)) })
	var out []*cut
	var nbrs, clique []int
	seen := map[string]bool{}
	for _, u := range starts {
		nbrs = nbrs[:0]
		for _, r := range ct.of[u] {
			for _, l := range ct.rows[r] {
				if l != u && !slices.Contains(nbrs, l) {
					nbrs = append(nbrs, l)
				}
			}
		}
		slices.SortStableFunc(nbrs, func(a, b int) int { return cmpFloat(s.litValue(b), s.litValue(a)) })
		clique = append(clique[:0], u)
		sum := s.litValue(u)
		for _, v := range nbrs {
			ok := true
			for _, w := range clique {
				if !s.conflict(v, w) {
					ok = false
					break
				}
			}
			if ok {
				clique = append(clique, v)
				sum += s.litValue(v)
			}
		}
		if sum <= 1+1e-6 {
			continue
		}
		slices.Sort(clique)
		key := string(fmtInts(clique))
		if seen[key] {
			continue
		}
		seen[key] = true
		rhs := 1.0
		for _, l := range clique {
			if l < s.n {
				s.touch(l, 1)
			} else {
				s.touch(l-s.n, -1)
				rhs--
			}
		}
		if c := s.finishCut(Clique, rhs, float64(len(clique))); c != nil {
			out = append(out, c)
		}
	}
	return out
}

// fmtInts packs ints into bytes, a map key.
func fmtInts(v []int) []byte {
	b := make([]byte, 0, 4*len(v))
	for _, x := range v {
		b = append(b, byte(x), byte(x>>8), byte(x>>16), byte(x>>24))
	}
	return b
}
