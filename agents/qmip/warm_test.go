package qmip

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/corl-go/corl/envs/bandits"
	"github.com/corl-go/corl/internal/highstest"
	"github.com/corl-go/corl/nn"
)

// The Whittle warm start is the Whittle target on every feasible action,
// not only on the sampled ones, and its MIP's action scores Whittle's
// objective (the sum of the pulled arms' positive indices) and expected
// reward as the Whittle baseline's does, on every arm family. Few warm
// samples at J = 10 leave (arm, state) pairs no sampled action pulls, as
// 4,096 did on path at J = 40: a fit exact on the samples alone is then
// free in those directions, and the MIP seeks them out.
func TestWarmNetworkIsWhittleOnEveryAction(t *testing.T) {
	highstest.Need(t)
	ctx := context.Background()
	for _, fam := range bandits.Families() {
		for _, samples := range []int{48, 512} {
			cfg := Config{Family: fam, J: 10, B: 3, Seed: 4, WarmSamples: samples}.WithDefaults()
			tr, inst, net := warmFitted(t, cfg, 7)
			rel := relax(inst, cfg.Gamma)
			idx := make([][bandits.NumStates]float64, inst.J)
			for j, arm := range inst.Arms {
				idx[j] = bandits.WhittleIndex(arm, cfg.Gamma)
			}
			actions := feasibleActions(t, inst)
			p := make([]float64, inst.J)
			rng := rand.New(rand.NewPCG(5, uint64(samples)))
			sel, err := NewSelector(inst, SelectConfig{})
			if err != nil {
				t.Fatal(err)
			}
			whittle := &bandits.Whittle{}
			objective := func(states []int, a bandits.Action) float64 {
				s := 0.0
				for _, j := range a.Members() {
					s += max(idx[j][states[j]], 0)
				}
				return s
			}
		check:
			for range 8 {
				states := randomStates(rng, inst.J)
				for _, a := range actions {
					want := tr.warmTarget(&rel, idx, states, a, p)
					if got := net.Forward(InputOf(inst, cfg.Features, states, a, nil), nil); math.Abs(got-want) > 1e-5*max(1, math.Abs(want)) {
						t.Errorf("%s, %d samples: warm network %g, Whittle target %g on %v in %v", fam, samples, got, want, a, states)
						break check
					}
				}
				if fam == bandits.Interventions {
					continue // no Whittle baseline
				}
				c, err := sel.Best(ctx, net, states)
				if err != nil {
					t.Fatal(err)
				}
				w, err := whittle.Act(ctx, bandits.Obs{States: states, Inst: inst}, rng)
				if err != nil {
					t.Fatal(err)
				}
				if got, want := objective(states, c.Action), objective(states, w); math.Abs(got-want) > 1e-6*max(1, want) {
					t.Errorf("%s, %d samples, %v: the warm network's MIP chose %v (index sum %g), Whittle %v (%g)", fam, samples, states, c.Action, got, w, want)
				}
				if got, want := inst.ExpectedReward(states, c.Action), inst.ExpectedReward(states, w); c.Action != w && math.Abs(got-want) > 1e-9 {
					t.Logf("%s, %d samples, %v: tie broken otherwise: %v and %v, expected reward %g and %g", fam, samples, states, c.Action, w, got, want)
				}
			}
			sel.Close()
			bandits.ClosePolicy(whittle)
		}
	}
}

// On path (40, 10), seed 2, where the sampler never pulled 29 of the 160
// (arm, state) pairs, the warm network's value of pulling each arm alone
// in each state is the arm's positive Whittle index in step units.
func TestWarmNetworkPathIndices(t *testing.T) {
	cfg := Config{Family: bandits.Path, J: 40, B: 10, Seed: 2}.WithDefaults()
	tr, inst, net := warmFitted(t, cfg, cfg.Seed)
	states := make([]int, inst.J)
	for j, arm := range inst.Arms {
		idx := bandits.WhittleIndex(arm, cfg.Gamma)
		for k := range bandits.NumStates {
			states[j] = k
			q1 := net.Forward(InputOf(inst, cfg.Features, states, bandits.Action{}.Set(j), nil), nil)
			q0 := net.Forward(InputOf(inst, cfg.Features, states, bandits.Action{}, nil), nil)
			if got, want := q1-q0, tr.scale()*max(idx[k], 0); math.Abs(got-want) > 1e-5 {
				t.Errorf("arm %d in state %d: the warm network values pulling it %g, its index %g", j, k, got, want)
			}
		}
		states[j] = 0
	}
}

// warmFitted returns a trainer of cfg whose network is warm-started (its
// generator seeded with (seed, 7)), its instance and its network as the MIP
// reads it.
func warmFitted(t *testing.T, cfg Config, seed uint64) (*trainer, *bandits.Instance, Net) {
	t.Helper()
	inst, err := NewInstance(cfg.Family, cfg.J, cfg.B, cfg.Seed)
	if err != nil {
		t.Fatal(err)
	}
	tr := &trainer{cfg: cfg, inst: inst, rng: rand.New(rand.NewPCG(seed, 7))}
	if tr.m, err = newModel(nn.CPU(), tr.rng, NumInputsOf(inst, cfg.Features), cfg.Hidden, true); err != nil {
		t.Fatal(err)
	}
	if _, ok := tr.warmStartFit(); !ok {
		t.Fatal("no warm start")
	}
	net, err := tr.net(false)
	if err != nil {
		t.Fatal(err)
	}
	return tr, inst, net
}
