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
	// cols, when set, are the columns whose sum the item is (a group of
	// aggCoverCuts; j then numbers the group): a coefficient on the item
	// is that coefficient on each of them.
	cols []int
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
			b, ok := s.sideBound(i, side)
			if !ok {
				continue
			}
			if items, b, ok = s.knapsack(idx, a, side, b, items[:0]); !ok {
				continue
			}
			out = append(out, s.cover(items, b, Cover)...)
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

// cover returns the extended and the lifted cover cuts of the knapsack
// Σ w·z ≤ b that the LP point violates, as cuts of the kind given.
func (s *Search) cover(items []coverItem, b float64, kind CutKind) []*cut {
	eps := 1e-9 * math.Max(1, math.Abs(b))
	total := 0.0
	for _, it := range items {
		total += it.w
	}
	if total <= b+eps {
		return nil // no cover
	}
	slices.SortStableFunc(items, func(p, q coverItem) int { return cmpFloat((1-p.z)/p.w, (1-q.z)/q.w) })
	n, sum := 0, 0.0
	for sum <= b+eps {
		sum += items[n].w
		n++
	}
	inC := slices.Clone(items[:n])
	// Minimal: drop the members with the least z while the rest still cover.
	slices.SortStableFunc(inC, func(p, q coverItem) int { return cmpFloat(p.z, q.z) })
	kept := inC[:0]
	for _, it := range inC {
		if sum-it.w > b+eps {
			sum -= it.w
			continue
		}
		kept = append(kept, it)
	}
	var out []*cut
	for _, lift := range [2]bool{false, true} {
		if c := s.coverCut(items, s.liftCover(items, kept, b+eps, lift), len(kept), kind); c != nil {
			out = append(out, c)
		}
	}
	return out
}

// coverCut is the cut Σ alpha·z ≤ size − 1 over columns, or nil when the
// LP point satisfies it.
func (s *Search) coverCut(items []coverItem, alpha []float64, size int, kind CutKind) *cut {
	lhs := 0.0
	rhs := float64(size - 1)
	for q, it := range items {
		a := alpha[q]
		if a == 0 {
			continue
		}
		lhs += a * it.z
		if it.cols != nil {
			for _, j := range it.cols {
				s.touch(j, a)
			}
			continue
		}
		if it.comp { // a·(1 − x)
			s.touch(it.j, -a)
			rhs -= a
		} else {
			s.touch(it.j, a)
		}
	}
	if lhs <= float64(size-1)+1e-6 {
		for _, j := range s.cutTouched {
			s.cutCoef[j], s.cutMark[j] = 0, false
		}
		s.cutTouched = s.cutTouched[:0]
		return nil
	}
	return s.finishCut(kind, rhs, float64(len(items)))
}

// maxLift bounds the knapsack items and the profit range liftCover lifts
// exactly; past them it extends the cover instead.
const maxLift = 400

// liftCover returns the coefficient of each item in the cover inequality
// Σ_C z ≤ |C| − 1 (cover C: kept) extended (without lift: 1 for the
// weights at least C's greatest), or lifted up sequentially and exactly: the
// items outside C by decreasing LP value, each getting |C| − 1 minus the
// most the inequality so far can reach with the capacity its weight
// leaves (a knapsack by profit, solved by dynamic programming). A weight
// alone above the capacity takes |C| − 1. Past maxLift items it extends.
func (s *Search) liftCover(items, kept []coverItem, capacity float64, lift bool) []float64 {
	alpha := make([]float64, len(items))
	inC := func(j int) bool { return slices.ContainsFunc(kept, func(c coverItem) bool { return c.j == j }) }
	size := len(kept)
	if len(items) > maxLift || !lift {
		maxW := 0.0
		for _, it := range kept {
			maxW = math.Max(maxW, it.w)
		}
		for q, it := range items {
			if inC(it.j) || it.w >= maxW {
				alpha[q] = 1
			}
		}
		return alpha
	}
	// minW[p]: the least weight of items in the inequality with profit p.
	minW := []float64{0}
	addItem := func(profit int, w float64) {
		old := len(minW)
		for range profit {
			minW = append(minW, math.Inf(1))
		}
		for p := old + profit - 1; p >= profit; p-- {
			minW[p] = math.Min(minW[p], minW[p-profit]+w)
		}
	}
	var rest []int
	for q, it := range items {
		if inC(it.j) {
			alpha[q] = 1
			addItem(1, it.w)
		} else {
			rest = append(rest, q)
		}
	}
	slices.SortStableFunc(rest, func(p, q int) int { return cmpFloat(items[q].z, items[p].z) })
	for _, q := range rest {
		w := items[q].w
		best := -1
		for p := len(minW) - 1; p >= 0; p-- {
			if minW[p] <= capacity-w {
				best = p
				break
			}
		}
		a := size - 1
		if best >= 0 {
			a = size - 1 - best
		}
		if a > 0 {
			alpha[q] = float64(a)
			if len(minW)+a > 4*maxLift {
				break // the rest stay at 0: valid, weaker
			}
			addItem(a, w)
		}
	}
	return alpha
}

// sideBound returns b of model row i read as side·(a_i·x) ≤ b (side 1:
// its upper bound, −1: its lower bound), or false when that side is free.
func (s *Search) sideBound(i int, side float64) (float64, bool) {
	b := s.model.RowUpper[i]
	if side < 0 {
		b = -s.model.RowLower[i]
	}
	return b, !math.IsInf(b, 1)
}
