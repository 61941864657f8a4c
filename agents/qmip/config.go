package qmip

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"

	"github.com/corl-go/corl/agents/train"
	"github.com/corl-go/corl/envs/bandits"
)

// Config is a SEQUOIA training run. Zero fields take the defaults noted.
type Config struct {
	Family  string `json:"family"`
	J       int    `json:"arms"`
	B       int    `json:"budget"`
	Seed    uint64 `json:"seed"`    // draws the instance (as `corl eval bandits --seed` does) and the run's randomness
	Horizon int    `json:"horizon"` // steps per episode; 20

	Episodes int     `json:"episodes"` // training episodes; 100
	Hidden   []int   `json:"hidden"`   // hidden layer sizes; SEQUOIA's [16, 32]
	Gamma    float64 `json:"gamma"`    // discount; 0.95
	LR       float64 `json:"lr"`       // Adam's rate; 1e-3
	WarmLR   float64 `json:"warm_lr"`  // Adam's rate in the warm start; LR
	Batch    int     `json:"batch"`    // transitions per update; 32
	Replay   int     `json:"replay"`   // replay capacity in transitions; 10000
	// TrainEvery is the number of environment steps per update (1), and
	// TargetEvery the number of updates between target-network syncs (50).
	TrainEvery  int `json:"train_every"`
	TargetEvery int `json:"target_every"`
	// Epsilon decays linearly from EpsStart (1) to EpsEnd (0.05) over the
	// first EpsDecay (0.5) of the episodes; exploration draws from the
	// family's sampler of feasible actions.
	EpsStart float64 `json:"eps_start"`
	EpsEnd   float64 `json:"eps_end"`
	EpsDecay float64 `json:"eps_decay"`
	// The warm start fits the network to Warm's target on WarmSamples
	// random (state, feasible action) pairs, plus fixed points that pull
	// every action variable with every arm in every state, for
	// WarmEpochs epochs; 4096 and 300. WarmSamples < 0 skips it. Warm is WarmMyopic (the expected
	// next-step reward, SEQUOIA's), WarmLagrange (that reward plus the
	// discounted value of the next states in Whittle's relaxation, the
	// arms decoupled at the multiplier of the tightest bound) or
	// WarmWhittle (the relaxation's value of resting every arm plus each
	// arm's positive Whittle index, at γ, times its activity: under
	// FeaturesProduct its greedy action is the Whittle policy's); see
	// DefaultWarm.
	WarmSamples int    `json:"warm_samples"`
	WarmEpochs  int    `json:"warm_epochs"`
	Warm        string `json:"warm"`
	// Units is the scale of Q: UnitsReturn, the discounted return, or
	// UnitsStep, the return times (1 − γ), a discounted average reward per
	// step (every reward is scaled by 1 − γ). The greedy actions are the
	// same; the targets' level is not. See DefaultUnits.
	Units string `json:"units"`
	// Features is the network's input layout: FeaturesPlain (SEQUOIA's)
	// or FeaturesProduct; see DefaultFeatures.
	Features string `json:"features"`
	// Keep says which network becomes the policy: KeepLast, the last, or
	// KeepBest, the one of the best greedy evaluation (evaluated after the
	// warm start too) as KeepTest judges it. See DefaultKeep.
	Keep string `json:"keep"`
	// KeepTest is when a later evaluation replaces the kept network under
	// KeepBest: KeepTestMean, whenever its mean is higher, or
	// KeepTestPaired, only when its paired gain over the kept one on the
	// same evaluation episodes (they share seeds) is significant: the
	// lower end of the one-sided 95% t interval of the per-episode
	// differences above zero (EvalEpisodes >= 2). See DefaultKeepTest.
	KeepTest string `json:"keep_test"`
	// Skip is SkipLinear (a linear term over the input added to the ReLU
	// network's output, written into the MIP as objective coefficients)
	// or SkipNone; see DefaultSkip. With it the ReLU part starts at zero
	// and the warm start fits the linear term alone: under
	// FeaturesProduct every warm target is linear in the input, so the
	// warm network is its target exactly and adds no binary.
	Skip string `json:"skip"`
	// Double picks each target's action by the online network's MIP and
	// values it by the target network (double DQN); false: both by the
	// target network.
	Double bool `json:"double"`
	// Target is how the target network follows the online one:
	// TargetSync (the default) copies it every TargetEvery updates,
	// TargetWarm holds it at the warm-started network for the whole run,
	// TargetSoft moves it by Tau (1e-6, the published code's) towards the
	// online one after every update.
	Target string  `json:"target"`
	Tau    float64 `json:"tau"`
	// Anchor, when positive, adds Anchor·mean (Q(s, a) − Q_warm(s, a))² over
	// each batch to the loss, a pull towards the warm-started network; 0
	// (none).
	Anchor float64 `json:"anchor"`
	// LRDecay multiplies DQN's rate at each episode: episode k (from 0)
	// uses LR·LRDecay^k; 1 (no decay).
	LRDecay float64 `json:"lr_decay"`
	// Improve, when positive, replaces DQN by least-squares policy
	// iteration: the Episodes are split into Improve rounds of play, each
	// step the greedy action, or with probability ImproveEps (0.3) a
	// feasible action one change away from it (a member dropped, added or
	// swapped; the family's sampler when 20 tries find none), and after
	// each round the skip term is set to the LSTD-Q estimate of the
	// current greedy policy's Q on all the play so far (the ReLU part
	// zeroed), regularised towards the policy's own weights by
	// ImproveRidge (1e-3) per transition; each round ends with a greedy
	// evaluation. 0: DQN. Needs Skip = SkipLinear, Features =
	// FeaturesProduct and Replay >= Episodes·Horizon (the fit reads the
	// replay, which must hold all the play). DQN's own fields do nothing
	// under it (LR, LRDecay, Batch, TrainEvery, TargetEvery, Target, Tau,
	// the Eps*, EvalEvery; LR and Batch reach only the warm start's Adam
	// fallback, through WarmLR's default and its batch size), and Validate
	// refuses Double and Anchor with it.
	Improve      int     `json:"improve,omitempty"`
	ImproveEps   float64 `json:"improve_eps,omitempty"`
	ImproveRidge float64 `json:"improve_ridge,omitempty"`
	// Workers solve the target MIPs of an update in parallel, each on its
	// own HiGHS instance; 1.
	Workers int `json:"workers"`
	// CheckpointEvery is the number of episodes between checkpoints (5);
	// EvalEvery the number between greedy evaluations (10) of EvalEpisodes
	// episodes (5) each.
	CheckpointEvery int `json:"checkpoint_every"`
	EvalEvery       int `json:"eval_every"`
	EvalEpisodes    int `json:"eval_episodes"`

	Select SelectConfig `json:"select"`
}

// Values of Config.Warm, Config.Units and Config.Keep.
const (
	WarmMyopic   = "myopic"
	WarmLagrange = "lagrange"
	WarmWhittle  = "whittle"
	UnitsReturn  = "return"
	UnitsStep    = "step"
	KeepLast     = "last"
	KeepBest     = "best"
	// The values of Config.KeepTest.
	KeepTestMean   = "mean"
	KeepTestPaired = "paired"
	SkipLinear     = "linear"
	SkipNone       = "none"
	TargetSync     = "sync"
	TargetWarm     = "warm"
	TargetSoft     = "soft"
)

// The defaults of Config.Warm, Config.Units and Config.Keep (RATIONALE,
// "SEQUOIA's training").
const (
	DefaultWarm     = WarmWhittle
	DefaultUnits    = UnitsStep
	DefaultKeep     = KeepBest
	DefaultKeepTest = KeepTestMean
	DefaultFeatures = FeaturesProduct
	DefaultSkip     = SkipLinear
)

// Recorded returns c, read from a run's record, with the fields a record
// made before they existed set to the behaviour it was made under
// (SEQUOIA's: plain inputs, myopic warm start, Q as a return, the last
// network), so that resuming an older run continues it as it began.
func (c Config) Recorded() Config {
	train.Default(&c.Features, FeaturesPlain)
	train.Default(&c.Warm, WarmMyopic)
	train.Default(&c.Units, UnitsReturn)
	train.Default(&c.Keep, KeepLast)
	train.Default(&c.KeepTest, KeepTestMean)
	train.Default(&c.Skip, SkipNone)
	return c
}

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	train.Default(&c.Horizon, 20)
	train.Default(&c.Episodes, 100)
	if len(c.Hidden) == 0 {
		c.Hidden = []int{16, 32}
	}
	train.Default(&c.Gamma, 0.95)
	train.Default(&c.LR, 1e-3)
	train.Default(&c.WarmLR, c.LR)
	train.Default(&c.Batch, 32)
	train.Default(&c.Replay, 10000)
	train.Default(&c.TrainEvery, 1)
	train.Default(&c.TargetEvery, 50)
	train.Default(&c.EpsStart, 1)
	train.Default(&c.EpsEnd, 0.05)
	train.Default(&c.EpsDecay, 0.5)
	train.Default(&c.WarmSamples, 4096)
	train.Default(&c.WarmEpochs, 300)
	train.Default(&c.Warm, DefaultWarm)
	train.Default(&c.Units, DefaultUnits)
	train.Default(&c.Keep, DefaultKeep)
	train.Default(&c.KeepTest, DefaultKeepTest)
	train.Default(&c.Features, DefaultFeatures)
	train.Default(&c.Skip, DefaultSkip)
	train.Default(&c.Target, TargetSync)
	train.Default(&c.Tau, 1e-6)
	train.Default(&c.LRDecay, 1)
	train.Default(&c.ImproveEps, 0.3)
	train.Default(&c.ImproveRidge, 1e-3)
	train.Default(&c.Workers, 1)
	train.Default(&c.CheckpointEvery, 5)
	train.Default(&c.EvalEvery, 10)
	train.Default(&c.EvalEpisodes, 5)
	return c
}

// Validate checks c (after WithDefaults); the first bad field is a
// *ConfigError.
func (c Config) Validate() error {
	if err := (bandits.Config{Family: c.Family, J: c.J, B: c.B}).Validate(); err != nil {
		return err
	}
	bad := func(field string, v any, want string) error { return &ConfigError{field, v, want} }
	ints := []struct {
		name string
		v    int
	}{{"Horizon", c.Horizon}, {"Episodes", c.Episodes}, {"Batch", c.Batch}, {"TrainEvery", c.TrainEvery},
		{"TargetEvery", c.TargetEvery}, {"WarmEpochs", c.WarmEpochs}, {"Workers", c.Workers},
		{"CheckpointEvery", c.CheckpointEvery}, {"EvalEvery", c.EvalEvery}, {"EvalEpisodes", c.EvalEpisodes}}
	for _, f := range ints {
		if f.v < 1 {
			return bad(f.name, f.v, ">= 1")
		}
	}
	switch {
	case c.Improve == 0 && c.Replay < c.Batch: // policy iteration draws no batches
		return bad("Replay", c.Replay, fmt.Sprintf(">= Batch (%d)", c.Batch))
	case !(c.Gamma >= 0 && c.Gamma < 1):
		return bad("Gamma", c.Gamma, "in [0, 1)")
	case !(c.LR > 0 && c.LR < 1):
		return bad("LR", c.LR, "in (0, 1)")
	case !(c.WarmLR > 0 && c.WarmLR < 1):
		return bad("WarmLR", c.WarmLR, "in (0, 1)")
	case !(c.EpsStart >= 0 && c.EpsStart <= 1):
		return bad("EpsStart", c.EpsStart, "in [0, 1]")
	case !(c.EpsEnd >= 0 && c.EpsEnd <= 1):
		return bad("EpsEnd", c.EpsEnd, "in [0, 1]")
	case !(c.EpsDecay > 0 && c.EpsDecay <= 1):
		return bad("EpsDecay", c.EpsDecay, "in (0, 1]")
	case c.Warm != WarmMyopic && c.Warm != WarmLagrange && c.Warm != WarmWhittle:
		return bad("Warm", fmt.Sprintf("%q", c.Warm), WarmMyopic+", "+WarmLagrange+" or "+WarmWhittle)
	case c.Units != UnitsReturn && c.Units != UnitsStep:
		return bad("Units", fmt.Sprintf("%q", c.Units), UnitsReturn+" or "+UnitsStep)
	case c.Features != FeaturesPlain && c.Features != FeaturesProduct:
		return bad("Features", fmt.Sprintf("%q", c.Features), FeaturesPlain+" or "+FeaturesProduct)
	case c.Keep != KeepLast && c.Keep != KeepBest:
		return bad("Keep", fmt.Sprintf("%q", c.Keep), KeepLast+" or "+KeepBest)
	case c.KeepTest != KeepTestMean && c.KeepTest != KeepTestPaired:
		return bad("KeepTest", fmt.Sprintf("%q", c.KeepTest), KeepTestMean+" or "+KeepTestPaired)
	case c.KeepTest == KeepTestPaired && c.Keep != KeepBest:
		return bad("KeepTest", fmt.Sprintf("%q", c.KeepTest), KeepTestMean+" under Keep "+KeepLast+" (only the kept network is tested)")
	case c.KeepTest == KeepTestPaired && c.EvalEpisodes < 2:
		return bad("EvalEpisodes", c.EvalEpisodes, "at least 2 under KeepTest "+KeepTestPaired)
	case c.Skip != SkipLinear && c.Skip != SkipNone:
		return bad("Skip", fmt.Sprintf("%q", c.Skip), SkipLinear+" or "+SkipNone)
	case c.Target != TargetSync && c.Target != TargetWarm && c.Target != TargetSoft:
		return bad("Target", fmt.Sprintf("%q", c.Target), TargetSync+", "+TargetWarm+" or "+TargetSoft)
	case !(c.Tau > 0 && c.Tau <= 1):
		return bad("Tau", c.Tau, "in (0, 1]")
	case !(c.Anchor >= 0 && c.Anchor < 1e6):
		return bad("Anchor", c.Anchor, "in [0, 1e6)")
	case !(c.LRDecay > 0 && c.LRDecay <= 1):
		return bad("LRDecay", c.LRDecay, "in (0, 1]")
	case c.Improve < 0 || c.Improve > c.Episodes:
		return bad("Improve", c.Improve, fmt.Sprintf("in 0..%d (the episodes)", c.Episodes))
	case c.Improve > 0 && c.Double:
		return bad("Double", c.Double, "false under improve, which has no target network")
	case c.Improve > 0 && c.Anchor != 0:
		return bad("Anchor", c.Anchor, "0 under improve, which takes no gradient steps")
	case c.Improve > 0 && c.Replay < c.Episodes*c.Horizon:
		return bad("Replay", c.Replay, fmt.Sprintf(">= episodes x horizon (%d) under improve, which fits all its play", c.Episodes*c.Horizon))
	case c.Improve > 0 && c.Skip != SkipLinear:
		return bad("Skip", fmt.Sprintf("%q", c.Skip), SkipLinear+" under improve, which fits the skip term")
	case c.Improve > 0 && c.Features != FeaturesProduct:
		return bad("Features", fmt.Sprintf("%q", c.Features), FeaturesProduct+" under improve, which fits each arm's activity by state")
	case !(c.ImproveEps > 0 && c.ImproveEps <= 1):
		return bad("ImproveEps", c.ImproveEps, "in (0, 1]")
	case !(c.ImproveRidge > 0 && c.ImproveRidge < 1e3):
		return bad("ImproveRidge", c.ImproveRidge, "in (0, 1e3)")
	}
	for i, h := range c.Hidden {
		if h < 1 || h > 4096 {
			return bad(fmt.Sprintf("Hidden[%d]", i), h, "in 1..4096")
		}
	}
	return c.Select.Validate()
}

// NewInstance draws the instance of (family, J, B, seed) exactly as
// `corl eval bandits --seed` does, so a policy trained under a seed is
// evaluated on its own instance.
func NewInstance(family string, j, b int, seed uint64) (*bandits.Instance, error) {
	return bandits.Generate(bandits.Config{Family: family, J: j, B: b}, rand.New(rand.NewPCG(seed, 0x1057)))
}

// Fingerprint identifies an instance's data (arms, links, slots, costs,
// graph), so a policy refuses an instance it was not trained on.
func Fingerprint(in *bandits.Instance) string {
	b, err := json.Marshal(in)
	if err != nil {
		panic(err) // an Instance is plain data
	}
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:8])
}
