package solvertest

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/corl-go/corl/internal/sharedtest"
	"github.com/corl-go/corl/solver"
)

// Factory returns a fresh engine; the suite closes it.
type Factory func(t testing.TB) solver.Engine

// Run runs the conformance suite. Subtests that need the shared reference
// instances skip when they are absent (unless CORL_REQUIRE_SHARED=1).
func Run(t *testing.T, newEngine Factory) {
	t.Run("SmallLP", func(t *testing.T) { testSmallLP(t, newEngine) })
	t.Run("SmallMIP", func(t *testing.T) { testSmallMIP(t, newEngine) })
	t.Run("SetCoverDuality", func(t *testing.T) { testSetCoverDuality(t, newEngine) })
	t.Run("WarmStart", func(t *testing.T) { testWarmStart(t, newEngine) })
	t.Run("SetBasis", func(t *testing.T) { testSetBasis(t, newEngine) })
	t.Run("SetColsBounds", func(t *testing.T) { testSetColsBounds(t, newEngine) })
	t.Run("Infeasible", func(t *testing.T) { testInfeasible(t, newEngine) })
	t.Run("Unbounded", func(t *testing.T) { testUnbounded(t, newEngine) })
	t.Run("Rejected", func(t *testing.T) { testRejected(t, newEngine) })
	t.Run("AddDeleteRows", func(t *testing.T) { testAddDeleteRows(t, newEngine) })
	t.Run("Shared", func(t *testing.T) { testShared(t, newEngine) })
	t.Run("ExpiredDeadline", func(t *testing.T) { testExpiredDeadline(t, newEngine) })
	t.Run("Spawn", func(t *testing.T) { testSpawn(t, newEngine) })
}

// testSpawn: an engine that spawns (solver.Spawner) makes an independent
// engine, which solves its own model while the first keeps its own.
func testSpawn(t *testing.T, newEngine Factory) {
	e := engine(t, newEngine)
	sp, ok := e.(solver.Spawner)
	if !ok {
		t.Skip("the engine does not spawn")
	}
	sub, err := sp.Spawn()
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	model := func(lo float64) *solver.Model {
		var b solver.Builder
		x := b.AddCol("x", 1, 0, 10, solver.Integer)
		b.AddRow("r", lo, solver.Inf, []int{x}, []float64{2})
		m, _ := b.Build()
		return m
	}
	if st := solve(t, e, model(3)); st != solver.StatusOptimal {
		t.Fatalf("first engine: %v", st)
	}
	if st := solve(t, sub, model(7)); st != solver.StatusOptimal {
		t.Fatalf("spawned engine: %v", st)
	}
	a, _ := e.Objective()
	b, _ := sub.Objective()
	if a != 2 || b != 4 {
		t.Errorf("objectives %v and %v, want 2 and 4", a, b)
	}
}

// testExpiredDeadline: a deadline already passed is a limit reached, so
// Solve reports StatusTimeLimit and no error; a cancelled context is an
// interruption, StatusInterrupted with the context's error. The engine
// solves normally afterwards.
func testExpiredDeadline(t *testing.T, newEngine Factory) {
	e := engine(t, newEngine)
	var b solver.Builder
	x := b.AddCol("x", 1, 2, 5, solver.Continuous)
	b.AddRow("r", 3, solver.Inf, []int{x}, []float64{1})
	m, _ := b.Build()
	if err := e.Load(m); err != nil {
		t.Fatal(err)
	}
	past, cancel := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancel()
	if st, err := e.Solve(past); st != solver.StatusTimeLimit || err != nil {
		t.Errorf("expired deadline: status %v, err %v; want time_limit and no error", st, err)
	}
	stopped, stop := context.WithCancel(context.Background())
	stop()
	if st, err := e.Solve(stopped); st != solver.StatusInterrupted || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: status %v, err %v; want interrupted and context.Canceled", st, err)
	}
	if st := solve(t, e, m); st != solver.StatusOptimal {
		t.Fatalf("after the limits: status %v, want optimal", st)
	}
	if obj, err := e.Objective(); err != nil || obj != 3 {
		t.Errorf("objective %v (err %v), want 3", obj, err)
	}
}

func engine(t *testing.T, newEngine Factory) solver.Engine {
	t.Helper()
	e := newEngine(t)
	t.Cleanup(func() { e.Close() })
	return e
}

func solve(t *testing.T, e solver.Engine, m *solver.Model) solver.Status {
	t.Helper()
	if err := e.Load(m); err != nil {
		t.Fatalf("Load: %v", err)
	}
	if m.IsMIP() {
		if o, ok := e.(solver.OptionSetter); ok {
			if err := o.SetDoubleOption("mip_rel_gap", 0); err != nil {
				t.Fatal(err)
			}
		}
	}
	st, err := e.Solve(context.Background())
	if err != nil {
		t.Fatalf("Solve: %v", err)
	}
	return st
}

func closeTo(got, want, rel float64) bool {
	return math.Abs(got-want) <= rel*math.Max(1, math.Abs(want))
}

// testSmallLP: max 3x + 2y s.t. x + y <= 4, x + 3y <= 7, x <= 3, x, y >= 0.
// Optimum x = 3, y = 1, objective 11; duals: row 1 has 2, row 2 has 0.
func testSmallLP(t *testing.T, newEngine Factory) {
	var b solver.Builder
	b.SetSense(solver.Maximize)
	x := b.AddCol("x", 3, 0, 3, solver.Continuous)
	y := b.AddCol("y", 2, 0, solver.Inf, solver.Continuous)
	b.AddRow("r1", math.Inf(-1), 4, []int{x, y}, []float64{1, 1})
	b.AddRow("r2", math.Inf(-1), 7, []int{x, y}, []float64{1, 3})
	m, _ := b.Build()
	e := engine(t, newEngine)
	if st := solve(t, e, m); st != solver.StatusOptimal {
		t.Fatalf("status %v", st)
	}
	obj, _ := e.Objective()
	if !closeTo(obj, 11, 1e-9) {
		t.Errorf("objective %v, want 11", obj)
	}
	xv := make([]float64, 2)
	yv := make([]float64, 2)
	if err := e.SolutionTo(xv, nil, nil, yv); err != nil {
		t.Fatal(err)
	}
	if !closeTo(xv[0], 3, 1e-9) || !closeTo(xv[1], 1, 1e-9) || !closeTo(yv[0], 2, 1e-9) || !closeTo(yv[1], 0, 1e-9) {
		t.Errorf("x = %v, row duals = %v; want [3 1] and [2 0]", xv, yv)
	}
	checkDuality(t, e, m)
}

// testSmallMIP: max x + y s.t. 2x + 2y <= 3 (x, y integer >= 0) has optimum 1,
// while its LP relaxation has 1.5.
func testSmallMIP(t *testing.T, newEngine Factory) {
	var b solver.Builder
	b.SetSense(solver.Maximize)
	x := b.AddCol("x", 1, 0, 10, solver.Integer)
	y := b.AddCol("y", 1, 0, 10, solver.Integer)
	b.AddRow("r", math.Inf(-1), 3, []int{x, y}, []float64{2, 2})
	m, _ := b.Build()
	e := engine(t, newEngine)
	if st := solve(t, e, m); st != solver.StatusOptimal {
		t.Fatalf("status %v", st)
	}
	if obj, _ := e.Objective(); !closeTo(obj, 1, 1e-9) {
		t.Errorf("MIP objective %v, want 1", obj)
	}
	if st := solve(t, e, Relax(m)); st != solver.StatusOptimal {
		t.Fatalf("relaxation status %v", st)
	}
	if obj, _ := e.Objective(); !closeTo(obj, 1.5, 1e-9) {
		t.Errorf("relaxation objective %v, want 1.5", obj)
	}
}

func testSetCoverDuality(t *testing.T, newEngine Factory) {
	rng := rand.New(rand.NewPCG(1, 2))
	for k := range 5 {
		m := Relax(SetCover(rng, 40+10*k, 80+20*k, 0.08, 100))
		e := engine(t, newEngine)
		if st := solve(t, e, m); st != solver.StatusOptimal {
			t.Fatalf("instance %d: status %v", k, st)
		}
		checkDuality(t, e, m)
	}
}

// checkDuality verifies, for an optimal LP, that c - A'y = d, that the dual
// objective (each dual times the bound it prices) equals the primal
// objective, and that reduced costs have the signs the basis implies.
func checkDuality(t *testing.T, e solver.Engine, m *solver.Model) {
	t.Helper()
	n, r := m.NumCols(), m.NumRows()
	x, d := make([]float64, n), make([]float64, n)
	act, y := make([]float64, r), make([]float64, r)
	if err := e.SolutionTo(x, d, act, y); err != nil {
		t.Fatal(err)
	}
	cb, rb := make([]solver.BasisStatus, n), make([]solver.BasisStatus, r)
	if err := e.BasisTo(cb, rb); err != nil {
		t.Fatal(err)
	}
	primal, err := e.Objective()
	if err != nil {
		t.Fatal(err)
	}
	sgn := 1.0 // work in minimisation form
	if m.Sense == solver.Maximize {
		sgn = -1
	}
	const tol = 1e-7
	scale := 1.0
	for _, c := range m.Cost {
		scale = math.Max(scale, math.Abs(c))
	}
	// Reduced costs: d = c - A'y.
	for j := range n {
		dj := m.Cost[j]
		for k := m.Start[j]; k < m.Start[j+1]; k++ {
			dj -= m.Value[k] * y[m.Index[k]]
		}
		if math.Abs(dj-d[j]) > tol*scale {
			t.Errorf("column %d: reduced cost %v, but c - A'y = %v", j, d[j], dj)
		}
	}
	// Dual objective from bounds.
	dual := sgn * m.Offset
	price := func(kind string, i int, v, lo, up float64) {
		v *= sgn
		switch {
		case v > tol*scale:
			if math.IsInf(lo, -1) {
				t.Errorf("%s %d: dual %v prices an infinite lower bound", kind, i, v)
				return
			}
			dual += v * lo
		case v < -tol*scale:
			if math.IsInf(up, 1) {
				t.Errorf("%s %d: dual %v prices an infinite upper bound", kind, i, v)
				return
			}
			dual += v * up
		default:
			if !math.IsInf(lo, -1) && !math.IsInf(up, 1) {
				dual += v * lo
			}
		}
	}
	for i := range r {
		price("row", i, y[i], m.RowLower[i], m.RowUpper[i])
	}
	for j := range n {
		price("column", j, d[j], m.ColLower[j], m.ColUpper[j])
		switch dj := sgn * d[j]; cb[j] {
		case solver.Basic:
			if math.Abs(dj) > tol*scale {
				t.Errorf("basic column %d has reduced cost %v", j, d[j])
			}
		case solver.AtLower:
			if dj < -tol*scale {
				t.Errorf("column %d at its lower bound has reduced cost %v of the wrong sign", j, d[j])
			}
		case solver.AtUpper:
			if dj > tol*scale {
				t.Errorf("column %d at its upper bound has reduced cost %v of the wrong sign", j, d[j])
			}
		}
	}
	if math.Abs(sgn*primal-dual) > 1e-6*math.Max(1, math.Abs(primal)) {
		t.Errorf("primal objective %v but dual objective %v", primal, sgn*dual)
	}
}

func testWarmStart(t *testing.T, newEngine Factory) {
	m := Relax(SetCover(rand.New(rand.NewPCG(7, 7)), 200, 400, 0.05, 100))
	e := engine(t, newEngine)
	if st := solve(t, e, m); st != solver.StatusOptimal {
		t.Fatalf("status %v", st)
	}
	x := make([]float64, m.NumCols())
	if err := e.SolutionTo(x, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	j := -1
	for k, v := range x {
		if v > 0.05 && v < 0.95 && (j < 0 || math.Abs(v-0.5) < math.Abs(x[j]-0.5)) {
			j = k
		}
	}
	if j < 0 {
		t.Skip("relaxation is integral; no bound to change")
	}
	if err := e.SetColBounds(j, 0, 0); err != nil {
		t.Fatal(err)
	}
	if st, err := e.Solve(context.Background()); err != nil || st != solver.StatusOptimal {
		t.Fatalf("warm re-solve: %v %v", st, err)
	}
	warm, _ := e.SimplexIterations()
	warmObj, _ := e.Objective()

	m2 := m.Clone()
	m2.ColUpper[j] = 0
	cold := engine(t, newEngine)
	if st := solve(t, cold, m2); st != solver.StatusOptimal {
		t.Fatalf("cold status %v", st)
	}
	coldIt, _ := cold.SimplexIterations()
	coldObj, _ := cold.Objective()
	if !closeTo(warmObj, coldObj, 1e-9) {
		t.Errorf("warm objective %v, cold %v", warmObj, coldObj)
	}
	if warm >= coldIt {
		t.Errorf("warm re-solve took %d simplex iterations, cold solve %d", warm, coldIt)
	}
	t.Logf("column %d fixed to 0: warm %d iterations, cold %d", j, warm, coldIt)
}

// testSetBasis: an optimal basis handed to a fresh engine with the same
// LP is optimal as it stands (no simplex iteration, the same objective and
// basis); a basis from another LP is a valid start that reaches that LP's
// own optimum; a basis of the wrong size is an error.
func testSetBasis(t *testing.T, newEngine Factory) {
	rng := rand.New(rand.NewPCG(3, 4))
	m := Relax(SetCover(rng, 120, 240, 0.06, 100))
	e := engine(t, newEngine)
	if st := solve(t, e, m); st != solver.StatusOptimal {
		t.Fatalf("status %v", st)
	}
	want, err := e.Objective()
	if err != nil {
		t.Fatal(err)
	}
	n, r := m.NumCols(), m.NumRows()
	cb, rb := make([]solver.BasisStatus, n), make([]solver.BasisStatus, r)
	if err := e.BasisTo(cb, rb); err != nil {
		t.Fatal(err)
	}

	fresh := engine(t, newEngine)
	if err := fresh.Load(m); err != nil {
		t.Fatal(err)
	}
	if err := fresh.SetBasis(cb, rb); err != nil {
		t.Fatalf("SetBasis of an optimal basis: %v", err)
	}
	if st, err := fresh.Solve(context.Background()); err != nil || st != solver.StatusOptimal {
		t.Fatalf("solve from the optimal basis: %v %v", st, err)
	}
	if it, err := fresh.SimplexIterations(); err != nil || it != 0 {
		t.Errorf("solve from the optimal basis took %d simplex iterations (%v), want 0", it, err)
	}
	if obj, _ := fresh.Objective(); !closeTo(obj, want, 1e-9) {
		t.Errorf("objective from the optimal basis %v, want %v", obj, want)
	}
	cb2, rb2 := make([]solver.BasisStatus, n), make([]solver.BasisStatus, r)
	if err := fresh.BasisTo(cb2, rb2); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cb, cb2) || !slices.Equal(rb, rb2) {
		t.Errorf("the basis changed on a solve that started optimal")
	}

	// Another LP (other costs, a few columns fixed to 1) from this basis: its
	// optimum, as a cold solve finds it.
	other := m.Clone()
	for j := range other.Cost {
		other.Cost[j] = float64(1 + (j*7)%13)
	}
	for j := 5; j < n; j += 23 {
		other.ColLower[j] = 1
	}
	cold := engine(t, newEngine)
	st := solve(t, cold, other)
	if st != solver.StatusOptimal {
		t.Fatalf("cold solve of the other LP: %v", st)
	}
	coldObj, _ := cold.Objective()
	warm := engine(t, newEngine)
	if err := warm.Load(other); err != nil {
		t.Fatal(err)
	}
	if err := warm.SetBasis(cb, rb); err != nil {
		t.Fatalf("SetBasis from another LP: %v", err)
	}
	if st, err := warm.Solve(context.Background()); err != nil || st != solver.StatusOptimal {
		t.Fatalf("solve of the other LP from the first one's basis: %v %v", st, err)
	}
	if obj, _ := warm.Objective(); !closeTo(obj, coldObj, 1e-9) {
		t.Errorf("other LP from the first one's basis: objective %v, cold solve %v", obj, coldObj)
	}
	checkDuality(t, warm, other)

	if err := fresh.SetBasis(cb[:n-1], rb); err == nil {
		t.Error("a basis one column short was accepted")
	}
}

// testSetColsBounds: changing several columns' bounds in one call (out of
// order, tightening and relaxing both sides) gives the engine the LP that
// changing them one at a time gives, and the optimum of that LP solved from
// scratch; inconsistent arguments are errors.
func testSetColsBounds(t *testing.T, newEngine Factory) {
	rng := rand.New(rand.NewPCG(5, 6))
	m := Relax(SetCover(rng, 100, 200, 0.06, 100))
	n := m.NumCols()
	var idx []int
	var lo, up []float64
	for j := n - 1; j >= 0; j -= 7 { // descending: out of order on purpose
		idx = append(idx, j)
		switch len(idx) % 3 {
		case 0:
			lo, up = append(lo, 0), append(up, 0) // fixed out
		case 1:
			lo, up = append(lo, 1), append(up, 1) // fixed in
		default:
			lo, up = append(lo, 0), append(up, 0.5) // tightened
		}
	}
	changed := m.Clone()
	for k, j := range idx {
		changed.ColLower[j], changed.ColUpper[j] = lo[k], up[k]
	}
	cold := engine(t, newEngine)
	if st := solve(t, cold, changed); st != solver.StatusOptimal {
		t.Fatalf("cold solve: %v", st)
	}
	want, _ := cold.Objective()

	set := func(e solver.Engine, oneByOne bool) []float64 {
		t.Helper()
		if st := solve(t, e, m); st != solver.StatusOptimal {
			t.Fatalf("status %v", st)
		}
		if oneByOne {
			for k, j := range idx {
				if err := e.SetColBounds(j, lo[k], up[k]); err != nil {
					t.Fatal(err)
				}
			}
		} else if err := e.SetColsBounds(idx, lo, up); err != nil {
			t.Fatal(err)
		}
		if st, err := e.Solve(context.Background()); err != nil || st != solver.StatusOptimal {
			t.Fatalf("re-solve: %v %v", st, err)
		}
		x := make([]float64, n)
		if err := e.SolutionTo(x, nil, nil, nil); err != nil {
			t.Fatal(err)
		}
		for k, j := range idx {
			if x[j] < lo[k]-1e-9 || x[j] > up[k]+1e-9 {
				t.Errorf("column %d = %v outside its new bounds [%v, %v]", j, x[j], lo[k], up[k])
			}
		}
		if obj, _ := e.Objective(); !closeTo(obj, want, 1e-9) {
			t.Errorf("objective %v after changing bounds (one by one: %v), cold solve %v", obj, oneByOne, want)
		}
		checkDuality(t, e, changed)
		return x
	}
	all := engine(t, newEngine)
	set(all, false)
	set(engine(t, newEngine), true)

	// Relaxing them again restores the first optimum.
	first := engine(t, newEngine)
	if st := solve(t, first, m); st != solver.StatusOptimal {
		t.Fatalf("status %v", st)
	}
	firstObj, _ := first.Objective()
	rlo, rup := make([]float64, len(idx)), make([]float64, len(idx))
	for k, j := range idx {
		rlo[k], rup[k] = m.ColLower[j], m.ColUpper[j]
	}
	if err := all.SetColsBounds(idx, rlo, rup); err != nil {
		t.Fatal(err)
	}
	if st, err := all.Solve(context.Background()); err != nil || st != solver.StatusOptimal {
		t.Fatalf("re-solve with the bounds restored: %v %v", st, err)
	}
	if obj, _ := all.Objective(); !closeTo(obj, firstObj, 1e-9) {
		t.Errorf("bounds restored: objective %v, want the first optimum %v", obj, firstObj)
	}

	if err := all.SetColsBounds(idx, lo[:len(lo)-1], up); err == nil {
		t.Error("one lower bound short was accepted")
	}
	if err := all.SetColsBounds([]int{n}, []float64{0}, []float64{1}); err == nil {
		t.Errorf("column %d of %d was accepted", n, n)
	}
	if err := all.SetColsBounds(nil, nil, nil); err != nil {
		t.Errorf("no column: %v", err)
	}
}

// testInfeasible: x + y >= 3 with x, y in [0, 1].
func testInfeasible(t *testing.T, newEngine Factory) {
	for _, integer := range []bool{false, true} {
		var b solver.Builder
		typ := solver.Continuous
		if integer {
			typ = solver.Integer
		}
		x := b.AddCol("x", 1, 0, 1, typ)
		y := b.AddCol("y", 1, 0, 1, typ)
		b.AddRow("r", 3, solver.Inf, []int{x, y}, []float64{1, 1})
		m, _ := b.Build()
		if st := solve(t, engine(t, newEngine), m); st != solver.StatusInfeasible {
			t.Errorf("integer=%v: status %v, want infeasible", integer, st)
		}
	}
}

// testUnbounded: min -x - y with x - y <= 1, x, y >= 0.
func testUnbounded(t *testing.T, newEngine Factory) {
	var b solver.Builder
	x := b.AddCol("x", -1, 0, solver.Inf, solver.Continuous)
	y := b.AddCol("y", -1, 0, solver.Inf, solver.Continuous)
	b.AddRow("r", math.Inf(-1), 1, []int{x, y}, []float64{1, -1})
	m, _ := b.Build()
	if st := solve(t, engine(t, newEngine), m); st != solver.StatusUnbounded {
		t.Errorf("status %v, want unbounded", st)
	}
}

// testRejected: a model with a row index out of range is an error, and the
// engine still solves a good model afterwards.
func testRejected(t *testing.T, newEngine Factory) {
	bad := &solver.Model{
		Cost: []float64{1}, ColLower: []float64{0}, ColUpper: []float64{1},
		RowLower: []float64{0}, RowUpper: []float64{1},
		Start: []int{0, 1}, Index: []int{5}, Value: []float64{1},
	}
	e := engine(t, newEngine)
	err := e.Load(bad)
	var fe *solver.FieldError
	if !errors.As(err, &fe) || fe.Field != "Index" {
		t.Fatalf("Load of an out-of-range row index: %v, want a FieldError on Index", err)
	}
	var b solver.Builder
	b.AddCol("x", 1, 2, 5, solver.Continuous)
	m, _ := b.Build()
	if st := solve(t, e, m); st != solver.StatusOptimal {
		t.Fatalf("after a rejected model: status %v", st)
	}
	if obj, _ := e.Objective(); obj != 2 {
		t.Errorf("objective %v, want 2", obj)
	}
}

// testAddDeleteRows adds a cut and removes it again.
func testAddDeleteRows(t *testing.T, newEngine Factory) {
	var b solver.Builder
	b.SetSense(solver.Maximize)
	x := b.AddCol("x", 1, 0, 10, solver.Continuous)
	y := b.AddCol("y", 1, 0, 10, solver.Continuous)
	b.AddRow("r", math.Inf(-1), 3, []int{x, y}, []float64{2, 2})
	m, _ := b.Build()
	e := engine(t, newEngine)
	solve(t, e, m)
	if err := e.AddRows([]float64{math.Inf(-1)}, []float64{1}, []int{0}, []int{x, y}, []float64{1, 1}); err != nil {
		t.Fatal(err)
	}
	if st, err := e.Solve(context.Background()); err != nil || st != solver.StatusOptimal {
		t.Fatalf("with cut: %v %v", st, err)
	}
	if obj, _ := e.Objective(); !closeTo(obj, 1, 1e-9) {
		t.Errorf("with cut x + y <= 1: objective %v, want 1", obj)
	}
	if err := e.DeleteRows([]int{1}); err != nil {
		t.Fatal(err)
	}
	if st, err := e.Solve(context.Background()); err != nil || st != solver.StatusOptimal {
		t.Fatalf("cut removed: %v %v", st, err)
	}
	if obj, _ := e.Objective(); !closeTo(obj, 1.5, 1e-9) {
		t.Errorf("cut removed: objective %v, want 1.5", obj)
	}
}

// testShared solves every instance of the shared reference set.
func testShared(t *testing.T, newEngine Factory) {
	for _, in := range sharedtest.Instances(t) {
		t.Run(strings.TrimSuffix(in.Name, ".mps"), func(t *testing.T) {
			m, err := solver.ReadMPSFile(in.File)
			if in.Status == "error" {
				var pe *solver.ParseError
				if !errors.As(err, &pe) || pe.Line < 1 {
					t.Fatalf("bad input gave %v, want a ParseError with a line", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			e := engine(t, newEngine)
			st := solve(t, e, m)
			if st.String() != in.Status {
				t.Fatalf("status %v, want %s", st, in.Status)
			}
			if st != solver.StatusOptimal {
				return
			}
			obj, err := e.Objective()
			if err != nil {
				t.Fatal(err)
			}
			if !closeTo(obj, in.Objective, 1e-6) {
				t.Errorf("objective %.10g, want %.10g", obj, in.Objective)
			}
			if !m.IsMIP() {
				checkDuality(t, e, m)
			}
		})
	}
}
