package bnb_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/corl-go/corl/solver/bnb"
)

// The search's tree names each decision's children, every child names its
// parent, and the nodes' own LP iterations add up to Stats.LPIterations,
// strong branching (fsb, relpscost), cuts and heuristics included (their
// own iterations are counted apart, in neither).
func TestTreeAccountsForLPIterations(t *testing.T) {
	ctx := context.Background()
	m := randomBinary(rand.New(rand.NewPCG(2, 9)), 60, 30)
	for _, rule := range []string{"pscost", "fsb", "relpscost"} {
		for _, cfg := range []bnb.Config{{NoHeuristics: true, NoCuts: true}, {}} {
			r, err := bnb.NewRule(rule, 1)
			if err != nil {
				t.Fatal(err)
			}
			s, err := bnb.NewSearch(ctx, newLP(t), m, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if root, ok := s.Node(0); !ok || root.ParentID != -1 || root.Children != [2]int64{-1, -1} {
				t.Fatalf("%s: root before the search %+v, %v", rule, root, ok)
			}
			var decided []int64
			d, err := s.Next(ctx)
			for ; d != nil && err == nil; d, err = s.Next(ctx) {
				col, err := r.Select(ctx, d)
				if err != nil {
					t.Fatal(err)
				}
				id := d.Node.ID
				want := int64(len(s.Tree())) // the children take the next two IDs
				if err := s.Branch(col); err != nil {
					t.Fatal(err)
				}
				if info, _ := s.Node(id); info.Children != [2]int64{want, want + 1} {
					t.Fatalf("%s: node %d's children %v, want %d and %d", rule, id, info.Children, want, want+1)
				}
				decided = append(decided, id)
			}
			if err != nil {
				t.Fatal(err)
			}
			st, tree := s.Stats(), s.Tree()
			if len(decided) < 3 {
				t.Fatalf("%s %+v: %d decisions, pick a model that branches more", rule, cfg, len(decided))
			}
			if int64(len(tree)) != 1+2*st.Branchings {
				t.Errorf("%s: %d nodes in the tree after %d branchings", rule, len(tree), st.Branchings)
			}
			sum, branched := int64(0), 0
			for id, n := range tree {
				sum += n.LPIterations
				if n.LPIterations < 0 {
					t.Errorf("%s: node %d has %d LP iterations", rule, id, n.LPIterations)
				}
				if n.Children == [2]int64{-1, -1} {
					continue
				}
				branched++
				for _, c := range n.Children {
					if tree[c].ParentID != int64(id) {
						t.Errorf("%s: node %d lists child %d, whose parent is %d", rule, id, c, tree[c].ParentID)
					}
				}
			}
			if branched != len(decided) {
				t.Errorf("%s: %d nodes have children, %d were decided", rule, branched, len(decided))
			}
			if sum != st.LPIterations {
				t.Errorf("%s %+v: the nodes' LP iterations sum to %d, Stats says %d (%d of strong branching)", rule, cfg, sum, st.LPIterations, st.SBIterations)
			}
			if _, ok := s.Node(int64(len(tree))); ok {
				t.Errorf("%s: Node past the last ID answers", rule)
			}
			s.Close()
		}
	}
}
