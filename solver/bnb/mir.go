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
	// Variable upper bounds x_j ≤ vubU[j]·x_vubY[j] of continuous columns
	// from rows with two entries (vubY[j] < 0: none); nil when none.
	vubY  []int
	vubU  []float64
	isVUB []bool // the row is one
}

// rowWise is the model's columns as rows: row i's columns
// idx[start[i]:start[i+1]], in increasing order, with their coefficients
// val.
func (s *Search) rowWise() (start, idx []int, val []float64) {
	m := s.model
	start = make([]int, s.m+1)
	for _, i := range m.Index {
		start[i+1]++
	}
	for i := range s.m {
		start[i+1] += start[i]
	}
	idx, val = make([]int, len(m.Index)), make([]float64, len(m.Index))
	next := slices.Clone(start[:s.m])
	for j := range s.n {
		for k := m.Start[j]; k < m.Start[j+1]; k++ {
			i := m.Index[k]
			idx[next[i]], val[next[i]] = j, m.Value[k]
			next[i]++
		}
	}
	return start, idx, val
}

func (s *Search) initCutRows() {
	m, r := s.model, s.m
	cr := &s.rows
	cr.start, cr.idx, cr.val = s.rowWise()
	cr.integ = make([]bool, r)
	for i := range cr.integ {
		cr.integ[i] = true
		for k := cr.start[i]; k < cr.start[i+1]; k++ {
			if a := cr.val[k]; !s.integer[cr.idx[k]] || a != math.Trunc(a) {
				cr.integ[i] = false
				break
			}
		}
	}
	s.findVUBs()
	cr.lo, cr.up = slices.Clone(m.RowLower), slices.Clone(m.RowUpper)
	for i, ok := range cr.integ {
		if ok {
			cr.lo[i] = math.Ceil(cr.lo[i] - 1e-9)
			cr.up[i] = math.Floor(cr.up[i] + 1e-9)
		}
	}
}

// findVUBs finds the rows a·x_j + b·x_y ≤ 0 (or ≥ 0) with x_j continuous,
// x_y integer and −b/a > 0: the variable upper bound x_j ≤ (−b/a)·x_y.
func (s *Search) findVUBs() {
	cr, m := &s.rows, s.model
	for i := range s.m {
		if cr.start[i+1]-cr.start[i] != 2 {
			continue
		}
		idx, val := cr.idx[cr.start[i]:cr.start[i+1]], cr.val[cr.start[i]:cr.start[i+1]]
		j, y, a, b := idx[0], idx[1], val[0], val[1]
		if s.integer[j] {
			j, y, a, b = y, j, b, a
		}
		if s.integer[j] || !s.integer[y] {
			continue
		}
		side := 0.0
		switch {
		case m.RowUpper[i] == 0 && a > 0:
			side = 1
		case m.RowLower[i] == 0 && a < 0:
			side = -1
		default:
			continue
		}
		if u := -b / a; side*b < 0 && u > 0 && !math.IsInf(u, 0) {
			if cr.vubY == nil {
				cr.vubY, cr.vubU, cr.isVUB = make([]int, s.n), make([]float64, s.n), make([]bool, s.m)
				for k := range cr.vubY {
					cr.vubY[k] = -1
				}
			}
			if cr.vubY[j] < 0 {
				cr.vubY[j], cr.vubU[j], cr.isVUB[i] = y, u, true
			}
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
	// vubY ≥ 0: instead, y = u·x_vubY − v ≥ 0 by column k's variable
	// upper bound v ≤ u·x_vubY (bound and comp unused).
	vubY int
	u    float64
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
// finite root bound, or, with vub, a continuous column by its variable
// upper bound when that is at least as near. It fails when a variable
// with a coefficient that is not noise has no finite bound.
func (s *Search) mirTransform(idx []int, val []float64, rhs float64, vub bool) bool {
	mt := &s.mt
	mt.terms, mt.beta, mt.mag = mt.terms[:0], rhs, math.Abs(rhs)
	maxAbs := 0.0
	for _, a := range val {
		maxAbs = math.Max(maxAbs, math.Abs(a))
	}
	// Variable upper bounds first: they move coefficient onto integer columns.
	extra := s.vubExtra
	chosen := slices.Grow(s.vubChosen[:0], len(idx))[:len(idx)]
	clear(chosen)
	s.vubChosen = chosen
	var ys []int
	defer func() {
		for _, y := range ys {
			extra[y] = 0
		}
	}()
	if vub && s.rows.vubY != nil {
		for q, k := range idx {
			if k >= s.n || s.rows.vubY[k] < 0 || val[q] == 0 {
				continue
			}
			y, u := s.rows.vubY[k], s.rows.vubU[k]
			lo, up, v := s.rootLo[k], s.rootUp[k], s.x[k]
			if d := u*s.x[y] - v; d <= math.Min(v-lo, up-v)+1e-9 {
				ys = append(ys, y)
				extra[y] += val[q] * u
				chosen[q] = true
				mt.terms = append(mt.terms, mirTerm{k: k, c: -val[q], vubY: y, u: u, y: math.Max(d, 0)})
			}
		}
	}
	add := func(k int, a float64) bool {
		if a == 0 {
			return true
		}
		lo, up, integer, v := s.varInfo(k)
		hasLo, hasUp := !math.IsInf(lo, -1), !math.IsInf(up, 1)
		var t mirTerm
		switch {
		case hasLo && (!hasUp || v-lo <= up-v):
			t = mirTerm{k: k, c: a, bound: lo, comp: 1, integer: integer, y: math.Max(v-lo, 0), vubY: -1}
		case hasUp:
			t = mirTerm{k: k, c: -a, bound: up, comp: -1, integer: integer, y: math.Max(up-v, 0), vubY: -1}
		case math.Abs(a) <= tinyCoef*maxAbs*1e-3:
			return true // noise on a free variable
		default:
			return false
		}
		mt.beta -= a * t.bound
		mt.mag += math.Abs(a * t.bound)
		mt.terms = append(mt.terms, t)
		return true
	}
	for q, k := range idx {
		if chosen[q] {
			continue
		}
		a := val[q]
		if k < s.n && len(ys) > 0 {
			a += extra[k]
			extra[k] = 0
		}
		if !add(k, a) {
			return false
		}
	}
	for _, y := range ys {
		a := extra[y]
		extra[y] = 0
		if !add(y, a) {
			return false
		}
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
	if f0 < 1e-3 || f0 > 1-1e-4 || math.Abs(beta) > 1e9 {
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
		if t.vubY >= 0 { // g·(u·x_vubY − v)
			s.addCutTerm(t.k, -g)
			s.addCutTerm(t.vubY, g*t.u)
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
// refused, as are cuts denser than maxCutSupport plus a tenth of the
// columns, the right-hand side is relaxed by the rounding error its size
// allows, and the cut is scaled to a largest coefficient of 1. It returns
// nil for a cut less efficacious than Cuts.MinEfficacy at the LP point,
// and clears the builder.
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
	// First the numbers, without building anything: most rounded rows
	// are not violated enough.
	minAbs, act, norm, nz := math.Inf(1), 0.0, 0.0, 0
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
		act += a * s.x[j]
		norm += (a / maxAbs) * (a / maxAbs)
		nz++
	}
	if nz == 0 || maxAbs > 1e6*minAbs || nz > maxCutSupport+s.n/10 {
		return nil
	}
	rhs += 1e-9*math.Max(1, math.Abs(rhs)) + 1e-12*mag
	norm = math.Sqrt(norm)
	eff := (act - rhs) / maxAbs / norm
	if !(eff > 0) || eff < s.cuts.MinEfficacy {
		return nil
	}
	c := &cut{kind: kind, idx: make([]int, 0, nz), val: make([]float64, 0, nz), rhs: rhs / maxAbs, norm: norm, eff: eff}
	slices.Sort(s.cutTouched)
	for _, j := range s.cutTouched {
		if a := s.cutCoef[j]; math.Abs(a) > tinyCoef*maxAbs {
			c.idx = append(c.idx, j)
			c.val = append(c.val, a/maxAbs)
		}
	}
	return c
}

// maxCutSupport (plus a tenth of the columns) bounds a cut's nonzeros:
// denser cuts slow every node LP more than they help.
const maxCutSupport = 1000

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
	slices.SortStableFunc(cands, func(a, b cand) int { return cmpFloat(b.frac, a.frac) })
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
		if !s.mirTransform(idx, val, 0, false) {
			continue
		}
		if c := s.mirCut(1, Gomory); c != nil {
			out = append(out, c)
		}
	}
	return out, nil
}

// maxAggr is the most rows aggregationMIRCuts adds to a starting row.
const maxAggr = 5

// aggregationMIRCuts derives mixed-integer rounding cuts (Marchand and
// Wolsey's c-MIR) from each model row tight at the LP point: the row, as
// the identity a_i·x − r_i = 0 with its activity r_i as a variable, is
// tried in both signs; while a continuous column lies strictly inside its
// bounds (simple or variable) it is eliminated by adding a multiple of
// another tight row that holds it, up to maxAggr rows, and each aggregated
// row is tried again. Each starting row gives its most efficacious cut.
func (s *Search) aggregationMIRCuts() []*cut {
	var out []*cut
	agg := s.cutAgg[:0]
	agg = append(agg, make([]float64, s.n)...)
	s.cutAgg = agg
	var used []int    // rows in the aggregation
	var lam []float64 // their multipliers
	var support []int // columns with a coefficient in agg (a superset)
	var idx []int
	var val []float64
	for i := range s.m {
		if !s.tight(i) || (s.rows.isVUB != nil && s.rows.isVUB[i]) {
			continue
		}
		ri, ra := s.lpRow(i)
		if len(ri) == 0 {
			continue
		}
		used, lam, support = append(used[:0], i), append(lam[:0], 1), support[:0]
		for q, j := range ri {
			agg[j] += ra[q]
			support = s.addSupport(support, j)
		}
		var best *cut
		for depth := 0; ; depth++ {
			if s.hasFractional(support) || s.vubFractional(support) {
				idx, val = idx[:0], val[:0]
				for _, j := range support {
					if agg[j] != 0 {
						idx, val = append(idx, j), append(val, agg[j])
					}
				}
				for q, r := range used {
					idx, val = append(idx, s.n+r), append(val, -lam[q])
				}
				for side := range 2 {
					if side == 1 {
						for q := range val {
							val[q] = -val[q]
						}
					}
					if !s.mirTransform(idx, val, 0, true) {
						continue
					}
					if c := s.bestMIR(); c != nil && (best == nil || c.eff > best.eff) {
						best = c
					}
				}
			}
			if depth == maxAggr {
				break
			}
			// The continuous column farthest inside its bounds, and a tight
			// row holding it not yet used; when every one is at a bound,
			// simple or variable, the farthest inside its simple bounds
			// and a row other than its variable bound (a path through the
			// flow-conservation rows of a network).
			col, row := s.eliminationRow(support, agg, used, true)
			if col < 0 {
				col, row = s.eliminationRow(support, agg, used, false)
			}
			if col < 0 {
				break
			}
			ri, ra := s.lpRow(row)
			q := slices.Index(ri, col)
			l := -agg[col] / ra[q]
			for q, j := range ri {
				support = s.addSupport(support, j)
				agg[j] += l * ra[q]
			}
			agg[col] = 0
			used, lam = append(used, row), append(lam, l)
		}
		for _, j := range support {
			agg[j], s.aggMark[j] = 0, false
		}
		if best != nil {
			out = append(out, best)
		}
	}
	return out
}

func (s *Search) addSupport(support []int, j int) []int {
	if s.aggMark[j] {
		return support
	}
	s.aggMark[j] = true
	return append(support, j)
}

// eliminationRow picks the continuous column of the aggregated row agg
// (over support) farthest inside its bounds, its variable upper bound
// included with vub, and a tight model row holding it that is not in
// used (nor, without vub, a variable bound row); -1, -1 when none.
func (s *Search) eliminationRow(support []int, agg []float64, used []int, vub bool) (col, row int) {
	m := s.model
	col, row, far := -1, -1, 1e-6
	for _, j := range support {
		if s.integer[j] || agg[j] == 0 {
			continue
		}
		d := s.boundDistance(j, vub)
		if d <= far {
			continue
		}
		for k := m.Start[j]; k < m.Start[j+1]; k++ {
			r := m.Index[k]
			if slices.Contains(used, r) || !s.tight(r) || (!vub && s.rows.isVUB != nil && s.rows.isVUB[r]) {
				continue
			}
			col, row, far = j, r, d
			break
		}
	}
	return col, row
}

// tight reports whether model row i is at one of its bounds at the LP point.
func (s *Search) tight(i int) bool {
	a, lo, up := s.act[i], s.model.RowLower[i], s.model.RowUpper[i]
	return a-lo <= 1e-6*math.Max(1, math.Abs(lo)) || up-a <= 1e-6*math.Max(1, math.Abs(up))
}

// boundDistance is how far continuous column j's LP value lies from its
// nearest bound, its variable upper bound included with vub.
func (s *Search) boundDistance(j int, vub bool) float64 {
	v := s.x[j]
	d := math.Min(v-s.rootLo[j], s.rootUp[j]-v)
	if vub && s.rows.vubY != nil && s.rows.vubY[j] >= 0 {
		d = math.Min(d, s.rows.vubU[j]*s.x[s.rows.vubY[j]]-v)
	}
	return math.Max(d, 0)
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

// vubFractional reports whether a continuous column among idx has a
// variable upper bound on an integer column at a fractional value.
func (s *Search) vubFractional(idx []int) bool {
	if s.rows.vubY == nil {
		return false
	}
	for _, j := range idx {
		if y := s.rows.vubY[j]; y >= 0 {
			if f := s.x[y] - math.Floor(s.x[y]); f > intTol && f < 1-intTol {
				return true
			}
		}
	}
	return false
}

// bestMIR tries the divisors of aggregationMIRCuts on the transformed row:
// the coefficients of the integer columns strictly between their bounds,
// then halves of the best of them.
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
	if best == nil {
		return nil
	}
	for _, f := range [3]float64{2, 4, 8} {
		if c := s.mirCut(bestDelta/f, MIR); c != nil && c.eff > best.eff {
			best, bestDelta = c, bestDelta/f
		}
	}
	// Complement integer columns strictly between their bounds, the
	// nearest to their middle first, while that helps.
	type flip struct {
		q   int
		mid float64
	}
	var flips []flip
	for q, t := range s.mt.terms {
		if t.integer && t.vubY < 0 && t.k < s.n && t.y > intTol && t.y < s.rootUp[t.k]-s.rootLo[t.k]-intTol {
			flips = append(flips, flip{q, math.Abs(t.y - (s.rootUp[t.k]-s.rootLo[t.k])/2)})
		}
	}
	slices.SortStableFunc(flips, func(a, b flip) int { return cmpFloat(a.mid, b.mid) })
	for _, f := range flips[:min(len(flips), 10)] {
		s.complement(f.q)
		if c := s.mirCut(bestDelta, MIR); c != nil && c.eff > best.eff {
			best = c
		} else {
			s.complement(f.q)
		}
	}
	return best
}

// complement moves term q of the transformed row to its other bound.
func (s *Search) complement(q int) {
	mt := &s.mt
	t := &mt.terms[q]
	a := t.c * t.comp
	mt.beta += a * t.bound
	lo, up := s.rootLo[t.k], s.rootUp[t.k]
	if t.comp > 0 {
		t.bound, t.comp, t.y = up, -1, up-s.x[t.k]
	} else {
		t.bound, t.comp, t.y = lo, 1, s.x[t.k]-lo
	}
	t.c = a * t.comp
	mt.beta -= a * t.bound
	mt.mag += math.Abs(a * t.bound)
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
