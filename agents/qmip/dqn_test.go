package qmip

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/corl-go/corl/agents/train"
	"github.com/corl-go/corl/envs/bandits"
	"github.com/corl-go/corl/internal/highstest"
	"github.com/corl-go/corl/nn"
)

func smallConfig() Config {
	return Config{Family: "capacity", J: 6, B: 2, Seed: 3, Horizon: 5, Episodes: 4, Batch: 8, Replay: 60,
		TargetEvery: 5, WarmSamples: 256, WarmEpochs: 3, CheckpointEvery: 1, EvalEvery: 2, EvalEpisodes: 1, Workers: 2}
}

func weightsOf(t *testing.T, path string) map[string][]float32 {
	t.Helper()
	ck, err := nn.ReadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	pc := PolicyConfig{}
	if err := ck.Config(&pc); err != nil {
		t.Fatal(err)
	}
	p, err := LoadPolicy(path, SelectConfig{})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]float32{}
	for l, ly := range p.net.Layers {
		for i, row := range ly.W {
			for _, w := range row {
				out[string(rune('a'+l))] = append(out[string(rune('a'+l))], float32(w))
			}
			out["b"+string(rune('a'+l))] = append(out["b"+string(rune('a'+l))], float32(ly.B[i]))
		}
	}
	for _, w := range p.net.Skip {
		out["skip"] = append(out["skip"], float32(w))
	}
	return out
}

// A run stopped after two episodes and resumed ends with the weights of
// an uninterrupted run, whatever the number of target-MIP workers: with
// SEQUOIA's settings, with the defaults (product inputs, skip term,
// Whittle warm start, Q per step, the best network kept), and with the
// defaults and each DQN option on: double DQN, a soft target with a rate
// decay, a target held at the warm start, the anchor; and with policy
// iteration (Improve 2) in place of DQN.
func TestResumeReproducesTheRun(t *testing.T) {
	highstest.Need(t)
	for name, opts := range map[string]Config{
		"sequoia":  {Features: FeaturesPlain, Warm: WarmMyopic, Units: UnitsReturn, Keep: KeepLast, Skip: SkipNone},
		"defaults": {},
		"double":   {Double: true},
		"soft":     {Target: TargetSoft, Tau: 0.05, LRDecay: 0.8},
		"warm":     {Target: TargetWarm},
		"anchor":   {Anchor: 2},
		"improve":  {Improve: 2},
	} {
		cfg := smallConfig()
		cfg.Features, cfg.Warm, cfg.Units, cfg.Keep, cfg.Skip = opts.Features, opts.Warm, opts.Units, opts.Keep, opts.Skip
		cfg.Double, cfg.Target, cfg.Tau, cfg.LRDecay, cfg.Anchor = opts.Double, opts.Target, opts.Tau, opts.LRDecay, opts.Anchor
		cfg.Improve = opts.Improve
		t.Run(name, func(t *testing.T) { resumeReproduces(t, cfg) })
	}
}

func resumeReproduces(t *testing.T, cfg Config) {
	ctx := context.Background()
	full, err := train.Create(t.TempDir()+"/full", cfg)
	if err != nil {
		t.Fatal(err)
	}
	sumA, err := Train(ctx, full, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if (sumA.Updates == 0 && cfg.Improve == 0) || sumA.Solves == 0 {
		t.Fatalf("the run made no updates or solves: %+v", sumA)
	}

	dir, err := train.Create(t.TempDir()+"/cut", cfg)
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	_, err = Train(cctx, dir, cfg, func(p Progress) {
		if p.Episode == 2 {
			cancel()
		}
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("stopped run: %v", err)
	}
	cfg.Workers = 1 // the target values do not depend on who solves them
	sumB, err := Train(ctx, dir, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sumB.Updates != sumA.Updates || sumB.Steps != sumA.Steps {
		t.Fatalf("resumed run: %d updates, %d steps; uninterrupted: %d, %d", sumB.Updates, sumB.Steps, sumA.Updates, sumA.Steps)
	}
	a, b := weightsOf(t, full.Join("policy.safetensors")), weightsOf(t, dir.Join("policy.safetensors"))
	for k := range a {
		if !slices.Equal(a[k], b[k]) {
			t.Fatalf("layer %s differs after resuming", k)
		}
	}
	rowsA, _ := full.ReadTrace()
	rowsB, _ := dir.ReadTrace()
	if len(rowsA) != len(rowsB) {
		t.Fatalf("trace: %d rows uninterrupted, %d resumed", len(rowsA), len(rowsB))
	}
	for i := range rowsA {
		if rowsA[i].Phase != rowsB[i].Phase || rowsA[i].Epoch != rowsB[i].Epoch || *orZero(rowsA[i].Return) != *orZero(rowsB[i].Return) {
			t.Fatalf("trace row %d: %+v vs %+v", i, rowsA[i], rowsB[i])
		}
	}
}

func orZero(p *float64) *float64 {
	if p == nil {
		return new(float64)
	}
	return p
}

// Under KeepBest the policy written is the network of the best greedy
// evaluation in the trace (the warm start's included): replayed on the
// evaluation's episodes it scores that evaluation exactly.
func TestKeepBestWritesTheBestEvaluation(t *testing.T) {
	highstest.Need(t)
	ctx := context.Background()
	cfg := smallConfig()
	cfg.Keep, cfg.Features, cfg.EvalEvery, cfg.EvalEpisodes = KeepBest, FeaturesProduct, 1, 2
	dir, err := train.Create(t.TempDir()+"/best", cfg)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := Train(ctx, dir, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := dir.ReadTrace()
	if err != nil {
		t.Fatal(err)
	}
	best, evals := math.Inf(-1), 0
	for _, r := range rows {
		if r.Phase == "eval" {
			best, evals = max(best, *r.Return), evals+1
		}
	}
	if evals != cfg.Episodes+1 || sum.Best != best {
		t.Fatalf("%d evaluations (want %d), summary's best %g, the trace's %g", evals, cfg.Episodes+1, sum.Best, best)
	}
	p, err := LoadPolicy(dir.Join("policy.safetensors"), SelectConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	in, err := NewInstance(cfg.Family, cfg.J, cfg.B, cfg.Seed)
	if err != nil {
		t.Fatal(err)
	}
	got := 0.0
	for k := range cfg.EvalEpisodes {
		env, err := bandits.New(in, cfg.Horizon)
		if err != nil {
			t.Fatal(err)
		}
		obs, err := env.Reset(episodeSeed(cfg.Seed, k, true))
		if err != nil {
			t.Fatal(err)
		}
		q := p.Fresh() // a fresh selector per episode, as the trainer's is reset
		defer q.Close()
		for range cfg.Horizon {
			a, err := q.Act(ctx, obs, nil)
			if err != nil {
				t.Fatal(err)
			}
			step, err := env.Step(a)
			if err != nil {
				t.Fatal(err)
			}
			got += step.Info.(bandits.StepInfo).Expected
			obs = step.Obs
		}
	}
	if got /= float64(cfg.EvalEpisodes * cfg.Horizon); math.Abs(got-best) > 1e-9 {
		t.Fatalf("the kept policy scores %g on the evaluation episodes, the best evaluation was %g", got, best)
	}
}

// A run recorded before the input layout, warm start, units and keep
// options existed resumes with SEQUOIA's settings, which it began with.
func TestRecordedConfigKeepsItsBehaviour(t *testing.T) {
	got := Config{Family: "capacity", J: 6, B: 2}.Recorded().WithDefaults()
	if got.Features != FeaturesPlain || got.Warm != WarmMyopic || got.Units != UnitsReturn || got.Keep != KeepLast || got.Skip != SkipNone || got.KeepTest != KeepTestMean {
		t.Fatalf("old record resumes with %q inputs, %q warm start, %q units, keep %q, skip %q, keep test %q", got.Features, got.Warm, got.Units, got.Keep, got.Skip, got.KeepTest)
	}
	if paired := (Config{Family: "capacity", J: 6, B: 2, KeepTest: KeepTestPaired}).Recorded(); paired.KeepTest != KeepTestPaired {
		t.Fatalf("a paired record resumes with keep test %q", paired.KeepTest)
	}
	now := Config{Family: "capacity", J: 6, B: 2}.WithDefaults()
	if again := now.Recorded(); again.Features != now.Features || again.Warm != now.Warm || again.Units != now.Units || again.Keep != now.Keep || again.Skip != now.Skip || again.KeepTest != now.KeepTest {
		t.Fatalf("a new record changed on resume: %+v", again)
	}
}

// The paired rule replaces the kept network only when the lower end of
// the one-sided 95% t interval of the per-episode gains is above zero
// (hand-computed: gains 1, 2, 3 have mean 2, standard deviation 1 and
// t(0.95, 2) = 2.919986, so the lower end is 2 - 2.919986/√3 = 0.314145).
func TestKeepTestPaired(t *testing.T) {
	if got := pairedLower([]float64{11, 12, 13}, []float64{10, 10, 10}); math.Abs(got-0.3141446) > 1e-6 {
		t.Fatalf("lower end %g, want 0.3141446", got)
	}
	kept := []float64{10, 20, 30}
	for _, c := range []struct {
		test   string
		scores []float64
		kept   []float64
		want   bool
	}{
		{KeepTestMean, []float64{10.1, 20.1, 30.1}, kept, true},
		{KeepTestPaired, []float64{10.1, 20.1, 30.1}, kept, true}, // the same gain on every episode
		{KeepTestPaired, []float64{12, 19, 31}, kept, false},      // a higher mean, not a significant gain
		{KeepTestMean, []float64{12, 19, 31}, kept, true},
		{KeepTestPaired, []float64{11, 21.5, 31.2}, kept, true},
		{KeepTestPaired, []float64{9, 19, 29}, kept, false},
		{KeepTestPaired, []float64{40, 40, 40}, nil, true}, // a record without scores: by the mean
	} {
		mean := (c.scores[0] + c.scores[1] + c.scores[2]) / 3
		if got := replaces(c.test, 20, c.kept, mean, c.scores); got != c.want {
			t.Errorf("%s, %v against %v: replaces %v, want %v", c.test, c.scores, c.kept, got, c.want)
		}
	}
}

// The options are validated by name.
func TestDQNOptionsValidated(t *testing.T) {
	for field, cfg := range map[string]Config{
		"Skip":               {Skip: "quadratic"},
		"Target":             {Target: "frozen"},
		"Tau":                {Tau: 2},
		"LRDecay":            {LRDecay: 1.5},
		"Anchor":             {Anchor: -1},
		"Improve":            {Improve: 200},
		"Skip under Improve": {Improve: 1, Skip: SkipNone},
		// the fit reads the replay: it must hold every transition
		"Replay under Improve":   {Improve: 1, Episodes: 10, Horizon: 20, Replay: 199},
		"Features under Improve": {Improve: 1, Features: FeaturesPlain},
		"Double under Improve":   {Improve: 1, Double: true},
		"Anchor under Improve":   {Improve: 1, Anchor: 1},
		"ImproveEps":             {ImproveEps: 1.5},
		"ImproveRidge":           {ImproveRidge: -1},
		"KeepTest":               {KeepTest: "median"},
		"EvalEpisodes paired":    {KeepTest: KeepTestPaired, EvalEpisodes: 1},
		"KeepTest under last":    {KeepTest: KeepTestPaired, Keep: KeepLast},
	} {
		cfg.Family, cfg.J, cfg.B = "capacity", 6, 2
		err := cfg.WithDefaults().Validate()
		if err == nil || !strings.Contains(err.Error(), "Config."+strings.Fields(field)[0]) {
			t.Errorf("%s: %v", field, err)
		}
	}
	// policy iteration draws no batches: a replay that holds its play is
	// enough, below Batch
	ok := Config{Family: "capacity", J: 6, B: 2, Improve: 1, Episodes: 2, Horizon: 5, Replay: 10}
	if err := ok.WithDefaults().Validate(); err != nil {
		t.Errorf("%+v: %v", ok, err)
	}
}

// With the skip term the warm start fits the Whittle target exactly (it
// is linear in the product input) and leaves the ReLU part at zero: the
// warm network is its target on fresh samples, and its MIP has no binary.
func TestSkipWarmStartIsExact(t *testing.T) {
	for _, fam := range bandits.Families() {
		cfg := Config{Family: fam, J: 8, B: 3, Seed: 2, WarmSamples: 512}.WithDefaults()
		tr, inst, net := warmFitted(t, cfg, 7)
		rel := relax(inst, cfg.Gamma)
		var idx [][bandits.NumStates]float64
		for _, arm := range inst.Arms {
			idx = append(idx, bandits.WhittleIndex(arm, cfg.Gamma))
		}
		p := make([]float64, inst.J)
		for range 50 {
			states := randomStates(tr.rng, inst.J)
			a := inst.Sample(tr.rng)
			want := tr.warmTarget(&rel, idx, states, a, p)
			if got := net.Forward(InputOf(inst, cfg.Features, states, a, nil), nil); math.Abs(got-want) > 1e-5*max(1, math.Abs(want)) {
				t.Fatalf("%s: warm network %g, Whittle target %g", fam, got, want)
			}
		}
		for _, ly := range net.Layers[len(net.Layers)-1:] {
			for _, w := range ly.W[0] {
				if w != 0 {
					t.Fatalf("%s: the ReLU part's output weights moved: %v", fam, ly.W[0])
				}
			}
		}
	}
}

// track moves each target weight by tau towards the online one, in
// float32, and reports whether any moved: at the published 1e-6 a step
// below a weight's rounding leaves the network, and so the memo of its
// answers, as it was.
func TestTrackReportsMovement(t *testing.T) {
	m, err := newModel(nn.CPU(), rand.New(rand.NewPCG(1, 2)), 5, []int{4}, true)
	if err != nil {
		t.Fatal(err)
	}
	tp := m.targetParams()
	before := make([][]float32, len(tp))
	for i, p := range m.online() {
		d := p.Value.Data()
		for k := range d {
			d[k] = 1 + float32(k%3)
		}
		p.Value.Set(d)
		td := tp[i].Value.Data()
		for k := range td {
			td[k] = d[k] * (1 - 1e-3) // 0.1% away: a 1e-6 step is under half an ulp
		}
		tp[i].Value.Set(td)
		before[i] = slices.Clone(td)
	}
	if m.track(1e-6) {
		t.Error("a step under the weights' rounding reported a move")
	}
	for i, p := range tp {
		if !slices.Equal(p.Value.Data(), before[i]) {
			t.Fatalf("param %d moved by a step under its rounding", i)
		}
	}
	if !m.track(0.5) {
		t.Fatal("a step of half the distance reported no move")
	}
	on := m.online()
	for i, p := range tp {
		for k, v := range p.Value.Data() {
			want := before[i][k] + 0.5*(on[i].Value.Data()[k]-before[i][k])
			if math.Abs(float64(v-want)) > 1e-6 {
				t.Fatalf("param %d[%d] = %v, want %v", i, k, v, want)
			}
		}
	}
}

// solveDense returns the solution of a system built from a known one,
// with a row exchange needed at the first pivot.
func TestSolveDense(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	const d = 30
	a := make([]float64, d*d)
	want := make([]float64, d)
	for i := range d {
		want[i] = rng.NormFloat64()
		for k := range d {
			a[i*d+k] = rng.NormFloat64()
		}
	}
	a[0] = 0
	b := make([]float64, d)
	for i := range d {
		for k := range d {
			b[i] += a[i*d+k] * want[k]
		}
	}
	got, err := solveDense(a, b, d)
	if err != nil {
		t.Fatal(err)
	}
	for i := range d {
		if math.Abs(got[i]-want[i]) > 1e-8 {
			t.Fatalf("w[%d] = %g, want %g", i, got[i], want[i])
		}
	}
	if _, err := solveDense(make([]float64, 4), make([]float64, 2), 2); err == nil {
		t.Fatal("a zero matrix solved")
	}
}
