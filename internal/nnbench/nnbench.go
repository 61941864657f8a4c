// Package nnbench holds the network workloads behind `go test -bench ./nn`
// and `corl bench nn`, so that both measure exactly the same thing.
package nnbench

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"

	"github.com/corl-go/corl/nn"
)

// Workload is one network benchmark. Flops counts the floating-point
// operations of its matrix products (2·m·n·k each); elementwise work is
// not counted, so Flops/time is a lower bound on the rate achieved.
type Workload struct {
	Name  string
	Unit  string
	Flops float64
	// Setup prepares the workload on backend b and returns one operation;
	// the operation waits for the backend to finish.
	Setup func(b nn.Backend) (op func(), err error)
}

// SGEMMSizes are the square matrix sizes of the SGEMM workloads.
var SGEMMSizes = []int{256, 512, 1024}

// RandTensor is a tensor of standard normal draws from r.
func RandTensor(b nn.Backend, r *rand.Rand, shape ...int) *nn.Tensor {
	n := 1
	for _, d := range shape {
		n *= d
	}
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return nn.From(b, v, shape...)
}

// SGEMM returns the workload C = A·B through nn.MatMul on n×n matrices,
// in a NoGrad scope released after each product, so that the result's
// buffer is the previous one's, as in a training step.
func SGEMM(n int) Workload {
	return Workload{
		Name: fmt.Sprintf("sgemm-%d", n), Unit: fmt.Sprintf("nn.MatMul of two %dx%d matrices (result reused through nn.Scope)", n, n),
		Flops: 2 * float64(n) * float64(n) * float64(n),
		Setup: func(b nn.Backend) (func(), error) {
			r := rand.New(rand.NewPCG(1, uint64(n)))
			x, y := RandTensor(b, r, n, n), RandTensor(b, r, n, n)
			sc := nn.NoGrad()
			return func() {
				nn.MatMul(sc.In(x), y)
				nn.Sync(b)
				sc.Release()
			}, nil
		},
	}
}

// KernelSize is the size of the Kernel workload.
const KernelSize = 1024

// Kernel returns the backend's own GEMM kernel on n×n matrices, called
// directly (no tensor, no autodiff) into a preallocated result: on the
// cpu backend the rate of OpenBLAS itself (or of gonum's Sgemm, when
// that is what the backend runs on). SGEMM(n) over Kernel(n) is what the
// tensor layer costs.
func Kernel(n int) Workload {
	return Workload{
		Name: fmt.Sprintf("gemm-%d", n), Unit: fmt.Sprintf("the backend's Gemm kernel on two %dx%d matrices into a preallocated result", n, n),
		Flops: 2 * float64(n) * float64(n) * float64(n),
		Setup: func(b nn.Backend) (func(), error) {
			r := rand.New(rand.NewPCG(1, uint64(n)))
			x, y, c := RandTensor(b, r, n, n), RandTensor(b, r, n, n), nn.New(b, n, n)
			g := &nn.Gemm{M: n, N: n, K: n, Alpha: 1, A: x.Storage(), LdA: n, B: y.Storage(), LdB: n, C: c.Storage(), LdC: n, Batch: 1}
			return func() {
				b.Gemm(g)
				nn.Sync(b)
			}, nil
		},
	}
}

// GonumSGEMM returns the reference workload: gonum's float32 GEMM called
// directly on n×n matrices (host memory; the backend is ignored).
func GonumSGEMM(n int) Workload {
	return Workload{
		Name: fmt.Sprintf("gonum-sgemm-%d", n), Unit: fmt.Sprintf("gonum Sgemm of two %dx%d matrices into a preallocated result", n, n),
		Flops: 2 * float64(n) * float64(n) * float64(n),
		Setup: func(nn.Backend) (func(), error) {
			r := rand.New(rand.NewPCG(1, uint64(n)))
			a, bb, c := make([]float32, n*n), make([]float32, n*n), make([]float32, n*n)
			for i := range a {
				a[i], bb[i] = float32(r.NormFloat64()), float32(r.NormFloat64())
			}
			return func() {
				gonum.Implementation{}.Sgemm(blas.NoTrans, blas.NoTrans, n, n, n, 1, a, n, bb, n, 0, c, n)
			}, nil
		},
	}
}

// MLP step dimensions: a 3-layer MLP of width 256 at batch 256.
const (
	mlpWidth = 256
	mlpBatch = 256
	mlpDepth = 3
)

// mlpGemms is the number of matrix products of one MLP training step:
// one per layer forward, one weight gradient per layer, and an input
// gradient for every layer but the first (its input needs none).
const mlpGemms = 3*mlpDepth - 1

// benchMLP builds the seeded MLP of the MLP workloads and returns it with
// the generator that drew its weights, to draw the inputs from.
func benchMLP(b nn.Backend) (*nn.MLP, *rand.Rand, error) {
	r := rand.New(rand.NewPCG(2, 2))
	sizes := make([]int, mlpDepth+1)
	for i := range sizes {
		sizes[i] = mlpWidth
	}
	m, err := nn.NewMLP(b, r, nn.MLPConfig{Sizes: sizes})
	return m, r, err
}

// MLPStep returns one training step (forward, MSE loss, backward, Adam)
// of a 3-layer ReLU MLP of width 256 at batch 256.
func MLPStep() Workload {
	return Workload{
		Name: "mlp-step", Unit: "forward, backward and Adam step of a 3-layer width-256 MLP at batch 256",
		Flops: mlpGemms * 2 * mlpWidth * mlpWidth * mlpBatch,
		Setup: func(b nn.Backend) (func(), error) {
			m, r, err := benchMLP(b)
			if err != nil {
				return nil, err
			}
			x, y := RandTensor(b, r, mlpBatch, mlpWidth), RandTensor(b, r, mlpBatch, mlpWidth)
			opt := nn.NewAdam(1e-4)
			ps := m.Params()
			sc := nn.NewScope()
			return func() {
				nn.ZeroGrad(ps)
				nn.Backward(nn.MSE(m.Forward(sc.In(x)), y))
				opt.Step(ps)
				nn.Sync(b)
				sc.Release()
			}, nil
		},
	}
}

// MLPForward returns the forward pass alone of MLPStep's network on the
// same batch.
func MLPForward() Workload {
	return Workload{
		Name: "mlp-fwd", Unit: "forward pass of mlp-step's network at batch 256 (nn.NoGrad, buffers reused)",
		Flops: mlpDepth * 2 * mlpWidth * mlpWidth * mlpBatch,
		Setup: func(b nn.Backend) (func(), error) {
			m, r, err := benchMLP(b)
			if err != nil {
				return nil, err
			}
			x := RandTensor(b, r, mlpBatch, mlpWidth)
			sc := nn.NoGrad()
			return func() {
				m.Forward(sc.In(x))
				nn.Sync(b)
				sc.Release()
			}, nil
		},
	}
}

// MLPMatmuls returns the matrix products of MLPStep alone, run as
// backend GEMM calls on preallocated buffers: the floor MLPStep is
// compared against (their ratio is the autodiff overhead).
func MLPMatmuls() Workload {
	return Workload{
		Name: "mlp-matmuls", Unit: fmt.Sprintf("the %d matrix products of mlp-step alone, into preallocated buffers", mlpGemms),
		Flops: mlpGemms * 2 * mlpWidth * mlpWidth * mlpBatch,
		Setup: func(b nn.Backend) (func(), error) {
			r := rand.New(rand.NewPCG(2, 2))
			w, bs := mlpWidth, mlpBatch
			x, wt, c := RandTensor(b, r, bs, w), RandTensor(b, r, w, w), nn.New(b, bs, w)
			dw := nn.New(b, w, w)
			return func() {
				for range mlpDepth { // forward: x·Wᵀ
					b.Gemm(&nn.Gemm{TransB: true, M: bs, N: w, K: w, Alpha: 1, A: x.Storage(), LdA: w, B: wt.Storage(), LdB: w, C: c.Storage(), LdC: w, Batch: 1})
				}
				for range mlpDepth { // weight gradients: dYᵀ·x
					b.Gemm(&nn.Gemm{TransA: true, M: w, N: w, K: bs, Alpha: 1, Beta: 1, A: c.Storage(), LdA: w, B: x.Storage(), LdB: w, C: dw.Storage(), LdC: w, Batch: 1})
				}
				for range mlpDepth - 1 { // input gradients: dY·W
					b.Gemm(&nn.Gemm{M: bs, N: w, K: w, Alpha: 1, Beta: 1, A: c.Storage(), LdA: w, B: wt.Storage(), LdB: w, C: x.Storage(), LdC: w, Batch: 1})
				}
				nn.Sync(b)
			}, nil
		},
	}
}

// Set-cover-sized bipartite graph of the GCNN workload.
const (
	gcnnVars  = 1000
	gcnnCons  = 500
	gcnnEdges = 25000
	gcnnDim   = 64
)

// SetCoverGraph returns a seeded bipartite graph of a 500x1000 set cover
// at density 0.05 (25,000 edges, each row covering 50 distinct columns),
// with NodeBipartite's feature counts (19 per variable, 5 per row, 1 per
// edge) drawn at random.
func SetCoverGraph(b nn.Backend) *nn.Bipartite {
	r := rand.New(rand.NewPCG(2026, 1))
	per := gcnnEdges / gcnnCons
	ci, vi := make([]int32, 0, gcnnEdges), make([]int32, 0, gcnnEdges)
	for c := range gcnnCons {
		for _, v := range r.Perm(gcnnVars)[:per] {
			ci, vi = append(ci, int32(c)), append(vi, int32(v))
		}
	}
	return &nn.Bipartite{
		Vars: RandTensor(b, r, gcnnVars, 19), Cons: RandTensor(b, r, gcnnCons, 5),
		Edges:   RandTensor(b, r, gcnnEdges, 1),
		ConsIdx: nn.NewIndex(b, ci), VarIdx: nn.NewIndex(b, vi),
	}
}

// gcnnFlops counts the matrix-product flops of one forward and backward
// pass of the GCNN on the set-cover graph: every product m·k·n of the
// forward pass costs 2mkn forward and 4mkn backward (input and weight
// gradients), except the first layers, whose inputs need no gradient.
func gcnnFlops() float64 {
	fwd, firstLayers := gcnnProducts()
	return 3*fwd - firstLayers
}

// gcnnForwardFlops counts the matrix-product flops of one forward pass.
func gcnnForwardFlops() float64 {
	fwd, _ := gcnnProducts()
	return fwd
}

// gcnnProducts returns the forward pass's matrix-product flops and those
// of its first layers, whose inputs need no gradient.
func gcnnProducts() (fwd, firstLayers float64) {
	d := float64(gcnnDim)
	nv, nc, ne := float64(gcnnVars), float64(gcnnCons), float64(gcnnEdges)
	add := func(m, k, n float64) { fwd += 2 * m * k * n }
	// Embeddings.
	add(nv, 19, d)
	add(nv, d, d)
	add(nc, 5, d)
	add(nc, d, d)
	firstLayers = 2*nv*19*d + 2*nc*5*d + 2*ne*1*d*2 // edge layers of both convolutions
	conv := func(ns, nt float64) {
		add(nt, d, d)   // target
		add(ns, d, d)   // source
		add(ne, 1, d)   // edge
		add(ne, d, d)   // final, per edge
		add(nt, 2*d, d) // output MLP
		add(nt, d, d)
	}
	conv(nv, nc)
	conv(nc, nv)
	add(nv, d, d) // head
	add(nv, d, 1)
	return fwd, firstLayers
}

// benchGCNN builds the seeded GCNN of the GCNN workloads and their graph.
func benchGCNN(b nn.Backend) (*nn.GCNN, *nn.Bipartite, error) {
	g, err := nn.NewGCNN(b, rand.New(rand.NewPCG(3, 3)), nn.GCNNConfig{VarFeatures: 19, ConsFeatures: 5, EdgeFeatures: 1, Dim: gcnnDim})
	if err != nil {
		return nil, nil, err
	}
	return g, SetCoverGraph(b), nil
}

// GCNNForward returns the GCNN's forward pass on SetCoverGraph as a
// branching policy runs it: through nn.GCNNInference, without autodiff,
// into reused buffers.
func GCNNForward() Workload {
	return Workload{
		Name: "gcnn-fwd", Unit: "forward pass of gcnn-step's network without autodiff (nn.GCNNInference)",
		Flops: gcnnForwardFlops(),
		Setup: func(b nn.Backend) (func(), error) {
			g, graph, err := benchGCNN(b)
			if err != nil {
				return nil, err
			}
			inf := g.Inference()
			var logits []float32
			return func() {
				logits = inf.ForwardTo(logits, graph)
			}, nil
		},
	}
}

// GCNNStep returns one forward and backward pass (no optimizer step) of
// the Gasse et al. GCNN (embedding size 64) on SetCoverGraph, with a
// cross-entropy loss over all variables.
func GCNNStep() Workload {
	return Workload{
		Name: "gcnn-step", Unit: "forward and backward of the GCNN (dim 64) on a 1000-variable, 500-row, 25,000-edge graph",
		Flops: gcnnFlops(),
		Setup: func(b nn.Backend) (func(), error) {
			g, graph, err := benchGCNN(b)
			if err != nil {
				return nil, err
			}
			ps := g.Params()
			sc := nn.NewScope()
			in := sc.InGraph(graph)
			return func() {
				nn.ZeroGrad(ps)
				logits := nn.Reshape(g.Forward(in), 1, -1)
				nn.Backward(nn.CrossEntropyLabels(logits, []int{7}, nil))
				nn.Sync(b)
				sc.Release()
			}, nil
		},
	}
}

// Workloads returns every network workload in reporting order.
func Workloads() []Workload {
	var ws []Workload
	for _, n := range SGEMMSizes {
		ws = append(ws, SGEMM(n), GonumSGEMM(n))
	}
	ws = append(ws, Kernel(KernelSize))
	return append(ws, MLPStep(), MLPForward(), MLPMatmuls(), GCNNStep(), GCNNForward())
}

// Peak returns the machine's nominal float32 peak over cores cores in
// GFLOP/s, and how it was computed, where the maximum clock can be read
// (Linux cpufreq) and the vector width is known from the CPU flags: AVX2
// with FMA does 32 float32 flops per cycle per core (two 8-lane FMA
// units), the rate OpenBLAS's AVX2 kernels can reach. It returns 0 and the
// reason where either is unknown.
func Peak(cores int) (float64, string) {
	flags, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return 0, "peak not readable: no /proc/cpuinfo"
	}
	if !strings.Contains(string(flags), " avx2") || !strings.Contains(string(flags), " fma") {
		return 0, "peak not known: no AVX2 with FMA"
	}
	khz, err := os.ReadFile("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq")
	if err != nil {
		return 0, "peak not readable: no cpufreq maximum clock (a virtual machine?)"
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(string(khz)), 64)
	if err != nil || f <= 0 {
		return 0, "peak not readable: bad cpufreq maximum clock"
	}
	ghz := f / 1e6
	return float64(cores) * ghz * 32, fmt.Sprintf("%d cores x %.2f GHz x 32 flop/cycle (AVX2 FMA)", cores, ghz)
}
