package evalcli

import (
	"bufio"
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/corl-go/corl/agents/policy"
	"github.com/corl-go/corl/datasets"
	"github.com/corl-go/corl/eval"
	"github.com/corl-go/corl/solver/bnb"
	"github.com/corl-go/corl/trace"
)

// MILP are the flags of a MILP evaluation, --workers and Common aside.
func MILP() []cli.Flag {
	return append([]cli.Flag{
		&cli.StringFlag{Name: "set", Usage: "instance `DIR`, or a text file listing MPS files one per line (required)", Required: true},
		&cli.StringFlag{Name: "branching", Value: "relpscost,pscost,mostfrac", Usage: "comma-separated rules: " + policy.Help},
		&cli.BoolFlag{Name: "highs", Usage: "also run HiGHS's own branch-and-cut"},
		&cli.Float64Flag{Name: "time-limit", Usage: "per run, in `SECONDS` (0: none)"},
		&cli.Float64Flag{Name: "gap-limit", Usage: "end every run at this relative `GAP`, corl's search (status gap_limit, counted as solved) and HiGHS's MIP (its mip_rel_gap) alike; 0: corl's search proves optimality and HiGHS keeps its default mip_rel_gap of 1e-4"},
		GapPrune(),
		Engine(),
		&cli.StringFlag{Name: "out", Usage: "write one Parquet row per run to `FILE`"},
		&cli.StringFlag{Name: "trace", Usage: "write one Parquet row per branching decision to `FILE`"},
	}, BnB()...)
}

// MILPEval is a MILP evaluation as its flags describe it.
type MILPEval struct {
	Files    []string // instance files, in set order
	Names    []string // their base names: the Instance column
	Policies []string // branching rules, then eval.HiGHS with --highs
	Seed     uint64
	Config   eval.MILP // Run left empty
	BnB      BnBFlags  // the flags Config.BnB was made from
	// Settings are the flags results depend on beyond the job: a resume
	// with others is refused.
	Settings map[string]string
	// Before holds what the settings added later were for the runs of a
	// record without them, with these flags: eval.StoreConfig.Before.
	Before map[string]string
}

// Jobs lists the evaluation's jobs, instance-major.
func (e MILPEval) Jobs() []eval.Job { return eval.InstanceJobs(e.Names, e.Policies, e.Seed) }

// ParseMILP reads the MILP flags, lists the set and resolves every
// policy once, so a bad name or checkpoint fails before any run.
func ParseMILP(c *cli.Context) (MILPEval, error) { return ParseMILPIn(c, OS) }

// ParseMILPIn is ParseMILP with the set read from fsys.
func ParseMILPIn(c *cli.Context, fsys FS) (MILPEval, error) {
	files, err := InstanceFilesIn(fsys, c.String("set"))
	if err != nil {
		return MILPEval{}, input(err)
	}
	policies := SplitList(c.String("branching"))
	if c.Bool("highs") {
		policies = append(policies, eval.HiGHS)
	}
	if len(policies) == 0 {
		return MILPEval{}, usage("nothing to run: give --branching rules or --highs")
	}
	timeLimit, err := Seconds(c, "time-limit")
	if err != nil {
		return MILPEval{}, err
	}
	gapLimit := c.Float64("gap-limit")
	if !(gapLimit >= 0 && gapLimit < 1) {
		return MILPEval{}, usage("--gap-limit %v: want a relative gap in [0, 1) (0: none)", gapLimit)
	}
	stopOnly, err := GapStopOnly(c)
	if err != nil {
		return MILPEval{}, err
	}
	bnbFlags := BnBFlagsOf(c)
	bnbCfg, err := bnbFlags.Config()
	if err != nil {
		return MILPEval{}, err
	}
	cfg := eval.MILP{Engine: c.String("engine"), TimeLimit: timeLimit, GapLimit: gapLimit, GapStopOnly: stopOnly, BnB: bnbCfg, Resolve: Brancher, Steps: c.String("trace") != ""}
	if err := cfg.Check(policies, c.Uint64("seed")); err != nil {
		return MILPEval{}, err // a Usage or Input error from Brancher
	}
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = filepath.Base(f)
	}
	return MILPEval{Files: files, Names: names, Policies: policies, Seed: c.Uint64("seed"), Config: cfg, BnB: bnbFlags,
		Settings: map[string]string{"engine": cfg.Engine, "time_limit": fmt.Sprint(timeLimit), "gap_limit": fmt.Sprint(gapLimit),
			"node_selection": bnbCfg.NodeSelection.String(), "node_limit": fmt.Sprint(bnbCfg.NodeLimit),
			"presolve": fmt.Sprint(bnbCfg.Presolve), "heuristics": bnbFlags.Heuristics, "cuts": bnbFlags.Cuts,
			// The flags' words changed meaning ("on" was the root only); these
			// record what the search does.
			"cut_nodes": fmt.Sprint(!bnbCfg.NoCuts && !bnbCfg.Cuts.RootOnly), "redcost": bnbCfg.Redcost.String(),
			// "on" kept Gomory cuts at every node before.
			"gomory_nodes": fmt.Sprint(!bnbCfg.NoCuts && !bnbCfg.Cuts.NoGomory && !bnbCfg.Cuts.RootOnly && bnbCfg.Cuts.GomoryNodes),
			// "all" took in one-opt, then the swap search, later.
			"oneopt":   fmt.Sprint(!bnbCfg.NoHeuristics && !bnbCfg.Heuristics.NoOneOpt),
			"swap":     fmt.Sprint(!bnbCfg.NoHeuristics && !bnbCfg.Heuristics.NoSwap),
			"aggcover": fmt.Sprint(!bnbCfg.NoCuts && !bnbCfg.Cuts.NoAggCover),
			// The pooled heuristic runs where aggregated covers found a
			// pooled knapsack.
			"pooled": fmt.Sprint(!bnbCfg.NoHeuristics && !bnbCfg.Heuristics.NoPooled && !bnbCfg.NoCuts && !bnbCfg.Cuts.NoAggCover),
			// Clique cuts at every node, and RINS's schedule, were the
			// defaults before.
			"clique_nodes": fmt.Sprint(!bnbCfg.NoCuts && !bnbCfg.Cuts.NoClique && !bnbCfg.Cuts.RootOnly && bnbCfg.Cuts.CliqueNodes),
			"rins":         rinsSchedule(bnbCfg, bnbCfg.Heuristics.FixedRINS),
			"plunge_quot":  plungeQuot(bnbCfg, cmp.Or(bnbCfg.PlungeQuot, bnb.DefaultPlungeQuot)),
			"cut_backoff":  fmt.Sprint(!bnbCfg.NoCuts && !bnbCfg.Cuts.RootOnly && !bnbCfg.Cuts.EveryNode),
			"lns_limits":   lnsLimits(bnbCfg, bnbCfg.Heuristics.LNSLimits),
			"lns_effort":   lnsEffort(bnbCfg, cmp.Or(bnbCfg.Heuristics.LNSEffort, bnb.DefaultLNSEffort)),
			"gap_prune":    gapPrune(gapLimit, stopOnly)},
		// A record made before gomory_nodes and swap: Gomory cuts went
		// wherever the search cut at the nodes, and no swap search ran.
		// (--cuts root or off, or a --heuristics list without swap, then
		// search as they do now.)
		// A record made before gap_limit ran without one, and one made
		// before aggregated covers without them, and one made before the
		// pooled heuristic without it; one made before clique_nodes and
		// rins cut cliques wherever it cut at the nodes and ran RINS on
		// the fixed schedule; one made before plunge_quot plunged within
		// half the gap; one made before cut_backoff separated at every
		// node it cut at; one made before lns_limits and lns_effort ended
		// its sub-MIPs by nodes alone and ran adaptive RINS without a cap;
		// one made before gap_prune only stopped at its gap limit.
		Before: map[string]string{
			"gap_prune":    gapPrune(gapLimit, true),
			"lns_limits":   lnsLimits(bnbCfg, bnb.LNSLimitNodes),
			"lns_effort":   lnsEffort(bnbCfg, math.Inf(1)),
			"plunge_quot":  plungeQuot(bnbCfg, 0.5),
			"cut_backoff":  "false",
			"clique_nodes": fmt.Sprint(!bnbCfg.NoCuts && !bnbCfg.Cuts.NoClique && !bnbCfg.Cuts.RootOnly),
			"rins":         rinsSchedule(bnbCfg, true),
			"gap_limit":    "0",
			"gomory_nodes": fmt.Sprint(!bnbCfg.NoCuts && !bnbCfg.Cuts.NoGomory && !bnbCfg.Cuts.RootOnly),
			"swap":         "false",
			"aggcover":     "false",
			"pooled":       "false"}}, nil
}

// InstanceFiles lists a set's MPS files: the .mps and .mps.gz files of a
// directory, sorted by name, or the paths a text file lists one per line
// (blank lines and lines starting with # skipped; relative paths are
// relative to the list's directory).
func InstanceFiles(set string) ([]string, error) { return InstanceFilesIn(OS, set) }

// InstanceFilesIn is InstanceFiles on fsys.
func InstanceFilesIn(fsys FS, set string) ([]string, error) {
	dir, err := fsys.IsDir(set)
	if err != nil {
		return nil, err
	}
	if dir {
		return setFiles(fsys, set, ".mps", ".mps.gz")
	}
	f, err := fsys.Open(set)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var files []string
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		p := strings.TrimSpace(sc.Text())
		if p == "" || strings.HasPrefix(p, "#") {
			continue
		}
		if strings.ContainsRune(p, 0) {
			return nil, fmt.Errorf("%s:%d: not a text file listing instances", set, line)
		}
		files = append(files, resolve(set, p))
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", set, err)
	}
	if len(files) == 0 {
		return nil, &datasets.NoInstancesError{Dir: set, Suffixes: []string{"listed"}}
	}
	return files, nil
}

// setFiles lists the files of dir ending in one of suffixes, sorted; none
// is a *datasets.NoInstancesError.
func setFiles(fsys FS, dir string, suffixes ...string) ([]string, error) {
	all, err := fsys.Files(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, f := range all {
		if slices.ContainsFunc(suffixes, func(s string) bool { return strings.HasSuffix(f, s) }) {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil, &datasets.NoInstancesError{Dir: dir, Suffixes: suffixes}
	}
	slices.Sort(out)
	return out, nil
}

// Report prints the table of the results, given in Jobs order: as JSON
// with asJSON, else as eval.PrintMILP's text.
func (e MILPEval) Report(w io.Writer, asJSON bool, results []trace.Result) error {
	table := eval.SummarizeMILP(e.Policies, eval.Group(results, len(e.Policies)))
	if asJSON {
		return writeJSON(w, table)
	}
	eval.PrintMILP(w, table, len(e.Files))
	return nil
}

// writeJSON writes v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// rinsSchedule names RINS's schedule for the resume record of a search
// with cfg's heuristics and RINS on the fixed schedule or not: off, fixed
// (every RINSFreq nodes) or adaptive.
func rinsSchedule(cfg bnb.Config, fixed bool) string {
	switch {
	case cfg.NoHeuristics || cfg.Heuristics.NoRINS:
		return "off"
	case fixed:
		return "fixed"
	}
	return "adaptive"
}

// gapPrune is the resume record's gap_prune of a search with this gap
// limit: "-" without one, else whether nodes within it are pruned.
func gapPrune(gapLimit float64, stopOnly bool) string {
	if gapLimit == 0 {
		return "-"
	}
	return fmt.Sprint(!stopOnly)
}

// lnsLimits is the resume record's lns_limits of a search with cfg's
// heuristics and its sub-MIPs run under limits: "-" without RENS and
// RINS, "highs", "stall,rins-leaves" (stalled nodes end both, leaves
// RINS's: the default before "highs") or "nodes".
func lnsLimits(cfg bnb.Config, limits bnb.LNSLimits) string {
	switch h := cfg.Heuristics; {
	case cfg.NoHeuristics || h.NoRENS && h.NoRINS:
		return "-"
	case limits == bnb.LNSLimitNodes:
		return "nodes"
	case limits == bnb.LNSLimitStall:
		return "stall,rins-leaves"
	}
	return "highs"
}

// lnsEffort is the resume record's lns_effort of a search with cfg's
// heuristics and adaptive RINS capped at effort: "-" without adaptive
// RINS, which has the cap.
func lnsEffort(cfg bnb.Config, effort float64) string {
	if rinsSchedule(cfg, cfg.Heuristics.FixedRINS) != "adaptive" {
		return "-"
	}
	return fmt.Sprint(effort)
}

// plungeQuot is the resume record's plunge_quot of a search with cfg's
// node selection and plunge quotient q: "-" for depth-first search, which
// does not read it.
func plungeQuot(cfg bnb.Config, q float64) string {
	if cfg.NodeSelection == bnb.DepthFirst {
		return "-"
	}
	return fmt.Sprint(q)
}
