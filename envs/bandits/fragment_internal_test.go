package bandits

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/corl-go/corl/internal/highstest"
	"github.com/corl-go/corl/solver"
)

// TestCapacityFallback: with capacities too large to list their loads,
// the capacity fragment assigns arms to workers one by one (with the
// workers of equal capacity ordered by load), and that formulation too
// accepts exactly the packable actions.
func TestCapacityFallback(t *testing.T) {
	highstest.Need(t)
	big := &Instance{Family: Capacity, J: 40, B: 4, WorkerCap: []int{90, 90, 80, 90}}
	for j := range big.J {
		big.ArmCost = append(big.ArmCost, 2+j%5)
	}
	var b solver.Builder
	big.AppendFragment(&b)
	m, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	if m.NumCols() != big.J*(1+len(big.WorkerCap)) {
		t.Fatalf("capacities of 80 and 90 over 40 arms: %d columns, want the assignment's %d", m.NumCols(), big.J*(1+len(big.WorkerCap)))
	}
	// Small enough to enumerate: equal capacities, some arms too costly
	// for the smallest worker.
	in := &Instance{Family: Capacity, J: 9, B: 4, WorkerCap: []int{5, 5, 3, 5}}
	rng := rand.New(rand.NewPCG(7, 7))
	for range in.J {
		in.ArmCost = append(in.ArmCost, 2+rng.IntN(5))
	}
	CheckFragment(t, in, func(b *solver.Builder) []int {
		act := make([]int, in.J)
		for i := range act {
			act[i] = b.AddCol("a", 0, 0, 1, solver.Integer)
		}
		in.appendAssignment(b, act)
		return act
	}, func(a Action) bool { return in.packable(a.Members()) })
}

// CheckFragment fixes every non-empty action in the fragment that frag
// appends and checks that the MIP is feasible exactly when want says so;
// it returns the number of feasible actions. (Exported for the external
// tests of this package.)
func CheckFragment(t testing.TB, in *Instance, frag func(*solver.Builder) []int, want func(Action) bool) int {
	t.Helper()
	var b solver.Builder
	act := frag(&b)
	m, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	s := highstest.New(t)
	nFeasible := 0
	for mask := 1; mask < 1<<in.NumVars(); mask++ {
		var a Action
		mm := m.Clone()
		for i, c := range act {
			if mask>>i&1 == 1 {
				a = a.Set(i)
				mm.ColLower[c] = 1
			} else {
				mm.ColUpper[c] = 0
			}
		}
		if err := s.Load(mm); err != nil {
			t.Fatal(err)
		}
		st, err := s.Solve(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		ok := want(a)
		if (st == solver.StatusOptimal) != ok {
			t.Fatalf("action %v: the fragment's MIP is %v, the check says %v", a, st, ok)
		}
		if ok {
			nFeasible++
		}
	}
	return nFeasible
}

// TestMaximalLoads lists a capacity-7 worker's maximal loads over costs
// 2..6 by hand.
func TestMaximalLoads(t *testing.T) {
	costs := []int{2, 3, 4, 5, 6}
	got := maximalLoads(costs, []int{9, 9, 9, 9, 9}, 7, 100)
	want := map[[5]int]bool{ // {2,2,3} {2,2,2} {2,5} {2,4} {3,4} {3,3} {6}
		{2, 1, 0, 0, 0}: true, {3, 0, 0, 0, 0}: true, {1, 0, 0, 1, 0}: true, {1, 0, 1, 0, 0}: true,
		{0, 1, 1, 0, 0}: true, {0, 2, 0, 0, 0}: true, {0, 0, 0, 0, 1}: true,
	}
	if len(got) != len(want) {
		t.Fatalf("%d loads %v, want %d", len(got), got, len(want))
	}
	for _, p := range got {
		if !want[[5]int(p)] {
			t.Fatalf("load %v is not a maximal load of capacity 7", p)
		}
	}
	// With one arm of cost 2, no load holds two.
	got = maximalLoads(costs, []int{1, 9, 9, 9, 9}, 7, 100)
	for _, p := range got {
		if p[0] > 1 {
			t.Fatalf("load %v uses more arms of cost 2 than there are", p)
		}
	}
	if n := len(maximalLoads(costs, []int{9, 9, 9, 9, 9}, 7, 3)); n != 3 {
		t.Fatalf("limit 3: %d loads", n)
	}
}
