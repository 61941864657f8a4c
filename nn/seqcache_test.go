package nn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// Extending a cache position by position gives Forward's output at every
// position of the whole sequence, and a cache shared by two extensions
// serves both (a tree's branches).
func TestSequenceExtendMatchesForward(t *testing.T) {
	b := CPU()
	rng := rand.New(rand.NewPCG(4, 2))
	for _, c := range []SequenceConfig{{In: 6, Dim: 8, Heads: 2, Layers: 1, MaxLen: 32}, {In: 5, Dim: 12, Heads: 3, Layers: 2, MaxLen: 16}} {
		m, err := NewSequenceModel(b, rng, c)
		if err != nil {
			t.Fatal(err)
		}
		n := c.MaxLen
		x := make([]float32, n*c.In)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		sc := NoGrad()
		want := m.Forward(sc.In(From(b, x, 1, n, c.In))).Data()
		sc.Release()
		var cache, mid *SequenceCache
		for p := range n {
			out, next := m.Extend(cache, x[p*c.In:(p+1)*c.In])
			for j, v := range out {
				if w := want[p*c.Dim+j]; math.Abs(float64(v-w)) > 1e-6 {
					t.Fatalf("%+v: position %d feature %d: extended %v, forward %v", c, p, j, v, w)
				}
			}
			if next.Len() != p+1 {
				t.Fatalf("cache of %d positions after %d", next.Len(), p+1)
			}
			if p == n/2 {
				mid = cache
			}
			cache = next
		}
		// A sibling branch from the middle: the shared prefix is unchanged.
		y := append([]float32(nil), x[:(n/2+1)*c.In]...)
		for i := n / 2 * c.In; i < len(y); i++ {
			y[i] = float32(rng.NormFloat64())
		}
		sc = NoGrad()
		wantY := m.Forward(sc.In(From(b, y, 1, n/2+1, c.In))).Data()
		sc.Release()
		out, _ := m.Extend(mid, y[n/2*c.In:])
		for j, v := range out {
			if w := wantY[n/2*c.Dim+j]; math.Abs(float64(v-w)) > 1e-6 {
				t.Fatalf("%+v: sibling feature %d: extended %v, forward %v", c, j, v, w)
			}
		}
	}
}
