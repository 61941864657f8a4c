package solvertest

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/corl-go/corl/internal/sharedtest"
	"github.com/corl-go/corl/solver"
)

// Factory returns a fresh engine; the suite closes it.
type Factory func(t testing.TB) solver.Engine

// optionSetter is implemented by engines that take options by name; the
// suite uses it to ask MIP solves for a proven optimum (zero relative gap).
type optionSetter interface {
	SetDoubleOption(name string, v float64) error
}

// Run runs the conformance suite. Subtests that need the shared reference
// instances skip when they are absent (unless CORL_REQUIRE_SHARED=1).
func Run(t *testing.T, newEngine Factory) {
	t.Run("SmallLP", func(t *testing.T) { testSmallLP(t, newEngine) })
	t.Run("SmallMIP", func(t *testing.T) { testSmallMIP(t, newEngine) })
	t.Run("SetCoverDuality", func(t *testing.T) { testSetCoverDuality(t, newEngine) })
	t.Run("WarmStart", func(t *testing.T) { testWarmStart(t, newEngine) })
	t.Run("Infeasible", func(t *testing.T) { testInfeasible(t, newEngine) })
	t.Run("Unbounded", func(t *testing.T) { testUnbounded(t, newEngine) })
	t.Run("Rejected", func(t *testing.T) { testRejected(t, newEngine) })
	t.Run("AddDeleteRows", func(t *testing.T) { testAddDeleteRows(t, newEngine) })
	t.Run("Shared", func(t *testing.T) { testShared(t, newEngine) })
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
		if o, ok := e.(optionSetter); ok {
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
