package nn_test

import (
	"math/rand/v2"
	"testing"

	"github.com/corl-go/corl/internal/nnbench"
	"github.com/corl-go/corl/nn"
)

// benchWorkload times w on the default backend and reports its GEMM rate.
func benchWorkload(b *testing.B, w nnbench.Workload) {
	be, err := nn.Default()
	if err != nil {
		b.Fatal(err)
	}
	op, err := w.Setup(be)
	if err != nil {
		b.Fatal(err)
	}
	op()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		op()
	}
	b.ReportMetric(w.Flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
}

// BenchmarkSGEMM compares nn.MatMul with gonum's Sgemm called directly.
func BenchmarkSGEMM(b *testing.B) {
	for _, n := range nnbench.SGEMMSizes {
		b.Run("nn/n="+itoa(n), func(b *testing.B) { benchWorkload(b, nnbench.SGEMM(n)) })
		b.Run("gonum/n="+itoa(n), func(b *testing.B) { benchWorkload(b, nnbench.GonumSGEMM(n)) })
	}
}

// BenchmarkMLPStep times a training step and its matrix products alone;
// the ratio of the two is the autodiff overhead.
func BenchmarkMLPStep(b *testing.B) {
	b.Run("step", func(b *testing.B) { benchWorkload(b, nnbench.MLPStep()) })
	b.Run("matmuls", func(b *testing.B) { benchWorkload(b, nnbench.MLPMatmuls()) })
}

// BenchmarkGCNN times forward and backward of the GCNN on a set-cover graph.
func BenchmarkGCNN(b *testing.B) { benchWorkload(b, nnbench.GCNNStep()) }

func itoa(n int) string {
	s := ""
	for ; n > 0; n /= 10 {
		s = string(rune('0'+n%10)) + s
	}
	return s
}

// BenchmarkGCNNInference compares the two ways of running the GCNN
// forward for a decision on nnbench's set-cover graph (1000 variables, 500
// rows, 25,000 edges, dim 64), each ending with the logits on the host:
// GCNN.Forward, which records the autodiff graph, and GCNNInference,
// which records nothing and reuses its buffers.
func BenchmarkGCNNInference(b *testing.B) {
	be, err := nn.Default()
	if err != nil {
		b.Fatal(err)
	}
	g, err := nn.NewGCNN(be, rand.New(rand.NewPCG(3, 3)), nn.GCNNConfig{VarFeatures: 19, ConsFeatures: 5, EdgeFeatures: 1, Dim: 64})
	if err != nil {
		b.Fatal(err)
	}
	x := nnbench.SetCoverGraph(be)
	b.Run("autodiff", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			g.Forward(x).Data()
		}
	})
	b.Run("inference", func(b *testing.B) {
		inf := g.Inference()
		logits := inf.Forward(x)
		b.ReportAllocs()
		for b.Loop() {
			logits = inf.ForwardTo(logits, x)
		}
	})
}

// BenchmarkMLPForward times mlp-step's network's forward pass as a
// decision runs it (nnbench.MLPForward: NoGrad, buffers reused).
func BenchmarkMLPForward(b *testing.B) { benchWorkload(b, nnbench.MLPForward()) }

// BenchmarkGCNNForward times nnbench.GCNNForward (GCNNInference).
func BenchmarkGCNNForward(b *testing.B) { benchWorkload(b, nnbench.GCNNForward()) }
