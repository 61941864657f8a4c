package revibranch

import (
	"fmt"
	"unsafe"
)

// Step is one branching decision of a reinforcement-learning episode as
// the replay keeps it: what changes from node to node (the column and row
// features of the NodeBipartite observation, the candidates), the action,
// and the decision's place in the tree. What does not change within an
// instance, the edges, is the episode's Graph, shared by every step.
type Step struct {
	Node, Parent int64 // the node branched on; Parent -1 at the root
	Depth        int32
	ColFeat      []float32 // NumCols x milp.NumColFeatures, row-major
	RowFeat      []float32 // NumRows x milp.NumRowFeatures
	Candidates   []int32   // columns
	Action       int32     // index into Candidates of the column branched on
	// Children are the down and up child the decision made (the env's
	// StepInfo); 0, 0 where not recorded, and the tree then comes from
	// the parents alone.
	Children [2]int64
	// LPIterations are the node's own simplex iterations (its LP and
	// strong branching at it), ChildLPIterations its children's own, from
	// the search's tree once the episode is over: a child that is a leaf
	// is known only from there.
	LPIterations      int64
	ChildLPIterations [2]int64
}

// bytes is the memory a step holds, for the replay's budget.
func (s *Step) bytes() int64 {
	return int64(unsafe.Sizeof(*s)) + 4*int64(len(s.ColFeat)+len(s.RowFeat)+len(s.Candidates))
}

// Episode is the record of one branch-and-bound episode: its decisions in
// the order they were taken. Every decision's parent is decided before it
// (a node exists only once its parent is branched on).
type Episode struct {
	Index    int    // the episode's number in its run
	Instance string // the instance's name
	Graph    *Graph // the instance's static structure, shared
	Steps    []Step
	// Nodes is the tree's node count from the search's statistics; the
	// tree the steps describe has 2·len(Steps)+1 nodes (every decision
	// makes two children), which is what paths count.
	Nodes int64
}

// Path is a revived trajectory: the decisions on the way from the root to
// one leaf of the episode's tree, root first, with each decision's
// tree-MDP return, the size of its own subtree.
type Path struct {
	Episode *Episode
	// Steps index Episode.Steps, root first; the leaf is a child of the
	// last step that was never branched on (pruned, infeasible, integral,
	// or open when a limit ended the search).
	Steps []int
	// Subtree holds the number of nodes in each step's subtree, the node
	// itself included: Subtree[0] is the whole tree for a root path.
	Subtree []float64
	// LPIterations holds each step's subtree's simplex iterations (every
	// node's own, summed over the subtree; 0 in episodes that did not
	// record them).
	LPIterations []float64
	// bytes is the path's share of its episode's memory (see Paths).
	bytes int64
}

// Len is the number of decisions on the path.
func (p *Path) Len() int { return len(p.Steps) }

// Step returns the path's t-th decision.
func (p *Path) Step(t int) *Step { return &p.Episode.Steps[p.Steps[t]] }

// Bytes is the path's share of the memory of its episode's steps: each
// step's size divided among the paths through it, so that the paths of an
// episode add up to the episode's steps exactly and evicting all of them
// frees it. The instance's Graph is held once per run and not counted.
func (p *Path) Bytes() int64 { return p.bytes }

// TreeError says why an episode's steps do not form a tree.
type TreeError struct {
	Episode int
	Step    int // index into Steps
	Reason  string
}

func (e *TreeError) Error() string {
	return fmt.Sprintf("revibranch: episode %d, step %d: %s", e.Episode, e.Step, e.Reason)
}

// Paths revives an episode's trajectories: one path per leaf of its tree,
// in the order of the leaves' parents' decisions (the down slot before the
// up one when both children are leaves), each listing its decisions root
// first. A binary tree with d decisions has d+1 leaves, so d+1 paths come
// back. The tree comes from the steps' Children where every step records
// them, checked against the parents, else from the parents alone. Steps
// whose parents are not earlier decisions, repeated nodes, a second root,
// or children that do not name their decision as parent are a *TreeError.
func Paths(ep *Episode) ([]Path, error) {
	n := len(ep.Steps)
	if n == 0 {
		return nil, nil
	}
	at := make(map[int64]int, n)
	parent := make([]int, n) // index of the parent step, -1 at the root
	children := make([]int, n)
	withKids := true
	for i := range ep.Steps {
		s := &ep.Steps[i]
		if _, dup := at[s.Node]; dup {
			return nil, &TreeError{ep.Index, i, fmt.Sprintf("node %d is decided twice", s.Node)}
		}
		if s.Action < 0 || int(s.Action) >= len(s.Candidates) {
			return nil, &TreeError{ep.Index, i, fmt.Sprintf("action %d outside its %d candidates", s.Action, len(s.Candidates))}
		}
		switch p, ok := at[s.Parent]; {
		case s.Parent < 0 && i == 0:
			parent[i] = -1
		case s.Parent < 0:
			return nil, &TreeError{ep.Index, i, "a second root"}
		case !ok:
			return nil, &TreeError{ep.Index, i, fmt.Sprintf("parent node %d is not an earlier decision", s.Parent)}
		case children[p] == 2:
			return nil, &TreeError{ep.Index, i, fmt.Sprintf("node %d would be a third child of node %d", s.Node, s.Parent)}
		default:
			parent[i] = p
			children[p]++
		}
		at[s.Node] = i
		withKids = withKids && s.Children[0] > 0 && s.Children[1] > 0 && s.Children[0] != s.Children[1]
	}
	// kids[i] holds the step of each child slot of step i, -1 for a leaf.
	kids := make([][2]int, n)
	for i := range kids {
		kids[i] = [2]int{-1, -1}
	}
	if withKids {
		listed := 0
		for i := range ep.Steps {
			for slot, c := range ep.Steps[i].Children {
				j, ok := at[c]
				if !ok {
					continue
				}
				if parent[j] != i {
					return nil, &TreeError{ep.Index, i, fmt.Sprintf("node %d lists child %d, whose parent is node %d", ep.Steps[i].Node, c, ep.Steps[j].Parent)}
				}
				kids[i][slot] = j
				listed++
			}
		}
		if listed != n-1 {
			return nil, &TreeError{ep.Index, 0, fmt.Sprintf("the children list %d decided nodes, the parents %d", listed, n-1)}
		}
	} else {
		for i := 1; i < n; i++ {
			if p := parent[i]; kids[p][0] < 0 {
				kids[p][0] = i
			} else {
				kids[p][1] = i
			}
		}
	}
	// Subtree sizes and LP iterations, children before parents (they come
	// later in the list). A leaf child's own iterations are its parent's
	// ChildLPIterations less those of the decided children.
	size, iters := make([]float64, n), make([]float64, n)
	for i := n - 1; i >= 0; i-- {
		s := &ep.Steps[i]
		size[i] = 1
		iters[i] = float64(s.LPIterations + s.ChildLPIterations[0] + s.ChildLPIterations[1])
		for _, j := range kids[i] {
			if j < 0 {
				size[i]++ // a leaf
				continue
			}
			size[i] += size[j]
			iters[i] += iters[j] - float64(ep.Steps[j].LPIterations)
		}
	}
	// Paths through each step, for the memory shares.
	through := make([]int, n)
	leaves := make([]int, n)
	for i := range n {
		leaves[i] = boolInt(kids[i][0] < 0) + boolInt(kids[i][1] < 0)
		for j := i; j >= 0; j = parent[j] {
			through[j] += leaves[i]
		}
	}
	var paths []Path
	taken := make([]int, n) // paths through each step so far
	for i := range n {
		for range leaves[i] {
			depth := 0
			for j := i; j >= 0; j = parent[j] {
				depth++
			}
			p := Path{Episode: ep, Steps: make([]int, depth), Subtree: make([]float64, depth), LPIterations: make([]float64, depth)}
			for j, t := i, depth-1; j >= 0; j, t = parent[j], t-1 {
				p.Steps[t], p.Subtree[t], p.LPIterations[t] = j, size[j], iters[j]
				// An equal share, the remainder's bytes to the first paths.
				b, k := ep.Steps[j].bytes(), int64(through[j])
				p.bytes += b / k
				if int64(taken[j]) < b%k {
					p.bytes++
				}
				taken[j]++
			}
			paths = append(paths, p)
		}
	}
	return paths, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
