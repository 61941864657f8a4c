package muzero

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corl-go/corl/agents/train"
	"github.com/corl-go/corl/envs/malloc"
	"github.com/corl-go/corl/nn"
)

func trainInstances(n int) []*malloc.Instance {
	insts, err := SyntheticInstances(9, n, 6, 0.5)
	if err != nil {
		panic(err)
	}
	return insts
}

func tinyTrain(model string) TrainConfig {
	return TrainConfig{Search: SearchConfig{Simulations: 4}, Net: NetConfig{Latent: 8, Hidden: 16, Layers: 1},
		Model: model, Steps: 6, Games: 2, StepsPerIt: 2, Batch: 4, Reanalyse: 0.5, Seed: 3}
}

func weights(t *testing.T, tr *Trainer) []float32 {
	var w []float32
	for _, p := range tr.Network().Params() {
		w = append(w, p.Value.Data()...)
	}
	return w
}

// TestResumeSameWeights: a run stopped after its first iteration and
// resumed in a new trainer ends with the weights of an uninterrupted run,
// with either model and either policy head.
func TestResumeSameWeights(t *testing.T) {
	for _, run := range [][2]string{{ModelLearned, ""}, {ModelTrue, ""}, {ModelLearned, HeadCandidates}} {
		model := run[0]
		insts := trainInstances(3)
		cfg := tinyTrain(model)
		cfg.Net.Head = run[1]
		full, err := NewTrainer(cfg, insts)
		if err != nil {
			t.Fatal(err)
		}
		d1, err := train.Create(t.TempDir(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		var its []Iteration
		if err := full.Run(context.Background(), d1, func(it Iteration) { its = append(its, it) }); err != nil {
			t.Fatal(err)
		}
		if len(its) != 3 || its[2].Step != 6 || its[2].Positions == 0 || !(its[0].Return >= 0 && its[0].Return <= 1) {
			t.Fatalf("%s: iterations %+v", model, its)
		}

		d2, err := train.Create(t.TempDir(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		first, _ := NewTrainer(cfg, insts)
		err = first.Run(ctx, d2, func(Iteration) { cancel() })
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("%s: interrupted run: %v", model, err)
		}
		second, _ := NewTrainer(cfg, insts)
		if err := second.Run(context.Background(), d2, nil); err != nil {
			t.Fatal(err)
		}
		a, b := weights(t, full), weights(t, second)
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("%s: weight %d differs after resume: %v vs %v", model, i, a[i], b[i])
			}
		}
		rows, err := d2.ReadTrace()
		if err != nil || len(rows) != 3 {
			t.Fatalf("%s: trace rows %d, %v", model, len(rows), err)
		}
		// the trained network plays through a Policy loaded from the checkpoint
		p, err := LoadPolicy(d2.WeightsPath(6), model, SearchConfig{Simulations: 4})
		if err != nil {
			t.Fatal(err)
		}
		r, err := p.Play(context.Background(), insts[0], 1)
		if err != nil || r.Steps != len(insts[0].Buffers) || r.Fraction < 0 || r.Fraction > 1 {
			t.Fatalf("%s: play: %+v, %v", model, r, err)
		}
	}
}

// TestValueTarget: n-step targets by hand on a 4-move game.
func TestValueTarget(t *testing.T) {
	tr := &Trainer{cfg: TrainConfig{TDSteps: 2}}
	g := &Trajectory{Steps: []Step{{Reward: 1, Value: 10}, {Reward: 2, Value: 20}, {Reward: 3, Value: 30}, {Reward: 4, Value: 40}}}
	want := []float32{1 + 2 + 30, 2 + 3 + 40, 3 + 4, 4, 0}
	for i, w := range want {
		if got := tr.valueTarget(g, i); got != w {
			t.Errorf("target at %d = %v, want %v", i, got, w)
		}
	}
}

// TestPriorities: (|z - v| + 0.001)^alpha with the n-step targets z; a
// negative alpha makes every position equally likely.
func TestPriorities(t *testing.T) {
	g := &Trajectory{Steps: []Step{{Reward: 1, Value: 0.5}, {Reward: 2, Value: 2}}}
	tr := &Trainer{cfg: TrainConfig{TDSteps: 1, Priority: 2}}
	tr.prioritise(g)
	// z = 1 + 2 (the next root value) = 3 and 2 + 0 = 2
	for i, want := range []float64{math.Pow(2.5+0.001, 2), math.Pow(0.001, 2)} {
		if got := float64(g.Steps[i].Priority); math.Abs(got-want) > 1e-6*want {
			t.Errorf("priority %d = %v, want %v", i, got, want)
		}
	}
	tr.cfg.Priority = -1
	tr.prioritise(g)
	if g.Steps[0].Priority != 1 || g.Steps[1].Priority != 1 {
		t.Errorf("uniform priorities %v, %v", g.Steps[0].Priority, g.Steps[1].Priority)
	}
}

// TestLoadNetworkRefusesOthers: a checkpoint of another architecture or
// other sizes is ErrCheckpoint, naming the file.
func TestLoadNetworkRefusesOthers(t *testing.T) {
	dir := t.TempDir()
	n := testNet(t) // 5 observations, 3 actions: not the game's
	path := filepath.Join(dir, "small.safetensors")
	if err := nn.Save(path, n.Params(), Arch, n.Config); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other.safetensors")
	if err := nn.Save(other, n.Params(), "corl.gcnn", n.Config); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{path, other} {
		_, err := LoadNetwork(p)
		if !errors.Is(err, ErrCheckpoint) || !strings.Contains(err.Error(), p) {
			t.Errorf("%s: %v", p, err)
		}
	}
}
