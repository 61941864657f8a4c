package qmip

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/corl-go/corl/envs/bandits"
	"github.com/corl-go/corl/internal/highstest"
	"github.com/corl-go/corl/nn"
)

// selectVariants are the ways of choosing an action that BenchmarkSelect
// times side by side.
var selectVariants = []struct {
	name string
	cfg  SelectConfig
}{
	{"bigM", SelectConfig{BigM: 1e5, Start: StartNone, TimeLimit: 10 * time.Second}},
	{"prop", SelectConfig{Start: StartNone}},
	{"prop+start", SelectConfig{Start: StartPrevious}},
	{"lp", SelectConfig{Tighten: TightenLP, Start: StartNone}},
	{"lp+start", SelectConfig{Tighten: TightenLP, Start: StartPrevious}},
}

// BenchmarkSelect times one action choice per family at (J, B) = (20, 5)
// and (40, 10), on the instance of seed 1 and a network warm-started on
// the myopic reward (Train's warm start, default sizes), along a greedy
// episode: each iteration is one state, chosen by every variant in turn
// (constant big-M, propagated bounds, LP-tightened bounds, each with and
// without the previous choice as MIP start), so machine load falls on all
// alike. It reports each variant's median milliseconds per choice
// (<variant>-ms), the median binaries of the propagated and tightened
// encodings, LPs per choice, big-M choices stopped by its time limit, and
// the myopic baseline's median (one MIP over the same fragment with a
// linear objective: what the family's constraints alone cost).
// A variant whose Q differs from the propagated one's fails the run.
//
//	go test -run '^$' -bench Select -benchtime 20x ./agents/qmip/
func BenchmarkSelect(b *testing.B) {
	highstest.Need(b)
	for _, size := range [][2]int{{20, 5}, {40, 10}} {
		for _, fam := range bandits.Families() {
			b.Run(fmt.Sprintf("%s/J=%d", fam, size[0]), func(b *testing.B) { benchSelect(b, fam, size[0], size[1]) })
		}
	}
}

func benchSelect(b *testing.B, fam string, j, budget int) {
	ctx := context.Background()
	net, inst := myopicNet(b, fam, j, budget, 1)
	sels := make([]*Selector, len(selectVariants))
	for k, v := range selectVariants {
		s, err := NewSelector(inst, v.cfg)
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		sels[k] = s
	}
	myopic := &bandits.Myopic{} // the family's fragment under a linear objective: the floor
	defer myopic.Close()
	var myopicMs []float64
	env, err := bandits.New(inst, 20)
	if err != nil {
		b.Fatal(err)
	}
	obs, err := env.Reset(7)
	if err != nil {
		b.Fatal(err)
	}
	ms := make([][]float64, len(sels))
	var binProp, binLP, lps []float64
	limits := 0
	for b.Loop() {
		var ref Choice
		for k, sel := range sels {
			start := time.Now()
			c, err := sel.Best(ctx, net, obs.States)
			ms[k] = append(ms[k], float64(time.Since(start).Microseconds())/1e3)
			if err != nil {
				b.Fatal(err)
			}
			switch name := selectVariants[k].name; {
			case name == "prop":
				ref = c
				binProp = append(binProp, float64(c.Enc.Binaries))
			case name == "lp":
				binLP = append(binLP, float64(c.Enc.Binaries))
				lps = append(lps, float64(c.LPs))
			}
			if c.Status.IsLimit() {
				limits++
				continue
			}
			if k > 1 && math.Abs(c.Q-ref.Q) > 1e-5*max(1, math.Abs(ref.Q)) {
				b.Fatalf("%s: Q %.9g, propagated bounds %.9g", selectVariants[k].name, c.Q, ref.Q)
			}
		}
		start := time.Now()
		if _, err := myopic.Act(ctx, obs, nil); err != nil {
			b.Fatal(err)
		}
		myopicMs = append(myopicMs, float64(time.Since(start).Microseconds())/1e3)
		step, err := env.Step(ref.Action)
		if err != nil {
			b.Fatal(err)
		}
		obs = step.Obs
		if step.Done() {
			if obs, err = env.Reset(uint64(len(ms[0])) + 7); err != nil {
				b.Fatal(err)
			}
		}
	}
	for k, v := range selectVariants {
		b.ReportMetric(median(ms[k]), v.name+"-ms")
	}
	b.ReportMetric(median(myopicMs), "myopic-ms")
	b.ReportMetric(median(binProp), "bin-prop")
	b.ReportMetric(median(binLP), "bin-lp")
	b.ReportMetric(median(lps), "LPs")
	b.ReportMetric(float64(limits), "bigM-limits")
}

// myopicNet is the network Train starts DQN from on the instance of
// (family, J, B, seed): the default sizes fitted to the myopic reward.
func myopicNet(tb testing.TB, fam string, j, budget int, seed uint64) (Net, *bandits.Instance) {
	tb.Helper()
	cfg := Config{Family: fam, J: j, B: budget, Seed: seed}.WithDefaults()
	inst, err := NewInstance(fam, j, budget, seed)
	if err != nil {
		tb.Fatal(err)
	}
	t := &trainer{cfg: cfg, inst: inst, rng: rand.New(rand.NewPCG(seed, 0x5e9))}
	if t.m, err = newModel(nn.CPU(), t.rng, NumInputs(inst), cfg.Hidden); err != nil {
		tb.Fatal(err)
	}
	t.warmStartFit()
	net, err := FromMLP(t.m.q)
	if err != nil {
		tb.Fatal(err)
	}
	return net, inst
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	s := slices.Sorted(slices.Values(v))
	return (s[(len(s)-1)/2] + s[len(s)/2]) / 2
}
