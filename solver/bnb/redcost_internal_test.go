package bnb

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/corl-go/corl/internal/highstest"
	"github.com/corl-go/corl/solver"
)

// Reduced-cost fixing never removes an optimal solution (HiGHS's, of small
// mixed-integer programs) from a node that holds it while the incumbent is
// worse: every node whose branching bounds contain the optimum gets bounds
// that contain it, after the global and its ancestors' fixings. Each
// search ends at HiGHS's optimum, with and without a cutoff above it, and
// fixing happens at all.
func TestRedcostKeepsOptimum(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 3))
	rules := []string{"pscost", "relpscost", "mostfrac"}
	lp := highstest.New(t)
	var fixed RedcostStats
	checked := 0
	for k := range 24 {
		m := randomIntegerMIP(rng, 10+rng.IntN(9), 4+rng.IntN(5), rng.IntN(3))
		st, opt, xs := highsOptimum(t, m)
		if st != solver.StatusOptimal {
			continue
		}
		sgn := 1.0
		if m.Sense == solver.Maximize {
			sgn = -1
		}
		for i, rule := range rules {
			// No heuristics, so that the optimum is found late.
			cfg := Config{Redcost: RedcostNodes, NodeLimit: 5000, NoHeuristics: true, Cuts: Cuts{RootOnly: k%3 != 2}}
			if i > 0 { // a cutoff a little worse than the optimum
				cfg.Cutoff, cfg.HasCutoff = opt+sgn*(0.5+0.01*math.Abs(opt)), true
			}
			t.Run(fmt.Sprintf("%d/%s", k, rule), func(t *testing.T) {
				r, err := NewRule(rule, 3)
				if err != nil {
					t.Fatal(err)
				}
				s, err := NewSearch(context.Background(), lp, m, cfg)
				if err != nil {
					t.Fatal(err)
				}
				best := sgn * opt // minimisation form
				tol := 1e-6 * math.Max(1, math.Abs(best))
				lo0, up0 := make([]float64, s.n), make([]float64, s.n)
				s.nodeHook = func(n *Node, lo, up []float64, _, _ []solver.BasisStatus) {
					if s.incObj <= best+tol {
						return // the optimum is found: fixing may drop its copies
					}
					// The node's bounds from branching alone.
					copy(lo0, s.rootLo)
					copy(up0, s.rootUp)
					for a := n; a != nil && a.col >= 0; a = a.parent {
						if a.dir < 0 {
							up0[a.col] = math.Min(up0[a.col], a.val)
						} else {
							lo0[a.col] = math.Max(lo0[a.col], a.val)
						}
					}
					for j, v := range xs {
						if v < lo0[j]-1e-6 || v > up0[j]+1e-6 {
							return // the optimum is not in this node
						}
					}
					checked++
					for j, v := range xs {
						if v < lo[j]-1e-6 || v > up[j]+1e-6 {
							t.Fatalf("node %d: fixing cut off the optimum's x[%d] = %v: bounds [%v, %v], branching's [%v, %v], incumbent %v, optimum %v",
								n.ID, j, v, lo[j], up[j], lo0[j], up0[j], s.incObj, best)
						}
					}
				}
				res, err := s.Run(context.Background(), r)
				if err != nil {
					t.Fatal(err)
				}
				if res.Status != solver.StatusOptimal || math.Abs(res.Objective-opt) > tol {
					t.Fatalf("%v %v, HiGHS's optimum %v", res.Status, res.Objective, opt)
				}
				rc := res.Stats.Redcost
				fixed.Root += rc.Root
				fixed.Nodes += rc.Nodes
				fixed.Pruned += rc.Pruned
			})
		}
	}
	if fixed.Root == 0 || fixed.Nodes == 0 || checked == 0 {
		t.Errorf("fixings %+v, %d nodes holding the optimum checked: the test tests nothing", fixed, checked)
	}
	t.Logf("fixings %+v, %d nodes holding the optimum checked", fixed, checked)
}

// The fixings of the root LP's reduced costs, global and for a node's
// subtree, keep every integer-feasible point better than the cutoff, for
// every cutoff between two feasible values of small pure integer programs
// (points enumerated), and they fix something.
func TestRedcostKeepsBetterPoints(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 21))
	lp := highstest.New(t)
	tightened, tried := 0, 0
	for k := range 40 {
		m := randomIntegerMIP(rng, 5+rng.IntN(4), 3+rng.IntN(3), 0)
		sgn := 1.0
		if m.Sense == solver.Maximize {
			sgn = -1
		}
		var pts [][]float64
		var objs []float64
		integerPoints(m, func(x []float64) {
			pts = append(pts, slicesClone(x))
			objs = append(objs, sgn*m.ObjectiveValue(x))
		})
		if len(pts) < 2 {
			continue
		}
		// The root LP without cuts, or after one round (more often solve
		// these small programs at the root).
		s, err := NewSearch(context.Background(), lp, m, Config{Redcost: RedcostNodes, NoHeuristics: true, NoCuts: k%2 == 0, Cuts: Cuts{MaxRounds: 1}})
		if err != nil {
			t.Fatal(err)
		}
		if d, err := s.Next(context.Background()); err != nil || d == nil {
			continue // solved at the root
		}
		for _, c := range objs {
			c += 1e-7 // a cutoff just above a feasible value
			tried++
			copy(s.globLo, s.rootLo)
			copy(s.globUp, s.rootUp)
			s.incObj = c
			s.rootRedcostFix()
			node := &Node{ID: 1, ParentID: 0}
			s.nodeRedcostFix(node)
			lo, up := slicesClone(s.rootLo), slicesClone(s.rootUp)
			s.curFix.apply(lo, up)
			if len(s.curFix) > 0 || !slices.Equal(s.globLo, s.rootLo) || !slices.Equal(s.globUp, s.rootUp) {
				tightened++
			}
			for p, x := range pts {
				if objs[p] >= c-1e-9 {
					continue
				}
				for j, v := range x {
					if v < s.globLo[j] || v > s.globUp[j] || v < lo[j] || v > up[j] {
						t.Fatalf("instance %d, cutoff %v: point %v (objective %v) has x[%d] = %v outside the global [%v, %v] or the node's [%v, %v]",
							k, c, x, objs[p], j, v, s.globLo[j], s.globUp[j], lo[j], up[j])
					}
				}
			}
		}
	}
	if tried == 0 || tightened < tried/4 {
		t.Errorf("bounds tightened for %d of %d cutoffs", tightened, tried)
	}
	t.Logf("bounds tightened for %d of %d cutoffs", tightened, tried)
}
