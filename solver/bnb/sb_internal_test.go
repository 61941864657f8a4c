package bnb

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/corl-go/corl/internal/highstest"
)

// A child's LP has the value full strong branching found for it, whether
// its node LP starts from the strong-branching child's final basis or from
// its parent's: the children's bounds rest on these values. Each node LP
// warm-started from its strong-branching basis is counted, and a pscost
// search, which does no strong branching, has none.
func TestStrongBranchValuesAreChildLPs(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 23))
	lp := highstest.New(t)
	checked, warm := 0, int64(0)
	for k := range 6 {
		m := randomIntegerMIP(rng, 16, 10, 3*(k%2))
		t.Run(fmt.Sprint(k), func(t *testing.T) {
			ctx := context.Background()
			// Cuts at the root only: a node's own cuts raise its LP value
			// past its strong-branching value.
			s, err := NewSearch(ctx, lp, m, Config{NoHeuristics: true, NodeLimit: 300, Cuts: Cuts{RootOnly: true}})
			if err != nil {
				t.Fatal(err)
			}
			want := map[int64]float64{} // child ID -> its exact strong-branching value
			d, err := s.Next(ctx)
			for ; d != nil && err == nil; d, err = s.Next(ctx) {
				if v, ok := want[d.Node.ID]; ok {
					if got := d.LPValue(); math.Abs(got-v) > 1e-6*(1+math.Abs(v)) {
						t.Errorf("node %d: LP value %v, strong branching found %v", d.Node.ID, got, v)
					}
					checked++
				}
				col, serr := FullStrong{}.Select(ctx, d)
				if serr != nil {
					t.Fatal(serr)
				}
				sb, exact := s.sbBound[col]
				next := s.nextID
				if err := s.Branch(col); err != nil {
					t.Fatal(err)
				}
				for dir := range 2 {
					if exact && !math.IsInf(sb[dir], 0) {
						want[next+int64(dir)] = sb[dir]
					}
				}
			}
			if err != nil {
				t.Fatal(err)
			}
			warm += s.stats.SBWarmStarts
			if s.stats.SBWarmStarts > s.stats.Nodes {
				t.Errorf("%d warm starts from strong branching in %d nodes", s.stats.SBWarmStarts, s.stats.Nodes)
			}
		})
	}
	if checked < 20 || warm == 0 {
		t.Fatalf("%d children checked, %d warm-started from strong branching: pick models that branch more", checked, warm)
	}
	res, err := Solve(context.Background(), lp, randomIntegerMIP(rng, 16, 10, 0), PseudoCost{}, Config{NoHeuristics: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Stats.SBWarmStarts != 0 || res.Stats.SBLPs != 0 {
		t.Errorf("pscost: %d strong-branching LPs, %d warm starts from them", res.Stats.SBLPs, res.Stats.SBWarmStarts)
	}
}
