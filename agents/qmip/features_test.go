package qmip

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/corl-go/corl/envs/bandits"
	"github.com/corl-go/corl/internal/highstest"
)

// Under the product layout the MIP's argmax is still the brute-force
// maximum of Q over all feasible actions, on every family, and the
// network folded for a state agrees with the product network on every
// action of that state.
func TestProductFeaturesBruteForce(t *testing.T) {
	highstest.Need(t)
	ctx := context.Background()
	for _, fam := range bandits.Families() {
		t.Run(fam, func(t *testing.T) {
			for trial := range 4 {
				rng := rand.New(rand.NewPCG(uint64(trial), 29))
				in := instance(t, fam, 5+trial, 2+trial%2, uint64(trial))
				net := randomNet(rng, 1, NumInputsOf(in, FeaturesProduct), 6, 5, 1)
				net.Features = FeaturesProduct
				sel, err := NewSelector(in, SelectConfig{Gap: 1e-9})
				if err != nil {
					t.Fatal(err)
				}
				defer sel.Close()
				actions := feasibleActions(t, in)
				for range 3 {
					states := randomStates(rng, in.J)
					folded, err := plain(in, net, states)
					if err != nil {
						t.Fatal(err)
					}
					best := math.Inf(-1)
					for _, a := range actions {
						q := net.Forward(InputOf(in, FeaturesProduct, states, a, nil), nil)
						if f := folded.Forward(Input(in, states, a, nil), nil); math.Abs(f-q) > 1e-9 {
							t.Fatalf("folded network %g, product network %g at %v, %v", f, q, states, a)
						}
						best = max(best, q)
					}
					c, err := sel.Best(ctx, net, states)
					if err != nil {
						t.Fatal(err)
					}
					if math.Abs(c.Q-best) > 1e-6*max(1, math.Abs(best)) {
						t.Fatalf("trial %d: MIP's action %v has Q %.9g, brute force max %.9g", trial, c.Action, c.Q, best)
					}
				}
			}
		})
	}
}

// The product inputs hold, per arm, its activity at its state's slot:
// checked by hand on an interventions instance, where an arm's activity
// is the share of its linked interventions that are on.
func TestProductInputByHand(t *testing.T) {
	in := instance(t, bandits.Interventions, 4, 2, 1)
	in.Links = [][]int{{0}, {0, 1}, {1, 2}, {2}}
	states := []int{3, 0, 2, 1}
	x := InputOf(in, FeaturesProduct, states, bandits.ActionOf(0, 2), nil)
	nv := in.NumVars()
	if len(x) != nv+8*in.J {
		t.Fatalf("%d inputs, want %d", len(x), nv+8*in.J)
	}
	want := map[int]float64{0 + 3: 1, 4 + 0: 0.5, 8 + 2: 0.5, 12 + 1: 1}
	for k := range 4 * in.J {
		if got := x[nv+k]; got != want[k] {
			t.Errorf("product input %d (arm %d, state %d) = %g, want %g", k, k/4, k%4, got, want[k])
		}
	}
	if got := x[nv+4*in.J:]; got[3] != 1 || got[4] != 1 || got[10] != 1 || got[13] != 1 {
		t.Errorf("state one-hot %v", got)
	}
}

// With a linear skip term, under both layouts, the MIP's argmax is still
// the brute-force maximum of Q over all feasible actions on every family;
// with the ReLU part's output weights zero the MIP has no binary (every
// neuron unread) and its argmax is the skip term's.
func TestSkipBruteForce(t *testing.T) {
	highstest.Need(t)
	ctx := context.Background()
	for _, fam := range bandits.Families() {
		for _, layout := range []string{FeaturesPlain, FeaturesProduct} {
			t.Run(fam+"/"+layout, func(t *testing.T) {
				for trial := range 4 {
					rng := rand.New(rand.NewPCG(uint64(trial), 31))
					in := instance(t, fam, 5+trial, 2+trial%2, uint64(trial))
					n := NumInputsOf(in, layout)
					net := randomNet(rng, 1, n, 6, 5, 1)
					net.Features = layout
					net.Skip = make([]float64, n)
					for k := range net.Skip {
						net.Skip[k] = 2*rng.Float64() - 1
					}
					zero := net
					zero.Layers = append([]Layer(nil), net.Layers...)
					zero.Layers[2] = Layer{W: [][]float64{make([]float64, 5)}, B: []float64{0.25}}
					sel, err := NewSelector(in, SelectConfig{Gap: 1e-9})
					if err != nil {
						t.Fatal(err)
					}
					defer sel.Close()
					actions := feasibleActions(t, in)
					for k := range 4 {
						states := randomStates(rng, in.J)
						nn := net
						if k%2 == 1 {
							nn = zero
						}
						best := math.Inf(-1)
						for _, a := range actions {
							best = max(best, nn.Forward(InputOf(in, layout, states, a, nil), nil))
						}
						c, err := sel.Best(ctx, nn, states)
						if err != nil {
							t.Fatal(err)
						}
						if math.Abs(c.Q-best) > 1e-6*max(1, math.Abs(best)) {
							t.Fatalf("trial %d: MIP's action %v has Q %.9g, brute force max %.9g", trial, c.Action, c.Q, best)
						}
						if k%2 == 1 && (c.Enc.Binaries != 0 || c.Enc.Unused != 11) {
							t.Fatalf("zero ReLU part: %+v, want no binary and 11 unread neurons", c.Enc)
						}
					}
				}
			})
		}
	}
}
