package revibranch

import (
	"context"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/corl-go/corl/agents/train"
	"github.com/corl-go/corl/envs/milp"
	"github.com/corl-go/corl/nn"
	"github.com/corl-go/corl/solver"
	"github.com/corl-go/corl/solver/bnb"
	"github.com/corl-go/corl/solver/highs"
	"github.com/corl-go/corl/trace"
)

// RLConfig configures ReviBranch's reinforcement learning. Zero values
// mean defaults.
type RLConfig struct {
	// Episodes is the number of training episodes (required); episode k
	// runs on instance k mod len(instances).
	Episodes int `json:"episodes"`
	// EpisodesPerRound are collected in parallel by one network before
	// the round's updates (0: 4).
	EpisodesPerRound int `json:"episodes_per_round"`
	// UpdatesPerRound optimizer steps follow each round's episodes (0: 16),
	// each on Batch paths drawn from the replay buffer (0: 8).
	UpdatesPerRound int `json:"updates_per_round"`
	Batch           int `json:"batch"`
	// ReplayMB is the replay buffer's memory budget in MiB (0: 256); the
	// oldest paths are evicted first.
	ReplayMB float64 `json:"replay_mb"`
	LR       float64 `json:"lr"` // Adam's rate (0: 1e-3)
	// NStep is the bootstrap horizon along a path (0: 4): the target of a
	// step is its next NStep rewards plus the target network's value of
	// the state NStep decisions further down the path, or the rest of the
	// path's rewards when it ends sooner. MonteCarlo uses the rest always.
	NStep      int  `json:"n_step"`
	MonteCarlo bool `json:"monte_carlo"`
	// Epsilon decays linearly from EpsStart (0: 0.3) to EpsEnd (0: 0.02)
	// over the first EpsDecay (0: 0.5) of the episodes; an exploring
	// decision branches on a uniformly drawn candidate.
	EpsStart float64 `json:"eps_start"`
	EpsEnd   float64 `json:"eps_end"`
	EpsDecay float64 `json:"eps_decay"`
	// Loss is "msle" (the default: squared error of the log-scale values,
	// the squared logarithmic error of tree sizes, as TreeDQN) or "huber"
	// (Huber's loss of the log-scale values, threshold 1).
	Loss string `json:"loss"`
	// Redistribution spreads each path's terminal reward over its steps
	// ("": subtree; none is the ablation without redistribution).
	Redistribution Redistribution `json:"redistribution"`
	// Reward is the return a decision is charged: its subtree's nodes,
	// simplex iterations or both ("": both).
	Reward Reward `json:"reward,omitempty"`
	// TreeMDP is the plain tree-MDP DQN of the comparison: no path history,
	// and each decision's target its own log subtree size (Monte Carlo).
	TreeMDP bool `json:"tree_mdp"`
	// Q describes the network (Q.Policy.Dim 0: 64, or the initial
	// policy's); Q.NoHistory is the ablation without path history.
	Q QConfig `json:"q"`
	// EpisodeNodeLimit bounds each training episode's tree (0: none); a
	// truncated tree's subtree sizes are lower bounds.
	EpisodeNodeLimit int64 `json:"episode_node_limit"`
	// NoCutoff searches training episodes without the instance's optimal
	// value as cutoff (see Train's doc).
	NoCutoff bool   `json:"no_cutoff"`
	Seed     uint64 `json:"seed"`
	// CheckpointEvery is the number of rounds between checkpoints (0: 1).
	CheckpointEvery int `json:"checkpoint_every"`

	// What keeps the run near a good start (see "RL keeps its start" in
	// RATIONALE); all off by default.
	//
	// Imitation is the weight λ of DQfD's supervised term: at every state
	// of a batch, the cross-entropy of softmax(−Q) over its candidates
	// towards the candidate the run's initial network (the imitation
	// policy under --init) ranks lowest, added to the regression loss. λ
	// decays linearly to 0 over the first ImitationDecay (0: 1, all) of
	// the episodes. 0: no such term.
	Imitation      float64 `json:"imitation,omitempty"`
	ImitationDecay float64 `json:"imitation_decay,omitempty"`
	// CandidateLR is the rate of the candidate part, the encoder and the
	// head but for its weights on the sequence model's output (the part an
	// initial policy sets), while LR stays the sequence part's (0: LR).
	CandidateLR float64 `json:"candidate_lr,omitempty"`
	// Keep is which network becomes the policy: KeepLast or KeepBest, the
	// one with the best greedy validation on RLEnv.Valid, taken every
	// ValidEvery rounds (0: 10), after the last round and before the
	// first (the initial network is a candidate too). "": KeepLast.
	Keep       string `json:"keep,omitempty"`
	ValidEvery int    `json:"valid_every,omitempty"`
	// KeepCandidates, under KeepBest, also writes every validated network
	// to CandidateFile(round) and keeps it, so that the networks
	// validation chose among can be compared on other instances.
	KeepCandidates bool `json:"keep_candidates,omitempty"`
}

// Values of RLConfig.Keep.
const (
	KeepLast = "last"
	KeepBest = "best"
)

// Validate checks the configuration, naming the field at fault.
func (c RLConfig) Validate() error {
	bad := func(field string, v any, want string) error {
		return fmt.Errorf("revibranch: RLConfig.%s = %v, want %s", field, v, want)
	}
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	switch {
	case c.Episodes < 1:
		return bad("Episodes", c.Episodes, "at least 1")
	case c.EpisodesPerRound < 0:
		return bad("EpisodesPerRound", c.EpisodesPerRound, ">= 0")
	case c.UpdatesPerRound < 0:
		return bad("UpdatesPerRound", c.UpdatesPerRound, ">= 0")
	case c.Batch < 0:
		return bad("Batch", c.Batch, ">= 0")
	case c.ReplayMB < 0 || !finite(c.ReplayMB):
		return bad("ReplayMB", c.ReplayMB, "a size in MiB")
	case c.LR < 0 || !finite(c.LR):
		return bad("LR", c.LR, "a rate >= 0 (0: the default)")
	case c.NStep < 0:
		return bad("NStep", c.NStep, ">= 0")
	case c.EpsStart < 0 || c.EpsStart > 1 || !finite(c.EpsStart):
		return bad("EpsStart", c.EpsStart, "in [0,1]")
	case c.EpsEnd < 0 || c.EpsEnd > 1 || !finite(c.EpsEnd):
		return bad("EpsEnd", c.EpsEnd, "in [0,1]")
	case c.EpsDecay < 0 || c.EpsDecay > 1 || !finite(c.EpsDecay):
		return bad("EpsDecay", c.EpsDecay, "in [0,1]")
	case c.Loss != "" && c.Loss != "msle" && c.Loss != "huber":
		return bad("Loss", fmt.Sprintf("%q", c.Loss), "msle or huber")
	case c.EpisodeNodeLimit < 0:
		return bad("EpisodeNodeLimit", c.EpisodeNodeLimit, ">= 0")
	case c.CheckpointEvery < 0:
		return bad("CheckpointEvery", c.CheckpointEvery, ">= 0")
	case c.Imitation < 0 || !finite(c.Imitation):
		return bad("Imitation", c.Imitation, "a weight >= 0")
	case c.ImitationDecay < 0 || c.ImitationDecay > 1 || !finite(c.ImitationDecay):
		return bad("ImitationDecay", c.ImitationDecay, "in [0,1]")
	case c.CandidateLR < 0 || !finite(c.CandidateLR):
		return bad("CandidateLR", c.CandidateLR, "a rate >= 0 (0: LR)")
	case c.Keep != "" && c.Keep != KeepLast && c.Keep != KeepBest:
		return bad("Keep", fmt.Sprintf("%q", c.Keep), KeepLast+" or "+KeepBest)
	case c.ValidEvery < 0:
		return bad("ValidEvery", c.ValidEvery, ">= 0")
	case c.KeepCandidates && c.Keep != KeepBest:
		return bad("KeepCandidates", c.KeepCandidates, "false unless Keep is "+KeepBest)
	}
	if err := c.Redistribution.Validate(); err != nil {
		return err
	}
	if err := c.Reward.Validate(); err != nil {
		return err
	}
	if c.Q.Policy.Dim != 0 {
		if err := c.Q.Validate(); err != nil {
			return fmt.Errorf("revibranch: RLConfig.Q: %w", err)
		}
	}
	return nil
}

// WithDefaults fills in the defaults, and the tree-MDP variant's
// settings when TreeMDP is set.
func (c RLConfig) WithDefaults() RLConfig {
	train.Default(&c.EpisodesPerRound, 4)
	train.Default(&c.UpdatesPerRound, 16)
	train.Default(&c.Batch, 8)
	train.Default(&c.ReplayMB, 256)
	train.Default(&c.LR, 1e-3)
	train.Default(&c.NStep, 4)
	train.Default(&c.EpsStart, 0.3)
	train.Default(&c.EpsEnd, 0.02)
	train.Default(&c.EpsDecay, 0.5)
	train.Default(&c.Loss, "msle")
	train.Default(&c.Redistribution, RedistributeSubtree)
	train.Default(&c.Reward, RewardBoth)
	train.Default(&c.CheckpointEvery, 1)
	train.Default(&c.ImitationDecay, 1)
	train.Default(&c.CandidateLR, c.LR)
	train.Default(&c.Keep, KeepLast)
	train.Default(&c.ValidEvery, 10)
	if c.Q.Policy == (PolicyConfig{}) {
		c.Q.Policy = DefaultPolicyConfig(0)
	}
	if c.TreeMDP {
		c.Q.NoHistory, c.Redistribution, c.MonteCarlo = true, RedistributeSubtree, true
	}
	c.Q = c.Q.withDefaults()
	return c
}

// Variant names the configuration's learner: revibranch, or its ablations,
// with the reward appended when it is not the default (both), as in
// "tree-mdp-nodes". Run names and the traces' agent column use it, so runs
// that differ only in their reward stay apart.
func (c RLConfig) Variant() string {
	c = c.WithDefaults()
	name := "revibranch"
	switch {
	case c.TreeMDP:
		name = "tree-mdp"
	case c.Q.NoHistory && c.Redistribution == RedistributeNone:
		name = "revibranch-no-history-no-redistribution"
	case c.Q.NoHistory:
		name = "revibranch-no-history"
	case c.Redistribution == RedistributeNone:
		name = "revibranch-no-redistribution"
	}
	if c.Reward != RewardBoth {
		name += "-" + string(c.Reward)
	}
	if c.NoCutoff {
		name += "-no-cutoff"
	}
	return name
}

// RLEnv is what training needs besides its configuration: the instances,
// where LP engines come from, the workers.
type RLEnv struct {
	Instances []Instance
	// NewEngine creates an episode's LP engine (nil: HiGHS, default engine).
	NewEngine func() (solver.Engine, error)
	// Search is the episodes' tree search; its NodeLimit and cutoff are
	// set from the configuration.
	Search bnb.Config
	// Workers play a round's episodes in parallel (0: GOMAXPROCS); the
	// result does not depend on their number.
	Workers int
	// Init gives the encoder's starting weights in a new run (nil: random).
	Init *Policy
	// Optima caches the instances' optimal values, the episodes' cutoffs
	// (nil: solve them in every run).
	Optima *Optima
	// Valid are the validation instances of RLConfig.Keep = KeepBest,
	// disjoint from the training instances and from any evaluation set.
	Valid []Instance
	// Progress, if not nil, is called after every round.
	Progress func(RLProgress)
}

// RLProgress is reported after every round.
type RLProgress struct {
	Episode, Episodes int
	Round             int
	Epsilon           float64
	Loss              float64 // mean loss of the round's updates (NaN without updates)
	Nodes             float64 // mean tree size of the round's episodes
	// Agree is the share of the round's updated states with two or more
	// candidates at which the network, before the update, ranks lowest
	// the candidate its initial network does (NaN in a run resumed without
	// InitFile; without the imitation term, of the round's first update's
	// states only); Gap
	// the mean gap between its lowest and second lowest Q-value there;
	// Residual the root-mean-square difference between
	// the chosen candidates' Q-values and their targets: choices move when
	// the residual's noise outweighs the gaps. Each is NaN when the round
	// had no such states (no updates).
	Agree, Gap, Residual float64
	// Valid is the validation score of this round (NaN if none was taken):
	// the mean return at the root, lower is better.
	Valid       float64
	ReplayPaths int
	ReplayBytes int64
}

// RLResult summarises a run.
type RLResult struct {
	Episodes, Rounds, Updates int
	ReplayPaths               int
	Resumed                   bool
	Seconds                   float64
}

// rlState is what a checkpoint records of the learner besides weights,
// moments and the update generator.
type rlState struct {
	Episode int `json:"episode"` // episodes finished
	Round   int `json:"round"`
	Updates int `json:"updates"`
	// The replay index: the episodes whose paths the buffer holds, in
	// order, the number of paths added before the first of them, and the
	// buffer's first path number and length, checked when it is refilled.
	ReplayEpisodes []int `json:"replay_episodes"`
	PathsBefore    int   `json:"paths_before"`
	ReplayFirst    int   `json:"replay_first"`
	ReplayLen      int   `json:"replay_len"`
	// KeepFrom is the oldest episode this checkpoint's buffer holds; the
	// files of episodes before the previous checkpoint's KeepFrom are not
	// needed any more, and those before Removed are gone.
	KeepFrom int     `json:"keep_from"`
	Removed  int     `json:"removed"`
	Seconds  float64 `json:"seconds"`
	// Validation (RLConfig.Keep = KeepBest): the round of the last one
	// (-1: none), the best score and its round (-1: none), whose network
	// is bestFile(BestRound).
	Validated int     `json:"validated"`
	Best      float64 `json:"best"`
	BestRound int     `json:"best_round"`
}

// PolicyFile is the trained Q-network's file in a run directory.
const PolicyFile = "policy.safetensors"

// learner is one reinforcement-learning run.
type learner struct {
	cfg    RLConfig
	env    RLEnv
	dir    *train.Dir
	q, tgt *QNet
	opt    *nn.Adam
	pcg    *rand.PCG // the updates' draws
	rng    *rand.Rand
	replay train.Replay[*Path]
	// held lists the episodes with paths in the buffer and how many paths
	// each added, oldest first.
	held    []heldEpisode
	st      rlState
	cutoffs []float64 // per instance, NaN: none
	rows    []trace.Train
	start   time.Time
	run     string
	// validCutoffs are the validation instances' (NaN: none); anchor is
	// the initial network (nil in a run resumed without InitFile).
	validCutoffs []float64
	anchor       *QNet

	// The round's diagnostics, summed over its updates.
	agree, gap, resid, diagStates, diagChoices, agreeStates float64
}

type heldEpisode struct{ index, paths int }

// TrainRL trains a ReviBranch Q-network by deep Q-learning on revived
// paths, in dir (an agents/train run directory), and writes it to
// dir/PolicyFile, a checkpoint that LoadQNet reads and whose Brancher is a
// drop-in branching rule.
//
// Training goes in rounds. Each round plays EpisodesPerRound episodes in
// parallel with the current network (epsilon-greedy over the candidates'
// Q-values, the lowest branched on), each on its instance with the
// instance's optimal value (found by HiGHS first) as cutoff, so that a
// decision's subtree does not depend on the order nodes are processed in,
// as the tree MDP requires; heuristics are off there, since an incumbent
// cannot prune more than that cutoff. Each finished episode's tree gives
// its paths (Paths), added to the replay buffer in episode order. Then
// UpdatesPerRound double-Q updates: the target of step t of a sampled
// path is the path's next NStep redistributed rewards plus, if the path
// goes on, the target network's value of the state NStep steps further at
// the online network's best candidate there. The target network is the
// network as it was at the round's start, the one that played the
// round's episodes.
//
// A checkpoint after every CheckpointEvery rounds holds the weights,
// Adam's moments, the update generator and the replay index (the episode
// files under dir/episodes hold the paths), so a run killed at any moment
// and resumed under the same seed and core count ends with the same
// weights as one never interrupted.
func TrainRL(ctx context.Context, cfg RLConfig, env RLEnv, dir *train.Dir) (RLResult, error) {
	if err := cfg.Validate(); err != nil {
		return RLResult{}, err
	}
	if env.Init != nil && cfg.Q.Policy == (PolicyConfig{}) {
		cfg.Q.Policy = env.Init.Config
	}
	cfg = cfg.WithDefaults()
	if err := cfg.Q.Validate(); err != nil {
		return RLResult{}, fmt.Errorf("revibranch: RLConfig.Q: %w", err)
	}
	if len(env.Instances) == 0 {
		return RLResult{}, errors.New("revibranch: no training instances")
	}
	keepBest := cfg.Keep == KeepBest
	if keepBest && len(env.Valid) == 0 {
		return RLResult{}, errors.New("revibranch: RLConfig.Keep = best needs validation instances (RLEnv.Valid)")
	}
	if env.NewEngine == nil {
		env.NewEngine = func() (solver.Engine, error) { return highs.New(highs.Config{}) }
	}
	if env.Workers <= 0 {
		env.Workers = runtime.GOMAXPROCS(0)
	}
	be := nn.CPU()
	l := &learner{cfg: cfg, env: env, dir: dir, start: time.Now(), run: fmt.Sprintf("%s-%d", cfg.Variant(), cfg.Seed)}
	var err error
	if l.q, err = NewQNet(be, rand.New(rand.NewPCG(cfg.Seed, 0x716e6574)), cfg.Q, env.Init); err != nil {
		return RLResult{}, err
	}
	if l.tgt, err = NewQNet(be, rand.New(rand.NewPCG(0, 0)), cfg.Q, nil); err != nil {
		return RLResult{}, err
	}
	l.opt = nn.NewAdam(cfg.LR)
	l.pcg = rand.NewPCG(cfg.Seed, 0x75706474)
	l.rng = rand.New(l.pcg)
	l.replay.Budget = int64(cfg.ReplayMB * (1 << 20))
	l.st.Validated, l.st.BestRound = -1, -1
	res := RLResult{}
	if res.Resumed, err = l.resume(); err != nil {
		return res, err
	}
	if err := l.startAnchor(res.Resumed); err != nil {
		return res, err
	}
	if l.cutoffs, err = l.findCutoffs(ctx, env.Instances); err != nil {
		return res, err
	}
	if keepBest {
		// Validation searches as evaluation does: no cutoff, and the
		// search's own heuristics finding incumbents; but its trees stop
		// at the episodes' node limit.
		l.validCutoffs = make([]float64, len(env.Valid))
		for i := range l.validCutoffs {
			l.validCutoffs[i] = math.NaN()
		}
	}
	if keepBest && l.st.Validated < 0 { // the initial network is a candidate
		if _, err := l.validate(ctx); err != nil {
			return l.result(res), err
		}
	}
	for l.st.Episode < cfg.Episodes {
		if err := ctx.Err(); err != nil {
			return l.result(res), err
		}
		if err := l.round(ctx); err != nil {
			return l.result(res), err
		}
		if l.st.Round%cfg.CheckpointEvery == 0 || l.st.Episode == cfg.Episodes {
			if err := l.checkpoint(); err != nil {
				return l.result(res), err
			}
		}
	}
	final := l.q
	if keepBest {
		if final, err = l.keptBest(); err != nil {
			return l.result(res), err
		}
	}
	if err := final.Save(dir.Join(PolicyFile)); err != nil {
		return l.result(res), err
	}
	if keepBest {
		if err := l.pruneBest(-1); err != nil {
			return l.result(res), err
		}
	}
	return l.result(res), nil
}

func (l *learner) result(r RLResult) RLResult {
	r.Episodes, r.Rounds, r.Updates, r.ReplayPaths = l.st.Episode, l.st.Round, l.st.Updates, l.replay.Len()
	r.Seconds = l.seconds()
	return r
}

func (l *learner) seconds() float64 { return l.st.Seconds + time.Since(l.start).Seconds() }

func (l *learner) episodesDir() string { return l.dir.Join("episodes") }

// resume loads the latest checkpoint, if any, and refills the replay
// buffer from the episode files its index names.
func (l *learner) resume() (bool, error) {
	weights := l.q.allParams()
	ck, ok, err := l.dir.LatestCheckpoint(weights, l.opt)
	if err != nil || !ok {
		return false, err
	}
	l.q.Enc.readNorm(weights)
	if err := json.Unmarshal(ck.Agent, &l.st); err != nil {
		return false, fmt.Errorf("revibranch: checkpoint state: %w", err)
	}
	if l.st.Episode < 0 || l.st.Episode > l.cfg.Episodes || l.st.Round < 0 || l.st.PathsBefore < 0 {
		return false, fmt.Errorf("revibranch: checkpoint state out of range (episode %d of %d, round %d): not from this run", l.st.Episode, l.cfg.Episodes, l.st.Round)
	}
	if err := l.pcg.UnmarshalBinary(ck.RNG["updates"]); err != nil {
		return false, fmt.Errorf("revibranch: checkpoint RNG: %w", err)
	}
	l.replay.Skip(l.st.PathsBefore)
	for _, k := range l.st.ReplayEpisodes {
		ep, err := ReadEpisode(EpisodePath(l.episodesDir(), k))
		if err != nil {
			return false, err
		}
		if err := l.add(ep); err != nil {
			return false, err
		}
	}
	if l.replay.First() != l.st.ReplayFirst || l.replay.Len() != l.st.ReplayLen {
		return false, fmt.Errorf("revibranch: the episode files refill the replay buffer with paths %d..%d, the checkpoint says %d..%d: the run directory was changed",
			l.replay.First(), l.replay.First()+l.replay.Len(), l.st.ReplayFirst, l.st.ReplayFirst+l.st.ReplayLen)
	}
	rows, err := l.dir.ReadTrace()
	if err != nil {
		return false, err
	}
	for _, r := range rows {
		if checkpointed(r, l.st.Round) {
			l.rows = append(l.rows, r)
		}
	}
	return true, nil
}

// checkpointed tells the trace rows a checkpoint after round rounds
// holds: the train rows of rounds 0..rounds-1 (Epoch is the round) and
// the validations up to the one after round rounds (Epoch is the number
// of rounds before it).
func checkpointed(r trace.Train, rounds int) bool {
	if r.Phase == "valid" {
		return r.Epoch <= int64(rounds)
	}
	return r.Epoch < int64(rounds)
}

// add puts an episode's paths into the replay buffer.
func (l *learner) add(ep *Episode) error {
	paths, err := Paths(ep)
	if err != nil {
		return err
	}
	for i := range paths {
		l.replay.Add(&paths[i], paths[i].Bytes())
	}
	l.held = append(l.held, heldEpisode{ep.Index, len(paths)})
	// Drop episodes none of whose paths is held any more.
	first := l.replay.First()
	for len(l.held) > 0 && l.st.PathsBefore+l.held[0].paths <= first {
		l.st.PathsBefore += l.held[0].paths
		l.held = l.held[1:]
	}
	return nil
}

// checkpoint records the run and removes the episode files no checkpoint
// still needs.
func (l *learner) checkpoint() error {
	prevKeep := l.st.KeepFrom
	l.st.ReplayEpisodes = l.st.ReplayEpisodes[:0]
	for _, h := range l.held {
		l.st.ReplayEpisodes = append(l.st.ReplayEpisodes, h.index)
	}
	l.st.ReplayFirst, l.st.ReplayLen = l.replay.First(), l.replay.Len()
	l.st.KeepFrom = l.st.Episode
	if len(l.held) > 0 {
		l.st.KeepFrom = l.held[0].index
	}
	l.st.Seconds = l.seconds()
	l.start = time.Now()
	if err := l.dir.SaveState(l.st.Round, l.st.Episode, l.st, map[string]encoding.BinaryMarshaler{"updates": l.pcg}, l.q.allParams(), QArch, l.q.Config, l.opt, l.rows); err != nil {
		return err
	}
	// The previous checkpoint needs files from its KeepFrom on, this one
	// from a later episode: older files go (a kill before they do leaves
	// them to the next checkpoint), and so do the validated networks but
	// the best.
	for k := l.st.Removed; k < prevKeep; k++ {
		if err := os.Remove(EpisodePath(l.episodesDir(), k)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	l.st.Removed = max(l.st.Removed, prevKeep)
	if l.st.BestRound >= 0 {
		return l.pruneBest(l.st.BestRound)
	}
	return nil
}

// findCutoffs finds each instance's optimal value, from the optima cache
// when it holds the instance (NaN: none).
func (l *learner) findCutoffs(ctx context.Context, insts []Instance) ([]float64, error) {
	cuts := make([]float64, len(insts))
	cache := l.env.Optima
	if cache == nil {
		cache = &Optima{}
	}
	for i, in := range insts {
		cuts[i] = math.NaN()
		if l.cfg.NoCutoff {
			continue
		}
		opt, err := cache.Value(ctx, l.env.NewEngine, in.Model)
		if err != nil {
			return nil, fmt.Errorf("revibranch: %s: %w", in.Name, err)
		}
		cuts[i] = opt
	}
	return cuts, nil
}

// searchConfig is the episodes' tree search on an instance whose optimal
// value is cut (NaN: unknown).
func (l *learner) searchConfig(cut float64) bnb.Config {
	c := l.env.Search
	c.NodeLimit = l.cfg.EpisodeNodeLimit
	if !math.IsNaN(cut) {
		// Nodes whose bound reaches the optimum are pruned, as an
		// optimal incumbent found at the start would prune them.
		c.Cutoff, c.HasCutoff, c.NoHeuristics = cut, true, true
	}
	return c
}

func (l *learner) epsilon(episode int) float64 {
	c := l.cfg
	return train.Anneal(c.EpsStart, c.EpsEnd, float64(episode), c.EpsDecay*float64(c.Episodes))
}

// round plays a round's episodes, adds them to the buffer and learns.
func (l *learner) round(ctx context.Context) error {
	k0 := l.st.Episode
	n := min(l.cfg.EpisodesPerRound, l.cfg.Episodes-k0)
	eps := l.epsilon(k0)
	l.tgt.CopyFrom(l.q) // the target network: this round's player
	eps2, err := l.play(ctx, l.env.Instances, l.cutoffs, k0, n, eps)
	if err != nil {
		return err
	}
	nodes := 0.0
	for _, ep := range eps2 {
		if err := WriteEpisode(EpisodePath(l.episodesDir(), ep.Index), ep); err != nil {
			return err
		}
		if err := l.add(ep); err != nil {
			return err
		}
		nodes += float64(ep.Nodes)
	}
	nodes /= float64(n)
	loss, nl := 0.0, 0
	l.agree, l.gap, l.resid, l.diagStates, l.diagChoices, l.agreeStates = 0, 0, 0, 0, 0, 0
	if l.replay.Len() >= l.cfg.Batch {
		for range l.cfg.UpdatesPerRound {
			if err := ctx.Err(); err != nil {
				return err
			}
			v, err := l.update()
			if err != nil {
				return err
			}
			loss, nl = loss+v, nl+1
		}
	}
	if nl > 0 {
		loss /= float64(nl)
	} else {
		loss = math.NaN()
	}
	l.st.Episode += n
	l.st.Round++
	valid := math.NaN()
	if l.cfg.Keep == KeepBest && (l.st.Round%l.cfg.ValidEvery == 0 || l.st.Episode == l.cfg.Episodes) {
		if valid, err = l.validate(ctx); err != nil {
			return err
		}
	}
	row := trace.Train{Run: l.run, Agent: l.cfg.Variant(), Phase: "train", Epoch: int64(l.st.Round - 1), Step: int64(l.st.Updates),
		Samples: int64(l.st.Episode), Loss: loss, LR: l.cfg.LR, Return: trace.Float(-nodes), Seconds: l.seconds()}
	if math.IsNaN(loss) {
		row.Loss = 0
	}
	l.rows = append(l.rows, row)
	if l.env.Progress != nil {
		l.env.Progress(RLProgress{Episode: l.st.Episode, Episodes: l.cfg.Episodes, Round: l.st.Round, Epsilon: eps, Loss: loss,
			Nodes: nodes, ReplayPaths: l.replay.Len(), ReplayBytes: l.replay.Bytes(),
			Agree: ratio(l.agree, l.agreeStates), Gap: ratio(l.gap, l.diagChoices), Residual: math.Sqrt(ratio(l.resid, l.diagStates)), Valid: valid})
	}
	return nil
}

// ratio is a/n, NaN when n is 0 (a mean over nothing).
func ratio(a, n float64) float64 {
	if n == 0 {
		return math.NaN()
	}
	return a / n
}

// play runs episodes k0..k0+n-1 on insts (episode k on instance k mod
// len(insts), whose optimal value is cuts's) on the workers, each with its
// own copy of the network, and returns them in episode order.
func (l *learner) play(ctx context.Context, insts []Instance, cuts []float64, k0, n int, eps float64) ([]*Episode, error) {
	out := make([]*Episode, n)
	errs := make([]error, n)
	var next int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range min(l.env.Workers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			q, err := NewQNet(nn.CPU(), rand.New(rand.NewPCG(0, 0)), l.q.Config, nil)
			if err != nil {
				mu.Lock()
				errs[0] = err
				mu.Unlock()
				return
			}
			q.CopyFrom(l.q)
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= n || ctx.Err() != nil {
					return
				}
				k := k0 + i
				inst := k % len(insts)
				out[i], errs[i] = PlayEpisode(ctx, q, insts[inst], EpisodeConfig{
					Index: k, Epsilon: eps, Seed: l.cfg.Seed, NewEngine: l.env.NewEngine, Search: l.searchConfig(cuts[inst])})
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, errors.Join(errs...)
}

// EpisodeConfig configures one episode of PlayEpisode.
type EpisodeConfig struct {
	Index   int     // the episode's number: its exploration draws come from (Seed, Index)
	Epsilon float64 // the probability of branching on a uniformly drawn candidate
	Seed    uint64
	// NewEngine creates the LP engine (nil: HiGHS, default engine).
	NewEngine func() (solver.Engine, error)
	Search    bnb.Config
}

// PlayEpisode drives the branching environment on the instance with the
// Q-network, epsilon-greedily, and returns the episode's decisions. With
// Epsilon 0 it builds the tree that bnb.Solve builds with q.Brancher().
func PlayEpisode(ctx context.Context, q *QNet, inst Instance, cfg EpisodeConfig) (*Episode, error) {
	env, err := milp.New(milp.Config{Instances: milp.Fixed(inst.Model), NewEngine: cfg.NewEngine, Search: cfg.Search}, &milp.NodeBipartiteFunc{}, milp.NNodes)
	if err != nil {
		return nil, err
	}
	defer env.Close()
	o, err := env.ResetContext(ctx, cfg.Seed)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", inst.Name, err)
	}
	rng := rand.New(rand.NewPCG(cfg.Seed^0x65707369, uint64(cfg.Index)))
	ch := newChooser(q)
	ep := &Episode{Index: cfg.Index, Instance: inst.Name}
	for !env.Done() {
		d := env.Decision()
		if ep.Graph == nil {
			ep.Graph = graphOf(o)
		}
		vals := ch.values(d.Node.ID, d.Node.ParentID, o)
		a := argmin(vals)
		if rng.Float64() < cfg.Epsilon {
			a = rng.IntN(len(vals))
		}
		col := o.Candidates[a]
		ch.commit(col)
		cands := make([]int32, len(o.Candidates))
		for i, j := range o.Candidates {
			cands[i] = int32(j)
		}
		ep.Steps = append(ep.Steps, Step{Node: d.Node.ID, Parent: d.Node.ParentID, Depth: int32(d.Node.Depth),
			ColFeat: f32(o.ColFeatures), RowFeat: f32(o.RowFeatures), Candidates: cands, Action: int32(a)})
		st, err := env.Step(col)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", inst.Name, err)
		}
		info := st.Info.(milp.StepInfo)
		last := &ep.Steps[len(ep.Steps)-1]
		last.Children, last.LPIterations = info.Children, info.LPIterations
		o = st.Obs
	}
	if ep.Graph == nil {
		ep.Graph = &Graph{}
	}
	// The leaves' LP iterations are known once the search is over.
	tree := env.Search().Tree()
	for i := range ep.Steps {
		s := &ep.Steps[i]
		for slot, c := range s.Children {
			s.ChildLPIterations[slot] = tree[c].LPIterations
		}
	}
	ep.Nodes = env.Search().Stats().Nodes
	return ep, nil
}

// update takes one optimizer step on a batch of paths and returns its loss.
func (l *learner) update() (float64, error) {
	paths := make([]*Path, l.cfg.Batch)
	for i := range paths {
		paths[i] = l.replay.At(l.rng.IntN(l.replay.Len()))
	}
	bt := l.q.makeQBatch(paths)
	if l.st.Updates == 0 {
		l.calibrate(paths, bt)
	}
	sc := nn.NewScope()
	defer sc.Release()
	qAll := l.q.forward(bt, sc)
	online := qAll.Data()
	ng := nn.NoGrad()
	defer ng.Release()
	target := l.tgt.forward(l.tgt.makeQBatch(paths), ng).Data()
	y := l.targets(paths, bt, online, target)
	chosen := make([]int32, len(bt.chosen))
	for i, c := range bt.chosen {
		chosen[i] = int32(c)
	}
	// The initial network's choices: the imitation term's labels, and the
	// agreement diagnostic's, which without the term samples the round's
	// first update only (the forward pass costs as much as the online one).
	lam := l.imitationWeight()
	var labels []int
	if l.anchor != nil && (lam > 0 || l.diagStates == 0) {
		labels = lowest(bt, l.anchor.forward(l.anchor.makeQBatch(paths), ng).Data())
	}
	l.diagnose(bt, online, y, labels)
	be := l.q.be
	pred := nn.Gather(nn.Reshape(qAll, -1, 1), nn.NewIndex(be, chosen))
	yt := sc.In(nn.From(be, y, len(y), 1))
	var loss *nn.Tensor
	if l.cfg.Loss == "huber" {
		loss = nn.Huber(pred, yt, 1)
	} else {
		loss = nn.MSE(pred, yt)
	}
	total := loss
	if lam > 0 {
		total = nn.Add(loss, nn.Scale(imitationLoss(be, qAll, bt, labels, sc), float32(lam)))
	}
	ps := l.q.Params()
	nn.ZeroGrad(ps)
	nn.Backward(total)
	l.step(ps)
	l.st.Updates++
	v := float64(loss.Item())
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return v, fmt.Errorf("revibranch: update %d: loss is %v (lower the rate?)", l.st.Updates, v)
	}
	return v, nil
}

// diagnose adds the batch's states to the round's diagnostics (see
// RLProgress): agreement with the initial network's choices (labels, nil
// without an anchor), the gap between the two lowest Q-values, and the
// squared residual of the chosen candidates' Q-values against targets y.
func (l *learner) diagnose(bt *qBatch, online, y []float32, labels []int) {
	for s := range bt.chosen {
		lo, hi := bt.candStart[s], bt.candStart[s+1]
		row := online[lo:hi]
		a := argmin(row)
		r := float64(online[bt.chosen[s]] - y[s])
		l.resid += r * r
		l.diagStates++
		if len(row) > 1 {
			l.diagChoices++
			if labels != nil {
				l.agreeStates++
				if a == labels[s] {
					l.agree++
				}
			}
			second := float32(math.Inf(1))
			for i, v := range row {
				if i != a && v < second {
					second = v
				}
			}
			l.gap += float64(second - row[a])
		}
	}
}

// calibrate shifts the online and target networks' output bias, before
// the first update, so that their mean Q-value over the batch's decisions
// is the mean of those decisions' returns. The returns are log tree sizes
// and iterations, 5 to 15 where a new head gives values near 0 (near the
// negated logits from an imitation policy): without the shift the first
// updates spend themselves on the level, moving every weight, and a
// common shift changes no choice.
func (l *learner) calibrate(paths []*Path, bt *qBatch) {
	ng := nn.NoGrad()
	defer ng.Release()
	online := l.q.forward(bt, ng).Data()
	mc := l.returnsToGo(paths, bt)
	delta := 0.0
	for s, c := range bt.chosen {
		delta += float64(mc[s]) - float64(online[c])
	}
	delta /= float64(len(bt.chosen))
	for _, q := range []*QNet{l.q, l.tgt} {
		b := q.Head.Layers[len(q.Head.Layers)-1].Bias
		v := b.Data()
		v[0] += float32(delta)
		b.Set(v)
	}
}

// returnsToGo returns each state's return to the end of its path under
// the run's reward and redistribution, in the batch's state order: its
// Monte-Carlo target (with subtree redistribution, its own tree-MDP
// return).
func (l *learner) returnsToGo(paths []*Path, bt *qBatch) []float64 {
	g := make([]float64, len(bt.chosen))
	var rw []float64
	for b, p := range paths {
		rw = PathRewards(p, l.cfg.Reward, l.cfg.Redistribution, rw)
		states := bt.paths[b]
		togo := 0.0
		for t := len(rw) - 1; t >= 0; t-- {
			togo += rw[t]
			if t < len(states) {
				g[states[t]] = togo
			}
		}
	}
	return g
}

// targets returns the regression target of each state of the batch, in
// the batch's state order.
func (l *learner) targets(paths []*Path, bt *qBatch, online, target []float32) []float32 {
	togo := l.returnsToGo(paths, bt)
	y := make([]float32, len(bt.chosen))
	for b := range paths {
		states := bt.paths[b]
		for t, s := range states {
			j := t + l.cfg.NStep
			if l.cfg.MonteCarlo || j >= len(states) {
				y[s] = float32(togo[s])
				continue
			}
			// Double Q: the online network picks at the state j steps
			// down, the target network values its pick.
			sj := states[j]
			lo, hi := bt.candStart[sj], bt.candStart[sj+1]
			best := lo + argmin(online[lo:hi])
			y[s] = float32(togo[s] - togo[sj] + float64(target[best]))
		}
	}
	return y
}
