package bnb

import (
	"container/heap"
	"unsafe"

	"github.com/corl-go/corl/solver"
)

// Node is a subproblem of the search. Open nodes are stored compactly: a
// node holds its one branching change (the chain to the root gives its
// bounds) and a pointer to its parent's final basis, delta-coded and shared
// with its sibling; nothing in it grows with the model.
type Node struct {
	ID       int64
	ParentID int64 // -1 for the root
	Depth    int
	// Bound is a lower bound on the node's optimum (minimisation form): its
	// parent's LP value until its own LP is solved.
	Bound    float64
	Estimate float64

	parent *Node
	// basis is the parent's final basis, for the warm start, with the
	// parent's reduced-cost fixings (nil at the root).
	basis *basisDelta
	// The branching change that created this node: the new upper bound of
	// col when dir < 0, the new lower bound when dir > 0.
	val   float64
	frac  float64 // distance the branched value moved: v - floor(v) down, ceil(v) - v up
	col   int32   // -1 at the root
	index int32   // in the heap
	held  int32   // bytes of this node's own basis delta, once it branched
	dir   int8    // -1 down, +1 up
	kids  uint8   // children still held (open, or with open descendants)
	done  bool    // processed (or pruned)
}

// basisDelta is a basis as the changes from another (ref), the one the
// node was warm-started from; the root's is relative to the slack basis
// (columns at their lower bound, rows basic). Each change packs a
// position (column j, or row i as n+i) and a status as pos<<3 | status.
// Rows added after a basis was taken (cuts) are basic in it.
type basisDelta struct {
	ref *basisDelta
	ch  []uint32
	// fix are the reduced-cost fixings of the node whose final basis this
	// is: they hold in its subtree.
	fix fixings
}

const (
	nodeBytes  = int64(unsafe.Sizeof(Node{}))
	deltaBytes = int64(unsafe.Sizeof(basisDelta{}))
	slotBytes  = int64(unsafe.Sizeof((*Node)(nil))) // a node's place in a queue
)

// bytes is the delta's size: its header, its changes and its fixings.
func (b *basisDelta) bytes() int64 { return deltaBytes + 4*int64(len(b.ch)) + b.fix.bytes() }

// expand writes the basis b stands for into cols and rows (rows beyond
// those b knows are basic).
func (b *basisDelta) expand(cols, rows []solver.BasisStatus) {
	if b == nil {
		for j := range cols {
			cols[j] = solver.AtLower
		}
		for i := range rows {
			rows[i] = solver.Basic
		}
		return
	}
	b.ref.expand(cols, rows)
	n := uint32(len(cols))
	for _, c := range b.ch {
		pos, st := c>>3, solver.BasisStatus(c&7)
		if pos < n {
			cols[pos] = st
		} else {
			rows[pos-n] = st
		}
	}
}

// newBasisDelta codes the basis (cols, rows) relative to ref, whose
// expansion is refCols, refRows (the same lengths).
func newBasisDelta(ref *basisDelta, refCols, refRows, cols, rows []solver.BasisStatus) *basisDelta {
	k := 0
	for j := range cols {
		if cols[j] != refCols[j] {
			k++
		}
	}
	for i := range rows {
		if rows[i] != refRows[i] {
			k++
		}
	}
	b := &basisDelta{ref: ref, ch: make([]uint32, 0, k)}
	for j := range cols {
		if cols[j] != refCols[j] {
			b.ch = append(b.ch, uint32(j)<<3|uint32(cols[j]))
		}
	}
	n := len(cols)
	for i := range rows {
		if rows[i] != refRows[i] {
			b.ch = append(b.ch, uint32(n+i)<<3|uint32(rows[i]))
		}
	}
	return b
}

// treeMemory accounts for the bytes the open nodes hold: each open node,
// its place in the queues, and every node still held for an open
// descendant with its basis delta.
type treeMemory struct {
	slot        int64 // queue slots per open node
	bytes, peak int64
	openAtPeak  int
}

// add counts a new open node.
func (t *treeMemory) add(n *Node) {
	t.bytes += nodeBytes + t.slot
	if n.parent != nil {
		n.parent.kids++
	}
}

// branched counts a node's own basis delta, made when it branched.
func (t *treeMemory) branched(n *Node, b *basisDelta) {
	n.held = int32(b.bytes())
	t.bytes += int64(n.held)
}

// taken releases an open node's queue slots when it leaves the open set.
func (t *treeMemory) taken() { t.bytes -= t.slot }

// closed releases a node that was processed or pruned without branching,
// and each ancestor no longer holding an open descendant.
func (t *treeMemory) closed(n *Node) {
	for n != nil && n.kids == 0 {
		t.bytes -= nodeBytes + int64(n.held)
		n = n.parent
		if n != nil {
			n.kids--
		}
	}
}

// note records the peak after the open set grew to open nodes.
func (t *treeMemory) note(open int) {
	if t.bytes > t.peak {
		t.peak, t.openAtPeak = t.bytes, open
	}
}

// nodeHeap orders open nodes by key (bound or estimate), then by ID.
type nodeHeap struct {
	nodes []*Node
	key   func(*Node) float64
}

func (h *nodeHeap) Len() int { return len(h.nodes) }
func (h *nodeHeap) Less(i, j int) bool {
	a, b := h.nodes[i], h.nodes[j]
	if ka, kb := h.key(a), h.key(b); ka != kb {
		return ka < kb
	}
	return a.ID < b.ID
}
func (h *nodeHeap) Swap(i, j int) {
	h.nodes[i], h.nodes[j] = h.nodes[j], h.nodes[i]
	h.nodes[i].index, h.nodes[j].index = int32(i), int32(j)
}
func (h *nodeHeap) Push(x any) {
	n := x.(*Node)
	n.index = int32(len(h.nodes))
	h.nodes = append(h.nodes, n)
}
func (h *nodeHeap) Pop() any {
	n := h.nodes[len(h.nodes)-1]
	h.nodes = h.nodes[:len(h.nodes)-1]
	return n
}

// openSet holds the open nodes: a heap by bound (for the dual bound and
// best-first selection), and for the other rules the selection order (a
// heap by estimate, or a stack) from which processed nodes drop lazily.
type openSet struct {
	bound nodeHeap
	sel   nodeHeap // BestFirst shares bound; BestEstimate keys by estimate
	stack []*Node  // DepthFirst
	mode  NodeSelection
	count int
	mem   treeMemory
}

func newOpenSet(mode NodeSelection) *openSet {
	o := &openSet{mode: mode}
	o.mem.slot = slotBytes // the bound heap
	if mode != BestFirst {
		o.mem.slot += slotBytes // the estimate heap or the stack
	}
	o.bound.key = func(n *Node) float64 { return n.Bound }
	o.sel.key = func(n *Node) float64 { return n.Estimate }
	return o
}

func (o *openSet) push(n *Node) {
	heap.Push(&o.bound, n)
	switch o.mode {
	case BestEstimate:
		// The estimate heap holds its own copy of the pointer; index is
		// only used by the bound heap, so the estimate heap never fixes it.
		o.sel.nodes = append(o.sel.nodes, n)
		up(&o.sel, len(o.sel.nodes)-1)
	case DepthFirst:
		o.stack = append(o.stack, n)
	}
	o.count++
	o.mem.add(n)
}

// up restores heap order after an append without touching Node.index.
func up(h *nodeHeap, j int) {
	for j > 0 {
		i := (j - 1) / 2
		if !h.Less(j, i) {
			break
		}
		h.nodes[i], h.nodes[j] = h.nodes[j], h.nodes[i]
		j = i
	}
}

func down(h *nodeHeap, i int) {
	n := len(h.nodes)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		j := l
		if r := l + 1; r < n && h.Less(r, l) {
			j = r
		}
		if !h.Less(j, i) {
			return
		}
		h.nodes[i], h.nodes[j] = h.nodes[j], h.nodes[i]
		i = j
	}
}

func popPlain(h *nodeHeap) *Node {
	n := h.nodes[0]
	last := len(h.nodes) - 1
	h.nodes[0] = h.nodes[last]
	h.nodes = h.nodes[:last]
	down(h, 0)
	return n
}

// minBound returns the least bound of an open node, or ok false.
func (o *openSet) minBound() (float64, bool) {
	if o.bound.Len() == 0 {
		return 0, false
	}
	return o.bound.nodes[0].Bound, true
}

// next removes and returns the next node in selection order.
func (o *openSet) next() *Node {
	for {
		var n *Node
		switch o.mode {
		case DepthFirst:
			if len(o.stack) == 0 {
				return nil
			}
			n = o.stack[len(o.stack)-1]
			o.stack = o.stack[:len(o.stack)-1]
		case BestEstimate:
			if len(o.sel.nodes) == 0 {
				return nil
			}
			n = popPlain(&o.sel)
		default:
			if o.bound.Len() == 0 {
				return nil
			}
			n = o.bound.nodes[0]
		}
		if n.done {
			continue
		}
		o.take(n)
		return n
	}
}

// take marks n as no longer open and removes it from the bound heap, so
// that the search may update its Bound without breaking the heap's order.
// The selection stack and estimate heap drop taken nodes lazily.
func (o *openSet) take(n *Node) {
	n.done = true
	heap.Remove(&o.bound, int(n.index))
	o.count--
	o.mem.taken()
}

func (o *openSet) len() int { return o.count }
