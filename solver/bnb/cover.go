package bnb

import (
	"math"
	"slices"
)

// coverItem is a binary of a knapsack row, complemented (z = 1 − x) when
// its coefficient is negative, so that every weight is positive.
type coverItem struct {
	j    int
	w    float64 // weight in the knapsack
	z    float64 // z at the LP point
	comp bool
}

// coverCuts derives an extended cover inequality from each side of each
// model row whose integer columns at fractional values are binaries:
// with the row read as Σ w·z ≤ b over binaries z (x or 1 − x) and its
// other columns moved to b at the bound that relaxes it, a cover C has
// Σ_C w > b, so at most |C| − 1 of its z are 1, and any z with a weight at
// least C's greatest can take the place of one of C's. C is chosen
// greedily by (1 − z)/w at the LP point, then made minimal.
func (s *Search) coverCuts() []*cut {
	var out []*cut
	var items []coverItem
	for i := range s.m {
		idx, a := s.lpRow(i)
		if !s.hasFractional(idx) {
			continue
		}
		for _, side := range [2]float64{1, -1} {
			b := s.model.RowUpper[i]
			if side < 0 {
				b = -s.model.RowLower[i]
			}
			if math.IsInf(b, 1) {
				continue
			}
			var ok bool
			if items, b, ok = s.knapsack(idx, a, side, b, items[:0]); !ok {
				continue
			}
			if c := s.cover(items, b); c != nil {
				out = append(out, c)
			}
		}
	}
	return out
}

// knapsack reads side·(row) ≤ b as a knapsack over binaries; ok is false
// when a non-binary column has no bound to relax it by.
func (s *Search) knapsack(idx []int, a []float64, side, b float64, items []coverItem) ([]coverItem, float64, bool) {
	for q, j := range idx {
		w := side * a[q]
		if w == 0 {
			continue
		}
		lo, up := s.rootLo[j], s.rootUp[j]
		if s.integer[j] && lo == 0 && up == 1 {
			if w > 0 {
				items = append(items, coverItem{j: j, w: w, z: s.x[j]})
			} else {
				b -= w
				items = append(items, coverItem{j: j, w: -w, z: 1 - s.x[j], comp: true})
			}
			continue
		}
		switch {
		case w > 0 && !math.IsInf(lo, -1):
			b -= w * lo
		case w < 0 && !math.IsInf(up, 1):
			b -= w * up
		default:
			return items, b, false
		}
	}
	return items, b, len(items) >= 2 && b >= 0
}

// cover returns the extended cover cut of the knapsack Σ w·z ≤ b, or nil.
func (s *Search) cover(items []coverItem, b float64) *cut {
	eps := 1e-9 * math.Max(1, math.Abs(b))
	total := 0.0
	for _, it := range items {
		total += it.w
	}
	if total <= b+eps {
		return nil // no cover
	}
	slices.SortStableFunc(items, func(p, q coverItem) int {
		kp, kq := (1-p.z)/p.w, (1-q.z)/q.w
		switch {
		case kp < kq:
			return -1
		case kp > kq:
			return 1
		}
		return 0
	})
	n, sum := 0, 0.0
	for sum <= b+eps {
		sum += items[n].w
		n++
	}
	inC := slices.Clone(items[:n])
	// Minimal: drop the members with the least z while the rest still cover.
	slices.SortStableFunc(inC, func(p, q coverItem) int {
		switch {
		case p.z < q.z:
			return -1
		case p.z > q.z:
			return 1
		}
		return 0
	})
	kept := inC[:0]
	for _, it := range inC {
		if sum-it.w > b+eps {
			sum -= it.w
			continue
		}
		kept = append(kept, it)
	}
	size := len(kept)
	maxW := 0.0
	for _, it := range kept {
		maxW = math.Max(maxW, it.w)
	}
	lhs := 0.0
	rhs := float64(size - 1)
	for _, it := range items {
		if it.w < maxW && !slices.ContainsFunc(kept, func(c coverItem) bool { return c.j == it.j }) {
			continue
		}
		lhs += it.z
		if it.comp { // 1 − x
			s.touch(it.j, -1)
			rhs--
		} else {
			s.touch(it.j, 1)
		}
	}
	if lhs <= float64(size-1)+1e-6 {
		for _, j := range s.cutTouched {
			s.cutCoef[j], s.cutMark[j] = 0, false
		}
		s.cutTouched = s.cutTouched[:0]
		return nil
	}
	return s.finishCut(Cover, rhs, float64(len(items)))
}
