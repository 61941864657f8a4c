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
	"github.com/corl-go/corl/internal/fragref"
	"github.com/corl-go/corl/internal/highstest"
	"github.com/corl-go/corl/nn"
	"github.com/corl-go/corl/solver"
	"github.com/corl-go/corl/solver/highs"
)

// selectVariant is one way of choosing an action.
type selectVariant struct {
	name  string
	cfg   SelectConfig
	first bool // over the family's first fragment (fragref), not the current one
}

// selectVariants are the ways of choosing an action that BenchmarkSelect
// times side by side.
var selectVariants = []selectVariant{
	{"bigM", SelectConfig{BigM: 1e5, Start: StartNone, TimeLimit: 10 * time.Second}, false},
	{"prop", SelectConfig{Start: StartNone}, false},
	{"prop+start", SelectConfig{Start: StartPrevious}, false},
	{"lp", SelectConfig{Tighten: TightenLP, Start: StartNone}, false},
	{"lp+start", SelectConfig{Tighten: TightenLP, Start: StartPrevious}, false},
}

// fragmentVariants are the ways BenchmarkSelectFragments times side by
// side: each over the first fragment and over the current one.
var fragmentVariants = []selectVariant{
	{"first-prop", SelectConfig{Start: StartNone}, true},
	{"prop", SelectConfig{Start: StartNone}, false},
	{"first-prop+start", SelectConfig{Start: StartPrevious}, true},
	{"prop+start", SelectConfig{Start: StartPrevious}, false},
	{"first-lp+start", SelectConfig{Tighten: TightenLP, Start: StartPrevious}, true},
	{"lp+start", SelectConfig{Tighten: TightenLP, Start: StartPrevious}, false},
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
//	go test -run '^$' -bench 'Select$' -benchtime 20x ./agents/qmip/
func BenchmarkSelect(b *testing.B) {
	highstest.Need(b)
	for _, size := range [][2]int{{20, 5}, {40, 10}} {
		for _, fam := range bandits.Families() {
			b.Run(fmt.Sprintf("%s/J=%d", fam, size[0]), func(b *testing.B) {
				benchSelect(b, fam, size[0], size[1], selectVariants)
			})
		}
	}
}

// BenchmarkSelectFragments times the families whose fragments were
// reformulated (scheduling, capacity, path) over their first fragment
// (internal/fragref) and over the current one, side by side on the same
// states as BenchmarkSelect, with the myopic MIP over each
// (first-myopic-ms, myopic-ms).
//
//	go test -run '^$' -bench 'SelectFragments/.*J=40' -benchtime 20x ./agents/qmip/
func BenchmarkSelectFragments(b *testing.B) {
	highstest.Need(b)
	for _, size := range [][2]int{{20, 5}, {40, 10}} {
		for _, fam := range []string{bandits.Scheduling, bandits.Capacity, bandits.Path} {
			b.Run(fmt.Sprintf("%s/J=%d", fam, size[0]), func(b *testing.B) {
				benchSelect(b, fam, size[0], size[1], fragmentVariants)
			})
		}
	}
}

func benchSelect(b *testing.B, fam string, j, budget int, variants []selectVariant) {
	ctx := context.Background()
	net, inst := myopicNet(b, fam, j, budget, 1)
	sels := make([]*Selector, len(variants))
	withFirst := false
	for k, v := range variants {
		s, err := NewSelector(inst, v.cfg)
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		if v.first {
			s.fragment, withFirst = fragref.Append, true
		}
		sels[k] = s
	}
	myopic := &bandits.Myopic{} // the family's fragment under a linear objective: the floor
	defer myopic.Close()
	var first *firstMyopic
	if withFirst {
		first = newFirstMyopic(b, inst)
		defer first.s.Close()
	}
	var myopicMs, firstMs []float64
	env, err := bandits.New(inst, 20)
	if err != nil {
		b.Fatal(err)
	}
	obs, err := env.Reset(7)
	if err != nil {
		b.Fatal(err)
	}
	ms := make([][]float64, len(sels))
	cs := make([]Choice, len(sels))
	var binProp, binLP, lps []float64
	limits := 0
	for b.Loop() {
		ref := -1
		for k, sel := range sels {
			start := time.Now()
			c, err := sel.Best(ctx, net, obs.States)
			ms[k] = append(ms[k], float64(time.Since(start).Microseconds())/1e3)
			if err != nil {
				b.Fatal(err)
			}
			cs[k] = c
			switch name := variants[k].name; {
			case name == "prop":
				ref = k
				binProp = append(binProp, float64(c.Enc.Binaries))
			case name == "lp":
				binLP = append(binLP, float64(c.Enc.Binaries))
				lps = append(lps, float64(c.LPs))
			}
			if c.Status.IsLimit() {
				limits++
			}
		}
		for k, c := range cs {
			if c.Status.IsLimit() || variants[k].cfg.BigM > 0 {
				continue
			}
			if q := cs[ref].Q; math.Abs(c.Q-q) > 1e-5*max(1, math.Abs(q)) {
				b.Fatalf("%s: Q %.9g, propagated bounds %.9g", variants[k].name, c.Q, q)
			}
		}
		start := time.Now()
		if _, err := myopic.Act(ctx, obs, nil); err != nil {
			b.Fatal(err)
		}
		myopicMs = append(myopicMs, float64(time.Since(start).Microseconds())/1e3)
		if first != nil {
			start := time.Now()
			first.solve(b, obs.States)
			firstMs = append(firstMs, float64(time.Since(start).Microseconds())/1e3)
		}
		step, err := env.Step(cs[ref].Action)
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
	for k, v := range variants {
		b.ReportMetric(median(ms[k]), v.name+"-ms")
	}
	b.ReportMetric(median(myopicMs), "myopic-ms")
	if first != nil {
		b.ReportMetric(median(firstMs), "first-myopic-ms")
	}
	b.ReportMetric(median(binProp), "bin-prop")
	if len(binLP) > 0 {
		b.ReportMetric(median(binLP), "bin-lp")
		b.ReportMetric(median(lps), "LPs")
	}
	if variants[0].cfg.BigM > 0 {
		b.ReportMetric(float64(limits), "bigM-limits")
	}
}

// firstMyopic is the myopic MIP over an arm family's first fragment: the
// expected gain of acting on each arm, maximised over the fragment.
type firstMyopic struct {
	inst *bandits.Instance
	s    *highs.Solver
	act  []int
	cost []float64
}

func newFirstMyopic(tb testing.TB, in *bandits.Instance) *firstMyopic {
	tb.Helper()
	var bld solver.Builder
	bld.SetSense(solver.Maximize)
	p := &firstMyopic{inst: in, act: fragref.Append(in, &bld)}
	m, err := bld.Build()
	if err != nil {
		tb.Fatal(err)
	}
	if p.s, err = highs.New(highs.Config{}); err != nil {
		tb.Fatal(err)
	}
	for _, name := range []string{"mip_rel_gap", "mip_abs_gap"} { // as bandits.Myopic
		if err := p.s.SetDoubleOption(name, 1e-9); err != nil {
			tb.Fatal(err)
		}
	}
	if err := p.s.Load(m); err != nil {
		tb.Fatal(err)
	}
	return p
}

func (p *firstMyopic) solve(tb testing.TB, states []int) {
	p.cost = p.cost[:0]
	for j, arm := range p.inst.Arms {
		p.cost = append(p.cost, arm.Expected(states[j], arm.PActive)-arm.Expected(states[j], arm.PPassive))
	}
	if err := p.s.SetColsCost(p.act, p.cost); err != nil {
		tb.Fatal(err)
	}
	if st, err := p.s.Solve(context.Background()); err != nil || st != solver.StatusOptimal {
		tb.Fatalf("first fragment's myopic MIP: %v, %v", st, err)
	}
}

// myopicNet is the network Train starts DQN from on the instance of
// (family, J, B, seed): the default sizes fitted to the myopic reward.
func myopicNet(tb testing.TB, fam string, j, budget int, seed uint64) (Net, *bandits.Instance) {
	tb.Helper()
	cfg := Config{Family: fam, J: j, B: budget, Seed: seed, Warm: WarmMyopic, Features: FeaturesPlain, Skip: SkipNone}.WithDefaults()
	inst, err := NewInstance(fam, j, budget, seed)
	if err != nil {
		tb.Fatal(err)
	}
	t := &trainer{cfg: cfg, inst: inst, rng: rand.New(rand.NewPCG(seed, 0x5e9))}
	if t.m, err = newModel(nn.CPU(), t.rng, NumInputs(inst), cfg.Hidden, false); err != nil {
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
