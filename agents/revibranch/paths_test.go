package revibranch

import (
	"errors"
	"math"
	mathrand "math/rand"
	"math/rand/v2"
	"slices"
	"testing"
	"testing/quick"
)

// step is a hand-built decision of node on parent with three candidates.
func step(node, parent int64) Step {
	return Step{Node: node, Parent: parent, ColFeat: make([]float32, 6), RowFeat: make([]float32, 2), Candidates: []int32{0, 1, 2}, Action: 1}
}

func TestPathsHandBuiltTree(t *testing.T) {
	// Root 0 branches into 1 and 2; 1's children are leaves; 2 branches
	// into 5 (branched, two leaf children) and a leaf.
	ep := &Episode{Steps: []Step{step(0, -1), step(1, 0), step(2, 0), step(5, 2)}}
	paths, err := Paths(ep)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]int64{{0, 1}, {0, 1}, {0, 2}, {0, 2, 5}, {0, 2, 5}}
	wantSize := map[int64]float64{0: 9, 1: 3, 2: 5, 5: 3}
	if len(paths) != len(want) {
		t.Fatalf("%d paths, want %d (one per leaf)", len(paths), len(want))
	}
	for i, p := range paths {
		var nodes []int64
		for k := range p.Len() {
			nodes = append(nodes, p.Step(k).Node)
			if p.Subtree[k] != wantSize[p.Step(k).Node] {
				t.Errorf("path %d: subtree of node %d is %v, want %v", i, p.Step(k).Node, p.Subtree[k], wantSize[p.Step(k).Node])
			}
		}
		if !slices.Equal(nodes, want[i]) {
			t.Errorf("path %d visits %v, want %v", i, nodes, want[i])
		}
	}
}

// randomTree returns the decisions of a random binary tree with n
// decisions, listed in a random order in which parents precede children
// (any node-selection rule gives such an order), and the children count
// of each decision.
func randomTree(rng *rand.Rand, n int) (*Episode, map[int64]int) {
	ep := &Episode{Index: 1}
	children := map[int64]int{}
	open := []int64{0} // nodes that exist and are not yet decided
	parentOf := map[int64]int64{0: -1}
	next := int64(1)
	for len(ep.Steps) < n {
		i := rng.IntN(len(open))
		node := open[i]
		open = slices.Delete(open, i, i+1)
		ep.Steps = append(ep.Steps, step(node, parentOf[node]))
		if p := parentOf[node]; p >= 0 {
			children[p]++
		}
		for range 2 {
			parentOf[next] = node
			open = append(open, next)
			next++
		}
	}
	return ep, children
}

func TestPathsRandomTrees(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 300 {
		n := 1 + rng.IntN(40)
		ep, children := randomTree(rng, n)
		paths, err := Paths(ep)
		if err != nil {
			t.Fatal(err)
		}
		if len(paths) != n+1 {
			t.Fatalf("trial %d: %d decisions gave %d paths, want %d", trial, n, len(paths), n+1)
		}
		at := map[int64]int{}
		for i, s := range ep.Steps {
			at[s.Node] = i
		}
		ends := map[int64]int{}
		var bytes int64
		for _, p := range paths {
			if p.Step(0).Parent != -1 {
				t.Fatalf("trial %d: a path starts at node %d, not the root", trial, p.Step(0).Node)
			}
			for k := 1; k < p.Len(); k++ {
				if p.Step(k).Parent != p.Step(k-1).Node || p.Steps[k] <= p.Steps[k-1] {
					t.Fatalf("trial %d: step %d (node %d) does not follow its parent", trial, k, p.Step(k).Node)
				}
			}
			// Subtree sizes by brute force: count the decisions below and
			// their leaves.
			for k := range p.Len() {
				if got, want := p.Subtree[k], bruteSubtree(ep, p.Step(k).Node); got != want {
					t.Fatalf("trial %d: subtree of node %d is %v, brute force %v", trial, p.Step(k).Node, got, want)
				}
			}
			ends[p.Step(p.Len()-1).Node]++
			bytes += p.Bytes()
		}
		// Every leaf gives one path: a decision with c decided children
		// ends 2-c paths.
		for _, s := range ep.Steps {
			if ends[s.Node] != 2-children[s.Node] {
				t.Fatalf("trial %d: %d paths end at node %d with %d decided children", trial, ends[s.Node], s.Node, children[s.Node])
			}
		}
		var whole int64
		for i := range ep.Steps {
			whole += ep.Steps[i].bytes()
		}
		if bytes != whole {
			t.Fatalf("trial %d: paths count %d bytes, the steps hold %d", trial, bytes, whole)
		}
		if paths[0].Subtree[0] != float64(2*n+1) {
			t.Fatalf("trial %d: root subtree %v, want %d", trial, paths[0].Subtree[0], 2*n+1)
		}
	}
}

func bruteSubtree(ep *Episode, node int64) float64 {
	decided := false
	for _, s := range ep.Steps {
		if s.Node == node {
			decided = true
		}
	}
	if !decided {
		return 1
	}
	size := 1.0
	kids := 0
	for _, s := range ep.Steps {
		if s.Parent == node {
			size += bruteSubtree(ep, s.Node)
			kids++
		}
	}
	return size + float64(2-kids)
}

func TestPathsRefuseNonTrees(t *testing.T) {
	for name, steps := range map[string][]Step{
		"second root":    {step(0, -1), step(1, -1)},
		"unknown parent": {step(0, -1), step(3, 7)},
		"child first":    {step(1, 0), step(0, -1)},
		"repeated node":  {step(0, -1), step(1, 0), step(1, 0)},
		"third child":    {step(0, -1), step(1, 0), step(2, 0), step(3, 0)},
		"bad action":     {{Node: 0, Parent: -1, Candidates: []int32{4}, Action: 1}},
	} {
		_, err := Paths(&Episode{Index: 3, Steps: steps})
		var te *TreeError
		if !errors.As(err, &te) || te.Episode != 3 {
			t.Errorf("%s: %v, want a *TreeError of episode 3", name, err)
		}
	}
}

// Property: a path's redistributed rewards sum to its terminal reward,
// under every redistribution, for random trees and for random weights.
func TestRedistributedRewardsSumToTerminal(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	close := func(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }
	for trial := range 200 {
		ep, _ := randomTree(rng, 1+rng.IntN(60))
		paths, err := Paths(ep)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range paths {
			R := TerminalReward(&p)
			for _, r := range []Redistribution{RedistributeSubtree, RedistributeUniform, RedistributeNone} {
				rw := PathRewards(&p, r, nil)
				sum := 0.0
				for _, x := range rw {
					sum += x
				}
				if !close(sum, R) {
					t.Fatalf("trial %d, %s: rewards sum to %v, terminal reward %v", trial, r, sum, R)
				}
				if r == RedistributeSubtree {
					// Returns-to-go are each decision's log subtree size.
					togo := 0.0
					for k := p.Len() - 1; k >= 0; k-- {
						togo += rw[k]
						if !close(togo, math.Log1p(p.Subtree[k])) {
							t.Fatalf("trial %d: return-to-go at step %d is %v, want log(1+%v)", trial, k, togo, p.Subtree[k])
						}
						if rw[k] < -1e-12 {
							t.Fatalf("trial %d: negative reward %v", trial, rw[k])
						}
					}
				}
			}
		}
	}
	// Any nonnegative weights and terminal reward.
	prop := func(terminal float64, raw []uint16) bool {
		if math.IsNaN(terminal) || math.IsInf(terminal, 0) || len(raw) == 0 {
			return true
		}
		w := make([]float64, len(raw))
		for i, x := range raw {
			w[i] = float64(x) / 7
		}
		sum := 0.0
		for _, x := range Redistribute(terminal, w, nil) {
			sum += x
		}
		return math.Abs(sum-terminal) <= 1e-9*math.Max(1, math.Abs(terminal))
	}
	if err := quick.Check(prop, &quick.Config{MaxCount: 2000, Rand: mathrand.New(mathrand.NewSource(5))}); err != nil {
		t.Fatal(err)
	}
}
