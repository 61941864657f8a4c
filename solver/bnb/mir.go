package bnb

import (
	"math"
	"slices"

	"github.com/corl-go/corl/solver"
)

// Cut derivation works on rows Σ a_k·v_k ≤ b over two kinds of variables:
// the columns (k < n) and the LP rows' activities (k = n+i, row i of the
// LP: a model row, or a cut row after the model's). A row activity has
// its row's bounds, and is integral when every column of its row is
// integer with an integral coefficient; it is substituted by its row's
// coefficients once the cut is derived, so every cut is over columns.
// Bounds are the root's, so every cut is valid for the whole model.

// cutRows holds the model's rows row-wise and what cut derivation needs
// of them; built once per search.
type cutRows struct {
	start []int
	idx   []int
	val   []float64
	lo    []float64 // row bounds, rounded inwards for integral rows
	up    []float64
	integ []bool // activity integral at integer points
}

func (s *Search) initCutRows() {
	m, r := s.model, s.m
	cr := &s.rows
	cr.start = make([]int, r+1)
	for _, i := range m.Index {
		cr.start[i+1]++
	}
	for i := range r {
		cr.start[i+1] += cr.start[i]
	}
	cr.idx, cr.val = make([]int, len(m.Index)), make([]float64, len(m.Index))
	next := slices.Clone(cr.start[:r])
	cr.integ = make([]bool, r)
	for i := range cr.integ {
		cr.integ[i] = true
	}
	for j := range s.n {
		for k := m.Start[j]; k < m.Start[j+1]; k++ {
			i, a := m.Index[k], m.Value[k]
			cr.idx[next[i]], cr.val[next[i]] = j, a
			next[i]++
			if !s.integer[j] || a != math.Trunc(a) {
				cr.integ[i] = false
			}
		}
	}
	cr.lo, cr.up = slices.Clone(m.RowLower), slices.Clone(m.RowUpper)
	for i, ok := range cr.integ {
		if ok {
			cr.lo[i] = math.Ceil(cr.lo[i] - 1e-9)
			cr.up[i] = math.Floor(cr.up[i] + 1e-9)
		}
	}
}

// lpRow returns row i of the LP (a model row or a cut) row-wise.
func (s *Search) lpRow(i int) ([]int, []float64) {
	if i < s.m {
		cr := &s.rows
		return cr.idx[cr.start[i]:cr.start[i+1]], cr.val[cr.start[i]:cr.start[i+1]]
	}
	return s.pool.row(i - s.m)
}

// varInfo returns variable k's root bounds, integrality and LP value.
func (s *Search) varInfo(k int) (lo, up float64, integer bool, v float64) {
	if k < s.n {
		return s.rootLo[k], s.rootUp[k], s.integer[k], s.x[k]
	}
	i := k - s.n
	if i < s.m {
		return s.rows.lo[i], s.rows.up[i], s.rows.integ[i], s.act[i]
	}
	return math.Inf(-1), s.pool.rhs[i-s.m], false, s.act[i]
}

// mirTerm is one variable of a row after bound substitution: v = bound + y
// (comp +1) or v = bound − y (comp −1), y ≥ 0, with coefficient c on y.
type mirTerm struct {
	k       int
	c       float64
	bound   float64
	comp    float64
	integer bool
	y       float64 // y at the LP point
}

// mirState is a row Σ c·y ≤ beta over non-negative y.
type mirState struct {
	terms []mirTerm
	beta  float64
	mag   float64 // Σ |a·bound|: the size of the numbers beta came from
}

// tinyCoef is the relative size below which a coefficient is numerical
// noise (dropped, by its bound, from rows and cuts).
const tinyCoef = 1e-9

// mirTransform substitutes every variable of Σ val·v ≤ rhs by its nearer
// finite root bound. It fails when a variable with a coefficient that is
// not noise has no finite bound.
func (s *Search) mirTransform(idx []int, val []float64, rhs float64) bool {
	mt := &s.mt
	mt.terms, mt.beta, mt.mag = mt.terms[:0], rhs, math.Abs(rhs)
	maxAbs := 0.0
	for _, a := range val {
		maxAbs = math.Max(maxAbs, math.Abs(a))
	}
	for q, k := range idx {
		a := val[q]
		if a == 0 {
			continue
		}
		lo, up, integer, v := s.varInfo(k)
		hasLo, hasUp := !math.IsInf(lo, -1), !math.IsInf(up, 1)
		var t mirTerm
		switch {
		case hasLo && (!hasUp || v-lo <= up-v):
			t = mirTerm{k: k, c: a, bound: lo, comp: 1, integer: integer, y: math.Max(v-lo, 0)}
		case hasUp:
			t = mirTerm{k: k, c: -a, bound: up, comp: -1, integer: integer, y: math.Max(up-v, 0)}
		case math.Abs(a) <= tinyCoef*maxAbs*1e-3:
			continue // noise on a free variable
		default:
			return false
		}
		mt.beta -= a * t.bound
		mt.mag += math.Abs(a * t.bound)
		mt.terms = append(mt.terms, t)
	}
	return true
}

// mirCut is the mixed-integer rounding cut of the transformed row divided
// by delta, over columns, or nil when the right-hand side's fractionality
// is too close to 0 or 1 or the cut is numerically unsafe.
func (s *Search) mirCut(delta float64, kind CutKind) *cut {
	mt := &s.mt
	beta := mt.beta / delta
	f0 := beta - math.Floor(beta)
	if f0 < 0.01 || f0 > 0.99 || math.Abs(beta) > 1e9 {
		return nil
	}
	rhs := math.Floor(beta)
	mag := mt.mag / delta
	for _, t := range mt.terms {
		c := t.c / delta
		var g float64
		switch {
		case t.integer:
			fl := math.Floor(c)
			g = fl + math.Max(0, c-fl-f0)/(1-f0)
		case c < 0:
			g = c / (1 - f0)
		default:
			continue
		}
		if g == 0 {
			continue
		}
		h := g * t.comp // g·y = h·v − h·bound
		rhs += h * t.bound
		mag += math.Abs(h * t.bound)
		s.addCutTerm(t.k, h)
	}
	return s.finishCut(kind, rhs, mag)
}

// addCutTerm adds h·v_k to the cut being built over columns.
func (s *Search) addCutTerm(k int, h float64) {
	if k < s.n {
		s.touch(k, h)
		return
	}
	idx, val := s.lpRow(k - s.n)
	for q, j := range idx {
		s.touch(j, h*val[q])
	}
}

func (s *Search) touch(j int, h float64) {
	if !s.cutMark[j] {
		s.cutMark[j] = true
		s.cutTouched = append(s.cutTouched, j)
	}
	s.cutCoef[j] += h
}

// finishCut turns the coefficients built by addCutTerm into a cut
// Σ coef·x ≤ rhs: noise coefficients are dropped by their root bounds,
// cuts whose coefficients span more than six orders of magnitude are
// refused, the right-hand side is relaxed by the rounding error its size
// allows, and the cut is scaled to a largest coefficient of 1. It returns
// nil for a cut not violated by the LP point, and clears the builder.
func (s *Search) finishCut(kind CutKind, rhs, mag float64) *cut {
	defer func() {
		for _, j := range s.cutTouched {
			s.cutCoef[j], s.cutMark[j] = 0, false
		}
		s.cutTouched = s.cutTouched[:0]
	}()
	maxAbs := 0.0
	for _, j := range s.cutTouched {
		maxAbs = math.Max(maxAbs, math.Abs(s.cutCoef[j]))
	}
	if maxAbs == 0 || math.IsNaN(maxAbs) || math.IsInf(maxAbs, 0) {
		return nil
	}
	c := &cut{kind: kind}
	minAbs, act := math.Inf(1), 0.0
	slices.Sort(s.cutTouched)
	for _, j := range s.cutTouched {
		a := s.cutCoef[j]
		if math.Abs(a) <= tinyCoef*maxAbs {
			switch {
			case a > 0 && !math.IsInf(s.rootLo[j], -1):
				rhs -= a * s.rootLo[j]
			case a < 0 && !math.IsInf(s.rootUp[j], 1):
				rhs -= a * s.rootUp[j]
			case a != 0:
				return nil
			}
			continue
		}
		minAbs = math.Min(minAbs, math.Abs(a))
		c.idx = append(c.idx, j)
		c.val = append(c.val, a)
		act += a * s.x[j]
	}
	if len(c.idx) == 0 || maxAbs > 1e6*minAbs {
		return nil
	}
	rhs += 1e-9*math.Max(1, math.Abs(rhs)) + 1e-12*mag
	if act-rhs <= 0 {
		return nil
	}
	norm := 0.0
	for k := range c.val {
		c.val[k] /= maxAbs
		norm += c.val[k] * c.val[k]
	}
	c.rhs, c.norm = rhs/maxAbs, math.Sqrt(norm)
	c.eff = (act - rhs) / maxAbs / c.norm
	return c
}

// gomoryCuts derives a Gomory mixed-integer cut from the tableau row of
// each integer column basic at a fractional value, the least integral
// first: the row of the basis inverse gives multipliers λ of the LP's
// rows, and Σ_i λ_i·(a_i·x − r_i) = 0 (r_i row i's activity) is computed
// from the model's own coefficients, so the row is an exact identity
// whatever the inverse's rounding errors. Its mixed-integer rounding is
// the Gomory cut.
func (s *Search) gomoryCuts(tab solver.Tableau) ([]*cut, error) {
	r := s.lpRows()
	s.basicVars = slices.Grow(s.basicVars[:0], r)[:r]
	if err := tab.BasicVariablesTo(s.basicVars); err != nil {
		return nil, err
	}
	type cand struct {
		pos  int
		frac float64
	}
	var cands []cand
	for p, k := range s.basicVars {
		if k < 0 || k >= s.n || !s.integer[k] {
			continue
		}
		f := s.x[k] - math.Floor(s.x[k])
		if f = math.Min(f, 1-f); f >= 0.01 {
			cands = append(cands, cand{p, f})
		}
	}
	slices.SortStableFunc(cands, func(a, b cand) int {
		switch {
		case a.frac > b.frac:
			return -1
		case a.frac < b.frac:
			return 1
		}
		return 0
	})
	if lim := 2 * s.cuts.MaxPerRound; len(cands) > lim {
		cands = cands[:lim]
	}
	s.lam = slices.Grow(s.lam[:0], r)[:r]
	agg := s.cutAgg[:0]
	agg = append(agg, make([]float64, s.n)...)
	s.cutAgg = agg
	var out []*cut
	var idx []int
	var val []float64
	m := s.model
	for _, cd := range cands {
		if err := tab.BasisInverseRowTo(cd.pos, s.lam); err != nil {
			return nil, err
		}
		for j := range s.n {
			a := 0.0
			for q := m.Start[j]; q < m.Start[j+1]; q++ {
				a += s.lam[m.Index[q]] * m.Value[q]
			}
			agg[j] = a
		}
		for c := range s.pool.len() {
			if l := s.lam[s.m+c]; l != 0 {
				ci, cv := s.pool.row(c)
				for q, j := range ci {
					agg[j] += l * cv[q]
				}
			}
		}
		if k := s.basicVars[cd.pos]; math.Abs(agg[k]-1) > 1e-6 {
			continue // not the tableau row it should be: numerically unsafe
		}
		idx, val = idx[:0], val[:0]
		for j, a := range agg {
			if a != 0 {
				idx, val = append(idx, j), append(val, a)
			}
		}
		for i, l := range s.lam {
			if l != 0 {
				idx, val = append(idx, s.n+i), append(val, -l)
			}
		}
		if !s.mirTransform(idx, val, 0) {
			continue
		}
		if c := s.mirCut(1, Gomory); c != nil {
			out = append(out, c)
		}
	}
	return out, nil
}

// rowMIRCuts derives a mixed-integer rounding cut from each side of each
// model row that is tight at the LP point and holds an integer column at
// a fractional value, dividing by the coefficients of the integer columns
// strictly between their bounds (and halves of the best of them) and
// keeping the most efficacious cut.
func (s *Search) rowMIRCuts() []*cut {
	var out []*cut
	var val []float64
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
			if slack := b - side*s.act[i]; slack > 1e-6*math.Max(1, math.Abs(b)) {
				continue
			}
			val = val[:0]
			for _, v := range a {
				val = append(val, side*v)
			}
			if !s.mirTransform(idx, val, b) {
				continue
			}
			if c := s.bestMIR(); c != nil {
				out = append(out, c)
			}
		}
	}
	return out
}

func (s *Search) hasFractional(idx []int) bool {
	for _, j := range idx {
		if s.integer[j] {
			if f := s.x[j] - math.Floor(s.x[j]); f > intTol && f < 1-intTol {
				return true
			}
		}
	}
	return false
}

// bestMIR tries the divisors of rowMIRCuts on the transformed row.
func (s *Search) bestMIR() *cut {
	var deltas []float64
	for _, t := range s.mt.terms {
		if !t.integer || t.k >= s.n || t.c == 0 {
			continue
		}
		if t.y <= intTol || t.y >= s.rootUp[t.k]-s.rootLo[t.k]-intTol {
			continue // at a bound
		}
		if d := math.Abs(t.c); !slices.Contains(deltas, d) && len(deltas) < 8 {
			deltas = append(deltas, d)
		}
	}
	var best *cut
	bestDelta := 0.0
	for _, d := range deltas {
		if c := s.mirCut(d, MIR); c != nil && (best == nil || c.eff > best.eff) {
			best, bestDelta = c, d
		}
	}
	for _, f := range [3]float64{2, 4, 8} {
		if best == nil {
			break
		}
		if c := s.mirCut(bestDelta/f, MIR); c != nil && c.eff > best.eff {
			best = c
		}
	}
	return best
}
