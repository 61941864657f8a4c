package muzero

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/corl-go/corl/envs/malloc"
	"github.com/corl-go/corl/nn"
)

// constModel is a trivial model: every state has zero reward and value,
// uniform priors, all actions legal, no end. It measures the tree alone.
type constModel struct{ a int }

func (m constModel) Actions() int                            { return m.a }
func (m constModel) Root(_ context.Context, out *Eval) error { fill(out); return nil }
func (m constModel) Recurrent(_ context.Context, _ []Expansion, out *Eval) error {
	fill(out)
	return nil
}

func fill(out *Eval) {
	for i := range out.Legal {
		out.Legal[i] = true
	}
}

// BenchmarkSearch reports simulations per second (all games together):
// the tree alone (trivial model), the default network through the learned
// model, and the game itself with best-fit rollouts (mcts), for Gumbel and
// PUCT over batches of games.
func BenchmarkSearch(b *testing.B) {
	net, err := NewNetwork(nn.CPU(), rand.New(rand.NewPCG(1, 1)), NetConfig{Obs: malloc.ObsSize, Actions: malloc.NumActions})
	if err != nil {
		b.Fatal(err)
	}
	insts, err := SyntheticInstances(1, 16, 32, 0.5)
	if err != nil {
		b.Fatal(err)
	}
	for _, model := range []string{"trivial", "net", "rollout"} {
		for _, alg := range []Algorithm{Gumbel, PUCT} {
			for _, games := range []int{1, 16} {
				b.Run(fmt.Sprintf("model=%s/%s/games=%d", model, alg, games), func(b *testing.B) {
					const sims = 64
					s, err := NewSearch(SearchConfig{Algorithm: alg, Simulations: sims}, games, malloc.NumActions)
					if err != nil {
						b.Fatal(err)
					}
					var m Model = constModel{malloc.NumActions}
					roots := func() {} // a true model's trees start again at every search
					if model == "net" {
						l := NewLearned(net)
						var obs []float32
						var legal []bool
						for g := range games {
							e, _ := malloc.New(insts[g], malloc.Config{})
							o, _ := e.Reset(0)
							obs = appendFeatures(obs, o)
							legal = append(legal, o.Mask[:]...)
						}
						if err := l.SetRoots(obs, legal); err != nil {
							b.Fatal(err)
						}
						m = l
					}
					if model == "rollout" { // the game itself, best-fit rollouts as values (mcts)
						tm := NewTrue[malloc.Obs, *malloc.Env](malloc.NumActions, &BestFitRollout{})
						var envs []*malloc.Env
						var obs []malloc.Obs
						for g := range games {
							e, _ := malloc.New(insts[g], malloc.Config{})
							o, _ := e.Reset(0)
							envs, obs = append(envs, e), append(obs, o)
						}
						m, roots = tm, func() { tm.SetRoots(envs, obs) }
					}
					var res Result
					b.ReportAllocs()
					for b.Loop() {
						roots()
						if err := s.Run(context.Background(), m, nil, &res); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(b.N*sims*games)/b.Elapsed().Seconds(), "sims/s")
				})
			}
		}
	}
}

// BenchmarkSelfPlay reports self-play games per second and training steps
// per second at the default network size, 16 simulations, 8 games of 32
// operations searched together.
func BenchmarkSelfPlay(b *testing.B) {
	insts, err := SyntheticInstances(1, 8, 32, 0.5)
	if err != nil {
		b.Fatal(err)
	}
	tr, err := NewTrainer(TrainConfig{Search: SearchConfig{Simulations: 16}, Games: 8}, insts)
	if err != nil {
		b.Fatal(err)
	}
	pl, err := newPlayer(tr.net, ModelLearned, tr.cfg.Search, 0, 8)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	ids := []int{0, 1, 2, 3, 4, 5, 6, 7}
	b.Run("play", func(b *testing.B) {
		for b.Loop() {
			trajs, _, err := pl.play(context.Background(), insts, ids, rng)
			if err != nil {
				b.Fatal(err)
			}
			tr.replay = append(tr.replay[:0], trajs...)
		}
		b.ReportMetric(float64(b.N*8)/b.Elapsed().Seconds(), "games/s")
	})
	b.Run("learn", func(b *testing.B) {
		for b.Loop() {
			if _, err := tr.learn(rng); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "steps/s")
	})
}
