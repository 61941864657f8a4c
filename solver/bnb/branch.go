package bnb

import (
	"context"
	"math"
	"slices"
	"time"

	"github.com/corl-go/corl/solver"
)

// Brancher chooses the column to branch on at a node.
type Brancher interface {
	// Select returns one of d.Candidates().
	Select(ctx context.Context, d *Decision) (int, error)
}

// Decision is a node waiting for a branching decision. Its methods give
// what branching rules and observation functions need; it is valid until
// Search.Branch is called.
type Decision struct {
	s    *Search
	Node *Node
}

// Candidates returns the fractional integer columns, in column order.
func (d *Decision) Candidates() []int { return d.s.cands }

// Value returns column j's value in the node's LP solution.
func (d *Decision) Value(j int) float64 { return d.s.x[j] }

// LPValue returns the node's LP objective (minimisation form).
func (d *Decision) LPValue() float64 { return d.s.lpObj }

// Fractionality returns v - floor(v) for column j.
func (d *Decision) Fractionality(j int) float64 {
	v := d.s.x[j]
	return v - math.Floor(v)
}

// Pseudocosts returns the search's pseudocosts.
func (d *Decision) Pseudocosts() *Pseudocosts { return &d.s.pc }

// State is a read-only view of a node's LP for observation functions. Its
// slices belong to the search: read them before the next Branch. Rows are
// the model's: cuts in the node LP are not among them.
type State struct {
	Model       *solver.Model
	Cost        []float64 // objective in minimisation form
	Lower       []float64 // the node's column bounds
	Upper       []float64
	Integer     []bool
	X           []float64 // LP solution
	ReducedCost []float64
	Activity    []float64 // row activities
	Dual        []float64 // row duals (minimisation form)
	ColBasis    []solver.BasisStatus
	RowBasis    []solver.BasisStatus
	LPValue     float64

	Incumbent    []float64 // nil without one
	IncumbentSum []float64 // sum of every incumbent found, per column
	Incumbents   int
	ColLastBasic []int64 // node LP count when the column was last basic
	RowLastTight []int64 // node LP count when the row was last tight (nonbasic)
	LPs          int64   // node LPs solved
	RootLower    []float64
	RootUpper    []float64
}

// State returns the node's LP state.
func (d *Decision) State() State {
	s := d.s
	return State{
		Model: s.model, Cost: s.cost, Lower: s.curLo, Upper: s.curUp, Integer: s.integer,
		X: s.x, ReducedCost: s.d, Activity: s.act[:s.m], Dual: s.y[:s.m], ColBasis: s.cb, RowBasis: s.rb[:s.m], LPValue: s.lpObj,
		Incumbent: s.incumbent, IncumbentSum: s.solSum, Incumbents: s.stats.Incumbents,
		ColLastBasic: s.lastBasic, RowLastTight: s.lastTight, LPs: s.nLPs,
		RootLower: s.rootLo, RootUpper: s.rootUp,
	}
}

// Search returns the search the decision belongs to.
func (d *Decision) Search() *Search { return d.s }

// StrongBranch solves the two children of branching on column j (with at
// most iterLimit simplex iterations each, 0 for no limit) and returns their
// LP values in minimisation form; an infeasible or cut-off child gets +Inf.
// The node's bounds are restored afterwards, and its basis before the next
// LP that needs it. With learn set, the gains update the pseudocosts.
func (d *Decision) StrongBranch(ctx context.Context, j, iterLimit int, learn bool) (down, up float64, err error) {
	s := d.s
	v := s.x[j]
	lo, hi := s.curLo[j], s.curUp[j]
	if iterLimit > 0 && s.opts != nil {
		if err := s.opts.SetIntOption("simplex_iteration_limit", iterLimit); err != nil {
			return 0, 0, err
		}
		defer s.opts.SetIntOption("simplex_iteration_limit", math.MaxInt32)
	}
	// child returns the child's LP value and whether it is exact (a valid
	// bound for the child node: solved, infeasible or cut off).
	child := func(dir int, clo, cup float64) (float64, bool, error) {
		if s.sbMoved {
			// An earlier child's final basis is in HiGHS: put the node's back.
			if err := s.lp.SetBasis(s.cb, s.rb); err != nil {
				return 0, false, err
			}
		}
		if err := s.lp.SetColBounds(j, clo, cup); err != nil {
			return 0, false, err
		}
		v, exact, err := s.sbChild(ctx, d.Node, j, dir)
		// The node's bounds go back at once (a bound change makes HiGHS
		// drop its solution, so only after reading it); its basis before
		// the next LP that needs it.
		if err2 := s.lp.SetColBounds(j, lo, hi); err == nil {
			err = err2
		}
		return v, exact, err
	}
	fl, ce := math.Floor(v), math.Ceil(v)
	var exactDown, exactUp bool
	if down, exactDown, err = child(-1, lo, fl); err != nil {
		return 0, 0, err
	}
	if up, exactUp, err = child(+1, ce, hi); err != nil {
		return 0, 0, err
	}
	// Exact child values bound the children Branch creates on j (full
	// strong branching). Reliability branching, which learns pseudocosts,
	// leaves its children to be solved: a child pruned here would never
	// teach the pseudocosts, and its candidates would stay unreliable.
	if !learn && (exactDown || exactUp) {
		e, ok := s.sbBound[j]
		if !ok {
			e = [2]float64{math.Inf(-1), math.Inf(-1)}
		}
		if exactDown {
			e[0] = down
		}
		if exactUp {
			e[1] = up
		}
		s.sbBound[j] = e
	}
	if learn {
		if !math.IsInf(down, 1) {
			s.pc.update(j, -1, down-s.lpObj, v-fl)
		}
		if !math.IsInf(up, 1) {
			s.pc.update(j, +1, up-s.lpObj, ce-v)
		}
	}
	return down, up, nil
}

// sbBasis is a strong-branching child's final basis, kept to warm-start
// the node of that child should its column be chosen.
type sbBasis struct {
	node   *Node // the child node it warm-starts, once branched
	col    int
	dir    int
	cb, rb []solver.BasisStatus
}

// keepSBBasis keeps the final basis of column j's child in direction dir
// (solved, or stopped at its iteration limit) for the decision's children.
func (s *Search) keepSBBasis(j, dir int) error {
	var b *sbBasis
	for _, e := range s.sbBases {
		if e.col == j && e.dir == dir {
			b = e
		}
	}
	if b == nil {
		if k := len(s.sbPool); k > 0 {
			b, s.sbPool = s.sbPool[k-1], s.sbPool[:k-1]
		} else {
			b = &sbBasis{cb: make([]solver.BasisStatus, s.n)}
		}
		b.col, b.dir = j, dir
		s.sbBases = append(s.sbBases, b)
	}
	if len(b.cb) != s.n {
		b.cb = make([]solver.BasisStatus, s.n)
	}
	b.rb = slices.Grow(b.rb[:0], s.lpRows())[:s.lpRows()]
	return s.lp.BasisTo(b.cb, b.rb)
}

// clearSBBases returns the strong-branching bases of the last decision to
// the pool.
func (s *Search) clearSBBases() {
	s.sbPool = append(s.sbPool, s.sbBases...)
	clear(s.sbBases)
	s.sbBases = s.sbBases[:0]
}

// takeSBBases hands the strong-branching bases of column col's children to
// the children down and up, in place of the ones they held before.
func (s *Search) takeSBBases(col int, down, up *Node) {
	for _, e := range s.sbBases {
		if e.col != col {
			continue
		}
		h := &s.sbHot[0]
		if e.dir > 0 {
			h = &s.sbHot[1]
		}
		if *h == nil {
			*h = &sbBasis{}
		}
		**h, *e = *e, **h
		e.node, e.col = nil, -1
		(*h).node = down
		if (*h).dir > 0 {
			(*h).node = up
		}
	}
}

// sbWarmBasis returns the strong-branching basis kept for node, if any.
func (s *Search) sbWarmBasis(node *Node) *sbBasis {
	for _, h := range s.sbHot {
		if h != nil && h.node == node {
			h.node = nil
			if len(h.rb) == s.lpRows() {
				return h
			}
		}
	}
	return nil
}

// sbChild solves the strong-branching child LP on column j in direction
// dir, loaded in HiGHS, and returns its value and whether it is exact (a
// valid bound for the child node: solved, infeasible or cut off).
func (s *Search) sbChild(ctx context.Context, node *Node, j, dir int) (float64, bool, error) {
	st, err := s.solveSB(ctx, node)
	s.lastLP, s.sbMoved = nil, true
	if err != nil {
		return 0, false, err
	}
	switch st {
	case solver.StatusOptimal, solver.StatusIterationLimit:
		// At an iteration limit the dual simplex's objective is an
		// estimate (a bound only in its phase 2): use it for scores.
		obj, err := s.lp.Objective()
		if err != nil {
			return 0, false, err
		}
		if err := s.keepSBBasis(j, dir); err != nil {
			return 0, false, err
		}
		if s.pruned(obj) && st == solver.StatusOptimal {
			return math.Inf(1), true, nil
		}
		return obj, st == solver.StatusOptimal, nil
	case solver.StatusInfeasible, solver.StatusObjectiveBound:
		return math.Inf(1), true, nil
	}
	return s.lpObj, false, nil // no information
}

// solveSB solves a strong-branching child LP of node, whose own LP
// iterations count it.
func (s *Search) solveSB(ctx context.Context, node *Node) (solver.Status, error) {
	before, t0 := s.stats.LPIterations, time.Now()
	st, err := s.solveLP(ctx)
	s.stats.SBTime += time.Since(t0)
	s.stats.SBIterations += s.stats.LPIterations - before
	if node.ParentID < 0 {
		s.stats.RootSBIterations += s.stats.LPIterations - before
	}
	s.tree[node.ID].LPIterations += s.stats.LPIterations - before
	s.stats.SBLPs++
	return st, err
}

// StrongBranchingScores returns the product score of full strong branching
// for every candidate (in the order of Candidates), as SCIP computes it.
func (d *Decision) StrongBranchingScores(ctx context.Context, dst []float64) ([]float64, error) {
	return d.StrongBranchingScoresLimit(ctx, 0, dst)
}

// StrongBranchingScoresLimit is StrongBranchingScores with at most
// iterLimit simplex iterations per child LP (0: none), as SCIP limits
// strong branching: a child stopped at the limit is scored by its dual
// simplex objective so far.
func (d *Decision) StrongBranchingScoresLimit(ctx context.Context, iterLimit int, dst []float64) ([]float64, error) {
	dst = dst[:0]
	for _, j := range d.s.cands {
		dn, up, err := d.StrongBranch(ctx, j, iterLimit, false)
		if err != nil {
			return nil, err
		}
		dst = append(dst, d.sbScore(dn, up))
	}
	return dst, nil
}

// sbScore is the product score of two strong-branching child values. An
// infeasible or cut-off child (+Inf) counts as closing the whole gap to the
// cutoff, as SCIP scores it, so that among such candidates the other
// child's gain still decides.
func (d *Decision) sbScore(down, up float64) float64 {
	s := d.s
	gain := func(v float64) float64 {
		if !math.IsInf(v, 1) {
			return v - s.lpObj
		}
		if c := s.cutoff(); !math.IsInf(c, 1) {
			return math.Max(c-s.lpObj, 0)
		}
		return 1e6 * (1 + math.Abs(s.lpObj))
	}
	return productScore(gain(down), gain(up))
}
