package bnb

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unsafe"

	"github.com/corl-go/corl/internal/highstest"
	"github.com/corl-go/corl/solver"
)

// fullNode is a node stored the way the search once stored every node: its
// full bounds and its parent's full basis.
type fullNode struct {
	lo, up     []float64
	cols, rows []solver.BasisStatus // nil at the root
}

// fullTree keeps full copies of every node's bounds and warm-start basis,
// built from the parent's at each branching, as a second implementation
// to check the compact nodes against.
type fullTree struct {
	t     *testing.T
	s     *Search
	nodes map[int64]*fullNode
	seen  int
}

func watchFullTree(t *testing.T, s *Search) *fullTree {
	f := &fullTree{t: t, s: s, nodes: map[int64]*fullNode{
		0: {lo: slices.Clone(s.rootLo), up: slices.Clone(s.rootUp)},
	}}
	s.branchHook = f.branch
	s.nodeHook = f.check
	return f
}

func (f *fullTree) branch(p, down, up *Node) {
	pf := f.nodes[p.ID]
	for _, c := range []*Node{down, up} {
		n := &fullNode{
			lo: slices.Clone(pf.lo), up: slices.Clone(pf.up),
			cols: slices.Clone(f.s.cb), rows: slices.Clone(f.s.rb),
		}
		for _, fc := range c.basis.fix { // the parent's reduced-cost fixings
			if fc.up {
				n.up[fc.col] = math.Min(n.up[fc.col], fc.val)
			} else {
				n.lo[fc.col] = math.Max(n.lo[fc.col], fc.val)
			}
		}
		j := int(c.col)
		if c == down {
			n.up[j] = math.Min(n.up[j], math.Floor(f.s.x[j]))
		} else {
			n.lo[j] = math.Max(n.lo[j], math.Ceil(f.s.x[j]))
		}
		f.nodes[c.ID] = n
	}
	f.checkMemory()
}

// check compares a popped node's reconstructed bounds and basis with the
// full copies.
func (f *fullTree) check(n *Node, lo, up []float64, cols, rows []solver.BasisStatus) {
	f.t.Helper()
	want, ok := f.nodes[n.ID]
	if !ok {
		f.t.Fatalf("node %d loaded but never made", n.ID)
	}
	f.seen++
	wlo, wup := slices.Clone(want.lo), slices.Clone(want.up)
	for j := range wlo { // the root's reduced-cost fixings so far
		wlo[j], wup[j] = math.Max(wlo[j], f.s.globLo[j]), math.Min(wup[j], f.s.globUp[j])
	}
	if !slices.Equal(lo, wlo) || !slices.Equal(up, wup) {
		f.t.Fatalf("node %d: bounds %v %v, full copies %v %v", n.ID, lo, up, wlo, wup)
	}
	if want.cols == nil {
		return
	}
	wr := want.rows
	for len(wr) < len(rows) { // cuts added since: basic
		wr = append(wr, solver.Basic)
	}
	if !slices.Equal(cols, want.cols) || !slices.Equal(rows, wr) {
		f.t.Fatalf("node %d: basis %v %v, full copy %v %v", n.ID, cols, rows, want.cols, wr)
	}
}

// checkMemory recomputes the open nodes' bytes by walking from every open
// node to the root and compares them with the search's running account.
func (f *fullTree) checkMemory() {
	f.t.Helper()
	o := f.s.open
	held := map[*Node]bool{}
	var want int64
	for _, n := range o.bound.nodes {
		want += o.mem.slot
		for ; n != nil && !held[n]; n = n.parent {
			held[n] = true
			want += nodeBytes + int64(n.held)
		}
	}
	if o.mem.bytes != want {
		f.t.Fatalf("open nodes hold %d bytes by the running account, %d by a walk", o.mem.bytes, want)
	}
}

// The compact nodes give every popped node the bounds and warm-start basis
// that full copies give, under every rule and node selection, with cuts at
// the root and at every node (rows grow after bases were taken); the
// running byte account agrees with a walk of the tree at every branching.
func TestCompactNodesMatchFullCopies(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 41))
	rules := []string{"mostfrac", "pscost", "fsb", "relpscost", "random"}
	sels := []NodeSelection{BestFirst, DepthFirst, BestEstimate}
	lp := highstest.New(t)
	for k := range 6 {
		m := randomIntegerMIP(rng, 14, 9, 3*(k%2))
		for i, rule := range rules {
			cfg := Config{NodeSelection: sels[(k+i)%len(sels)], NodeLimit: 400}
			cfg.Cuts.RootOnly = k%3 != 2
			t.Run(fmt.Sprintf("%d/%s/%v", k, rule, cfg.NodeSelection), func(t *testing.T) {
				r, err := NewRule(rule, 3)
				if err != nil {
					t.Fatal(err)
				}
				s, err := NewSearch(context.Background(), lp, m, cfg)
				if err != nil {
					t.Fatal(err)
				}
				f := watchFullTree(t, s)
				if _, err := s.Run(context.Background(), r); err != nil {
					t.Fatal(err)
				}
				st := s.Stats()
				if f.seen == 0 || int64(f.seen) != st.Nodes+st.Redcost.Pruned {
					t.Fatalf("%d nodes checked, %d solved, %d pruned by reduced-cost fixing", f.seen, st.Nodes, st.Redcost.Pruned)
				}
				if st.Branchings > 0 && (st.OpenNodeBytes <= 0 || st.OpenNodesAtPeak <= 0) {
					t.Fatalf("no open-node bytes after %d branchings: %+v", st.Branchings, st)
				}
			})
		}
	}
}

// The byte account on a small tree built by hand: a root that branches
// (a delta of 3 changes), a leaf child, a child with two reduced-cost
// fixings that branches (1 change) into two leaves.
func TestTreeMemoryByHand(t *testing.T) {
	if unsafe.Sizeof(uintptr(0)) != 8 {
		t.Skip("sizes counted for 64-bit words")
	}
	// Node: 9 words (ID, ParentID, Depth, Bound, Estimate, parent, basis,
	// val, frac) and col, index, held (int32), dir, kids, done: 88 bytes.
	// A delta: a pointer and two slice headers (56), 4 bytes a change and
	// 16 a reduced-cost fixing.
	if nodeBytes != 88 || deltaBytes != 56 || slotBytes != 8 || fixChangeBytes != 16 {
		t.Fatalf("sizes %d %d %d %d, want 88 56 8 16", nodeBytes, deltaBytes, slotBytes, fixChangeBytes)
	}
	o := newOpenSet(BestFirst)
	step := func(what string, want int64) {
		t.Helper()
		if o.mem.bytes != want {
			t.Fatalf("%s: %d bytes, want %d", what, o.mem.bytes, want)
		}
	}
	root := &Node{ID: 0, col: -1}
	o.push(root)
	o.mem.note(o.len())
	step("root open", 88+8)
	if n := o.next(); n != root {
		t.Fatal("root not next")
	}
	step("root taken", 88)
	// branch gives p a delta of k changes with its fixings and two open
	// children.
	branch := func(p *Node, ref *basisDelta, k int, fix fixings) (*basisDelta, *Node, *Node) {
		d := &basisDelta{ref: ref, ch: make([]uint32, k), fix: fix}
		o.mem.branched(p, d)
		kids := [2]*Node{}
		for i := range kids {
			kids[i] = &Node{ID: 2*p.ID + int64(i) + 1, parent: p, basis: d, Bound: float64(2*p.ID + int64(i) + 1)}
			o.push(kids[i])
		}
		o.mem.note(o.len())
		return d, kids[0], kids[1]
	}
	d, a, b := branch(root, nil, 3, nil)
	step("root branched", 88+(56+12)+2*(88+8)) // 348
	o.next()
	o.mem.closed(a)
	step("a closed", 348-8-88) // 252
	o.next()
	_, c1, c2 := branch(b, d, 1, fixings{{val: 0, col: 1, up: true}, {val: 1, col: 2}})
	step("b branched", 252-8+(56+4+2*16)+2*(88+8)) // 528
	if o.mem.peak != 528 || o.mem.openAtPeak != 2 {
		t.Fatalf("peak %d bytes with %d open, want 528 with 2", o.mem.peak, o.mem.openAtPeak)
	}
	o.next()
	o.mem.closed(c1)
	step("c1 closed", 528-96) // 432
	o.next()
	o.mem.closed(c2) // releases b, then the root
	step("all closed", 0)
	st := Stats{OpenNodeBytes: o.mem.peak, OpenNodesAtPeak: o.mem.openAtPeak}
	if st.BytesPerOpenNode() != 264 {
		t.Fatalf("%v bytes per open node, want 264", st.BytesPerOpenNode())
	}
}

// A basis coded against another and expanded gives it back, rows added
// after it was taken are basic, and only the differences are stored.
func TestBasisDeltaRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 7
	cols, rows := make([]solver.BasisStatus, n), make([]solver.BasisStatus, 4)
	rc, rr := make([]solver.BasisStatus, n), make([]solver.BasisStatus, 4)
	var ref *basisDelta
	for step := range 20 {
		if step == 10 { // two cut rows appear
			rows = append(rows, solver.Basic, solver.Basic)
			rr = append(rr, 0, 0)
		}
		ref.expand(rc, rr)
		copy(cols, rc)
		copy(rows, rr)
		changes := 0
		for range 3 {
			p := rng.IntN(n + len(rows))
			st := solver.BasisStatus(rng.IntN(5))
			if p < n {
				cols[p] = st
			} else {
				rows[p-n] = st
			}
		}
		all, was := slices.Concat(cols, rows), slices.Concat(rc, rr)
		for k := range all {
			if all[k] != was[k] {
				changes++
			}
		}
		d := newBasisDelta(ref, rc, rr, cols, rows)
		if len(d.ch) != changes || d.bytes() != deltaBytes+4*int64(changes) {
			t.Fatalf("step %d: %d changes stored, %d differ", step, len(d.ch), changes)
		}
		gc, gr := make([]solver.BasisStatus, n), make([]solver.BasisStatus, len(rows)+1)
		d.expand(gc, gr)
		if !slices.Equal(gc, cols) || !slices.Equal(gr[:len(rows)], rows) || gr[len(rows)] != solver.Basic {
			t.Fatalf("step %d: expanded %v %v, want %v %v (+basic)", step, gc, gr, cols, rows)
		}
		ref = d
	}
}

// keepPlunging goes on into a child within PlungeQuot of the gap between
// the least open bound and the cutoff: with the default, into every child
// not cut off; always without a cutoff; never past MaxPlungeDepth.
func TestKeepPlunging(t *testing.T) {
	for _, c := range []struct {
		quot, bound float64
		depth       int
		cutoff      float64
		want        bool
	}{
		{0, 19.9, 0, 20, true}, // the default: 1
		{0, 20.1, 0, 20, false},
		{0.5, 14.9, 0, 20, true},
		{0.5, 15.1, 0, 20, false},
		{0.25, 12.4, 0, 20, true},
		{0.25, 12.6, 0, 20, false},
		{0.5, 1e9, 0, math.Inf(1), true}, // no cutoff yet
		{1, 10, 20, 20, false},           // MaxPlungeDepth
	} {
		s := &Search{cfg: Config{PlungeQuot: c.quot}.withDefaults(), open: newOpenSet(BestFirst), incObj: c.cutoff, plungeLen: c.depth}
		s.open.push(&Node{ID: 7, Bound: 10}) // the least open bound
		if got := s.keepPlunging(&Node{ID: 8, Bound: c.bound}); got != c.want {
			t.Errorf("quot %v, child bound %v, depth %d, cutoff %v: keep plunging %v, want %v", c.quot, c.bound, c.depth, c.cutoff, got, c.want)
		}
	}
	for _, q := range []float64{-0.1, 1.5, math.NaN()} {
		if err := (Config{PlungeQuot: q}).Validate(); err == nil || !strings.Contains(err.Error(), "PlungeQuot") {
			t.Errorf("PlungeQuot %v: %v", q, err)
		}
	}
}
