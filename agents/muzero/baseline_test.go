package muzero

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/corl-go/corl/envs/malloc"
	"github.com/corl-go/corl/nn"
)

// bestFitTo is B(s) by hand: best fit's moves from a copy of g to the
// end, the rewards summed.
func bestFitTo(t *testing.T, g *malloc.Env) float64 {
	c, ret := g.Clone(), 0.0
	for !c.Done() {
		st, err := c.Step(malloc.BestFit(c))
		if err != nil {
			t.Fatal(err)
		}
		ret += st.Reward
	}
	return ret
}

// playMoves plays moves chosen by rule, recording for each step its
// reward and B(s), as self-play records them.
func playMoves(t *testing.T, in *malloc.Instance, rule func(*malloc.Env, *rand.Rand) int, rng *rand.Rand) *Trajectory {
	g, err := malloc.New(in, malloc.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Reset(0); err != nil {
		t.Fatal(err)
	}
	tr := &Trajectory{}
	for !g.Done() {
		b := bestFitTo(t, g)
		st, err := g.Step(rule(g, rng))
		if err != nil {
			t.Fatal(err)
		}
		tr.Steps = append(tr.Steps, Step{Reward: float32(st.Reward), Baseline: float32(b), Expert: -1})
	}
	return tr
}

// randomLegal is a uniformly drawn legal move.
func randomLegal(g *malloc.Env, rng *rand.Rand) int {
	legal := g.Legal()
	return legal[rng.IntN(len(legal))]
}

// TestBaselineTargets: relative to best fit, the reward head's targets
// are 0 along best fit's own moves; along any moves they sum to the
// return less B at the start (the shaping telescopes); the value head's
// target is the value target less B, 0 past the end; without the option
// the targets are the rewards and value targets themselves.
func TestBaselineTargets(t *testing.T) {
	insts := trainInstances(4)
	rng := rand.New(rand.NewPCG(7, 8))
	bf := func(g *malloc.Env, _ *rand.Rand) int { return malloc.BestFit(g) }
	for _, values := range []string{ValuesReturn, ValuesNStep} {
		rel := &Trainer{cfg: TrainConfig{TDSteps: 2, Values: values, Net: NetConfig{Baseline: BaselineBestFit}}}
		plain := &Trainer{cfg: TrainConfig{TDSteps: 2, Values: values}}
		for k, in := range insts {
			tr := playMoves(t, in, bf, rng)
			for i := range tr.Steps {
				if r := rel.rewardHeadTarget(tr, i); math.Abs(float64(r)) > 1e-6 {
					t.Errorf("instance %d: best fit's move %d has reward target %v, want 0", k, i, r)
				}
			}
			tr = playMoves(t, in, randomLegal, rng)
			sum, ret := 0.0, tr.Return()
			for i, st := range tr.Steps {
				sum += float64(rel.rewardHeadTarget(tr, i))
				if got, want := plain.rewardHeadTarget(tr, i), st.Reward; got != want {
					t.Errorf("no baseline: reward target %v, want the reward %v", got, want)
				}
				if got, want := rel.valueHeadTarget(tr, i), plain.valueTarget(tr, i)-st.Baseline; math.Abs(float64(got-want)) > 1e-6 {
					t.Errorf("%s: value target at %d = %v, want %v", values, i, got, want)
				}
				if got, want := plain.valueHeadTarget(tr, i), plain.valueTarget(tr, i); got != want {
					t.Errorf("no baseline: value head target %v, want %v", got, want)
				}
			}
			if want := ret - float64(tr.Steps[0].Baseline); math.Abs(sum-want) > 1e-5 {
				t.Errorf("instance %d: reward targets sum to %v, want the return %v less B %v", k, sum, ret, tr.Steps[0].Baseline)
			}
			n := len(tr.Steps)
			if rel.valueHeadTarget(tr, n) != 0 || rel.rewardHeadTarget(tr, n) != 0 {
				t.Errorf("targets past the end: %v, %v", rel.valueHeadTarget(tr, n), rel.rewardHeadTarget(tr, n))
			}
		}
	}
}

// TestBaselineEvaluator: for the true model, a network relative to best
// fit gives the value of the same weights without the baseline plus B(s),
// computed by hand; the priors are unchanged.
func TestBaselineEvaluator(t *testing.T) {
	in := trainInstances(1)[0]
	var evals [2][]float32
	var logits [2][]float32
	g, err := malloc.New(in, malloc.Config{})
	if err != nil {
		t.Fatal(err)
	}
	o, _ := g.Reset(0)
	for k, base := range []string{"", BaselineBestFit} {
		net, err := NewNetwork(nn.CPU(), rand.New(rand.NewPCG(3, 4)), mallocNet(NetConfig{Hidden: 16, Latent: 8, Baseline: base}))
		if err != nil {
			t.Fatal(err)
		}
		evals[k], logits[k] = make([]float32, 1), make([]float32, malloc.NumActions)
		if err := (&netEvaluator{net: net}).Evaluate(context.Background(), []*malloc.Env{g}, []malloc.Obs{o}, logits[k], evals[k]); err != nil {
			t.Fatal(err)
		}
	}
	b := bestFitTo(t, g)
	if !near(float64(evals[1][0]), float64(evals[0][0])+b) {
		t.Errorf("relative value %v, want %v + B %v", evals[1][0], evals[0][0], b)
	}
	for a := range logits[0] {
		if logits[0][a] != logits[1][a] {
			t.Fatalf("logit %d: %v with the baseline, %v without", a, logits[1][a], logits[0][a])
		}
	}
}

// TestSelfPlayRecordsBaseline: with a network relative to best fit,
// self-play records B(s) at every move (checked by replaying the moves
// and finishing by best fit by hand), with either model; without it, 0.
func TestSelfPlayRecordsBaseline(t *testing.T) {
	insts := trainInstances(2)
	for _, base := range []string{"", BaselineBestFit} {
		net, err := NewNetwork(nn.CPU(), rand.New(rand.NewPCG(1, 2)), mallocNet(NetConfig{Hidden: 16, Latent: 8, Layers: 1, Baseline: base}))
		if err != nil {
			t.Fatal(err)
		}
		for _, model := range []string{ModelLearned, ModelTrue} {
			pl, err := newPlayer(net, model, SearchConfig{Simulations: 4, Explore: true}, 0.5, len(insts))
			if err != nil {
				t.Fatal(err)
			}
			trajs, _, err := pl.play(context.Background(), insts, []int{0, 1}, rand.New(rand.NewPCG(5, 6)))
			if err != nil {
				t.Fatal(err)
			}
			for k, tr := range trajs {
				g, _ := malloc.New(insts[k], malloc.Config{})
				g.Reset(0)
				for i, st := range tr.Steps {
					want := 0.0
					if base != "" {
						want = bestFitTo(t, g)
					}
					if !near(float64(st.Baseline), want) {
						t.Fatalf("%s %q, game %d move %d: baseline %v, want %v", model, base, k, i, st.Baseline, want)
					}
					if _, err := g.Step(st.Action); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
	}
}

// TestBaselineConfig: an unknown baseline is refused naming the field;
// "none" is the zero value's; a checkpoint records the baseline and one
// written before the option existed loads without it.
func TestBaselineConfig(t *testing.T) {
	var ce *ConfigError
	if err := (NetConfig{Obs: 3, Actions: 2, Baseline: "xla"}).Validate(); !errors.As(err, &ce) || ce.Field != "NetConfig.Baseline" {
		t.Errorf("baseline xla: %v", err)
	}
	if c := (NetConfig{Obs: 3, Actions: 2, Baseline: BaselineNone}).WithDefaults(); c.Baseline != "" {
		t.Errorf("none is %q after defaults", c.Baseline)
	}
	dir := t.TempDir()
	for _, base := range []string{"", BaselineBestFit} {
		n, err := NewNetwork(nn.CPU(), rand.New(rand.NewPCG(1, 2)), mallocNet(NetConfig{Hidden: 16, Latent: 8, Baseline: base}))
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "b"+base+".safetensors")
		if err := nn.Save(path, n.Params(), Arch, n.Config); err != nil {
			t.Fatal(err)
		}
		got, err := LoadNetwork(path)
		if err != nil {
			t.Fatal(err)
		}
		if got.Config.Baseline != base || got.relative() != (base != "") {
			t.Errorf("baseline %q loads as %q", base, got.Config.Baseline)
		}
	}
}

// TestSelfPlayRecordsNext: with Counterfactual, self-play records per
// legal move its return followed by best fit (by hand), 0 for the
// illegal ones, and best fit's own move returns B(s).
func TestSelfPlayRecordsNext(t *testing.T) {
	insts := trainInstances(2)
	net, err := NewNetwork(nn.CPU(), rand.New(rand.NewPCG(1, 2)), mallocNet(NetConfig{Hidden: 16, Latent: 8, Layers: 1, Baseline: BaselineBestFit}))
	if err != nil {
		t.Fatal(err)
	}
	pl, err := newPlayer(net, ModelTrue, SearchConfig{Simulations: 4, Explore: true}, 0.5, len(insts))
	if err != nil {
		t.Fatal(err)
	}
	pl.next = true
	trajs, _, err := pl.play(context.Background(), insts, []int{0, 1}, rand.New(rand.NewPCG(5, 6)))
	if err != nil {
		t.Fatal(err)
	}
	for k, tr := range trajs {
		g, _ := malloc.New(insts[k], malloc.Config{})
		g.Reset(0)
		for i, st := range tr.Steps {
			if len(st.Next) != malloc.NumActions {
				t.Fatalf("game %d move %d: %d next returns", k, i, len(st.Next))
			}
			for a, ok := range st.Legal {
				want := 0.0
				if ok {
					c := g.Clone()
					s, err := c.Step(a)
					if err != nil {
						t.Fatal(err)
					}
					want = s.Reward + bestFitTo(t, c)
				}
				if !near(float64(st.Next[a]), want) {
					t.Fatalf("game %d move %d action %d: next return %v, want %v", k, i, a, st.Next[a], want)
				}
			}
			if bf := malloc.BestFit(g); !near(float64(st.Next[bf]), float64(st.Baseline)) {
				t.Fatalf("game %d move %d: best fit's move returns %v, B is %v", k, i, st.Next[bf], st.Baseline)
			}
			if _, err := g.Step(st.Action); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestCounterfactualMoves: the moves drawn are distinct, legal, not the
// one played, as many as asked where there are enough; every other legal
// move is drawn about equally often; none without next returns.
func TestCounterfactualMoves(t *testing.T) {
	legal := make([]bool, malloc.NumActions)
	for _, a := range []int{0, 2, 5, 16} {
		legal[a] = true
	}
	st := &Step{Legal: legal, Action: 2, Next: make([]float32, malloc.NumActions)}
	rng := rand.New(rand.NewPCG(1, 1))
	count := map[int]int{}
	for range 3000 {
		for n, want := range []int{0, 1, 2, 3, 3} {
			got := counterfactualMoves(rng, st, n, nil)
			seen := map[int]bool{}
			for _, a := range got {
				if !legal[a] || a == st.Action || seen[a] {
					t.Fatalf("n=%d: moves %v (legal 0 2 5 16, played 2)", n, got)
				}
				seen[a] = true
				if n == 1 {
					count[a]++
				}
			}
			if len(got) != want {
				t.Fatalf("n=%d: %d moves, want %d", n, len(got), want)
			}
		}
	}
	for _, a := range []int{0, 5, 16} {
		if count[a] < 900 || count[a] > 1100 {
			t.Errorf("move %d drawn %d times of 3000, want about 1000", a, count[a])
		}
	}
	if got := counterfactualMoves(rng, &Step{Legal: legal, Action: 2}, 2, nil); len(got) != 0 {
		t.Errorf("without next returns: %v", got)
	}
}

// TestCounterfactualConfig: counterfactual moves need the best-fit
// baseline, an undiscounted search (the recorded returns of other moves
// are undiscounted) and at most the other actions, refused naming the
// field.
func TestCounterfactualConfig(t *testing.T) {
	for _, cfg := range []TrainConfig{{Counterfactual: 1}, {Counterfactual: -1, Net: NetConfig{Baseline: BaselineBestFit}},
		{Counterfactual: malloc.NumActions, Net: NetConfig{Baseline: BaselineBestFit}},
		{Counterfactual: 1, Net: NetConfig{Baseline: BaselineBestFit}, Search: SearchConfig{Discount: 0.9}}} {
		var ce *ConfigError
		if err := cfg.Validate(); !errors.As(err, &ce) || ce.Field != "Counterfactual" {
			t.Errorf("%+v: %v", cfg, err)
		}
	}
	if err := (TrainConfig{Counterfactual: 2, Net: NetConfig{Baseline: BaselineBestFit}}).Validate(); err != nil {
		t.Error(err)
	}
}

// TestCounterfactualBatch: each sampled position's rows hold its drawn
// moves (never the one played), each with its own target Next[a] - B(s)
// by hand and weight 1; a position with no other legal move has weight 0.
func TestCounterfactualBatch(t *testing.T) {
	A := malloc.NumActions
	legal, only := make([]bool, A), make([]bool, A)
	legal[1], legal[3], legal[4], only[2] = true, true, true, true
	next := make([]float32, A)
	next[1], next[3], next[4] = 0.5, 0.9, 0.2
	tr := &Trainer{cfg: TrainConfig{Counterfactual: 2}, replay: []Trajectory{{Steps: []Step{
		{Legal: legal, Action: 3, Baseline: 0.3, Next: next},
		{Legal: only, Action: 2, Baseline: 0.1, Next: make([]float32, A)},
	}}}}
	want := map[int]float32{1: 0.5 - 0.3, 4: 0.2 - 0.3}
	acts, rew, w := tr.counterfactualBatch(rand.New(rand.NewPCG(1, 2)), [][2]int{{0, 0}, {0, 1}, {0, 0}})
	if len(acts) != 2 || len(rew) != 2 || len(w) != 2 {
		t.Fatalf("%d, %d, %d rows, want 2", len(acts), len(rew), len(w))
	}
	for _, b := range []int{0, 2} {
		seen := map[int]bool{}
		for j := range 2 {
			a := acts[j][b]
			if _, ok := want[a]; !ok || seen[a] || w[j][b] != 1 || math.Abs(float64(rew[j][b]-want[a])) > 1e-6 {
				t.Errorf("position %d row %d: move %d target %v weight %v, want 1 or 4 once, target %v, weight 1", b, j, a, rew[j][b], w[j][b], want[a])
			}
			seen[a] = true
		}
	}
	for j := range 2 {
		if w[j][1] != 0 {
			t.Errorf("the position with one legal move has weight %v in row %d", w[j][1], j)
		}
	}
}

// TestBaselineInEdgesGame: in the edges game, whose rollout has a third
// rule (best fit over every candidate), B(s) and the next returns are
// still best fit's alone, as the evaluator's rollouts give B(s); along
// random play on tiny instances, against best fit played by hand, with
// states where the third rule does better (so the old mix-up would show).
func TestBaselineInEdgesGame(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 9))
	better := 0
	for range 300 {
		g, err := malloc.New(tinyInstance(rng, 5), malloc.Config{Offsets: malloc.EdgeOffsets})
		if err != nil {
			t.Fatal(err)
		}
		g.Reset(0)
		for !g.Done() {
			b, err := bestFitReturn(g)
			if err != nil {
				t.Fatal(err)
			}
			if want := bestFitTo(t, g); !near(float64(b), want) {
				t.Fatalf("B(s) %v, best fit by hand %v", b, want)
			}
			var r BestFitRollout
			if _, best, _, err := r.finish(g, nil, false); err != nil {
				t.Fatal(err)
			} else if best > float64(b)+1e-6 {
				better++
			}
			next, err := nextReturns(g)
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range g.Legal() {
				c := g.Clone()
				s, err := c.Step(a)
				if err != nil {
					t.Fatal(err)
				}
				if want := s.Reward + bestFitTo(t, c); !near(float64(next[a]), want) {
					t.Fatalf("action %d: next return %v, want %v", a, next[a], want)
				}
			}
			if _, err := g.Step(randomLegal(g, rng)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if better == 0 {
		t.Fatal("no state where best fit over every candidate beats best fit: the test shows nothing")
	}
	t.Logf("%d states where the third rule does better", better)
}
