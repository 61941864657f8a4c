package nn_test

import (
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"github.com/corl-go/corl/internal/nnbench"
	"github.com/corl-go/corl/nn"
)

// trunk is the layer stack of MuZero's networks: Linear, LayerNorm, ReLU,
// then an MLP head; the test network of the scope tests.
type trunk struct {
	lin  *nn.Linear
	norm *nn.LayerNorm
	head *nn.MLP
}

func newTrunk(t *testing.T, b nn.Backend, seed uint64) *trunk {
	r := rand.New(rand.NewPCG(seed, seed))
	head, err := nn.NewMLP(b, r, nn.MLPConfig{Sizes: []int{32, 32, 32, 5}})
	if err != nil {
		t.Fatal(err)
	}
	tr := &trunk{lin: nn.NewLinear(b, r, 12, 32, true), norm: nn.NewLayerNorm(b, 32), head: head}
	tr.norm.Weight.Set(slices.Repeat([]float32{0.5, 1.5}, 16))
	return tr
}

func (tr *trunk) forward(x *nn.Tensor) *nn.Tensor {
	return tr.head.Forward(nn.ReLU(tr.norm.Forward(tr.lin.Forward(x))))
}

func (tr *trunk) params() []nn.Param {
	ps := append(tr.lin.Params(), tr.norm.Params()...)
	return append(ps, tr.head.Params()...)
}

// TestNoGradMatchesTape checks that a forward pass in a NoGrad scope
// computes exactly what the recorded one does (the same kernels), records
// nothing, and still does after its buffers went round the pool.
func TestNoGradMatchesTape(t *testing.T) {
	for _, be := range []nn.Backend{nn.CPU(), nn.CPU64()} {
		t.Run(be.Name(), func(t *testing.T) {
			tr := newTrunk(t, be, 1)
			r := rand.New(rand.NewPCG(2, 2))
			sc := nn.NoGrad()
			for i := range 3 {
				x := nnbench.RandTensor(be, r, 64, 12)
				want := tr.forward(x)
				if !want.NeedsGrad() {
					t.Fatal("the recorded forward pass needs no gradient")
				}
				got := tr.forward(sc.In(x))
				if got.NeedsGrad() {
					t.Fatalf("call %d: the NoGrad forward pass recorded a graph", i)
				}
				if w, g := want.Data(), got.Data(); !slices.Equal(w, g) {
					t.Fatalf("call %d: NoGrad output %v, recorded %v", i, g[:5], w[:5])
				}
				if sc.Len() == 0 {
					t.Fatal("the scope owns no tensor")
				}
				sc.Release()
			}
		})
	}
}

// TestNoGradTargetIsConstant checks that a tensor computed in a NoGrad
// scope takes part in a training loss as a constant: the gradients are
// those of the same loss with a plain tensor of its values.
func TestNoGradTargetIsConstant(t *testing.T) {
	be := nn.CPU()
	tr := newTrunk(t, be, 3)
	r := rand.New(rand.NewPCG(4, 4))
	x, x2 := nnbench.RandTensor(be, r, 8, 12), nnbench.RandTensor(be, r, 8, 12)
	grads := func(target func() *nn.Tensor) [][]float32 {
		ps := tr.params()
		nn.ZeroGrad(ps)
		nn.Backward(nn.MSE(tr.forward(x), target()))
		var g [][]float32
		for _, p := range ps {
			g = append(g, p.Value.Grad().Data())
		}
		return g
	}
	sc := nn.NoGrad()
	got := grads(func() *nn.Tensor { return tr.forward(sc.In(x2)) })
	plain := nn.From(be, tr.forward(x2).Data(), 8, 5)
	want := grads(func() *nn.Tensor { return plain })
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Fatalf("parameter %d: gradient %v with a NoGrad target, %v with a constant", i, got[i][:3], want[i][:3])
		}
	}
}

// TestScopedStepsMatch trains the same networks with and without a scope
// released after each step: the weights must agree bit for bit, so no
// reused buffer leaks old values into a product, a reduction or a
// gradient. It runs the MLP-and-LayerNorm trunk and the GCNN.
func TestScopedStepsMatch(t *testing.T) {
	type run struct {
		ps   []nn.Param
		loss func(sc *nn.Scope) *nn.Tensor
	}
	mk := map[string]func() run{
		"trunk": func() run {
			tr := newTrunk(t, nn.CPU(), 5)
			r := rand.New(rand.NewPCG(6, 6))
			x, y := nnbench.RandTensor(nn.CPU(), r, 64, 12), nnbench.RandTensor(nn.CPU(), r, 64, 5)
			return run{tr.params(), func(sc *nn.Scope) *nn.Tensor {
				if sc != nil {
					x := sc.In(x)
					return nn.MSE(tr.forward(x), y)
				}
				return nn.MSE(tr.forward(x), y)
			}}
		},
		"gcnn": func() run {
			g := testGCNN(t, 7)
			x := randomGraph(nn.CPU(), rand.New(rand.NewPCG(8, 8)), 40, 20, 19, 5, 0.3)
			return run{g.Params(), func(sc *nn.Scope) *nn.Tensor {
				in := x
				if sc != nil {
					in = sc.InGraph(x)
				}
				return nn.CrossEntropyLabels(nn.Reshape(g.Forward(in), 1, -1), []int{3}, nil)
			}}
		},
	}
	for name, mk := range mk {
		t.Run(name, func(t *testing.T) {
			var weights [2][][]float32
			for k, sc := range []*nn.Scope{nil, nn.NewScope()} {
				rn := mk()
				opt := nn.NewAdam(1e-2)
				for range 4 {
					nn.ZeroGrad(rn.ps)
					loss := rn.loss(sc)
					nn.Backward(loss)
					opt.Step(rn.ps)
					if sc != nil {
						sc.Release()
					}
				}
				for _, p := range rn.ps {
					weights[k] = append(weights[k], p.Value.Data())
				}
			}
			for i := range weights[0] {
				if !slices.Equal(weights[0][i], weights[1][i]) {
					t.Fatalf("parameter %d differs after 4 steps with a released scope", i)
				}
			}
		})
	}
}

// allocatedPerRun returns the bytes f allocates per call on the Go heap,
// averaged over n calls after two warm-up calls (the first step makes
// the optimizer's moments, the second the gradient buffers ZeroGrad keeps).
func allocatedPerRun(n int, f func()) float64 {
	f()
	f()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	for range n {
		f()
	}
	runtime.ReadMemStats(&m1)
	return float64(m1.TotalAlloc-m0.TotalAlloc) / float64(n)
}

// TestScopeReusesBuffers checks what a released scope saves: a NoGrad MLP
// forward pass (3 x 256 at batch 256, 256 KiB per activation) and a
// training step allocate a few KiB of bookkeeping, not their activations
// and gradients (measured: 4.6 KiB and 20 KiB; 3.7 MB without a scope).
func TestScopeReusesBuffers(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not kept under the race detector")
	}
	be := nn.CPU()
	r := rand.New(rand.NewPCG(9, 9))
	m, err := nn.NewMLP(be, r, nn.MLPConfig{Sizes: []int{256, 256, 256, 256}})
	if err != nil {
		t.Fatal(err)
	}
	x, y := nnbench.RandTensor(be, r, 256, 256), nnbench.RandTensor(be, r, 256, 256)
	inf := nn.NoGrad()
	fwd := func() {
		m.Forward(inf.In(x))
		inf.Release()
	}
	ps := m.Params()
	opt := nn.NewAdam(1e-4)
	sc := nn.NewScope()
	step := func() {
		nn.ZeroGrad(ps)
		nn.Backward(nn.MSE(m.Forward(sc.In(x)), y))
		opt.Step(ps)
		sc.Release()
	}
	// Allowances: tensor headers, closures and kernel descriptions, plus
	// one small heap block per OpenBLAS call (purego); gonum's GEMM
	// allocates its own work queue per product (about 34 blocks, 3.5 KiB).
	for _, c := range []struct {
		name          string
		f             func()
		bytes, allocs float64
		products      int
	}{{"forward", fwd, 8 << 10, 40, 3}, {"step", step, 32 << 10, 250, 8}} {
		if nn.CPUBLAS().Name == nn.BLASGonum {
			c.bytes += float64(c.products * 4 << 10)
			c.allocs += float64(c.products) * 40
		}
		b := allocatedPerRun(10, c.f)
		n := testing.AllocsPerRun(10, c.f)
		t.Logf("%s: %.0f bytes, %.0f allocations per call", c.name, b, n)
		if b > c.bytes || n > c.allocs {
			t.Errorf("%s: %.0f bytes and %.0f allocations per call, want at most %.0f and %.0f", c.name, b, n, c.bytes, c.allocs)
		}
	}
}

// TestDetachOutlivesRelease checks that a detached tensor keeps its values
// when the scope that computed them is released and its buffers reused.
func TestDetachOutlivesRelease(t *testing.T) {
	be := nn.CPU()
	r := rand.New(rand.NewPCG(10, 10))
	x := nnbench.RandTensor(be, r, 32, 32)
	sc := nn.NoGrad()
	d := nn.Scale(sc.In(x), 2).Detach()
	want := d.Data()
	sc.Release()
	for range 3 {
		nn.Scale(sc.In(x), -5)
		nn.Scale(sc.In(x), 7)
	}
	if got := d.Data(); !slices.Equal(got, want) {
		t.Fatalf("detached values changed after release: %v, want %v", got[:3], want[:3])
	}
	sc.Release()
}

// TestPoolAllocZeroes checks the backend's pool: Alloc of a recycled
// storage is zero, AllocRaw reuses it, and a storage recycled twice is
// handed out once.
func TestPoolAllocZeroes(t *testing.T) {
	be, err := nn.NewCPU(nn.BLASGonum)
	if err != nil {
		t.Fatal(err)
	}
	rc := be.(nn.Recycler)
	s := be.Alloc(1000)
	be.Fill(s, 0, 1000, 3)
	rc.Recycle(s)
	rc.Recycle(s)
	z := be.Alloc(1000)
	if z != s {
		t.Fatal("Alloc did not reuse the recycled storage")
	}
	v := make([]float32, 1000)
	be.Download(v, z)
	for i, x := range v {
		if x != 0 {
			t.Fatalf("element %d of a reused storage is %g, want 0", i, x)
		}
	}
	if other := rc.AllocRaw(1000); other == s {
		t.Fatal("a storage recycled twice was handed out twice")
	}
	// A length of the same size class (1000 and 990 round up to 1024)
	// takes the buffer, zeroed and of the length asked.
	be.Fill(z, 0, 1000, 5)
	rc.Recycle(z)
	y := be.Alloc(990)
	if y != z || y.Len() != 990 {
		t.Fatalf("Alloc(990) after recycling 1000 elements: reused %v, length %d", y == z, y.Len())
	}
	v = make([]float32, 990)
	be.Download(v, y)
	for i, x := range v {
		if x != 0 {
			t.Fatalf("element %d of a reused storage is %g, want 0", i, x)
		}
	}
}
