package muzero

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
)

// bandit is a one-step game per batch entry: the root's actions lead to
// terminal states with the given rewards.
type bandit struct {
	rewards [][]float32 // per game, per action
	logits  [][]float32 // per game, per action (nil: zeros)
	legal   [][]bool    // per game (nil: all)
	value   float32     // the root's value
}

func (m *bandit) Actions() int { return len(m.rewards[0]) }

func (m *bandit) Root(_ context.Context, out *Eval) error {
	a := m.Actions()
	for g := range m.rewards {
		out.Value[g] = m.value
		for k := range a {
			out.Legal[g*a+k] = m.legal == nil || m.legal[g][k]
			if m.logits != nil {
				out.Logits[g*a+k] = m.logits[g][k]
			}
		}
	}
	return nil
}

func (m *bandit) Recurrent(_ context.Context, req []Expansion, out *Eval) error {
	for i, r := range req {
		if r.Parent != 0 {
			panic("bandit: expansion below a terminal state")
		}
		out.Reward[i] = m.rewards[r.Game][r.Action]
		out.Terminal[i] = true
		out.Value[i] = 99 // must be ignored at a terminal state
	}
	return nil
}

func run(t *testing.T, cfg SearchConfig, m Model, games int, rng *rand.Rand) Result {
	t.Helper()
	s, err := NewSearch(cfg, games, m.Actions())
	if err != nil {
		t.Fatal(err)
	}
	var res Result
	if err := s.Run(context.Background(), m, rng, &res); err != nil {
		t.Fatal(err)
	}
	return res
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-5 }

// TestPUCTHandTree checks a three-simulation PUCT search worked by hand:
// sim 1 ties at 0 and takes action 0 (reward 0); sim 2 scores
// 0.5*c(1)/2 = 0.3125 for action 0 against 0.5*c(1) = 0.625 for action 1
// and expands it (reward 1); sim 3 scores 0.442 against 0.442 + 1 (the
// normalised Q) and revisits the terminal child. Visits 1, 2; root value
// (0 + 0 + 1 + 1) / 4.
func TestPUCTHandTree(t *testing.T) {
	res := run(t, SearchConfig{Algorithm: PUCT, Simulations: 3}, &bandit{rewards: [][]float32{{0, 1}}}, 1, nil)
	if res.Visits[0] != 1 || res.Visits[1] != 2 {
		t.Fatalf("visits %v, want [1 2]", res.Visits)
	}
	if res.Action[0] != 1 || !near(float64(res.Policy[0]), 1.0/3) || !near(float64(res.Policy[1]), 2.0/3) {
		t.Fatalf("action %d policy %v, want 1 [1/3 2/3]", res.Action[0], res.Policy)
	}
	if !near(float64(res.Value[0]), 0.5) {
		t.Fatalf("value %v, want 0.5", res.Value[0])
	}
}

// TestGumbelHandTree: two simulations over two actions with zero noise and
// equal logits visit each once; sigma(q) = (50 + 1) * 0.1 * [0, 1]; the
// target is softmax([0, 5.1]) and the move is action 1.
func TestGumbelHandTree(t *testing.T) {
	res := run(t, SearchConfig{Simulations: 2}, &bandit{rewards: [][]float32{{0, 1}}, value: 0.5}, 1, nil)
	if res.Visits[0] != 1 || res.Visits[1] != 1 || res.Action[0] != 1 {
		t.Fatalf("visits %v action %d, want [1 1] and 1", res.Visits, res.Action[0])
	}
	want := 1 / (1 + math.Exp(5.1))
	if !near(float64(res.Policy[0]), want) || !near(float64(res.Policy[1]), 1-want) {
		t.Fatalf("policy %v, want [%v %v]", res.Policy, want, 1-want)
	}
	if !near(float64(res.Value[0]), (0.5+0+1)/3) {
		t.Fatalf("value %v, want 0.5", res.Value[0])
	}
}

// TestGumbelMixedValue: with logits [1, 0.5, 0] and two simulations, the
// two most likely actions are visited; the third's completed Q is the
// mixed value (v + 2 * (p0*q0 + p1*q1)/(p0 + p1)) / 3.
func TestGumbelMixedValue(t *testing.T) {
	m := &bandit{rewards: [][]float32{{0.2, 0.8, 5}}, logits: [][]float32{{1, 0.5, 0}}, value: 0.3}
	res := run(t, SearchConfig{Simulations: 2}, m, 1, nil)
	if res.Visits[0] != 1 || res.Visits[1] != 1 || res.Visits[2] != 0 {
		t.Fatalf("visits %v, want [1 1 0]", res.Visits)
	}
	z := math.Exp(1) + math.Exp(0.5) + 1
	p0, p1 := math.Exp(1)/z, math.Exp(0.5)/z
	mixed := (0.3 + 2*(p0*0.2+p1*0.8)/(p0+p1)) / 3
	q := []float64{0.2, 0.8, mixed}
	lo, hi := math.Min(q[0], math.Min(q[1], q[2])), math.Max(q[0], math.Max(q[1], q[2]))
	logit := []float64{1, 0.5, 0}
	var e [3]float64
	sum := 0.0
	for a := range 3 {
		e[a] = math.Exp(logit[a] + 5.1*(q[a]-lo)/(hi-lo))
		sum += e[a]
	}
	for a := range 3 {
		if !near(float64(res.Policy[a]), e[a]/sum) {
			t.Fatalf("policy %v, want %v", res.Policy, []float64{e[0] / sum, e[1] / sum, e[2] / sum})
		}
	}
	if res.Action[0] != 1 {
		t.Fatalf("action %d, want 1 (the better of the visited)", res.Action[0])
	}
}

// TestGumbelBanditArgmax: with every action considered and enough
// simulations, Gumbel picks the action of highest reward whatever its
// prior and its noise. "Enough" means sigma(q) outweighs the noise when
// sequential halving drops actions: with c_scale 1 (the paper's Go and
// chess setting) and 200 simulations, the first halving happens at 11
// visits each, where sigma separates rewards 1/5 apart by (50 + 11) / 5.
func TestGumbelBanditArgmax(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const games, actions = 64, 6
	m := &bandit{}
	best := make([]int, games)
	for g := range games {
		r, l := make([]float32, actions), make([]float32, actions)
		for a, k := range rng.Perm(actions) {
			r[a], l[a] = float32(k)/(actions-1), float32(rng.NormFloat64())
			if k == actions-1 {
				best[g] = a
			}
		}
		m.rewards, m.logits = append(m.rewards, r), append(m.logits, l)
	}
	res := run(t, SearchConfig{Simulations: 200, CScale: 1, Explore: true}, m, games, rng)
	for g := range games {
		if res.Action[g] != best[g] {
			t.Errorf("game %d: action %d, want %d (rewards %v, logits %v)", g, res.Action[g], best[g], m.rewards[g], m.logits[g])
		}
	}
}

// TestPolicyTargets: targets sum to 1 over the legal actions and are 0 on
// the illegal ones, for both searches, with and without noise, for any
// number of simulations.
func TestPolicyTargets(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const games, actions = 8, 5
	for _, alg := range []Algorithm{Gumbel, PUCT} {
		for _, sims := range []int{1, 2, 7, 30} {
			for _, explore := range []bool{false, true} {
				m := &bandit{value: 0.1}
				for range games {
					r, l, ok := make([]float32, actions), make([]float32, actions), make([]bool, actions)
					for a := range actions {
						r[a], l[a], ok[a] = rng.Float32(), float32(rng.NormFloat64()), rng.IntN(3) > 0
					}
					ok[rng.IntN(actions)] = true
					m.rewards, m.logits, m.legal = append(m.rewards, r), append(m.logits, l), append(m.legal, ok)
				}
				res := run(t, SearchConfig{Algorithm: alg, Simulations: sims, Explore: explore}, m, games, rng)
				for g := range games {
					sum := 0.0
					for a := range actions {
						p := float64(res.Policy[g*actions+a])
						if !m.legal[g][a] && (p != 0 || res.Visits[g*actions+a] != 0) {
							t.Fatalf("%s sims %d: illegal action %d has target %v, %d visits", alg, sims, a, p, res.Visits[g*actions+a])
						}
						sum += p
					}
					if !near(sum, 1) || !m.legal[g][res.Action[g]] {
						t.Fatalf("%s sims %d: targets sum to %v, action %d legal %v", alg, sims, sum, res.Action[g], m.legal[g])
					}
				}
			}
		}
	}
}

func TestConsideredVisits(t *testing.T) {
	// mctx's schedule for 4 actions and 8 simulations: one visit each to
	// four, then two rounds of the best two... 8/(2*4) = 1 round of 4,
	// then 8/(2*2) = 2 rounds of 2.
	want := []int32{0, 0, 0, 0, 1, 1, 2, 2}
	got := consideredVisits(4, 8)
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("consideredVisits(4, 8) = %v, want %v", got, want)
		}
	}
}

func TestSearchConfigValidate(t *testing.T) {
	for _, c := range []SearchConfig{{Algorithm: "ucb"}, {Simulations: -1}, {Discount: 1.5}, {CScale: math.NaN()}} {
		if _, err := NewSearch(c, 1, 2); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}

// TestGumbelQRange: a floor on the rescaling range keeps a small Q
// difference from overriding the prior. Two actions, visited once each,
// rewards 0.5 and 0.51, logits 1 and 0: sigma = (50 + 1) 0.1 (q - 0.5) /
// max(0.01, QRange). With mctx's 1e-8 the difference is the full scale
// (sigma 0 and 5.1: action 1, target softmax(1, 5.1)); with QRange 1 it
// is 0.051 (action 0, target softmax(1, 0.051)).
func TestGumbelQRange(t *testing.T) {
	m := &bandit{rewards: [][]float32{{0.5, 0.51}}, logits: [][]float32{{1, 0}}}
	for _, c := range []struct {
		qrange float64
		action int
		sigma  float64
	}{{0, 1, 5.1}, {1, 0, 0.051}} {
		res := run(t, SearchConfig{Simulations: 2, QRange: c.qrange}, m, 1, nil)
		p1 := 1 / (1 + math.Exp(1-c.sigma))
		if res.Action[0] != c.action || !near(float64(res.Policy[1]), p1) || !near(float64(res.Policy[0]), 1-p1) {
			t.Errorf("QRange %v: action %d policy %v, want %d and [%.6f %.6f]", c.qrange, res.Action[0], res.Policy, c.action, 1-p1, p1)
		}
	}
	if err := (SearchConfig{QRange: -1}).Validate(); err == nil {
		t.Error("QRange -1 accepted")
	}
}
