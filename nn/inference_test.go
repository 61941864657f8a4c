package nn_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/corl-go/corl/nn"
)

// TestGCNNInferenceMatchesForward runs one inference runner over graphs
// that grow, shrink and come back, including one without edges and one
// with isolated variables, against the autodiff forward pass.
func TestGCNNInferenceMatchesForward(t *testing.T) {
	sizes := []struct {
		nv, nc  int
		density float64
	}{{30, 12, 0.3}, {5, 3, 0.5}, {80, 40, 0.1}, {12, 6, 0.02}, {4, 2, 0}, {30, 12, 0.3}, {81, 41, 0.15}}
	for _, be := range []nn.Backend{nn.CPU(), nn.CPU64()} {
		t.Run(be.Name(), func(t *testing.T) {
			g, err := nn.NewGCNN(be, rand.New(rand.NewPCG(6, 6)), nn.GCNNConfig{VarFeatures: 19, ConsFeatures: 5, EdgeFeatures: 1, Dim: 16})
			if err != nil {
				t.Fatal(err)
			}
			inf := g.Inference()
			r := rand.New(rand.NewPCG(7, 7))
			var dst []float32
			for i, s := range sizes {
				x := randomGraph(be, r, s.nv, s.nc, 19, 5, s.density)
				want := g.Forward(x).Data()
				got := inf.Forward(x)
				dst = inf.ForwardTo(dst, x)
				what := fmt.Sprintf("graph %d (%d vars, %d rows, %d edges)", i, s.nv, s.nc, x.Edges.Dim(0))
				if len(got) != len(want) || len(dst) != len(want) {
					t.Fatalf("%s: %d and %d logits, want %d", what, len(got), len(dst), len(want))
				}
				for j := range want {
					tol := 1e-5 * math.Max(1, math.Abs(float64(want[j])))
					if math.Abs(float64(got[j]-want[j])) > tol || got[j] != dst[j] {
						t.Fatalf("%s: logit %d: Forward %.8g, ForwardTo %.8g, autodiff %.8g", what, j, got[j], dst[j], want[j])
					}
				}
			}
		})
	}
}

// TestGCNNInferenceFollowsWeights checks that a runner reads the weights
// at each call rather than a copy taken when it was made.
func TestGCNNInferenceFollowsWeights(t *testing.T) {
	g := testGCNN(t, 8)
	inf := g.Inference()
	x := randomGraph(nn.CPU(), rand.New(rand.NewPCG(9, 9)), 10, 4, 19, 5, 0.4)
	before := inf.Forward(x)
	b := g.Head.Layers[1].Bias
	b.Set([]float32{b.Data()[0] + 1})
	after := inf.Forward(x)
	want := g.Forward(x).Data()
	for j := range before {
		if math.Abs(float64(after[j]-before[j]-1)) > 1e-5 || math.Abs(float64(after[j]-want[j])) > 1e-5 {
			t.Fatalf("logit %d: %g before raising the head's bias by 1, %g after, autodiff %g", j, before[j], after[j], want[j])
		}
	}
}

// gcnnInferenceAllocs is the most allocations one warmed-up ForwardTo may
// make on the CPU backend for a small graph. None is a buffer: each is the
// closure that one CPU kernel hands to its parallel loop, one for each of
// the 37 kernel calls other than matrix products (16 Binary, 9 Map,
// 4 Gather, 4 ScatterAdd, 2 Normalize and the 2 edge-feature products,
// which take the thin-K path). On large graphs gonum's parallel GEMM and
// the kernels' worker goroutines add their own, a number fixed by the
// graph's size.
const gcnnInferenceAllocs = 37

// gcnnInferenceProducts is the number of matrix products one ForwardTo
// hands to the BLAS. On OpenBLAS each allocates one block of 13 argument
// words (the variadic call into C), not a buffer.
const gcnnInferenceProducts = 20

// TestGCNNInferenceAllocs checks that a warmed-up runner allocates no
// buffers for a graph no larger than one it has seen.
func TestGCNNInferenceAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not kept under the race detector")
	}
	g := testGCNN(t, 10)
	inf := g.Inference()
	r := rand.New(rand.NewPCG(11, 11))
	big := randomGraph(nn.CPU(), r, 40, 20, 19, 5, 0.3)
	small := randomGraph(nn.CPU(), r, 30, 10, 19, 5, 0.2)
	dst := inf.ForwardTo(nil, big)
	allowed := gcnnInferenceAllocs
	if nn.CPUBLAS().Name == nn.BLASOpenBLAS {
		allowed += gcnnInferenceProducts
	}
	for _, x := range []*nn.Bipartite{big, small} {
		n := testing.AllocsPerRun(20, func() { dst = inf.ForwardTo(dst, x) })
		t.Logf("%d variables, %d edges: %.0f allocations per call", x.Vars.Dim(0), x.Edges.Dim(0), n)
		if n > float64(allowed) {
			t.Errorf("%d variables: %.0f allocations per call, want at most %d", x.Vars.Dim(0), n, allowed)
		}
	}
}
