package qmip

import (
	"context"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/corl-go/corl/agents/train"
	"github.com/corl-go/corl/envs/bandits"
	"github.com/corl-go/corl/nn"
	"github.com/corl-go/corl/trace"
	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// transition is one environment step in the replay buffer. The reward is
// the expected next-step reward the environment reports (SEQUOIA's
// metric), not the sampled one: same mean, less variance.
type transition struct {
	S  []byte         `json:"s"` // arm states before the step
	A  bandits.Action `json:"a"`
	R  float64        `json:"r"`
	S2 []byte         `json:"s2"` // arm states after it
}

// state is the trainer's state besides weights, moments and the generator:
// all a checkpoint needs to continue exactly.
type state struct {
	Episode int          `json:"episode"` // episodes finished
	Steps   int          `json:"steps"`   // environment steps taken
	Updates int          `json:"updates"` // optimizer steps of the DQN phase
	Replay  []transition `json:"replay"`
	Next    int          `json:"next"` // the ring's next slot once full
	Warm    bool         `json:"warm"` // the warm start is done

	// Best is the best greedy evaluation so far and BestQ the online
	// network's weights then (Keep = KeepBest; nil before the first).
	Best  float64     `json:"best"`
	BestQ [][]float32 `json:"best_q,omitempty"`
	// BestScores are that evaluation's per-episode scores, which
	// KeepTestPaired compares a later evaluation's with.
	BestScores []float64 `json:"best_scores,omitempty"`

	Solves       int64   `json:"solves"`    // target MIPs solved
	MemoHits     int64   `json:"memo_hits"` // target values found in the memo instead
	SolveSeconds float64 `json:"solve_seconds"`
	Seconds      float64 `json:"seconds"` // wall time of the run so far
}

// Progress is reported after every episode.
type Progress struct {
	Episode, Episodes int
	Return            float64 // mean expected reward per step of the episode
	Eval              float64 // the latest greedy evaluation (NaN before the first)
	Epsilon, Loss     float64
	Solves, MemoHits  int64
}

// Summary is the outcome of a run.
type Summary struct {
	Episodes, Steps, Updates int
	Rounds                   int     // policy iteration's rounds done (Improve > 0)
	Eval                     float64 // the last greedy evaluation's mean expected reward per step
	Best                     float64 // the best greedy evaluation's (Keep = KeepBest: the policy's); NaN without one
	Solves, MemoHits         int64
	SolveSeconds, Seconds    float64
}

// trainer is one run.
type trainer struct {
	cfg   Config
	inst  *bandits.Instance
	dir   *train.Dir
	m     *model
	warm  *model // the warm-started network, under Anchor > 0 (its online half)
	opt   *nn.Adam
	pcg   *rand.PCG
	rng   *rand.Rand
	st    state
	sels  []*Selector        // the target MIPs' workers
	play  *Selector          // the greedy actions of training and evaluation episodes
	memo  map[string]float64 // max target Q per next state, for the current target network
	rows  []trace.Train
	eval  float64
	start time.Time
	x     []float64
}

// Train runs (or, when dir holds a checkpoint, resumes) SEQUOIA's DQN on
// the instance of cfg: a warm start on the myopic reward, then episodes of
// epsilon-greedy play where the greedy action is the Q-network's MIP
// optimum, each update regressing Q(s, a) on r + γ·max_a' Q_target(s', a')
// with one MIP per distinct s'. A resumed run under the same settings ends
// with the same weights as an uninterrupted one. The final policy is
// written to dir/policy.safetensors.
func Train(ctx context.Context, dir *train.Dir, cfg Config, progress func(Progress)) (Summary, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return Summary{}, err
	}
	inst, err := NewInstance(cfg.Family, cfg.J, cfg.B, cfg.Seed)
	if err != nil {
		return Summary{}, err
	}
	t := &trainer{cfg: cfg, inst: inst, dir: dir, memo: map[string]float64{}, eval: math.NaN(), start: time.Now()}
	t.pcg = rand.NewPCG(cfg.Seed, 0x5e9)
	t.rng = rand.New(t.pcg)
	if t.m, err = newModel(nn.CPU(), t.rng, NumInputsOf(inst, cfg.Features), cfg.Hidden, cfg.Skip == SkipLinear); err != nil {
		return Summary{}, err
	}
	if cfg.Anchor > 0 && cfg.Improve == 0 { // drawn from its own generator: its weights come from the warm start
		if t.warm, err = newModel(nn.CPU(), rand.New(rand.NewPCG(0, 0)), NumInputsOf(inst, cfg.Features), cfg.Hidden, cfg.Skip == SkipLinear); err != nil {
			return Summary{}, err
		}
	}
	t.opt = nn.NewAdam(cfg.LR)
	if err := t.resume(); err != nil {
		return Summary{}, err
	}
	// The target MIPs run without starts: which worker solved which state
	// before must not change a value. Play has its own selector, reset at
	// each episode, so a resumed run starts it as the uninterrupted one did.
	tcfg := cfg.Select
	tcfg.Start = StartNone
	for range cfg.Workers {
		s, err := NewSelector(inst, tcfg)
		if err != nil {
			return Summary{}, err
		}
		t.sels = append(t.sels, s)
		defer s.Close()
	}
	if t.play, err = NewSelector(inst, cfg.Select); err != nil {
		return Summary{}, err
	}
	defer t.play.Close()
	if !t.st.Warm {
		if err := ctx.Err(); err != nil {
			return t.summary(), err
		}
		if err := t.warmStart(); err != nil {
			return Summary{}, err
		}
		if cfg.Keep == KeepBest { // the warm-started network is a candidate too
			if err := t.evalRow(ctx); err != nil {
				return t.summary(), err
			}
		}
		if err := t.checkpoint(); err != nil {
			return Summary{}, err
		}
	}
	for t.st.Episode < cfg.Episodes {
		if err := ctx.Err(); err != nil {
			return t.summary(), err
		}
		p, err := t.episode(ctx)
		if err != nil {
			return t.summary(), err
		}
		ep := t.st.Episode
		if cfg.Improve > 0 {
			if t.roundEnd(ep) {
				l, err := t.improve(ctx)
				if err != nil {
					return t.summary(), err
				}
				t.row("improve", math.NaN(), l)
				if err := t.evalRow(ctx); err != nil {
					return t.summary(), err
				}
			}
		} else if ep%cfg.EvalEvery == 0 || ep == cfg.Episodes {
			if err := t.evalRow(ctx); err != nil {
				return t.summary(), err
			}
		}
		p.Eval = t.eval
		if ep%cfg.CheckpointEvery == 0 || ep == cfg.Episodes {
			if err := t.checkpoint(); err != nil {
				return t.summary(), err
			}
		}
		if progress != nil {
			progress(p)
		}
	}
	if cfg.Keep == KeepBest && t.st.BestQ != nil {
		for i, p := range t.m.online() {
			p.Value.Set(t.st.BestQ[i])
		}
	}
	if err := t.m.saveAs(dir.Join("policy.safetensors"), t.policyConfig()); err != nil {
		return t.summary(), err
	}
	return t.summary(), nil
}

// evalRow runs a greedy evaluation, traces it and, under KeepBest, keeps
// the network when it is the best so far.
func (t *trainer) evalRow(ctx context.Context) error {
	scores, err := t.evaluate(ctx)
	if err != nil {
		return err
	}
	t.eval = meanOf(scores)
	t.row("eval", t.eval, math.NaN())
	if t.cfg.Keep == KeepBest && (t.st.BestQ == nil || replaces(t.cfg.KeepTest, t.st.Best, t.st.BestScores, t.eval, scores)) {
		t.st.Best, t.st.BestScores, t.st.BestQ = t.eval, scores, t.st.BestQ[:0]
		for _, p := range t.m.online() {
			t.st.BestQ = append(t.st.BestQ, slices.Clone(p.Value.Data()))
		}
	}
	return nil
}

// replaces reports whether an evaluation of mean eval and per-episode
// scores replaces the kept one (best, kept) under a KeepTest rule (under
// KeepTestPaired, resume refuses a record whose kept network lacks a
// score per evaluation episode; without them the mean decides).
func replaces(test string, best float64, kept []float64, eval float64, scores []float64) bool {
	if test != KeepTestPaired || len(kept) != len(scores) {
		return eval > best
	}
	return pairedLower(scores, kept) > 0
}

// pairedLower is the lower end of the one-sided 95% t interval of the
// mean of a[i] - b[i] (at least two pairs).
func pairedLower(a, b []float64) float64 {
	n := float64(len(a))
	d := make([]float64, len(a))
	for i := range a {
		d[i] = a[i] - b[i]
	}
	mean, sd := stat.MeanStdDev(d, nil)
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: n - 1}.Quantile(0.95)
	return mean - t*sd/math.Sqrt(n)
}

// meanOf is the mean of v.
func meanOf(v []float64) float64 { return stat.Mean(v, nil) }

func (t *trainer) summary() Summary {
	best := math.NaN()
	if t.st.BestQ != nil {
		best = t.st.Best
	}
	rounds := 0
	if t.cfg.Improve > 0 { // a round ends at each episode where Episode·Improve/Episodes steps up
		rounds = t.st.Episode * t.cfg.Improve / t.cfg.Episodes
	}
	return Summary{Episodes: t.st.Episode, Steps: t.st.Steps, Updates: t.st.Updates, Rounds: rounds, Eval: t.eval, Best: best,
		Solves: t.st.Solves, MemoHits: t.st.MemoHits, SolveSeconds: t.st.SolveSeconds, Seconds: t.seconds()}
}

func (t *trainer) seconds() float64 { return t.st.Seconds + time.Since(t.start).Seconds() }

func (t *trainer) policyConfig() PolicyConfig {
	return PolicyConfig{Family: t.cfg.Family, J: t.cfg.J, B: t.cfg.B, Seed: t.cfg.Seed,
		Inputs: NumInputsOf(t.inst, t.cfg.Features), Features: t.cfg.Features, Skip: t.cfg.Skip == SkipLinear, Hidden: t.cfg.Hidden, Fingerprint: Fingerprint(t.inst)}
}

func (m *model) saveAs(path string, pc PolicyConfig) error {
	return nn.Save(path, m.params(), Arch, pc)
}

// resume loads the newest checkpoint, if any.
func (t *trainer) resume() error {
	ck, ok, err := t.dir.LatestCheckpoint(t.params(), t.opt)
	if err != nil || !ok {
		return err
	}
	if err := json.Unmarshal(ck.Agent, &t.st); err != nil {
		return fmt.Errorf("qmip: checkpoint state: %w", err)
	}
	if t.st.Episode < 0 || t.st.Episode > t.cfg.Episodes || len(t.st.Replay) > t.cfg.Replay || t.st.Next < 0 || t.st.Next >= max(t.cfg.Replay, 1) {
		return fmt.Errorf("qmip: checkpoint state out of range (episode %d, %d transitions): not from this run", t.st.Episode, len(t.st.Replay))
	}
	if t.cfg.Keep == KeepBest && t.cfg.KeepTest == KeepTestPaired && t.st.BestQ != nil && len(t.st.BestScores) != t.cfg.EvalEpisodes {
		return fmt.Errorf("qmip: checkpoint keeps a network with %d evaluation scores, --keep-test paired needs %d: not from this run", len(t.st.BestScores), t.cfg.EvalEpisodes)
	}
	if err := t.pcg.UnmarshalBinary(ck.RNG["run"]); err != nil {
		return fmt.Errorf("qmip: checkpoint RNG: %w", err)
	}
	rows, err := t.dir.ReadTrace()
	if err != nil {
		return err
	}
	for _, r := range rows {
		if int(r.Epoch) <= t.st.Episode {
			t.rows = append(t.rows, r)
			if r.Phase == "eval" && r.Return != nil {
				t.eval = *r.Return
			}
		}
	}
	return nil
}

// params are a checkpoint's tensors: the model's, and the warm-started
// network's as "warm.*" under Anchor > 0.
func (t *trainer) params() []nn.Param {
	ps := t.m.params()
	if t.warm != nil {
		for _, p := range t.warm.online() {
			ps = append(ps, nn.Param{Name: "warm." + p.Name, Value: p.Value})
		}
	}
	return ps
}

func (t *trainer) checkpoint() error {
	t.st.Seconds = t.seconds()
	t.start = time.Now()
	return t.dir.SaveState(t.st.Steps, t.st.Episode, t.st, map[string]encoding.BinaryMarshaler{"run": t.pcg}, t.params(), Arch, t.policyConfig(), t.opt, t.rows)
}

func (t *trainer) row(phase string, ret, loss float64) {
	r := trace.Train{Run: t.dir.Path, Agent: "sequoia", Phase: phase, Epoch: int64(t.st.Episode), Step: int64(t.st.Updates),
		Samples: int64(t.st.Steps), Loss: loss, LR: t.lr(), Seconds: t.seconds()}
	if t.cfg.Improve > 0 { // no learning rate: the rows would record DQN's, unused
		r.LR = 0
	}
	if !math.IsNaN(ret) {
		r.Return = trace.Float(ret)
	}
	t.rows = append(t.rows, r)
}

// lr is DQN's rate in the current episode.
func (t *trainer) lr() float64 { return t.cfg.LR * math.Pow(t.cfg.LRDecay, float64(t.st.Episode)) }

func (t *trainer) epsilon() float64 {
	c := t.cfg
	return train.Anneal(c.EpsStart, c.EpsEnd, float64(t.st.Episode), c.EpsDecay*float64(c.Episodes))
}

func packStates(s []int) []byte {
	b := make([]byte, len(s))
	for i, v := range s {
		b[i] = byte(v)
	}
	return b
}

func unpackStates(b []byte) []int {
	s := make([]int, len(b))
	for i, v := range b {
		s[i] = int(v)
	}
	return s
}

// episodeSeed derives episode k's environment seed; evaluation episodes
// use the other half of the seed space.
func episodeSeed(seed uint64, k int, eval bool) uint64 {
	s := seed*0x9e3779b97f4a7c15 + uint64(k)
	if eval {
		s ^= 1 << 63
	}
	return s
}

// episode plays one training episode with updates along the way.
func (t *trainer) episode(ctx context.Context) (Progress, error) {
	env, err := bandits.New(t.inst, t.cfg.Horizon)
	if err != nil {
		return Progress{}, err
	}
	obs, err := env.Reset(episodeSeed(t.cfg.Seed, t.st.Episode, false))
	if err != nil {
		return Progress{}, err
	}
	eps := t.epsilon()
	if t.cfg.Improve > 0 {
		eps = t.cfg.ImproveEps
	}
	t.opt.LR = nn.Constant(t.lr())
	t.play.Reset()
	net, err := t.net(false)
	if err != nil {
		return Progress{}, err
	}
	sum, losses, nloss := 0.0, 0.0, 0
	for range t.cfg.Horizon {
		var a bandits.Action
		switch {
		case t.cfg.Improve > 0:
			c, err := t.play.Best(ctx, net, obs.States)
			if err != nil {
				return Progress{}, err
			}
			a = c.Action
			if t.rng.Float64() < eps {
				a = t.neighbour(a)
			}
		case t.rng.Float64() < eps:
			a = t.inst.Sample(t.rng)
		default:
			c, err := t.play.Best(ctx, net, obs.States)
			if err != nil {
				return Progress{}, err
			}
			a = c.Action
		}
		step, err := env.Step(a)
		if err != nil {
			return Progress{}, err
		}
		r := step.Info.(bandits.StepInfo).Expected
		sum += r
		t.push(transition{S: packStates(obs.States), A: a, R: r, S2: packStates(step.Obs.States)})
		t.st.Steps++
		obs = step.Obs
		if t.cfg.Improve == 0 && len(t.st.Replay) >= t.cfg.Batch && t.st.Steps%t.cfg.TrainEvery == 0 {
			l, err := t.update(ctx)
			if err != nil {
				return Progress{}, err
			}
			losses, nloss = losses+l, nloss+1
			if net, err = t.net(false); err != nil {
				return Progress{}, err
			}
		}
	}
	t.st.Episode++
	ret, loss := sum/float64(t.cfg.Horizon), math.NaN()
	if nloss > 0 {
		loss = losses / float64(nloss)
	}
	t.row("train", ret, loss)
	return Progress{Episode: t.st.Episode, Episodes: t.cfg.Episodes, Return: ret, Epsilon: eps, Loss: loss,
		Solves: t.st.Solves, MemoHits: t.st.MemoHits}, nil
}

func (t *trainer) push(tr transition) {
	if len(t.st.Replay) < t.cfg.Replay {
		t.st.Replay = append(t.st.Replay, tr)
		return
	}
	t.st.Replay[t.st.Next] = tr
	t.st.Next = (t.st.Next + 1) % t.cfg.Replay
}

// update takes one optimizer step on a sampled batch and returns its loss.
func (t *trainer) update(ctx context.Context) (float64, error) {
	n := t.cfg.Batch
	batch := make([]*transition, n)
	for i := range batch {
		batch[i] = &t.st.Replay[t.rng.IntN(len(t.st.Replay))]
	}
	next := make([][]byte, n)
	for i, tr := range batch {
		next[i] = tr.S2
	}
	maxQ, err := t.targets(ctx, next)
	if err != nil {
		return 0, err
	}
	nIn := NumInputsOf(t.inst, t.cfg.Features)
	x := make([]float32, 0, n*nIn)
	y := make([]float32, n)
	for i, tr := range batch {
		t.x = InputOf(t.inst, t.cfg.Features, unpackStates(tr.S), tr.A, t.x)
		for _, v := range t.x {
			x = append(x, float32(v))
		}
		y[i] = float32(t.scale()*tr.R + t.cfg.Gamma*maxQ[i])
	}
	be := nn.CPU()
	ps := t.m.online()
	sc := nn.NewScope() // the step's activations go back to the pool when it returns
	defer sc.Release()
	in := sc.In(nn.From(be, x, n, nIn))
	q := t.m.forward(in, false)
	loss := nn.Huber(q, nn.From(be, y, n, 1), 1)
	if t.warm != nil {
		qw := nn.From(be, t.warm.forward(in, false).Data(), n, 1) // a constant: no gradient into the warm copy
		loss = nn.Add(loss, nn.Scale(nn.MSE(q, qw), float32(t.cfg.Anchor)))
	}
	nn.Backward(loss)
	t.opt.Step(ps)
	nn.ZeroGrad(ps)
	t.st.Updates++
	switch {
	case t.cfg.Target == TargetSoft:
		if t.m.track(t.cfg.Tau) { // the memo holds the target network's answers
			clear(t.memo)
		}
	case t.cfg.Target == TargetSync && t.st.Updates%t.cfg.TargetEvery == 0:
		t.m.sync()
		clear(t.memo)
	}
	if t.cfg.Double { // the online network, which picks the actions, has changed
		clear(t.memo)
	}
	return float64(loss.Item()), nil
}

// targets returns max_a' Q_target(s', a') for each next state: from the
// memo when the current target network has already answered for s', else
// by one MIP per distinct s', solved in parallel by the workers.
func (t *trainer) targets(ctx context.Context, next [][]byte) ([]float64, error) {
	var todo []string
	seen := map[string]bool{}
	for _, s := range next {
		k := string(s)
		if _, ok := t.memo[k]; ok || seen[k] {
			t.st.MemoHits++
			continue
		}
		seen[k] = true
		todo = append(todo, k)
	}
	if len(todo) > 0 {
		tnet, err := t.net(true)
		if err != nil {
			return nil, err
		}
		net := tnet // the network whose MIP picks the action
		if t.cfg.Double {
			if net, err = t.net(false); err != nil {
				return nil, err
			}
		}
		cs, err := t.solveAll(ctx, net, todo)
		if err != nil {
			return nil, err
		}
		vals := make([]float64, len(todo))
		secs := make([]float64, len(todo))
		for i, c := range cs {
			vals[i], secs[i] = c.Q, c.Solve.Seconds()
			if t.cfg.Double {
				vals[i] = tnet.Forward(InputOf(t.inst, t.cfg.Features, unpackStates([]byte(todo[i])), c.Action, nil), nil)
			}
		}
		for i, k := range todo {
			t.memo[k] = vals[i]
			t.st.SolveSeconds += secs[i]
		}
		t.st.Solves += int64(len(todo))
	}
	out := make([]float64, len(next))
	for i, s := range next {
		out[i] = t.memo[string(s)]
	}
	return out, nil
}

// solveAll chooses net's best action in each of the packed states, one
// MIP each, shared among the workers; each writes its own slots, so the
// choices do not depend on the number of workers.
func (t *trainer) solveAll(ctx context.Context, net Net, states []string) ([]Choice, error) {
	out := make([]Choice, len(states))
	errs := make([]error, len(t.sels))
	var wg sync.WaitGroup
	for w, sel := range t.sels {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(states); i += len(t.sels) {
				c, err := sel.Best(ctx, net, unpackStates([]byte(states[i])))
				if err != nil {
					errs[w] = err
					return
				}
				out[i] = c
			}
		}()
	}
	wg.Wait()
	return out, errors.Join(errs...)
}

// evaluate plays EvalEpisodes greedy episodes, the same ones at every
// evaluation, and returns each one's mean expected reward per step.
func (t *trainer) evaluate(ctx context.Context) ([]float64, error) {
	net, err := t.net(false)
	if err != nil {
		return nil, err
	}
	scores := make([]float64, t.cfg.EvalEpisodes)
	for k := range t.cfg.EvalEpisodes {
		env, err := bandits.New(t.inst, t.cfg.Horizon)
		if err != nil {
			return nil, err
		}
		obs, err := env.Reset(episodeSeed(t.cfg.Seed, k, true))
		if err != nil {
			return nil, err
		}
		t.play.Reset()
		sum := 0.0
		for range t.cfg.Horizon {
			c, err := t.play.Best(ctx, net, obs.States)
			if err != nil {
				return nil, err
			}
			step, err := env.Step(c.Action)
			if err != nil {
				return nil, err
			}
			sum += step.Info.(bandits.StepInfo).Expected
			obs = step.Obs
		}
		scores[k] = sum / float64(t.cfg.Horizon)
	}
	return scores, nil
}

// net is the online (target false) or target network of the run as the
// MIP encoding reads it.
func (t *trainer) net(target bool) (Net, error) { return t.m.net(target, t.cfg.Features) }

// scale is what a reward is multiplied by in Q's units.
func (t *trainer) scale() float64 {
	if t.cfg.Units == UnitsStep {
		return 1 - t.cfg.Gamma
	}
	return 1
}

// warmTarget returns the warm start's target for (states, a) in Q's
// units: the expected next-step reward (WarmMyopic), the relaxation's
// one-step lookahead (WarmLagrange), or the lookahead of the empty action
// plus each arm's positive Whittle index times its activity
// (WarmWhittle).
func (t *trainer) warmTarget(rel *relaxation, idx [][bandits.NumStates]float64, states []int, a bandits.Action, p []float64) float64 {
	switch t.cfg.Warm {
	case WarmLagrange:
		return t.scale() * rel.q(t.inst, states, a, p)
	case WarmWhittle:
		q := rel.q(t.inst, states, bandits.Action{}, p)
		for j, u := range activity(t.inst, a, p) {
			q += u * max(idx[j][states[j]], 0)
		}
		return t.scale() * q
	}
	return t.inst.ExpectedReward(states, a)
}

// warmStart fits the network to the warm start's target (warmTarget), on
// random states and feasible actions (a quarter of them empty) and, under
// FeaturesProduct, the fixed points of coverage, then copies it to the
// target network.
func (t *trainer) warmStart() error {
	if last, ok := t.warmStartFit(); ok {
		t.row("warm", math.NaN(), last)
	}
	if t.warm != nil {
		copyParams(t.warm.online(), t.m.online())
	}
	t.st.Warm = true
	return nil
}

// warmStartFit fits the network and returns the last batch's loss, if it
// ran. With a skip term, the term is the least-squares fit of the target;
// the ReLU part, zero so far, is fitted to what it leaves only when that
// is more than rounding (never under FeaturesProduct, where every warm
// target is linear in the input).
func (t *trainer) warmStartFit() (float64, bool) {
	if t.cfg.WarmSamples > 0 {
		var cover []warmPoint
		if t.cfg.Features == FeaturesProduct { // where the targets are linear in the input
			cover = coverage(t.inst)
		}
		n := t.cfg.WarmSamples + len(cover)
		nIn := NumInputsOf(t.inst, t.cfg.Features)
		x := make([]float32, n*nIn)
		y := make([]float32, n)
		states := make([]int, t.inst.J)
		var rel *relaxation
		var idx [][bandits.NumStates]float64
		if t.cfg.Warm != WarmMyopic {
			r := relax(t.inst, t.cfg.Gamma)
			rel = &r
		}
		if t.cfg.Warm == WarmWhittle {
			for _, arm := range t.inst.Arms {
				idx = append(idx, bandits.WhittleIndex(arm, t.cfg.Gamma))
			}
		}
		p := make([]float64, t.inst.J)
		for i := range n {
			var a bandits.Action
			if i < t.cfg.WarmSamples {
				for j := range states {
					states[j] = t.rng.IntN(bandits.NumStates)
				}
				if i%4 != 0 {
					a = t.inst.Sample(t.rng)
				}
			} else {
				c := cover[i-t.cfg.WarmSamples]
				copy(states, c.states)
				a = c.action
			}
			t.x = InputOf(t.inst, t.cfg.Features, states, a, t.x)
			for k, v := range t.x {
				x[i*nIn+k] = float32(v)
			}
			y[i] = float32(t.warmTarget(rel, idx, states, a, p))
		}
		if t.m.qs != nil {
			// A failed solve (a pivot lost to rounding) leaves the term at
			// zero, and Adam fits the ReLU part to the whole target below,
			// as without a skip term.
			if fit, err := t.fitSkip(x, y, n, nIn); err == nil && fit {
				t.m.sync()
				return 0, true
			}
		}
		be := nn.CPU()
		opt := nn.NewAdam(t.cfg.WarmLR)
		ps := t.m.q.Params()
		bs := min(4*t.cfg.Batch, n)
		xb, yb := make([]float32, bs*nIn), make([]float32, bs)
		last := 0.0
		sc := nn.NewScope()
		for range t.cfg.WarmEpochs {
			perm := t.rng.Perm(n)
			for at := 0; at+bs <= n; at += bs {
				for r, i := range perm[at : at+bs] {
					copy(xb[r*nIn:(r+1)*nIn], x[i*nIn:(i+1)*nIn])
					yb[r] = y[i]
				}
				loss := nn.MSE(t.m.forward(sc.In(nn.From(be, xb, bs, nIn)), false), nn.From(be, yb, bs, 1))
				nn.Backward(loss)
				opt.Step(ps)
				nn.ZeroGrad(t.m.online()) // the skip term's too, which stays as fitted
				last = float64(loss.Item())
				sc.Release()
			}
		}
		t.m.sync()
		return last, true
	}
	return 0, false
}

// warmPoint is one (states, action) pair of the warm start.
type warmPoint struct {
	states []int
	action bandits.Action
}

// coverage returns the warm start's fixed points, which make the product
// inputs of its samples span those of every (states, action) pair: from
// all arms in state 0, the empty action with each arm moved to each other
// state in turn, and each action variable alone, with each arm its
// activity counts moved to each state in turn. Every Whittle, Lagrange or
// arm-family myopic target is linear in the product input, so a fit exact
// on the samples is then exact on every action; the sampler alone rarely
// pulls some (arm, state) pairs on path at J = 40 (RATIONALE: "The warm
// fit must see every arm in every state").
func coverage(in *bandits.Instance) []warmPoint {
	base := make([]int, in.J)
	at := func(j, k int) []int {
		s := slices.Clone(base)
		if j >= 0 {
			s[j] = k
		}
		return s
	}
	pts := []warmPoint{{states: at(-1, 0)}}
	for j := range in.J {
		for k := 1; k < bandits.NumStates; k++ {
			pts = append(pts, warmPoint{states: at(j, k)})
		}
	}
	linked := make([][]int, in.NumVars()) // the arms whose activity counts variable v
	for j := range in.J {
		activityTerms(in, j, func(v int, _ float64) { linked[v] = append(linked[v], j) })
	}
	for v, arms := range linked {
		a := bandits.Action{}.Set(v)
		pts = append(pts, warmPoint{states: at(-1, 0), action: a})
		for _, j := range arms {
			for k := 1; k < bandits.NumStates; k++ {
				pts = append(pts, warmPoint{states: at(j, k), action: a})
			}
		}
	}
	return pts
}

// fitSkip sets the skip term to the least-squares fit of y on the n
// inputs x and reports whether it fits them to rounding (largest residual
// under 1e-6 of the largest target, and of 1).
func (t *trainer) fitSkip(x, y []float32, n, nIn int) (bool, error) {
	w, err := leastSquares(x, y, n, nIn)
	if err != nil {
		return false, err
	}
	w32 := make([]float32, nIn)
	for k, v := range w {
		w32[k] = float32(v)
	}
	t.m.qs.Weight.Set(w32)
	worst, top := 0.0, 1.0
	for i := range n {
		q := 0.0
		for k, v := range w32 {
			q += float64(v) * float64(x[i*nIn+k])
		}
		worst, top = math.Max(worst, math.Abs(q-float64(y[i]))), math.Max(top, math.Abs(float64(y[i])))
	}
	return worst <= 1e-6*top, nil
}
