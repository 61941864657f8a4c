package qmip

import (
	"context"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"github.com/corl-go/corl/agents/train"
	"github.com/corl-go/corl/envs/bandits"
	"github.com/corl-go/corl/internal/highstest"
)

// BenchmarkQAccuracy measures how well a network's Q matches the value of
// its own greedy policy π, against Monte-Carlo returns in the true
// dynamics: from states π visits (two greedy episodes from random
// starting states), the pair (s, π(s)) and two sampled feasible actions, each
// followed by π for Horizon·2 steps, the tail past that taken as π's mean
// reward of the rollout's last steps; rollouts of one state share their
// randomness. Networks: the Whittle warm start, its LSTD-Q policy
// evaluation (Improve 1 over CORL_QMIP_EPISODES episodes, 50) and DQN
// (10 episodes, the last network). Family, J, B and seed from
// CORL_QMIP_FAMILY (capacity), CORL_QMIP_J (20), CORL_QMIP_B (5),
// CORL_QMIP_SEED (1). Slow (minutes): run with -benchtime 1x.
//
//	go test -run '^$' -bench QAccuracy -benchtime 1x ./agents/qmip/
func BenchmarkQAccuracy(b *testing.B) {
	highstest.Need(b)
	env := func(k string, d int) int {
		if v, err := strconv.Atoi(os.Getenv(k)); err == nil {
			return v
		}
		return d
	}
	fam := os.Getenv("CORL_QMIP_FAMILY")
	if fam == "" {
		fam = bandits.Capacity
	}
	base := Config{Family: fam, J: env("CORL_QMIP_J", 20), B: env("CORL_QMIP_B", 5), Seed: uint64(env("CORL_QMIP_SEED", 1)),
		Keep: KeepLast, CheckpointEvery: 1000, EvalEvery: 1000, Workers: 2}
	ctx := context.Background()
	run := func(cfg Config) *train.Dir {
		dir, err := train.Create(b.TempDir()+"/run", cfg)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Train(ctx, dir, cfg, nil); err != nil {
			b.Fatal(err)
		}
		return dir
	}
	for range b.N {
		b.StopTimer() // the training is not what is measured
		lcfg := base
		lcfg.Episodes, lcfg.Improve = env("CORL_QMIP_EPISODES", 50), 1
		lstd := run(lcfg)
		dcfg := base
		dcfg.Episodes = 10
		dqn := run(dcfg)
		b.StartTimer()
		load := func(path string) *Policy {
			p, err := LoadPolicy(path, SelectConfig{})
			if err != nil {
				b.Fatal(err)
			}
			return p
		}
		warm, improved, dq := load(lstd.WeightsPath(0)), load(lstd.Join("policy.safetensors")), load(dqn.Join("policy.safetensors"))
		// the warm network and DQN's against their own policies' returns;
		// LSTD's estimates Q of the warm policy, so against those
		for _, c := range []struct {
			name   string
			q, pol *Policy
		}{{"warm", warm, warm}, {"lstd", improved, warm}, {"dqn", dq, dq}} {
			m := accuracy(b, ctx, c.q, c.pol, base.WithDefaults())
			b.Logf("%s: π scores %.4f; Q−MC on (s, π(s)) bias %+.4f rmse %.4f; on sampled (s, a) bias %+.4f rmse %.4f; advantage Q(s,a)−Q(s,π(s)) %.4f vs MC %.4f (rmse %.4f, sign agrees %.0f%%, MC's ±%.4f); TD error on π's steps %.4f rms; MC level %.4f; Q's greedy action differs from π's in %d of %d states, predicted gain %+.4f, MC gain %+.4f ± %.4f",
				c.name, m.score, m.biasPi, m.rmsePi, m.biasA, m.rmseA, m.advQ, m.advMC, m.rmseAdv, 100*m.signs, m.seAdv, m.td, m.level, m.differ, m.states, m.gainQ, m.gainMC, m.seGain)
			b.ReportMetric(m.rmseAdv, c.name+"-adv-rmse")
		}
		for _, p := range []*Policy{warm, improved, dq} {
			p.Close()
		}
	}
}

type accuracyStats struct {
	score, biasPi, rmsePi, biasA, rmseA, advQ, advMC, rmseAdv, signs, seAdv, td, level float64
	differ, states                                                                     int
	gainQ, gainMC, seGain                                                              float64
}

// accuracy compares q's Q with Monte-Carlo returns of pol's greedy
// policy π, on states π visits: on (s, π(s)), on sampled actions and on
// q's own greedy action where it differs from π's (the policy
// improvement step's gain).
func accuracy(b *testing.B, ctx context.Context, qp, p *Policy, cfg Config) accuracyStats {
	inst, err := NewInstance(cfg.Family, cfg.J, cfg.B, cfg.Seed)
	if err != nil {
		b.Fatal(err)
	}
	sel, err := NewSelector(inst, SelectConfig{Start: StartNone})
	if err != nil {
		b.Fatal(err)
	}
	defer sel.Close()
	qsel, err := NewSelector(inst, SelectConfig{Start: StartNone})
	if err != nil {
		b.Fatal(err)
	}
	defer qsel.Close()
	g, scale := cfg.Gamma, 1-cfg.Gamma
	pi := func(s []int) Choice {
		c, err := sel.Best(ctx, p.net, s)
		if err != nil {
			b.Fatal(err)
		}
		return c
	}
	q := func(s []int, a bandits.Action) float64 {
		return qp.net.Forward(InputOf(inst, qp.Config.Features, s, a, nil), nil)
	}
	step := func(rng *rand.Rand, s []int, a bandits.Action) ([]int, float64) {
		r := inst.ExpectedReward(s, a)
		up := inst.UpProbs(a, nil)
		n := make([]int, len(s))
		for j := range s {
			if rng.Float64() < up[j] {
				n[j] = min(s[j]+1, bandits.NumStates-1)
			} else {
				n[j] = max(s[j]-1, 0)
			}
		}
		return n, r
	}
	l := 2 * cfg.Horizon
	mc := func(seed uint64, s []int, a bandits.Action) float64 {
		rng := rand.New(rand.NewPCG(seed, 7))
		ret, disc, tail := 0.0, 1.0, 0.0
		for t := range l {
			var r float64
			s, r = step(rng, s, a)
			ret += disc * r
			disc *= g
			if t >= l-10 {
				tail += r / 10
			}
			a = pi(s).Action
		}
		return scale*ret + disc*tail
	}
	// π's own states: two greedy episodes from random starting states
	// (generators (k, 99)), every fourth step from the third
	var st accuracyStats
	var states [][]int
	var tdSum float64
	var tdN int
	for k := range 2 {
		rng := rand.New(rand.NewPCG(uint64(k), 99))
		s := make([]int, inst.J)
		for j := range s {
			s[j] = rng.IntN(bandits.NumStates)
		}
		a := pi(s)
		for t := range cfg.Horizon {
			if t%4 == 2 {
				states = append(states, s)
			}
			s2, r := step(rng, s, a.Action)
			st.score += r / float64(2*cfg.Horizon)
			a2 := pi(s2)
			e := scale*r + g*q(s2, a2.Action) - q(s, a.Action)
			tdSum, tdN = tdSum+e*e, tdN+1
			s, a = s2, a2
		}
	}
	st.td = math.Sqrt(tdSum / float64(tdN))
	rng := rand.New(rand.NewPCG(cfg.Seed, 5))
	var nPi, nA int
	var advs, gains []float64
	for i, s := range states {
		c := pi(s)
		gq, err := qsel.Best(ctx, qp.net, s)
		if err != nil {
			b.Fatal(err)
		}
		acts := []bandits.Action{c.Action, inst.Sample(rng), inst.Sample(rng), gq.Action}
		const reps = 3
		var mcs [4][reps]float64
		for k, a := range acts {
			if k == 3 && a == c.Action {
				break
			}
			for r := range reps {
				mcs[k][r] = mc(uint64(i*reps+r), s, a)
			}
		}
		mean := func(k int) float64 { return (mcs[k][0] + mcs[k][1] + mcs[k][2]) / reps }
		st.states++
		if gq.Action != c.Action {
			st.differ++
			st.gainQ += q(s, gq.Action) - q(s, c.Action)
			st.gainMC += mean(3) - mean(0)
			for r := range reps {
				d := mcs[3][r] - mcs[0][r]
				gains = append(gains, d)
			}
		}
		e := q(s, c.Action) - mean(0)
		st.biasPi, st.rmsePi, nPi = st.biasPi+e, st.rmsePi+e*e, nPi+1
		st.level += mean(0)
		for k := 1; k < 3; k++ {
			e := q(s, acts[k]) - mean(k)
			st.biasA, st.rmseA, nA = st.biasA+e, st.rmseA+e*e, nA+1
			aq, am := q(s, acts[k])-q(s, c.Action), mean(k)-mean(0)
			st.advQ, st.advMC = st.advQ+aq, st.advMC+am
			st.rmseAdv += (aq - am) * (aq - am)
			if (aq < 0) == (am < 0) {
				st.signs++
			}
			for r := range reps {
				d := mcs[k][r] - mcs[0][r] - am
				advs = append(advs, d*d)
			}
		}
	}
	st.biasPi /= float64(nPi)
	st.rmsePi = math.Sqrt(st.rmsePi / float64(nPi))
	st.level /= float64(nPi)
	st.biasA /= float64(nA)
	st.rmseA = math.Sqrt(st.rmseA / float64(nA))
	st.advQ /= float64(nA)
	st.advMC /= float64(nA)
	st.rmseAdv = math.Sqrt(st.rmseAdv / float64(nA))
	st.signs /= float64(nA)
	v := 0.0
	for _, d := range advs {
		v += d
	}
	st.seAdv = math.Sqrt(v / float64(len(advs)-1) / 3) // one pair's MC advantage, 3 rollouts
	if st.differ > 0 {
		st.gainQ /= float64(st.differ)
		st.gainMC /= float64(st.differ)
		v := 0.0
		for _, d := range gains {
			v += (d - st.gainMC) * (d - st.gainMC)
		}
		st.seGain = math.Sqrt(v / float64(max(len(gains)-1, 1)) / float64(len(gains))) // the mean's
	}
	return st
}
