package muzero

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
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
// with either model and either policy head, with the expert targets
// and the value targets to the end, with heads relative to best fit and
// with the action features on the dynamics and with counterfactual moves.
func TestResumeSameWeights(t *testing.T) {
	for _, run := range [][4]string{{ModelLearned, "", "", ""}, {ModelTrue, "", "", ""}, {ModelLearned, HeadCandidates, "", ""},
		{ModelTrue, HeadCandidates, ValuesBest, ""}, {ModelTrue, "", ValuesReturn, ""},
		{ModelLearned, HeadCandidates, "", BaselineBestFit}, {ModelTrue, HeadCandidates, ValuesBest, BaselineBestFit},
		{ModelLearned, "features", "", ""}, {ModelTrue, "features", ValuesBest, BaselineBestFit}, {ModelLearned, "counterfactual", "", BaselineBestFit}} {
		model := run[0]
		insts := trainInstances(3)
		cfg := tinyTrain(model)
		cfg.Net.Head, cfg.Values, cfg.Net.Baseline = run[1], run[2], run[3]
		switch run[1] {
		case "features": // the candidate head with the action features on the dynamics
			cfg.Net.Head, cfg.Net.ActionFeatures = HeadCandidates, true
		case "counterfactual":
			cfg.Net.Head, cfg.Counterfactual = HeadCandidates, 2
		}
		if run[2] != "" {
			cfg.Rollout, cfg.Expert = 0.5, 0.5
		}
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

// TestValueTargetsToTheEnd: the return to the end is the sum of the
// rewards from the position on (the discounted sum with a discount), and
// the best-episode target is the better of it and the recorded best
// return, where an episode is known.
func TestValueTargetsToTheEnd(t *testing.T) {
	g := &Trajectory{Steps: []Step{{Reward: 1, Value: 10, Expert: 0, Best: 12}, {Reward: 2, Value: 20, Expert: -1, Best: 50},
		{Reward: 3, Value: 30, Expert: 1, Best: 6}, {Reward: 4, Value: 40, Expert: 2, Best: 4.5}}}
	for _, c := range []struct {
		values   string
		discount float64
		want     []float32
	}{
		{ValuesReturn, 0, []float32{1 + 2 + 3 + 4, 2 + 3 + 4, 3 + 4, 4, 0}},
		{ValuesReturn, 0.5, []float32{1 + 0.5*2 + 0.25*3 + 0.125*4, 2 + 0.5*3 + 0.25*4, 3 + 0.5*4, 4, 0}},
		// step 1 knows no episode, so its 50 is no target; step 2's 6 is below 3 + 4
		{ValuesBest, 0.5, []float32{12, 2 + 3 + 4, 3 + 4, 4.5, 0}},
	} {
		tr := &Trainer{cfg: TrainConfig{TDSteps: 1, Values: c.values, Search: SearchConfig{Discount: c.discount}}}
		for i, w := range c.want {
			if got := tr.valueTarget(g, i); math.Abs(float64(got-w)) > 1e-6 {
				t.Errorf("%s discount %v: target at %d = %v, want %v", c.values, c.discount, i, got, w)
			}
		}
	}
}

// TestExpertPolicyTarget: the expert target is (1 - w) pi + w onehot(m):
// all its mass on the best episode's move at w = 1, summing to 1, 0 on
// illegal actions; without an expert move it is the search's policy.
func TestExpertPolicyTarget(t *testing.T) {
	legal := []bool{true, false, true, true}
	pi := []float32{0.5, 0, 0.25, 0.25}
	for _, c := range []struct {
		w      float64
		expert int
		want   []float32
	}{
		{1, 2, []float32{0, 0, 1, 0}},
		{0.5, 3, []float32{0.25, 0, 0.125, 0.625}},
		{0.5, -1, pi},
		{0, 2, pi},
		{1, 1, pi}, // an illegal expert move (never recorded) is ignored
	} {
		tr := &Trainer{cfg: TrainConfig{Expert: c.w}}
		dst := make([]float32, 4)
		tr.policyTarget(dst, &Step{Legal: legal, Policy: pi, Expert: c.expert}, nil)
		sum := float32(0)
		for a, v := range dst {
			sum += v
			if !legal[a] && v != 0 {
				t.Errorf("w %v expert %d: mass %v on illegal action %d", c.w, c.expert, v, a)
			}
		}
		if !slices.Equal(dst, c.want) || math.Abs(float64(sum-1)) > 1e-6 {
			t.Errorf("w %v expert %d: target %v (sum %v), want %v", c.w, c.expert, dst, sum, c.want)
		}
	}
	// a reanalysed policy replaces the recorded one before the mix
	tr := &Trainer{cfg: TrainConfig{Expert: 0.5}}
	dst := make([]float32, 4)
	tr.policyTarget(dst, &Step{Legal: legal, Policy: pi, Expert: 0}, []float32{0, 0, 1, 0})
	if !slices.Equal(dst, []float32{0.5, 0, 0.5, 0}) {
		t.Errorf("reanalysed and mixed: %v", dst)
	}
}

// TestSelfPlayRecordsExperts: self-play with the true model and rollouts
// records at every move a legal expert move and the return of the best
// episode known from there, and at the first move that return is at least
// what best fit and first fit reach from the start (the root's rollouts);
// the learned model records none.
func TestSelfPlayRecordsExperts(t *testing.T) {
	insts := trainInstances(4)
	net, err := NewNetwork(nn.CPU(), rand.New(rand.NewPCG(1, 2)), mallocNet(NetConfig{Hidden: 16, Latent: 8, Layers: 1}))
	if err != nil {
		t.Fatal(err)
	}
	for _, model := range []string{ModelTrue, ModelLearned} {
		pl, err := newPlayer(net, model, SearchConfig{Simulations: 4, Explore: true}, 0.5, len(insts))
		if err != nil {
			t.Fatal(err)
		}
		trajs, _, err := pl.play(context.Background(), insts, []int{0, 1, 2, 3}, rand.New(rand.NewPCG(5, 6)))
		if err != nil {
			t.Fatal(err)
		}
		for k, tr := range trajs {
			for i, st := range tr.Steps {
				switch {
				case model == ModelLearned && st.Expert != -1:
					t.Fatalf("learned model, game %d move %d: expert %d", k, i, st.Expert)
				case model == ModelTrue && (st.Expert < 0 || !st.Legal[st.Expert]):
					t.Fatalf("game %d move %d: expert %d, legal %v", k, i, st.Expert, st.Legal)
				}
			}
			if model == ModelLearned {
				continue
			}
			floor := 0.0
			for _, rule := range []func(*malloc.Env) int{malloc.BestFit, malloc.FirstFit} {
				r, err := malloc.Play(insts[k], malloc.Config{}, "rule", rule)
				if err != nil {
					t.Fatal(err)
				}
				floor = max(floor, r.Fraction)
			}
			if best := float64(tr.Steps[0].Best); best < floor-1e-6 || best > 1+1e-6 {
				t.Errorf("game %d: best return known at the start %.6f, best fit and first fit reach %.6f", k, best, floor)
			}
		}
	}
}

// TestExpertNeedsEpisodes: expert targets without the true model's
// rollouts, and unknown value targets or offsets, are refused naming the
// field.
func TestExpertNeedsEpisodes(t *testing.T) {
	for _, c := range []struct {
		cfg   TrainConfig
		field string
	}{
		{TrainConfig{Expert: 0.5}, "Expert"},
		{TrainConfig{Expert: 0.5, Model: ModelTrue}, "Expert"},
		{TrainConfig{Expert: 1.5, Model: ModelTrue, Rollout: 0.5}, "Expert"},
		{TrainConfig{Values: "td"}, "Values"},
		{TrainConfig{Offsets: "bottoms"}, "Offsets"},
	} {
		var ce *ConfigError
		if err := c.cfg.Validate(); !errors.As(err, &ce) || ce.Field != c.field {
			t.Errorf("%+v: %v, want a ConfigError on %s", c.cfg, err, c.field)
		}
	}
	if err := (TrainConfig{Expert: 1, Model: ModelTrue, Rollout: 0.5, Values: ValuesBest, Offsets: "edges"}).Validate(); err != nil {
		t.Error(err)
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

// The network a run trains records the game it was trained in, and a
// checkpoint of it loads to play that game; tops, as before the field,
// records nothing.
func TestNetworkRecordsItsGame(t *testing.T) {
	for _, c := range []struct {
		offsets, recorded string
		game              malloc.Offsets
	}{{"", "", malloc.TopOffsets}, {"tops", "", malloc.TopOffsets}, {"edges", "edges", malloc.EdgeOffsets}} {
		cfg := tinyTrain(ModelLearned)
		cfg.Offsets = c.offsets
		tr, err := NewTrainer(cfg, trainInstances(2))
		if err != nil {
			t.Fatal(err)
		}
		net := tr.Network()
		if net.Config.Offsets != c.recorded {
			t.Errorf("offsets %q: the network records %q, want %q", c.offsets, net.Config.Offsets, c.recorded)
		}
		path := filepath.Join(t.TempDir(), "policy.safetensors")
		if err := nn.Save(path, net.Params(), Arch, net.Config); err != nil {
			t.Fatal(err)
		}
		p, err := LoadPolicy(path, ModelLearned, SearchConfig{Simulations: 2})
		if err != nil {
			t.Fatal(err)
		}
		if p.Game.Offsets != c.game || p.Net.Offsets() != c.game {
			t.Errorf("offsets %q: the checkpoint plays %v (network %v), want %v", c.offsets, p.Game.Offsets, p.Net.Offsets(), c.game)
		}
	}
}
