package backendtest

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/corl-go/corl/nn"
)

// checkGCNNInference runs one GCNNInference over graphs of several sizes
// (growing, shrinking, with isolated nodes, without edges) and compares
// its logits with GCNN.Forward on the same backend: inference calls the
// kernels directly, on buffers larger than the graph once it has seen a
// larger one, which no case of the suite does.
func checkGCNNInference(t *testing.T, b nn.Backend) {
	g, err := nn.NewGCNN(b, rand.New(rand.NewPCG(17, 19)), nn.GCNNConfig{VarFeatures: 4, ConsFeatures: 3, EdgeFeatures: 2, Dim: 8})
	if err != nil {
		t.Fatal(err)
	}
	inf := g.Inference()
	r := rand.New(rand.NewPCG(23, 29))
	for i, s := range []struct {
		nv, nc  int
		density float64
	}{{20, 9, 0.3}, {7, 4, 0.15}, {5, 3, 0}, {24, 10, 0.2}} {
		x := randomGraph(b, r, s.nv, s.nc, 4, 3, 2, s.density)
		want := values(b, g.Forward(x))
		got := inf.Forward(x)
		gv := make([]float64, len(got))
		for j, v := range got {
			gv[j] = float64(v)
		}
		compareTo(t, fmt.Sprintf("GCNN inference on graph %d (%d variables, %d rows, %d edges)", i, s.nv, s.nc, x.Edges.Dim(0)),
			"GCNN.Forward", gv, want, 1e-4)
	}
}

// randomGraph returns a bipartite graph of nv variables and nc rows with
// fv, fc and fe features, each pair joined with probability density.
func randomGraph(b nn.Backend, r *rand.Rand, nv, nc, fv, fc, fe int, density float64) *nn.Bipartite {
	draw := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(r.NormFloat64())
		}
		return v
	}
	var ci, vi []int32
	for c := range nc {
		for v := range nv {
			if r.Float64() < density {
				ci, vi = append(ci, int32(c)), append(vi, int32(v))
			}
		}
	}
	return &nn.Bipartite{
		Vars: nn.From(b, draw(nv*fv), nv, fv), Cons: nn.From(b, draw(nc*fc), nc, fc),
		Edges:   nn.From(b, draw(len(ci)*fe), len(ci), fe),
		ConsIdx: nn.NewIndex(b, ci), VarIdx: nn.NewIndex(b, vi),
	}
}
