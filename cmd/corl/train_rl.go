package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/corl-go/corl/agents/revibranch"
	"github.com/corl-go/corl/agents/train"
	"github.com/corl-go/corl/eval"
	"github.com/corl-go/corl/internal/progress"
)

// rlFlags are corl train milp's flags for --agent revibranch; their
// defaults are RLConfig's.
func rlFlags() []cli.Flag {
	d := revibranch.RLConfig{}.WithDefaults()
	return []cli.Flag{
		&cli.IntFlag{Name: "episodes", Value: 500, Usage: "revibranch: training episodes"},
		&cli.IntFlag{Name: "episodes-per-round", Value: d.EpisodesPerRound, Usage: "revibranch: episodes played in parallel by one network before its updates"},
		&cli.IntFlag{Name: "updates-per-round", Value: d.UpdatesPerRound, Usage: "revibranch: optimizer steps after each round's episodes"},
		&cli.IntFlag{Name: "paths-per-update", Value: d.Batch, Usage: "revibranch: revived paths in each optimizer step's batch"},
		&cli.Float64Flag{Name: "replay-mb", Value: d.ReplayMB, Usage: "revibranch: the replay buffer's memory budget in `MiB` (oldest paths evicted first)"},
		&cli.IntFlag{Name: "n-step", Value: d.NStep, Usage: "revibranch: bootstrap horizon along a path"},
		&cli.BoolFlag{Name: "monte-carlo", Usage: "revibranch: targets are the rest of the path's rewards (no bootstrap)"},
		&cli.Float64Flag{Name: "eps-start", Value: d.EpsStart, Usage: "revibranch: exploration rate at the start"},
		&cli.Float64Flag{Name: "eps-end", Value: d.EpsEnd, Usage: "revibranch: exploration rate after half the episodes"},
		&cli.StringFlag{Name: "loss", Value: d.Loss, Usage: "revibranch: msle (squared error of log tree sizes) or huber"},
		&cli.StringFlag{Name: "reward", Value: string(d.Reward), Usage: "revibranch: a decision's cost, from its subtree's nodes, LP iterations or both (`nodes|lpiters|both`)"},
		&cli.BoolFlag{Name: "no-history", Usage: "revibranch ablation: each decision alone, without the path before it"},
		&cli.BoolFlag{Name: "no-redistribution", Usage: "revibranch ablation: the terminal reward on the path's last step only"},
		&cli.BoolFlag{Name: "tree-mdp", Usage: "revibranch variant: plain tree-MDP DQN (no history, each decision's own subtree size)"},
		&cli.BoolFlag{Name: "no-cutoff", Usage: "revibranch: train without the instances' optimal values as cutoff: episodes search as evaluation does (heuristics on), under --episode-node-limit; the run's name ends in -no-cutoff"},
		&cli.Float64Flag{Name: "imitation", Usage: "revibranch: weight λ of a cross-entropy term towards the initial network's choices (DQfD's supervised term; 0: none)"},
		&cli.Float64Flag{Name: "imitation-decay", Value: d.ImitationDecay, Usage: "revibranch: λ decays linearly to 0 over this share of the episodes"},
		&cli.Float64Flag{Name: "candidate-lr", Usage: "revibranch: Adam's rate for the candidate part (encoder and head, the part --init sets; 0: --lr)"},
		&cli.StringFlag{Name: "keep", Value: d.Keep, Usage: "revibranch: the policy written: last, or best on --valid-instances greedy validation episodes (the initial network included)"},
		&cli.IntFlag{Name: "valid-instances", Value: 10, Usage: "revibranch --keep best: validation instances, generated apart from the training and held-out ones"},
		&cli.IntFlag{Name: "valid-every", Value: d.ValidEvery, Usage: "revibranch --keep best: rounds between validations"},
		&cli.BoolFlag{Name: "keep-candidates", Usage: "revibranch --keep best: also keep every validated network, as candidate-ROUND.safetensors in --out"},
		&cli.StringFlag{Name: "optima-cache", Value: revibranch.DefaultOptimaDir(), Usage: "revibranch: `DIR` caching the instances' optimal values (the cutoffs) by content, shared by runs and resumes (\"\": none)"},
	}
}

// rlConfigFromFlags fills cfg.RL and where the encoder starts.
func rlConfigFromFlags(c *cli.Context, cfg *trainMILPConfig) error {
	rl := revibranch.RLConfig{
		Episodes: c.Int("episodes"), EpisodesPerRound: c.Int("episodes-per-round"), UpdatesPerRound: c.Int("updates-per-round"),
		Batch: c.Int("paths-per-update"), ReplayMB: c.Float64("replay-mb"), NStep: c.Int("n-step"), MonteCarlo: c.Bool("monte-carlo"),
		EpsStart: c.Float64("eps-start"), EpsEnd: c.Float64("eps-end"), Loss: c.String("loss"), LR: c.Float64("lr"),
		TreeMDP: c.Bool("tree-mdp"), EpisodeNodeLimit: c.Int64("episode-node-limit"), NoCutoff: c.Bool("no-cutoff"), Seed: c.Uint64("seed"),
		Q: revibranch.QConfig{NoHistory: c.Bool("no-history")}, Reward: revibranch.Reward(c.String("reward")),
		Imitation: c.Float64("imitation"), ImitationDecay: c.Float64("imitation-decay"), CandidateLR: c.Float64("candidate-lr"),
		Keep: c.String("keep"), ValidEvery: c.Int("valid-every"), KeepCandidates: c.Bool("keep-candidates"),
	}
	if c.Bool("no-redistribution") {
		rl.Redistribution = revibranch.RedistributeNone
	}
	switch {
	case rl.Episodes < 1:
		return usageErr("--episodes must be at least 1, got %d", rl.Episodes)
	case rl.EpisodesPerRound < 1 || rl.UpdatesPerRound < 0 || rl.Batch < 1:
		return usageErr("--episodes-per-round and --paths-per-update must be at least 1, --updates-per-round not negative")
	case !(rl.ReplayMB > 0) || math.IsInf(rl.ReplayMB, 0):
		return usageErr("--replay-mb must be a positive size, got %v", rl.ReplayMB)
	case rl.NStep < 1:
		return usageErr("--n-step must be at least 1, got %d", rl.NStep)
	case rl.Loss != "msle" && rl.Loss != "huber":
		return usageErr("--loss %q: want msle or huber", rl.Loss)
	case rl.Reward == "" || rl.Reward.Validate() != nil:
		return usageErr("--reward %q: want nodes, lpiters or both", string(rl.Reward))
	case rl.Imitation < 0 || math.IsInf(rl.Imitation, 0) || math.IsNaN(rl.Imitation):
		return usageErr("--imitation must be a weight >= 0, got %v", rl.Imitation)
	case !(rl.ImitationDecay > 0 && rl.ImitationDecay <= 1):
		return usageErr("--imitation-decay must be in (0,1], got %v", rl.ImitationDecay)
	case rl.CandidateLR < 0 || math.IsInf(rl.CandidateLR, 0) || math.IsNaN(rl.CandidateLR):
		return usageErr("--candidate-lr must be a rate >= 0, got %v", rl.CandidateLR)
	case rl.Keep != revibranch.KeepLast && rl.Keep != revibranch.KeepBest:
		return usageErr("--keep %q: want last or best", rl.Keep)
	case rl.ValidEvery < 1:
		return usageErr("--valid-every must be at least 1, got %d", rl.ValidEvery)
	case rl.Keep == revibranch.KeepBest && c.Int("valid-instances") < 1:
		return usageErr("--keep best needs --valid-instances of at least 1, got %d", c.Int("valid-instances"))
	case rl.Keep == revibranch.KeepBest && c.Int("instances") > validFirst:
		return usageErr("--keep best: --instances %d would overlap the validation instances, generated at indices from %d", c.Int("instances"), validFirst)
	case rl.Keep == revibranch.KeepBest && c.Int("valid-instances") > heldOut-validFirst:
		return usageErr("--valid-instances %d would overlap the held-out instances: at most %d", c.Int("valid-instances"), heldOut-validFirst)
	case rl.TreeMDP && (c.Bool("no-history") || c.Bool("no-redistribution")):
		return usageErr("--tree-mdp is a variant of its own: give it without --no-history or --no-redistribution")
	}
	// Flags that would be accepted without effect.
	for _, f := range []struct {
		name, want string
		idle       bool
	}{
		{"valid-instances", "--keep best", rl.Keep != revibranch.KeepBest},
		{"valid-every", "--keep best", rl.Keep != revibranch.KeepBest},
		{"keep-candidates", "--keep best", rl.Keep != revibranch.KeepBest},
		{"imitation-decay", "--imitation above 0", rl.Imitation == 0},
		{"optima-cache", "the cutoffs, which --no-cutoff turns off", rl.NoCutoff},
	} {
		if f.idle && c.IsSet(f.name) {
			return usageErr("--%s has no effect without %s", f.name, f.want)
		}
	}
	// Where the encoder starts, and so the network's sizes, decided now
	// so that the record says it and a resume builds the same network.
	shipped, err := revibranch.DefaultPolicy()
	if err != nil {
		return failedErr(err)
	}
	switch {
	case cfg.Init != "":
		cfg.InitFrom = cfg.Init
		p, err := revibranch.LoadPolicy(cfg.Init, nil)
		if err != nil {
			return inputErr(err)
		}
		rl.Q.Policy = p.Config
	case c.IsSet("dim") && c.Int("dim") != shipped.Config.Dim:
		cfg.InitFrom = "scratch"
		rl.Q.Policy = revibranch.DefaultPolicyConfig(c.Int("dim"))
	default:
		cfg.InitFrom = "shipped"
		rl.Q.Policy = shipped.Config
	}
	if rl.Imitation > 0 && cfg.InitFrom == "scratch" {
		return usageErr("--imitation follows the initial policy's choices: it needs --init or the shipped policy, not a network from scratch (--dim %d)", c.Int("dim"))
	}
	if err := rl.Validate(); err != nil {
		return usageErr("%v", err)
	}
	if rl.Keep == revibranch.KeepBest {
		cfg.ValidInstances = c.Int("valid-instances")
	}
	cfg.RL = &rl
	return nil
}

// rlInit loads the policy the Q-network's encoder starts from (nil: scratch).
func rlInit(cfg trainMILPConfig) (*revibranch.Policy, error) {
	switch cfg.InitFrom {
	case "scratch":
		return nil, nil
	case "shipped":
		p, err := revibranch.DefaultPolicy()
		if err != nil {
			return nil, failedErr(err)
		}
		return p, nil
	}
	p, err := revibranch.LoadPolicy(cfg.InitFrom, nil)
	if err != nil {
		return nil, inputErr(err)
	}
	return p, nil
}

// runTrainRL runs (or resumes) a reinforcement-learning run: training,
// plots, the held-out evaluation and the summary.
func runTrainRL(ctx context.Context, dir *train.Dir, cfg trainMILPConfig, in trainInputs, stdout, stderr io.Writer) error {
	rl := *cfg.RL
	variant := rl.Variant()
	switch {
	case dir.HasCheckpoint():
		fmt.Fprintf(stderr, "%s: resuming from the run's last checkpoint\n", variant)
	case in.init == nil:
		fmt.Fprintf(stderr, "%s: the Q-network's encoder starts from scratch\n", variant)
	default:
		fmt.Fprintf(stderr, "%s: the Q-network starts at the play of %s (its encoder and, negated, its logit layers; embedding size %d)\n", variant, cfg.InitFrom, in.init.Config.Dim)
	}
	bar := progress.New(stderr, variant+" episodes", int64(rl.Episodes))
	res, err := revibranch.TrainRL(ctx, rl, revibranch.RLEnv{
		Instances: in.instances, NewEngine: engineMaker(cfg.Engine), Workers: cfg.Workers, Init: in.init, Search: cfg.search(0),
		Optima: &revibranch.Optima{Dir: cfg.OptimaCache, Warn: func(err error) {
			fmt.Fprintf(stderr, "warning: --optima-cache: %v; the optimal values are solved without it (--optima-cache \"\" turns it off)\n", err)
		}}, Valid: in.valid,
		Progress: func(p revibranch.RLProgress) {
			bar.Set(int64(p.Episode))
			bar.Describe(rlProgressLine(p))
		},
	}, dir)
	bar.Finish()
	if err != nil {
		if e := interruptedRun(ctx, dir.Path); e != nil {
			return e
		}
		return failedErr(err)
	}
	policyPath := dir.Join(revibranch.PolicyFile)
	fmt.Fprintf(stdout, "%s: %d episodes in %d rounds, %d updates; %d paths in the replay buffer\n", variant, res.Episodes, res.Rounds, res.Updates, res.ReplayPaths)
	fmt.Fprintf(stdout, "policy: %s (use it as --branching revibranch:%s)\n", policyPath, policyPath)
	if err := drawTraining(dir); err != nil {
		return failedErr(err)
	}
	var table []eval.MILPRow
	if cfg.EvalInstances > 0 {
		if table, err = trainEval(ctx, dir, cfg, "revibranch:"+policyPath, variant, stdout, stderr); err != nil {
			return err
		}
	}
	return writeRLSummary(dir, cfg, res, table)
}

// rlProgressLine describes a round: its episodes, its updates'
// diagnostics and the validation before it, where there are some.
func rlProgressLine(p revibranch.RLProgress) string {
	var b strings.Builder
	fmt.Fprintf(&b, "nodes %.0f, loss %s, eps %.2f, replay %d paths; Q gap %s, residual %s", p.Nodes, orDash(p.Loss), p.Epsilon, p.ReplayPaths, orDash(p.Gap), orDash(p.Residual))
	if !math.IsNaN(p.Agree) {
		fmt.Fprintf(&b, ", agrees with init %.0f%%", 100*p.Agree)
	}
	if !math.IsNaN(p.Valid) {
		fmt.Fprintf(&b, ", validation %.3f", p.Valid)
	}
	return b.String()
}

// orDash formats x with 3 significant digits, "–" when it is NaN (a
// mean over nothing).
func orDash(x float64) string {
	if math.IsNaN(x) {
		return "–"
	}
	return fmt.Sprintf("%.3g", x)
}

func writeRLSummary(dir *train.Dir, cfg trainMILPConfig, res revibranch.RLResult, table []eval.MILPRow) error {
	rl := cfg.RL.WithDefaults()
	var b strings.Builder
	fmt.Fprintf(&b, "# corl train milp --agent revibranch: %s\n\n", dir.Path)
	summaryInstances(&b, cfg)
	target := fmt.Sprintf("%d-step double-Q targets", rl.NStep)
	if rl.MonteCarlo {
		target = "Monte-Carlo targets"
	}
	fmt.Fprintf(&b, "## Training\n\nVariant %s: path history %v, reward %s, redistribution %s, %s, loss %s; encoder from %s.\n"+
		"%d episodes in %d rounds (%d per round, epsilon %.2f to %.2f), %d updates of %d paths, rate %g; replay budget %g MiB, %d paths held at the end; %.0f s.\n"+
		"Q-network: `%s` (use it as `--branching revibranch:%s`). Curves: `plots/`, trace: `trace/train.parquet`.\n\n",
		rl.Variant(), !rl.Q.NoHistory, rl.Reward, rl.Redistribution, target, rl.Loss, cfg.InitFrom,
		res.Episodes, res.Rounds, rl.EpisodesPerRound, rl.EpsStart, rl.EpsEnd, res.Updates, rl.Batch, rl.LR, rl.ReplayMB, res.ReplayPaths, res.Seconds,
		revibranch.PolicyFile, dir.Join(revibranch.PolicyFile))
	b.WriteString(heldLine(rl, cfg.ValidInstances))
	return writeSummaryEval(dir, &b, cfg, table)
}

// heldLine is the summary's line on the options that held the run near
// its start (rl with its defaults).
func heldLine(rl revibranch.RLConfig, validInstances int) string {
	var held []string
	if rl.Imitation > 0 {
		held = append(held, fmt.Sprintf("imitation term λ %g (decaying over %g of the episodes)", rl.Imitation, rl.ImitationDecay))
	}
	if rl.CandidateLR != rl.LR {
		held = append(held, fmt.Sprintf("candidate-part rate %g", rl.CandidateLR))
	}
	if rl.Keep == revibranch.KeepBest {
		held = append(held, fmt.Sprintf("keep best (of %d validation instances, every %d rounds; validation scores in the trace's valid rows)", validInstances, rl.ValidEvery))
	}
	if len(held) == 0 {
		held = append(held, "nothing (no imitation term, one rate, the last network kept)")
	}
	return fmt.Sprintf("Held near the start by: %s.\n\n", strings.Join(held, ", "))
}
