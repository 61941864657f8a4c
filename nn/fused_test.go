package nn_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/corl-go/corl/internal/nnbench"
	"github.com/corl-go/corl/nn"
)

// TestEdgeMessagesKernel checks the fused message kernel against the
// separate kernels it replaces (two gathers, the thin product, the ReLU,
// the scatter-sum), for one and three edge features, writing the messages,
// their sums, or both.
func TestEdgeMessagesKernel(t *testing.T) {
	for _, be := range []nn.Backend{nn.CPU(), nn.CPU64()} {
		em, ok := be.(nn.EdgeMessenger)
		if !ok {
			t.Fatalf("%s has no fused message kernel", be.Name())
		}
		for _, fe := range []int{1, 3} {
			t.Run(fmt.Sprintf("%s/fe=%d", be.Name(), fe), func(t *testing.T) {
				r := rand.New(rand.NewPCG(12, uint64(fe)))
				const nt, ns, ne, d = 7, 9, 200, 24
				tt, ss := nnbench.RandTensor(be, r, nt, d), nnbench.RandTensor(be, r, ns, d)
				e, we := nnbench.RandTensor(be, r, ne, fe), nnbench.RandTensor(be, r, d, fe)
				dsti, srci := make([]int32, ne), make([]int32, ne)
				for k := range dsti {
					dsti[k], srci[k] = int32(r.IntN(nt)), int32(r.IntN(ns))
				}
				dst, src := be.Index(dsti), be.Index(srci)
				// The separate kernels.
				want, wantSum := be.Alloc(ne*d), be.Alloc(nt*d)
				be.Gather(want, tt.Storage(), dst, ne, d, false)
				be.Gather(want, ss.Storage(), src, ne, d, true)
				be.Gemm(&nn.Gemm{TransB: true, M: ne, N: d, K: fe, Alpha: 1, Beta: 1, A: e.Storage(), LdA: fe, B: we.Storage(), LdB: fe, C: want, LdC: d, Batch: 1})
				be.Map(nn.MapReLU, want, want, ne*d, 0, 0)
				be.ScatterAdd(wantSum, want, dst, ne, d)
				for _, mode := range []string{"messages", "sums", "both"} {
					var m, sum nn.Storage
					if mode != "sums" {
						m = be.Alloc(ne * d)
					}
					if mode != "messages" {
						sum = be.Alloc(nt * d)
					}
					if !em.EdgeMessages(m, sum, tt.Storage(), ss.Storage(), e.Storage(), we.Storage(), dst, src, ne, d, fe) {
						t.Fatalf("%s: the kernel declined", mode)
					}
					if m != nil {
						closeTo(t, mode+": messages", download(be, m), download(be, want))
					}
					if sum != nil {
						closeTo(t, mode+": sums", download(be, sum), download(be, wantSum))
					}
				}
			})
		}
	}
}

func download(be nn.Backend, s nn.Storage) []float32 {
	v := make([]float32, s.Len())
	be.Download(v, s)
	return v
}

// closeTo fails at the first element more than float32 rounding apart.
func closeTo(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Abs(float64(got[i]-want[i])) > 1e-6*math.Max(1, math.Abs(float64(want[i]))) {
			t.Fatalf("%s: element %d is %v, want %v", what, i, got[i], want[i])
		}
	}
}
