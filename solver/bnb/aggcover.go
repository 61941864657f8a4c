package bnb

import (
	"math"
	"slices"
)

// Aggregated covers. In a multiple knapsack (each item in at most one of
// several knapsacks: a set-packing row Σ_k x_ik ≤ 1 per item, a knapsack
// row Σ_i w_i·x_ik ≤ c_k per knapsack) every LP solution can move an
// item's weight between knapsacks at no cost, so the LP of every node is
// the LP of the one pooled knapsack Σ_i w_i·y_i ≤ Σ_k c_k over
// y_i = Σ_k x_ik, and branching on one x_ik rarely moves the bound. The
// covers of the single rows do not see the pooled knapsack; the covers of
// the pooled knapsack are cuts on the y, which hold for the model:
//
// Knapsack rows (≤ rows over binaries with nonnegative coefficients, other
// columns moved to the right-hand side at their lower bounds) linked by
// set-packing groups are summed: Σ_j c_j·x_j ≤ b. A group g is the
// columns of one set-packing row (Σ_{j∈g} x_j ≤ 1, so y_g = Σ_{j∈g} x_j is
// 0 or 1) that are in the sum; every other column of the sum is a group of
// its own. With w_g = min_{j∈g} c_j, w_g·y_g ≤ Σ_{j∈g} c_j·x_j, so
// Σ_g w_g·y_g ≤ b holds for every integer-feasible point: a knapsack over
// the binaries y. Its extended and lifted covers at y* = Σ x* (cover.go),
// Σ_g α_g·y_g ≤ |C| − 1, become cuts Σ_g α_g·Σ_{j∈g} x_j ≤ |C| − 1.
// The least coefficient is what keeps the pooled row valid: a greater one
// could charge an item more than the knapsack it sits in does.

// aggKnapsack is one pooled knapsack Σ_g w_g·y_g ≤ b.
type aggKnapsack struct {
	groups [][]int   // the columns of each group
	w      []float64 // each group's weight
	b      float64
	// The knapsack rows summed, and each one's capacity (its upper side
	// less the other columns at their root lower bounds): what the
	// pooled heuristic packs into.
	rows []int
	caps []float64
}

// aggTable is the pooled knapsacks of the model, found once.
type aggTable struct {
	knaps []aggKnapsack
	built bool
	// bound is the pooled knapsack's integer optimum as a lower bound on
	// the internal objective, valid for the whole search (-Inf, as
	// NewSearch sets it: none; see pooledBound).
	bound float64
}

// buildAggKnapsacks finds the pooled knapsacks: the knapsack rows (a
// set-packing row is not one), the groups of their columns by set-packing
// rows (of at most maxCliqueRow literals; each column in the first such
// row, in row order, that has two of them), and the sets of knapsack rows
// that groups link (union-find), each set summed into one knapsack when it
// holds a group.
func (s *Search) buildAggKnapsacks() {
	at := &s.agg
	at.built = true
	defer s.pooledBound()
	// The knapsack rows, read as Σ a·x ≤ b over binaries.
	var krows []int
	var kcap []float64
	inK := make([]bool, s.n)
	for i := range s.m {
		idx, a := s.lpRow(i)
		if len(idx) < 2 {
			continue
		}
		b, ok := s.sideBound(i, 1)
		if !ok {
			continue
		}
		if _, pack := s.packing(idx, a, 1, b); pack {
			continue // a set-packing row: a group, not a knapsack
		}
		if b, ok = s.binaryKnapsack(idx, a, b); !ok {
			continue
		}
		krows, kcap = append(krows, i), append(kcap, b)
		for q, j := range idx {
			if a[q] > 0 && s.isBinary(j) {
				inK[j] = true
			}
		}
	}
	if len(krows) == 0 {
		return
	}
	// The groups: the columns of set-packing rows in some knapsack row.
	group := make([]int, s.n)
	for j := range group {
		group[j] = -1
	}
	var groups [][]int
	s.packingRows(func(lits []int) {
		// The plain literals: Σ x ≤ 1 over them, as each complemented
		// one is at least 0.
		var g []int
		for _, l := range lits {
			if l < s.n && inK[l] && group[l] < 0 {
				g = append(g, l)
			}
		}
		if len(g) < 2 {
			return
		}
		for _, j := range g {
			group[j] = len(groups)
		}
		groups = append(groups, g)
	})
	if len(groups) == 0 {
		return
	}
	// Link the knapsack rows that hold columns of one group.
	parent := make([]int, len(krows))
	for r := range parent {
		parent[r] = r
	}
	find := func(r int) int {
		for parent[r] != r {
			parent[r] = parent[parent[r]]
			r = parent[r]
		}
		return r
	}
	firstRow := make([]int, len(groups)) // a knapsack row of each group
	for g := range firstRow {
		firstRow[g] = -1
	}
	for r, i := range krows {
		idx, a := s.lpRow(i)
		for q, j := range idx {
			g := group[j]
			if g < 0 || a[q] <= 0 {
				continue
			}
			if firstRow[g] < 0 {
				firstRow[g] = r
			} else if p, q := find(firstRow[g]), find(r); p != q {
				parent[p] = q
			}
		}
	}
	// Sum each linked set that holds a group.
	hasGroup := make([]bool, len(krows))
	for _, r := range firstRow {
		if r >= 0 {
			hasGroup[find(r)] = true
		}
	}
	members := make([][]int, len(krows)) // each linked set's rows, by its root
	for r := range krows {
		root := find(r)
		members[root] = append(members[root], r)
	}
	coef := make([]float64, s.n)
	for root, rows := range members {
		if !hasGroup[root] {
			continue
		}
		var cols []int
		ak := aggKnapsack{}
		for _, r := range rows {
			i := krows[r]
			ak.b += kcap[r]
			ak.rows, ak.caps = append(ak.rows, i), append(ak.caps, kcap[r])
			idx, a := s.lpRow(i)
			for q, j := range idx {
				if a[q] <= 0 || !s.isBinary(j) {
					continue
				}
				if coef[j] == 0 {
					cols = append(cols, j)
				}
				coef[j] += a[q]
			}
		}
		slices.Sort(cols)
		seen := make(map[int]bool)
		for _, j := range cols {
			g := group[j]
			switch {
			case g < 0:
				ak.groups = append(ak.groups, []int{j})
				ak.w = append(ak.w, coef[j])
			case !seen[g]:
				seen[g] = true
				w := math.Inf(1)
				for _, k := range groups[g] {
					w = math.Min(w, coef[k]) // every column of g is in this sum
				}
				ak.groups = append(ak.groups, groups[g])
				ak.w = append(ak.w, w)
			}
		}
		for _, j := range cols {
			coef[j] = 0
		}
		at.knaps = append(at.knaps, ak)
	}
}

// isBinary reports whether column j is an integer column with root
// bounds 0 and 1.
func (s *Search) isBinary(j int) bool {
	return s.integer[j] && s.rootLo[j] == 0 && s.rootUp[j] == 1
}

// binaryKnapsack reads Σ a·x ≤ b as a knapsack over binaries with
// nonnegative coefficients: it returns b less the other columns at their
// root lower bounds, and false when a coefficient is negative, a column
// with a positive one has no lower bound, or no binary remains.
func (s *Search) binaryKnapsack(idx []int, a []float64, b float64) (float64, bool) {
	items := 0
	for q, j := range idx {
		switch {
		case a[q] < 0:
			return b, false
		case a[q] == 0:
		case s.isBinary(j):
			items++
		case math.IsInf(s.rootLo[j], -1):
			return b, false
		default:
			b -= a[q] * s.rootLo[j]
		}
	}
	return b, items >= 2 && b >= 0
}

// aggCoverCuts separates the extended and lifted covers of each pooled
// knapsack at y* = Σ_{j∈g} x*_j, where some y* is fractional.
func (s *Search) aggCoverCuts() []*cut {
	if !s.agg.built {
		s.buildAggKnapsacks()
	}
	var out []*cut
	var items []coverItem
	for k := range s.agg.knaps {
		ak := &s.agg.knaps[k]
		items = items[:0]
		frac := false
		for g, cols := range ak.groups {
			y := 0.0
			for _, j := range cols {
				y += s.x[j]
			}
			if y > intTol && y < 1-intTol {
				frac = true
			}
			items = append(items, coverItem{j: g, w: ak.w[g], z: y, cols: cols})
		}
		if frac {
			out = append(out, s.cover(items, ak.b, AggCover)...)
		}
	}
	return out
}

// maxPoolDP bounds the dynamic program of pooledBound: groups times
// capacity.
const maxPoolDP = 50_000_000

// pooledBound sets agg.bound when the model is one pooled knapsack with
// an objective over its columns alone: the pooled knapsack's integer
// optimum, where each group earns its cheapest column's cost, bounds
// every integer point's objective, since a group holds at most one column
// at 1 and the pooled row holds for it (the covers' argument). In a
// multiple knapsack whose items weigh the same in every knapsack it is
// often the optimum itself, which the LP with covers does not reach. It
// is solved exactly by a dynamic program over the capacity, so only for
// integral weights and a capacity small enough (maxPoolDP).
func (s *Search) pooledBound() {
	if len(s.agg.knaps) != 1 {
		return
	}
	ak := &s.agg.knaps[0]
	in := make([]bool, s.n)
	for _, g := range ak.groups {
		for _, j := range g {
			in[j] = true
		}
	}
	for j, c := range s.cost {
		if c != 0 && !in[j] {
			return // a cost outside the pool
		}
	}
	capacity := math.Floor(ak.b + 1e-9)
	if capacity < 0 || capacity*float64(len(ak.groups)) > maxPoolDP {
		return
	}
	w := make([]int, len(ak.groups))
	gain := make([]float64, len(ak.groups))
	for g, cols := range ak.groups {
		if ak.w[g] != math.Trunc(ak.w[g]) {
			return
		}
		w[g] = int(ak.w[g])
		gain[g] = s.groupGain(cols)
	}
	best := make([]float64, int(capacity)+1)
	for g := range w {
		if gain[g] <= 0 {
			continue
		}
		for c := len(best) - 1; c >= w[g]; c-- {
			best[c] = math.Max(best[c], best[c-w[g]]+gain[g])
		}
	}
	s.agg.bound = s.sgn*s.model.Offset - best[len(best)-1]
}

// groupGain is what a group of the pooled knapsack earns in the internal
// (minimised) objective: its cheapest column's cost, negated, and 0 where
// no column gains (the group left empty).
func (s *Search) groupGain(cols []int) float64 {
	gain := 0.0
	for _, j := range cols {
		gain = math.Max(gain, -s.cost[j])
	}
	return gain
}
