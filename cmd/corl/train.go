package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/corl-go/corl/agents/revibranch"
	"github.com/corl-go/corl/agents/train"
	"github.com/corl-go/corl/datasets"
	"github.com/corl-go/corl/eval"
	"github.com/corl-go/corl/internal/atomicfile"
	"github.com/corl-go/corl/internal/evalcli"
	"github.com/corl-go/corl/internal/progress"
	"github.com/corl-go/corl/solver"
	"github.com/corl-go/corl/solver/bnb"
	"github.com/corl-go/corl/solver/highs"
	"github.com/corl-go/corl/trace"
	"github.com/corl-go/corl/trace/plot"
)

func trainCommand() *cli.Command {
	return &cli.Command{
		Name:        "train",
		Usage:       "train an agent; each run lives in its own directory and resumes after any interruption",
		Subcommands: []*cli.Command{trainMILPCommand(), trainBanditsCommand(), trainMallocCommand()},
	}
}

func trainMILPCommand() *cli.Command {
	return &cli.Command{
		Name:  "milp",
		Usage: "learn a branching policy for corl's branch-and-bound",
		Description: "With --agent il (imitation learning, Gasse et al. 2019), in one run directory --out:\n" +
			"  1. generates --instances training instances of --family (or reads --set DIR),\n" +
			"  2. collects --samples expert decisions: branch-and-bound episodes branch by pseudocost,\n" +
			"     and at each node, with probability --expert-prob, full strong branching is queried,\n" +
			"     branches, and its choice is recorded with the node's bipartite-graph observation,\n" +
			"  3. trains the GCNN (masked cross-entropy over the candidates, Adam, rate decay on a\n" +
			"     validation plateau, early stopping), keeping the best policy on the validation split,\n" +
			"  4. evaluates it against --eval-branching rules (and HiGHS) on --eval-instances held-out\n" +
			"     instances generated with other seeds,\n" +
			"  5. writes policy.safetensors, traces, plots and summary.md.\n\n" +
			"Collection dominates the cost: full strong branching labels about one sample per core-second\n" +
			"on 250x500 set covers (0.5 s each) and fewer on larger instances; summary.md reports it.\n\n" +
			"Ctrl-C stops at the next safe point; --resume continues the run in --out where it stopped\n" +
			"(finished sample shards are kept; training resumes from its last checkpoint and ends with\n" +
			"the same weights as an uninterrupted run). The policy then branches anywhere a rule does:\n" +
			"  corl solve --bnb --branching gnn:DIR/policy.safetensors model.mps\n\n" +
			"With --agent revibranch (reinforcement learning on revived paths), the run plays --episodes\n" +
			"branch-and-bound episodes with a Q-network in rounds of --episodes-per-round (on --workers),\n" +
			"splits each finished tree into its root-to-leaf paths, keeps them in a replay buffer of\n" +
			"--replay-mb MiB, and learns by double DQN with a target network on the paths' redistributed\n" +
			"rewards (log tree sizes). The network starts at the play of --init, else of the shipped\n" +
			"policy (when --dim is not set to another size), else from scratch; the run says which.\n" +
			"Ablations: --no-history (each decision alone), --no-redistribution (terminal reward only),\n" +
			"--tree-mdp (plain tree-MDP DQN). The result branches as revibranch:DIR/policy.safetensors.\n\n" +
			"Examples:\n" +
			"  corl train milp --agent il --family setcover --size easy --instances 100 --samples 10000 --seed 1 --out runs/sc\n" +
			"  corl train milp --agent revibranch --family knapsack --size easy --instances 50 --episodes 500 --seed 1 --out runs/ks",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "agent", Value: "il", Usage: "il (imitation of strong branching) or revibranch (reinforcement learning on revived paths)"},
			&cli.StringFlag{Name: "out", Usage: "run `DIR` (required)", Required: true},
			&cli.BoolFlag{Name: "resume", Usage: "continue the run in --out (its recorded settings apply)"},
			&cli.StringFlag{Name: "family", Value: "setcover", Usage: "instance family: " + strings.Join(datasets.FamilyNames(), ", ")},
			&cli.StringFlag{Name: "size", Value: "easy", Usage: "easy, medium or hard"},
			&cli.StringSliceFlag{Name: "param", Usage: "override a generator parameter, as `NAME=VALUE` (repeatable)"},
			&cli.IntFlag{Name: "instances", Value: 100, Usage: "training instances to generate"},
			&cli.StringFlag{Name: "set", Usage: "train on the MPS files of `DIR` instead of generated instances"},
			&cli.IntFlag{Name: "workers", Value: runtime.GOMAXPROCS(0), Usage: "collection episodes in parallel (the result does not depend on it)"},
			&cli.IntFlag{Name: "epochs", Value: 30, Usage: "training epochs at most"},
			&cli.IntFlag{Name: "batch-size", Value: 32, Usage: "samples per optimizer step"},
			&cli.Float64Flag{Name: "lr", Value: 1e-3, Usage: "Adam's learning rate"},
			&cli.IntFlag{Name: "dim", Value: 64, Usage: "GCNN embedding size"},
			&cli.IntFlag{Name: "patience", Value: 5, Usage: "epochs without a better validation loss before the rate is divided by 5"},
			&cli.IntFlag{Name: "early-stop", Value: 10, Usage: "epochs without a better validation loss before stopping"},
			&cli.StringFlag{Name: "init", Usage: "start from this policy `CHECKPOINT` instead of random weights"},
			&cli.IntFlag{Name: "eval-instances", Value: 20, Usage: "held-out instances to evaluate on (0: skip)"},
			&cli.StringFlag{Name: "eval-size", Usage: "size of the held-out instances (default: --size)"},
			&cli.StringFlag{Name: "eval-branching", Value: "pscost,relpscost", Usage: "rules to compare the policy with"},
			&cli.BoolFlag{Name: "eval-highs", Value: true, Usage: "also compare with HiGHS's own MIP solver (--eval-highs=false: do not)"},
			&cli.Float64Flag{Name: "eval-time-limit", Value: 60, Usage: "per evaluation run, in `SECONDS`"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed of everything random in the run"},
			&cli.StringFlag{Name: "cuts", Value: "on", Usage: "cutting planes of every search of the run (collection, episodes, validation and the held-out evaluation): on (at the root and at the nodes) or root (at the root only); the run's summary.md gives the eval milp flags of its search"},
			&cli.BoolFlag{Name: "aggcover", Value: true, Usage: "separate aggregated covers (the knapsack rows summed over set-packing groups) in every search of the run; --aggcover=false searches as runs before them did, which leaves multiple knapsacks their larger trees"},
			engineFlag(),
		}, append(evalcli.Collect(), rlFlags()...)...),
		Action: trainMILPAction,
	}
}

// trainMILPConfig is a run's config.json.
type trainMILPConfig struct {
	Agent            string                 `json:"agent"`
	Family           string                 `json:"family,omitempty"`
	Size             string                 `json:"size,omitempty"`
	Params           map[string]float64     `json:"params,omitempty"`
	Instances        int                    `json:"instances,omitempty"`
	Set              string                 `json:"set,omitempty"`
	Samples          int                    `json:"samples"`
	ExpertProb       float64                `json:"expert_prob"`
	SBIterLimit      int                    `json:"sb_iter_limit"`
	EpisodeNodeLimit int64                  `json:"episode_node_limit"`
	Train            revibranch.TrainConfig `json:"train"`
	Init             string                 `json:"init,omitempty"`
	// RL is the reinforcement-learning config (--agent revibranch), and
	// InitFrom where its encoder starts: a file, "shipped" or "scratch".
	RL       *revibranch.RLConfig `json:"rl,omitempty"`
	InitFrom string               `json:"init_from,omitempty"`
	// ValidInstances are generated for RL.Keep = best, at indices from
	// validFirst on.
	ValidInstances int      `json:"valid_instances,omitempty"`
	EvalInstances  int      `json:"eval_instances"`
	EvalSize       string   `json:"eval_size,omitempty"`
	EvalBranching  []string `json:"eval_branching,omitempty"`
	EvalHighs      bool     `json:"eval_highs"`
	EvalTimeLimit  float64  `json:"eval_time_limit"`
	Seed           uint64   `json:"seed"`
	Engine         string   `json:"engine,omitempty"`
	Workers        int      `json:"workers"`
	// GOMAXPROCS is the core count the run trained under: the CPU
	// backend's sums split by it, so a resume under another count
	// continues with other rounding.
	GOMAXPROCS int    `json:"gomaxprocs"`
	Version    string `json:"corl_version"`
	// CutNodes: the episodes' searches separate cuts at every node, the
	// search's default since it became one. A run recorded before (no
	// field) searched with root cuts only, and resumes so.
	CutNodes *bool `json:"cut_nodes,omitempty"`
	// OneOpt: the episodes' searches run one-opt on each new incumbent,
	// a default heuristic since it became one. A run recorded before (no
	// field) searched without it, and resumes so.
	OneOpt *bool `json:"oneopt,omitempty"`
	// GomoryNodes: the episodes' searches separate Gomory cuts at every
	// node. A run recorded before (no field) did wherever it cut at the
	// nodes, and resumes so; new runs cut Gomory at the root only.
	GomoryNodes *bool `json:"gomory_nodes,omitempty"`
	// Swap: the episodes' searches run the swap search on each new
	// incumbent and feasible rounding. A run recorded before (no field)
	// searched without it, and resumes so.
	Swap *bool `json:"swap,omitempty"`
	// AggCover: the episodes' searches separate aggregated covers
	// (bnb.Cuts.NoAggCover off). A run recorded before (no field)
	// searched without them, and resumes so.
	AggCover *bool `json:"aggcover,omitempty"`
	// OptimaCache is where --agent revibranch's cutoffs are cached; not
	// recorded: an entry is keyed by the HiGHS version and runtime that
	// solved it, so a cached value is the one this build would find.
	OptimaCache string `json:"-"`
}

// parseCutsFlag reads --cuts: whether the run's searches separate cuts at
// the nodes too (on) or at the root only (root). The run searches with
// every cut family, so lists and off are usage errors.
func parseCutsFlag(v string) (bool, error) {
	switch v {
	case "on":
		return true, nil
	case "root":
		return false, nil
	}
	return false, usageErr("--cuts %q: want on (cuts at the root and at the nodes) or root (at the root only)", v)
}

// cutsName is the --cuts value of a recorded CutNodes (nil: a run
// recorded before the field, which searched with root cuts only).
func cutsName(nodes *bool) string {
	if nodes != nil && *nodes {
		return "on"
	}
	return "root"
}

// resumeCuts refuses a --cuts given on resume (set) that is not the
// recorded run's; without the flag a run resumes with its own.
func resumeCuts(set bool, rec, cfg trainMILPConfig, dir string) error {
	if set && cutsName(rec.CutNodes) != cutsName(cfg.CutNodes) {
		return usageErr("--cuts %s: the run in %s searched with --cuts %s (resume with only --out and --resume, --workers, --optima-cache)", cutsName(cfg.CutNodes), dir, cutsName(rec.CutNodes))
	}
	return nil
}

// resumeAggCover refuses an --aggcover given on resume (set) that is not
// the recorded run's (a run recorded without the field searched without
// aggregated covers); without the flag a run resumes with its own.
func resumeAggCover(set bool, rec, cfg trainMILPConfig, dir string) error {
	was, want := rec.collectSearch().AggCover, cfg.collectSearch().AggCover
	if set && was != want {
		return usageErr("--aggcover=%v: the run in %s searched with --aggcover=%v (resume with only --out and --resume, --workers, --optima-cache)", want, dir, was)
	}
	return nil
}

// search is the branch-and-bound configuration of the run's episodes.
func (c trainMILPConfig) search(nodeLimit int64) bnb.Config {
	return c.collectSearch().Config(nodeLimit)
}

// collectSearch is the run's search as corl-beam collect milp records
// its own (a field the record lacks: as runs before it searched).
func (c trainMILPConfig) collectSearch() evalcli.CollectSearch {
	on := func(p *bool) bool { return p != nil && *p }
	s := evalcli.CollectSearch{CutNodes: on(c.CutNodes), OneOpt: on(c.OneOpt), Swap: on(c.Swap), AggCover: on(c.AggCover)}
	s.GomoryNodes = s.CutNodes
	if c.GomoryNodes != nil {
		s.GomoryNodes = *c.GomoryNodes
	}
	return s
}

// checkShardSearch refuses shards in dir that corl-beam collect milp
// collected under another search than the run's (its record,
// evalcli.CollectSearchFile, names it; shards without one are the run's
// own).
func checkShardSearch(dir string, cfg trainMILPConfig) error {
	path := filepath.Join(dir, evalcli.CollectSearchFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return inputErr(err)
	}
	var rec evalcli.CollectSearch
	if err := json.Unmarshal(b, &rec); err != nil {
		return inputErr(fmt.Errorf("%s: %w", path, err))
	}
	if want := cfg.collectSearch(); rec != want {
		return usageErr("%s: the shards there were collected with another search (%s) than this run's (%s); train with the search they record (--cuts, --aggcover), or collect into another --out",
			path, searchJSON(rec), searchJSON(want))
	}
	return nil
}

func searchJSON(s evalcli.CollectSearch) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func trainConfigFromFlags(c *cli.Context) (trainMILPConfig, error) {
	cfg := trainMILPConfig{
		Agent: c.String("agent"), Samples: c.Int("samples"), ExpertProb: c.Float64("expert-prob"),
		SBIterLimit: c.Int("sb-iter-limit"), EpisodeNodeLimit: c.Int64("episode-node-limit"),
		Train: revibranch.TrainConfig{Epochs: c.Int("epochs"), BatchSize: c.Int("batch-size"), LR: c.Float64("lr"),
			Dim: c.Int("dim"), Patience: c.Int("patience"), EarlyStop: c.Int("early-stop"), Seed: c.Uint64("seed")},
		Init: c.String("init"), EvalInstances: c.Int("eval-instances"), EvalSize: c.String("eval-size"),
		EvalBranching: splitList(c.String("eval-branching")), EvalHighs: c.Bool("eval-highs"),
		EvalTimeLimit: c.Float64("eval-time-limit"), Seed: c.Uint64("seed"), Engine: c.String("engine"),
		Workers: c.Int("workers"), GOMAXPROCS: runtime.GOMAXPROCS(0), Version: version,
		OneOpt: new(true), GomoryNodes: new(false), Swap: new(true), AggCover: new(c.Bool("aggcover")),
		OptimaCache: c.String("optima-cache"),
	}
	nodes, err := parseCutsFlag(c.String("cuts"))
	if err != nil {
		return cfg, err
	}
	cfg.CutNodes = &nodes
	switch cfg.Agent {
	case "il":
	case "revibranch":
		if err := rlConfigFromFlags(c, &cfg); err != nil {
			return cfg, err
		}
	default:
		return cfg, usageErr("--agent %q: want il or revibranch", cfg.Agent)
	}
	if set := c.String("set"); set != "" {
		cfg.Set = set
	} else {
		cfg.Family, cfg.Size, cfg.Instances = c.String("family"), c.String("size"), c.Int("instances")
		if _, err := datasets.Lookup(cfg.Family); err != nil {
			return cfg, usageErr("--family: %v", err)
		}
		p, err := parseParams(c.StringSlice("param"))
		if err != nil {
			return cfg, err
		}
		if len(p) > 0 {
			cfg.Params = p
		}
		if cfg.Instances < 1 {
			return cfg, usageErr("--instances must be at least 1, got %d", cfg.Instances)
		}
	}
	if cfg.EvalSize == "" {
		cfg.EvalSize = cfg.Size
	}
	for _, s := range []string{cfg.Size, cfg.EvalSize} {
		if s != "" && s != "easy" && s != "medium" && s != "hard" {
			return cfg, usageErr("--size/--eval-size %q: want easy, medium or hard", s)
		}
	}
	switch {
	case cfg.Samples < 2:
		return cfg, usageErr("--samples must be at least 2, got %d", cfg.Samples)
	case !(cfg.ExpertProb > 0 && cfg.ExpertProb <= 1):
		return cfg, usageErr("--expert-prob must be in (0,1], got %v", cfg.ExpertProb)
	case cfg.SBIterLimit < 0:
		return cfg, usageErr("--sb-iter-limit must not be negative, got %d", cfg.SBIterLimit)
	case cfg.EpisodeNodeLimit < 1:
		return cfg, usageErr("--episode-node-limit must be at least 1, got %d", cfg.EpisodeNodeLimit)
	case cfg.Workers < 1:
		return cfg, usageErr("--workers must be at least 1, got %d", cfg.Workers)
	case cfg.Train.Epochs < 1:
		return cfg, usageErr("--epochs must be at least 1, got %d", cfg.Train.Epochs)
	case cfg.Train.BatchSize < 1:
		return cfg, usageErr("--batch-size must be at least 1, got %d", cfg.Train.BatchSize)
	case !(cfg.Train.LR > 0) || math.IsInf(cfg.Train.LR, 0):
		return cfg, usageErr("--lr must be a positive number, got %v", cfg.Train.LR)
	case cfg.Train.Dim < 1 || cfg.Train.Dim > 1024:
		return cfg, usageErr("--dim must be in 1..1024, got %d", cfg.Train.Dim)
	case cfg.Train.Patience < 1 || cfg.Train.EarlyStop < 1:
		return cfg, usageErr("--patience and --early-stop must be at least 1")
	case cfg.EvalInstances < 0:
		return cfg, usageErr("--eval-instances must not be negative, got %d", cfg.EvalInstances)
	case !(cfg.EvalTimeLimit >= 0) || math.IsInf(cfg.EvalTimeLimit, 0):
		return cfg, usageErr("--eval-time-limit must not be negative, got %v", cfg.EvalTimeLimit)
	}
	if len(cfg.Params) > 0 && cfg.EvalSize != cfg.Size {
		return cfg, usageErr("--eval-size %s with --param: the overrides apply to the held-out instances too, so they would not be %s", cfg.EvalSize, cfg.EvalSize)
	}
	return cfg, checkTrainMILP(cfg)
}

// checkTrainMILP checks what a run needs before its directory is made,
// so that a mistake costs nothing: the rules to compare with, the
// generator and its parameters, the training config.
func checkTrainMILP(cfg trainMILPConfig) error {
	for _, r := range cfg.EvalBranching {
		if _, err := brancherFactory(r, cfg.Seed); err != nil {
			return err
		}
	}
	if cfg.Family != "" {
		if _, err := generateInstances(context.Background(), cfg.Family, cfg.Size, cfg.Params, cfg.Seed, 0, 1, io.Discard); err != nil {
			return err
		}
	}
	if err := cfg.Train.Validate(); err != nil {
		return usageErr("%v", err)
	}
	return nil
}

// trainInputs are a run's instances and initial policy, read before the
// run directory is made or resumed.
type trainInputs struct {
	instances, valid []revibranch.Instance
	init             *revibranch.Policy
}

// loadTrainInputs reads the instances, and the initial policy unless the
// run already has a checkpoint (which then holds the weights).
func loadTrainInputs(ctx context.Context, cfg trainMILPConfig, resumed bool, stderr io.Writer) (trainInputs, error) {
	var in trainInputs
	var err error
	if cfg.RL != nil && !resumed {
		if in.init, err = rlInit(cfg); err != nil {
			return in, err
		}
	} else if cfg.Init != "" && !resumed {
		if in.init, err = revibranch.LoadPolicy(cfg.Init, nil); err != nil {
			return in, inputErr(err)
		}
		if in.init.Config.Dim != cfg.Train.Dim {
			return in, usageErr("--init %s has embedding size %d; give --dim %d", cfg.Init, in.init.Config.Dim, in.init.Config.Dim)
		}
	}
	if in.instances, err = trainInstances(ctx, cfg, stderr); err != nil {
		return in, err
	}
	if cfg.ValidInstances > 0 {
		if cfg.Family == "" {
			return in, usageErr("--keep best validates on generated instances: give --family, not --set")
		}
		if in.valid, err = generateInstances(ctx, cfg.Family, cfg.Size, cfg.Params, cfg.Seed, validFirst, cfg.ValidInstances, stderr); err != nil {
			return in, err
		}
	}
	return in, nil
}

func trainMILPAction(c *cli.Context) error {
	cfg, err := trainConfigFromFlags(c)
	if err != nil {
		return err
	}
	var in trainInputs
	if !c.Bool("resume") { // inputs checked before the run directory exists
		if in, err = loadTrainInputs(c.Context, cfg, false, c.App.ErrWriter); err != nil {
			return err
		}
		if cfg.RL == nil {
			if err := checkShardSearch(filepath.Join(c.String("out"), "samples"), cfg); err != nil {
				return err
			}
		}
	}
	// On --resume only --out and --workers may be given, or the original
	// command line with --resume added: it must agree with the record.
	var rec trainMILPConfig
	dir, resumed, err := startRun(c, cfg, &rec, []string{"workers", "optima-cache"}, "workers", "gomaxprocs", "corl_version", "cut_nodes", "oneopt", "gomory_nodes", "swap", "aggcover")
	if err != nil {
		return err
	}
	if !resumed {
		return runTrainMILP(c.Context, dir, cfg, in, c.App.Writer, c.App.ErrWriter)
	}
	// cut_nodes is left out of the comparison so that a run recorded
	// without it resumes; a --cuts given must still be the run's.
	if err := resumeCuts(c.IsSet("cuts"), rec, cfg, dir.Path); err != nil {
		return err
	}
	if err := resumeAggCover(c.IsSet("aggcover"), rec, cfg, dir.Path); err != nil {
		return err
	}
	if rec.RL == nil {
		if err := checkShardSearch(dir.Join("samples"), rec); err != nil {
			return err
		}
	}
	return resumeTrainMILP(c.Context, dir, rec, cfg, c.IsSet("workers"), c.App.Writer, c.App.ErrWriter)
}

// resumeTrainMILP continues a recorded run; workers, when set, replaces
// the recorded worker count (it does not change the result).
func resumeTrainMILP(ctx context.Context, dir *train.Dir, rec, given trainMILPConfig, workers bool, stdout, stderr io.Writer) error {
	if workers {
		rec.Workers = given.Workers
	}
	rec.OptimaCache = given.OptimaCache
	if n := runtime.GOMAXPROCS(0); rec.GOMAXPROCS != 0 && n != rec.GOMAXPROCS {
		fmt.Fprintf(stderr, "warning: the run trained on %d cores and resumes on %d: its sums round differently from here on, so the weights will not be bit-identical to an uninterrupted run (GOMAXPROCS=%d restores them)\n",
			rec.GOMAXPROCS, n, rec.GOMAXPROCS)
	}
	in, err := loadTrainInputs(ctx, rec, dir.HasCheckpoint(), stderr)
	if err != nil {
		return err
	}
	return runTrainMILP(ctx, dir, rec, in, stdout, stderr)
}

// startRun makes the run directory --out for cfg or, with --resume, opens
// it and decodes its recorded settings into rec (a pointer). A resume
// that gives flags besides --out, --resume and the allowed ones must agree
// with the record, the ignored config fields aside.
func startRun(c *cli.Context, cfg, rec any, allowed []string, ignore ...string) (dir *train.Dir, resumed bool, err error) {
	out := c.String("out")
	if !c.Bool("resume") {
		if dir, err = train.Create(out, cfg); err != nil {
			if errors.Is(err, train.ErrRunExists) {
				return nil, false, usageErr("%v", err)
			}
			return nil, false, failedErr(err)
		}
		return dir, false, nil
	}
	if dir, err = train.Open(out, rec); err != nil {
		return nil, false, inputErr(err)
	}
	if err := train.SameConfig(reflect.ValueOf(rec).Elem().Interface(), cfg, ignore...); err != nil {
		if given := flagsGiven(c, append([]string{"resume", "out"}, allowed...)...); len(given) > 0 {
			return nil, false, usageErr("%v (resume with only --out and --resume%s)", err, flagList(allowed))
		}
	}
	return dir, true, nil
}

// flagList shows flags as ", --a, --b".
func flagList(flags []string) string {
	var b strings.Builder
	for _, f := range flags {
		b.WriteString(", --" + f)
	}
	return b.String()
}

// flagsGiven lists the flags set on the command line other than those allowed.
func flagsGiven(c *cli.Context, allowed ...string) []string {
	var out []string
	for _, f := range c.FlagNames() {
		if c.IsSet(f) && !slices.Contains(allowed, f) {
			out = append(out, f)
		}
	}
	return out
}

// interruptedRun is the interruption exit of a training run in dir.
func interruptedRun(ctx context.Context, dir string) error {
	return interrupted(ctx, "finished work is kept in %s: continue with --resume --out %s", dir, dir)
}

// runTrainMILP runs (or resumes) the phases of a run.
func runTrainMILP(ctx context.Context, dir *train.Dir, cfg trainMILPConfig, in trainInputs, stdout, stderr io.Writer) error {
	if cfg.RL != nil {
		return runTrainRL(ctx, dir, cfg, in, stdout, stderr)
	}
	insts := in.instances
	// 1. Collect (shards of corl-beam collect milp were checked by
	// trainMILPAction).
	bar := progress.New(stderr, "collect samples", int64(cfg.Samples))
	col, err := revibranch.Collect(ctx, revibranch.CollectConfig{
		Instances: insts, Samples: cfg.Samples, ExpertProb: cfg.ExpertProb, IterLimit: cfg.SBIterLimit,
		Workers: cfg.Workers, Seed: cfg.Seed, Dir: dir.Join("samples"),
		NewEngine: engineMaker(cfg.Engine), Search: cfg.search(cfg.EpisodeNodeLimit),
		Progress: func(n int) { bar.Set(int64(n)) },
	})
	bar.Finish()
	if err != nil {
		if e := interruptedRun(ctx, dir.Path); e != nil {
			return e
		}
		return failedErr(err)
	}
	samples, err := revibranch.LoadSamples(col.Shards, cfg.Samples)
	if err != nil {
		return failedErr(err)
	}
	// 2. Train.
	tp := &trainProgress{w: stderr}
	_, res, err := revibranch.Train(ctx, samples, cfg.Train, dir, in.init, tp)
	tp.bar.Finish()
	if err != nil {
		if e := interruptedRun(ctx, dir.Path); e != nil {
			return e
		}
		return failedErr(err)
	}
	policyPath := dir.Join(revibranch.BestPolicyFile)
	fmt.Fprintf(stdout, "trained on %d samples (%d held out): best validation epoch %d, loss %.4f, top-1 %.1f%%, top-5 %.1f%% (%s)\n",
		res.TrainCount, res.ValidCount, res.BestEpoch, res.ValidLoss, 100*res.ValidTop1, 100*res.ValidTop5, res.Stopped)
	fmt.Fprintf(stdout, "policy: %s\n", policyPath)
	if err := drawTraining(dir); err != nil {
		return failedErr(err)
	}
	// 3. Evaluate on held-out instances.
	var table []eval.MILPRow
	if cfg.EvalInstances > 0 {
		if table, err = trainEval(ctx, dir, cfg, "gnn:"+policyPath, "gnn", stdout, stderr); err != nil {
			return err
		}
	}
	return writeSummary(dir, cfg, col, res, table)
}

// trainInstances generates (or reads) the training instances.
func trainInstances(ctx context.Context, cfg trainMILPConfig, log io.Writer) ([]revibranch.Instance, error) {
	if cfg.Set != "" {
		files, err := datasets.InstanceFiles(cfg.Set)
		if err != nil {
			return nil, inputErr(err)
		}
		if len(files) == 0 {
			return nil, inputErr(fmt.Errorf("%s: no .mps or .mps.gz files", cfg.Set))
		}
		var out []revibranch.Instance
		for _, f := range files {
			m, err := solver.ReadMPSFile(f)
			if err != nil {
				return nil, inputErr(err)
			}
			out = append(out, revibranch.Instance{Name: filepath.Base(f), Model: m})
		}
		return out, nil
	}
	return generateInstances(ctx, cfg.Family, cfg.Size, cfg.Params, cfg.Seed, 0, cfg.Instances, log)
}

// generateInstances makes instances first..first+n-1 of a seeded family;
// an interrupt stops it between instances (they are regenerated, the
// same, on the next start).
func generateInstances(ctx context.Context, family, size string, params map[string]float64, seed uint64, first, n int, log io.Writer) ([]revibranch.Instance, error) {
	fam, err := datasets.Lookup(family)
	if err != nil {
		return nil, generateErr(err)
	}
	bar := progress.New(log, "generate "+family+" "+size, int64(n))
	defer bar.Finish()
	out := make([]revibranch.Instance, 0, n)
	for i := first; i < first+n; i++ {
		if e := interrupted(ctx, "instances are generated again, the same, on the next start"); e != nil {
			return nil, e
		}
		m, err := generateOne(fam, size, datasets.FileSeed(seed, i), params)
		if err != nil {
			return nil, err
		}
		name := fmt.Sprintf("%s-%s-%04d", family, size, i)
		m.Name = name
		out = append(out, revibranch.Instance{Name: name, Model: m})
		bar.Add(1)
	}
	return out, nil
}

// generateOne generates an instance; bad parameters are usage errors
// naming them (checked before the run directory is made).
func generateOne(fam datasets.Family, size string, seed uint64, params map[string]float64) (*solver.Model, error) {
	m, _, err := fam.Generate(datasets.Size(size), seed, params)
	if err != nil {
		return nil, generateErr(err)
	}
	return m, nil
}

// heldOut is the index of the first held-out instance: far from any
// training index, so held-out instances have other seeds; validFirst the
// first validation instance's, between the two.
const (
	heldOut    = 1_000_000
	validFirst = 500_000
)

// trainEval evaluates the run's policy (a branching name, shown as
// label) against the rules on held-out instances; results go to
// trace/eval.parquet and plots/.
func trainEval(ctx context.Context, dir *train.Dir, cfg trainMILPConfig, policy, label string, stdout, stderr io.Writer) ([]eval.MILPRow, error) {
	family, size := cfg.Family, cfg.EvalSize
	if family == "" {
		fmt.Fprintln(stderr, "evaluation skipped: the run trained on --set, so there is no family to draw held-out instances from")
		return nil, nil
	}
	insts, err := generateInstances(ctx, family, size, cfg.Params, cfg.Seed, heldOut, cfg.EvalInstances, stderr)
	if err != nil {
		return nil, err
	}
	policies := append([]string{policy}, cfg.EvalBranching...)
	if cfg.EvalHighs {
		policies = append(policies, "highs")
	}
	w, err := trace.CreateOf[trace.Result](dir.Join("trace", "eval.parquet"))
	if err != nil {
		return nil, failedErr(err)
	}
	defer w.Abort()
	ev := trainEvalMILP(cfg)
	names := make([]string, len(insts))
	for i, in := range insts {
		names[i] = in.Name
	}
	jobs := eval.InstanceJobs(names, policies, cfg.Seed)
	runner := eval.Runner{Workers: 1, Progress: stderr}
	results, err := runner.Run(ctx, jobs, func(ctx context.Context, j eval.Job) (eval.Outcome, error) {
		return ev.Solve(ctx, insts[j.Episode].Model, j)
	})
	if err != nil {
		if e := interruptedRun(ctx, dir.Path); e != nil {
			return nil, e
		}
		return nil, failedErr(err)
	}
	if err := w.Write(results...); err != nil {
		return nil, failedErr(err)
	}
	if err := w.Close(); err != nil {
		return nil, failedErr(err)
	}
	// Name the policy by its label in the table and plots, not by its long path.
	for i := range results {
		if results[i].Policy == policies[0] {
			results[i].Policy = label
		}
	}
	policies[0] = label
	table := eval.SummarizeMILP(policies, eval.Group(results, len(policies)))
	fmt.Fprintf(stdout, "\nheld-out %s instances (%s%s; %d, time limit %gs):\n", family, size, paramList(cfg.Params), len(insts), cfg.EvalTimeLimit)
	eval.PrintMILP(stdout, table, len(insts))
	if _, err := plot.EvalPlots(results, dir.Join("plots"), "png"); err != nil {
		return nil, failedErr(err)
	}
	return table, nil
}

// trainEvalMILP is the held-out evaluation of a run: its searches are the
// run's episodes' (cuts, one-opt) without their node limit.
func trainEvalMILP(cfg trainMILPConfig) eval.MILP {
	return eval.MILP{Engine: cfg.Engine, TimeLimit: cfg.EvalTimeLimit, BnB: cfg.search(0), Resolve: brancherFactory, Run: "train-eval"}
}

func writeSummary(dir *train.Dir, cfg trainMILPConfig, col revibranch.CollectResult, res revibranch.TrainResult, table []eval.MILPRow) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# corl train milp: %s\n\n", dir.Path)
	summaryInstances(&b, cfg)
	perSample := col.Stats.SBSeconds / math.Max(float64(col.Samples), 1)
	fmt.Fprintf(&b, "## Collection\n\n%d samples in %d shards (expert probability %g, strong-branching iteration limit %d).\n"+
		"Episodes: %d nodes, %.1f s of worker time; the expert: %d LPs, %d simplex iterations, %.1f s (%.3f s per sample, %.0f%% of the time).\n\n",
		col.Samples, len(col.Shards), cfg.ExpertProb, cfg.SBIterLimit, col.Stats.Nodes, col.Stats.Seconds, col.Stats.SBLPs,
		col.Stats.SBIterations, col.Stats.SBSeconds, perSample, 100*col.Stats.SBSeconds/math.Max(col.Stats.Seconds, 1e-9))
	fmt.Fprintf(&b, "## Training\n\n%d training and %d validation samples; %s; best validation epoch %d: loss %.4f, top-1 %.1f%%, top-5 %.1f%%.\n"+
		"Policy: `policy.safetensors` (use it as `--branching gnn:%s`). Curves: `plots/`, trace: `trace/train.parquet`.\n\n",
		res.TrainCount, res.ValidCount, res.Stopped, res.BestEpoch, res.ValidLoss, 100*res.ValidTop1, 100*res.ValidTop5,
		dir.Join(revibranch.BestPolicyFile))
	return writeSummaryEval(dir, &b, cfg, table)
}

// summaryInstances writes summary.md's line on the training instances.
func summaryInstances(b *strings.Builder, cfg trainMILPConfig) {
	if cfg.Set != "" {
		fmt.Fprintf(b, "Instances: the MPS files of %s.\n\n", cfg.Set)
	} else {
		fmt.Fprintf(b, "Instances: %d generated %s (%s%s), seed %d.\n\n", cfg.Instances, cfg.Family, cfg.Size, paramList(cfg.Params), cfg.Seed)
	}
	agg := ""
	search := cfg.collectSearch()
	if !search.AggCover {
		agg = " without aggregated covers (`--aggcover=false`)"
	}
	fmt.Fprintf(b, "Search: cuts %s (`--cuts %s`)%s, in collection, episodes, validation and the held-out evaluation; "+
		"`corl eval milp %s` searches the same way.\n\n", cutsName(cfg.CutNodes), cutsName(cfg.CutNodes), agg, search.EvalFlags().Args())
}

// writeSummaryEval adds the held-out evaluation (if any) to b and writes
// it as the run's summary.md.
func writeSummaryEval(dir *train.Dir, b *strings.Builder, cfg trainMILPConfig, table []eval.MILPRow) error {
	if table != nil {
		fmt.Fprintf(b, "## Held-out evaluation\n\n%d %s %s instances, time limit %g s per run; results in `trace/eval.parquet`.\n\n```\n",
			cfg.EvalInstances, cfg.Family, cfg.EvalSize, cfg.EvalTimeLimit)
		eval.PrintMILP(b, table, cfg.EvalInstances)
		b.WriteString("```\n")
	}
	return atomicfile.Write(dir.Join("summary.md"), []byte(b.String()))
}

// paramList shows parameter overrides as ", name=value, ...".
func paramList(p map[string]float64) string {
	names := make([]string, 0, len(p))
	for k := range p {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, k := range names {
		fmt.Fprintf(&b, ", %s=%g", k, p[k])
	}
	return b.String()
}

// trainProgress shows a bar per epoch.
type trainProgress struct {
	w   io.Writer
	bar *progress.Bar
}

func (p *trainProgress) Epoch(epoch, batches int) {
	p.bar.Finish()
	p.bar = progress.New(p.w, fmt.Sprintf("train epoch %d", epoch+1), int64(batches))
}

func (p *trainProgress) Batch(done int, loss float64) {
	p.bar.Set(int64(done))
	p.bar.Describe(fmt.Sprintf("loss %.3f", loss))
}

// engineMaker returns a maker of LP engines on a named runtime.
func engineMaker(engine string) func() (solver.Engine, error) {
	return func() (solver.Engine, error) { return highs.New(highs.Config{Runtime: engine}) }
}

// drawTraining draws a run's training curves from its trace into plots/.
func drawTraining(dir *train.Dir) error {
	rows, err := dir.ReadTrace()
	if err != nil {
		return err
	}
	_, err = plot.TrainingCurves(rows, dir.Join("plots"), "png")
	return err
}
