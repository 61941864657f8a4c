package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/corl-go/corl/agents/muzero"
	"github.com/corl-go/corl/agents/train"
	"github.com/corl-go/corl/datasets"
	"github.com/corl-go/corl/envs/malloc"
	"github.com/corl-go/corl/internal/atomicfile"
	"github.com/corl-go/corl/internal/progress"
	"github.com/corl-go/corl/nn"
)

// mallocPolicyFile is the trained network a malloc run leaves.
const mallocPolicyFile = "policy.safetensors"

func trainMallocCommand() *cli.Command {
	return &cli.Command{
		Name:  "malloc",
		Usage: "learn to map buffers to fast memory by self-play (MuZero / Gumbel MuZero)",
		Description: "With --agent muzero, in one run directory --out, for --steps optimizer steps:\n" +
			"  1. self-play: --games games at a time, each move chosen by a search (--search gumbel or puct,\n" +
			"     --simulations per move) over the learned dynamics (--model learned) or the game itself\n" +
			"     (--model true); games come from --instances synthetic workloads of --ops operations\n" +
			"     (or the CSVs of --set), fast memory at --capacity-fraction of the peak live size,\n" +
			"  2. replay: the last --replay games; value targets by --value-target (n-step: --td-steps),\n" +
			"     policy targets from the search, mixed with the best known episode's move by --expert-weight,\n" +
			"  3. learning: --steps-per-iteration steps on --batch-size positions, unrolled --unroll moves,\n" +
			"  4. a checkpoint after every iteration; policy.safetensors, the trace, plots and summary.md\n" +
			"     at the end.\n\n" +
			"Ctrl-C or a kill leaves the last checkpoint; --resume continues to the same weights.\n" +
			"Evaluate with: corl eval malloc --set DIR --policies muzero:OUT/policy.safetensors,xla\n\n" +
			"Example:\n  corl train malloc --agent muzero --search gumbel --simulations 16 --steps 400 --seed 1 --out runs/mz",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "agent", Value: "muzero", Usage: "muzero"},
			&cli.StringFlag{Name: "out", Usage: "run `DIR` (required)", Required: true},
			&cli.BoolFlag{Name: "resume", Usage: "continue the run in --out (its recorded settings apply)"},
			&cli.StringFlag{Name: "search", Value: "gumbel", Usage: "gumbel or puct"},
			&cli.IntFlag{Name: "simulations", Value: 16, Usage: "simulations per move"},
			&cli.StringFlag{Name: "model", Value: "learned", Usage: "learned (MuZero) or true (plan with the game itself)"},
			&cli.IntFlag{Name: "steps", Value: 200, Usage: "optimizer steps in all"},
			&cli.IntFlag{Name: "games", Value: 8, Usage: "self-play games per iteration, searched as one batch"},
			&cli.IntFlag{Name: "steps-per-iteration", Value: 20, Usage: "optimizer steps per iteration"},
			&cli.IntFlag{Name: "batch-size", Value: 32, Usage: "positions per optimizer step"},
			&cli.IntFlag{Name: "unroll", Value: 5, Usage: "moves unrolled through the dynamics (learned with either model)"},
			&cli.IntFlag{Name: "td-steps", Value: 10, Usage: "n of the n-step value targets"},
			&cli.IntFlag{Name: "replay", Value: 256, Usage: "games kept in the replay buffer"},
			&cli.Float64Flag{Name: "lr", Value: 1e-3, Usage: "Adam's learning rate"},
			&cli.Float64Flag{Name: "rollout-weight", Usage: "with --model true, the weight in [0, 1] of best-fit rollouts in the search's leaf values next to the network's"},
			&cli.StringFlag{Name: "value-target", Value: muzero.ValuesNStep, Usage: "the value targets: nstep (--td-steps rewards, then the search's value), return (the game's return to its end) or best (the better of that and the best complete episode the true model's searches knew from the position)"},
			&cli.Float64Flag{Name: "expert-weight", Usage: "with --model true and --rollout-weight > 0, the weight in [0, 1] of the best known episode's next move in the policy targets, next to the search's policy"},
			&cli.Float64Flag{Name: "reanalyse", Usage: "fraction of each batch's positions re-searched with the latest network (learned model)"},
			&cli.IntFlag{Name: "latent", Value: 64, Usage: "latent state size"},
			&cli.IntFlag{Name: "hidden", Value: 128, Usage: "hidden layer width"},
			&cli.StringFlag{Name: "policy-head", Value: muzero.HeadLinear, Usage: "linear (a logit per action index) or candidates (one shared scorer of each candidate offset's features)"},
			&cli.StringFlag{Name: "offsets", Value: "tops", Usage: "the game's canonical offsets: tops (0 and the tops of placed buffers, XLA's) or edges (also under placed buffers and at the top of memory)"},
			&cli.BoolFlag{Name: "action-features", Usage: "give the dynamics the features of the candidate offset an action places (where the state's observation is known: the search's root), so its reward and next state need not be guessed from the action's index"},
			&cli.StringFlag{Name: "baseline", Value: muzero.BaselineNone, Usage: "none, or bestfit: the value and reward heads learn values relative to the return of finishing by best fit (V(s) - B(s); r + B(s') - B(s), 0 for best fit's move), so they learn the small differences among moves"},
			&cli.IntFlag{Name: "counterfactual", Usage: "with --baseline bestfit, how many other legal moves than the one played each position's root also learns the exact reward of (the moves played are those the search liked: a move rarely played learns its reward only where it was good)"},
			&cli.StringFlag{Name: "set", Usage: "train on the allocation CSVs of `DIR` instead of synthetic workloads"},
			&cli.IntFlag{Name: "instances", Value: 32, Usage: "synthetic workloads to generate"},
			&cli.IntFlag{Name: "ops", Value: 24, Usage: "operations per synthetic workload (buffers, with --workload intervals)"},
			&cli.StringFlag{Name: "workload", Value: datasets.WorkloadProgram, Usage: "the synthetic workloads' kind: program (ops in schedule order, each tensor used by one to three later ops) or intervals (independent buffers of two uses each, sizes and lifetimes shaped like MiniMalloc's benchmarks')"},
			&cli.Float64Flag{Name: "capacity-fraction", Value: 0.5, Usage: "fast memory as a fraction of the peak live size, in (0, 1]"},
			&cli.Float64Flag{Name: "capacity-mix", Usage: "if set, a second fraction in (0, 1]: every other training instance (the odd-numbered ones) gets fast memory at it instead of --capacity-fraction, so one network learns both"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed of everything random in the run"},
		},
		Action: trainMallocAction,
	}
}

// trainMallocConfig is a malloc run's config.json.
type trainMallocConfig struct {
	Agent            string             `json:"agent"`
	Set              string             `json:"set,omitempty"`
	Instances        int                `json:"instances,omitempty"`
	Ops              int                `json:"ops,omitempty"`
	Workload         string             `json:"workload,omitempty"` // empty: program
	CapacityFraction float64            `json:"capacity_fraction"`
	CapacityMix      float64            `json:"capacity_mix,omitempty"`
	Train            muzero.TrainConfig `json:"train"`
	Seed             uint64             `json:"seed"`
	GOMAXPROCS       int                `json:"gomaxprocs"`
	Version          string             `json:"corl_version"`
}

func trainMallocConfigFromFlags(c *cli.Context) (trainMallocConfig, error) {
	cfg := trainMallocConfig{Agent: c.String("agent"), CapacityFraction: c.Float64("capacity-fraction"), CapacityMix: c.Float64("capacity-mix"), Seed: c.Uint64("seed"),
		GOMAXPROCS: runtime.GOMAXPROCS(0), Version: version,
		Train: muzero.TrainConfig{
			Search: muzero.SearchConfig{Algorithm: muzero.Algorithm(c.String("search")), Simulations: c.Int("simulations")},
			Net:    muzero.NetConfig{Latent: c.Int("latent"), Hidden: c.Int("hidden"), Head: c.String("policy-head"), Baseline: c.String("baseline"), ActionFeatures: c.Bool("action-features")},
			Model:  c.String("model"), Offsets: trainOffsets(c.String("offsets")), Steps: c.Int("steps"), Games: c.Int("games"), StepsPerIt: c.Int("steps-per-iteration"),
			Batch: c.Int("batch-size"), Unroll: c.Int("unroll"), TDSteps: c.Int("td-steps"), Replay: c.Int("replay"),
			LR: c.Float64("lr"), Reanalyse: c.Float64("reanalyse"), Rollout: c.Float64("rollout-weight"),
			Values: c.String("value-target"), Expert: c.Float64("expert-weight"), Counterfactual: c.Int("counterfactual"), Seed: c.Uint64("seed")}}
	if cfg.Train.Net.Baseline == muzero.BaselineNone { // recorded as before the option existed
		cfg.Train.Net.Baseline = ""
	}
	if cfg.Agent != "muzero" {
		return cfg, usageErr("--agent %q: want muzero", cfg.Agent)
	}
	if set := c.String("set"); set != "" {
		if c.IsSet("workload") {
			return cfg, usageErr("--workload is for synthetic workloads; --set trains on its files")
		}
		cfg.Set = set
	} else {
		cfg.Instances, cfg.Ops = c.Int("instances"), c.Int("ops")
		if cfg.Instances < 1 || cfg.Ops < 1 {
			return cfg, usageErr("--instances and --ops must be at least 1, got %d and %d", cfg.Instances, cfg.Ops)
		}
		switch w := c.String("workload"); w {
		case datasets.WorkloadProgram: // recorded as before the option existed
		case datasets.WorkloadIntervals:
			cfg.Workload = w
		default:
			return cfg, usageErr("--workload %q: want %s", w, strings.Join(datasets.WorkloadKinds, " or "))
		}
	}
	if !(cfg.CapacityFraction > 0 && cfg.CapacityFraction <= 1) {
		return cfg, usageErr("--capacity-fraction %v: want a fraction in (0, 1]", cfg.CapacityFraction)
	}
	if c.IsSet("capacity-mix") && !(cfg.CapacityMix > 0 && cfg.CapacityMix <= 1) {
		return cfg, usageErr("--capacity-mix %v: want a fraction in (0, 1]", cfg.CapacityMix)
	}
	for _, f := range []string{"simulations", "steps", "games", "steps-per-iteration", "batch-size", "unroll", "td-steps", "replay", "latent", "hidden"} {
		if c.Int(f) < 1 {
			return cfg, usageErr("--%s must be at least 1, got %d", f, c.Int(f))
		}
	}
	if !(cfg.Train.LR > 0) {
		return cfg, usageErr("--lr must be a positive number, got %v", cfg.Train.LR)
	}
	if err := cfg.Train.Validate(); err != nil {
		var ce *muzero.ConfigError
		if errors.As(err, &ce) {
			flag := map[string]string{"Algorithm": "--search", "model": "--model", "Model": "--model", "Rollout": "--rollout-weight", "Reanalyse": "--reanalyse", "NetConfig.Head": "--policy-head", "NetConfig.Baseline": "--baseline", "Counterfactual": "--counterfactual",
				"Values": "--value-target", "Expert": "--expert-weight", "Offsets": "--offsets"}[ce.Field]
			if flag != "" {
				return cfg, usageErr("%s %v: want %s", flag, ce.Value, ce.Want)
			}
		}
		return cfg, usageErr("%v", err)
	}
	return cfg, nil
}

// trainOffsets is --offsets as config.json records it: tops, the game's
// default, as the empty name, so runs from before the flag resume.
func trainOffsets(v string) string {
	if v == "tops" {
		return ""
	}
	return v
}

// mallocTrainInstances generates or reads a run's training instances.
func mallocTrainInstances(cfg trainMallocConfig) ([]*malloc.Instance, error) {
	if cfg.Set == "" {
		insts, err := muzero.WorkloadInstances(cfg.Workload, cfg.Seed, cfg.Instances, cfg.Ops, cfg.CapacityFraction, cfg.CapacityMix)
		if err != nil {
			return nil, usageErr("%v", err)
		}
		return insts, nil
	}
	files, err := datasets.AllocationFiles(cfg.Set)
	if err != nil {
		return nil, inputErr(err)
	}
	insts := make([]*malloc.Instance, len(files))
	for k, f := range files {
		frac := muzero.MixedFraction(k, cfg.CapacityFraction, cfg.CapacityMix)
		if insts[k], err = datasets.ReadAllocationCSV(f, frac, malloc.DefaultModel); err != nil {
			return nil, inputErr(err)
		}
	}
	return insts, nil
}

func trainMallocAction(c *cli.Context) error {
	cfg, err := trainMallocConfigFromFlags(c)
	if err != nil {
		return err
	}
	var insts []*malloc.Instance
	if !c.Bool("resume") { // read before the run directory is made, so a bad set costs nothing
		if insts, err = mallocTrainInstances(cfg); err != nil {
			return err
		}
	}
	var rec trainMallocConfig
	dir, resumed, err := startRun(c, cfg, &rec, nil, "gomaxprocs", "corl_version")
	if err != nil {
		return err
	}
	if !resumed {
		return runTrainMalloc(c.Context, dir, cfg, insts, c.App.Writer, c.App.ErrWriter)
	}
	if n := runtime.GOMAXPROCS(0); rec.GOMAXPROCS != 0 && n != rec.GOMAXPROCS {
		fmt.Fprintf(c.App.ErrWriter, "warning: the run trained on %d cores and resumes on %d: its sums round differently from here on (GOMAXPROCS=%d restores them)\n",
			rec.GOMAXPROCS, n, rec.GOMAXPROCS)
	}
	if insts, err = mallocTrainInstances(rec); err != nil {
		return err
	}
	return runTrainMalloc(c.Context, dir, rec, insts, c.App.Writer, c.App.ErrWriter)
}

func runTrainMalloc(ctx context.Context, dir *train.Dir, cfg trainMallocConfig, insts []*malloc.Instance, stdout, stderr io.Writer) error {
	tr, err := muzero.NewTrainer(cfg.Train, insts)
	if err != nil {
		return usageErr("%v", err)
	}
	bar := progress.New(stderr, "self-play and learn", int64(tr.Iterations()))
	var last muzero.Iteration
	err = tr.Run(ctx, dir, func(it muzero.Iteration) {
		last = it
		bar.Set(int64(it.Iteration))
		bar.Describe(fmt.Sprintf("return %.4f loss %.3f", it.Return, it.Loss))
	})
	bar.Finish()
	if err != nil {
		if e := interruptedRun(ctx, dir.Path); e != nil {
			return e
		}
		return failedErr(err)
	}
	net := tr.Network()
	if err := nn.Save(dir.Join(mallocPolicyFile), net.Params(), muzero.Arch, net.Config); err != nil {
		return failedErr(err)
	}
	if err := drawTraining(dir); err != nil {
		return failedErr(err)
	}
	// The checkpoint records its game; the flag says so where one reads
	// the command.
	game, evalFlags := "", ""
	if o := cfg.Train.Offsets; o != "" {
		game, evalFlags = fmt.Sprintf(", %s offsets (`--offsets %s`)", o, o), " --offsets "+o
	}
	fmt.Fprintf(stdout, "trained %d steps on %d instances: last self-play return %.4f, loss %.4f\npolicy: %s\nevaluate: corl eval malloc --set DIR --policies muzero:%s%s\n",
		last.Step, len(insts), last.Return, last.Loss, dir.Join(mallocPolicyFile), dir.Join(mallocPolicyFile), evalFlags)
	var b strings.Builder
	fmt.Fprintf(&b, "# corl train malloc: %s\n\n", dir.Path)
	if cfg.Set != "" {
		fmt.Fprintf(&b, "Instances: the allocation CSVs of %s", cfg.Set)
	} else {
		w := cfg.Workload
		if w == "" {
			w = datasets.WorkloadProgram
		}
		unit := "operations"
		if w == datasets.WorkloadIntervals {
			unit = "buffers"
		}
		fmt.Fprintf(&b, "Instances: %d synthetic workloads (%s) of %d %s, seed %d", cfg.Instances, w, cfg.Ops, unit, cfg.Seed)
	}
	if cfg.CapacityMix > 0 {
		fmt.Fprintf(&b, ", capacity %g of the peak live size (%g on the odd-numbered ones)", cfg.CapacityFraction, cfg.CapacityMix)
	}
	t := tr.Config()
	values := t.Values
	if values == muzero.ValuesNStep {
		values = fmt.Sprintf("%d-step", t.TDSteps)
	}
	if cfg.CapacityMix == 0 {
		fmt.Fprintf(&b, ", capacity %g of the peak live size", cfg.CapacityFraction)
	}
	fmt.Fprintf(&b, ".\n\nSearch: %s, %d simulations, %s model%s. %d optimizer steps, batch %d, unroll %d, %s value targets, expert weight %g.\n\n",
		t.Search.Algorithm, t.Search.Simulations, t.Model, game, t.Steps, t.Batch, t.Unroll, values, t.Expert)
	fmt.Fprintf(&b, "Last iteration: self-play return %.4f (fraction of the total benefit), loss %.4f.\n\n", last.Return, last.Loss)
	fmt.Fprintf(&b, "Policy: `%s` (evaluate it as `--policies muzero:%s%s`). Curves: `plots/`, trace: `trace/train.parquet`.\n",
		mallocPolicyFile, dir.Join(mallocPolicyFile), evalFlags)
	if err := atomicfile.Write(dir.Join("summary.md"), []byte(b.String())); err != nil {
		return failedErr(err)
	}
	return nil
}
