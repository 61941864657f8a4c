package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/corl-go/corl/internal/atomicfile"
	"github.com/corl-go/corl/internal/evalcli"

	"github.com/urfave/cli/v2"

	"github.com/corl-go/corl/cmd/corl/embedded"
	"github.com/corl-go/corl/solver"
	"github.com/corl-go/corl/solver/bnb"
	"github.com/corl-go/corl/solver/highs"
)

func solveCommand() *cli.Command {
	return &cli.Command{
		Name:      "solve",
		Usage:     "solve an MPS model (plain or gzipped) with HiGHS",
		ArgsUsage: "[FILE]",
		Description: "Reads FILE (fixed or free MPS, .mps or .mps.gz) and solves it with HiGHS: the simplex\n" +
			"for an LP, branch-and-cut for a MIP. Without FILE it solves a set-cover MIP embedded\n" +
			"in the binary. Prints status, objective, dual bound, gap, nodes, LP iterations and\n" +
			"time; --json prints them as one JSON object.\n\n" +
			"Examples:\n" +
			"  corl solve model.mps.gz --time-limit 60\n" +
			"  corl solve model.mps --relax --json\n" +
			"  corl solve model.mps --option presolve=off --option mip_rel_gap=0\n" +
			"  corl solve model.mps --bnb --branching pscost --trace steps.parquet",
		Flags: append([]cli.Flag{
			&cli.Float64Flag{Name: "time-limit", Usage: "stop after this many `SECONDS` (status time_limit; 0: no limit)"},
			&cli.BoolFlag{Name: "relax", Usage: "solve the LP relaxation only (integrality dropped)"},
			engineFlag(),
			&cli.BoolFlag{Name: "json", Usage: "print the result as one JSON object"},
			&cli.StringFlag{Name: "solution", Usage: "write the solution to `FILE`, one 'name value' line per column"},
			&cli.StringSliceFlag{Name: "option", Usage: "set a HiGHS option, as `NAME=VALUE` (repeatable)"},
			&cli.BoolFlag{Name: "log", Usage: "show HiGHS's log (or, with --bnb, the search's progress) on standard error"},
			&cli.BoolFlag{Name: "bnb", Usage: "solve with corl's own branch-and-bound (node LPs by HiGHS)"},
			&cli.StringFlag{Name: "branching", Value: "relpscost", Usage: "with --bnb: branching rule: " + branchingHelp},
			&cli.StringFlag{Name: "trace", Usage: "with --bnb: write one Parquet row per branching decision to `FILE`"},
			&cli.Float64Flag{Name: "cutoff", Usage: "with --bnb: prune every node whose bound reaches `VALUE` (the model's sense), as an incumbent of that value would"},
			&cli.Float64Flag{Name: "gap-limit", Usage: "with --bnb: stop once the relative gap is at most `GAP` (status gap_limit; 0: prove optimality); HiGHS's MIP takes --option mip_rel_gap=GAP"},
			evalcli.GapPrune(),
		}, append(bnbFlags(), reliabilityFlags()...)...),
		Action: solveAction,
	}
}

// solveResult is what `corl solve` reports; absent values are JSON null.
type solveResult struct {
	File         string   `json:"file"`
	Engine       string   `json:"engine"`
	Rows         int      `json:"rows"`
	Cols         int      `json:"cols"`
	Integers     int      `json:"integers"`
	Status       string   `json:"status"`
	Objective    *float64 `json:"objective"`
	DualBound    *float64 `json:"dual_bound"`
	Gap          *float64 `json:"gap"`
	Nodes        int64    `json:"nodes"`
	LPIterations int64    `json:"lp_iterations"`
	TimeSeconds  float64  `json:"time_seconds"`
	// Heuristics: corl's branch-and-bound only, the heuristics that ran.
	Heuristics []heuristicResult `json:"heuristics,omitempty"`
	// Cuts: corl's branch-and-bound only, when it separated cuts.
	Cuts *cutsResult `json:"cuts,omitempty"`
	// OpenNodes: corl's branch-and-bound only, the open nodes' memory at
	// its peak.
	OpenNodes *openNodesResult `json:"open_nodes,omitempty"`
	// StrongBranching: corl's branch-and-bound only, when it strong-branched.
	StrongBranching *strongBranchingResult `json:"strong_branching,omitempty"`
	// Redcost: corl's branch-and-bound only, when reduced-cost fixing
	// tightened a bound.
	Redcost *bnb.RedcostStats `json:"redcost,omitempty"`
	// GapPruned: corl's branch-and-bound only, the nodes pruned within
	// --gap-limit of the incumbent (--gap-prune).
	GapPruned int64 `json:"gap_pruned,omitempty"`
	// LPResolves: corl's branch-and-bound only, the LPs solved again from
	// the slack basis after HiGHS ended a solve with an unknown status.
	LPResolves int64 `json:"lp_resolves,omitempty"`
	// IntegralRepairs: corl's branch-and-bound only, the integral LP
	// solutions whose continuous columns were solved again with the
	// integer columns fixed, because rounding left a row violated.
	IntegralRepairs int64 `json:"integral_repairs,omitempty"`
	// Found: corl's branch-and-bound only, each improving solution in
	// turn, with the node count when it was found and what found it.
	Found []foundResult `json:"found,omitempty"`
}

// foundResult is one improving solution of a --bnb search: the nodes
// solved when it was found, its objective, and the heuristic that found
// it ("lp": an integral node LP).
type foundResult struct {
	Node      int64   `json:"node"`
	Objective float64 `json:"objective"`
	By        string  `json:"by"`
}

// strongBranchingResult is strong branching's work in a --bnb search: its
// child LPs, their simplex iterations (part of lp_iterations), those at
// the root, their wall time, and the node LPs warm-started from a child's
// final basis.
type strongBranchingResult struct {
	LPs            int64   `json:"lps"`
	LPIterations   int64   `json:"lp_iterations"`
	RootIterations int64   `json:"root_lp_iterations"`
	TimeSeconds    float64 `json:"time_seconds"`
	WarmStarts     int64   `json:"warm_starts"`
}

// openNodesResult is the most memory a --bnb search's open nodes held,
// and how many were open then.
type openNodesResult struct {
	PeakBytes    int64   `json:"peak_bytes"`
	AtPeak       int     `json:"at_peak"`
	BytesPerNode float64 `json:"bytes_per_node"`
}

// cutsResult is the cutting planes' work in a --bnb search; the root
// values are in the model's sense.
type cutsResult struct {
	Rounds       int64            `json:"rounds"`
	RootLP       float64          `json:"root_lp"`
	RootBound    float64          `json:"root_bound"`
	Added        map[string]int64 `json:"added"`
	InLP         int              `json:"in_lp"`
	Reserve      int              `json:"reserve,omitempty"`      // root cuts held out of the LP (--cuts ...,reserve)
	FromReserve  int64            `json:"from_reserve,omitempty"` // times one went back into it
	LPIterations int64            `json:"lp_iterations"`
	TimeSeconds  float64          `json:"time_seconds"`
}

// heuristicResult is one primal heuristic's work in a --bnb search.
type heuristicResult struct {
	Name         string  `json:"name"`
	Calls        int64   `json:"calls"`
	Successes    int64   `json:"successes"`
	LPIterations int64   `json:"lp_iterations"`
	Nodes        int64   `json:"nodes"`
	TimeSeconds  float64 `json:"time_seconds"`
	// TimeLimited: sub-MIPs stopped by their safety time limit, so the
	// search depended on the machine's speed.
	TimeLimited int64 `json:"time_limited,omitempty"`
}

func solveAction(c *cli.Context) error {
	if c.NArg() > 1 {
		return usageErr("solve takes one FILE, got %d arguments", c.NArg())
	}
	if err := checkTimeLimit("time-limit", c.Float64("time-limit")); err != nil {
		return err
	}
	if n := c.Int64("node-limit"); n < 0 {
		return usageErr("--node-limit must not be negative (0: no limit), got %d", n)
	}
	if err := checkReliabilityFlags(c); err != nil {
		return err
	}
	options, err := parseOptions(c.StringSlice("option"))
	if err != nil {
		return err
	}
	if err := checkOutputFiles(c, "solution", "trace"); err != nil {
		return err
	}
	m, name, err := readModel(c.Args().First())
	if err != nil {
		return inputErr(err)
	}
	if c.Bool("relax") {
		m.Type = nil
	}
	if c.Bool("bnb") {
		return solveBnBAction(c, m, name)
	}
	if c.IsSet("trace") || c.IsSet("branching") || c.IsSet("cutoff") || c.IsSet("gap-limit") || c.IsSet("gap-prune") {
		return usageErr("--trace, --branching, --cutoff, --gap-limit and --gap-prune go with --bnb")
	}
	cfg := highs.Config{Runtime: c.String("engine")}
	if c.Bool("log") {
		cfg.Log = c.App.ErrWriter
	}
	if err := cfg.Validate(); err != nil {
		return usageErr("%v", err)
	}
	s, err := highs.New(cfg)
	if err != nil {
		return failedErr(err)
	}
	defer s.Close()
	if c.Float64("time-limit") > 0 {
		options = append(options, [2]string{"time_limit", strconv.FormatFloat(c.Float64("time-limit"), 'g', -1, 64)})
	}
	for _, o := range options {
		if err := s.SetOption(o[0], o[1]); err != nil {
			return usageErr("--option %s=%s: %v", o[0], o[1], err)
		}
	}
	if err := s.Load(m); err != nil {
		var fe *solver.FieldError
		if errors.As(err, &fe) {
			return inputErr(fmt.Errorf("%s: %w", name, err))
		}
		return failedErr(err)
	}
	start := time.Now()
	st, solveErr := s.Solve(c.Context)
	elapsed := time.Since(start)
	if solveErr != nil && st != solver.StatusInterrupted {
		return failedErr(solveErr)
	}
	res, err := collect(s, m, st)
	if err != nil {
		return failedErr(err)
	}
	res.File, res.Engine, res.TimeSeconds = name, s.Runtime(), elapsed.Seconds()
	if path := c.String("solution"); path != "" && res.Objective != nil {
		if err := writeSolution(path, s, m); err != nil {
			return failedErr(fmt.Errorf("writing the solution: %w", err))
		}
	}
	if c.Bool("json") {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else {
		printResult(c.App.Writer, res)
	}
	if st == solver.StatusInterrupted {
		return interrupted(c.Context, "the best solution found is printed above")
	}
	if solveErr != nil {
		return failedErr(solveErr)
	}
	return nil
}

func parseOptions(raw []string) ([][2]string, error) {
	var out [][2]string
	for _, o := range raw {
		k, v, ok := strings.Cut(o, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, usageErr("--option wants NAME=VALUE, got %q", o)
		}
		out = append(out, [2]string{strings.TrimSpace(k), strings.TrimSpace(v)})
	}
	return out, nil
}

func readModel(path string) (*solver.Model, string, error) {
	if path == "" {
		m, err := embedded.Model()
		return m, embedded.Name, err
	}
	m, err := solver.ReadMPSFile(path)
	return m, path, err
}

// collect reads the solve's figures; values HiGHS does not have are nil.
func collect(s *highs.Solver, m *solver.Model, st solver.Status) (solveResult, error) {
	res := solveResult{Rows: m.NumRows(), Cols: m.NumCols(), Integers: m.NumIntegers(), Status: st.String()}
	finite := func(v float64) *float64 {
		if math.IsInf(v, 0) || math.IsNaN(v) {
			return nil
		}
		return &v
	}
	feasible, err := s.IntInfo("primal_solution_status")
	if err != nil {
		return res, err
	}
	if feasible == 2 { // kHighsSolutionStatusFeasible
		obj, err := s.Objective()
		if err != nil {
			return res, err
		}
		res.Objective = finite(obj)
	}
	if m.IsMIP() {
		db, _ := s.MIPDualBound()
		gap, _ := s.MIPGap()
		res.DualBound = finite(db)
		if res.Objective != nil {
			res.Gap = finite(gap)
		}
		res.Nodes, _ = s.MIPNodes()
	}
	// After a MIP solve HiGHS counts every node LP's iterations here.
	it, _ := s.SimplexIterations()
	res.LPIterations = int64(it)
	if m.IsMIP() {
		return res, nil
	}
	if st == solver.StatusOptimal {
		res.DualBound = res.Objective
		zero := 0.0
		res.Gap = &zero
	}
	return res, nil
}

func printResult(w io.Writer, r solveResult) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	num := func(v *float64) string {
		if v == nil {
			return "-"
		}
		return strconv.FormatFloat(*v, 'g', 10, 64)
	}
	gap := "-"
	if r.Gap != nil {
		gap = strconv.FormatFloat(100**r.Gap, 'g', 4, 64) + "%"
	}
	fmt.Fprintf(tw, "model\t%s (%d rows, %d columns, %d integer)\n", r.File, r.Rows, r.Cols, r.Integers)
	if strings.HasPrefix(r.Engine, "corl") {
		fmt.Fprintf(tw, "engine\t%s\n", r.Engine)
	} else {
		fmt.Fprintf(tw, "engine\tHiGHS %s on %s\n", highs.Version, r.Engine)
	}
	fmt.Fprintf(tw, "status\t%s\n", r.Status)
	fmt.Fprintf(tw, "objective\t%s\n", num(r.Objective))
	fmt.Fprintf(tw, "dual bound\t%s\n", num(r.DualBound))
	fmt.Fprintf(tw, "gap\t%s\n", gap)
	fmt.Fprintf(tw, "nodes\t%d\n", r.Nodes)
	fmt.Fprintf(tw, "lp iterations\t%d\n", r.LPIterations)
	fmt.Fprintf(tw, "time\t%.3f s\n", r.TimeSeconds)
	for _, h := range r.Heuristics {
		fmt.Fprintf(tw, "heuristic %s\t%d calls, %d improved, %d lp iterations, %d nodes, %.3f s\n",
			h.Name, h.Calls, h.Successes, h.LPIterations, h.Nodes, h.TimeSeconds)
	}
	if c := r.Cuts; c != nil {
		fmt.Fprintf(tw, "cuts	%d rounds, root bound %.10g -> %.10g, added gomory %d mir %d cover %d clique %d aggcover %d, %d in the LP, %d lp iterations, %.3f s\n",
			c.Rounds, c.RootLP, c.RootBound, c.Added["gomory"], c.Added["mir"], c.Added["cover"], c.Added["clique"], c.Added["aggcover"], c.InLP, c.LPIterations, c.TimeSeconds)
		if c.Reserve > 0 || c.FromReserve > 0 {
			fmt.Fprintf(tw, "cut reserve\t%d root cuts held, %d put back at nodes\n", c.Reserve, c.FromReserve)
		}
	}
	if n := len(r.Found); n > 0 {
		f := r.Found[n-1]
		fmt.Fprintf(tw, "incumbent\t%d improving solutions; the last at node %d by %s\n", n, f.Node, f.By)
	}
	if rc := r.Redcost; rc != nil {
		fmt.Fprintf(tw, "reduced-cost fixing\t%d root tightenings, %d at nodes, %d nodes pruned\n", rc.Root, rc.Nodes, rc.Pruned)
	}
	if r.GapPruned > 0 {
		fmt.Fprintf(tw, "gap pruning\t%d nodes pruned within the gap limit\n", r.GapPruned)
	}
	if r.IntegralRepairs > 0 {
		fmt.Fprintf(tw, "integral repairs\t%d integral LP solutions re-solved with the integers fixed (rounding left a row violated)\n", r.IntegralRepairs)
	}
	if r.LPResolves > 0 {
		fmt.Fprintf(tw, "lp resolves\t%d LPs solved again from the slack basis (HiGHS ended a solve with an unknown status)\n", r.LPResolves)
	}
	if o := r.OpenNodes; o != nil {
		fmt.Fprintf(tw, "open nodes\tpeak %d bytes, %d open then, %.0f bytes per open node\n", o.PeakBytes, o.AtPeak, o.BytesPerNode)
	}
	tw.Flush()
}

// writeSolution writes the solver's primal solution; see writeSolutionX.
func writeSolution(path string, s *highs.Solver, m *solver.Model) error {
	x, err := s.Primal()
	if err != nil {
		return err
	}
	return writeSolutionX(path, x, m)
}

// writeSolutionX writes "name value" lines atomically: a failure never
// leaves a partial file or clobbers an old one.
func writeSolutionX(path string, x []float64, m *solver.Model) error {
	f, err := atomicfile.Create(path)
	if err != nil {
		return err
	}
	defer f.Abort() // no-op after Commit
	bw := bufio.NewWriter(f)
	for j, v := range x {
		fmt.Fprintf(bw, "%s %s\n", m.ColName(j), strconv.FormatFloat(v, 'g', -1, 64))
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return f.Commit()
}
