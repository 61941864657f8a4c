package qmip

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/corl-go/corl/envs/bandits"
	"github.com/corl-go/corl/internal/highstest"
	"github.com/corl-go/corl/solver"
)

// randomNet draws a ReLU network with the given sizes and weights and
// biases uniform in ±scale.
func randomNet(rng *rand.Rand, scale float64, sizes ...int) Net {
	var n Net
	for l := 1; l < len(sizes); l++ {
		ly := Layer{W: make([][]float64, sizes[l]), B: make([]float64, sizes[l])}
		for i := range ly.W {
			ly.W[i] = make([]float64, sizes[l-1])
			for k := range ly.W[i] {
				ly.W[i][k] = scale * (2*rng.Float64() - 1)
			}
			ly.B[i] = scale * (2*rng.Float64() - 1)
		}
		n.Layers = append(n.Layers, ly)
	}
	return n
}

func randomStates(rng *rand.Rand, j int) []int {
	s := make([]int, j)
	for i := range s {
		s[i] = rng.IntN(bandits.NumStates)
	}
	return s
}

// feasibleActions enumerates every feasible action of a small instance.
func feasibleActions(t *testing.T, in *bandits.Instance) []bandits.Action {
	t.Helper()
	nv := in.NumVars()
	var out []bandits.Action
	for mask := range uint64(1) << nv {
		a := bandits.Action{mask, 0}
		ok, err := in.Feasible(a)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			out = append(out, a)
		}
	}
	return out
}

func instance(t *testing.T, family string, j, b int, seed uint64) *bandits.Instance {
	t.Helper()
	in, err := bandits.Generate(bandits.Config{Family: family, J: j, B: b}, rand.New(rand.NewPCG(seed, 3)))
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// The MIP's argmax is the brute-force maximum of Q over all feasible
// actions, on every family, for random networks and states, with
// propagated and with LP-tightened bounds (each choice after the first
// starting from the one before).
func TestBestIsBruteForceMax(t *testing.T) {
	highstest.Need(t)
	ctx := context.Background()
	for _, tighten := range []string{TightenNone, TightenLP} {
		for _, fam := range bandits.Families() {
			t.Run(tighten+"/"+fam, func(t *testing.T) { bruteForce(ctx, t, fam, tighten) })
		}
	}
}

func bruteForce(ctx context.Context, t *testing.T, fam, tighten string) {
	lps := 0
	for trial := range 6 {
		rng := rand.New(rand.NewPCG(uint64(trial), 17))
		j := 5 + trial%5 // 5..9 arms
		in := instance(t, fam, j, 2+trial%2, uint64(trial))
		if in.NumVars() > 12 {
			t.Fatalf("%d action variables: too many to enumerate", in.NumVars())
		}
		net := randomNet(rng, 1, NumInputs(in), 6, 5, 1)
		sel, err := NewSelector(in, SelectConfig{Gap: 1e-9, Tighten: tighten})
		if err != nil {
			t.Fatal(err)
		}
		defer sel.Close()
		actions := feasibleActions(t, in)
		for k := range 3 {
			states := randomStates(rng, in.J)
			best := math.Inf(-1)
			for _, a := range actions {
				best = max(best, net.Forward(Input(in, states, a, nil), nil))
			}
			c, err := sel.Best(ctx, net, states)
			if err != nil {
				t.Fatal(err)
			}
			if ok, err := in.Feasible(c.Action); err != nil || !ok {
				t.Fatalf("infeasible action %v (%v)", c.Action, err)
			}
			if c.Started != (k > 0) || tighten == TightenNone && c.LPs != 0 {
				t.Fatalf("choice %d: started %v, %d LPs", k, c.Started, c.LPs)
			}
			lps += c.LPs
			if math.Abs(c.Q-best) > 1e-6*max(1, math.Abs(best)) {
				t.Fatalf("trial %d: MIP's action %v has Q %.9g, brute force max %.9g (%d feasible actions, %+v)", trial, c.Action, c.Q, best, len(actions), c.Enc)
			}
		}
	}
	if tighten == TightenLP && lps == 0 {
		t.Fatal("no bound was tightened by an LP: the test checks nothing of that path")
	}
}

// Propagated bounds contain every pre-activation seen on random inputs in
// the domain (binary actions of at most card ones, the fixed state).
func TestBoundsContainActivations(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for trial := range 20 {
		nAct, nFix := 3+trial%7, 4+trial%5
		net := randomNet(rng, 2, nAct+nFix, 7, 9, 4, 1)
		fixed := make([]float64, nFix)
		for k := range fixed {
			fixed[k] = float64(rng.IntN(2))
		}
		card := 1 + rng.IntN(nAct)
		bd := net.Propagate(nAct, fixed, card)
		x := make([]float64, nAct+nFix)
		copy(x[nAct:], fixed)
		for range 200 {
			clear(x[:nAct])
			for _, k := range rng.Perm(nAct)[:rng.IntN(card+1)] {
				x[k] = 1
			}
			var acts [][]float64
			net.Forward(x, &acts)
			for l, z := range acts {
				for i, v := range z {
					if v < bd.Lo[l][i]-1e-9 || v > bd.Hi[l][i]+1e-9 {
						t.Fatalf("trial %d layer %d neuron %d: %g outside [%g, %g]", trial, l, i, v, bd.Lo[l][i], bd.Hi[l][i])
					}
				}
			}
		}
	}
}

// The first layer's bounds are exact over the box: some binary input
// reaches each end.
func TestFirstLayerBoundsAreTight(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	net := randomNet(rng, 1, 6, 4, 1)
	bd := net.Propagate(6, nil, 0)
	for i, row := range net.Layers[0].W {
		lo, hi := net.Layers[0].B[i], net.Layers[0].B[i]
		for _, w := range row {
			lo += min(w, 0)
			hi += max(w, 0)
		}
		if math.Abs(lo-bd.Lo[0][i]) > 1e-12 || math.Abs(hi-bd.Hi[0][i]) > 1e-12 {
			t.Fatalf("neuron %d: [%g, %g], want [%g, %g]", i, bd.Lo[0][i], bd.Hi[0][i], lo, hi)
		}
	}
}

// A network whose every neuron is provably on or off adds no binaries (and
// no columns) to the fragment, and still finds the brute-force maximum.
func TestStableNetworkAddsNoBinaries(t *testing.T) {
	highstest.Need(t)
	in := instance(t, bandits.Capacity, 8, 3, 2)
	rng := rand.New(rand.NewPCG(9, 9))
	net := randomNet(rng, 1, NumInputs(in), 6, 5, 1)
	for l := range net.Layers[:len(net.Layers)-1] { // layer 0: on; layer 1: off
		for i := range net.Layers[l].W {
			for k := range net.Layers[l].W[i] {
				net.Layers[l].W[i][k] = math.Abs(net.Layers[l].W[i][k])
			}
			net.Layers[l].B[i] = 0.1
			if l == 1 {
				net.Layers[l].B[i] = -100
			}
		}
	}
	sel, err := NewSelector(in, SelectConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer sel.Close()
	states := randomStates(rng, in.J)
	m, _, enc, err := sel.Model(net, states)
	if err != nil {
		t.Fatal(err)
	}
	if enc.Binaries != 0 || enc.StableOn != 6 || enc.StableOff != 5 {
		t.Fatalf("encoding %+v, want 0 binaries, 6 on, 5 off", enc)
	}
	var b = fragmentCols(t, in)
	if m.NumCols() != b {
		t.Fatalf("%d columns, the fragment alone has %d", m.NumCols(), b)
	}
	c, err := sel.Best(context.Background(), net, states)
	if err != nil {
		t.Fatal(err)
	}
	best := math.Inf(-1)
	for _, a := range feasibleActions(t, in) {
		best = max(best, net.Forward(Input(in, states, a, nil), nil))
	}
	if math.Abs(c.Q-best) > 1e-6 {
		t.Fatalf("Q %g, brute force %g", c.Q, best)
	}
}

// A constant big-M gives the same optimum with a binary for every neuron.
func TestBigMAgrees(t *testing.T) {
	highstest.Need(t)
	in := instance(t, bandits.Scheduling, 8, 2, 4)
	rng := rand.New(rand.NewPCG(4, 4))
	net := randomNet(rng, 1, NumInputs(in), 6, 5, 1)
	states := randomStates(rng, in.J)
	var qs [2]float64
	for k, m := range []float64{0, 1e3} {
		sel, err := NewSelector(in, SelectConfig{BigM: m, Gap: 1e-9})
		if err != nil {
			t.Fatal(err)
		}
		c, err := sel.Best(context.Background(), net, states)
		sel.Close()
		if err != nil {
			t.Fatal(err)
		}
		if m > 0 && c.Enc.Binaries != 11 {
			t.Fatalf("big-M: %d binaries, want 11", c.Enc.Binaries)
		}
		qs[k] = c.Q
	}
	if math.Abs(qs[0]-qs[1]) > 1e-6 {
		t.Fatalf("propagated bounds %g, big-M %g", qs[0], qs[1])
	}
}

func fragmentCols(t *testing.T, in *bandits.Instance) int {
	t.Helper()
	var b solver.Builder
	in.AppendFragment(&b)
	return b.NumCols()
}

// ForwardRows gives Forward's values to the bit, for networks of uneven
// widths, batches of one to five inputs, and a scratch reused from a
// larger call; a call with enough scratch allocates nothing.
func TestForwardRowsIsForward(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 21))
	var scratch []float64
	for _, sizes := range [][]int{{4, 1}, {6, 9, 3, 1}, {5, 16, 16, 1}, {3, 2, 7, 1}} {
		n := randomNet(rng, 1, sizes...)
		for rows := 1; rows <= 5; rows++ {
			xs := make([][]float64, rows)
			for r := range xs {
				xs[r] = make([]float64, sizes[0])
				for k := range xs[r] {
					xs[r][k] = 2*rng.Float64() - 1
				}
			}
			got := make([]float64, rows)
			scratch = n.ForwardRows(got, xs, scratch)
			for r, x := range xs {
				if want := n.Forward(x, nil); got[r] != want {
					t.Fatalf("sizes %v, %d rows: row %d gives %v, Forward %v", sizes, rows, r, got[r], want)
				}
			}
			if allocs := testing.AllocsPerRun(10, func() { scratch = n.ForwardRows(got, xs, scratch) }); allocs != 0 {
				t.Errorf("sizes %v: %.0f allocations per call with enough scratch", sizes, allocs)
			}
		}
	}
}
