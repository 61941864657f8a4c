package main

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/corl-go/corl/agents/qmip"
	"github.com/corl-go/corl/agents/train"
	"github.com/corl-go/corl/envs/bandits"
	"github.com/corl-go/corl/internal/atomicfile"
	"github.com/corl-go/corl/internal/progress"
)

func trainBanditsCommand() *cli.Command {
	return &cli.Command{
		Name:  "bandits",
		Usage: "learn a SEQUOIA agent for a coupled restless bandit instance",
		Description: "With --agent sequoia (Xu et al., ICLR 2025), in one run directory --out:\n" +
			"  1. draws the instance of --family, --arms J, --budget B and --seed (the instance\n" +
			"     `corl eval bandits` plays under the same flags),\n" +
			"  2. warm-starts a ReLU Q-network over [action, state] (--hidden, SEQUOIA's 16,32; --features)\n" +
			"     on --warm-start's target (whittle: the arms' Whittle indices; myopic: SEQUOIA's),\n" +
			"  3. trains it by DQN for --episodes episodes: each greedy action is the network's MIP\n" +
			"     optimum over the family's constraints, solved by HiGHS; every update needs\n" +
			"     max over feasible actions of the target network for each next state, one MIP each,\n" +
			"     solved by --workers HiGHS instances in parallel and memoised per target network,\n" +
			"  4. writes policy.safetensors (--keep best: the network of the best greedy evaluation,\n" +
			"     the warm start's included; under --keep-test paired a later one replaces it only on\n" +
			"     a significant paired gain), the training trace, plots and summary.md.\n\n" +
			"Ctrl-C stops at the next safe point; --resume continues from the last checkpoint (every\n" +
			"--checkpoint-every episodes) and ends with the weights of an uninterrupted run. Then:\n" +
			"  corl eval bandits --family F --arms J --budget B --seed S --policies sequoia:DIR/policy.safetensors,myopic,whittle\n\n" +
			"Example:\n" +
			"  corl train bandits --agent sequoia --family capacity --arms 20 --budget 5 --episodes 100 --seed 1 --out runs/cap",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "agent", Value: "sequoia", Usage: "sequoia (a Q-network embedded in a MIP, trained by DQN)"},
			&cli.StringFlag{Name: "out", Usage: "run `DIR` (required)", Required: true},
			&cli.BoolFlag{Name: "resume", Usage: "continue the run in --out (its recorded settings apply)"},
			&cli.StringFlag{Name: "family", Value: "capacity", Usage: "interventions, scheduling, capacity or path"},
			&cli.IntFlag{Name: "arms", Value: 20, Usage: "number of arms J"},
			&cli.IntFlag{Name: "budget", Value: 5, Usage: "budget B"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed of the instance and of training"},
			&cli.IntFlag{Name: "episodes", Value: 100, Usage: "training episodes"},
			&cli.IntFlag{Name: "horizon", Value: 20, Usage: "steps per episode"},
			&cli.StringFlag{Name: "hidden", Value: "16,32", Usage: "hidden layer sizes of the ReLU Q-network"},
			&cli.Float64Flag{Name: "gamma", Value: 0.95, Usage: "discount factor, in [0, 1)"},
			&cli.Float64Flag{Name: "lr", Value: 1e-3, Usage: "Adam's learning rate"},
			&cli.Float64Flag{Name: "warm-lr", Usage: "Adam's learning rate in the warm start (0: --lr)"},
			&cli.IntFlag{Name: "batch-size", Value: 32, Usage: "transitions per update"},
			&cli.IntFlag{Name: "replay", Value: 10000, Usage: "replay buffer capacity, in transitions"},
			&cli.IntFlag{Name: "train-every", Value: 1, Usage: "environment steps per update"},
			&cli.IntFlag{Name: "target-every", Value: 50, Usage: "updates between target-network syncs"},
			&cli.Float64Flag{Name: "eps-start", Value: 1, Usage: "initial exploration rate"},
			&cli.Float64Flag{Name: "eps-end", Value: 0.05, Usage: "final exploration rate"},
			&cli.Float64Flag{Name: "eps-decay", Value: 0.5, Usage: "share of the episodes over which exploration decays"},
			&cli.IntFlag{Name: "warm-samples", Value: 4096, Usage: "random (state, action) pairs of the warm start, on the --warm-start target, besides fixed ones that pull every arm in every state (negative: skip it)"},
			&cli.IntFlag{Name: "warm-epochs", Value: 300, Usage: "epochs of the warm start"},
			&cli.StringFlag{Name: "warm-start", Value: qmip.DefaultWarm, Usage: "the warm start's target: myopic (the expected next-step reward), lagrange (plus the discounted value of the next states with the arms decoupled, Whittle's relaxation) or whittle (the arms' Whittle indices times their activity)"},
			&cli.StringFlag{Name: "units", Value: qmip.DefaultUnits, Usage: "scale of Q: return (the discounted return) or step (the return times 1 - gamma, a reward per step)"},
			&cli.StringFlag{Name: "features", Value: qmip.DefaultFeatures, Usage: "the network's input: plain ([action, state], SEQUOIA's) or product (also each arm's action times its one-hot state, linear in the action once the state is fixed)"},
			&cli.StringFlag{Name: "skip", Value: qmip.DefaultSkip, Usage: "linear (a linear term over the input added to the ReLU network, objective coefficients in the MIP; the warm start fits it alone) or none (SEQUOIA's)"},
			&cli.BoolFlag{Name: "double", Usage: "double DQN: each target's action by the online network's MIP, its value by the target network"},
			&cli.StringFlag{Name: "target", Value: qmip.TargetSync, Usage: "how the target network follows: sync (a copy every --target-every updates), warm (held at the warm-started network) or soft (moved by --tau after every update)"},
			&cli.Float64Flag{Name: "tau", Value: 1e-6, Usage: "share of the way the target network moves towards the online one per update under --target soft, in (0, 1]"},
			&cli.Float64Flag{Name: "anchor", Usage: "weight of a squared pull of Q towards the warm-started network in DQN's loss (0: none)"},
			&cli.Float64Flag{Name: "lr-decay", Value: 1, Usage: "factor on DQN's learning rate at each episode, in (0, 1]"},
			&cli.IntFlag{Name: "improve", Usage: "instead of DQN, N rounds of least-squares policy iteration over the --episodes (0: DQN): after each round Q becomes the LSTD-Q estimate of the greedy policy's value on all play so far (--replay must hold all --episodes x --horizon transitions), a linear term the MIP takes without binaries"},
			&cli.Float64Flag{Name: "improve-eps", Value: 0.3, Usage: "exploration rate of the play under --improve, in (0, 1]"},
			&cli.Float64Flag{Name: "improve-ridge", Value: 1e-3, Usage: "pull per transition of --improve's estimate towards the evaluated policy's weights, in (0, 1000)"},
			&cli.StringFlag{Name: "keep", Value: qmip.DefaultKeep, Usage: "the policy written: last (the last network) or best (the one of the best greedy evaluation, the warm start's included)"},
			&cli.StringFlag{Name: "keep-test", Value: qmip.DefaultKeepTest, Usage: "under --keep best, when a later greedy evaluation replaces the kept network: mean (a higher mean) or paired (a significant gain on the same evaluation episodes: the lower end of the one-sided 95% t interval of the per-episode differences above 0; --eval-episodes at least 2)"},
			&cli.IntFlag{Name: "workers", Value: runtime.GOMAXPROCS(0), Usage: "HiGHS instances solving target MIPs in parallel (the result does not depend on it)"},
			&cli.IntFlag{Name: "checkpoint-every", Value: 5, Usage: "episodes between checkpoints"},
			&cli.IntFlag{Name: "eval-every", Value: 10, Usage: "episodes between greedy evaluations"},
			&cli.IntFlag{Name: "eval-episodes", Value: 5, Usage: "episodes per greedy evaluation"},
			&cli.Float64Flag{Name: "gap", Value: 1e-6, Usage: "relative MIP gap of each action choice"},
			&cli.Float64Flag{Name: "mip-time-limit", Usage: "seconds per action MIP (0: none; a limit makes choices depend on the machine's speed)"},
		}, selectFlags()...),
		Action: trainBanditsAction,
	}
}

// trainBanditsConfig is what config.json records.
type trainBanditsConfig struct {
	Agent      string      `json:"agent"`
	Config     qmip.Config `json:"sequoia"`
	GOMAXPROCS int         `json:"gomaxprocs"`
	Version    string      `json:"corl_version"`
}

func parseSizes(flag, s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v < 1 || v > 4096 {
			return nil, usageErr("--%s %q: want a comma-separated list of sizes in 1..4096", flag, s)
		}
		out = append(out, v)
	}
	return out, nil
}

func trainBanditsConfigFromFlags(c *cli.Context) (trainBanditsConfig, error) {
	if a := c.String("agent"); a != "sequoia" {
		return trainBanditsConfig{}, usageErr("--agent %q: want sequoia", a)
	}
	hidden, err := parseSizes("hidden", c.String("hidden"))
	if err != nil {
		return trainBanditsConfig{}, err
	}
	if err := checkTimeLimit("mip-time-limit", c.Float64("mip-time-limit")); err != nil {
		return trainBanditsConfig{}, err
	}
	if err := checkSelectFlags(c); err != nil {
		return trainBanditsConfig{}, err
	}
	if err := (bandits.Config{Family: c.String("family"), J: c.Int("arms"), B: c.Int("budget")}).Validate(); err != nil {
		return trainBanditsConfig{}, usageErr("--family %s --arms %d --budget %d: %v", c.String("family"), c.Int("arms"), c.Int("budget"), err)
	}
	if err := checkImproveFlags(c); err != nil {
		return trainBanditsConfig{}, err
	}
	if c.IsSet("keep-test") && c.String("keep") != qmip.KeepBest {
		return trainBanditsConfig{}, usageErr("--keep-test goes with --keep %s, not %s", qmip.KeepBest, c.String("keep"))
	}
	if c.IsSet("tau") && c.String("target") != qmip.TargetSoft {
		return trainBanditsConfig{}, usageErr("--tau goes with --target %s, not %s", qmip.TargetSoft, c.String("target"))
	}
	q := qmip.Config{
		Family: c.String("family"), J: c.Int("arms"), B: c.Int("budget"), Seed: c.Uint64("seed"),
		Horizon: c.Int("horizon"), Episodes: c.Int("episodes"), Hidden: hidden, Gamma: c.Float64("gamma"), LR: c.Float64("lr"), WarmLR: c.Float64("warm-lr"),
		Batch: c.Int("batch-size"), Replay: c.Int("replay"), TrainEvery: c.Int("train-every"), TargetEvery: c.Int("target-every"),
		EpsStart: c.Float64("eps-start"), EpsEnd: c.Float64("eps-end"), EpsDecay: c.Float64("eps-decay"),
		WarmSamples: c.Int("warm-samples"), WarmEpochs: c.Int("warm-epochs"), Workers: c.Int("workers"),
		Warm: c.String("warm-start"), Units: c.String("units"), Keep: c.String("keep"), KeepTest: c.String("keep-test"), Features: c.String("features"),
		Skip: c.String("skip"), Double: c.Bool("double"), Target: c.String("target"), Tau: c.Float64("tau"), LRDecay: c.Float64("lr-decay"), Anchor: c.Float64("anchor"),
		Improve: c.Int("improve"), ImproveEps: c.Float64("improve-eps"), ImproveRidge: c.Float64("improve-ridge"),
		CheckpointEvery: c.Int("checkpoint-every"), EvalEvery: c.Int("eval-every"), EvalEpisodes: c.Int("eval-episodes"),
		Select: selectConfig(c, c.Float64("gap"), time.Duration(c.Float64("mip-time-limit")*float64(time.Second))),
	}
	// Every flag has a non-zero default, so a zero here was typed: refuse
	// it rather than let WithDefaults replace it.
	zeroes := map[string]bool{"episodes": q.Episodes == 0, "horizon": q.Horizon == 0, "lr": q.LR == 0, "batch-size": q.Batch == 0,
		"replay": q.Replay == 0, "train-every": q.TrainEvery == 0, "target-every": q.TargetEvery == 0, "eps-decay": q.EpsDecay == 0,
		"warm-epochs": q.WarmEpochs == 0, "tau": q.Tau == 0, "lr-decay": q.LRDecay == 0, "improve-eps": q.ImproveEps == 0, "improve-ridge": q.ImproveRidge == 0, "workers": q.Workers == 0, "checkpoint-every": q.CheckpointEvery == 0,
		"eval-every": q.EvalEvery == 0, "eval-episodes": q.EvalEpisodes == 0}
	for _, f := range []string{"episodes", "horizon", "lr", "batch-size", "replay", "train-every", "target-every", "eps-decay", "warm-epochs", "tau", "lr-decay", "improve-eps", "improve-ridge", "workers", "checkpoint-every", "eval-every", "eval-episodes"} {
		if zeroes[f] {
			return trainBanditsConfig{}, usageErr("--%s 0: want a positive value", f)
		}
	}
	q = q.WithDefaults()
	if err := q.Validate(); err != nil {
		var ce *qmip.ConfigError
		if !errors.As(err, &ce) {
			return trainBanditsConfig{}, usageErr("%v", err)
		}
		field, _, _ := strings.Cut(ce.Field, "[")
		return trainBanditsConfig{}, usageErr("--%s %v: want %s", cmp.Or(qmipFlags[field], field), ce.Value, ce.Want)
	}
	return trainBanditsConfig{Agent: "sequoia", Config: q, GOMAXPROCS: runtime.GOMAXPROCS(0), Version: version}, nil
}

// dqnOnlyFlags are the flags policy iteration (--improve) has no use for:
// it takes no gradient steps, has no target network, explores at
// --improve-eps and evaluates at the end of each round. (--lr and
// --batch-size reach only the warm start's Adam fallback, whose rate
// --warm-lr sets.)
var dqnOnlyFlags = []string{"lr", "lr-decay", "batch-size", "train-every", "target-every", "target", "tau",
	"double", "anchor", "eps-start", "eps-end", "eps-decay", "eval-every"}

// checkImproveFlags refuses a flag given where it has no effect: DQN's
// under --improve, --improve's without it.
func checkImproveFlags(c *cli.Context) error {
	if c.Int("improve") == 0 {
		return refuseFlags(c, "goes with --improve N (N > 0)", "improve-eps", "improve-ridge")
	}
	return refuseFlags(c, "is DQN's: it has no effect under --improve", dqnOnlyFlags...)
}

// qmipFlags names each qmip.Config field's flag.
var qmipFlags = map[string]string{
	"Horizon": "horizon", "Episodes": "episodes", "Hidden": "hidden", "Gamma": "gamma", "LR": "lr", "WarmLR": "warm-lr",
	"Batch": "batch-size", "Replay": "replay", "TrainEvery": "train-every", "TargetEvery": "target-every",
	"EpsStart": "eps-start", "EpsEnd": "eps-end", "EpsDecay": "eps-decay", "WarmSamples": "warm-samples",
	"WarmEpochs": "warm-epochs", "Workers": "workers", "Warm": "warm-start", "Units": "units", "Keep": "keep", "KeepTest": "keep-test",
	"Features": "features", "Skip": "skip", "Double": "double", "Target": "target", "Tau": "tau", "LRDecay": "lr-decay",
	"Anchor": "anchor", "Improve": "improve", "ImproveEps": "improve-eps", "ImproveRidge": "improve-ridge", "CheckpointEvery": "checkpoint-every", "EvalEvery": "eval-every", "EvalEpisodes": "eval-episodes",
	"Select.Gap": "gap", "Select.TimeLimit": "mip-time-limit", "Select.Tighten": "tighten", "Select.Start": "mip-start",
}

func trainBanditsAction(c *cli.Context) error {
	cfg, err := trainBanditsConfigFromFlags(c)
	if err != nil {
		return err
	}
	var rec trainBanditsConfig
	dir, resumed, err := startRun(c, cfg, &rec, []string{"workers"}, "workers", "gomaxprocs", "corl_version")
	if err != nil {
		return err
	}
	if resumed {
		rec.Config.Workers = cfg.Config.Workers
		rec.Config = rec.Config.Recorded()
		cfg = rec
	}
	return runTrainBandits(c, dir, cfg)
}

func runTrainBandits(c *cli.Context, dir *train.Dir, cfg trainBanditsConfig) error {
	q := cfg.Config
	stderr := c.App.ErrWriter
	bar := progress.New(stderr, "train sequoia", int64(q.Episodes))
	sum, err := qmip.Train(c.Context, dir, q, func(p qmip.Progress) {
		bar.Describe(fmt.Sprintf("return %.3f eval %.3f eps %.2f", p.Return, p.Eval, p.Epsilon))
		bar.Set(int64(p.Episode))
	})
	bar.Finish()
	if e := interruptedRun(c.Context, dir.Path); e != nil {
		return e
	}
	if err != nil {
		return failedErr(err)
	}
	if err := drawTraining(dir); err != nil {
		return failedErr(err)
	}
	if err := writeBanditsSummary(dir, cfg, sum); err != nil {
		return failedErr(err)
	}
	work := fmt.Sprintf("%d updates", sum.Updates)
	if q.Improve > 0 {
		work = fmt.Sprintf("%d rounds of policy iteration", sum.Rounds)
	}
	fmt.Fprintf(c.App.Writer, "trained %d episodes (%s): greedy mean expected reward %.4f per step\n", sum.Episodes, work, sum.Eval)
	fmt.Fprintf(c.App.Writer, "policy: %s\nevaluate: corl eval bandits --family %s --arms %d --budget %d --seed %d --policies sequoia:%s,myopic,whittle\n",
		dir.Join("policy.safetensors"), q.Family, q.J, q.B, q.Seed, dir.Join("policy.safetensors"))
	return nil
}

func writeBanditsSummary(dir *train.Dir, cfg trainBanditsConfig, s qmip.Summary) error {
	q := cfg.Config
	var b strings.Builder
	fmt.Fprintf(&b, "# SEQUOIA on %s, J=%d, B=%d, seed %d\n\n", q.Family, q.J, q.B, q.Seed)
	fmt.Fprintf(&b, "- network: ReLU %v -> 1 over [action, state] (%s inputs, skip term %s), warm-started on the %s target, Q in %s units\n", q.Hidden, q.Features, q.Skip, q.Warm, q.Units)
	if q.Improve > 0 {
		fmt.Fprintf(&b, "- least-squares policy iteration: %d rounds, exploration %g, ridge %g per transition\n", q.Improve, q.ImproveEps, q.ImproveRidge)
	} else {
		fmt.Fprintf(&b, "- DQN: rate %g decayed by %g per episode, target network %s, double %v, anchor %g\n", q.LR, q.LRDecay, q.Target, q.Double, q.Anchor)
	}
	if q.Improve > 0 {
		fmt.Fprintf(&b, "- episodes: %d x %d steps, %d rounds of policy iteration, the last on %d transitions\n", s.Episodes, q.Horizon, s.Rounds, s.Steps)
	} else {
		fmt.Fprintf(&b, "- episodes: %d x %d steps, %d updates of %d transitions\n", s.Episodes, q.Horizon, s.Updates, q.Batch)
	}
	fmt.Fprintf(&b, "- greedy evaluation (%d episodes): mean expected reward %.4f per step\n", q.EvalEpisodes, s.Eval)
	if !math.IsNaN(s.Best) {
		fmt.Fprintf(&b, "- policy: the kept network (--keep best, --keep-test %s), whose evaluation scored %.4f per step\n", q.KeepTest, s.Best)
	}
	lookups := s.Solves + s.MemoHits
	saved := math.NaN()
	if lookups > 0 {
		saved = float64(s.MemoHits) / float64(lookups)
	}
	fmt.Fprintf(&b, "- target MIPs: %d solved, %d answered by the memo (%.0f%% of %d lookups saved), %.1f s solving (%.1f ms each)\n",
		s.Solves, s.MemoHits, 100*saved, lookups, s.SolveSeconds, 1000*s.SolveSeconds/math.Max(float64(s.Solves), 1))
	fmt.Fprintf(&b, "- wall time: %.1f s on %d cores (this invocation and those it resumed)\n", s.Seconds, cfg.GOMAXPROCS)
	fmt.Fprintf(&b, "\nCompare with the baselines on the same instance:\n\n    corl eval bandits --family %s --arms %d --budget %d --seed %d --policies sequoia:%s,null,random,sampling,myopic,iterative,whittle\n",
		q.Family, q.J, q.B, q.Seed, dir.Join("policy.safetensors"))
	return atomicfile.Write(dir.Join("summary.md"), []byte(b.String()))
}

// selectFlags are the SEQUOIA action-selection flags that corl train
// bandits and corl eval bandits share.
func selectFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "tighten", Value: qmip.TightenNone, Usage: "SEQUOIA's neuron bounds: none (propagated) or lp (also tightened by two LPs per undecided neuron)"},
		&cli.StringFlag{Name: "mip-start", Value: qmip.StartPrevious, Usage: "MIP start of each SEQUOIA action choice: previous (the choice before) or none"},
	}
}

// checkSelectFlags refuses unknown values of the selectFlags.
func checkSelectFlags(c *cli.Context) error {
	if v := c.String("tighten"); v != qmip.TightenNone && v != qmip.TightenLP {
		return usageErr("--tighten %q: want %s or %s", v, qmip.TightenNone, qmip.TightenLP)
	}
	if v := c.String("mip-start"); v != qmip.StartPrevious && v != qmip.StartNone {
		return usageErr("--mip-start %q: want %s or %s", v, qmip.StartPrevious, qmip.StartNone)
	}
	return nil
}

// selectConfig is the action selection the selectFlags ask for, with a
// gap and time limit (0: the defaults).
func selectConfig(c *cli.Context, gap float64, limit time.Duration) qmip.SelectConfig {
	return qmip.SelectConfig{Gap: gap, TimeLimit: limit, Tighten: c.String("tighten"), Start: c.String("mip-start")}
}
