package bnb

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/corl-go/corl/internal/highstest"
	"github.com/corl-go/corl/internal/sharedtest"
	"github.com/corl-go/corl/solver"
)

// randomIntegerMIP is a small MIP over integer columns (binaries and a few
// general integers, some with negative lower bounds) and, with cont > 0,
// bounded continuous columns: ≤, ≥ and ranged rows with integral and
// fractional coefficients.
func randomIntegerMIP(rng *rand.Rand, n, rows, cont int) *solver.Model {
	var b solver.Builder
	if rng.IntN(2) == 0 {
		b.SetSense(solver.Maximize)
	}
	var bins []int
	for j := range n {
		lo, up := 0.0, 1.0
		switch rng.IntN(5) {
		case 0:
			up = 3
		case 1:
			lo, up = -1, 2
		default:
			bins = append(bins, j)
		}
		b.AddCol("", float64(rng.IntN(21)-8), lo, up, solver.Integer)
	}
	for range cont {
		b.AddCol("", rng.Float64()*10-5, -rng.Float64()*2, 1+rng.Float64()*3, solver.Continuous)
	}
	total := n + cont
	for range rows {
		var idx []int
		var val []float64
		sum := 0.0
		for j := range total {
			if rng.Float64() < 0.6 {
				a := float64(1 + rng.IntN(9))
				if rng.IntN(3) == 0 {
					a += math.Round(rng.Float64()*100) / 100
				}
				if rng.IntN(4) == 0 {
					a = -a
				}
				idx, val = append(idx, j), append(val, a)
				sum += math.Abs(a)
			}
		}
		if len(idx) == 0 {
			continue
		}
		lo, up := math.Inf(-1), math.Floor(sum*(0.2+0.4*rng.Float64()))
		switch rng.IntN(3) {
		case 0:
			lo, up = -math.Floor(sum*(0.2*rng.Float64())), solver.Inf
		case 1:
			lo = up - 1 - float64(rng.IntN(int(sum/2)+1))
		}
		b.AddRow("", lo, up, idx, val)
	}
	// Set-packing rows over binaries, some complemented: at most one of
	// x_j (or 1 − x_j) is 1.
	for range rng.IntN(4) {
		if len(bins) < 3 {
			break
		}
		rng.Shuffle(len(bins), func(p, q int) { bins[p], bins[q] = bins[q], bins[p] })
		k := 2 + rng.IntN(min(3, len(bins)-1))
		sign := make([]float64, k)
		for q := range sign {
			sign[q] = 1
			if rng.IntN(4) == 0 {
				sign[q] = -1
			}
		}
		packing := func(qs ...int) {
			var idx []int
			var val []float64
			rhs := 1.0
			for _, q := range qs {
				idx, val = append(idx, bins[q]), append(val, sign[q])
				if sign[q] < 0 {
					rhs--
				}
			}
			b.AddRow("", math.Inf(-1), rhs, idx, val)
		}
		if rng.IntN(2) == 0 {
			qs := make([]int, k)
			for q := range qs {
				qs[q] = q
			}
			packing(qs...)
			continue
		}
		for p := range k { // the clique's edges, one row each
			for q := p + 1; q < k; q++ {
				packing(p, q)
			}
		}
	}
	m, err := b.Build()
	if err != nil {
		panic(err)
	}
	return m
}

// checkCutsByEnumeration enumerates the feasible points of instance k,
// m (pure integer): no cut may remove one, and the search's result res
// must be the enumeration's optimum (or infeasible where there is no
// point), unless it stopped at its node limit.
func checkCutsByEnumeration(t *testing.T, k int, m *solver.Model, cuts []*cut, res Result) {
	t.Helper()
	best, found := math.Inf(1), false
	sgn := 1.0
	if m.Sense == solver.Maximize {
		sgn = -1
	}
	integerPoints(m, func(x []float64) {
		found = true
		best = math.Min(best, sgn*m.ObjectiveValue(x))
		for _, c := range cuts {
			lhs := 0.0
			for q, j := range c.idx {
				lhs += c.val[q] * x[j]
			}
			if lhs > c.rhs+1e-9*math.Max(1, math.Abs(c.rhs)) {
				t.Fatalf("instance %d: %v cut %v·x ≤ %v removes the feasible point %v (lhs %v)", k, c.kind, c.val, c.rhs, x, lhs)
			}
		}
	})
	switch {
	case res.Status == solver.StatusNodeLimit:
	case !found && res.Status != solver.StatusInfeasible:
		t.Fatalf("instance %d: status %v, enumeration finds no point", k, res.Status)
	case found && (res.Status != solver.StatusOptimal || math.Abs(sgn*res.Objective-best) > 1e-6):
		t.Fatalf("instance %d: %v %v, enumeration %v", k, res.Status, res.Objective, sgn*best)
	}
}

// integerPoints calls f with every point of m's integer columns (m pure
// integer) that satisfies its rows.
func integerPoints(m *solver.Model, f func(x []float64)) {
	n := m.NumCols()
	x := slicesClone(m.ColLower)
	act := make([]float64, m.NumRows())
	var rec func(j int)
	rec = func(j int) {
		if j == n {
			if satisfies(m, act, x) {
				f(x)
			}
			return
		}
		for v := m.ColLower[j]; v <= m.ColUpper[j]; v++ {
			x[j] = v
			rec(j + 1)
		}
	}
	rec(0)
}

// satisfies reports whether x satisfies m's rows (act: scratch, one
// entry per row).
func satisfies(m *solver.Model, act, x []float64) bool {
	m.RowActivitiesTo(act, x)
	for i, a := range act {
		if a < m.RowLower[i]-1e-9 || a > m.RowUpper[i]+1e-9 {
			return false
		}
	}
	return true
}

func slicesClone(v []float64) []float64 { return append([]float64(nil), v...) }
func slicesCloneInt(v []int) []int      { return append([]int(nil), v...) }

// searchCuts runs a search of m with cuts at every node (a node limit,
// heuristics off) and returns every cut it added and the result.
func searchCuts(t *testing.T, m *solver.Model, cuts Cuts, nodes int64) ([]*cut, Result) {
	t.Helper()
	var all []*cut
	cuts.RootOnly = false
	s, err := NewSearch(context.Background(), highstest.New(t), m, Config{NoHeuristics: true, Cuts: cuts, NodeLimit: nodes})
	if err != nil {
		t.Fatal(err)
	}
	s.cutHook = func(c *cut) { all = append(all, c) }
	res, err := s.Run(context.Background(), MostFractional{})
	if err != nil {
		t.Fatal(err)
	}
	return all, res
}

// No cut removes an integer-feasible point: every cut of a search with
// cuts of every family at every node, checked against every feasible point of small pure
// integer programs found by enumeration; the search's optimum is the
// enumeration's.
func TestCutsKeepIntegerPoints(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 29))
	kinds, total := [NumCutKinds]int{}, 0
	for k := range 150 {
		m := randomIntegerMIP(rng, 5+rng.IntN(4), 2+rng.IntN(4), 0)
		cuts, res := searchCuts(t, m, Cuts{GomoryNodes: true, CliqueNodes: true}, 500)
		for _, c := range cuts {
			kinds[c.kind]++
		}
		total += len(cuts)
		checkCutsByEnumeration(t, k, m, cuts, res)
	}
	t.Logf("%d cuts checked: %v by kind", total, kinds)
	for kind, n := range kinds {
		// Aggregated covers need knapsacks linked by set-packing rows,
		// rare here: TestAggCoverKeepsIntegerPoints checks them.
		if n == 0 && CutKind(kind) != AggCover {
			t.Errorf("no %v cut was checked", CutKind(kind))
		}
	}
}

// withCuts returns m with the cuts appended as rows.
func withCuts(m *solver.Model, cuts []*cut) *solver.Model {
	var b solver.Builder
	b.SetSense(m.Sense)
	b.SetOffset(m.Offset)
	for j := range m.NumCols() {
		b.AddCol("", m.Cost[j], m.ColLower[j], m.ColUpper[j], m.ColType(j))
	}
	rows := make([][]int, m.NumRows())
	vals := make([][]float64, m.NumRows())
	for j := range m.NumCols() {
		for k := m.Start[j]; k < m.Start[j+1]; k++ {
			rows[m.Index[k]] = append(rows[m.Index[k]], j)
			vals[m.Index[k]] = append(vals[m.Index[k]], m.Value[k])
		}
	}
	for i := range m.NumRows() {
		b.AddRow("", m.RowLower[i], m.RowUpper[i], rows[i], vals[i])
	}
	for _, c := range cuts {
		b.AddRow("", math.Inf(-1), c.rhs, c.idx, c.val)
	}
	out, err := b.Build()
	if err != nil {
		panic(err)
	}
	return out
}

// highsOptimum solves m with HiGHS's MIP to a zero gap.
func highsOptimum(t *testing.T, m *solver.Model) (solver.Status, float64, []float64) {
	t.Helper()
	e := highstest.New(t)
	if err := e.Load(m); err != nil {
		t.Fatal(err)
	}
	e.SetDoubleOption("mip_rel_gap", 0)
	st, err := e.Solve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st != solver.StatusOptimal {
		return st, 0, nil
	}
	obj, _ := e.Objective()
	x, _ := e.Primal()
	return st, obj, x
}

// With continuous columns, no cut removes a mixed-integer feasible point:
// HiGHS's MIP finds the same optimum with every cut as rows as without,
// under the model's objective and under random ones.
func TestCutsKeepMixedOptimum(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 7))
	total := 0
	for k := range 40 {
		m := randomIntegerMIP(rng, 5+rng.IntN(6), 3+rng.IntN(4), 1+rng.IntN(3))
		cuts, _ := searchCuts(t, m, Cuts{}, 100)
		total += len(cuts)
		if len(cuts) == 0 {
			continue
		}
		for o := range 3 {
			if o > 0 {
				m = m.Clone()
				for j := range m.Cost {
					m.Cost[j] = math.Round((rng.Float64()*20-10)*10) / 10
				}
			}
			st, want, _ := highsOptimum(t, m)
			st2, got, _ := highsOptimum(t, withCuts(m, cuts))
			if st != st2 || math.Abs(got-want) > 1e-6*math.Max(1, math.Abs(want)) {
				t.Fatalf("instance %d, objective %d: %v %v with %d cuts, %v %v without", k, o, st2, got, len(cuts), st, want)
			}
		}
	}
	if total < 40 {
		t.Errorf("only %d cuts over 40 instances", total)
	}
	t.Logf("%d cuts checked", total)
}

// rootCuts processes the root of m with cfg (heuristics off) and returns
// every cut added there and the statistics.
func rootCuts(t *testing.T, m *solver.Model, cfg Config) ([]*cut, Stats) {
	t.Helper()
	cfg.NoHeuristics = true
	s, err := NewSearch(context.Background(), highstest.New(t), m, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var all []*cut
	s.cutHook = func(c *cut) { all = append(all, c) }
	if _, err := s.Next(context.Background()); err != nil {
		t.Fatal(err)
	}
	return all, s.Stats()
}

// Shared instances with known optima: the root bound with cuts lies
// between the root LP value and the optimum, and rises on the instances
// where cuts should close gap; HiGHS's MIP on the model with every root
// cut as a row still finds the known optimum.
func TestCutsOnSharedMIPLIB(t *testing.T) {
	rises := map[string]bool{"egout": true, "lseu": true, "p0548": true, "rgn": true, "sp150x300d": true}
	EachSharedMILP(t, SharedOptimal, func(t *testing.T, name string, in sharedtest.Instance, m *solver.Model) {
		sgn := 1.0
		if m.Sense == solver.Maximize {
			sgn = -1
		}
		opt := sgn * in.Objective
		tol := 1e-6 * math.Max(1, math.Abs(opt))
		cuts, st := rootCuts(t, m, Config{})
		_, off := rootCuts(t, m, Config{NoCuts: true})
		t.Logf("root LP %.8g, with %d cuts %.8g, optimum %.8g: %.1f%% of the gap closed", st.RootLPValue, len(cuts), st.RootBound, opt,
			100*(st.RootBound-st.RootLPValue)/(opt-st.RootLPValue))
		if math.Abs(off.RootBound-st.RootLPValue) > tol {
			t.Errorf("root LP value %v, %v without cuts", st.RootLPValue, off.RootBound)
		}
		if st.RootBound < st.RootLPValue-tol || st.RootBound > opt+tol {
			t.Errorf("root bound with cuts %v outside [root LP %v, optimum %v]", st.RootBound, st.RootLPValue, opt)
		}
		if rises[name] && st.RootBound < st.RootLPValue+0.1*(opt-st.RootLPValue) {
			t.Errorf("cuts closed less than 10%% of the root gap: %v -> %v, optimum %v", st.RootLPValue, st.RootBound, opt)
		}
		if len(cuts) == 0 {
			return
		}
		status, got, _ := highsOptimum(t, withCuts(m, cuts))
		if status != solver.StatusOptimal || math.Abs(got-in.Objective) > tol {
			t.Errorf("HiGHS with the %d cuts: %v %v, want %v", len(cuts), status, got, in.Objective)
		}
	})
}

// The root's rounds stop once the last StallRounds rounds together raised
// the bound by less than MinProgress relative to its magnitude, and never
// before StallRounds rounds.
func TestCutRoundsStall(t *testing.T) {
	for _, c := range []struct {
		cuts   Cuts
		bounds []float64
		want   bool
	}{
		{Cuts{}, []float64{10, 11, 12, 13, 14}, false},                                         // fewer than 5 rounds
		{Cuts{}, []float64{10, 20, 20, 20, 20, 20, 20}, true},                                  // nothing over the last 5
		{Cuts{}, []float64{10, 20, 20, 20, 20, 20.01}, false},                                  // 0.01 ≥ 1e-4·20.01
		{Cuts{}, []float64{18000, 18000.5, 18001, 18001.5, 18001.7, 18001.81}, false},          // 1.81 ≥ 1e-4·18001.81
		{Cuts{}, []float64{18000, 18000.5, 18001, 18001.5, 18001.7, 18001.75, 18001.76}, true}, // 1.26 < 1e-4·18001.76
		{Cuts{}, []float64{-0.5, -0.5, -0.5, -0.5, -0.5, -0.4998}, false},                      // magnitude at least 1
		{Cuts{}, []float64{-0.5, -0.5, -0.5, -0.5, -0.5, -0.49995}, true},
		{Cuts{StallRounds: 2}, []float64{10, 20, 20, 20}, true},
		{Cuts{MinProgress: -1}, []float64{10, 20, 20, 20, 20, 20, 20}, false}, // rule off
		{Cuts{MinProgress: 0.5}, []float64{10, 11, 12, 13, 14, 15}, true},     // 5 < 0.5·15
	} {
		s := &Search{cuts: c.cuts.withDefaults(1)}
		if got := s.stalled(c.bounds); got != c.want {
			t.Errorf("%+v, bounds %v: stalled %v, want %v", c.cuts, c.bounds, got, c.want)
		}
	}
}

// Cuts.Reserve: the root's slack cuts come back at other nodes, each the
// very cut the root added, and every cut of the search, those included,
// keeps every feasible point found by enumeration; the search's optimum
// is the enumeration's. Without it the reserve stays empty.
func TestReserveCutsKeepIntegerPoints(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 41))
	returned, held := 0, 0
	key := func(c *cut) string { return fmt.Sprint(c.idx, c.val, c.rhs) }
	for k := range 120 {
		m := randomIntegerMIP(rng, 6+rng.IntN(4), 3+rng.IntN(4), 0)
		var all []*cut
		s, err := NewSearch(context.Background(), highstest.New(t), m, Config{NoHeuristics: true, NodeLimit: 500, Cuts: Cuts{Reserve: true}})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		s.cutHook = func(c *cut) {
			if c.res > 0 {
				returned++
				if !seen[key(c)] {
					t.Fatalf("instance %d: a cut from the reserve the search never added: %v ≤ %v", k, c.val, c.rhs)
				}
				if c.kind == Gomory {
					t.Fatalf("instance %d: a Gomory cut from the reserve", k)
				}
			}
			seen[key(c)] = true
			// A returned cut's rows are the reserve's, compacted after.
			all = append(all, &cut{idx: slicesCloneInt(c.idx), val: slicesClone(c.val), rhs: c.rhs, kind: c.kind, res: c.res})
		}
		res, err := s.Run(context.Background(), MostFractional{})
		if err != nil {
			t.Fatal(err)
		}
		st := res.Stats.Cuts
		held += st.Reserve
		if st.FromReserve != int64(countReturned(all)) {
			t.Fatalf("instance %d: FromReserve %d, %d returns seen", k, st.FromReserve, countReturned(all))
		}
		checkCutsByEnumeration(t, k, m, all, res)
		_, off := searchCuts(t, m, Cuts{}, 500)
		if off.Stats.Cuts.Reserve != 0 || off.Stats.Cuts.FromReserve != 0 {
			t.Fatalf("instance %d: without Reserve %d held, %d returned", k, off.Stats.Cuts.Reserve, off.Stats.Cuts.FromReserve)
		}
	}
	t.Logf("%d cuts returned from the reserve, %d held at the ends", returned, held)
	if returned == 0 {
		t.Error("no cut came back from the reserve")
	}
}

func countReturned(cuts []*cut) int {
	n := 0
	for _, c := range cuts {
		if c.res > 0 {
			n++
		}
	}
	return n
}

// With continuous columns (c-MIR cuts, the reserve's usual content), no
// cut of a search with Cuts.Reserve, those returned from the reserve
// included, removes a mixed-integer feasible point: HiGHS's MIP finds the
// same optimum with every cut as rows as without.
func TestReserveCutsKeepMixedOptimum(t *testing.T) {
	rng := rand.New(rand.NewPCG(43, 5))
	returned := 0
	for k := range 60 {
		m := randomIntegerMIP(rng, 6+rng.IntN(6), 4+rng.IntN(4), 2+rng.IntN(3))
		var all []*cut
		s, err := NewSearch(context.Background(), highstest.New(t), m, Config{NoHeuristics: true, NodeLimit: 200, Cuts: Cuts{Reserve: true}})
		if err != nil {
			t.Fatal(err)
		}
		s.cutHook = func(c *cut) {
			all = append(all, &cut{idx: slicesCloneInt(c.idx), val: slicesClone(c.val), rhs: c.rhs, kind: c.kind, res: c.res})
		}
		if _, err := s.Run(context.Background(), MostFractional{}); err != nil {
			t.Fatal(err)
		}
		n := countReturned(all)
		if n == 0 {
			continue
		}
		returned += n
		st, want, _ := highsOptimum(t, m)
		st2, got, _ := highsOptimum(t, withCuts(m, all))
		if st != st2 || math.Abs(got-want) > 1e-6*math.Max(1, math.Abs(want)) {
			t.Fatalf("instance %d: %v %v with %d cuts (%d returned), %v %v without", k, st2, got, len(all), n, st, want)
		}
	}
	t.Logf("%d cuts returned from the reserve", returned)
	if returned == 0 {
		t.Error("no cut came back from the reserve")
	}
}

// edgeIndependentSet is a maximum weighted independent set in the edge
// formulation (x_i + x_j ≤ 1 per edge) of a random graph on n vertices:
// cliques of the conflict graph are violated at the root and deeper.
func edgeIndependentSet(t *testing.T, rng *rand.Rand, n int, p float64) *solver.Model {
	t.Helper()
	var b solver.Builder
	b.SetSense(solver.Maximize)
	for i := range n {
		b.AddCol(fmt.Sprintf("x%d", i), float64(1+rng.IntN(5)), 0, 1, solver.Integer)
	}
	for i := range n {
		for j := i + 1; j < n; j++ {
			if rng.Float64() < p {
				b.AddRow(fmt.Sprintf("e%d_%d", i, j), math.Inf(-1), 1, []int{i, j}, []float64{1, 1})
			}
		}
	}
	m, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Clique cuts come from the root's rounds only, unless CliqueNodes: on
// random edge-formulation independent sets, the default search adds every
// clique cut at the root, the one with CliqueNodes adds some deeper too,
// and both reach HiGHS's optimum.
func TestCliqueCutsAtTheRootOnly(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 41))
	deeper := 0
	for k := range 6 {
		m := edgeIndependentSet(t, rng, 40, 0.15)
		_, want, _ := highsOptimum(t, m)
		for _, nodes := range []bool{false, true} {
			s, err := NewSearch(context.Background(), highstest.New(t), m, Config{NoHeuristics: true, Cuts: Cuts{CliqueNodes: nodes}, NodeLimit: 5000})
			if err != nil {
				t.Fatal(err)
			}
			s.cutHook = func(c *cut) {
				if c.kind != Clique || s.stats.Nodes <= 1 {
					return
				}
				if !nodes {
					t.Errorf("instance %d: a clique cut added at node %d without CliqueNodes", k, s.stats.Nodes)
				}
				deeper++
			}
			res, err := s.Run(context.Background(), MostFractional{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != solver.StatusOptimal || math.Abs(res.Objective-want) > 1e-6 {
				t.Fatalf("instance %d (CliqueNodes %v): %v %v, HiGHS %v", k, nodes, res.Status, res.Objective, want)
			}
		}
	}
	if deeper == 0 {
		t.Error("CliqueNodes added no clique cut below the root: the instances do not exercise it")
	}
}

// Node rounds back off while they add nothing: the distance to the next
// separating node doubles from 2 to 128 nodes and a round that adds a cut
// sets it back; with EveryNode every node separates.
func TestNodeCutsBackOff(t *testing.T) {
	s := &Search{cuts: Cuts{}.withDefaults(10)}
	node := &Node{ID: 5, ParentID: 2}
	var due []int64
	for n := int64(1); n <= 600; n++ {
		s.stats.Nodes = n
		if s.cutsDue(node) {
			due = append(due, n)
			s.cutsIdle.after(n, n == 255) // only the round at node 255 adds cuts
		}
	}
	// Idle rounds 2, 4, ..., 128 nodes apart; the one at 255 adds cuts,
	// so 256 separates, and the distance doubles again from there.
	want := []int64{1, 3, 7, 15, 31, 63, 127, 255, 256, 258, 262, 270, 286, 318, 382, 510}
	if !slices.Equal(due, want) {
		t.Errorf("node rounds at %v, want %v", due, want)
	}
	s.cutsIdle = cutsIdle{}
	due = due[:0]
	for n := int64(1); n <= 40; n++ {
		s.stats.Nodes = n
		if s.cutsDue(node) {
			due = append(due, n)
			s.cutsIdle.after(n, n == 3)
		}
	}
	// A round that adds cuts (at 3) makes the next node separate.
	if want := []int64{1, 3, 4, 6, 10, 18, 34}; !slices.Equal(due, want) {
		t.Errorf("node rounds at %v, want %v", due, want)
	}
	s.cuts.EveryNode = true
	for n := int64(41); n <= 60; n++ {
		s.stats.Nodes = n
		if !s.cutsDue(node) {
			t.Fatalf("EveryNode: node %d does not separate", n)
		}
		s.cutsIdle.after(n, false)
	}
}
