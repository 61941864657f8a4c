package revibranch

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

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
