package nn_test

import (
	"math"
	"testing"

	"github.com/corl-go/corl/nn"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol*math.Max(1, math.Abs(b)) }

// TestSGDMomentumClosedForm runs SGD with momentum and weight decay on
// f(x) = ½x² and compares each iterate with the recurrence computed by hand.
func TestSGDMomentumClosedForm(t *testing.T) {
	b := nn.CPU64()
	x := nn.From(b, []float32{2}, 1).RequiresGrad()
	ps := []nn.Param{{Name: "x", Value: x}}
	opt := &nn.SGD{LR: nn.Constant(0.1), Momentum: 0.9, WeightDecay: 0.01}
	wx, wv := 2.0, 0.0
	for i := range 20 {
		nn.ZeroGrad(ps)
		nn.Backward(nn.Scale(nn.Sum(nn.Square(x)), 0.5))
		opt.Step(ps)
		g := wx + 0.01*wx
		wv = 0.9*wv + g
		wx -= 0.1 * wv
		if got := float64(x.Item()); !near(got, wx, 1e-6) {
			t.Fatalf("step %d: x = %.9g, want %.9g", i, got, wx)
		}
	}
}

// TestAdamWFirstSteps checks Adam's bias correction (the first step moves
// each parameter by lr·sign(g)) and AdamW's decoupled decay.
func TestAdamWFirstSteps(t *testing.T) {
	b := nn.CPU64()
	x := nn.From(b, []float32{1, -3, 0.5}, 3).RequiresGrad()
	ps := []nn.Param{{Name: "x", Value: x}}
	opt := &nn.Adam{LR: nn.Constant(0.01), WeightDecay: 0.1}
	nn.Backward(nn.Sum(nn.Mul(x, nn.From(b, []float32{2, 5, -1}, 3))))
	opt.Step(ps)
	want := []float64{1 - 0.01 - 0.01*0.1*1, -3 - 0.01 + 0.01*0.1*3, 0.5 + 0.01 - 0.01*0.1*0.5}
	for i, v := range x.Data() {
		if !near(float64(v), want[i], 1e-6) {
			t.Errorf("x[%d] = %.9g after one AdamW step, want %.9g", i, v, want[i])
		}
	}
}

func TestSchedules(t *testing.T) {
	c := nn.Cosine{Base: 1, Min: 0.1, Warmup: 10, Total: 110}
	for _, tc := range []struct {
		s    nn.Schedule
		step int
		want float64
	}{
		{c, 0, 0.1}, {c, 9, 1}, {c, 10, 1}, {c, 60, 0.55}, {c, 110, 0.1}, {c, 500, 0.1},
		{nn.StepDecay{Base: 1, Gamma: 0.5, Every: 10}, 25, 0.25},
		{nn.Constant(3), 7, 3},
	} {
		if got := tc.s.Rate(tc.step); !near(got, tc.want, 1e-12) {
			t.Errorf("%T at %d: %g, want %g", tc.s, tc.step, got, tc.want)
		}
	}
}

func TestClipping(t *testing.T) {
	b := nn.CPU()
	x := nn.From(b, []float32{3, 4}, 2).RequiresGrad()
	y := nn.From(b, []float32{0, 12}, 2).RequiresGrad()
	ps := []nn.Param{{Name: "x", Value: x}, {Name: "y", Value: y}}
	nn.Backward(nn.Add(nn.Sum(nn.Mul(x, nn.From(b, []float32{3, 4}, 2))), nn.Sum(nn.Mul(y, nn.From(b, []float32{0, 12}, 2)))))
	if n := nn.ClipGradNorm(ps, 6.5); !near(n, 13, 1e-6) {
		t.Fatalf("norm %g, want 13", n)
	}
	if g := x.Grad().Data(); !near(float64(g[0]), 1.5, 1e-6) || !near(float64(g[1]), 2, 1e-6) {
		t.Fatalf("clipped x gradient %v, want [1.5 2]", g)
	}
	nn.ClipGradValue(ps, 1.8)
	if g := y.Grad().Data(); g[1] != 1.8 {
		t.Fatalf("clipped y gradient %v, want [0 1.8]", g)
	}
}

// TestZeroOptimizersUseDefaults checks that the zero values are usable.
func TestZeroOptimizersUseDefaults(t *testing.T) {
	for _, opt := range []nn.Optimizer{&nn.SGD{}, &nn.Adam{}} {
		x := nn.From(nn.CPU64(), []float32{1}, 1).RequiresGrad()
		ps := []nn.Param{{Name: "x", Value: x}}
		nn.Backward(nn.Sum(x))
		opt.Step(ps)
		want := 1 - 0.01
		if _, ok := opt.(*nn.Adam); ok {
			want = 1 - 1e-3
		}
		if got := float64(x.Item()); !near(got, want, 1e-6) {
			t.Errorf("%T{}: x = %.9g after one step, want %.9g", opt, got, want)
		}
	}
}
