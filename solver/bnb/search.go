package bnb

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/corl-go/corl/solver"
)

// Tolerances.
const (
	intTol  = 1e-6 // a value within this of an integer is integral
	feasTol = 1e-6 // row feasibility of heuristic solutions
)

// ErrNoDecision: Branch was called when no branching decision is pending.
var ErrNoDecision = errors.New("bnb: no branching decision pending")

// NotCandidateError: the column chosen for branching is not a fractional
// integer column at the current node.
type NotCandidateError struct{ Col int }

func (e *NotCandidateError) Error() string {
	return fmt.Sprintf("bnb: column %d is not a branching candidate at this node", e.Col)
}

// Search is a branch-and-bound tree search driven one decision at a time:
// Next runs until a node needs a branching decision (or the search ends),
// Branch applies one. Solve drives it with a Brancher.
type Search struct {
	cfg   Config
	lp    solver.Engine
	opts  solver.OptionSetter // nil when the engine takes no options
	model *solver.Model
	sgn   float64 // +1 minimise, -1 maximise: internal objective = sgn * model objective
	cost  []float64
	n, m  int

	integer  []bool
	objInt   bool // objective integral at integer points
	rootLo   []float64
	rootUp   []float64
	globLo   []float64 // the root's bounds tightened by reduced-cost fixing
	globUp   []float64
	curLo    []float64 // bounds currently in the LP
	curUp    []float64
	tLo, tUp []float64 // scratch: target bounds
	idx      []int
	lo, up   []float64
	upLocks  []int
	dnLocks  []int
	roundX   []float64 // simple rounding's scratch point and row activities
	roundAct []float64
	feasX    []float64 // rowsFeasible's rounded point

	heur                  Heuristics // with defaults
	diveX, diveLo, diveUp []float64  // a dive's LP solution and bounds
	diveIdx               []int      // columns a dive changed
	diveTurn              int        // which dive runs next away from the root
	lnsLo, lnsUp          []float64  // a sub-MIP's bounds
	sub                   solver.Engine
	subMade               bool
	subModel              *solver.Model
	subX                  []float64
	running               Heuristic // the heuristic running now (NodeLP: none)
	rins                  rinsState
	oneOptSeen            int       // Stats.Incumbents when one-opt last ran
	oneOptX, oneOptAct    []float64 // its point and row activities
	oneOptCands           []oneOptMove
	swapSeen              int // Stats.Incumbents when the swap search last ran
	swapX, swapAct        []float64
	swapMark              []bool
	swapCands             []oneOptMove
	swapStart, swapIdx    []int // the rows' columns, without cuts
	swapNext              int   // the column the next swap pass starts at
	swapOuts              int64 // columns tried as the one out, all calls
	swapCap               int64 // a test's work cap per call; 0: swapBudget's
	swapSpent             int64 // the swap search's work, all calls
	pooledSt              pooledState

	open      *openSet
	tree      []NodeInfo // by node ID
	plunge    []*Node    // preferred child, then its sibling
	plungeLen int        // depth of the current dive
	nextID    int64
	cur       *Node // awaiting a decision
	lastLP    *Node // node whose LP state HiGHS holds (nil after strong branching)
	finished  bool
	status    solver.Status

	// The current node's LP solution.
	x, d, act, y []float64
	cb, rb       []solver.BasisStatus
	refCb, refRb []solver.BasisStatus // a stored basis, expanded
	refOf        *basisDelta          // the one in refCb, refRb when refSet (nil: the slack basis)
	refSet       bool
	lpObj        float64
	cands        []int

	incumbent []float64
	spare     []float64 // the next incumbent's buffer
	incObj    float64   // minimisation form; +Inf when none
	cutoffSet float64   // objective bound handed to the LP engine
	// gapBound is the least bound of the nodes closed without a proof
	// (+Inf: none), part of the dual bound for as long as the search
	// lasts: those pruned because they lay within Config.GapLimit of the
	// incumbent, and those closed at an integral LP point whose repair
	// (offerIntegral) gave a solution worse than their bound.
	gapBound float64
	// stopBound is the bound of the node whose work a limit or an
	// interruption cut short (+Inf: none): no longer open, its subtree
	// unsearched, it stays part of the dual bound.
	stopBound float64

	// sbBound holds, for the current node, exact strong-branching values
	// of the down and up children of a column (-Inf when unknown).
	sbBound map[int][2]float64
	// sbMoved: a strong-branching child LP was solved since the pending
	// decision's node LP, so HiGHS no longer holds the node's basis.
	sbMoved bool
	// The strong-branching child bases of the pending decision, spare
	// ones, and those handed to the last decision's children.
	sbBases, sbPool []*sbBasis
	sbHot           [2]*sbBasis

	// Cutting planes: settings with defaults, the cut rows in the LP, the
	// model's rows row-wise, and scratch.
	cuts                 Cuts
	pool                 cutPool
	reserve              cutPool // the root's slack cuts, out of the LP
	cutsIdle             cutsIdle
	rows                 cutRows
	cliques              cliqueTable
	agg                  aggTable
	mt                   mirState
	cutCoef, cutAgg, lam []float64
	cutDense             []float64
	cutMark              []bool
	cutTouched           []int
	basicVars            []int
	vubExtra             []float64
	vubChosen, aggMark   []bool
	cutHook              func(*cut)        // tests: told of every cut added
	placeHook            func(x []float64) // tests: told of every placement of the pooled heuristic
	// Tests: told of each node's bounds and warm-start basis as it is
	// loaded, and of each branching's children.
	nodeHook   func(n *Node, lo, up []float64, cols, rows []solver.BasisStatus)
	branchHook func(parent, down, up *Node)

	redcost Redcost // resolved
	rc      rootRedcost
	curFix  fixings // the pending node's reduced-cost fixings

	pc    Pseudocosts
	stats Stats
	track integrals
	start time.Time

	// Per column and row: the node LP count when last basic / tight (ages).
	lastBasic []int64
	lastTight []int64
	solSum    []float64 // sum of incumbents' values, for the average
	nLPs      int64
}

// NewSearch prepares a search of m on the LP engine lp, solving the root.
// The engine is the search's own until the search ends.
func NewSearch(ctx context.Context, lp solver.Engine, m *solver.Model, cfg Config) (*Search, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	n, r := m.NumCols(), m.NumRows()
	s := &Search{
		cfg: cfg, heur: cfg.Heuristics.withDefaults(), lp: lp, model: m, sgn: 1, n: n, m: r,
		open: newOpenSet(cfg.NodeSelection), incObj: math.Inf(1), cutoffSet: math.Inf(1), gapBound: math.Inf(1), stopBound: math.Inf(1), sbBound: map[int][2]float64{},
		agg:   aggTable{bound: math.Inf(-1)},
		start: time.Now(), status: solver.StatusUnknown, running: NodeLP,
	}
	s.opts, _ = lp.(solver.OptionSetter)
	if m.Sense == solver.Maximize {
		s.sgn = -1
	}
	lpModel := m.Clone()
	lpModel.Type = nil
	lpModel.Sense = solver.Minimize
	for j := range lpModel.Cost {
		lpModel.Cost[j] *= s.sgn
	}
	lpModel.Offset *= s.sgn
	s.cost = lpModel.Cost
	s.integer = make([]bool, n)
	s.objInt = true
	for j := range n {
		s.integer[j] = m.ColType(j) == solver.Integer
		c := s.cost[j]
		if (s.integer[j] && c != math.Trunc(c)) || (!s.integer[j] && c != 0) {
			s.objInt = false
		}
	}
	if s.objInt && lpModel.Offset != math.Trunc(lpModel.Offset) {
		s.objInt = false
	}
	s.rootLo, s.rootUp = append([]float64(nil), m.ColLower...), append([]float64(nil), m.ColUpper...)
	for j := range n {
		if s.integer[j] { // integer bounds can be rounded
			s.rootLo[j] = math.Ceil(s.rootLo[j] - intTol)
			s.rootUp[j] = math.Floor(s.rootUp[j] + intTol)
		}
	}
	copy(lpModel.ColLower, s.rootLo)
	copy(lpModel.ColUpper, s.rootUp)
	s.curLo, s.curUp = append([]float64(nil), s.rootLo...), append([]float64(nil), s.rootUp...)
	s.globLo, s.globUp = append([]float64(nil), s.rootLo...), append([]float64(nil), s.rootUp...)
	s.redcost = cfg.Redcost.resolved()
	s.tLo, s.tUp = make([]float64, n), make([]float64, n)
	s.x, s.d, s.act, s.y = make([]float64, n), make([]float64, n), make([]float64, r), make([]float64, r)
	s.cb, s.rb = make([]solver.BasisStatus, n), make([]solver.BasisStatus, r)
	s.refCb = make([]solver.BasisStatus, n)
	s.lastBasic, s.lastTight = make([]int64, n), make([]int64, r)
	s.solSum = make([]float64, n)
	s.pc.init(n)
	s.computeLocks()
	s.cuts = cfg.Cuts.withDefaults(r)
	if !cfg.NoCuts {
		s.initCutRows()
		s.cutCoef, s.cutMark, s.vubExtra, s.aggMark = make([]float64, n), make([]bool, n), make([]float64, n), make([]bool, n)
	}
	s.track.init(s.trivialBounds(lpModel))
	if s.opts != nil {
		// Node LPs are warm-started re-solves: no presolve.
		if err := s.opts.SetStringOption("presolve", "off"); err != nil {
			return nil, err
		}
		// An engine that ran a search before holds its cutoff.
		if err := s.opts.SetDoubleOption("objective_bound", math.Inf(1)); err != nil {
			return nil, err
		}
	}
	if err := lp.Load(lpModel); err != nil {
		return nil, err
	}
	root := &Node{ID: 0, ParentID: -1, col: -1, Bound: math.Inf(-1), Estimate: math.Inf(-1)}
	s.nextID = 1
	s.tree = append(s.tree, NodeInfo{ParentID: -1, Children: [2]int64{-1, -1}})
	s.open.push(root)
	s.open.mem.note(s.open.len())
	return s, nil
}

// trivialBounds returns D0 and P0: the least and greatest objective over the
// column bounds (infinite where a bound is).
func (s *Search) trivialBounds(m *solver.Model) (d0, p0 float64) {
	d0, p0 = m.Offset, m.Offset
	for j, c := range m.Cost {
		lo, up := m.ColLower[j], m.ColUpper[j]
		switch {
		case c > 0:
			d0 += c * lo
			p0 += c * up
		case c < 0:
			d0 += c * up
			p0 += c * lo
		}
	}
	return d0, p0
}

// cutoff returns the value a node's bound must stay below.
func (s *Search) cutoff() float64 {
	c := s.incObj
	if s.cfg.HasCutoff {
		c = math.Min(c, s.sgn*s.cfg.Cutoff)
	}
	return c
}

// pruned reports whether a bound cannot lead to a better solution.
func (s *Search) pruned(bound float64) bool {
	if math.IsInf(bound, 1) { // an infeasible child
		return true
	}
	bound = math.Max(bound, s.agg.bound) // a bound on every node (-Inf: none)
	c := s.cutoff()
	if math.IsInf(c, 1) {
		return false
	}
	if s.objInt {
		bound = math.Ceil(bound - 1e-6)
		return bound >= c-1e-9
	}
	return bound >= c-1e-9*math.Max(1, math.Abs(c))
}

// withinGap reports whether a bound lies within Config.GapLimit of the
// incumbent, so that its node may be pruned as HiGHS prunes with
// mip_rel_gap: the search then still ends within the gap of the optimum.
func (s *Search) withinGap(bound float64) bool {
	return s.cfg.GapLimit > 0 && !s.cfg.GapStopOnly && !math.IsInf(s.incObj, 1) &&
		relGap(s.incObj, bound) <= s.cfg.GapLimit
}

// prune reports whether a node of this bound is pruned: cut off, or
// within the gap of the incumbent, whose bound it then keeps for the dual
// bound. (Strong branching, the heuristics and the cuts' loop ask pruned
// alone: a child or a dive is no node of the tree.)
func (s *Search) prune(bound float64) bool {
	if s.pruned(bound) {
		return true
	}
	bound = math.Max(bound, s.agg.bound) // a bound on every node (-Inf: none)
	if !s.withinGap(bound) {
		return false
	}
	s.gapBound = math.Min(s.gapBound, bound)
	s.stats.GapPruned++
	return true
}

// Next processes nodes until one needs a branching decision, which it
// returns, or until the search ends (nil). Limits end it with a status.
func (s *Search) Next(ctx context.Context) (*Decision, error) {
	if s.cur != nil {
		return nil, errors.New("bnb: a branching decision is pending; call Branch")
	}
	for !s.finished {
		if st, ok := s.limitReached(ctx); ok {
			s.finish(st)
			break
		}
		node := s.selectNode()
		if node == nil {
			switch {
			case math.IsInf(s.incObj, 1):
				s.finish(solver.StatusInfeasible)
			case relGap(s.incObj, s.dualBound()) > 0:
				s.finish(solver.StatusGapLimit) // nodes closed without a proof (gapBound)
			default:
				s.finish(solver.StatusOptimal)
			}
			break
		}
		if s.prune(node.Bound) {
			s.open.mem.closed(node)
			continue
		}
		branch, err := s.process(ctx, node)
		if err != nil {
			return nil, err
		}
		if !branch {
			s.open.mem.closed(node)
		}
		if s.finished {
			break
		}
		if branch {
			s.cur = node
			return &Decision{s: s, Node: node}, nil
		}
	}
	return nil, nil
}

// limitReached reports whether the search ends here, and how. A gap
// within Config.GapLimit comes first: a node that closed it may have
// ended past the deadline, and the result is then what was asked for.
func (s *Search) limitReached(ctx context.Context) (solver.Status, bool) {
	if st, ok := s.gapReached(); ok {
		return st, true
	}
	if err := ctx.Err(); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return solver.StatusTimeLimit, true
		}
		return solver.StatusInterrupted, true
	}
	if s.cfg.NodeLimit > 0 && s.stats.Nodes >= s.cfg.NodeLimit {
		return solver.StatusNodeLimit, true
	}
	return 0, false
}

// gapReached reports whether the gap is within Config.GapLimit, with
// the status that ends the search so.
func (s *Search) gapReached() (solver.Status, bool) {
	if s.cfg.GapLimit > 0 {
		if g := s.gap(); g == 0 {
			return solver.StatusOptimal, true // closed: a proof, not a limit
		} else if g <= s.cfg.GapLimit {
			return solver.StatusGapLimit, true
		}
	}
	return 0, false
}

// stopIn ends the search with status st inside node's work, the node
// keeping its bound in the dual bound; a gap within the limit, with that
// bound (raised by the node's LP or cut rounds), ends it as limitReached
// would.
func (s *Search) stopIn(node *Node, st solver.Status) {
	s.stopBound = math.Min(s.stopBound, node.Bound)
	if g, ok := s.gapReached(); ok {
		st = g
	}
	s.finish(st)
}

func (s *Search) finish(st solver.Status) {
	s.closeSub() // a sub-MIP engine's failure to close changes no result
	s.finished = true
	s.status = st
	s.cur = nil
	// One reading of the clock, so that the integrals end at Stats.Time.
	s.stats.Time = time.Since(s.start)
	if st == solver.StatusOptimal || st == solver.StatusInfeasible {
		s.track.update(s.stats.Time.Seconds(), s.incObj, s.incObj)
	} else {
		s.track.update(s.stats.Time.Seconds(), s.incObj, s.dualBound())
	}
}

func (s *Search) elapsed() float64 { return time.Since(s.start).Seconds() }

// selectNode picks the next node: the plunge child when the dive goes on,
// else by the node selection rule.
func (s *Search) selectNode() *Node {
	for len(s.plunge) > 0 {
		n := s.plunge[0]
		s.plunge = s.plunge[1:]
		if n.done {
			continue
		}
		if s.keepPlunging(n) {
			s.open.take(n)
			s.plungeLen++
			return n
		}
	}
	s.plunge = s.plunge[:0]
	s.plungeLen = 0
	return s.open.next()
}

func (s *Search) keepPlunging(n *Node) bool {
	if s.cfg.NodeSelection == DepthFirst {
		return true
	}
	if s.plungeLen >= s.cfg.MaxPlungeDepth {
		return false
	}
	c := s.cutoff()
	if math.IsInf(c, 1) {
		return true
	}
	lb, ok := s.open.minBound()
	if !ok {
		return true
	}
	return n.Bound <= lb+s.cfg.PlungeQuot*(c-lb)
}

// process solves a node's LP and decides its fate; it reports whether the
// node needs branching.
func (s *Search) process(ctx context.Context, node *Node) (bool, error) {
	st, err := s.solveNode(ctx, node)
	if err != nil {
		return false, err
	}
	if open, err := s.lpOptimal(node, st); !open || err != nil {
		return false, err
	}
	if err := s.readLP(node); err != nil {
		return false, err
	}
	if s.prune(node.Bound) {
		s.updateBounds()
		return false, nil
	}
	s.fractionalCandidates()
	if len(s.cands) > 0 && s.cutsDue(node) {
		if err := s.separateCuts(ctx, node); err != nil || s.finished {
			return false, err
		}
		if s.prune(node.Bound) {
			s.updateBounds()
			return false, nil
		}
		s.fractionalCandidates()
	}
	if len(s.cands) == 0 {
		if s.offerIntegral(ctx, s.x, false) && !s.pruned(node.Bound) {
			// The repaired solution is worse than the node's bound, and
			// its subtree may hold a better one: the bound stays.
			s.gapBound = math.Min(s.gapBound, node.Bound)
		}
		s.improveDue()
		s.updateBounds()
		return false, nil
	}
	if node.ParentID < 0 {
		s.keepRootRedcost()
	}
	if err := s.runHeuristics(ctx, node); err != nil {
		return false, err
	}
	if s.prune(node.Bound) {
		s.updateBounds()
		return false, nil
	}
	s.nodeRedcostFix(node)
	s.cur = node // waiting for a decision, its bound is part of the dual bound
	// HiGHS holds the node's basis and bounds: solved, or set back after
	// the dives.
	s.sbMoved = false
	s.updateBounds()
	return true, nil
}

// solveNode loads the node's bounds into the LP, solves it and counts the
// node. A node whose bounds reduced-cost fixing emptied is not solved: it
// is cut off.
func (s *Search) solveNode(ctx context.Context, node *Node) (solver.Status, error) {
	if ok, err := s.loadNode(node); err != nil || !ok {
		if err == nil {
			s.stats.Redcost.Pruned++
		}
		return solver.StatusObjectiveBound, err
	}
	before := s.stats.LPIterations
	st, err := s.solveNodeLP(ctx)
	s.tree[node.ID].LPIterations += s.stats.LPIterations - before
	if err != nil {
		return 0, err
	}
	s.stats.Nodes++
	s.stats.MaxDepth = max(s.stats.MaxDepth, node.Depth)
	s.lastLP = node
	s.logProgress()
	return st, nil
}

// lpOptimal reports whether the node's LP was solved to optimality, so
// the node goes on; otherwise the node is closed (infeasible, past the
// cutoff) or the search finished (a limit, an unbounded root).
func (s *Search) lpOptimal(node *Node, st solver.Status) (bool, error) {
	switch st {
	case solver.StatusOptimal:
		return true, nil
	case solver.StatusInfeasible, solver.StatusObjectiveBound:
		if st == solver.StatusInfeasible && node.dir != 0 {
			s.pc.infeasible(int(node.col), int(node.dir))
		}
		s.updateBounds()
		return false, nil
	case solver.StatusTimeLimit, solver.StatusInterrupted:
		s.stopIn(node, st)
		return false, nil
	case solver.StatusUnbounded, solver.StatusInfeasibleOrUnbounded:
		if node.ParentID < 0 {
			s.finish(solver.StatusInfeasibleOrUnbounded)
			return false, nil
		}
		return false, fmt.Errorf("bnb: node %d LP is %v while the root's was bounded", node.ID, st)
	}
	return false, fmt.Errorf("bnb: node %d LP ended with status %v", node.ID, st)
}

// readLP reads the optimal LP's objective, solution and basis, and
// updates the pseudocosts, the node's bound and the root bound with them.
func (s *Search) readLP(node *Node) error {
	obj, err := s.lp.Objective()
	if err != nil {
		return err
	}
	if err := s.lp.SolutionTo(s.x, s.d, s.act, s.y); err != nil {
		return err
	}
	if err := s.lp.BasisTo(s.cb, s.rb); err != nil {
		return err
	}
	s.lpObj = obj
	s.nLPs++
	clear(s.sbBound)
	s.clearSBBases()
	s.recordAges()
	if node.parent != nil && node.dir != 0 {
		s.pc.update(int(node.col), int(node.dir), obj-node.parent.Bound, node.frac)
	}
	node.Bound = math.Max(node.Bound, obj)
	if node.ParentID < 0 {
		s.stats.RootLPValue, s.stats.RootBound = obj, obj
		s.track.setRoot(obj)
	}
	return nil
}

// fractionalCandidates lists the integer columns with a fractional LP value.
func (s *Search) fractionalCandidates() {
	s.cands = s.cands[:0]
	for j := range s.n {
		if s.integer[j] {
			if f := s.x[j] - math.Floor(s.x[j]); f > intTol && f < 1-intTol {
				s.cands = append(s.cands, j)
			}
		}
	}
}

// loadNode sets the LP's column bounds to node's and warm-starts it; it
// reports false, loading nothing, when reduced-cost fixing left some
// column of the node an empty range.
func (s *Search) loadNode(node *Node) (bool, error) {
	copy(s.tLo, s.globLo)
	copy(s.tUp, s.globUp)
	s.applyChain(node)
	s.idx, s.lo, s.up = s.idx[:0], s.lo[:0], s.up[:0]
	for j := range s.n {
		if s.tLo[j] > s.tUp[j] {
			if s.nodeHook != nil {
				s.expandBasis(node.basis)
				s.nodeHook(node, s.tLo, s.tUp, s.refCb, s.refRb)
			}
			return false, nil
		}
		if s.tLo[j] != s.curLo[j] || s.tUp[j] != s.curUp[j] {
			s.idx = append(s.idx, j)
			s.lo = append(s.lo, s.tLo[j])
			s.up = append(s.up, s.tUp[j])
		}
	}
	for k, j := range s.idx {
		s.curLo[j], s.curUp[j] = s.lo[k], s.up[k]
	}
	if len(s.idx) > 0 {
		if err := s.lp.SetColsBounds(s.idx, s.lo, s.up); err != nil {
			return false, err
		}
	}
	// Hot start when HiGHS holds the parent's final state; else its basis,
	// or the final basis of the parent's strong branching on this child.
	warm := node.basis != nil && (s.lastLP == nil || s.lastLP != node.parent)
	sb := s.sbWarmBasis(node)
	if (warm && sb == nil) || s.nodeHook != nil {
		s.expandBasis(node.basis)
	}
	if s.nodeHook != nil {
		s.nodeHook(node, s.tLo, s.tUp, s.refCb, s.refRb)
	}
	switch {
	case sb != nil:
		s.stats.SBWarmStarts++
		return true, s.lp.SetBasis(sb.cb, sb.rb)
	case warm:
		return true, s.lp.SetBasis(s.refCb, s.refRb)
	}
	return true, nil
}

// expandBasis writes the basis b stands for into refCb and refRb, sized
// to the LP's rows (cuts added since b was taken are basic). A node
// warm-started from b and then branched asks for it twice; the second
// time it is already there.
func (s *Search) expandBasis(b *basisDelta) {
	r := s.lpRows()
	if s.refSet && s.refOf == b && len(s.refRb) == r {
		return
	}
	if cap(s.refRb) >= r {
		s.refRb = s.refRb[:r]
	} else {
		s.refRb = make([]solver.BasisStatus, r)
	}
	b.expand(s.refCb, s.refRb)
	s.refOf, s.refSet = b, true
}

// applyChain applies the branching changes from the root down to node,
// and the reduced-cost fixings of its ancestors.
func (s *Search) applyChain(node *Node) {
	if node == nil || node.col < 0 {
		return
	}
	s.applyChain(node.parent)
	node.basis.fix.apply(s.tLo, s.tUp) // the parent's fixings
	if node.dir < 0 {
		s.tUp[node.col] = math.Min(s.tUp[node.col], node.val)
	} else {
		s.tLo[node.col] = math.Max(s.tLo[node.col], node.val)
	}
}

// solveLP solves the loaded LP with the current cutoff as objective bound.
func (s *Search) solveLP(ctx context.Context) (solver.Status, error) {
	if s.opts != nil {
		if c := s.cutoff(); c != s.cutoffSet && !math.IsInf(c, 1) {
			// HiGHS's dual simplex stops once its objective passes this bound.
			if err := s.opts.SetDoubleOption("objective_bound", c); err != nil {
				return 0, err
			}
			s.cutoffSet = c
		}
	}
	st, err := s.lp.Solve(ctx)
	if err != nil && st != solver.StatusInterrupted && st != solver.StatusTimeLimit {
		return st, err
	}
	it, ierr := s.lp.SimplexIterations()
	if ierr != nil {
		return st, ierr
	}
	s.stats.LPIterations += int64(it)
	return st, nil
}

// solveNodeLP solves a node's LP (its first solve, or a re-solve with new
// cuts). When HiGHS ends it with an unknown status, numerical trouble on
// the way from the warm start (sp150x300d under pscost with a gap limit
// met it at its 1,390th node), it solves the LP again from the slack
// basis (every column nonbasic at a finite bound, every row basic); the
// status of that second solve stands. Stats.LPResolves counts them.
// Strong-branching and diving LPs are not solved again: a status other
// than optimal already tells them that the LP gave no information.
func (s *Search) solveNodeLP(ctx context.Context) (solver.Status, error) {
	st, err := s.solveLP(ctx)
	if err != nil || st != solver.StatusUnknown {
		return st, err
	}
	s.stats.LPResolves++
	cb := make([]solver.BasisStatus, s.n)
	for j := range cb {
		switch {
		case !math.IsInf(s.curLo[j], -1):
			cb[j] = solver.AtLower
		case !math.IsInf(s.curUp[j], 1):
			cb[j] = solver.AtUpper
		default:
			cb[j] = solver.AtZero
		}
	}
	rb := make([]solver.BasisStatus, s.lpRows())
	for i := range rb {
		rb[i] = solver.Basic
	}
	if err := s.lp.SetBasis(cb, rb); err != nil {
		return solver.StatusError, err
	}
	return s.solveLP(ctx)
}

func (s *Search) recordAges() {
	for j, b := range s.cb {
		if b == solver.Basic {
			s.lastBasic[j] = s.nLPs
		}
	}
	for i := range s.m {
		if s.rb[i] != solver.Basic {
			s.lastTight[i] = s.nLPs
		}
	}
}

// newIncumbent records x if it improves on the incumbent and the cutoff;
// integer columns are rounded and the objective recomputed from them.
func (s *Search) newIncumbent(x []float64, heuristic bool) {
	if s.spare == nil {
		s.spare = make([]float64, s.n)
	}
	y := s.spare
	obj := s.sgn * s.model.Offset
	for j, v := range x {
		if s.integer[j] {
			v = math.Round(v)
		}
		y[j] = v
		obj += s.cost[j] * v
	}
	if c := s.cutoff(); obj >= c-1e-9*math.Max(1, math.Abs(c)) {
		return
	}
	s.spare, s.incumbent = s.incumbent, y
	s.incObj = obj
	s.rootRedcostFix()
	s.stats.Incumbents++
	by := NodeLP
	if heuristic {
		s.stats.HeuristicIncumbents++
		by = s.running
	}
	s.stats.Found = append(s.stats.Found, Found{Node: s.stats.Nodes, Objective: s.sgn * obj, By: by})
	for j, v := range y {
		s.solSum[j] += v
	}
}

// updateBounds records the primal and dual bounds now.
func (s *Search) updateBounds() {
	s.track.update(s.elapsed(), s.incObj, s.dualBound())
}

// dualBound is the least bound over the open nodes and the pending one.
func (s *Search) dualBound() float64 {
	b, ok := s.open.minBound()
	if !ok {
		b = math.Inf(1)
	}
	if s.cur != nil {
		b = math.Min(b, s.cur.Bound)
	}
	b = math.Min(b, math.Min(s.gapBound, s.stopBound))
	if math.IsInf(b, 1) {
		return s.incObj // nothing open: the incumbent is optimal
	}
	b = math.Max(b, s.agg.bound)
	return math.Min(b, s.incObj)
}

func (s *Search) gap() float64 {
	return relGap(s.incObj, s.dualBound())
}

// relGap is |p - d| / max(|p|, |d|), 0 when equal, +Inf without a primal bound.
func relGap(p, d float64) float64 {
	if math.IsInf(p, 0) || math.IsInf(d, 0) {
		return math.Inf(1)
	}
	if p == d {
		return 0
	}
	den := math.Max(math.Abs(p), math.Abs(d))
	if den == 0 {
		return 0
	}
	return math.Abs(p-d) / den
}

// Branch branches the pending node on column col, which must be one of the
// decision's candidates. The refused column changes nothing.
func (s *Search) Branch(col int) error {
	node := s.cur
	if node == nil {
		return ErrNoDecision
	}
	if !s.isCandidate(col) {
		return &NotCandidateError{Col: col}
	}
	v := s.x[col]
	fl, ce := math.Floor(v), math.Ceil(v)
	// The children share this node's final basis, coded against the one
	// it was warm-started from.
	s.expandBasis(node.basis)
	b := newBasisDelta(node.basis, s.refCb, s.refRb, s.cb, s.rb)
	b.fix, s.curFix = s.curFix, nil
	s.open.mem.branched(node, b)
	mk := func(dir int8) *Node {
		c := &Node{
			ID: s.nextID, ParentID: node.ID, Depth: node.Depth + 1, Bound: node.Bound,
			parent: node, col: int32(col), dir: dir, basis: b,
		}
		s.nextID++
		sb, known := s.sbBound[col]
		if dir < 0 {
			c.val, c.frac = fl, v-fl
			if known {
				c.Bound = math.Max(c.Bound, sb[0])
			}
		} else {
			c.val, c.frac = ce, ce-v
			if known {
				c.Bound = math.Max(c.Bound, sb[1])
			}
		}
		c.Estimate = node.Bound + s.estimate()
		return c
	}
	down, upc := mk(-1), mk(+1)
	s.takeSBBases(col, down, upc)
	s.tree[node.ID].Children = [2]int64{down.ID, upc.ID}
	leaf := NodeInfo{ParentID: node.ID, Children: [2]int64{-1, -1}}
	s.tree = append(s.tree, leaf, leaf) // IDs are dense: down.ID, upc.ID
	first, second := down, upc
	if v-fl > 0.5 { // dive towards the side v rounds to
		first, second = upc, down
	}
	if s.cfg.NodeSelection == DepthFirst {
		s.open.push(second)
		s.open.push(first)
	} else {
		s.open.push(first)
		s.open.push(second)
	}
	s.open.mem.note(s.open.len())
	s.plunge = append(s.plunge[:0], first, second)
	s.stats.Branchings++
	if s.branchHook != nil {
		s.branchHook(node, down, upc)
	}
	s.cur = nil
	return nil
}

// estimate is the pseudocost estimate of the objective increase to reach
// integrality at the current node.
func (s *Search) estimate() float64 {
	e := 0.0
	for _, j := range s.cands {
		f := s.x[j] - math.Floor(s.x[j])
		e += math.Min(s.pc.Down(j)*f, s.pc.Up(j)*(1-f))
	}
	return e
}

func (s *Search) isCandidate(col int) bool {
	for _, c := range s.cands {
		if c == col {
			return true
		}
	}
	return false
}

// Done reports whether the search has ended.
func (s *Search) Done() bool { return s.finished }

// Status is the search's status: StatusUnknown while it runs.
func (s *Search) Status() solver.Status { return s.status }

// Incumbent returns a copy of the best solution found (nil if none) and
// its objective in the model's sense.
func (s *Search) Incumbent() ([]float64, float64) {
	if s.incumbent == nil {
		return nil, math.Inf(int(s.sgn))
	}
	return append([]float64(nil), s.incumbent...), s.sgn * s.incObj
}

// Stats returns the statistics so far, bounds in the model's sense.
func (s *Search) Stats() Stats {
	st := s.stats
	if !s.finished {
		st.Time = time.Since(s.start)
		s.track.advance(st.Time.Seconds()) // the integrals up to Time
	}
	st.PrimalBound = s.sgn * s.incObj
	st.DualBound = s.sgn * s.dualBound()
	if s.finished && (s.status == solver.StatusOptimal || s.status == solver.StatusInfeasible) {
		st.DualBound = st.PrimalBound
	}
	st.Gap = relGap(st.PrimalBound, st.DualBound)
	st.PrimalIntegral, st.DualIntegral, st.PrimalDualIntegral = s.track.primal, s.track.dual, s.track.primalDual
	h := s.track.history
	st.History = h[:len(h):len(h)] // read-only: the search only appends, and an append here copies
	st.Found = slices.Clone(s.stats.Found)
	st.OpenNodes = s.open.len()
	st.OpenNodeBytes, st.OpenNodesAtPeak = s.open.mem.peak, s.open.mem.openAtPeak
	return st
}

// NodeInfo is a node's place in the tree and its own LP work.
type NodeInfo struct {
	ParentID int64    // -1 at the root
	Children [2]int64 // the down and up child; -1, -1 until it is branched on
	// LPIterations are the simplex iterations of the node's LP and of
	// strong branching at it (what Stats.LPIterations counts): summed over
	// the tree they make Stats.LPIterations. A node pruned before its LP
	// was solved has none.
	LPIterations int64
}

// Node returns what the search knows of node id so far (ok false for an
// id it has not created).
func (s *Search) Node(id int64) (NodeInfo, bool) {
	if id < 0 || id >= int64(len(s.tree)) {
		return NodeInfo{}, false
	}
	return s.tree[id], true
}

// Tree returns every node created so far, indexed by node ID (a copy).
func (s *Search) Tree() []NodeInfo { return append([]NodeInfo(nil), s.tree...) }

// Model returns the model being solved.
func (s *Search) Model() *solver.Model { return s.model }

func (s *Search) logProgress() {
	if s.cfg.Log == nil {
		return
	}
	every := s.cfg.LogEvery
	if every <= 0 {
		every = 100
	}
	if s.stats.Nodes%every != 0 && s.stats.Nodes != 1 {
		return
	}
	fmt.Fprintf(s.cfg.Log, "bnb: %8d nodes %8d open  primal %-14.8g dual %-14.8g gap %.3g%%  %.1fs\n",
		s.stats.Nodes, s.open.len(), s.sgn*s.incObj, s.sgn*s.dualBound(), 100*s.gap(), s.elapsed())
}
