package revibranch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/corl-go/corl/agents/train"
	"github.com/corl-go/corl/datasets"
	"github.com/corl-go/corl/internal/highstest"
	"github.com/corl-go/corl/nn"
	"github.com/corl-go/corl/solver"
	"github.com/corl-go/corl/solver/bnb"
	"github.com/corl-go/corl/solver/highs"
)

// tinyKnapsacks returns n generated multiple-knapsack instances of items
// items in 2 knapsacks: trees of tens of nodes.
func tinyKnapsacks(t testing.TB, n, items int, seed uint64) []Instance {
	t.Helper()
	f, err := datasets.Lookup("knapsack")
	if err != nil {
		t.Fatal(err)
	}
	var out []Instance
	for i := range n {
		m, _, err := f.Generate(datasets.Easy, datasets.FileSeed(seed, i), map[string]float64{"items": float64(items), "knapsacks": 2})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, Instance{Name: fmt.Sprintf("ks-%d", i), Model: m})
	}
	return out
}

// tinySearch is the episodes' search where a test needs decisions on
// tinyKnapsacks: the default one without aggregated covers, which close
// most of them within a few nodes.
var tinySearch = bnb.Config{Cuts: bnb.Cuts{NoAggCover: true}}

func tinyRLConfig() RLConfig {
	return RLConfig{Episodes: 6, EpisodesPerRound: 2, UpdatesPerRound: 2, Batch: 4, LR: 1e-3, Seed: 4,
		Q: QConfig{Policy: DefaultPolicyConfig(8)}, EpisodeNodeLimit: 200}
}

// A run stopped after random rounds and resumed each time ends with the
// same weights, bit for bit, as an uninterrupted one, whatever the
// number of workers; the replay buffer is refilled from the episode files.
func TestTrainRLResumeIsBitIdentical(t *testing.T) {
	highstest.Need(t)
	insts := tinyKnapsacks(t, 3, 14, 1)
	cfg := tinyRLConfig()
	run := func(workers int, stops []int) ([]byte, RLResult) {
		dir, err := train.Create(t.TempDir(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		stopAfter(t, cfg, RLEnv{Instances: insts, Workers: workers, Search: tinySearch}, dir, stops)
		res, err := TrainRL(context.Background(), cfg, RLEnv{Instances: insts, Workers: workers, Search: tinySearch}, dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(stops) > 0 && !res.Resumed {
			t.Fatal("the run did not resume")
		}
		b, err := os.ReadFile(dir.Join(PolicyFile))
		if err != nil {
			t.Fatal(err)
		}
		return b, res
	}
	want, res := run(2, nil)
	if res.Updates == 0 || res.ReplayPaths == 0 {
		t.Fatalf("the run made %d updates on %d paths: the comparison says nothing", res.Updates, res.ReplayPaths)
	}
	t.Logf("%d updates, %d paths in the buffer", res.Updates, res.ReplayPaths)
	if got, _ := run(1, []int{1, 2}); !bytes.Equal(got, want) {
		t.Fatal("stopped after rounds 1 and 2 on one worker: the policy differs from the uninterrupted run's")
	}
}

// stopAfter runs TrainRL in dir once per entry of rounds, each time
// cancelled after that round, as a kill would stop it.
func stopAfter(t *testing.T, cfg RLConfig, env RLEnv, dir *train.Dir, rounds []int) {
	t.Helper()
	for _, at := range rounds {
		ctx, cancel := context.WithCancel(context.Background())
		env.Progress = func(p RLProgress) {
			if p.Round == at {
				cancel()
			}
		}
		_, err := TrainRL(ctx, cfg, env, dir)
		cancel()
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("stopped after round %d: %v, want context.Canceled", at, err)
		}
	}
}

// The trained checkpoint, loaded from its file, is a drop-in brancher:
// bnb.Solve with it builds the tree the environment builds when driven
// step by step with the network's greedy choices.
func TestRLCheckpointBuildsEnvTree(t *testing.T) {
	highstest.Need(t)
	insts := tinyKnapsacks(t, 2, 14, 2)
	cfg := tinyRLConfig()
	cfg.Episodes, cfg.Q.NoHistory = 2, false
	dir, err := train.Create(t.TempDir(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := TrainRL(context.Background(), cfg, RLEnv{Instances: insts}, dir); err != nil {
		t.Fatal(err)
	}
	q, err := LoadQNet(dir.Join(PolicyFile), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// A node limit keeps the trees small; both stop at it the same way.
	search := bnb.Config{NoHeuristics: true, NodeLimit: 120}
	total := 0
	for _, inst := range append(insts, tinyKnapsacks(t, 2, 18, 3)...) {
		ep, err := PlayEpisode(ctx, q, inst, EpisodeConfig{Search: search})
		if err != nil {
			t.Fatal(err)
		}
		var cols []int
		for _, s := range ep.Steps {
			cols = append(cols, int(s.Candidates[s.Action]))
		}
		lp, err := highs.New(highs.Config{})
		if err != nil {
			t.Fatal(err)
		}
		var solveCols []int
		sc := search
		sc.Observe = func(d bnb.Decided) error { solveCols = append(solveCols, d.Column); return nil }
		res, err := bnb.Solve(ctx, lp, inst.Model, q.Brancher(), sc)
		lp.Close()
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != solver.StatusOptimal && res.Status != solver.StatusNodeLimit {
			t.Fatalf("%s: %v", inst.Name, res.Status)
		}
		if res.Stats.Nodes != ep.Nodes || !slices.Equal(cols, solveCols) {
			t.Fatalf("%s: solve %d nodes, branched on %v; env %d nodes, %v", inst.Name, res.Stats.Nodes, solveCols, ep.Nodes, cols)
		}
		total += len(cols)
		t.Logf("%s: %d nodes, %d decisions, %v", inst.Name, ep.Nodes, len(cols), res.Status)
	}
	if total < 10 {
		t.Errorf("only %d decisions over the instances: the comparison says little", total)
	}
}

// A variant's name carries its ablations and a reward other than the
// default, so runs that differ only there get different names.
func TestRLVariantNames(t *testing.T) {
	for _, c := range []struct {
		cfg  RLConfig
		want string
	}{
		{RLConfig{}, "revibranch"},
		{RLConfig{Reward: RewardBoth}, "revibranch"},
		{RLConfig{Reward: RewardLPIterations}, "revibranch-lpiters"},
		{RLConfig{TreeMDP: true, Reward: RewardNodes}, "tree-mdp-nodes"},
		{RLConfig{Q: QConfig{NoHistory: true}, Redistribution: RedistributeNone, Reward: RewardNodes}, "revibranch-no-history-no-redistribution-nodes"},
		{RLConfig{NoCutoff: true}, "revibranch-no-cutoff"},
		{RLConfig{TreeMDP: true, Reward: RewardNodes, NoCutoff: true}, "tree-mdp-nodes-no-cutoff"},
	} {
		if got := c.cfg.Variant(); got != c.want {
			t.Errorf("%+v: variant %q, want %q", c.cfg, got, c.want)
		}
	}
}

// Each ablation trains and records what it left out, in its checkpoint
// and its name.
func TestRLVariants(t *testing.T) {
	highstest.Need(t)
	insts := tinyKnapsacks(t, 2, 12, 5)
	for _, c := range []struct {
		name      string
		set       func(*RLConfig)
		noHistory bool
	}{
		{"revibranch", func(*RLConfig) {}, false},
		{"revibranch-no-history", func(c *RLConfig) { c.Q.NoHistory = true }, true},
		{"revibranch-no-redistribution", func(c *RLConfig) { c.Redistribution = RedistributeNone }, false},
		{"tree-mdp", func(c *RLConfig) { c.TreeMDP = true }, true},
	} {
		cfg := tinyRLConfig()
		cfg.Episodes = 2
		c.set(&cfg)
		if got := cfg.Variant(); got != c.name {
			t.Errorf("variant %q, want %q", got, c.name)
		}
		dir, err := train.Create(t.TempDir(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		// Without cuts, which close these tiny knapsacks at the root.
		res, err := TrainRL(context.Background(), cfg, RLEnv{Instances: insts, Search: bnb.Config{NoCuts: true}}, dir)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		q, err := LoadQNet(dir.Join(PolicyFile), nil)
		if err != nil {
			t.Fatal(err)
		}
		if q.Config.NoHistory != c.noHistory || res.Updates == 0 {
			t.Errorf("%s: no history %v after %d updates, want %v", c.name, q.Config.NoHistory, res.Updates, c.noHistory)
		}
	}
}

// Episode files round-trip; damaged ones are refused, named, never a panic.
func TestEpisodeFiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 9))
	ep := randomPathEpisode(rng, 5)
	ep.Index, ep.Instance, ep.Nodes = 7, "x", 11
	path := filepath.Join(t.TempDir(), "ep.gob.gz")
	if err := WriteEpisode(path, ep); err != nil {
		t.Fatal(err)
	}
	got, err := ReadEpisode(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, ep) {
		t.Fatal("the episode read back differs")
	}
	raw, _ := os.ReadFile(path)
	for _, cut := range []int{0, 10, len(raw) / 2, len(raw) - 4} {
		bad := filepath.Join(t.TempDir(), "bad.gob.gz")
		os.WriteFile(bad, raw[:cut], 0o644)
		if _, err := ReadEpisode(bad); !errors.Is(err, ErrEpisodeFile) || !strings.Contains(err.Error(), bad) {
			t.Errorf("cut at %d: %v, want ErrEpisodeFile naming the file", cut, err)
		}
	}
	ep.Steps[3].Parent = 99 // not a tree any more
	WriteEpisode(path, ep)
	if _, err := ReadEpisode(path); !errors.Is(err, ErrEpisodeFile) {
		t.Errorf("a broken tree: %v, want ErrEpisodeFile", err)
	}
}

// The learner fits its targets: on a fixed buffer of random trees, a
// hundred updates cut the loss (Monte-Carlo targets, so the targets stay
// put) by more than half, with and without history.
// randomTreeEpisodes returns n random trees on one random graph, with
// random features.
func randomTreeEpisodes(rng *rand.Rand, n int) []*Episode {
	g := randomPathEpisode(rng, 1).Graph
	var eps []*Episode
	for range n {
		ep, _ := randomTree(rng, 5+rng.IntN(20))
		ep.Graph = g
		for i := range ep.Steps {
			s := randomStep(rng, g, ep.Steps[i].Node, ep.Steps[i].Parent)
			ep.Steps[i] = s
		}
		eps = append(eps, ep)
	}
	return eps
}

// testLearner returns a learner of cfg (defaults filled in) whose replay
// buffer holds eps' paths.
func testLearner(t *testing.T, cfg RLConfig, eps []*Episode) *learner {
	t.Helper()
	cfg = cfg.WithDefaults()
	l := &learner{cfg: cfg}
	var err error
	if l.q, err = NewQNet(nn.CPU(), rand.New(rand.NewPCG(1, 2)), cfg.Q, nil); err != nil {
		t.Fatal(err)
	}
	if l.tgt, err = NewQNet(nn.CPU(), rand.New(rand.NewPCG(1, 2)), cfg.Q, nil); err != nil {
		t.Fatal(err)
	}
	l.opt, l.pcg = nn.NewAdam(cfg.LR), rand.NewPCG(1, 1)
	l.rng = rand.New(l.pcg)
	for _, ep := range eps {
		if err := l.add(ep); err != nil {
			t.Fatal(err)
		}
	}
	return l
}

func TestUpdatesFitTargets(t *testing.T) {
	eps := randomTreeEpisodes(rand.New(rand.NewPCG(5, 5)), 6)
	for _, noHistory := range []bool{false, true} {
		l := testLearner(t, RLConfig{Episodes: 1, Batch: 8, LR: 3e-3, MonteCarlo: true, Seed: 1, Q: QConfig{Policy: DefaultPolicyConfig(8), NoHistory: noHistory}}, eps)
		mean := func(n int) float64 {
			s := 0.0
			for range n {
				v, err := l.update()
				if err != nil {
					t.Fatal(err)
				}
				s += v
			}
			return s / float64(n)
		}
		first := mean(10)
		mean(80)
		last := mean(10)
		t.Logf("noHistory %v: loss %.3f, then %.3f", noHistory, first, last)
		if !(last < first/2) {
			t.Errorf("noHistory %v: loss %.3f after 100 updates, %.3f at the start", noHistory, last, first)
		}
	}
}

// The first update starts from networks whose mean Q-value over its
// batch's decisions is their mean return (the online and the target
// network alike), and the shift changes no choice.
func TestFirstUpdateCalibratesLevel(t *testing.T) {
	eps := randomTreeEpisodes(rand.New(rand.NewPCG(6, 6)), 6)
	l := testLearner(t, RLConfig{Episodes: 1, Batch: 8, Seed: 1, Q: QConfig{Policy: DefaultPolicyConfig(8)}}, eps)
	paths := make([]*Path, l.replay.Len())
	for i := range paths {
		paths[i] = l.replay.At(i)
	}
	bt := l.q.makeQBatch(paths)
	q := func(n *QNet) []float32 {
		sc := nn.NoGrad()
		defer sc.Release()
		return n.forward(bt, sc).Data()
	}
	before := q(l.q)
	// The first update's draws, as update makes them.
	draw := rand.New(rand.NewPCG(1, 1))
	batch := make([]*Path, l.cfg.Batch)
	for i := range batch {
		batch[i] = l.replay.At(draw.IntN(l.replay.Len()))
	}
	bb := l.q.makeQBatch(batch)
	l.calibrate(batch, bb)
	sc := nn.NoGrad()
	defer sc.Release()
	online, target := l.q.forward(bb, sc).Data(), l.tgt.forward(bb, sc).Data()
	mc := l.returnsToGo(batch, bb)
	var meanQ, meanT, meanR float64
	for s, c := range bb.chosen {
		meanQ, meanT, meanR = meanQ+float64(online[c]), meanT+float64(target[c]), meanR+mc[s]
	}
	n := float64(len(bb.chosen))
	meanQ, meanT, meanR = meanQ/n, meanT/n, meanR/n
	if math.Abs(meanQ-meanR) > 1e-4*meanR || math.Abs(meanT-meanR) > 1e-4*meanR {
		t.Fatalf("after calibration: mean Q %v online, %v target, mean return %v", meanQ, meanT, meanR)
	}
	if meanR < 1 {
		t.Fatalf("mean return %v: the test's trees are too small to tell a level", meanR)
	}
	after := q(l.q)
	for s := range len(bt.chosen) {
		lo, hi := bt.candStart[s], bt.candStart[s+1]
		if argmin(before[lo:hi]) != argmin(after[lo:hi]) {
			t.Fatalf("state %d: the calibration changed the choice", s)
		}
	}
	// update calibrates at its first step: one Adam step later the level
	// is still the returns', where it was not before.
	l2 := testLearner(t, RLConfig{Episodes: 1, Batch: 8, Seed: 1, Q: QConfig{Policy: DefaultPolicyConfig(8)}}, eps)
	levelOn := func(v []float32) float64 {
		m := 0.0
		for _, c := range bb.chosen {
			m += float64(v[c])
		}
		return m / n
	}
	was := levelOn(l2.q.forward(bb, sc).Data())
	if _, err := l2.update(); err != nil {
		t.Fatal(err)
	}
	now := levelOn(l2.q.forward(bb, sc).Data())
	t.Logf("mean Q on the first batch: %.3f before the first update, %.3f after; mean return %.3f", was, now, meanR)
	if math.Abs(was-meanR) < 0.5 || math.Abs(now-meanR) > 0.1 {
		t.Fatalf("mean Q on the first batch: %.3f before the first update, %.3f after, mean return %.3f", was, now, meanR)
	}
}

// At search time the cached sequence model builds the tree a rerun over
// every history builds: the same columns at the same nodes.
func TestCachedBrancherBuildsSameTree(t *testing.T) {
	highstest.Need(t)
	q, err := NewQNet(nn.CPU(), rand.New(rand.NewPCG(2, 2)), QConfig{Policy: DefaultPolicyConfig(8)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	withContext(q, 2)
	ctx := context.Background()
	total := 0
	for _, inst := range tinyKnapsacks(t, 3, 18, 5) {
		var trees [2][]int64
		var nodes [2]int64
		for i, noCache := range []bool{false, true} {
			br := q.Brancher()
			br.noCache = noCache
			cfg := bnb.Config{NoHeuristics: true, NoCuts: true, NodeLimit: 300, Observe: func(d bnb.Decided) error {
				trees[i] = append(trees[i], d.Node.ID, int64(d.Column))
				return nil
			}}
			lp, err := highs.New(highs.Config{})
			if err != nil {
				t.Fatal(err)
			}
			res, err := bnb.Solve(ctx, lp, inst.Model, br, cfg)
			lp.Close()
			if err != nil {
				t.Fatal(err)
			}
			nodes[i] = res.Stats.Nodes
		}
		if !slices.Equal(trees[0], trees[1]) || nodes[0] != nodes[1] {
			t.Fatalf("%s: cached %d nodes, rerun %d; decisions differ", inst.Name, nodes[0], nodes[1])
		}
		total += len(trees[0]) / 2
	}
	if total < 10 {
		t.Errorf("only %d decisions: the comparison says little", total)
	}
}

// With NoCutoff, episodes search as evaluation does: no optimal value is
// solved for (the engine would fail the run) and the search keeps its
// heuristics; without it, the optimum HiGHS proves is the cutoff and
// heuristics are off.
func TestNoCutoffSearchesAsEvaluation(t *testing.T) {
	highstest.Need(t)
	insts := tinyKnapsacks(t, 2, 12, 9)
	search := bnb.Config{NodeLimit: 7} // heuristics on, as evaluation's default
	refuse := func() (solver.Engine, error) { return nil, errors.New("no engine: the cutoff was solved for") }
	l := &learner{cfg: RLConfig{NoCutoff: true, EpisodeNodeLimit: 50}, env: RLEnv{Search: search, NewEngine: refuse}}
	cuts, err := l.findCutoffs(context.Background(), insts)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cuts {
		got := l.searchConfig(c)
		if !math.IsNaN(c) || got.HasCutoff || got.NoHeuristics || got.NodeLimit != 50 {
			t.Errorf("instance %d, --no-cutoff: cutoff %v, search %+v; want none, heuristics on, node limit 50", i, c, got)
		}
	}

	l.cfg.NoCutoff, l.env.NewEngine, l.env.Optima = false, newHiGHS, &Optima{Dir: t.TempDir()}
	if cuts, err = l.findCutoffs(context.Background(), insts); err != nil {
		t.Fatal(err)
	}
	for i, c := range cuts {
		lp, err := newHiGHS()
		if err != nil {
			t.Fatal(err)
		}
		sol, err := bnb.Solve(context.Background(), lp, insts[i].Model, mustRule(t, "pscost"), bnb.Config{}) // corl's own proof
		lp.Close()
		if err != nil || sol.Status != solver.StatusOptimal {
			t.Fatalf("instance %d: %v, status %v", i, err, sol.Status)
		}
		got := l.searchConfig(c)
		if math.Abs(c-sol.Objective) > 1e-6 || !got.HasCutoff || got.Cutoff != c || !got.NoHeuristics {
			t.Errorf("instance %d: cutoff %v (optimum %v), search %+v; want the optimum as cutoff, heuristics off", i, c, sol.Objective, got)
		}
	}
}
