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
	"sync"
	"testing"

	"github.com/corl-go/corl/agents/train"
	"github.com/corl-go/corl/datasets"
	"github.com/corl-go/corl/envs/milp"
	"github.com/corl-go/corl/internal/highstest"
	"github.com/corl-go/corl/nn"
	"github.com/corl-go/corl/solver"
	"github.com/corl-go/corl/solver/bnb"
	"github.com/corl-go/corl/solver/highs"
)

// smallSetCover returns n generated set-cover instances of rows x cols.
func smallSetCover(t testing.TB, n, rows, cols int, seed uint64) []Instance {
	t.Helper()
	f, err := datasets.Lookup("setcover")
	if err != nil {
		t.Fatal(err)
	}
	var out []Instance
	for i := range n {
		m, _, err := f.Generate(datasets.Easy, datasets.FileSeed(seed, i), map[string]float64{"rows": float64(rows), "cols": float64(cols)})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, Instance{Name: fmt.Sprintf("sc-%d", i), Model: m})
	}
	return out
}

var (
	fixtureOnce    sync.Once
	fixtureSamples []*Sample
	fixtureErr     error
)

// samples collects a small shared data set once per test binary.
func samples(t *testing.T) []*Sample {
	t.Helper()
	highstest.Need(t)
	fixtureOnce.Do(func() {
		dir, err := os.MkdirTemp("", "revibranch-samples")
		if err != nil {
			fixtureErr = err
			return
		}
		defer os.RemoveAll(dir)
		res, err := Collect(context.Background(), CollectConfig{
			Instances: smallSetCover(t, 8, 150, 300, 3), Samples: 64, PerEpisode: 8, ExpertProb: 0.3, Dir: dir, Seed: 5, Workers: 2,
			// Without cuts, which close many of these small set covers at
			// the root or in a few nodes, leaving too few distinct states.
			Search: bnb.Config{NoCuts: true},
		})
		if err != nil {
			fixtureErr = err
			return
		}
		fixtureSamples, fixtureErr = LoadSamples(res.Shards, 64)
	})
	if fixtureErr != nil {
		t.Fatal(fixtureErr)
	}
	// The data must be diverse, or training tests say nothing.
	distinct := map[string]bool{}
	for _, x := range fixtureSamples {
		distinct[fmt.Sprint(x.Graph.NumCols, x.Node, x.ColFeat[:40])] = true
	}
	if len(distinct) < len(fixtureSamples)/2 {
		t.Fatalf("only %d distinct samples of %d", len(distinct), len(fixtureSamples))
	}
	return fixtureSamples
}

func TestShardRoundTripAndCorruption(t *testing.T) {
	g := &Graph{NumCols: 3, NumRows: 2, EdgeRow: []int32{0, 1, 1}, EdgeCol: []int32{0, 1, 2}, EdgeValue: []float32{1, -0.5, 0.25}}
	mk := func(expert int) Sample {
		x := Sample{Graph: g, Node: 7, Depth: 2, Candidates: []int32{0, 2}, Scores: []float32{1.5, 3}, Expert: expert,
			ColFeat: make([]float32, 3*milp.NumColFeatures), RowFeat: make([]float32, 2*milp.NumRowFeatures)}
		for i := range x.ColFeat {
			x.ColFeat[i] = float32(i) / 7
		}
		for i := range x.RowFeat {
			x.RowFeat[i] = -float32(i)
		}
		return x
	}
	sh := &Shard{Instance: "tiny", Stats: ShardStats{Nodes: 9, SBLPs: 4, SBIterations: 12, SBSeconds: 0.5, Seconds: 1}, Graph: g,
		Samples: []Sample{mk(1), mk(0)}}
	path := filepath.Join(t.TempDir(), "s.bin.gz")
	if err := WriteShard(path, sh); err != nil {
		t.Fatal(err)
	}
	got, err := ReadShard(path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Instance != sh.Instance || got.Stats != sh.Stats || len(got.Samples) != 2 ||
		!slices.Equal(got.Graph.EdgeValue, g.EdgeValue) || !slices.Equal(got.Samples[0].ColFeat, sh.Samples[0].ColFeat) ||
		!slices.Equal(got.Samples[1].RowFeat, sh.Samples[1].RowFeat) || got.Samples[0].Expert != 1 || got.Samples[1].Node != 7 {
		t.Fatalf("round trip changed the shard: %+v", got)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var mem bytes.Buffer
	if err := WriteShardTo(&mem, "mem", sh); err != nil || !bytes.Equal(mem.Bytes(), raw) {
		t.Errorf("WriteShardTo wrote other bytes than WriteShard's file (%v)", err)
	}
	if _, err := ReadShardFrom(bytes.NewReader(raw[:len(raw)/2]), "mem"); !errors.Is(err, ErrShard) || !strings.Contains(err.Error(), "mem") {
		t.Errorf("ReadShardFrom of half a shard: %v, want ErrShard naming it", err)
	}
	for _, cut := range []int{0, 10, len(raw) / 2, len(raw) - 1} {
		bad := filepath.Join(t.TempDir(), "bad.bin.gz")
		if err := os.WriteFile(bad, raw[:cut], 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := ReadShard(bad)
		if !errors.Is(err, ErrShard) || !bytes.Contains([]byte(err.Error()), []byte(bad)) {
			t.Errorf("cut at %d: %v, want ErrShard naming the file", cut, err)
		}
	}
	sh.Samples[0].Expert = 5
	if err := WriteShard(filepath.Join(t.TempDir(), "x"), sh); err == nil {
		t.Error("a sample whose expert is not a candidate was written")
	}
}

// Every collected sample is what the StrongBranchingScores observation
// says at that node: replaying the episode (the expert at the sampled
// nodes, pseudocosts elsewhere) meets the same nodes with the same
// observations and scores.
func TestCollectSampleIsStrongBranchingScores(t *testing.T) {
	highstest.Need(t)
	insts := smallSetCover(t, 2, 150, 300, 11) // large enough to branch
	for _, iterLimit := range []int{0, 5} {
		dir := t.TempDir()
		cfg := CollectConfig{Instances: insts, Samples: 30, PerEpisode: 15, ExpertProb: 0.4, IterLimit: iterLimit, Dir: dir, Seed: 2, Workers: 1}
		res, err := Collect(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		for k, path := range res.Shards {
			sh, err := ReadShard(path)
			if err != nil {
				t.Fatal(err)
			}
			byNode := map[int64]*Sample{}
			for i := range sh.Samples {
				byNode[sh.Samples[i].Node] = &sh.Samples[i]
			}
			lp, err := highs.New(highs.Config{})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			s, err := bnb.NewSearch(ctx, lp, insts[k%len(insts)].Model, bnb.Config{})
			if err != nil {
				t.Fatal(err)
			}
			obs := &milp.NodeBipartiteFunc{}
			obs.Reset(s)
			sbObs := milp.StrongBranchingScores{IterLimit: iterLimit}
			met := 0
			d, err := s.Next(ctx)
			for err == nil && d != nil && met < len(sh.Samples) {
				col := 0
				if x, ok := byNode[d.Node.ID]; ok {
					met++
					o, err := obs.Extract(ctx, d)
					if err != nil {
						t.Fatal(err)
					}
					scores, err := sbObs.Extract(ctx, d)
					if err != nil {
						t.Fatal(err)
					}
					if !slices.Equal(x.ColFeat, f32(o.ColFeatures)) || !slices.Equal(x.RowFeat, f32(o.RowFeatures)) {
						t.Fatalf("shard %d node %d: features differ from NodeBipartite's", k, d.Node.ID)
					}
					if len(x.Candidates) != len(o.Candidates) {
						t.Fatalf("shard %d node %d: %d candidates, NodeBipartite has %d", k, d.Node.ID, len(x.Candidates), len(o.Candidates))
					}
					best := math.Inf(-1)
					for i, j := range o.Candidates {
						if int(x.Candidates[i]) != j || x.Scores[i] != float32(scores[j]) {
							t.Fatalf("shard %d node %d candidate %d: column %d score %v, StrongBranchingScores says column %d score %v",
								k, d.Node.ID, i, x.Candidates[i], x.Scores[i], j, scores[j])
						}
						best = math.Max(best, scores[j])
					}
					if float64(x.Scores[x.Expert]) != float64(float32(best)) {
						t.Fatalf("expert's choice scores %v, the best is %v", x.Scores[x.Expert], best)
					}
					col = int(x.Candidates[x.Expert])
				} else if col, err = (bnb.PseudoCost{}).Select(ctx, d); err != nil {
					t.Fatal(err)
				}
				if err = s.Branch(col); err != nil {
					t.Fatal(err)
				}
				d, err = s.Next(ctx)
			}
			lp.Close()
			if err != nil {
				t.Fatal(err)
			}
			if met != len(sh.Samples) {
				t.Fatalf("shard %d: replay met %d of %d sampled nodes", k, met, len(sh.Samples))
			}
		}
	}
}

// The data set is the same for any number of workers and after losing
// shards (a kill): Collect again fills in exactly what is missing.
func TestCollectDeterministicAndResumable(t *testing.T) {
	highstest.Need(t)
	insts := smallSetCover(t, 3, 150, 300, 7) // large enough to branch without cuts
	collect := func(dir string, workers int) CollectResult {
		res, err := Collect(context.Background(), CollectConfig{Instances: insts, Samples: 40, ExpertProb: 0.3, Dir: dir, Seed: 9, Workers: workers,
			Search: bnb.Config{NoCuts: true}})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	a, b := t.TempDir(), t.TempDir()
	ra, rb := collect(a, 1), collect(b, 2)
	same := func(ra, rb CollectResult) {
		t.Helper()
		if len(ra.Shards) != len(rb.Shards) || ra.Samples != rb.Samples {
			t.Fatalf("%d shards with %d samples vs %d with %d", len(ra.Shards), ra.Samples, len(rb.Shards), rb.Samples)
		}
		for i := range ra.Shards {
			x, err := ReadShard(ra.Shards[i])
			if err != nil {
				t.Fatal(err)
			}
			y, err := ReadShard(rb.Shards[i])
			if err != nil {
				t.Fatal(err)
			}
			// The stats hold wall times; everything else must be equal.
			x.Stats, y.Stats = ShardStats{}, ShardStats{}
			if !reflect.DeepEqual(x, y) {
				t.Fatalf("shard %d differs", i)
			}
		}
	}
	same(ra, rb)
	if len(rb.Shards) < 3 {
		t.Fatalf("only %d shards", len(rb.Shards))
	}
	os.Remove(rb.Shards[1])
	os.Remove(rb.Shards[len(rb.Shards)-1])
	rc := collect(b, 2)
	// Episodes past the prefix that finished before being cancelled are
	// kept too, so at least the shards left in the prefix are resumed.
	if rc.Resumed < len(rb.Shards)-2 {
		t.Errorf("resumed %d shards, want at least %d", rc.Resumed, len(rb.Shards)-2)
	}
	same(ra, rc)
}

func TestDistributionOnlyOnCandidates(t *testing.T) {
	xs := samples(t)
	p, err := NewPolicy(nn.CPU(), rand.New(rand.NewPCG(1, 1)), DefaultPolicyConfig(8))
	if err != nil {
		t.Fatal(err)
	}
	p.SetStandardisation(xs)
	for _, x := range xs[:10] {
		o := observationOf(x)
		pr := p.Distribution(o)
		sum := 0.0
		for j, v := range pr {
			if !slices.Contains(o.Candidates, j) && v != 0 {
				t.Fatalf("column %d is no candidate but gets probability %v", j, v)
			}
			sum += v
		}
		if math.Abs(sum-1) > 1e-5 {
			t.Fatalf("probabilities sum to %v", sum)
		}
		c, err := p.Choose(o)
		if err != nil || !slices.Contains(o.Candidates, c) {
			t.Fatalf("Choose gave %d (%v), not a candidate", c, err)
		}
	}
}

// observationOf rebuilds a NodeBipartite observation from a sample.
func observationOf(x *Sample) milp.NodeBipartite {
	o := milp.NodeBipartite{ColFeatures: make([]float64, len(x.ColFeat)), RowFeatures: make([]float64, len(x.RowFeat))}
	for i, v := range x.ColFeat {
		o.ColFeatures[i] = float64(v)
	}
	for i, v := range x.RowFeat {
		o.RowFeatures[i] = float64(v)
	}
	g := x.Graph
	for k := range g.EdgeRow {
		o.EdgeRow = append(o.EdgeRow, int(g.EdgeRow[k]))
		o.EdgeCol = append(o.EdgeCol, int(g.EdgeCol[k]))
		o.EdgeValue = append(o.EdgeValue, float64(g.EdgeValue[k]))
	}
	for _, c := range x.Candidates {
		o.Candidates = append(o.Candidates, int(c))
	}
	return o
}

// cancelAt stops training at a given batch count, as a kill would.
type cancelAt struct {
	n, at  int
	cancel context.CancelFunc
}

func (c *cancelAt) Epoch(int, int) {}
func (c *cancelAt) Batch(int, float64) {
	c.n++
	if c.n == c.at {
		c.cancel()
	}
}

// Training interrupted at random batches and resumed each time ends with
// the same weights, bit for bit, as an uninterrupted run.
func TestTrainResumeIsBitIdentical(t *testing.T) {
	xs := samples(t)
	cfg := TrainConfig{Epochs: 4, BatchSize: 8, Dim: 16, LR: 0.01, Seed: 3, CheckpointEvery: 2, Patience: 2, EarlyStop: 4}
	run := func(dir *train.Dir, stops []int) []byte {
		for _, at := range stops {
			ctx, cancel := context.WithCancel(context.Background())
			_, _, err := Train(ctx, xs, cfg, dir, nil, &cancelAt{at: at, cancel: cancel})
			cancel()
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("stopped at batch %d: %v, want context.Canceled", at, err)
			}
		}
		_, res, err := Train(context.Background(), xs, cfg, dir, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(stops) > 0 && !res.Resumed {
			t.Fatal("the run did not resume")
		}
		b, err := os.ReadFile(dir.Join(BestPolicyFile))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	newDir := func() *train.Dir {
		d, err := train.Create(t.TempDir(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	ref := newDir()
	want := run(ref, nil)
	refTrace, err := ref.ReadTrace()
	if err != nil {
		t.Fatal(err)
	}
	if len(refTrace) == 0 {
		t.Fatal("no training trace")
	}
	rng := rand.New(rand.NewPCG(4, 4))
	for trial := range 3 {
		var stops []int
		for range 1 + trial {
			stops = append(stops, 1+rng.IntN(12)) // 7 batches an epoch: stops fall in every epoch
		}
		d := newDir()
		got := run(d, stops)
		if !bytes.Equal(got, want) {
			t.Fatalf("stops %v: final policy differs from the uninterrupted run's", stops)
		}
		tr, err := d.ReadTrace()
		if err != nil {
			t.Fatal(err)
		}
		if len(tr) != len(refTrace) {
			t.Fatalf("stops %v: %d trace rows, want %d", stops, len(tr), len(refTrace))
		}
		for i := range tr {
			a, b := tr[i], refTrace[i]
			if a.Phase != b.Phase || a.Epoch != b.Epoch || a.Step != b.Step || a.Loss != b.Loss || *a.Top1 != *b.Top1 || a.LR != b.LR {
				t.Fatalf("stops %v: trace row %d is %+v, want %+v", stops, i, a, b)
			}
		}
	}
}

// Training on the samples beats chance clearly on the samples it saw.
func TestTrainLearns(t *testing.T) {
	xs := samples(t)
	d, err := train.Create(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := Train(context.Background(), xs, TrainConfig{Epochs: 25, BatchSize: 8, Dim: 16, Seed: 1, ValidFraction: 0.2, EarlyStop: 25}, d, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, top1, _ := p.evaluate(xs, 16)
	chance := 0.0
	for _, x := range xs {
		chance += 1 / float64(len(x.Candidates))
	}
	chance /= float64(len(xs))
	t.Logf("top-1 %.2f, chance %.2f", top1, chance)
	if top1 < 2*chance {
		t.Fatalf("top-1 accuracy %.2f, chance is %.2f", top1, chance)
	}
}

// The drop-in brancher builds the same tree as the environment driven
// step by step with the policy's choices.
func TestBrancherBuildsEnvTree(t *testing.T) {
	highstest.Need(t)
	p, err := DefaultPolicy()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	total := 0
	defer func() {
		if total < 20 {
			t.Errorf("only %d branching steps over the instances: the comparison says little", total)
		}
	}()
	for _, inst := range smallSetCover(t, 3, 120, 240, 21) {
		// Heuristics and cuts off in both: they would close these small
		// instances after a few branchings, and the comparison is about the brancher.
		env, err := milp.New(milp.Config{Instances: milp.Fixed(inst.Model), Search: bnb.Config{NoHeuristics: true, NoCuts: true}}, &milp.NodeBipartiteFunc{}, milp.NNodes)
		if err != nil {
			t.Fatal(err)
		}
		o, err := env.Reset(1)
		if err != nil {
			t.Fatal(err)
		}
		var info milp.StepInfo
		steps := 0
		for !env.Done() {
			col, err := p.Choose(o)
			if err != nil {
				t.Fatal(err)
			}
			st, err := env.Step(col)
			if err != nil {
				t.Fatal(err)
			}
			o, info = st.Obs, st.Info.(milp.StepInfo)
			steps++
			total++
		}
		lp, err := highs.New(highs.Config{})
		if err != nil {
			t.Fatal(err)
		}
		res, err := bnb.Solve(ctx, lp, inst.Model, p.Brancher(), bnb.Config{NoHeuristics: true, NoCuts: true})
		lp.Close()
		if err != nil {
			t.Fatal(err)
		}
		es := info.Stats
		if steps > 0 && (res.Stats.Nodes != es.Nodes || res.Stats.LPIterations != es.LPIterations || res.Stats.Branchings != es.Branchings) {
			t.Fatalf("%s: brancher %d nodes %d LP iterations %d branchings; env %d, %d, %d", inst.Name,
				res.Stats.Nodes, res.Stats.LPIterations, res.Stats.Branchings, es.Nodes, es.LPIterations, es.Branchings)
		}
		if res.Status != solver.StatusOptimal {
			t.Fatalf("%s: %v", inst.Name, res.Status)
		}
	}
}

func TestBadCheckpointsRefused(t *testing.T) {
	dir := t.TempDir()
	p, err := NewPolicy(nn.CPU(), rand.New(rand.NewPCG(1, 1)), DefaultPolicyConfig(8))
	if err != nil {
		t.Fatal(err)
	}
	good := filepath.Join(dir, "good.safetensors")
	if err := p.Save(good); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadPolicy(good, nil); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(good)
	write := func(name string, b []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	mlp, _ := nn.NewMLP(nn.CPU(), rand.New(rand.NewPCG(1, 1)), nn.MLPConfig{Sizes: []int{2, 2}})
	otherArch := filepath.Join(dir, "mlp.safetensors")
	if err := nn.Save(otherArch, mlp.Params(), "mlp", nil); err != nil {
		t.Fatal(err)
	}
	wrongObs := filepath.Join(dir, "obs.safetensors")
	c := p.Config
	c.ColFeatures = 18
	if err := nn.Save(wrongObs, p.allParams(), Arch, c); err != nil {
		t.Fatal(err)
	}
	wrongDim := filepath.Join(dir, "dim.safetensors")
	c = p.Config
	c.Dim = 16
	if err := nn.Save(wrongDim, p.allParams(), Arch, c); err != nil {
		t.Fatal(err)
	}
	cases := map[string]error{
		write("truncated.safetensors", raw[:len(raw)/2]): nn.ErrCheckpoint,
		write("empty.safetensors", nil):                  nn.ErrCheckpoint,
		otherArch:                                        nn.ErrMismatch,
		wrongObs:                                         nn.ErrMismatch,
		wrongDim:                                         nn.ErrMismatch,
	}
	for path, want := range cases {
		_, err := LoadPolicy(path, nil)
		if !errors.Is(err, want) || !bytes.Contains([]byte(err.Error()), []byte(path)) {
			t.Errorf("%s: %v, want %v naming the file", filepath.Base(path), err, want)
		}
	}
}

// The embedded default policy is the committed file, and it branches
// better than random and most-fractional branching in nodes.
func TestDefaultPolicy(t *testing.T) {
	committed, err := os.ReadFile(filepath.Join("policies", "setcover.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(committed, DefaultPolicyBytes()) {
		t.Fatal("the embedded policy is not the committed file")
	}
	p, err := DefaultPolicy()
	if err != nil {
		t.Fatal(err)
	}
	highstest.Need(t)
	ctx := context.Background()
	nodes := map[string]float64{}
	rules := map[string]func() bnb.Brancher{
		"gnn":      func() bnb.Brancher { return p.Brancher() },
		"random":   func() bnb.Brancher { r, _ := bnb.NewRule("random", 1); return r },
		"mostfrac": func() bnb.Brancher { return bnb.MostFractional{} },
	}
	for _, inst := range smallSetCover(t, 4, 250, 500, 99) { // the size it was trained on
		opt := math.NaN()
		for name, rule := range rules {
			lp, err := highs.New(highs.Config{})
			if err != nil {
				t.Fatal(err)
			}
			res, err := bnb.Solve(ctx, lp, inst.Model, rule(), bnb.Config{})
			lp.Close()
			if err != nil || res.Status != solver.StatusOptimal {
				t.Fatalf("%s on %s: %v %v", name, inst.Name, res.Status, err)
			}
			if !math.IsNaN(opt) && math.Abs(res.Objective-opt) > 1e-6*math.Max(1, math.Abs(opt)) {
				t.Fatalf("%s finds %v on %s, another rule %v", name, res.Objective, inst.Name, opt)
			}
			opt = res.Objective
			nodes[name] += math.Log(float64(res.Stats.Nodes) + 1)
		}
	}
	t.Logf("log-nodes sums: %v", nodes)
	for _, other := range []string{"random", "mostfrac"} {
		if nodes["gnn"] >= nodes[other] {
			t.Errorf("gnn needs as many nodes as %s (sums of log(nodes+1): %.2f vs %.2f)", other, nodes["gnn"], nodes[other])
		}
	}
}

// The policy's inference path gives the autodiff forward's logits.
func TestInferenceMatchesTrainingForward(t *testing.T) {
	xs := samples(t)
	p, err := NewPolicy(nn.CPU(), rand.New(rand.NewPCG(2, 2)), DefaultPolicyConfig(16))
	if err != nil {
		t.Fatal(err)
	}
	p.SetStandardisation(xs)
	var sc scorer
	var prev *Graph
	for i, x := range xs[:12] {
		want := p.Net.Forward(p.makeBatch([]*Sample{x}).graph).Data()
		got := sc.logits(p, observationOf(x), x.Graph != prev) // the edges are kept while the graph stays
		prev = x.Graph
		for j := range want {
			if d := math.Abs(float64(got[j] - want[j])); d > 1e-5*math.Max(1, math.Abs(float64(want[j]))) {
				t.Fatalf("sample %d column %d: inference %v, autodiff %v", i, j, got[j], want[j])
			}
		}
	}
}
