package muzero

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/corl-go/corl/envs/malloc"
	"github.com/corl-go/corl/nn"
)

// tinyInstance is a random memory-mapping instance small enough to solve
// by enumeration.
func tinyInstance(rng *rand.Rand, buffers int) *malloc.Instance {
	in := &malloc.Instance{Name: "tiny", Capacity: int64(3 + rng.IntN(4))}
	for i := range buffers {
		s := int64(rng.IntN(5))
		b := malloc.Buffer{ID: i, Start: s, End: s + 1 + int64(rng.IntN(4)), Size: int64(1 + rng.IntN(4)), Uses: 2 + rng.IntN(3)}
		b.Benefit = 1 + 9*rng.Float64() // unrelated to size, so greedy rules go wrong
		in.Buffers = append(in.Buffers, b)
	}
	return in
}

// bruteForce returns the best fraction of the total benefit over every
// sequence of legal actions.
func bruteForce(g *malloc.Env) float64 {
	if g.Done() {
		return g.Metric()
	}
	best := 0.0
	for _, a := range g.Legal() {
		c := g.Clone()
		if _, err := c.Step(a); err != nil {
			panic(err)
		}
		best = max(best, bruteForce(c))
	}
	return best
}

// playSearch plays a game to its end with a search from every state.
func playSearch(t *testing.T, in *malloc.Instance, cfg SearchConfig, rng *rand.Rand) float64 {
	t.Helper()
	g, err := malloc.New(in, malloc.Config{})
	if err != nil {
		t.Fatal(err)
	}
	obs, err := g.Reset(0)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSearch(cfg, 1, malloc.NumActions)
	if err != nil {
		t.Fatal(err)
	}
	m := NewTrue[malloc.Obs, *malloc.Env](malloc.NumActions, &BestFitRollout{})
	var res Result
	for !g.Done() {
		m.SetRoots([]*malloc.Env{g}, []malloc.Obs{obs})
		if err := s.Run(context.Background(), m, rng, &res); err != nil {
			t.Fatal(err)
		}
		st, err := g.Step(res.Action[0])
		if err != nil {
			t.Fatal(err)
		}
		obs = st.Obs
	}
	return g.Metric()
}

// TestTrueModelFindsOptimum: with the true model (best-fit rollouts as
// values) and enough simulations both searches, at their default
// constants, reach the brute-force optimum of tiny games chosen among
// those where XLA's greedy rule falls short of it. (With zero values
// instead of rollouts Gumbel's mixed value is pessimistic and it can
// starve a better sibling; that is why the true model takes an Evaluator.)
func TestTrueModelFindsOptimum(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	hard := 0
	for i := 0; hard < 12; i++ {
		in := tinyInstance(rng, 4+i%3)
		g, err := malloc.New(in, malloc.Config{})
		if err != nil {
			t.Fatal(err)
		}
		g.Reset(0)
		opt := bruteForce(g)
		xla, err := malloc.RunBaseline(context.Background(), in, "xla", 0, malloc.MIPConfig{})
		if err != nil {
			t.Fatal(err)
		}
		if xla.Fraction >= opt-1e-9 {
			continue
		}
		hard++
		for _, alg := range []Algorithm{Gumbel, PUCT} {
			got := playSearch(t, in, SearchConfig{Algorithm: alg, Simulations: 1000}, rng)
			if got < opt-1e-9 {
				t.Errorf("instance %d (%d buffers, capacity %d) %s: %.6f, optimum %.6f, xla %.6f", i, len(in.Buffers), in.Capacity, alg, got, opt, xla.Fraction)
			}
		}
	}
}

// followInstance is a game where the search's first choices lose to best
// fit. Capacity 10; in the game's order (benefit / sqrt(size)): A (time
// [0, 2), size 4) goes to 0, B ([1, 3), size 3) to 4; C ([2, 4), size 3)
// then has offsets 0 and 7, and only at 7 does D ([2, 4), size 4) still
// fit, at 0. A one-simulation search takes the lowest offset (uniform
// priors, no noise), so the tree alone puts C at 0 and D in slow memory:
// (8 + 6.9 + 6.8) / 29.5. Best fit, the root's rollout, places all four.
func followInstance() *malloc.Instance {
	return &malloc.Instance{Name: "follow", Capacity: 10, Buffers: []malloc.Buffer{
		{ID: 0, Start: 0, End: 2, Size: 4, Uses: 2, Benefit: 8},
		{ID: 1, Start: 1, End: 3, Size: 3, Uses: 2, Benefit: 6.9},
		{ID: 2, Start: 2, End: 4, Size: 3, Uses: 2, Benefit: 6.8},
		{ID: 3, Start: 2, End: 4, Size: 4, Uses: 2, Benefit: 7.8},
	}}
}

// TestFollowBestEpisode: the played game follows the best complete
// episode the search found (here the root's best-fit rollout) where the
// tree's choice is worse, and plays the tree's choice with TreeOnly.
func TestFollowBestEpisode(t *testing.T) {
	in := followInstance()
	for _, alg := range []Algorithm{Gumbel, PUCT} {
		for _, c := range []struct {
			treeOnly bool
			want     float64
			offsets  []int64
		}{{false, 1, []int64{0, 4, 7, 0}}, {true, (8 + 6.9 + 6.8) / 29.5, []int64{0, 4, 0, -1}}} {
			p := &Policy{Model: ModelTrue, Search: SearchConfig{Algorithm: alg, Simulations: 1, TreeOnly: c.treeOnly}}
			r, err := p.Play(context.Background(), in, 1)
			if err != nil {
				t.Fatal(err)
			}
			if !near(r.Fraction, c.want) || !slices.Equal(r.Offsets, c.offsets) {
				t.Errorf("%s tree only %v: fraction %.6f offsets %v, want %.6f %v", alg, c.treeOnly, r.Fraction, r.Offsets, c.want, c.offsets)
			}
		}
	}
}

// TestFollowNeverBelowBestFit: following the best episode, the search on
// the game itself ends at or above XLA's best fit and at or above first
// fit in the game's order (its root rollouts at the first move) on every
// instance, with any number of simulations.
func TestFollowNeverBelowBestFit(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for i := range 40 {
		in := tinyInstance(rng, 4+i%5)
		xla, err := malloc.RunBaseline(context.Background(), in, "xla", 0, malloc.MIPConfig{})
		if err != nil {
			t.Fatal(err)
		}
		ff, err := malloc.Play(in, malloc.Config{}, "lowest", malloc.FirstFit)
		if err != nil {
			t.Fatal(err)
		}
		floor := max(xla.Fraction, ff.Fraction)
		for _, alg := range []Algorithm{Gumbel, PUCT} {
			p := &Policy{Model: ModelTrue, Search: SearchConfig{Algorithm: alg, Simulations: 1 + i%4}}
			r, err := p.Play(context.Background(), in, 1)
			if err != nil {
				t.Fatal(err)
			}
			if r.Fraction < floor-1e-9 {
				t.Errorf("instance %d %s: %.6f below xla %.6f or first fit %.6f", i, alg, r.Fraction, xla.Fraction, ff.Fraction)
			}
		}
	}
}

// TestMixedValues: the mixed evaluator's priors are the network's and its
// values (1 - w) v_net + w v_rollout, each part computed on its own; a
// weight outside [0, 1] is refused.
func TestMixedValues(t *testing.T) {
	net, err := NewNetwork(nn.CPU(), rand.New(rand.NewPCG(3, 4)), NetConfig{Obs: malloc.ObsSize, Actions: malloc.NumActions, Hidden: 16, Latent: 8})
	if err != nil {
		t.Fatal(err)
	}
	g, err := malloc.New(followInstance(), malloc.Config{})
	if err != nil {
		t.Fatal(err)
	}
	o, _ := g.Reset(0)
	games, obs := []*malloc.Env{g}, []malloc.Obs{o}
	A := malloc.NumActions
	nl, nv := make([]float32, A), make([]float32, 1)
	if err := (&netEvaluator{net: net}).Evaluate(context.Background(), games, obs, nl, nv); err != nil {
		t.Fatal(err)
	}
	rv := make([]float32, 1)
	if err := (&BestFitRollout{}).Evaluate(context.Background(), games, obs, nil, rv); err != nil {
		t.Fatal(err)
	}
	m := &mixedEvaluator{net: &netEvaluator{net: net}, weight: 0.25}
	ml, mv := make([]float32, A), make([]float32, 1)
	if err := m.Evaluate(context.Background(), games, obs, ml, mv); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ml, nl) || !near(float64(mv[0]), 0.75*float64(nv[0])+0.25*float64(rv[0])) || rv[0] != 1 || m.Returns()[0] != 1 {
		t.Fatalf("logits %v values %v returns %v; network %v %v, rollout %v", ml, mv, m.Returns(), nl, nv, rv)
	}
	for _, w := range []float64{-0.1, 1.5} {
		if _, err := newPlayer(net, ModelTrue, SearchConfig{}, w, 1); !errors.Is(err, ErrConfig) {
			t.Errorf("rollout weight %v: %v, want ErrConfig", w, err)
		}
	}
}

// TestTrueModelEdgeOffsets: on tiny games whose edges game holds a better
// episode than its tops game (brute force over each game's actions), the
// true-model policy playing the edges game reaches the edges game's
// optimum, above what the tops game allows, and never plays below it.
func TestTrueModelEdgeOffsets(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	edges := malloc.Config{Offsets: malloc.EdgeOffsets}
	found := 0
	for i := 0; found < 4 && i < 3000; i++ {
		in := tinyInstance(rng, 4+i%3)
		opt := [2]float64{}
		for k, cfg := range []malloc.Config{{}, edges} {
			g, err := malloc.New(in, cfg)
			if err != nil {
				t.Fatal(err)
			}
			g.Reset(0)
			opt[k] = bruteForce(g)
		}
		if opt[1] <= opt[0]+1e-9 {
			continue
		}
		found++
		p := &Policy{Model: ModelTrue, Search: SearchConfig{Simulations: 200}, Game: edges}
		r, err := p.Play(context.Background(), in, 1)
		if err != nil {
			t.Fatal(err)
		}
		if r.Fraction < opt[1]-1e-9 {
			t.Errorf("instance %d: edges game played %.6f, its optimum %.6f (tops game's %.6f)", i, r.Fraction, opt[1], opt[0])
		}
	}
	if found < 4 {
		t.Fatalf("only %d tiny games where edges beat tops", found)
	}
}

// TestEdgeOffsetsKeepsTops: the true-model policy in the edges game also
// plays the tops game and keeps the better, so it never ends below it.
func TestEdgeOffsetsKeepsTops(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for i := range 6 {
		in := tinyInstance(rng, 10+i)
		in.Capacity *= 2
		var got [2]float64
		for k, off := range []malloc.Offsets{malloc.TopOffsets, malloc.EdgeOffsets} {
			p := &Policy{Model: ModelTrue, Search: SearchConfig{Simulations: 4}, Game: malloc.Config{Offsets: off}}
			r, err := p.Play(context.Background(), in, 1)
			if err != nil {
				t.Fatal(err)
			}
			got[k] = r.Fraction
		}
		if got[1] < got[0]-1e-12 {
			t.Errorf("instance %d: edges game %.6f, below its tops game's %.6f", i, got[1], got[0])
		}
	}
}
