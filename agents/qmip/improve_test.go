package qmip

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/corl-go/corl/agents/train"
	"github.com/corl-go/corl/internal/highstest"
	"github.com/corl-go/corl/nn"
)

// With no discount, LSTD-Q's fixed point is the regression of each arm's
// expected reward on its features, and in the capacity family that
// reward is exactly affine in the arm's activity at each state (its up
// probability is PActive or PPassive). So after one round Q(s, a) is
// scale·ExpectedReward(s, a) on every transition played, up to the
// ridge's pull (1e-9 per transition here) and float32 weights, and the
// TD loss the round reports is ~0. The fit moves the skip term away from
// the warm start's and leaves the ReLU part's output layer zero (as the
// skip-term warm start already does: that check holds the policy's form,
// not the zeroing). (γ = 0 is the
// zero value, which means the default, so γ is 1e-12: bootstrapping adds
// under 1e-11.)
func TestImproveFitsTheRewardWithoutDiscount(t *testing.T) {
	highstest.Need(t)
	cfg := Config{Family: "capacity", J: 5, B: 2, Seed: 3, Horizon: 10, Episodes: 3, Improve: 1, Gamma: 1e-12,
		ImproveRidge: 1e-9, Replay: 30, Keep: KeepLast, WarmSamples: 256, CheckpointEvery: 100, EvalEpisodes: 1, Workers: 1}
	dir, err := train.Create(t.TempDir()+"/run", cfg)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := Train(context.Background(), dir, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Rounds != 1 || sum.Updates != 0 || sum.Steps != 30 {
		t.Errorf("summary %+v, want 1 round, no updates, 30 steps", sum)
	}
	cfg = cfg.WithDefaults()
	inst, err := NewInstance(cfg.Family, cfg.J, cfg.B, cfg.Seed)
	if err != nil {
		t.Fatal(err)
	}

	rows, err := dir.ReadTrace()
	if err != nil {
		t.Fatal(err)
	}
	rounds := 0
	for _, r := range rows {
		if r.LR != 0 {
			t.Errorf("%s row records a learning rate %g; policy iteration has none", r.Phase, r.LR)
		}
		if r.Phase == "improve" {
			rounds++
			if !(r.Loss < 1e-9) {
				t.Errorf("TD loss after the fit %g, want ~0", r.Loss)
			}
		}
	}
	if rounds != 1 {
		t.Fatalf("%d improve rows, want 1", rounds)
	}

	// the play, from the last checkpoint
	m, err := newModel(nn.CPU(), rand.New(rand.NewPCG(0, 0)), NumInputsOf(inst, cfg.Features), cfg.Hidden, true)
	if err != nil {
		t.Fatal(err)
	}
	ck, ok, err := dir.LatestCheckpoint(m.params(), nn.NewAdam(cfg.LR))
	if err != nil || !ok {
		t.Fatalf("no checkpoint: %v", err)
	}
	var st state
	if err := json.Unmarshal(ck.Agent, &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Replay) != cfg.Episodes*cfg.Horizon {
		t.Fatalf("%d transitions, want %d", len(st.Replay), cfg.Episodes*cfg.Horizon)
	}

	load := func(path string) *Policy {
		p, err := LoadPolicy(path, SelectConfig{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		return p
	}
	warm, fit := load(dir.WeightsPath(0)), load(dir.Join("policy.safetensors"))
	scale := 1 - cfg.Gamma
	worstFit, worstWarm := 0.0, 0.0
	for _, tr := range st.Replay {
		s := unpackStates(tr.S)
		x := InputOf(inst, cfg.Features, s, tr.A, nil)
		want := scale * inst.ExpectedReward(s, tr.A)
		worstFit = math.Max(worstFit, math.Abs(fit.net.Forward(x, nil)-want))
		worstWarm = math.Max(worstWarm, math.Abs(warm.net.Forward(x, nil)-want))
	}
	if worstFit > 1e-4 {
		t.Errorf("Q after the fit misses the expected reward by up to %g, want ~0", worstFit)
	}
	if worstWarm < 1e-2 { // else the check above proves nothing
		t.Errorf("the warm start already fits the reward (worst %g)", worstWarm)
	}

	last := fit.net.Layers[len(fit.net.Layers)-1]
	for i, row := range last.W {
		for k, w := range row {
			if w != 0 {
				t.Fatalf("last ReLU layer W[%d][%d] = %g, want 0", i, k, w)
			}
		}
		if last.B[i] != 0 {
			t.Fatalf("last ReLU layer B[%d] = %g, want 0", i, last.B[i])
		}
	}
	moved := 0.0
	for k, w := range fit.net.Skip {
		moved = math.Max(moved, math.Abs(w-warm.net.Skip[k]))
	}
	if moved < 1e-2 {
		t.Errorf("the skip term moved by at most %g from the warm start's", moved)
	}
}
