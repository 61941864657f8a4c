package bnb

import (
	"cmp"
	"math"
	"slices"
	"strconv"
)

// The pooled knapsack heuristic. Where the model is one pooled knapsack
// (aggcover.go: its bound, agg.bound, was computed), the item sets that
// are good for the pooled knapsack are the candidates for the model's
// good solutions: a solution takes one column of each group it holds, so
// its groups form a set whose least weights fit the summed capacity. The
// heuristic lists the sets of greatest pooled value first, by
// backtracking through the pooled dynamic program's table (a level at a
// time: the sets of the optimum's value, then one less, ...), and for
// each tries to place its items in the separate knapsack rows, a column
// of one row for each: the rows are filled one after the other, each
// with how many items of each type (items with the same coefficients in
// the same rows are interchangeable) it takes, within a node budget (bin
// completion over the types). A placement is a point of the model, which
// is checked against every row and bound before it is offered, as any
// heuristic's is.
//
// Why a search of our own and not HiGHS on a sub-MIP: each set's
// placement is a small bin packing that a search over the types with the
// set's slack (capacity less least weights) as its bound settles in a few
// hundred nodes, and the heuristic may try thousands of sets; a sub-MIP
// per set would cost a model load and a solve each (milliseconds on the
// WebAssembly engine), and one sub-MIP over all sets at once is the model
// itself, which HiGHS does not close either. The search counts its work,
// so it is the same on every machine.
//
// The listing is resumable: each call goes on where the last one stopped,
// with a work budget, so later calls see further sets. It runs at the
// root and then at node counts PooledFreq, 2·PooledFreq, 4·PooledFreq,
// ..., only while the pooled bound is below the incumbent (nothing to
// find otherwise), and never on a model without the pooled bound.

// Work budgets of the pooled heuristic, counted in steps (a step of the
// listing or a node of a placement search), so that it is the same under
// any load.
const (
	pooledWork      = 400_000   // one call's steps
	pooledPackNodes = 2_000     // one set's placement search nodes
	pooledCells     = 2_000_000 // the dynamic program's table, groups times capacity
)

// pooledItem is one group of the pooled knapsack that may be chosen: its
// least weight, its gain (the best profit of its columns), and per row
// (in fill order) its column there that earns the gain, fits the row
// alone and lies in no other pooled row, the one of least coefficient
// (-1: none).
type pooledItem struct {
	w     int
	gain  float64
	colIn []int
}

// pooledState is the heuristic's lasting state: the items and table,
// made on first use, and where the listing stands.
type pooledState struct {
	made  bool
	ok    bool // the model has what the heuristic needs
	items []pooledItem
	cap   int
	best  []float64 // best[t*(cap+1)+c]: the best gain of items 0..t-1 in capacity c
	next  int64     // the node count of the next call after the root
	done  bool      // the listing is exhausted

	// The listing: the current level (sets of gain at least level), the
	// level above (sets of gain at least upper were listed before), and a
	// depth-first stack deciding item G-1-d at depth d.
	level, upper float64
	final        bool // a fractional objective's second level: every improving set
	d            int
	stage        []int8 // per depth: 0 include next, 1 exclude next, 2 both tried
	in           []bool
	room         []int
	got          []float64
	started      bool

	// The placement's data: each item's type (items with the same
	// coefficients in the same rows are interchangeable), each type's
	// coefficients by row, each row's types, the rows in the order
	// filled, and scratch.
	typ    []int
	types  []pooledType
	rowEnt [][]pooledEnt // per row (in fill order): its types, greatest coefficient first
	rowCap []float64
	cnt    []int   // the set's items of each type not yet placed
	put    [][]int // per row and entry: items placed
	byType [][]int // the set's items of each type
	slack  float64
	spent  int64
	budget int64
	x      []float64
}

// pooledType is a kind of item: its least coefficient, and the last row
// (in fill order) that has a column for it.
type pooledType struct {
	w    float64
	last int
}

// pooledEnt is a type's coefficient in a row (its items' columns there
// are in pooledItem.colIn).
type pooledEnt struct {
	t int
	a float64
}

// pooledDue runs the pooled heuristic at the root and at its later node
// counts, where the pooled bound is below the incumbent.
func (s *Search) pooledDue(root bool) {
	ps := &s.pooledSt
	if s.heur.NoPooled || ps.done || !s.agg.built || math.IsInf(s.agg.bound, -1) || s.pruned(s.agg.bound) {
		return
	}
	if !root && s.stats.Nodes < ps.next {
		return
	}
	switch {
	case ps.next == 0:
		ps.next = int64(s.heur.PooledFreq)
	case root:
	case ps.next > math.MaxInt64/2:
		ps.next = math.MaxInt64
	default:
		ps.next *= 2
	}
	s.timed(Pooled, func() error { s.pooled(pooledWork); return nil })
}

// pooledSetup finds the items, the columns' coefficients and the table;
// it reports false where the model is not one pooled knapsack with its
// bound, or the table would be too large.
func (s *Search) pooledSetup() bool {
	ps := &s.pooledSt
	if ps.made {
		return ps.ok
	}
	ps.made = true
	if len(s.agg.knaps) != 1 || math.IsInf(s.agg.bound, -1) {
		return false
	}
	ak := &s.agg.knaps[0]
	// The rows in fill order, greatest capacity first, and each
	// column's place among them (-1: in none; -2: in two or more).
	R := len(ak.rows)
	order := make([]int, R)
	for r := range order {
		order[r] = r
	}
	slices.SortStableFunc(order, func(p, q int) int { return cmp.Compare(ak.caps[q], ak.caps[p]) })
	ps.rowCap = make([]float64, R)
	rowOf, coef := make(map[int]int), make(map[int]float64)
	for pos, r := range order {
		ps.rowCap[pos] = ak.caps[r]
		idx, a := s.lpRow(ak.rows[r])
		for q, j := range idx {
			if a[q] <= 0 || !s.isBinary(j) {
				continue
			}
			if _, ok := rowOf[j]; ok {
				rowOf[j] = -2
			} else {
				rowOf[j], coef[j] = pos, a[q]
			}
		}
	}
	ps.cap = int(math.Floor(ak.b + 1e-9))
	typeOf := make(map[string]int)
	var key []byte
	var rep []int // an item of each type
	for g, cols := range ak.groups {
		gain := s.groupGain(cols)
		if gain <= 0 || int(ak.w[g]) > ps.cap {
			continue
		}
		it := pooledItem{w: int(ak.w[g]), gain: gain, colIn: make([]int, R)}
		for pos := range it.colIn {
			it.colIn[pos] = -1
		}
		w, any := math.Inf(1), false
		for _, j := range cols {
			pos, ok := rowOf[j]
			if !ok || pos < 0 || -s.cost[j] < gain || coef[j] > ps.rowCap[pos]+1e-9 {
				continue
			}
			if c := it.colIn[pos]; c < 0 || coef[j] < coef[c] {
				it.colIn[pos] = j
			}
			w, any = math.Min(w, coef[j]), true
		}
		if !any {
			continue
		}
		key = key[:0]
		last := 0
		for pos, j := range it.colIn {
			if j >= 0 {
				key = strconv.AppendInt(key, int64(pos), 10)
				key = append(key, ':')
				key = strconv.AppendFloat(key, coef[j], 'g', -1, 64)
				key = append(key, ',')
				last = pos
			}
		}
		t, ok := typeOf[string(key)]
		if !ok {
			t = len(ps.types)
			typeOf[string(key)] = t
			ps.types = append(ps.types, pooledType{w: w, last: last})
			rep = append(rep, len(ps.items))
		}
		ps.typ = append(ps.typ, t)
		ps.items = append(ps.items, it)
	}
	G, C := len(ps.items), ps.cap
	if G == 0 || float64(G+1)*float64(C+1) > pooledCells {
		return false
	}
	ps.best = make([]float64, (G+1)*(C+1))
	for t, it := range ps.items {
		prev, row := ps.best[t*(C+1):(t+1)*(C+1)], ps.best[(t+1)*(C+1):(t+2)*(C+1)]
		copy(row, prev)
		for c := it.w; c <= C; c++ {
			row[c] = math.Max(row[c], prev[c-it.w]+it.gain)
		}
	}
	ps.rowEnt, ps.put = make([][]pooledEnt, R), make([][]int, R)
	for t, g := range rep {
		for pos, j := range ps.items[g].colIn {
			if j >= 0 {
				ps.rowEnt[pos] = append(ps.rowEnt[pos], pooledEnt{t: t, a: coef[j]})
			}
		}
	}
	for pos, ents := range ps.rowEnt {
		slices.SortStableFunc(ents, func(p, q pooledEnt) int { return cmp.Compare(q.a, p.a) })
		ps.put[pos] = make([]int, len(ents))
	}
	ps.cnt, ps.byType = make([]int, len(ps.types)), make([][]int, len(ps.types))
	ps.stage, ps.in = make([]int8, G+1), make([]bool, G)
	ps.room, ps.got = make([]int, G+1), make([]float64, G+1)
	ps.x = make([]float64, s.n)
	ps.ok = true
	return true
}

// gainTol is the slack on gains compared, which are sums of costs (0
// at an infinite one).
func gainTol(v float64) float64 {
	if math.IsInf(v, 0) {
		return 0
	}
	return 1e-9 * math.Max(1, math.Abs(v))
}

// pooled lists sets, within work steps, and tries to place each; it
// stops at the first placement that improves the incumbent.
func (s *Search) pooled(work int64) {
	if !s.pooledSetup() {
		s.pooledSt.done = true
		return
	}
	ps := &s.pooledSt
	G, C := len(ps.items), ps.cap
	st := &s.stats.Heuristics[Pooled]
	opt := ps.best[G*(C+1)+C]
	if !ps.started {
		ps.started = true
		ps.level, ps.upper = opt, math.Inf(1)
		if s.objInt {
			ps.level = math.Floor(opt + 1e-6)
		}
		ps.d, ps.stage[0], ps.room[0], ps.got[0] = 0, 0, C, 0
	}
	for spent := int64(0); spent < work; {
		// The least gain that improves on the incumbent (or the cutoff);
		// -Inf without either.
		incGain := s.sgn*s.model.Offset - s.cutoff()
		switch {
		case math.IsInf(incGain, -1):
		case s.objInt:
			incGain = math.Floor(incGain+1e-6) + 1 - 1e-6
		default:
			incGain += gainTol(incGain)
		}
		if !ps.final && ps.level < incGain-1e-9 {
			ps.done = true // every level that could improve is listed
			return
		}
		if ps.d < 0 { // this level is listed: the next one down
			switch {
			case ps.level <= 0: // every set was listed (gains are positive)
				ps.done = true
				return
			case s.objInt:
				ps.upper, ps.level = ps.level, ps.level-1
			case ps.final:
				ps.done = true
				return
			default: // a fractional objective: every improving set
				ps.upper, ps.level, ps.final = ps.level, incGain, true
			}
			ps.d, ps.stage[0], ps.room[0], ps.got[0] = 0, 0, C, 0
			continue
		}
		spent++
		st.Nodes++
		d := ps.d
		if d == G { // a set
			ps.d--
			gain := ps.got[G]
			if gain >= ps.upper-gainTol(ps.upper) || gain < incGain {
				continue
			}
			n, ok := s.place(pooledPackNodes)
			if ok && s.placeHook != nil {
				s.placeHook(ps.x)
			}
			spent += n
			st.Nodes += n
			if ok && s.feasible(ps.x) {
				s.newIncumbent(ps.x, true)
				return
			}
			continue
		}
		t := G - 1 - d
		it := &ps.items[t]
		row := ps.best[t*(C+1) : (t+1)*(C+1)]
		need := ps.level - ps.got[d] - gainTol(ps.level)
		switch ps.stage[d] {
		case 0:
			ps.stage[d] = 1
			if c := ps.room[d]; it.w <= c && row[c-it.w]+it.gain >= need {
				ps.in[t] = true
				ps.room[d+1], ps.got[d+1] = c-it.w, ps.got[d]+it.gain
				ps.d, ps.stage[d+1] = d+1, 0
			}
		case 1:
			ps.stage[d] = 2
			if c := ps.room[d]; row[c] >= need {
				ps.in[t] = false
				ps.room[d+1], ps.got[d+1] = c, ps.got[d]
				ps.d, ps.stage[d+1] = d+1, 0
			}
		default:
			ps.d--
		}
	}
}

// place tries to put the listed set's items (pooledSt.in) into the
// pooled rows, one column per item, within nodes search nodes; it sets,
// when it succeeds, pooledSt.x to the model's point. It returns the
// nodes searched and whether it succeeded.
//
// The rows are filled one after the other (bin completion): for each
// row, how many items of each type it takes, most first. The set leaves
// slack Σ capacities − Σ least weights; a row's unused capacity and an
// item's coefficient above its least weight both spend it, so a partial
// filling that has spent more than the slack cannot be completed.
func (s *Search) place(nodes int64) (int64, bool) {
	ps := &s.pooledSt
	clear(ps.cnt)
	for t := range ps.byType {
		ps.byType[t] = ps.byType[t][:0]
	}
	ps.slack = 0
	for _, c := range ps.rowCap {
		ps.slack += c
	}
	for g, in := range ps.in {
		if in {
			t := ps.typ[g]
			ps.cnt[t]++
			ps.byType[t] = append(ps.byType[t], g)
			ps.slack -= ps.types[t].w
		}
	}
	if ps.slack < -1e-9 {
		return 0, false
	}
	ps.spent, ps.budget = 0, nodes
	ok := s.fillRow(0)
	if ok {
		x := ps.x
		for j := range s.n {
			x[j] = s.rootLo[j] + 0 // +0 where the bound was rounded to -0
			if math.IsInf(x[j], -1) {
				x[j] = math.Min(0, s.rootUp[j])
			}
		}
		next := make([]int, len(ps.types)) // items of each type handed out
		for r, ents := range ps.rowEnt {
			for e, en := range ents {
				for range ps.put[r][e] {
					g := ps.byType[en.t][next[en.t]]
					next[en.t]++
					x[ps.items[g].colIn[r]] = 1
				}
			}
		}
	}
	return ps.spent, ok
}

// fillRow fills row r and the rows after it with the items left.
func (s *Search) fillRow(r int) bool {
	ps := &s.pooledSt
	if r == len(ps.rowEnt) {
		for _, c := range ps.cnt {
			if c > 0 {
				return false
			}
		}
		return true
	}
	for t, c := range ps.cnt {
		if c > 0 && ps.types[t].last < r {
			return false // no row left for it
		}
	}
	return s.fill(r, 0, 0, 0)
}

// fill decides how many items of row r's entry e and the entries after
// it the row takes, its load and the excess over least weights so far
// being load and excess.
func (s *Search) fill(r, e int, load, excess float64) bool {
	ps := &s.pooledSt
	if ps.spent >= ps.budget {
		return false
	}
	ps.spent++
	c := ps.rowCap[r]
	ents := ps.rowEnt[r]
	if e == len(ents) {
		used := c - load + excess
		if used > ps.slack+1e-9 {
			return false
		}
		ps.slack -= used
		ok := s.fillRow(r + 1)
		ps.slack += used
		return ok
	}
	// The row's unused capacity is at least what the entries left cannot fill.
	more := 0.0
	for _, en := range ents[e:] {
		more += float64(ps.cnt[en.t]) * en.a
	}
	if c-load-more+excess > ps.slack+1e-9 {
		return false
	}
	en := ents[e]
	w := ps.types[en.t].w
	k := ps.cnt[en.t]
	if most := math.Floor((c-load)/en.a + 1e-9); most < float64(k) {
		k = int(most)
	}
	for ; k >= 0; k-- {
		exc := excess + float64(k)*(en.a-w)
		if exc > ps.slack+1e-9 {
			continue
		}
		ps.cnt[en.t] -= k
		ps.put[r][e] = k
		ok := s.fill(r, e+1, load+float64(k)*en.a, exc)
		ps.cnt[en.t] += k
		if ok {
			return true
		}
		if ps.spent >= ps.budget {
			return false
		}
	}
	return false
}
