package backendtest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/corl-go/corl/nn"
)

// Input describes a leaf tensor of a case: its shape and how its values
// are drawn (uniform in [−1, 1] when Gen is nil).
type Input struct {
	Shape []int
	Gen   func(r *rand.Rand) float64
}

// Case is one checked computation. Build receives the inputs (needing
// gradients) on a backend, creates any parameters (whose gradients are
// checked too) and returns the forward computation over them, which the
// finite differences call again after each perturbation. Build must be
// deterministic: it runs on several backends and must create the same
// parameters on each.
type Case struct {
	Name   string
	Inputs []Input
	Build  func(b nn.Backend, in []*nn.Tensor) (forward func() *nn.Tensor, params []nn.Param)
	// Want is the forward oracle: the expected output computed in float64
	// from the input values and the parameters by name (as Build's params
	// name them), by code written for the suite from the operation's
	// definition, never by nn. Every case has one.
	Want func(in [][]float64, params map[string][]float64) []float64
	// Tol scales the default tolerances (1 when 0), for deep layers whose
	// float32 error grows with depth.
	Tol float64
}

// result is what one run of a case gives: output values and, per leaf
// (inputs then params), gradient values.
type result struct {
	out   []float64
	grads [][]float64
	names []string
}

func values(b nn.Backend, t *nn.Tensor) []float64 {
	if p, ok := b.(nn.Precise); ok {
		v := make([]float64, t.Len())
		p.Download64(v, t.Storage())
		return v
	}
	f := t.Data()
	v := make([]float64, len(f))
	for i, x := range f {
		v[i] = float64(x)
	}
	return v
}

// inputs draws the case's input values (float32-representable).
func inputs(c Case, seed uint64) [][]float32 {
	r := rand.New(rand.NewPCG(seed, 7))
	vals := make([][]float32, len(c.Inputs))
	for i, in := range c.Inputs {
		n := 1
		for _, d := range in.Shape {
			n *= d
		}
		vals[i] = make([]float32, n)
		for j := range vals[i] {
			if in.Gen != nil {
				vals[i][j] = float32(in.Gen(r))
			} else {
				vals[i][j] = float32(2*r.Float64() - 1)
			}
		}
	}
	return vals
}

// build creates the case on b and returns its leaves (inputs, then
// parameters) and the loss as a function of their current values.
func build(b nn.Backend, c Case, vals [][]float32) (leaves []*nn.Tensor, out func() (*nn.Tensor, *nn.Tensor)) {
	ins := make([]*nn.Tensor, len(vals))
	for i, v := range vals {
		ins[i] = nn.From(b, v, c.Inputs[i].Shape...).RequiresGrad()
	}
	forward, params := c.Build(b, ins)
	leaves = ins
	for _, p := range params {
		leaves = append(leaves, p.Value)
	}
	return leaves, func() (*nn.Tensor, *nn.Tensor) {
		y := forward()
		r := rand.New(rand.NewPCG(99, uint64(y.Len())))
		w := make([]float32, y.Len())
		for i := range w {
			w[i] = float32(2*r.Float64() - 1)
		}
		return y, nn.Sum(nn.Mul(y, nn.From(b, w, y.Shape()...)))
	}
}

func run(b nn.Backend, c Case, vals [][]float32) result {
	leaves, f := build(b, c, vals)
	out, loss := f()
	nn.Backward(loss)
	res := result{out: values(b, out)}
	for i, l := range leaves {
		g := make([]float64, l.Len())
		if l.Grad() != nil {
			g = values(b, l.Grad())
		}
		res.grads = append(res.grads, g)
		res.names = append(res.names, leafName(c, i))
	}
	return res
}

func leafName(c Case, i int) string {
	if i < len(c.Inputs) {
		return fmt.Sprintf("input %d", i)
	}
	return fmt.Sprintf("param %d", i-len(c.Inputs))
}

// checkOracle compares the reference backend's forward values with the
// case's oracle. The tolerance allows for the float32 constants (scales,
// eps, positions) the operations take; any error in the computation
// itself is far larger.
func checkOracle(t *testing.T, c Case, vals [][]float32) {
	t.Helper()
	if c.Want == nil {
		t.Errorf("%s: no forward oracle (Case.Want)", c.Name)
		return
	}
	ref := nn.CPU64()
	ins := make([]*nn.Tensor, len(vals))
	in64 := make([][]float64, len(vals))
	for i, v := range vals {
		ins[i] = nn.From(ref, v, c.Inputs[i].Shape...)
		in64[i] = values(ref, ins[i])
	}
	forward, params := c.Build(ref, ins)
	ps := make(map[string][]float64, len(params))
	for _, p := range params {
		ps[p.Name] = values(ref, p.Value)
	}
	compareTo(t, c.Name+": reference output", "oracle", values(ref, forward()), c.Want(in64, ps), 1e-6)
}

// maxChecked bounds the finite-difference checks per leaf tensor.
const maxChecked = 24

// checkFiniteDifferences compares the reference backend's gradients with
// central differences of the float64 loss.
func checkFiniteDifferences(t *testing.T, c Case, vals [][]float32) {
	ref := nn.CPU64()
	prec := ref.(nn.Precise)
	leaves, f := build(ref, c, vals)
	_, loss := f()
	nn.Backward(loss)
	lossAt := func() float64 {
		_, l := f()
		v := make([]float64, 1)
		prec.Download64(v, l.Storage())
		return v[0]
	}
	r := rand.New(rand.NewPCG(5, 5))
	for li, leaf := range leaves {
		x := make([]float64, leaf.Len())
		prec.Download64(x, leaf.Storage())
		an := make([]float64, leaf.Len())
		if leaf.Grad() != nil {
			prec.Download64(an, leaf.Grad().Storage())
		}
		idx := r.Perm(leaf.Len())
		if len(idx) > maxChecked {
			idx = idx[:maxChecked]
		}
		for _, j := range idx {
			h := 1e-6 * math.Max(1, math.Abs(x[j]))
			orig := x[j]
			x[j] = orig + h
			prec.Upload64(leaf.Storage(), x)
			fp := lossAt()
			x[j] = orig - h
			prec.Upload64(leaf.Storage(), x)
			fm := lossAt()
			x[j] = orig
			prec.Upload64(leaf.Storage(), x)
			fd := (fp - fm) / (2 * h)
			if d := math.Abs(fd - an[j]); d > 1e-5*math.Max(1, math.Max(math.Abs(fd), math.Abs(an[j]))) {
				t.Errorf("%s: %s[%d]: gradient %.9g, finite difference %.9g", c.Name, leafName(c, li), j, an[j], fd)
				return
			}
		}
	}
}

// Run checks backend b on every case of Cases.
func Run(t *testing.T, b nn.Backend) {
	t.Helper()
	for _, c := range Cases() {
		t.Run(c.Name, func(t *testing.T) { Check(t, b, c) })
	}
	t.Run("Adam", func(t *testing.T) { checkAdam(t, b) })
	t.Run("GCNNInference", func(t *testing.T) { checkGCNNInference(t, b) })
	t.Run("AllocFailure", func(t *testing.T) { checkAllocFailure(t, b) })
}

// Check runs the checks of one case on backend b.
func Check(t *testing.T, b nn.Backend, c Case) {
	vals := inputs(c, 1)
	checkOracle(t, c, vals)
	checkFiniteDifferences(t, c, vals)
	if b == nn.CPU64() {
		return
	}
	want := run(nn.CPU64(), c, vals)
	got := run(b, c, vals)
	tol := 1e-4
	if c.Tol != 0 {
		tol *= c.Tol
	}
	compare(t, c.Name+": output", got.out, want.out, tol)
	for i := range want.grads {
		compare(t, c.Name+": gradient of "+want.names[i], got.grads[i], want.grads[i], 10*tol)
	}
}

// compare reports the first element where got and want differ by more
// than tol relative to the larger of 1 and the tensor's largest |want|.
func compare(t *testing.T, what string, got, want []float64, tol float64) {
	t.Helper()
	compareTo(t, what, "reference", got, want, tol)
}

// compareTo is compare with want called wantName in the message.
func compareTo(t *testing.T, what, wantName string, got, want []float64, tol float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d values, want %d", what, len(got), len(want))
		return
	}
	scale := 1.0
	for _, w := range want {
		scale = math.Max(scale, math.Abs(w))
	}
	for i := range want {
		if math.Abs(got[i]-want[i]) > tol*scale || math.IsNaN(got[i]) != math.IsNaN(want[i]) {
			t.Errorf("%s[%d] = %.7g, %s %.7g (tolerance %.2g×%.3g)", what, i, got[i], wantName, want[i], tol, scale)
			return
		}
	}
}

// checkAdam compares one fused AdamW update against the reference.
func checkAdam(t *testing.T, b nn.Backend) {
	step := func(be nn.Backend) []float64 {
		r := rand.New(rand.NewPCG(3, 3))
		p := make([]float32, 1000)
		for i := range p {
			p[i] = float32(r.NormFloat64())
		}
		x := nn.From(be, p, len(p)).RequiresGrad()
		opt := nn.NewAdamW(1e-2, 0.1)
		ps := []nn.Param{{Name: "x", Value: x}}
		for range 3 {
			nn.ZeroGrad(ps)
			nn.Backward(nn.Sum(nn.Square(nn.Affine(x, 1, 0.5))))
			nn.ClipGradNorm(ps, 10)
			opt.Step(ps)
		}
		return values(be, x)
	}
	compare(t, "AdamW parameters", step(b), step(nn.CPU64()), 1e-5)
}
