package bnb

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/corl-go/corl/internal/highstest"
	"github.com/corl-go/corl/solver"
)

// onlyAggCover is the cut settings with aggregated covers alone.
var onlyAggCover = Cuts{NoGomory: true, NoMIR: true, NoCover: true, NoClique: true}

// mkp is a small multiple knapsack: items[i][k] is the column of item i
// in knapsack k, and extra the columns outside the items (an integer
// column in [1, 2] on a knapsack row, a binary of one knapsack only).
type mkp struct {
	m     *solver.Model
	items [][]int
	w     [][]float64 // w[i][k]: item i's weight in knapsack k
	extra []int
}

// randomMKP draws a multiple knapsack of n items and K knapsacks: profit
// near the weight, each knapsack's capacity a share of half the total
// weight; with unequal set, an item's weight differs between knapsacks
// (so that the pooled row's least coefficient matters), and with extras,
// one knapsack row holds an integer column in [1, 2] (moved to the
// capacity at its lower bound) and another a binary of its own.
func randomMKP(rng *rand.Rand, n, K int, unequal, extras bool) mkp {
	var b solver.Builder
	b.SetSense(solver.Maximize)
	w := make([][]float64, n)
	total := 0.0
	p := mkp{items: make([][]int, n)}
	for i := range n {
		wi := 5 + rng.IntN(26)
		total += float64(wi)
		profit := float64(max(1, wi-5+rng.IntN(11)))
		w[i] = make([]float64, K)
		p.items[i] = make([]int, K)
		for k := range K {
			w[i][k] = float64(wi)
			if unequal {
				w[i][k] = float64(max(1, wi-6+rng.IntN(13)))
			}
			p.items[i][k] = b.AddCol("", profit, 0, 1, solver.Integer)
		}
	}
	var z, s int
	if extras {
		z = b.AddCol("", float64(rng.IntN(3)), 1, 2, solver.Integer)
		s = b.AddCol("", float64(3+rng.IntN(10)), 0, 1, solver.Integer)
		p.extra = []int{z, s}
	}
	for i := range n {
		b.AddRow("", math.Inf(-1), 1, p.items[i], slices.Repeat([]float64{1}, K))
	}
	for k := range K {
		idx, val := make([]int, n), make([]float64, n)
		for i := range n {
			idx[i], val[i] = p.items[i][k], w[i][k]
		}
		capacity := math.Floor(total / 2 / float64(K) * (0.6 + 0.8*rng.Float64()))
		if extras && k == 0 {
			a := float64(1 + rng.IntN(4))
			idx, val = append(idx, z), append(val, a)
			capacity += a // z ≥ 1 takes a of it
		}
		if extras && k == K-1 {
			idx, val = append(idx, s), append(val, float64(2+rng.IntN(8)))
		}
		b.AddRow("", math.Inf(-1), capacity, idx, val)
	}
	m, err := b.Build()
	if err != nil {
		panic(err)
	}
	p.m, p.w = m, w
	return p
}

// points calls f with every integer-feasible point of p: each item in
// one knapsack or none, the extras at every value.
func (p mkp) points(f func(x []float64)) {
	m := p.m
	x := slices.Clone(m.ColLower)
	act := make([]float64, m.NumRows())
	var extras func(e int)
	extras = func(e int) {
		if e == len(p.extra) {
			if satisfies(m, act, x) {
				f(x)
			}
			return
		}
		j := p.extra[e]
		for v := m.ColLower[j]; v <= m.ColUpper[j]; v++ {
			x[j] = v
			extras(e + 1)
		}
		x[j] = m.ColLower[j]
	}
	// Rows n, n+1, ... are the knapsacks: load prunes the items.
	n, K := len(p.items), len(p.items[0])
	load := make([]float64, K)
	var items func(i int)
	items = func(i int) {
		if i == n {
			extras(0)
			return
		}
		items(i + 1)
		for k, j := range p.items[i] {
			w := p.w[i][k]
			if load[k]+w > m.RowUpper[n+k]+1e-9 {
				continue
			}
			load[k] += w
			x[j] = 1
			items(i + 1)
			x[j] = 0
			load[k] -= w
		}
	}
	items(0)
}

// violated returns the first cut of cuts that x violates, or nil.
func violated(cuts []*cut, x []float64) *cut {
	for _, c := range cuts {
		lhs := 0.0
		for q, j := range c.idx {
			lhs += c.val[q] * x[j]
		}
		if lhs > c.rhs+1e-9*math.Max(1, math.Abs(c.rhs)) {
			return c
		}
	}
	return nil
}

// No aggregated cover removes an integer-feasible point of a multiple
// knapsack, found by enumeration: neither the cuts a search with them
// alone adds at every node (whose optimum is the enumeration's) nor those
// separated at random fractional points, where far more covers are
// violated.
func TestAggCoverKeepsIntegerPoints(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 2))
	searched, random, bounded, tight := 0, 0, 0, 0
	for k := range 120 {
		n, K := 8+rng.IntN(3), 2
		if rng.IntN(3) == 0 {
			n, K = 8, 3
		}
		p := randomMKP(rng, n, K, k%2 == 1, k%3 == 2)
		cuts, res := searchCuts(t, p.m, onlyAggCover, 300)
		searched += len(cuts)
		s, err := NewSearch(context.Background(), highstest.New(t), p.m, Config{NoHeuristics: true, Cuts: onlyAggCover})
		if err != nil {
			t.Fatal(err)
		}
		for range 20 {
			for _, js := range p.items {
				share := rng.Float64() * 1.2
				for _, j := range js {
					s.x[j] = math.Min(1, share*rng.Float64())
				}
			}
			for _, c := range s.aggCoverCuts() {
				cuts = append(cuts, c)
				random++
			}
		}
		s.Close()
		best, found := math.Inf(-1), false
		p.points(func(x []float64) {
			found = true
			best = math.Max(best, p.m.ObjectiveValue(x))
			if c := violated(cuts, x); c != nil {
				t.Fatalf("instance %d: cut %v·x ≤ %v over %v removes the feasible point %v", k, c.val, c.rhs, c.idx, x)
			}
		})
		if !found {
			t.Fatalf("instance %d: no feasible point", k)
		}
		// The pooled knapsack's optimum bounds the model's (maximised), and
		// is the optimum of the knapsack found, by enumeration.
		if !math.IsInf(s.agg.bound, -1) {
			bounded++
			if want := s.sgn*s.model.Offset - pooledOptimum(s); math.Abs(s.agg.bound-want) > 1e-9 {
				t.Fatalf("instance %d: pooled bound %v, enumeration of the pooled knapsack %v", k, s.agg.bound, want)
			}
			switch ub := -s.agg.bound; {
			case ub < best-1e-6:
				t.Fatalf("instance %d: pooled bound %v below the optimum %v", k, ub, best)
			case ub < best+1e-6:
				tight++
			}
		}
		if res.Status == solver.StatusOptimal && math.Abs(res.Objective-best) > 1e-6 {
			t.Fatalf("instance %d: search optimum %v, enumeration %v", k, res.Objective, best)
		}
	}
	t.Logf("%d cuts of the searches, %d at random points; %d pooled bounds, %d of them the optimum", searched, random, bounded, tight)
	if bounded < 30 {
		t.Errorf("%d pooled bounds checked, want 30 at least", bounded)
	}
	if searched < 100 || random < 1000 {
		t.Errorf("too few cuts checked: %d of the searches, %d at random points", searched, random)
	}
}

// threeItemsTwoKnapsacks adds to b (maximising) three items in two
// knapsacks: x[i][k], of profit 1, and a set-packing row per item.
func threeItemsTwoKnapsacks(b *solver.Builder) [][2]int {
	b.SetSense(solver.Maximize)
	x := make([][2]int, 3)
	for i := range x {
		for k := range 2 {
			x[i][k] = b.AddCol("", 1, 0, 1, solver.Integer)
		}
		b.AddRow("", math.Inf(-1), 1, x[i][:], []float64{1, 1})
	}
	return x
}

// The pooled knapsack found in a hand-built model: two knapsack rows
// linked by the items' set-packing rows, summed with each item's least
// weight and the integer column moved to the capacity; a row with a
// negative coefficient, a set-packing row and a knapsack row linked to no
// group are left out.
func TestAggKnapsackStructure(t *testing.T) {
	var b solver.Builder
	x := threeItemsTwoKnapsacks(&b)
	u := b.AddCol("", 1, 0, 1, solver.Integer)    // knapsack 0 only
	z := b.AddCol("", 0, 1, 5, solver.Continuous) // knapsack 1, at 1 at least
	other := []int{b.AddCol("", 1, 0, 1, solver.Integer), b.AddCol("", 1, 0, 1, solver.Integer), b.AddCol("", 1, 0, 1, solver.Integer)}
	b.AddRow("", math.Inf(-1), 7, []int{x[0][0], x[1][0], x[2][0], u}, []float64{3, 4, 5, 1})
	b.AddRow("", math.Inf(-1), 9, []int{x[0][1], x[1][1], x[2][1], z}, []float64{2, 4, 6, 2})
	b.AddRow("", math.Inf(-1), 0, []int{x[0][0], x[2][1]}, []float64{1, -1})
	b.AddRow("", math.Inf(-1), 5, other, []float64{2, 3, 4})
	knaps := pooledKnapsacks(t, &b)
	if len(knaps) != 1 {
		t.Fatalf("%d pooled knapsacks, want 1: %+v", len(knaps), knaps)
	}
	ak := knaps[0]
	wantGroups := [][]int{x[0][:], x[1][:], x[2][:], {u}}
	wantW := []float64{2, 4, 5, 1}
	if ak.b != 14 || !slices.EqualFunc(ak.groups, wantGroups, slices.Equal) || !slices.Equal(ak.w, wantW) {
		t.Errorf("pooled knapsack %v, weights %v, capacity %v; want %v, %v, 14", ak.groups, ak.w, ak.b, wantGroups, wantW)
	}
}

// On a multiple knapsack whose LP is the pooled knapsack's (each item of
// one weight in every knapsack) and whose pooled knapsack has a lower
// integer optimum, aggregated covers alone close the root bound to it:
// three items of weights 4, 4 and 5 and profit 1, two knapsacks of
// capacity 6, LP 2.8, optimum 2.
func TestAggCoverClosesPooledBound(t *testing.T) {
	var b solver.Builder
	x := threeItemsTwoKnapsacks(&b)
	for k := range 2 {
		b.AddRow("", math.Inf(-1), 6, []int{x[0][k], x[1][k], x[2][k]}, []float64{4, 4, 5})
	}
	m, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	cuts, st := rootCuts(t, m, Config{Cuts: onlyAggCover})
	if math.Abs(st.RootLPValue+2.8) > 1e-9 || math.Abs(st.RootBound+2) > 1e-6 || st.Cuts.Added[AggCover] == 0 {
		t.Errorf("root LP %v, bound with %d aggregated covers %v; want -2.8, -2 (minimisation form)", st.RootLPValue, len(cuts), st.RootBound)
	}
	_, off := rootCuts(t, m, Config{NoCuts: true})
	if math.Abs(off.RootBound+2.8) > 1e-9 {
		t.Errorf("root bound without cuts %v, want -2.8", off.RootBound)
	}
}

// Two multiple knapsacks in one model pool apart: each its own groups,
// weights and capacity, nothing carried from the first sum to the second,
// and a binary in a knapsack row of each, linked by no group, an item of
// both at its own weight there.
func TestAggKnapsackTwoPools(t *testing.T) {
	var b solver.Builder
	x, y := threeItemsTwoKnapsacks(&b), threeItemsTwoKnapsacks(&b)
	v := b.AddCol("", 1, 0, 1, solver.Integer)
	b.AddRow("", math.Inf(-1), 7, []int{x[0][0], x[1][0], x[2][0], v}, []float64{3, 4, 5, 2})
	b.AddRow("", math.Inf(-1), 9, []int{x[0][1], x[1][1], x[2][1]}, []float64{2, 4, 6})
	b.AddRow("", math.Inf(-1), 8, []int{y[0][0], y[1][0], y[2][0], v}, []float64{6, 1, 3, 7})
	b.AddRow("", math.Inf(-1), 4, []int{y[0][1], y[1][1], y[2][1]}, []float64{5, 2, 2})
	knaps := pooledKnapsacks(t, &b)
	want := []aggKnapsack{
		{groups: [][]int{x[0][:], x[1][:], x[2][:], {v}}, w: []float64{2, 4, 5, 2}, b: 16},
		{groups: [][]int{y[0][:], y[1][:], y[2][:], {v}}, w: []float64{5, 1, 2, 7}, b: 12},
	}
	if len(knaps) != len(want) {
		t.Fatalf("%d pooled knapsacks, want %d: %+v", len(knaps), len(want), knaps)
	}
	for k, ak := range knaps {
		w := want[k]
		if ak.b != w.b || !slices.EqualFunc(ak.groups, w.groups, slices.Equal) || !slices.Equal(ak.w, w.w) {
			t.Errorf("pooled knapsack %d: groups %v, weights %v, capacity %v; want %v, %v, %v", k, ak.groups, ak.w, ak.b, w.groups, w.w, w.b)
		}
	}
}

// pooledKnapsacks builds the model of b and returns the pooled knapsacks
// a search of it finds.
func pooledKnapsacks(t *testing.T, b *solver.Builder) []aggKnapsack {
	t.Helper()
	s := searchOf(t, b)
	s.buildAggKnapsacks()
	return s.agg.knaps
}

// searchOf builds the model of b and returns a search of it under the
// default configuration, closed when the test ends.
func searchOf(t *testing.T, b *solver.Builder) *Search {
	t.Helper()
	m, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSearch(context.Background(), highstest.New(t), m, Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// pooledOptimum enumerates the subsets of the one pooled knapsack's
// groups: the most a feasible subset gains, each group its cheapest
// column's cost negated.
func pooledOptimum(s *Search) float64 {
	ak := s.agg.knaps[0]
	best := 0.0
	for set := range 1 << len(ak.groups) {
		w, gain := 0.0, 0.0
		for g, cols := range ak.groups {
			if set&(1<<g) == 0 {
				continue
			}
			w += ak.w[g]
			most := 0.0
			for _, j := range cols {
				most = math.Max(most, -s.cost[j])
			}
			gain += most
		}
		if w <= ak.b+1e-9 {
			best = math.Max(best, gain)
		}
	}
	return best
}
