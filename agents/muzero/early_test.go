package muzero

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/corl-go/corl/envs/malloc"
)

// TestEarlySimulationsCountDecisions: followInstance with a first buffer
// larger than memory (a forced move: slow memory is its only action).
// Playing the tree's choice, one simulation per move puts C at 0 and D in
// slow memory (followInstance); 1000 simulations at C find C at 7 and D
// at 0. So with 1000 early simulations the game places all four exactly
// when C's move is among the early decisions: EarlyMoves 3 (A, B, C; the
// forced move is no decision), not 2.
func TestEarlySimulationsCountDecisions(t *testing.T) {
	in := followInstance()
	in.Buffers = append([]malloc.Buffer{{ID: 9, Start: 0, End: 4, Size: 11, Uses: 2, Benefit: 100}}, in.Buffers...)
	total := 129.5
	for _, alg := range []Algorithm{Gumbel, PUCT} {
		for _, c := range []struct {
			moves int
			want  float64
		}{{0, (8 + 6.9 + 6.8) / total}, {2, (8 + 6.9 + 6.8) / total}, {3, 29.5 / total}, {10, 29.5 / total}} {
			early := 1000
			if c.moves == 0 {
				early = 0 // one without the other is refused
			}
			p := &Policy{Model: ModelTrue, Search: SearchConfig{Algorithm: alg, Simulations: 1, TreeOnly: true, EarlySimulations: early, EarlyMoves: c.moves}}
			r, err := p.Play(context.Background(), in, 1)
			if err != nil {
				t.Fatal(err)
			}
			if !near(r.Fraction, c.want) {
				t.Errorf("%s, early moves %d: fraction %.6f (offsets %v), want %.6f", alg, c.moves, r.Fraction, r.Offsets, c.want)
			}
		}
	}
}

// TestEarlySimulationsFindOptimum: on tiny games where a one-simulation
// search that follows its best episode falls short of the brute-force
// optimum, 1000 simulations for every decision (EarlyMoves at least the
// number of buffers) reach it, in both games.
func TestEarlySimulationsFindOptimum(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	hard := 0
	for i := 0; hard < 8 && i < 2000; i++ {
		in := tinyInstance(rng, 4+i%3)
		for _, off := range []malloc.Offsets{malloc.TopOffsets, malloc.EdgeOffsets} {
			g, err := malloc.New(in, malloc.Config{Offsets: off})
			if err != nil {
				t.Fatal(err)
			}
			g.Reset(0)
			opt := bruteForce(g)
			cfg := SearchConfig{Simulations: 1}
			one := &Policy{Model: ModelTrue, Search: cfg, Game: malloc.Config{Offsets: off}}
			r, err := one.Play(context.Background(), in, 1)
			if err != nil {
				t.Fatal(err)
			}
			if off == malloc.EdgeOffsets {
				// Play keeps the better of both games; the edges game's
				// optimum is the better of both too.
				opt = max(opt, r.Fraction)
			}
			if r.Fraction >= opt-1e-9 {
				continue
			}
			hard++
			cfg.EarlySimulations, cfg.EarlyMoves = 1000, len(in.Buffers)
			early := &Policy{Model: ModelTrue, Search: cfg, Game: malloc.Config{Offsets: off}}
			got, err := early.Play(context.Background(), in, 1)
			if err != nil {
				t.Fatal(err)
			}
			if got.Fraction < opt-1e-9 {
				t.Errorf("instance %d (%v): %.6f with early simulations, optimum %.6f, one simulation %.6f", i, off, got.Fraction, opt, r.Fraction)
			}
		}
	}
	if hard == 0 {
		t.Fatal("no instance where one simulation falls short")
	}
}

// TestEarlySimulationsValidate: negative budgets, and one of
// EarlySimulations and EarlyMoves without the other, are refused, naming
// the bad or missing field; EarlySimulations equal to Simulations plays
// the plain search.
func TestEarlySimulationsValidate(t *testing.T) {
	for _, c := range []struct {
		cfg   SearchConfig
		field string
	}{
		{SearchConfig{EarlySimulations: -1}, "EarlySimulations"},
		{SearchConfig{EarlyMoves: -1}, "EarlyMoves"},
		{SearchConfig{Simulations: 4, EarlySimulations: 64}, "EarlyMoves"},
		{SearchConfig{Simulations: 4, EarlyMoves: 3}, "EarlySimulations"},
	} {
		var ce *ConfigError
		if err := c.cfg.Validate(); !errors.As(err, &ce) || !errors.Is(err, ErrConfig) || ce.Field != c.field {
			t.Errorf("%+v: %v, want a ConfigError naming %s", c.cfg, err, c.field)
		}
		if _, err := newPlayer(nil, ModelTrue, c.cfg, 0, 1); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: newPlayer: %v, want a ConfigError", c.cfg, err)
		}
	}
	for _, c := range []SearchConfig{{Simulations: 4, EarlySimulations: 4, EarlyMoves: 5}, {Simulations: 4}} {
		p, err := newPlayer(nil, ModelTrue, c, 0, 1)
		if err != nil {
			t.Fatal(err)
		}
		if p.early != nil {
			t.Errorf("%+v: an early search", c)
		}
	}
	p, err := newPlayer(nil, ModelTrue, SearchConfig{Simulations: 4, EarlySimulations: 8, EarlyMoves: 1}, 0, 1)
	if err != nil || p.early == nil {
		t.Errorf("EarlySimulations 8, EarlyMoves 1: %v, no early search", err)
	}
}

// TestEarlySimulationsNeverBelowPlain: a policy that follows its best
// episode also plays the plain search (every move at Simulations) and
// keeps the better placement, so with early simulations it never ends
// below the plain search, in either game. The early decisions get a
// smaller budget than the others here, so that the early search alone
// (the games Play plays before the plain rerun) ends below the plain
// search on some of these games: without the rerun the test fails.
func TestEarlySimulationsNeverBelowPlain(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	ctx := context.Background()
	below := 0
	for i := range 200 {
		in := tinyInstance(rng, 5+i%4)
		for _, off := range []malloc.Offsets{malloc.TopOffsets, malloc.EdgeOffsets} {
			game := malloc.Config{Offsets: off}
			cfg := SearchConfig{Simulations: 2 + i%7}
			plain := &Policy{Model: ModelTrue, Search: cfg, Game: game}
			want, err := plain.Play(ctx, in, 1)
			if err != nil {
				t.Fatal(err)
			}
			cfg.EarlySimulations, cfg.EarlyMoves = 1, 1+i%3
			early := &Policy{Model: ModelTrue, Search: cfg, Game: game}
			got, err := early.Play(ctx, in, 1)
			if err != nil {
				t.Fatal(err)
			}
			if got.Fraction < want.Fraction-1e-12 {
				t.Errorf("instance %d (%v): %.6f with early simulations, %.6f without", i, off, got.Fraction, want.Fraction)
			}
			// The early search alone: the game itself and, in the edges
			// game, the tops game too.
			games := []malloc.Config{game}
			if off == malloc.EdgeOffsets {
				games = append(games, malloc.Config{Offsets: malloc.TopOffsets})
			}
			alone := math.Inf(-1)
			for _, g := range games {
				r, _, err := early.playOne(ctx, in, 1, cfg, g)
				if err != nil {
					t.Fatal(err)
				}
				alone = max(alone, r.Fraction)
			}
			if alone < want.Fraction-1e-12 {
				below++
			}
		}
	}
	if below == 0 {
		t.Fatal("the early search alone is never below the plain search: the test cannot tell a policy without the plain rerun")
	}
	t.Logf("the early search alone ends below the plain search in %d of 400 games", below)
}
