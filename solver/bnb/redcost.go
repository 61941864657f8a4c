package bnb

import (
	"fmt"
	"math"
	"strings"
	"unsafe"

	"github.com/corl-go/corl/solver"
)

// Redcost says where reduced-cost fixing tightens the bounds of integer
// columns. An LP with value z and reduced cost d_j > 0 for a column at its
// lower bound l_j bounds every point of its feasible set by
// z + d_j·(x_j − l_j), so once a cutoff c is known the points with
// x_j > l_j + (c − z)/d_j cannot improve on it: x_j's upper bound falls to
// l_j + ⌊(c − z)/d_j⌋ (and symmetrically for d_j < 0 at the upper bound).
// The root LP's reduced costs (after the cuts, which hold everywhere) give
// global bounds, tightened again at every improving incumbent; a node's
// own give bounds for its subtree.
type Redcost int

const (
	RedcostDefault Redcost = iota // the default: RedcostOff
	RedcostOff                    // no reduced-cost fixing
	RedcostRoot                   // the root LP's, globally, at each new cutoff
	RedcostNodes                  // the root's, and every node's for its subtree
)

func (r Redcost) String() string {
	switch r {
	case RedcostOff:
		return "off"
	case RedcostRoot:
		return "root"
	case RedcostNodes:
		return "nodes"
	}
	return "off"
}

// resolved is r with the default made explicit.
func (r Redcost) resolved() Redcost {
	if r == RedcostDefault {
		return RedcostOff
	}
	return r
}

// ParseRedcost reads "off" (or "": the default), "root", or "nodes" ("on":
// the root's and every node's).
func ParseRedcost(v string) (Redcost, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "default":
		return RedcostDefault, nil
	case "off", "none":
		return RedcostOff, nil
	case "root":
		return RedcostRoot, nil
	case "nodes", "node", "on":
		return RedcostNodes, nil
	}
	return 0, fmt.Errorf("bnb: unknown reduced-cost fixing %q (want off, root, nodes or on)", v)
}

// RedcostStats counts reduced-cost fixing's work.
type RedcostStats struct {
	Root   int64 `json:"root"`   // global bound tightenings from the root LP's reduced costs
	Nodes  int64 `json:"nodes"`  // bound tightenings at nodes, for their subtrees
	Pruned int64 `json:"pruned"` // nodes closed unsolved: their bounds had become empty
}

// fixChange is one tightened bound: col's upper bound (up) or lower
// bound becomes val.
type fixChange struct {
	val float64
	col int32
	up  bool
}

// fixings are a node's reduced-cost tightenings, held for its subtree.
type fixings []fixChange

const fixChangeBytes = int64(unsafe.Sizeof(fixChange{}))

func (f fixings) bytes() int64 { return fixChangeBytes * int64(len(f)) }

// apply tightens lo and up by the changes.
func (f fixings) apply(lo, up []float64) {
	for _, c := range f {
		if c.up {
			up[c.col] = math.Min(up[c.col], c.val)
		} else {
			lo[c.col] = math.Max(lo[c.col], c.val)
		}
	}
}

// rootRedcost is the root LP's reduced-cost information, kept once the
// root's cut rounds end: its value and the integer columns at a bound with
// a nonzero reduced cost.
type rootRedcost struct {
	set  bool
	obj  float64
	cols []int32
	d    []float64
}

// redcostTol is the least |reduced cost| fixing uses: HiGHS's dual
// feasibility tolerance, below which a reduced cost may be noise.
const redcostTol = 1e-7

// redcostRange is how far a column at a bound may move, given the gap
// g = c − z to the cutoff and its reduced cost d: ⌊g/|d|⌋, with 1e-6 of
// slack so that a value a rounding error short of an integer keeps it.
func redcostRange(g, d float64) float64 { return math.Floor(g/math.Abs(d) + 1e-6) }

// atBoundRedcost reports, for column j of the LP solution x, d with basis
// cb and bounds lo, up, whether reduced-cost fixing applies to it: an
// integer column, nonbasic at a finite bound its reduced cost points away
// from, not fixed already.
func (s *Search) atBoundRedcost(j int, x, d []float64, cb []solver.BasisStatus, lo, up []float64) bool {
	if !s.integer[j] || cb[j] == solver.Basic || lo[j] >= up[j] {
		return false
	}
	switch dj := d[j]; {
	case dj > redcostTol:
		return !math.IsInf(lo[j], -1) && x[j] <= lo[j]+intTol
	case dj < -redcostTol:
		return !math.IsInf(up[j], 1) && x[j] >= up[j]-intTol
	}
	return false
}

// keepRootRedcost records the root LP's reduced costs (the LP in s.x, s.d,
// s.cb, with the root's bounds) and fixes what the cutoff allows already.
func (s *Search) keepRootRedcost() {
	if s.redcost == RedcostOff || s.rc.set {
		return
	}
	s.rc.set, s.rc.obj = true, s.lpObj
	for j := range s.n {
		if s.atBoundRedcost(j, s.x, s.d, s.cb, s.rootLo, s.rootUp) {
			s.rc.cols = append(s.rc.cols, int32(j))
			s.rc.d = append(s.rc.d, s.d[j])
		}
	}
	s.rootRedcostFix()
}

// rootRedcostFix tightens the global bounds with the root LP's reduced
// costs and the cutoff now.
func (s *Search) rootRedcostFix() {
	c := s.cutoff()
	if !s.rc.set || math.IsInf(c, 1) {
		return
	}
	g := c - s.rc.obj
	if g < 0 { // the root is cut off: the search ends at its next node
		return
	}
	for k, j := range s.rc.cols {
		r := redcostRange(g, s.rc.d[k])
		if s.rc.d[k] > 0 {
			if v := s.rootLo[j] + r; v < s.globUp[j] {
				s.globUp[j] = v
				s.stats.Redcost.Root++
			}
		} else if v := s.rootUp[j] - r; v > s.globLo[j] {
			s.globLo[j] = v
			s.stats.Redcost.Root++
		}
	}
}

// nodeRedcostFix records in curFix the tightenings node's LP's reduced
// costs and the cutoff give (the LP in s.x, s.d, s.cb, with bounds curLo,
// curUp); Branch hands them to its descendants with its basis.
func (s *Search) nodeRedcostFix(node *Node) {
	s.curFix = nil
	c := s.cutoff()
	if s.redcost != RedcostNodes || node.ParentID < 0 || math.IsInf(c, 1) {
		return
	}
	g := c - s.lpObj
	if g < 0 {
		return
	}
	var f fixings
	for j := range s.n {
		if !s.atBoundRedcost(j, s.x, s.d, s.cb, s.curLo, s.curUp) {
			continue
		}
		r := redcostRange(g, s.d[j])
		if s.d[j] > 0 {
			if v := s.curLo[j] + r; v < s.curUp[j] {
				f = append(f, fixChange{val: v, col: int32(j), up: true})
			}
		} else if v := s.curUp[j] - r; v > s.curLo[j] {
			f = append(f, fixChange{val: v, col: int32(j)})
		}
	}
	s.curFix = f
	s.stats.Redcost.Nodes += int64(len(f))
}
