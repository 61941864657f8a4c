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
// of each decision. Each step records its children and random own LP
// iterations, its children's too, as PlayEpisode does.
func randomTree(rng *rand.Rand, n int) (*Episode, map[int64]int) {
	ep := &Episode{Index: 1}
	children := map[int64]int{}
	open := []int64{0} // nodes that exist and are not yet decided
	parentOf := map[int64]int64{0: -1}
	own := map[int64]int64{0: rng.Int64N(50)}
	next := int64(1)
	for len(ep.Steps) < n {
		i := rng.IntN(len(open))
		node := open[i]
		open = slices.Delete(open, i, i+1)
		s := step(node, parentOf[node])
		s.Children, s.LPIterations = [2]int64{next, next + 1}, own[node]
		ep.Steps = append(ep.Steps, s)
		if p := parentOf[node]; p >= 0 {
			children[p]++
		}
		for range 2 {
			parentOf[next], own[next] = node, rng.Int64N(50)
			open = append(open, next)
			next++
		}
	}
	for i := range ep.Steps {
		s := &ep.Steps[i]
		s.ChildLPIterations = [2]int64{own[s.Children[0]], own[s.Children[1]]}
	}
	return ep, children
}

// bruteLPIterations sums the own LP iterations of node's subtree.
func bruteLPIterations(ep *Episode, node int64) float64 {
	for _, s := range ep.Steps {
		if s.Node != node {
			continue
		}
		sum := float64(s.LPIterations)
		for slot, c := range s.Children {
			decided := false
			for _, t := range ep.Steps {
				decided = decided || t.Node == c
			}
			if decided {
				sum += bruteLPIterations(ep, c)
			} else {
				sum += float64(s.ChildLPIterations[slot])
			}
		}
		return sum
	}
	panic("not a decision")
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
				if got, want := p.LPIterations[k], bruteLPIterations(ep, p.Step(k).Node); got != want {
					t.Fatalf("trial %d: LP iterations of node %d's subtree %v, brute force %v", trial, p.Step(k).Node, got, want)
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
		// The parents alone give the same paths (the cross-check of the
		// children), the same sizes and iterations.
		bare := *ep
		bare.Steps = slices.Clone(ep.Steps)
		for i := range bare.Steps {
			bare.Steps[i].Children = [2]int64{}
		}
		fromParents, err := Paths(&bare)
		if err != nil {
			t.Fatal(err)
		}
		for i := range paths {
			a, b := paths[i], fromParents[i]
			if !slices.Equal(a.Steps, b.Steps) || !slices.Equal(a.Subtree, b.Subtree) || !slices.Equal(a.LPIterations, b.LPIterations) || a.Bytes() != b.Bytes() {
				t.Fatalf("trial %d: path %d from the children %+v, from the parents %+v", trial, i, a, b)
			}
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
		"second root":      {step(0, -1), step(1, -1)},
		"unknown parent":   {step(0, -1), step(3, 7)},
		"child first":      {step(1, 0), step(0, -1)},
		"repeated node":    {step(0, -1), step(1, 0), step(1, 0)},
		"third child":      {step(0, -1), step(1, 0), step(2, 0), step(3, 0)},
		"bad action":       {{Node: 0, Parent: -1, Candidates: []int32{4}, Action: 1}},
		"child of another": {withKids(step(0, -1), 1, 2), withKids(step(1, 0), 3, 4), withKids(step(3, 0), 5, 6)},
		"unlisted child":   {withKids(step(0, -1), 1, 2), withKids(step(7, 0), 3, 4)},
	} {
		_, err := Paths(&Episode{Index: 3, Steps: steps})
		var te *TreeError
		if !errors.As(err, &te) || te.Episode != 3 {
			t.Errorf("%s: %v, want a *TreeError of episode 3", name, err)
		}
	}
}

func withKids(s Step, down, up int64) Step {
	s.Children = [2]int64{down, up}
	return s
}

// Property: a path's redistributed rewards sum to its terminal reward,
// under every redistribution and reward, for random trees and for random
// weights.
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
			for _, k := range []Reward{RewardNodes, RewardLPIterations, RewardBoth} {
				R := TerminalReward(&p, k)
				for _, r := range []Redistribution{RedistributeSubtree, RedistributeUniform, RedistributeNone} {
					rw := PathRewards(&p, k, r, nil)
					sum := 0.0
					for _, x := range rw {
						sum += x
					}
					if !close(sum, R) {
						t.Fatalf("trial %d, %s, %s: rewards sum to %v, terminal reward %v", trial, k, r, sum, R)
					}
					if r == RedistributeSubtree {
						// Returns-to-go are each decision's own return:
						// its log subtree size, log iterations, or both.
						togo := 0.0
						for u := p.Len() - 1; u >= 0; u-- {
							togo += rw[u]
							want := map[Reward]float64{RewardNodes: math.Log1p(p.Subtree[u]), RewardLPIterations: math.Log1p(p.LPIterations[u])}
							want[RewardBoth] = want[RewardNodes] + want[RewardLPIterations]
							if !close(togo, want[k]) {
								t.Fatalf("trial %d, %s: return-to-go at step %d is %v, want %v", trial, k, u, togo, want[k])
							}
							if rw[u] < -1e-12 {
								t.Fatalf("trial %d: negative reward %v", trial, rw[u])
							}
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
