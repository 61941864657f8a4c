package bnb

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/corl-go/corl/solver"
)

// CutKind names a family of cutting planes.
type CutKind int

const (
	Gomory   CutKind = iota // Gomory mixed-integer cuts from tableau rows
	MIR                     // mixed-integer rounding on single rows
	Cover                   // extended knapsack covers
	Clique                  // cliques of set-packing conflicts
	AggCover                // covers of knapsack rows pooled over set-packing groups
	NumCutKinds
)

var cutNames = [NumCutKinds]string{"gomory", "mir", "cover", "clique", "aggcover"}

func (k CutKind) String() string {
	if k >= 0 && k < NumCutKinds {
		return cutNames[k]
	}
	return "cut(" + strconv.Itoa(int(k)) + ")"
}

// Cuts configures the cutting planes. They are separated in rounds at the
// root and in one round at every other node (unless RootOnly; Gomory and
// clique cuts at the root only unless GomoryNodes, CliqueNodes): each round collects
// violated cuts from the node LP solution, keeps the most efficacious ones
// that are not nearly parallel to one kept before, adds them to the LP as
// rows and re-solves. Every cut is valid for the whole model (derived from
// the root bounds), so it stays in the LP for every node after it. Cuts not
// tight at the end of the root are removed from the LP (with Reserve, held
// for the other nodes' rounds). The zero value turns them all on with the
// defaults below.
type Cuts struct {
	NoGomory bool // Gomory mixed-integer cuts (needs a solver.Tableau engine)
	NoMIR    bool // mixed-integer rounding on single rows
	NoCover  bool // extended knapsack covers
	NoClique bool // cliques of the conflicts set-packing rows state
	// NoAggCover: covers of the knapsack rows summed, with the columns
	// of one set-packing row taken as one item (aggcover.go)
	NoAggCover bool

	// MaxRounds bounds the root's separation rounds (0: 50). Rounds also
	// stop after three in a row that raise the bound by less than 1e-6
	// relative, and once the last StallRounds rounds together raised it
	// by less than MinProgress relative to its magnitude (0: 5 rounds,
	// 1e-4, the relative gap below which MIP solvers call a solution
	// optimal; a negative MinProgress turns this rule off).
	MaxRounds   int
	StallRounds int
	MinProgress float64
	// MinEfficacy is the least violation of a cut divided by the norm of
	// its coefficients (0: 1e-4).
	MinEfficacy float64
	// MaxParallelism is the greatest cosine between two cuts added in one
	// round (0: 0.9).
	MaxParallelism float64
	// MaxPerRound bounds the cuts added per round (0: 100).
	MaxPerRound int
	// RootOnly separates at the root only. Otherwise every other node
	// separates one round too, while the LP holds fewer than MaxCutRows
	// cuts (0: twice the model's rows plus 100).
	RootOnly   bool
	MaxCutRows int
	// GomoryNodes separates Gomory cuts at the other nodes too; by
	// default they come from the root's rounds only, and the other nodes
	// separate the other families.
	GomoryNodes bool
	// CliqueNodes separates clique cuts at the other nodes too; by
	// default they come from the root's rounds only, as SCIP's clique
	// separator does (HiGHS separates at its root only): a node's bounds
	// rarely make a new clique violated, and the rows they add stay in
	// every later node's LP (RATIONALE.md, "Clique cuts at the root").
	CliqueNodes bool
	// EveryNode separates at every node. By default a node round that
	// adds no cut doubles the distance, in nodes, to the next node that
	// separates (2, 4, 8, ... up to 128), and one that adds a cut sets it
	// back to every node: on models where the node rounds find nothing
	// (set cover) they took a third of the search's time.
	EveryNode bool
	// Reserve holds the cuts not tight at the root's end, instead of
	// dropping them for good: at every other node's round, those the
	// node's LP point violates by MinEfficacy are candidates beside the
	// new ones, and each one selected goes back into the LP (off by
	// default). The reserve holds no Gomory cut unless GomoryNodes: a
	// node round adds none. It holds the root's clique cuts: they go back
	// where a node's point violates them, though the node rounds separate
	// no new ones unless CliqueNodes.
	Reserve bool
}

// Validate checks the cut settings.
func (c Cuts) Validate() error {
	switch {
	case c.MaxRounds < 0:
		return &ConfigError{"Config.Cuts.MaxRounds", "must not be negative"}
	case c.StallRounds < 0:
		return &ConfigError{"Config.Cuts.StallRounds", "must not be negative"}
	case math.IsNaN(c.MinProgress) || math.IsInf(c.MinProgress, 0):
		return &ConfigError{"Config.Cuts.MinProgress", "must be a finite number"}
	case !(c.MinEfficacy >= 0) || math.IsInf(c.MinEfficacy, 1):
		return &ConfigError{"Config.Cuts.MinEfficacy", "must be a finite non-negative number"}
	case !(c.MaxParallelism >= 0 && c.MaxParallelism <= 1):
		return &ConfigError{"Config.Cuts.MaxParallelism", "must be in [0, 1]"}
	case c.MaxPerRound < 0:
		return &ConfigError{"Config.Cuts.MaxPerRound", "must not be negative"}
	case c.MaxCutRows < 0:
		return &ConfigError{"Config.Cuts.MaxCutRows", "must not be negative"}
	case c.Reserve && c.RootOnly:
		return &ConfigError{"Config.Cuts.Reserve", "needs cuts at the nodes (not RootOnly): only node rounds read the reserve"}
	case c.EveryNode && c.RootOnly:
		return &ConfigError{"Config.Cuts.EveryNode", "needs cuts at the nodes (not RootOnly)"}
	case c.CliqueNodes && c.NoClique:
		return &ConfigError{"Config.Cuts.CliqueNodes", "needs clique cuts (not NoClique)"}
	}
	return nil
}

func (c Cuts) withDefaults(rows int) Cuts {
	if c.MaxRounds == 0 {
		c.MaxRounds = 50
	}
	if c.StallRounds == 0 {
		c.StallRounds = 5
	}
	if c.MinProgress == 0 {
		c.MinProgress = 1e-4
	}
	if c.MinEfficacy == 0 {
		c.MinEfficacy = 1e-4
	}
	if c.MaxParallelism == 0 {
		c.MaxParallelism = 0.9
	}
	if c.MaxPerRound == 0 {
		c.MaxPerRound = 100
	}
	if c.MaxCutRows == 0 {
		c.MaxCutRows = 2*rows + 100
	}
	return c
}

// ParseCuts reads which cutting planes run: "on" (or "all", "", "nodes":
// every family at the root, every family but Gomory and clique at every
// other node), "root" (every family, at the root only), "off" ("none"), or
// a comma-separated list among gomory, gomory-nodes (Gomory cuts at every
// node too, Cuts.GomoryNodes), mir, cover, clique, clique-nodes (clique
// cuts at every node too, Cuts.CliqueNodes) and aggcover, with root for
// Cuts.RootOnly (nodes, the default, may be listed), reserve for
// Cuts.Reserve and every-node for Cuts.EveryNode. It returns the value of Config.NoCuts and the on/off
// fields of Config.Cuts.
func ParseCuts(list string) (none bool, c Cuts, err error) {
	switch strings.ToLower(strings.TrimSpace(list)) {
	case "", "all", "on", "nodes":
		return false, c, nil
	case "none", "off":
		return true, c, nil
	case "root":
		return false, Cuts{RootOnly: true}, nil
	}
	c = Cuts{NoGomory: true, NoMIR: true, NoCover: true, NoClique: true, NoAggCover: true}
	nodes, atNodes := false, "" // atNodes: the item asking for rounds at every node
	for _, name := range strings.Split(list, ",") {
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "nodes":
			nodes = true
		case "root":
			c.RootOnly = true
		case "gomory-nodes":
			c.NoGomory, c.GomoryNodes, atNodes = false, true, "gomory-nodes (Gomory cuts at every node)"
		case "clique-nodes":
			c.NoClique, c.CliqueNodes, atNodes = false, true, "clique-nodes (clique cuts at every node)"
		case "gomory", "gmi":
			c.NoGomory = false
		case "mir", "cmir":
			c.NoMIR = false
		case "cover", "knapsack":
			c.NoCover = false
		case "clique":
			c.NoClique = false
		case "aggcover":
			c.NoAggCover = false
		case "reserve":
			c.Reserve = true
		case "every-node":
			c.EveryNode, atNodes = true, "every-node (a round at every node)"
		default:
			return false, Cuts{}, fmt.Errorf("bnb: unknown cut family %q (want on, off, root, or a list of gomory, gomory-nodes, mir, cover, clique, clique-nodes, aggcover, reserve, every-node, root or nodes)", name)
		}
	}
	if nodes && c.RootOnly {
		return false, Cuts{}, fmt.Errorf("bnb: cuts %q: root (the root only) and nodes (every node) exclude each other", list)
	}
	if c.Reserve && c.RootOnly {
		return false, Cuts{}, fmt.Errorf("bnb: cuts %q: root (the root only) and reserve (root cuts held for the other nodes) exclude each other", list)
	}
	if atNodes != "" && c.RootOnly {
		return false, Cuts{}, fmt.Errorf("bnb: cuts %q: root (the root only) and %s exclude each other", list, atNodes)
	}
	return false, c, nil
}

// CutStats is the cutting planes' work so far.
type CutStats struct {
	Rounds int64              // separation rounds that added cuts
	Added  [NumCutKinds]int64 // cuts added to the LP, by kind (the reserve's returns not counted again)
	InLP   int                // cut rows in the LP now
	// Reserve is the number of root cuts held out of the LP now, and
	// FromReserve the number of times one went back into it.
	Reserve      int
	FromReserve  int64
	LPIterations int64 // simplex iterations of the re-solves (not in Stats.LPIterations)
	Time         time.Duration
}

// Total is the number of cuts added, all kinds.
func (c CutStats) Total() int64 {
	n := int64(0)
	for _, k := range c.Added {
		n += k
	}
	return n
}

// cut is a candidate cut Σ val·x ≤ rhs over columns.
type cut struct {
	idx  []int
	val  []float64
	rhs  float64
	eff  float64 // violation / norm at the LP point
	norm float64
	kind CutKind
	res  int // 1 + its index in the reserve when it came from there; 0: a new cut
}

// cutPool holds the cut rows in the LP (rows m, m+1, ... of the LP), row-wise.
type cutPool struct {
	start []int // len(rhs)+1 entries
	idx   []int
	val   []float64
	rhs   []float64
	kind  []CutKind
}

func (p *cutPool) len() int { return len(p.rhs) }

func (p *cutPool) row(c int) ([]int, []float64) {
	return p.idx[p.start[c]:p.start[c+1]], p.val[p.start[c]:p.start[c+1]]
}

// keep compacts the pool to the cuts with keep[c] set.
func (p *cutPool) keep(keep []bool) {
	nc, nz := 0, 0
	for c := range p.rhs {
		if !keep[c] {
			continue
		}
		idx, val := p.row(c)
		copy(p.idx[nz:], idx)
		copy(p.val[nz:], val)
		p.start[nc] = nz
		nz += len(idx)
		p.rhs[nc], p.kind[nc] = p.rhs[c], p.kind[c]
		nc++
	}
	p.start = append(p.start[:nc], nz)
	p.idx, p.val, p.rhs, p.kind = p.idx[:nz], p.val[:nz], p.rhs[:nc], p.kind[:nc]
}

// lpRows is the number of rows of the LP: the model's and the cuts.
func (s *Search) lpRows() int { return s.m + s.pool.len() }

// resizeRows fits the per-row buffers of the LP solution to the LP's rows.
func (s *Search) resizeRows() {
	r := s.lpRows()
	fit := func(v []float64) []float64 {
		if cap(v) >= r {
			return v[:r]
		}
		return append(v[:cap(v)], make([]float64, r-cap(v))...)
	}
	s.act, s.y = fit(s.act), fit(s.y)
	if cap(s.rb) >= r {
		s.rb = s.rb[:r]
	} else {
		s.rb = append(s.rb[:cap(s.rb)], make([]solver.BasisStatus, r-cap(s.rb))...)
	}
}

// cutsDue reports whether cuts are separated at node.
func (s *Search) cutsDue(node *Node) bool {
	if s.cfg.NoCuts || (s.cuts.NoGomory && s.cuts.NoMIR && s.cuts.NoCover && s.cuts.NoClique && s.cuts.NoAggCover) {
		return false
	}
	if node.ParentID < 0 {
		return true
	}
	if !s.cuts.EveryNode && s.stats.Nodes < s.cutsIdle.next {
		return false
	}
	c := s.cuts
	atNodes := !c.NoMIR || !c.NoCover || !c.NoAggCover || (!c.NoGomory && c.GomoryNodes) || (!c.NoClique && c.CliqueNodes) || s.reserve.len() > 0
	return atNodes && !c.RootOnly && s.pool.len() < c.MaxCutRows
}

// separateCuts runs the separation rounds at node, whose optimal LP is in
// s.x; afterwards s.x, the basis and node.Bound are the LP's with the cuts
// (node.Bound is +Inf when the cuts made the LP infeasible). The search
// finishes when a limit stops a re-solve.
func (s *Search) separateCuts(ctx context.Context, node *Node) error {
	start := time.Now()
	defer func() { s.stats.Cuts.Time += time.Since(start) }()
	root := node.ParentID < 0
	rounds := 1
	if root {
		rounds = s.cuts.MaxRounds
	}
	stall := 0
	if !root {
		before := s.stats.Cuts.Rounds
		defer func() { s.cutsIdle.after(s.stats.Nodes, s.stats.Cuts.Rounds > before) }()
	}
	var bounds []float64 // the bound after each round, the LP's first
	if root {
		bounds = append(bounds, node.Bound)
	}
	for range rounds {
		if ctx.Err() != nil {
			return nil
		}
		cands, err := s.separate(root)
		if err != nil {
			return err
		}
		if !root && s.reserve.len() > 0 {
			cands = s.reserveCuts(cands)
		}
		added := s.selectCuts(cands)
		if len(added) == 0 {
			break
		}
		if err := s.addCuts(added); err != nil {
			return err
		}
		s.takeFromReserve(added)
		s.stats.Cuts.Rounds++
		before := node.Bound
		ok, err := s.resolveWithCuts(ctx, node)
		if err != nil || !ok {
			return err
		}
		if s.cfg.Log != nil && root {
			fmt.Fprintf(s.cfg.Log, "bnb: cut round %2d  bound %-14.8g cuts %3d added, %4d in LP  %6d iterations  %d fractional  %.1fs\n",
				s.stats.Cuts.Rounds, s.sgn*node.Bound, len(added), s.pool.len(), s.stats.Cuts.LPIterations, len(s.cands), s.elapsed())
		}
		if node.Bound-before <= 1e-6*math.Max(1, math.Abs(node.Bound)) {
			if stall++; stall >= 3 {
				break
			}
		} else {
			stall = 0
		}
		s.fractionalCandidates()
		if len(s.cands) == 0 || s.pruned(node.Bound) {
			break
		}
		if bounds = append(bounds, node.Bound); s.stalled(bounds) {
			break
		}
	}
	if root {
		s.stats.RootBound = node.Bound
		return s.dropSlackCuts(ctx, node)
	}
	return nil
}

// cutsIdle is the node rounds' back-off (Cuts.EveryNode): idle rounds in
// a row that added nothing, and the node count from which the next node
// separates.
type cutsIdle struct {
	idle int
	next int64
}

// maxCutsIdleGap is the longest distance, in nodes, between node rounds.
const maxCutsIdleGap = 128

// after records a node round at node count nodes that added cuts or not.
func (c *cutsIdle) after(nodes int64, added bool) {
	if added {
		c.idle, c.next = 0, 0
		return
	}
	c.idle++
	c.next = nodes + min(int64(1)<<min(c.idle, 62), maxCutsIdleGap)
}

// stalled reports whether the root's rounds, whose bounds so far are
// bounds (the LP's value first), raised the bound by less than
// Cuts.MinProgress relative over the last Cuts.StallRounds rounds.
func (s *Search) stalled(bounds []float64) bool {
	k, r := s.cuts.StallRounds, len(bounds)-1
	if s.cuts.MinProgress < 0 || r < k {
		return false
	}
	b := bounds[r]
	return b-bounds[r-k] < s.cuts.MinProgress*math.Max(1, math.Abs(b))
}

// resolveWithCuts re-solves the node LP after cuts were added and reads
// its solution; it reports false when the node is closed (infeasible or
// cut off: node.Bound is +Inf) or the search finished.
func (s *Search) resolveWithCuts(ctx context.Context, node *Node) (bool, error) {
	before := s.stats.LPIterations
	st, err := s.solveNodeLP(ctx)
	s.stats.Cuts.LPIterations += s.stats.LPIterations - before
	s.stats.LPIterations = before
	if err != nil {
		return false, err
	}
	s.lastLP = node
	switch st {
	case solver.StatusOptimal:
	case solver.StatusInfeasible, solver.StatusObjectiveBound:
		node.Bound = math.Inf(1)
		return false, nil
	case solver.StatusTimeLimit, solver.StatusInterrupted:
		s.stopIn(node, st)
		return false, nil
	default:
		return false, fmt.Errorf("bnb: node %d LP with cuts ended with status %v", node.ID, st)
	}
	obj, err := s.lp.Objective()
	if err != nil {
		return false, err
	}
	if err := s.lp.SolutionTo(s.x, s.d, s.act, s.y); err != nil {
		return false, err
	}
	if err := s.lp.BasisTo(s.cb, s.rb); err != nil {
		return false, err
	}
	s.lpObj = obj
	clear(s.sbBound)
	node.Bound = math.Max(node.Bound, obj)
	return true, nil
}

// dropSlackCuts removes the cuts whose rows are basic (not tight) in the
// root's final LP, and re-solves it (no pivots: the solution stays).
func (s *Search) dropSlackCuts(ctx context.Context, node *Node) error {
	if s.finished || math.IsInf(node.Bound, 1) || s.pool.len() == 0 {
		s.stats.Cuts.InLP = s.pool.len()
		return nil
	}
	keep := make([]bool, s.pool.len())
	var del []int
	for c := range keep {
		if keep[c] = s.rb[s.m+c] != solver.Basic; !keep[c] {
			del = append(del, s.m+c)
		}
	}
	if len(del) > 0 {
		if err := s.lp.DeleteRows(del); err != nil {
			return err
		}
		if s.cuts.Reserve {
			for c, k := range keep {
				if !k && (s.pool.kind[c] != Gomory || s.cuts.GomoryNodes) {
					idx, val := s.pool.row(c)
					s.reserve.add(idx, val, s.pool.rhs[c], s.pool.kind[c])
				}
			}
			s.stats.Cuts.Reserve = s.reserve.len()
		}
		s.pool.keep(keep)
		s.resizeRows()
		if _, err := s.resolveWithCuts(ctx, node); err != nil {
			return err
		}
	}
	s.stats.Cuts.InLP = s.pool.len()
	return nil
}

// addCuts appends cuts to the LP and the pool.
func (s *Search) addCuts(cuts []*cut) error {
	lo, up := make([]float64, len(cuts)), make([]float64, len(cuts))
	start := make([]int, len(cuts))
	var idx []int
	var val []float64
	for k, c := range cuts {
		lo[k], up[k], start[k] = math.Inf(-1), c.rhs, len(idx)
		idx = append(idx, c.idx...)
		val = append(val, c.val...)
	}
	if err := s.lp.AddRows(lo, up, start, idx, val); err != nil {
		return err
	}
	for _, c := range cuts {
		s.pool.add(c.idx, c.val, c.rhs, c.kind)
		if c.res == 0 {
			s.stats.Cuts.Added[c.kind]++
		} else {
			s.stats.Cuts.FromReserve++
		}
		if s.cutHook != nil {
			s.cutHook(c)
		}
	}
	s.stats.Cuts.InLP = s.pool.len()
	s.resizeRows()
	return nil
}

// add appends the cut Σ val·x ≤ rhs.
func (p *cutPool) add(idx []int, val []float64, rhs float64, kind CutKind) {
	if p.start == nil {
		p.start = []int{0}
	}
	p.idx = append(p.idx, idx...)
	p.val = append(p.val, val...)
	p.start = append(p.start, len(p.idx))
	p.rhs = append(p.rhs, rhs)
	p.kind = append(p.kind, kind)
}

// reserveCuts appends to cands the reserve's cuts that the LP point in
// s.x violates with at least Cuts.MinEfficacy.
func (s *Search) reserveCuts(cands []*cut) []*cut {
	r := &s.reserve
	for c := range r.len() {
		idx, val := r.row(c)
		act, norm := 0.0, 0.0
		for k, j := range idx {
			act += val[k] * s.x[j]
			norm += val[k] * val[k]
		}
		if act <= r.rhs[c] {
			continue
		}
		norm = math.Sqrt(norm)
		if eff := (act - r.rhs[c]) / norm; eff >= s.cuts.MinEfficacy {
			cands = append(cands, &cut{idx: idx, val: val, rhs: r.rhs[c], eff: eff, norm: norm, kind: r.kind[c], res: c + 1})
		}
	}
	return cands
}

// takeFromReserve removes from the reserve the cuts of added that came
// from it (now rows of the LP).
func (s *Search) takeFromReserve(added []*cut) {
	var keep []bool
	for _, c := range added {
		if c.res > 0 {
			if keep == nil {
				keep = make([]bool, s.reserve.len())
				for k := range keep {
					keep[k] = true
				}
			}
			keep[c.res-1] = false
		}
	}
	if keep != nil {
		s.reserve.keep(keep)
		s.stats.Cuts.Reserve = s.reserve.len()
	}
}

// selectCuts keeps, by decreasing efficacy, the candidates at least
// MinEfficacy efficacious whose cosine with every cut kept before is at
// most MaxParallelism, up to MaxPerRound.
func (s *Search) selectCuts(cands []*cut) []*cut {
	slices.SortStableFunc(cands, func(a, b *cut) int { return cmpFloat(b.eff, a.eff) })
	dense := s.cutDense[:0]
	dense = append(dense, make([]float64, s.n)...)
	s.cutDense = dense
	var kept []*cut
	for _, c := range cands {
		if len(kept) >= s.cuts.MaxPerRound || c.eff < s.cuts.MinEfficacy {
			break
		}
		for k, j := range c.idx {
			dense[j] = c.val[k]
		}
		ok := true
		for _, o := range kept {
			dot := 0.0
			for k, j := range o.idx {
				dot += o.val[k] * dense[j]
			}
			if math.Abs(dot) > s.cuts.MaxParallelism*c.norm*o.norm {
				ok = false
				break
			}
		}
		for _, j := range c.idx {
			dense[j] = 0
		}
		if ok {
			kept = append(kept, c)
		}
	}
	return kept
}

// separate collects candidate cuts violated by the LP solution in s.x,
// at the root or at another node.
func (s *Search) separate(root bool) ([]*cut, error) {
	var cands []*cut
	if !s.cuts.NoGomory && (root || s.cuts.GomoryNodes) {
		if tab, ok := s.lp.(solver.Tableau); ok {
			c, err := s.gomoryCuts(tab)
			if err != nil {
				return nil, err
			}
			cands = append(cands, c...)
		}
	}
	if !s.cuts.NoMIR {
		cands = append(cands, s.aggregationMIRCuts()...)
	}
	if !s.cuts.NoCover {
		cands = append(cands, s.coverCuts()...)
	}
	if !s.cuts.NoClique && (root || s.cuts.CliqueNodes) {
		cands = append(cands, s.cliqueCuts()...)
	}
	if !s.cuts.NoAggCover {
		cands = append(cands, s.aggCoverCuts()...)
	}
	return cands, nil
}
