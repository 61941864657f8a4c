package muzero

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/corl-go/corl/agents/train"
	"github.com/corl-go/corl/envs/malloc"
	"github.com/corl-go/corl/nn"
	"github.com/corl-go/corl/trace"
)

// The value targets (TrainConfig.Values).
const (
	// ValuesNStep: the rewards of the next TDSteps moves plus the search's
	// root value TDSteps moves on (MuZero's).
	ValuesNStep = "nstep"
	// ValuesReturn: the game's return from the position to its end (Monte
	// Carlo, n-step to the end), discounted by the search's Discount.
	ValuesReturn = "return"
	// ValuesBest: the better of the game's own return from the position
	// and the return of the best complete episode the true model's
	// searches knew from it (Step.Best), undiscounted: a lower bound of
	// the position's value under the best play, which the played moves,
	// sampled while exploring, fall short of.
	ValuesBest = "best"
)

// TrainConfig configures training. The zero value of each field means its
// default.
type TrainConfig struct {
	Search SearchConfig `json:"search"`          // self-play's search (exploring)
	Net    NetConfig    `json:"net"`             // Obs and Actions are the game's
	Model  string       `json:"model,omitempty"` // ModelLearned (default) or ModelTrue
	// Offsets names the game's canonical offsets, tops (the default) or
	// edges (see malloc.Offsets).
	Offsets string `json:"offsets,omitempty"`

	Steps      int     `json:"steps,omitempty"`        // optimizer steps in all (0: 200)
	Games      int     `json:"games,omitempty"`        // self-play games per iteration, played in lockstep (0: 8)
	StepsPerIt int     `json:"steps_per_it,omitempty"` // optimizer steps per iteration (0: 20)
	Batch      int     `json:"batch,omitempty"`        // positions per step (0: 32)
	Unroll     int     `json:"unroll,omitempty"`       // K, dynamics steps unrolled (0: 5), with either model
	TDSteps    int     `json:"td_steps,omitempty"`     // n of the n-step value targets (0: 10)
	Replay     int     `json:"replay,omitempty"`       // games kept in the replay buffer (0: 256)
	LR         float64 `json:"lr,omitempty"`           // Adam's learning rate (0: 1e-3)
	// Priority is the exponent alpha of prioritised replay: positions are
	// drawn with probability proportional to (|z - v| + 0.001)^alpha, z the
	// n-step target and v the search's value when played, and weighted by
	// 1/(N P) over its batch maximum (0: 1; negative: uniform draws).
	Priority float64 `json:"priority,omitempty"`
	// Reanalyse is the fraction of a batch's positions whose policy target
	// is recomputed by a fresh search with the latest network (learned
	// model only; 0: none).
	Reanalyse float64 `json:"reanalyse,omitempty"`
	// Rollout is the weight of best-fit rollouts in the true model's leaf
	// values next to the network's (see Policy.Rollout; 0: none).
	Rollout float64 `json:"rollout,omitempty"`
	// Values is what the value targets are: ValuesNStep (""), ValuesReturn
	// or ValuesBest.
	Values string `json:"values,omitempty"`
	// Expert is the weight in [0, 1] of the expert target in the policy
	// targets: (1 - Expert) pi_search + Expert onehot(m), m the next move of
	// the best complete episode the true model's searches knew from the
	// position (an expert-iteration target; positions with none known keep
	// pi_search). It needs the true model with rollouts (Rollout > 0),
	// whose searches find complete episodes at every move.
	Expert float64 `json:"expert,omitempty"`
	// Counterfactual is how many other legal moves than the one played
	// each position's root also learns the reward of (0: none): drawn
	// uniformly, each run through the dynamics from the root state with
	// its exact target, the move's return followed by best fit less B(s)
	// (self-play records them, Step.Next). The moves played are those the
	// search liked, so without them a move rarely played (slow memory)
	// learns its reward only from the states where it was good. It needs
	// Net.Baseline = BaselineBestFit and Search.Discount 1 (Step.Next is
	// undiscounted).
	Counterfactual int    `json:"counterfactual,omitempty"`
	Seed           uint64 `json:"seed"`
}

func (c TrainConfig) withDefaults() TrainConfig {
	for _, f := range []struct {
		v *int
		d int
	}{{&c.Steps, 200}, {&c.Games, 8}, {&c.StepsPerIt, 20}, {&c.Batch, 32}, {&c.Unroll, 5}, {&c.TDSteps, 10}, {&c.Replay, 256}} {
		if *f.v == 0 {
			*f.v = f.d
		}
	}
	if c.LR == 0 {
		c.LR = 1e-3
	}
	if c.Priority == 0 {
		c.Priority = 1
	}
	if c.Model == "" {
		c.Model = ModelLearned
	}
	if c.Values == "" {
		c.Values = ValuesNStep
	}
	c.Net = mallocNet(c.Net).WithDefaults()
	c.Net.Offsets = "" // the checkpoints record their game, tops as ""
	if g, _ := gameConfig(c.Offsets); g.Offsets != malloc.TopOffsets {
		c.Net.Offsets = g.Offsets.String()
	}
	c.Search.Explore = true
	return c
}

// Validate checks the configuration; errors name the field.
func (c TrainConfig) Validate() error {
	if err := c.Search.Validate(); err != nil {
		return err
	}
	if c.Model != "" && c.Model != ModelLearned && c.Model != ModelTrue {
		return &ConfigError{"Model", c.Model, "learned or true"}
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"Steps", c.Steps}, {"Games", c.Games}, {"StepsPerIt", c.StepsPerIt}, {"Batch", c.Batch}, {"Unroll", c.Unroll}, {"TDSteps", c.TDSteps}, {"Replay", c.Replay}} {
		if f.v < 0 {
			return &ConfigError{f.name, f.v, ">= 1 (0: default)"}
		}
	}
	if _, err := gameConfig(c.Offsets); err != nil {
		return &ConfigError{"Offsets", c.Offsets, "tops or edges"}
	}
	if !(c.Rollout >= 0 && c.Rollout <= 1) {
		return &ConfigError{"Rollout", c.Rollout, "a weight in [0, 1]"}
	}
	if c.Values != "" && c.Values != ValuesNStep && c.Values != ValuesReturn && c.Values != ValuesBest {
		return &ConfigError{"Values", c.Values, "nstep, return or best"}
	}
	if !(c.Expert >= 0 && c.Expert <= 1) {
		return &ConfigError{"Expert", c.Expert, "a weight in [0, 1]"}
	}
	if c.Expert > 0 && (c.Model != ModelTrue || c.Rollout == 0) {
		return &ConfigError{"Expert", c.Expert, "0 unless the model is true with rollouts (Rollout > 0), whose searches find complete episodes"}
	}
	if c.Counterfactual < 0 || c.Counterfactual > malloc.NumActions-1 {
		return &ConfigError{"Counterfactual", c.Counterfactual, fmt.Sprintf("in [0, %d]", malloc.NumActions-1)}
	}
	if c.Counterfactual > 0 && c.Net.Baseline != BaselineBestFit {
		return &ConfigError{"Counterfactual", c.Counterfactual, "0 unless Net.Baseline is bestfit, whose rewards depend on the move's consequences"}
	}
	if d := c.Search.withDefaults().Discount; c.Counterfactual > 0 && d != 1 {
		return &ConfigError{"Counterfactual", c.Counterfactual, fmt.Sprintf("0 unless Search.Discount is 1 (it is %v): the recorded returns of other moves, r + B(s'), are undiscounted", d)}
	}
	if !(c.Reanalyse >= 0 && c.Reanalyse <= 1) {
		return &ConfigError{"Reanalyse", c.Reanalyse, "a fraction in [0, 1]"}
	}
	if !(c.LR >= 0) || math.IsInf(c.LR, 1) {
		return &ConfigError{"LR", c.LR, "a positive rate (0: 1e-3)"}
	}
	return mallocNet(c.Net).Validate()
}

// mallocNet sizes c for the memory-mapping game: its observation, its
// actions and, for the candidate head, its candidate offsets.
func mallocNet(c NetConfig) NetConfig {
	c.Obs, c.Actions = malloc.ObsSize, malloc.NumActions
	if c.Head == HeadCandidates || c.ActionFeatures {
		c.Cands.N, c.Cands.Features, c.Cands.At = malloc.MaxCandidates, malloc.CandidateFeatures, malloc.CandidatesAt
	}
	return c
}

// Iteration reports one iteration of training.
type Iteration struct {
	Iteration, Iterations int
	Step                  int     // optimizer steps so far
	Return                float64 // mean self-play return (fraction of the total benefit)
	Loss                  float64 // mean training loss of the iteration
	Positions             int     // positions in the replay buffer
}

// agentState is the agent's part of a checkpoint: the replay buffer.
type agentState struct {
	Iteration int          `json:"iteration"`
	Replay    []Trajectory `json:"replay"`
}

// Trainer learns a network by self-play on memory-mapping instances:
// each iteration plays Games games with the current network (instances
// drawn at random), adds them to the replay buffer (the oldest beyond
// Replay dropped), takes StepsPerIt optimizer steps on positions drawn
// uniformly from it, and checkpoints. Every iteration's randomness comes
// from (Seed, iteration), so a run resumed from its last checkpoint ends
// with the same weights as one never interrupted.
type Trainer struct {
	cfg    TrainConfig
	insts  []*malloc.Instance
	net    *Network
	opt    *nn.Adam
	replay []Trajectory
	iter   int
	step   int
	rows   []trace.Train
	cum    []float64  // scratch: cumulative priorities
	pos    [][2]int32 // scratch: (trajectory, step) of each position
}

// NewTrainer returns a trainer on instances.
func NewTrainer(cfg TrainConfig, insts []*malloc.Instance) (*Trainer, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if len(insts) == 0 {
		return nil, fmt.Errorf("muzero: no instances to train on")
	}
	cfg = cfg.withDefaults()
	net, err := NewNetwork(nn.CPU(), rand.New(rand.NewPCG(cfg.Seed, 0x1e7)), cfg.Net)
	if err != nil {
		return nil, err
	}
	return &Trainer{cfg: cfg, insts: insts, net: net, opt: nn.NewAdam(cfg.LR)}, nil
}

// Network is the network being trained.
func (t *Trainer) Network() *Network { return t.net }

// Config is the configuration with defaults filled in.
func (t *Trainer) Config() TrainConfig { return t.cfg }

// Iterations is the number of iterations the run takes.
func (t *Trainer) Iterations() int { return (t.cfg.Steps + t.cfg.StepsPerIt - 1) / t.cfg.StepsPerIt }

// Run trains in dir, resuming from its latest checkpoint, and calls report
// after each iteration (nil: none). It checkpoints after every iteration,
// writes the trace, and returns ctx's error when cancelled between
// iterations' steps (the last checkpoint stays).
func (t *Trainer) Run(ctx context.Context, dir *train.Dir, report func(Iteration)) error {
	ck, ok, err := dir.LatestCheckpoint(t.net.Params(), t.opt)
	if err != nil {
		return err
	}
	if ok {
		var st agentState
		if err := json.Unmarshal(ck.Agent, &st); err != nil {
			return fmt.Errorf("muzero: %s: checkpoint state: %w", dir.Path, err)
		}
		t.iter, t.step, t.replay = st.Iteration, ck.Step, st.Replay
		if t.rows, err = dir.ReadTrace(); err != nil {
			return err
		}
		t.rows = t.rows[:min(len(t.rows), t.iter)]
	}
	start := time.Now()
	for t.iter < t.Iterations() {
		if err := ctx.Err(); err != nil {
			return err
		}
		it, err := t.iterate(ctx)
		if err != nil {
			return err
		}
		t.iter++
		ret := it.Return
		t.rows = append(t.rows, trace.Train{Agent: "muzero", Phase: "train", Epoch: int64(t.iter), Step: int64(t.step),
			Samples: int64(t.step * t.cfg.Batch), Loss: it.Loss, LR: t.cfg.LR, Return: &ret, Seconds: time.Since(start).Seconds()})
		if err := dir.WriteTrace(t.rows); err != nil {
			return err
		}
		state, err := json.Marshal(agentState{Iteration: t.iter, Replay: t.replay})
		if err != nil {
			return err
		}
		if err := dir.SaveCheckpoint(train.Checkpoint{Step: t.step, Epoch: t.iter, Agent: state}, t.net.Params(), Arch, t.net.Config, t.opt); err != nil {
			return err
		}
		if report != nil {
			report(it)
		}
	}
	return nil
}

// iterate plays and learns one iteration.
func (t *Trainer) iterate(ctx context.Context) (Iteration, error) {
	rng := rand.New(rand.NewPCG(t.cfg.Seed, uint64(t.iter)+1))
	pl, err := newPlayer(t.net, t.cfg.Model, t.cfg.Search, t.cfg.Rollout, t.cfg.Games)
	if err != nil {
		return Iteration{}, err
	}
	if pl.game, err = gameConfig(t.cfg.Offsets); err != nil {
		return Iteration{}, err
	}
	ins, ids := make([]*malloc.Instance, t.cfg.Games), make([]int, t.cfg.Games)
	for i := range ins {
		ids[i] = rng.IntN(len(t.insts))
		ins[i] = t.insts[ids[i]]
	}
	pl.next = t.cfg.Counterfactual > 0
	trajs, _, err := pl.play(ctx, ins, ids, rng)
	if err != nil {
		return Iteration{}, err
	}
	it := Iteration{Iteration: t.iter + 1, Iterations: t.Iterations()}
	for _, tr := range trajs {
		it.Return += tr.Return() / float64(len(trajs))
	}
	for k := range trajs {
		t.prioritise(&trajs[k])
	}
	t.replay = append(t.replay, trajs...)
	t.replay = t.replay[max(0, len(t.replay)-t.cfg.Replay):]
	steps := min(t.cfg.StepsPerIt, t.cfg.Steps-t.step)
	for range steps {
		loss, err := t.learn(rng)
		if err != nil {
			return it, err
		}
		it.Loss += loss / float64(steps)
		t.step++
	}
	it.Step = t.step
	for _, tr := range t.replay {
		it.Positions += len(tr.Steps)
	}
	return it, nil
}

// prioritise sets the replay priorities of a new trajectory.
func (t *Trainer) prioritise(tr *Trajectory) {
	for i := range tr.Steps {
		p := 1.0
		if t.cfg.Priority > 0 {
			p = math.Pow(math.Abs(float64(t.valueTarget(tr, i)-tr.Steps[i].Value))+0.001, t.cfg.Priority)
		}
		tr.Steps[i].Priority = float32(p)
	}
}

// reanalyse replaces the root policy targets of a Reanalyse fraction of
// the sampled positions by those of a fresh search with the current
// network, all of them searched as one batch.
func (t *Trainer) reanalyse(rng *rand.Rand, sampled [][2]int, pol []float32) error {
	if t.cfg.Reanalyse == 0 || t.cfg.Model != ModelLearned {
		return nil
	}
	A := malloc.NumActions
	var rows []int
	var obs []float32
	var legal []bool
	for b, s := range sampled {
		if rng.Float64() < t.cfg.Reanalyse {
			st := &t.replay[s[0]].Steps[s[1]]
			rows, obs, legal = append(rows, b), append(obs, st.Obs...), append(legal, st.Legal...)
		}
	}
	if len(rows) == 0 {
		return nil
	}
	cfg := t.cfg.Search
	cfg.Explore = false
	s, err := NewSearch(cfg, len(rows), A)
	if err != nil {
		return err
	}
	m := NewLearned(t.net)
	if err := m.SetRoots(obs, legal); err != nil {
		return err
	}
	var res Result
	if err := s.Run(context.Background(), m, nil, &res); err != nil {
		return err
	}
	for i, b := range rows {
		at := sampled[b]
		t.policyTarget(pol[b*A:(b+1)*A], &t.replay[at[0]].Steps[at[1]], res.Policy[i*A:(i+1)*A])
	}
	return nil
}

// valueTarget is the value target at position i of tr (0 past the end):
// by Values, the n-step target (the discounted rewards of the next n moves
// plus the discounted root value n moves on), the return to the end, or
// the best return known from the position.
func (t *Trainer) valueTarget(tr *Trajectory, i int) float32 {
	if i >= len(tr.Steps) {
		return 0
	}
	n := t.cfg.TDSteps
	if t.cfg.Values == ValuesReturn || t.cfg.Values == ValuesBest {
		n = len(tr.Steps) - i
	}
	gamma := 1.0
	if t.cfg.Values != ValuesBest {
		gamma = t.cfg.Search.withDefaults().Discount
	}
	v, d := 0.0, 1.0
	for k := range n {
		if i+k >= len(tr.Steps) {
			return float32(v)
		}
		v += d * float64(tr.Steps[i+k].Reward)
		d *= gamma
	}
	if j := i + n; j < len(tr.Steps) {
		v += d * float64(tr.Steps[j].Value)
	}
	if st := &tr.Steps[i]; t.cfg.Values == ValuesBest && st.Expert >= 0 {
		v = max(v, float64(st.Best))
	}
	return float32(v)
}

// counterfactualMoves draws up to n distinct legal moves of st other
// than the one played, uniformly, into dst[:0] (none where st has no
// Step.Next).
func counterfactualMoves(rng *rand.Rand, st *Step, n int, dst []int) []int {
	var others [malloc.NumActions]int
	m := 0
	for a, ok := range st.Legal {
		if ok && a != st.Action && len(st.Next) == len(st.Legal) {
			others[m] = a
			m++
		}
	}
	dst = dst[:0]
	for range min(n, m) {
		k := rng.IntN(m)
		dst = append(dst, others[k])
		m--
		others[k] = others[m]
	}
	return dst
}

// counterfactualBatch draws the counterfactual moves of the sampled
// positions (replay index, step): row j of acts, rew and w holds, per
// sampled position b, its j-th drawn move a, that move's shaped reward
// target Next[a] - B(s) and weight 1 (weight 0 where the position has
// fewer moves to draw).
func (t *Trainer) counterfactualBatch(rng *rand.Rand, sampled [][2]int) (acts [][]int, rew, w [][]float32) {
	C, B := t.cfg.Counterfactual, len(sampled)
	acts, rew, w = make([][]int, C), make([][]float32, C), make([][]float32, C)
	for j := range C {
		acts[j], rew[j], w[j] = make([]int, B), make([]float32, B), make([]float32, B)
	}
	var moves []int
	for b, at := range sampled {
		st := &t.replay[at[0]].Steps[at[1]]
		moves = counterfactualMoves(rng, st, C, moves)
		for j, a := range moves {
			acts[j][b], rew[j][b], w[j][b] = a, st.Next[a]-st.Baseline, 1
		}
	}
	return acts, rew, w
}

// addLoss is l + term, term where l is nil.
func addLoss(l, term *nn.Tensor) *nn.Tensor {
	if l == nil {
		return term
	}
	return nn.Add(l, term)
}

// baseline is B at position i of tr for the network's heads: the
// recorded best-fit return from there for a network relative to it
// (NetConfig.Baseline), 0 at and past the end and for other networks.
func (t *Trainer) baseline(tr *Trajectory, i int) float32 {
	if t.cfg.Net.Baseline != BaselineBestFit || i >= len(tr.Steps) {
		return 0
	}
	return tr.Steps[i].Baseline
}

// valueHeadTarget is what the value head learns at position i of tr: the
// value target, less B there for a network relative to best fit.
func (t *Trainer) valueHeadTarget(tr *Trajectory, i int) float32 {
	return t.valueTarget(tr, i) - t.baseline(tr, i)
}

// rewardHeadTarget is what the reward head learns for the move played at
// position i of tr (0 past the end): its reward r, or for a network
// relative to best fit r + Discount B(next) - B(here).
func (t *Trainer) rewardHeadTarget(tr *Trajectory, i int) float32 {
	if i >= len(tr.Steps) {
		return 0
	}
	gamma := float32(t.cfg.Search.withDefaults().Discount)
	return tr.Steps[i].Reward + gamma*t.baseline(tr, i+1) - t.baseline(tr, i)
}

// policyTarget writes the policy target of step st into dst: the search's
// policy (search, when not nil, replaces the recorded one), mixed with the
// expert move by Expert.
func (t *Trainer) policyTarget(dst []float32, st *Step, search []float32) {
	if search == nil {
		search = st.Policy
	}
	w := float32(t.cfg.Expert)
	if w == 0 || st.Expert < 0 || st.Expert >= len(dst) || !st.Legal[st.Expert] {
		copy(dst, search)
		return
	}
	for a := range dst {
		dst[a] = (1 - w) * search[a]
	}
	dst[st.Expert] += w
}

// learn takes one optimizer step on a batch of positions (drawn by
// priority, weighted by importance) unrolled K moves:
// policy cross-entropies over the legal actions and value cross-entropies
// at every unroll step, reward
// cross-entropy after each move, the unrolled steps weighted 1/K. Moves
// past the end of a game are random actions into absorbing states of zero
// value and reward, with no policy target.
func (t *Trainer) learn(rng *rand.Rand) (float64, error) {
	c := t.cfg
	A, K, B := malloc.NumActions, c.Unroll, c.Batch
	// cum[i] is the priority mass of the positions before position i + 1.
	t.cum, t.pos = t.cum[:0], t.pos[:0]
	mass := 0.0
	for ti, tr := range t.replay {
		for i, st := range tr.Steps {
			mass += float64(st.Priority)
			t.cum = append(t.cum, mass)
			t.pos = append(t.pos, [2]int32{int32(ti), int32(i)})
		}
	}
	obs := make([]float32, 0, B*c.Net.Obs)
	pol := make([][]float32, K+1)
	legal := make([][]float32, K+1) // the policy loss's mask: the legal actions, all past the end
	val := make([][]float32, K+1)
	rew := make([][]float32, K+1)
	acts := make([][]int, K)
	for k := range K + 1 {
		pol[k], val[k], rew[k], legal[k] = make([]float32, B*A), make([]float32, B), make([]float32, B), make([]float32, B*A)
		if k < K {
			acts[k] = make([]int, B)
		}
	}
	weight, maxW := make([]float32, B), float32(0)
	sampled := make([][2]int, B)
	for b := range B {
		j, _ := slices.BinarySearch(t.cum, rng.Float64()*mass)
		j = min(j, len(t.cum)-1)
		ti, p := int(t.pos[j][0]), int(t.pos[j][1])
		weight[b] = float32(mass / (float64(t.replay[ti].Steps[p].Priority) * float64(len(t.cum))))
		maxW = max(maxW, weight[b])
		tr := &t.replay[ti]
		sampled[b] = [2]int{ti, p}
		obs = append(obs, tr.Steps[p].Obs...)
		for k := range K + 1 {
			i := p + k
			val[k][b] = t.valueHeadTarget(tr, i)
			for a := range A {
				legal[k][b*A+a] = 1
				if i < len(tr.Steps) && !tr.Steps[i].Legal[a] {
					legal[k][b*A+a] = 0
				}
			}
			if i < len(tr.Steps) {
				t.policyTarget(pol[k][b*A:(b+1)*A], &tr.Steps[i], nil)
			}
			if k > 0 && i-1 < len(tr.Steps) {
				rew[k][b] = t.rewardHeadTarget(tr, i-1)
			}
			if k < K {
				if i < len(tr.Steps) {
					acts[k][b] = tr.Steps[i].Action
				} else {
					acts[k][b] = rng.IntN(A)
				}
			}
		}
	}
	C := c.Counterfactual
	cfActs, cfRew, cfW := t.counterfactualBatch(rng, sampled)
	if err := t.reanalyse(rng, sampled, pol[0]); err != nil {
		return 0, err
	}
	for b := range B {
		weight[b] /= maxW
		for j := range C {
			cfW[j][b] *= weight[b]
		}
		for k := range K + 1 {
			for a := range A {
				pol[k][b*A+a] *= weight[b]
			}
		}
	}
	iw := nn.From(t.net.be, weight, B, 1)
	ps := t.net.Params()
	var loss float64
	err := nn.Guard(func() error {
		nn.ZeroGrad(ps)
		be := t.net.be
		sc := nn.NewScope() // the step's activations go back to the pool at its end
		defer sc.Release()
		in := sc.In(nn.From(be, obs, B, c.Net.Obs))
		root := in
		s := t.net.Represent(in)
		var l *nn.Tensor
		for j := range C { // other moves from the root, their rewards only
			_, r := t.net.Dynamics(s, cfActs[j], root)
			l = addLoss(l, nn.Scale(nn.CrossEntropy(r, nn.Mul(t.net.Targets(cfRew[j]), nn.From(be, cfW[j], B, 1)), nil), 1/float32(K)))
		}
		for k := range K + 1 {
			w := float32(1)
			if k == 1 {
				in = nil // the unrolled states have no observation, as below the search's root
			}
			if k > 0 {
				w = 1 / float32(K)
				var r *nn.Tensor
				from := root // the first move starts from the observed state, as at the search's root
				if k > 1 {
					from = nil
				}
				s, r = t.net.Dynamics(s, acts[k-1], from)
				l = nn.Add(l, nn.Scale(nn.CrossEntropy(r, nn.Mul(t.net.Targets(rew[k]), iw), nil), w))
			}
			p, v := t.net.Predict(s, in)
			term := nn.Add(nn.CrossEntropy(p, nn.From(be, pol[k], B, A), nn.From(be, legal[k], B, A)), nn.CrossEntropy(v, nn.Mul(t.net.Targets(val[k]), iw), nil))
			if w != 1 {
				term = nn.Scale(term, w)
			}
			l = addLoss(l, term)
		}
		nn.Backward(l)
		loss = float64(l.Item())
		return nil
	})
	if err != nil {
		return 0, err
	}
	nn.ClipGradNorm(ps, 5)
	t.opt.Step(ps)
	return loss, nil
}
