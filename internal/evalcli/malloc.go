package evalcli

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/urfave/cli/v2"

	"github.com/corl-go/corl/agents/muzero"
	"github.com/corl-go/corl/agents/policy"
	"github.com/corl-go/corl/datasets"
	"github.com/corl-go/corl/envs/malloc"
	"github.com/corl-go/corl/eval"
	"github.com/corl-go/corl/trace"
)

// Malloc are the flags of a memory-mapping evaluation, --workers and
// Common aside.
func Malloc() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "set", Usage: "directory of allocation CSVs, or one CSV file", Required: true},
		&cli.StringFlag{Name: "policies", Value: "xla,firstfit,random,mip", Usage: "comma-separated policies: " + policy.MallocHelp},
		&cli.StringFlag{Name: "search", Value: "gumbel", Usage: "the search of learned policies: gumbel or puct"},
		&cli.IntFlag{Name: "simulations", Value: 16, Usage: "simulations per move of learned policies"},
		&cli.StringFlag{Name: "model", Value: "learned", Usage: "what muzero:PATH plans with: learned (its dynamics) or true (the game)"},
		&cli.Float64Flag{Name: "rollout-weight", Value: 0.5, Usage: "with --model true, the weight in [0, 1] of best-fit rollouts in muzero:PATH's leaf values next to its network's (0: the network's alone, and no episode to follow)"},
		&cli.IntFlag{Name: "early-simulations", Usage: "simulations per move for each game's first --early-moves decisions (moves with more than one legal action; 0: --simulations); XLA's order decides the big buffers first; give both flags or neither"},
		&cli.IntFlag{Name: "early-moves", Usage: "how many of each game's first decisions search with --early-simulations (0: none; give both flags or neither)"},
		&cli.Float64Flag{Name: "q-range", Usage: "Gumbel: the smallest range of Q values (fractions of the total benefit) rescaled to the full scale (0: 1e-8, mctx's); e.g. 0.05 keeps a learned model's value noise from overriding its prior"},
		&cli.BoolFlag{Name: "tree-only", Usage: "play the search tree's choice always; by default a search on the game itself (mcts, --model true) follows the best complete episode its simulations and rollouts found where that is better"},
		&cli.StringFlag{Name: "offsets", Usage: "the canonical offsets mcts and muzero:PATH play: tops (0 and the tops of placed buffers, XLA's) or edges (also under placed buffers and at the top of memory); unset, each checkpoint plays the game it was trained in and mcts tops, and a checkpoint trained in the other game is refused; with edges, mcts and --model true (without --tree-only) play the tops game too and keep the better placement, --model learned and --tree-only the edges game alone; the baselines keep their own"},
		&cli.Float64Flag{Name: "capacity-fraction", Value: 0.5, Usage: "fast memory as a fraction of the peak live size, in (0, 1]"},
		&cli.Int64Flag{Name: "alignment", Value: 1, Usage: "offsets are multiples of this many bytes (at least 1)"},
		&cli.Float64Flag{Name: "mip-time-limit", Value: 60, Usage: "seconds per instance for the mip baseline (0: none)"},
		&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed of the random baseline"},
		&cli.StringFlag{Name: "out", Aliases: []string{"trace"}, Usage: "write one Parquet row per instance and policy to `FILE`"},
	}
}

// MallocEval is a memory-mapping evaluation as its flags describe it.
type MallocEval struct {
	Files     []string           // allocation CSVs, in set order
	Instances []*malloc.Instance // read from them
	Names     []string           // their names: the Instance column
	Policies  []string
	Seed      uint64
	Fraction  float64 // --capacity-fraction
	Alignment int64   // --alignment
	Search    muzero.SearchConfig
	Model     string      // --model
	Rollout   float64     // --rollout-weight
	Offsets   string      // --offsets as given ("": each checkpoint's own game, tops for mcts)
	Config    eval.Malloc // Run left empty
	Settings  map[string]string
}

// Jobs lists the evaluation's jobs, instance-major.
func (e MallocEval) Jobs() []eval.Job { return eval.InstanceJobs(e.Names, e.Policies, e.Seed) }

// ParseMalloc reads the memory-mapping flags and the instances, and
// resolves every policy once.
func ParseMalloc(c *cli.Context) (MallocEval, error) { return ParseMallocIn(c, OS) }

// ParseMallocIn is ParseMalloc with the set read from fsys.
func ParseMallocIn(c *cli.Context, fsys FS) (MallocEval, error) {
	files, err := AllocationFilesIn(fsys, c.String("set"))
	if err != nil {
		return MallocEval{}, input(err)
	}
	pols := SplitList(c.String("policies"))
	search := muzero.SearchConfig{Algorithm: muzero.Algorithm(c.String("search")), Simulations: c.Int("simulations"), TreeOnly: c.Bool("tree-only"), QRange: c.Float64("q-range"),
		EarlySimulations: c.Int("early-simulations"), EarlyMoves: c.Int("early-moves")}
	if search.EarlySimulations < 0 {
		return MallocEval{}, usage("--early-simulations %d: want at least 0", search.EarlySimulations)
	}
	if search.EarlyMoves < 0 {
		return MallocEval{}, usage("--early-moves %d: want at least 0", search.EarlyMoves)
	}
	if search.EarlySimulations > 0 && search.EarlyMoves == 0 {
		return MallocEval{}, usage("--early-simulations %d needs --early-moves (how many first decisions use it)", search.EarlySimulations)
	}
	if search.EarlyMoves > 0 && search.EarlySimulations == 0 {
		return MallocEval{}, usage("--early-moves %d needs --early-simulations (their budget)", search.EarlyMoves)
	}
	if !(search.QRange >= 0) || math.IsInf(search.QRange, 1) {
		return MallocEval{}, usage("--q-range %v: want a range >= 0", search.QRange)
	}
	if err := search.Validate(); err != nil || search.Simulations < 1 {
		return MallocEval{}, usage("--search %q, --simulations %d: want gumbel or puct, and at least 1", c.String("search"), search.Simulations)
	}
	model := c.String("model")
	if model != muzero.ModelLearned && model != muzero.ModelTrue {
		return MallocEval{}, usage("--model %q: want learned or true", model)
	}
	rollout := c.Float64("rollout-weight")
	if !(rollout >= 0 && rollout <= 1) {
		return MallocEval{}, usage("--rollout-weight %v: want a weight in [0, 1]", rollout)
	}
	offsets := c.String("offsets")
	if _, err := malloc.ParseOffsets(offsets); c.IsSet("offsets") && err != nil {
		return MallocEval{}, usage("--offsets %q: want tops or edges", offsets)
	}
	newPolicy := policy.Malloc(search, model, rollout, offsets)
	for _, p := range pols {
		if slices.Contains(malloc.Baselines(), p) {
			continue
		}
		if _, err := newPolicy(p); err != nil {
			var ne *policy.NameError
			var oe *policy.OffsetsError
			if errors.As(err, &ne) || errors.As(err, &oe) {
				return MallocEval{}, usage("--policies: %v", err)
			}
			return MallocEval{}, input(err)
		}
	}
	frac, align := c.Float64("capacity-fraction"), c.Int64("alignment")
	if !(frac > 0 && frac <= 1) {
		return MallocEval{}, usage("--capacity-fraction %v: want a fraction in (0, 1]", frac)
	}
	if align < 1 {
		return MallocEval{}, usage("--alignment %d: want at least 1", align)
	}
	mipLimit, err := Seconds(c, "mip-time-limit")
	if err != nil {
		return MallocEval{}, err
	}
	insts := make([]*malloc.Instance, len(files))
	names := make([]string, len(files))
	for k, f := range files {
		if insts[k], err = ReadAllocationIn(fsys, f, frac, align); err != nil {
			return MallocEval{}, input(err)
		}
		names[k] = insts[k].Name
	}
	ev := MallocEval{Files: files, Instances: insts, Names: names, Policies: pols, Seed: c.Uint64("seed"), Fraction: frac,
		Alignment: align, Search: search, Model: model, Rollout: rollout, Offsets: offsets,
		Config: eval.Malloc{MIPTimeLimit: mipLimit, NewPolicy: newPolicy},
		Settings: map[string]string{"capacity_fraction": fmt.Sprint(frac), "alignment": fmt.Sprint(align), "mip_time_limit": fmt.Sprint(mipLimit),
			// How muzero:PATH and mcts search: their results depend on it.
			"search": string(search.Algorithm), "simulations": fmt.Sprint(search.Simulations), "model": model,
			"rollout_weight": fmt.Sprint(rollout), "tree_only": fmt.Sprint(search.TreeOnly), "q_range": fmt.Sprint(search.QRange)}}
	if search.EarlyMoves > 0 && search.EarlySimulations > 0 {
		// Only when they change the search: unfinished evaluations from
		// before these flags recorded neither and resume.
		ev.Settings["early_simulations"], ev.Settings["early_moves"] = fmt.Sprint(search.EarlySimulations), fmt.Sprint(search.EarlyMoves)
	}
	if offsets == "edges" {
		// Only when it changes the games played: unfinished evaluations
		// from before the flag recorded none and resume.
		ev.Settings["offsets"] = offsets
	}
	return ev, nil
}

// AllocationFilesIn lists the allocation CSVs of a set on fsys: the .csv
// files of a directory, sorted by name, or the one file set names.
func AllocationFilesIn(fsys FS, set string) ([]string, error) {
	dir, err := fsys.IsDir(set)
	if err != nil {
		return nil, err
	}
	if !dir {
		return []string{set}, nil
	}
	return setFiles(fsys, set, ".csv")
}

// ReadAllocationIn reads one allocation CSV on fsys as the evaluation
// sees it.
func ReadAllocationIn(fsys FS, file string, frac float64, align int64) (*malloc.Instance, error) {
	f, err := fsys.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	in, err := datasets.ReadAllocationCSVFrom(f, file, frac, malloc.DefaultModel)
	if err != nil {
		return nil, err
	}
	in.Alignment = align
	return in, nil
}

// Report prints the table of the results, given in Jobs order: as JSON
// with asJSON, else as eval.PrintMalloc's text.
func (e MallocEval) Report(w io.Writer, asJSON bool, results []trace.Result) error {
	rows := eval.SummarizeMalloc(e.Instances, e.Policies, eval.Group(results, len(e.Policies)))
	if asJSON {
		return writeJSON(w, rows)
	}
	eval.PrintMalloc(w, e.Policies, rows, e.Fraction)
	return nil
}
