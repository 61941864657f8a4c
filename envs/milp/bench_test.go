package milp_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/corl-go/corl/envs/milp"
	"github.com/corl-go/corl/solver"
	"github.com/corl-go/corl/solver/bnb"
	"github.com/corl-go/corl/solver/highs"
	"github.com/corl-go/corl/solver/solvertest"
)

// none observes nothing: it isolates the environment's own cost.
type none struct{}

func (none) Name() string                                             { return "none" }
func (none) Reset(*bnb.Search)                                        {}
func (none) Extract(context.Context, *bnb.Decision) (struct{}, error) { return struct{}{}, nil }

// treeModel needs a few hundred branching steps; graphModel is a set cover
// of Gasse et al.'s easy size, for extraction times.
func treeModel() *solver.Model {
	m, _ := instances(rand.New(rand.NewPCG(2026, 3)))
	return m
}

func graphModel() *solver.Model {
	return solvertest.SetCover(rand.New(rand.NewPCG(2026, 3)), 500, 1000, 0.05, 100)
}

// BenchmarkEnvOverhead compares, side by side, plain bnb.Solve with the
// same search driven through Env.Step (no observation, and NodeBipartite),
// all with pseudocost branching: the ns/op ratio is the environment's cost.
func BenchmarkEnvOverhead(b *testing.B) {
	needHiGHS(b)
	m := treeModel()
	b.Run("plain", func(b *testing.B) {
		for b.Loop() {
			lp, _ := highs.New(highs.Config{})
			if _, err := bnb.Solve(context.Background(), lp, m, bnb.PseudoCost{}, bnb.Config{}); err != nil {
				b.Fatal(err)
			}
			lp.Close()
		}
	})
	b.Run("env-none", func(b *testing.B) { benchEnv(b, m, none{}) })
	b.Run("env-nodebipartite", func(b *testing.B) { benchEnv(b, m, &milp.NodeBipartiteFunc{}) })
}

func benchEnv[O any](b *testing.B, m *solver.Model, obs milp.ObservationFunc[O]) {
	env, err := milp.New(milp.Config{Instances: milp.Fixed(m)}, obs, milp.NNodes)
	if err != nil {
		b.Fatal(err)
	}
	defer env.Close()
	steps := 0
	for b.Loop() {
		if _, err := env.Reset(1); err != nil {
			b.Fatal(err)
		}
		for !env.Done() {
			col, _ := bnb.PseudoCost{}.Select(context.Background(), env.Decision())
			if _, err := env.Step(col); err != nil {
				b.Fatal(err)
			}
			steps++
		}
	}
	b.ReportMetric(float64(steps)/float64(b.N), "steps/op")
}

// BenchmarkNodeBipartite and BenchmarkKhalil2016 time one extraction at
// the root of a 500x1000 set cover.
func BenchmarkNodeBipartite(b *testing.B) { benchExtract(b, &milp.NodeBipartiteFunc{}) }
func BenchmarkKhalil2016(b *testing.B)    { benchExtract(b, &milp.Khalil2016Func{}) }

func benchExtract[O any](b *testing.B, f milp.ObservationFunc[O]) {
	needHiGHS(b)
	env, err := milp.New(milp.Config{Instances: milp.Fixed(graphModel())}, f, milp.NNodes)
	if err != nil {
		b.Fatal(err)
	}
	defer env.Close()
	if _, err := env.Reset(1); err != nil || env.Done() {
		b.Fatal("no decision at the root", err)
	}
	d := env.Decision()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f.Extract(context.Background(), d); err != nil {
			b.Fatal(err)
		}
	}
}
