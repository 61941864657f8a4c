package plot

import (
	"errors"
	"math"
	"slices"
	"testing"

	gplot "gonum.org/v1/plot"

	"github.com/corl-go/corl/trace"
)

func res(policy, inst string, status string, nodes int64, secs float64) trace.Result {
	return trace.Result{Policy: policy, Instance: inst, Status: status, Nodes: nodes, Seconds: secs}
}

// tiny is three policies on instances a, b, c; R has no row for b and c.
var tiny = []trace.Result{
	res("P", "a", "optimal", 10, 1), res("Q", "a", "infeasible", 20, 2), res("R", "a", "optimal", 5, 1),
	res("P", "b", "optimal", 40, 3), res("Q", "b", "optimal", 10, 2),
	res("P", "c", "time_limit", 100, 10), res("Q", "c", "optimal", 0, 5),
}

func checkCurves(t *testing.T, what string, got []Curve, want []Curve) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d curves, want %d: %+v", what, len(got), len(want), got)
	}
	close := func(a, b []float64) bool {
		return slices.EqualFunc(a, b, func(x, y float64) bool { return math.Abs(x-y) <= 1e-12*math.Max(1, math.Abs(y)) })
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Name != w.Name || !close(g.X, w.X) || !close(g.Y, w.Y) {
			t.Errorf("%s: curve %d = %+v, want %+v", what, i, g, w)
		}
	}
}

func TestSolvedOverTime(t *testing.T) {
	got, err := SolvedOverTime(tiny)
	if err != nil {
		t.Fatal(err)
	}
	checkCurves(t, "tiny", got, []Curve{
		{"P", []float64{1, 3}, []float64{1.0 / 3, 2.0 / 3}},
		{"Q", []float64{2, 5}, []float64{2.0 / 3, 1}}, // a (infeasible) and b both at 2 s
		{"R", []float64{1}, []float64{1.0 / 3}},       // b and c have no row: unsolved
	})

	// An instance nobody solves still counts; seeds make instances; NaN times are unsolved.
	rows := []trace.Result{
		res("P", "a", "optimal", 1, 0.5), res("P", "d", "time_limit", 1, 9),
		{Policy: "P", Instance: "a", Seed: 7, Status: "optimal", Seconds: math.NaN()},
		{Policy: "P", Instance: "a", Seed: 8, Status: "optimal", Seconds: 0.5},
	}
	got, err = SolvedOverTime(rows)
	if err != nil {
		t.Fatal(err)
	}
	checkCurves(t, "seeds", got, []Curve{{"P", []float64{0.5}, []float64{2.0 / 4}}})
}

func TestPerformanceProfile(t *testing.T) {
	// Nodes: best a = 5 (R), b = 10 (Q), c = 1 (Q's 0 nodes count as Nodes.Min = 1).
	got, err := PerformanceProfile(tiny, Nodes)
	if err != nil {
		t.Fatal(err)
	}
	checkCurves(t, "nodes", got, []Curve{
		{"P", []float64{2, 4}, []float64{1.0 / 3, 2.0 / 3}}, // a: 10/5, b: 40/10, c unsolved
		{"Q", []float64{1, 4}, []float64{2.0 / 3, 1}},       // a: 20/5, b and c best
		{"R", []float64{1}, []float64{1.0 / 3}},
	})
	// Time: best a = 1, b = 2, c = 5.
	got, err = PerformanceProfile(tiny, Time)
	if err != nil {
		t.Fatal(err)
	}
	checkCurves(t, "time", got, []Curve{
		{"P", []float64{1, 1.5}, []float64{1.0 / 3, 2.0 / 3}},
		{"Q", []float64{1, 2}, []float64{2.0 / 3, 1}},
		{"R", []float64{1}, []float64{1.0 / 3}},
	})

	// Times under Time.Min tie; an instance nobody solves lowers every curve.
	rows := []trace.Result{
		res("A", "x", "optimal", 1, 0.001), res("B", "x", "optimal", 1, 0.004),
		res("A", "y", "optimal", 1, 0.5), res("B", "y", "optimal", 1, 2),
		res("A", "z", "time_limit", 1, 9), res("B", "z", "node_limit", 1, 9),
	}
	got, err = PerformanceProfile(rows, Time)
	if err != nil {
		t.Fatal(err)
	}
	checkCurves(t, "min and unsolved", got, []Curve{
		{"A", []float64{1}, []float64{2.0 / 3}},
		{"B", []float64{1, 4}, []float64{1.0 / 3, 2.0 / 3}},
	})
}

func TestProfileBadRows(t *testing.T) {
	if _, err := PerformanceProfile(nil, Nodes); !errors.Is(err, ErrNoRows) {
		t.Errorf("no rows: %v", err)
	}
	dup := append(slices.Clone(tiny), res("Q", "b", "optimal", 1, 1))
	if _, err := SolvedOverTime(dup); !errors.Is(err, ErrDuplicate) {
		t.Errorf("duplicate: %v", err)
	}
}

func tr(run, phase string, epoch, step int64, loss float64) trace.Train {
	return trace.Train{Run: run, Phase: phase, Epoch: epoch, Step: step, Loss: loss}
}

func loss(r trace.Train) (float64, bool) { return r.Loss, true }

func TestTrainCurves(t *testing.T) {
	// A run killed during epoch 2 and resumed from the end of epoch 0
	// repeats epochs 1 and 2: the later rows count.
	rows := []trace.Train{
		tr("r", "train", 0, 10, 3), tr("r", "valid", 0, 10, 3.5),
		tr("r", "train", 1, 20, 2), tr("r", "valid", 1, 20, 2.5),
		tr("r", "train", 2, 30, 9),
		tr("r", "train", 1, 20, 2.1), tr("r", "valid", 1, 20, 2.4),
		tr("r", "train", 2, 30, 1), tr("r", "valid", 2, 30, math.NaN()),
	}
	rows[1].Top1 = trace.Float(0.5)
	if byStep(rows) {
		t.Fatal("one row per epoch plots against the step")
	}
	checkCurves(t, "loss", trainCurves(rows, false, loss), []Curve{
		{"train", []float64{0, 1, 2}, []float64{3, 2.1, 1}},
		{"valid", []float64{0, 1}, []float64{3.5, 2.4}}, // NaN left out
	})
	top1 := func(r trace.Train) (float64, bool) {
		if r.Top1 == nil {
			return 0, false
		}
		return *r.Top1, true
	}
	checkCurves(t, "top1", trainCurves(rows, false, top1), []Curve{{"valid", []float64{0}, []float64{0.5}}})

	// Two runs name curves run/phase; rows within an epoch plot against the step.
	rows = []trace.Train{
		tr("a", "train", 0, 10, 4), tr("a", "train", 0, 20, 3), tr("b", "train", 0, 10, 5), tr("a", "train", 1, 30, 2),
	}
	if !byStep(rows) {
		t.Fatal("several rows per epoch do not plot against the step")
	}
	checkCurves(t, "steps", trainCurves(rows, true, loss), []Curve{
		{"a/train", []float64{10, 20, 30}, []float64{4, 3, 2}},
		{"b/train", []float64{10}, []float64{5}},
	})
}

func TestTicks(t *testing.T) {
	for _, c := range []struct {
		lo, hi float64
		ticker gplot.Ticker
		want   []string
	}{
		{0, 29, linTicks{}, []string{"0", "5", "10", "15", "20", "25"}},
		{0.31, 2.9, linTicks{}, []string{"0.5", "1", "1.5", "2", "2.5"}},
		{0, 1.03, linTicks{}, []string{"0", "0.2", "0.4", "0.6", "0.8", "1"}},
		{-183, 34, linTicks{}, []string{"-150", "-100", "-50", "0"}},
		{1, 12.5, logTicks{}, []string{"1", "2", "5", "10"}},
		{0.03, 75, logTicks{}, []string{"0.05", "0.1", "0.2", "0.5", "1", "2", "5", "10", "20", "50"}},
		{1, 2, logTicks{}, []string{"1", "2"}},
		{0.001, 1e4, logTicks{}, []string{"0.001", "0.01", "0.1", "1", "10", "100", "1000", "10000"}},
	} {
		var got []string
		for _, tick := range c.ticker.Ticks(c.lo, c.hi) {
			if tick.Label != "" {
				got = append(got, tick.Label)
			}
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%T on [%v, %v]: labels %q, want %q", c.ticker, c.lo, c.hi, got, c.want)
		}
	}
}
