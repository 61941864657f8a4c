package bnb

import (
	"container/heap"

	"github.com/corl-go/corl/solver"
)

// Node is a subproblem of the search.
type Node struct {
	ID       int64
	ParentID int64 // -1 for the root
	Depth    int
	// Bound is a lower bound on the node's optimum (minimisation form): its
	// parent's LP value until its own LP is solved.
	Bound    float64
	Estimate float64

	parent *Node
	// The branching change that created this node.
	col    int // -1 at the root
	lo, up float64
	dir    int     // -1 down, +1 up
	frac   float64 // distance the branched value moved: v - floor(v) down, ceil(v) - v up
	// basis is the parent's final basis, for the warm start.
	basis *basis

	done  bool // processed (or pruned)
	index int  // in the heap
}

type basis struct {
	cols, rows []solver.BasisStatus
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
	h.nodes[i].index, h.nodes[j].index = i, j
}
func (h *nodeHeap) Push(x any) { n := x.(*Node); n.index = len(h.nodes); h.nodes = append(h.nodes, n) }
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
}

func newOpenSet(mode NodeSelection) *openSet {
	o := &openSet{mode: mode}
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
	heap.Remove(&o.bound, n.index)
	o.count--
}

func (o *openSet) len() int { return o.count }
