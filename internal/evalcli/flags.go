package evalcli

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/corl-go/corl/agents/policy"
	"github.com/corl-go/corl/eval"
	"github.com/corl-go/corl/solver/bnb"
	"github.com/corl-go/corl/solver/highs"
)

// Engine is the --engine flag: the HiGHS runtime.
func Engine() cli.Flag {
	return &cli.StringFlag{
		Name:    "engine",
		Usage:   "HiGHS engine: wasmtime, wazero or native (default: wasmtime when built with cgo, else wazero)",
		EnvVars: []string{highs.EnvRuntime},
	}
}

// Workers is the --workers flag of the local evaluations.
func Workers() cli.Flag {
	return &cli.IntFlag{Name: "workers", Value: 1, Usage: "runs at a time, each with its own HiGHS; the default 1 keeps timings free of contention (results are the same for any `N`)"}
}

// Common are the flags every evaluation has besides --workers.
func Common() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "resume", Usage: "continue an interrupted evaluation with the same --out/--trace: finished runs are kept, only the missing ones run"},
		&cli.BoolFlag{Name: "json", Usage: "print the table as JSON"},
	}
}

// GapPrune is the --gap-prune flag, beside --gap-limit.
func GapPrune() cli.Flag {
	return &cli.StringFlag{Name: "gap-prune", Value: "on", Usage: "with a gap limit, corl's search: on (prune every node whose bound lies within the gap of the incumbent, as HiGHS prunes with its mip_rel_gap; the least such bound stays in the dual bound) or off (the gap limit only stops the search, as before)"}
}

// GapStopOnly reads --gap-prune: whether a gap limit only stops the search.
func GapStopOnly(c *cli.Context) (bool, error) {
	switch v := c.String("gap-prune"); v {
	case "on", "":
		return false, nil
	case "off":
		return true, nil
	default:
		return false, usage("--gap-prune %q: want on or off", v)
	}
}

// BnB are the flags of corl's own branch-and-bound.
func BnB() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "node-selection", Value: "best", Usage: "best (best-first with plunging), dfs or estimate"},
		&cli.Float64Flag{Name: "plunge-quot", Value: bnb.DefaultPlungeQuot, Usage: "with best and estimate: a plunge goes on into a child whose bound lies within this fraction of the gap between the least open bound and the incumbent (1: every child not cut off, 20 deep at most; 0.5: the better half of the gap, the default before 1)"},
		&cli.Int64Flag{Name: "node-limit", Usage: "stop after this many nodes (status node_limit; 0: none)"},
		&cli.StringFlag{Name: "presolve", Value: "off", Usage: "on: search HiGHS's presolved model (solution and trace in the model's columns); off"},
		&cli.StringFlag{Name: "heuristics", Value: "all", Usage: "primal heuristics: all (rounding, diving, rens, rins (on an adaptive schedule: 100 nodes after its last call, twice as far after each call that finds nothing, and as soon as an incumbent comes from elsewhere; rins-fixed: every 100 nodes), oneopt and swap on each new incumbent, pooled: the pooled knapsack's best item sets placed in its knapsacks, where aggregated covers find one), none, or a list of them"},
		&cli.StringFlag{Name: "lns-limits", Value: "highs", Usage: "how RENS's and RINS's sub-MIPs end: highs (as HiGHS ends its own: 200 nodes plus a twentieth of the search's, 12 nodes in a row whose estimate reaches the incumbent, 500 leaves; with two of its sub-MIP settings, pseudocosts trusted at once and heuristic effort 0.8), stall (500 nodes, 200 such nodes in a row plus a twentieth of the search's nodes, or, RINS's, 12 leaves: the default before, with --lns-effort 0.5) or nodes (500 nodes alone, as before that)"},
		&cli.StringFlag{Name: "lns-effort", Value: fmt.Sprint(bnb.DefaultLNSEffort), Usage: "adaptive RINS runs only while the sub-MIPs' simplex iterations stay within this multiple of the search's own plus 10,000 (inf: no cap, as before the cap; 0: the default, 0.1; 0.5 was the default under --lns-limits stall)"},
		&cli.StringFlag{Name: "cuts", Value: "on", Usage: "cutting planes: on (rounds at the root, one round at every other node, Gomory and clique cuts at the root only), root (at the root only), off, or a list of gomory, gomory-nodes (Gomory cuts at every node too), mir, cover, clique, clique-nodes (clique cuts at every node too), aggcover (covers of the knapsack rows summed over set-packing groups), reserve (the root's cuts not tight at its end held, and put back into a node's LP where its point violates them; off by default), every-node (a round at every node; by default a node round that adds nothing doubles the distance to the next, up to 128 nodes), root"},
		&cli.StringFlag{Name: "redcost", Value: "off", Usage: "reduced-cost fixing of integer columns against the incumbent: off, root (the root LP's, globally) or nodes (on: the root's and each node's, for its subtree)"},
		&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed of the random branching rule"},
	}
}

// BnBFlags are the BnB flags' values, as given: what a process that has
// no command line (a pipeline's worker) needs to build the same bnb.Config.
type BnBFlags struct {
	NodeSelection string
	PlungeQuot    float64 // 0: bnb's default
	LNSEffort     string  // a number or inf, as given ("": bnb's default); +Inf has no JSON
	LNSLimits     string  // "": highs
	NodeLimit     int64
	Presolve      string
	Heuristics    string
	Cuts          string
	Redcost       string
}

// Args words f's --cuts, --heuristics, --plunge-quot, --lns-effort and
// --lns-limits, those it sets, as on a command line (the flags
// CollectSearch.EvalFlags sets; the others are left out).
func (f BnBFlags) Args() string {
	var b strings.Builder
	add := func(name, v string) {
		if v != "" {
			fmt.Fprintf(&b, " --%s %s", name, v)
		}
	}
	add("cuts", f.Cuts)
	add("heuristics", f.Heuristics)
	if f.PlungeQuot != 0 {
		add("plunge-quot", fmt.Sprint(f.PlungeQuot))
	}
	add("lns-effort", f.LNSEffort)
	add("lns-limits", f.LNSLimits)
	return strings.TrimPrefix(b.String(), " ")
}

// BnBFlagsOf reads the BnB flags' values.
func BnBFlagsOf(c *cli.Context) BnBFlags {
	return BnBFlags{NodeSelection: c.String("node-selection"), PlungeQuot: c.Float64("plunge-quot"), LNSEffort: c.String("lns-effort"), LNSLimits: c.String("lns-limits"), NodeLimit: c.Int64("node-limit"),
		Presolve: c.String("presolve"), Heuristics: c.String("heuristics"), Cuts: c.String("cuts"), Redcost: c.String("redcost")}
}

// BnBConfig reads the BnB flags.
func BnBConfig(c *cli.Context) (bnb.Config, error) { return BnBFlagsOf(c).Config() }

// Config parses the values into corl's branch-and-bound configuration.
func (f BnBFlags) Config() (bnb.Config, error) {
	sel, err := bnb.ParseNodeSelection(f.NodeSelection)
	if err != nil {
		return bnb.Config{}, usage("--node-selection: %v", err)
	}
	cfg := bnb.Config{NodeSelection: sel, NodeLimit: f.NodeLimit, PlungeQuot: f.PlungeQuot}
	if cfg.NodeLimit < 0 {
		return cfg, usage("--node-limit %d: want 0 (none) or more", cfg.NodeLimit)
	}
	if q := f.PlungeQuot; q != 0 && !(q > 0 && q <= 1) {
		return cfg, usage("--plunge-quot %v: want a fraction in (0, 1] (0: the default, 1)", q)
	}
	switch f.Presolve {
	case "on":
		cfg.Presolve = true
	case "off", "":
	default:
		return cfg, usage("--presolve %q: want on or off", f.Presolve)
	}
	if cfg.NoHeuristics, cfg.Heuristics, err = bnb.ParseHeuristics(f.Heuristics); err != nil {
		return cfg, usage("--heuristics: %v", err)
	}
	if f.LNSEffort != "" { // "": bnb's default
		e, err := strconv.ParseFloat(f.LNSEffort, 64)
		if err != nil || !(e >= 0) {
			return cfg, usage("--lns-effort %q: want a non-negative multiple, or inf for no cap (0: the default, %v)", f.LNSEffort, bnb.DefaultLNSEffort)
		}
		cfg.Heuristics.LNSEffort = e
	}
	switch f.LNSLimits {
	case "nodes":
		cfg.Heuristics.LNSLimits = bnb.LNSLimitNodes
	case "stall":
		cfg.Heuristics.LNSLimits = bnb.LNSLimitStall
	case "highs", "":
	default:
		return cfg, usage("--lns-limits %q: want highs, stall or nodes", f.LNSLimits)
	}
	if cfg.NoCuts, cfg.Cuts, err = bnb.ParseCuts(f.Cuts); err != nil {
		return cfg, usage("--cuts: %v", err)
	}
	if cfg.Redcost, err = bnb.ParseRedcost(f.Redcost); err != nil {
		return cfg, usage("--redcost: %v", err)
	}
	if err := cfg.Validate(); err != nil {
		return cfg, usage("%v", err)
	}
	return cfg, nil
}

// Brancher resolves a --branching name (see agents/policy): a bad name is
// a Usage error, a checkpoint that cannot be loaded an Input error naming
// the file.
func Brancher(name string, seed uint64) (eval.BrancherFactory, error) {
	f, err := policy.Branching(name, seed)
	if errors.Is(err, policy.ErrName) {
		return nil, usage("--branching: %v", err)
	}
	if err != nil {
		return nil, input(err)
	}
	return f, nil
}

// Seconds reads a duration flag in seconds: a number >= 0, 0 meaning none.
func Seconds(c *cli.Context, name string) (float64, error) {
	v := c.Float64(name)
	if !(v >= 0) || math.IsInf(v, 1) {
		return 0, usage("--%s %v: want seconds >= 0 (0: none)", name, v)
	}
	return v, nil
}

// SplitList splits a comma-separated flag value, dropping empty items.
func SplitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
