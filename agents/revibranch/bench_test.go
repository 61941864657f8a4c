package revibranch

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/corl-go/corl/agents/train"
	"github.com/corl-go/corl/datasets"
	"github.com/corl-go/corl/internal/highstest"
	"github.com/corl-go/corl/nn"
	"github.com/corl-go/corl/solver/bnb"
	"github.com/corl-go/corl/solver/highs"
)

// BenchmarkRootDecision compares, at the root of an easy set cover
// (500x1000, Gasse et al.'s size), the policy's decision (observation,
// network, argmax) with that node's LP work: a warm child LP (one strong
// branching child from the node's basis, the unit of work of strong
// branching) and the node's LP solved again from scratch.
func BenchmarkRootDecision(b *testing.B) {
	highstest.Need(b)
	ctx := context.Background()
	f, _ := datasets.Lookup("setcover")
	m, _, err := f.Generate(datasets.Easy, datasets.FileSeed(1, 0), nil)
	if err != nil {
		b.Fatal(err)
	}
	lp, err := highs.New(highs.Config{})
	if err != nil {
		b.Fatal(err)
	}
	defer lp.Close()
	s, err := bnb.NewSearch(ctx, lp, m, bnb.Config{})
	if err != nil {
		b.Fatal(err)
	}
	d, err := s.Next(ctx)
	if err != nil || d == nil {
		b.Fatalf("no root decision: %v", err)
	}
	def, err := DefaultPolicy()
	if err != nil {
		b.Fatal(err)
	}
	p64, err := NewPolicy(nn.CPU(), rand.New(rand.NewPCG(1, 1)), DefaultPolicyConfig(64))
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		p    *Policy
	}{{"decision-dim32", def}, {"decision-dim64", p64}} {
		b.Run(c.name, func(b *testing.B) {
			br := c.p.Brancher()
			for b.Loop() {
				if _, err := br.Select(ctx, d); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	j := d.Candidates()[0]
	b.Run("lp-child-warm", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := d.StrongBranch(ctx, j, 0, false); err != nil { // two children
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(2*b.N), "ns/child")
	})
	relax := m.Clone()
	relax.Type = nil
	b.Run("lp-node-cold", func(b *testing.B) {
		cold, err := highs.New(highs.Config{})
		if err != nil {
			b.Fatal(err)
		}
		defer cold.Close()
		for b.Loop() {
			if err := cold.Load(relax); err != nil {
				b.Fatal(err)
			}
			if _, err := cold.Solve(ctx); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkQNetDecision times a Q-network's decision (GCNN on the node,
// the sequence model over its ancestors' tokens, the head on each
// candidate) on a 6x4 graph at depths 1, 16 and 64, with and without
// history, and with history both from the parent's sequence cache (what
// a search does) and rerun over the whole history (the cache's oracle):
// what a decision's history costs over the state alone.
func BenchmarkQNetDecision(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 3))
	ep := randomPathEpisode(rng, 64)
	for _, mode := range []string{"history", "history-rerun", "state"} {
		q, err := NewQNet(nn.CPU(), rand.New(rand.NewPCG(1, 1)), QConfig{Policy: DefaultPolicyConfig(32), NoHistory: mode == "state"}, nil)
		if err != nil {
			b.Fatal(err)
		}
		for _, depth := range []int{1, 16, 64} {
			ch := newChooser(q)
			ch.noCache = mode == "history-rerun"
			for _, s := range ep.Steps[:depth-1] {
				ch.values(s.Node, s.Parent, observationOf(&Sample{Graph: ep.Graph, ColFeat: s.ColFeat, RowFeat: s.RowFeat, Candidates: s.Candidates}))
				ch.commit(int(s.Candidates[s.Action]))
			}
			s := ep.Steps[depth-1]
			o := observationOf(&Sample{Graph: ep.Graph, ColFeat: s.ColFeat, RowFeat: s.RowFeat, Candidates: s.Candidates})
			b.Run(fmt.Sprintf("%s/depth=%d", mode, depth), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					ch.values(s.Node, s.Parent, o)
				}
			})
		}
	}
}

// BenchmarkRLVariants trains the four RL variants with the same episodes
// on ten generated multiple knapsacks and evaluates each greedy network,
// next to pscost and relpscost, on ten held-out ones, all without cuts:
// nodes and LP iterations as 1-shifted geometric means (metrics
// "<policy>-nodes" and "<policy>-iters"). It is a measurement, not a
// test: run it once, -benchtime 1x; CORL_BENCH_ITEMS and
// CORL_BENCH_EPISODES size it (default 20 items, where pscost needs a few
// hundred nodes, and 100 episodes). Training episodes stop at 2,000
// nodes, evaluation runs at 5,000 (counted at the limit).
func BenchmarkRLVariants(b *testing.B) {
	highstest.Need(b)
	items, episodes := envInt("CORL_BENCH_ITEMS", 20), envInt("CORL_BENCH_EPISODES", 100)
	trainSet, heldOut := tinyKnapsacks(b, 10, items, 11), tinyKnapsacks(b, 10, items, 1_000_011)
	search := bnb.Config{NoCuts: true, NodeLimit: 5000}
	ctx := context.Background()
	type policy struct {
		name string
		br   func() bnb.Brancher
	}
	var policies []policy
	for _, r := range []string{"pscost", "relpscost"} {
		policies = append(policies, policy{r, func() bnb.Brancher { br, _ := bnb.NewRule(r, 1); return br }})
	}
	for _, v := range []struct {
		name string
		set  func(*RLConfig)
	}{
		{"revibranch", func(*RLConfig) {}},
		{"no-history", func(c *RLConfig) { c.Q.NoHistory = true }},
		{"no-redistribution", func(c *RLConfig) { c.Redistribution = RedistributeNone }},
		{"tree-mdp", func(c *RLConfig) { c.TreeMDP = true }},
	} {
		cfg := RLConfig{Episodes: episodes, Seed: 1, Q: QConfig{Policy: DefaultPolicyConfig(32)}, EpisodeNodeLimit: 2000}
		v.set(&cfg)
		dir, err := train.Create(b.TempDir(), cfg)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		res, err := TrainRL(ctx, cfg, RLEnv{Instances: trainSet, Search: bnb.Config{NoCuts: true}}, dir)
		if err != nil {
			b.Fatal(err)
		}
		fmt.Fprintf(os.Stderr, "%s: %d episodes, %d updates, %.0f s\n", v.name, res.Episodes, res.Updates, time.Since(start).Seconds())
		q, err := LoadQNet(dir.Join(PolicyFile), nil)
		if err != nil {
			b.Fatal(err)
		}
		policies = append(policies, policy{v.name, func() bnb.Brancher { return q.Brancher() }})
	}
	for _, p := range policies {
		start := time.Now()
		var nodes, iters []float64
		for _, inst := range heldOut {
			lp, err := highs.New(highs.Config{})
			if err != nil {
				b.Fatal(err)
			}
			r, err := bnb.Solve(ctx, lp, inst.Model, p.br(), search)
			lp.Close()
			if err != nil {
				b.Fatal(err)
			}
			nodes, iters = append(nodes, float64(r.Stats.Nodes)), append(iters, float64(r.Stats.LPIterations))
		}
		n, it := shiftedGeoMean(nodes), shiftedGeoMean(iters)
		fmt.Fprintf(os.Stderr, "%-18s nodes %8.1f  LP iterations %9.1f  (%.0f s)\n", p.name, n, it, time.Since(start).Seconds())
		b.ReportMetric(n, p.name+"-nodes")
		b.ReportMetric(it, p.name+"-iters")
	}
}

func shiftedGeoMean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += math.Log(x + 1)
	}
	return math.Exp(s/float64(len(xs))) - 1
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
