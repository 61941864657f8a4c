package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/corl-go/corl/datasets"
	"github.com/corl-go/corl/solver"
	"github.com/corl-go/corl/solver/bnb"
	"github.com/corl-go/corl/solver/highs"
	"github.com/corl-go/corl/trace"
)

func evalCommand() *cli.Command {
	return &cli.Command{
		Name:        "eval",
		Usage:       "evaluate policies and baselines on instance sets, with tables",
		Subcommands: []*cli.Command{evalMILPCommand(), evalBanditsCommand(), evalMallocCommand()},
	}
}

func evalMILPCommand() *cli.Command {
	return &cli.Command{
		Name:  "milp",
		Usage: "run branching rules (and HiGHS's own MIP solver) on every instance of a set",
		Description: "Solves every .mps/.mps.gz file of --set with corl's branch-and-bound under each rule of\n" +
			"--branching, and with HiGHS's MIP solver when --highs is given, then prints per policy:\n" +
			"instances solved, the 1-shifted geometric means of time (seconds) and of nodes over all\n" +
			"instances, and wins (instances a policy solved fastest). Progress goes to standard error.\n\n" +
			"Example:\n  corl eval milp --set sets/setcover-easy --branching relpscost,pscost,fsb --highs --out results.parquet",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "set", Usage: "instance `DIR` (required)", Required: true},
			&cli.StringFlag{Name: "branching", Value: "relpscost,pscost,mostfrac", Usage: "comma-separated rules: " + branchingHelp},
			&cli.BoolFlag{Name: "highs", Usage: "also run HiGHS's own branch-and-cut"},
			&cli.Float64Flag{Name: "time-limit", Usage: "per run, in `SECONDS` (0: none)"},
			engineFlag(),
			&cli.StringFlag{Name: "out", Usage: "write one Parquet row per run to `FILE`"},
			&cli.StringFlag{Name: "trace", Usage: "write one Parquet row per branching decision to `FILE`"},
			&cli.BoolFlag{Name: "json", Usage: "print the table as JSON"},
		}, bnbFlags()...),
		Action: evalMILPAction,
	}
}

// evalRow is one policy's line of the table.
type evalRow struct {
	Policy    string  `json:"policy"`
	Solved    int     `json:"solved"`
	Instances int     `json:"instances"`
	TimeSGM   float64 `json:"time_sgm_seconds"`
	NodesSGM  float64 `json:"nodes_sgm"`
	Wins      int     `json:"wins"`
	TotalTime float64 `json:"total_seconds"`
	Disagree  int     `json:"disagreements"` // solved instances whose optimum differs from the others'
}

func evalMILPAction(c *cli.Context) error {
	files, err := datasets.InstanceFiles(c.String("set"))
	if err != nil {
		return inputErr(err)
	}
	rules := splitList(c.String("branching"))
	for _, r := range rules {
		if _, err := brancherFactory(r, 1); err != nil {
			return err
		}
	}
	policies := append([]string{}, rules...)
	if c.Bool("highs") {
		policies = append(policies, "highs")
	}
	if len(policies) == 0 {
		return usageErr("nothing to run: give --branching rules or --highs")
	}
	cfg, err := bnbConfig(c)
	if err != nil {
		return err
	}
	var out *trace.Writer[trace.Result]
	if p := c.String("out"); p != "" {
		if out, err = trace.CreateOf[trace.Result](p); err != nil {
			return failedErr(err)
		}
		defer out.Abort()
	}
	var steps *trace.Writer[trace.Step]
	if p := c.String("trace"); p != "" {
		if steps, err = trace.Create(p); err != nil {
			return failedErr(err)
		}
		defer steps.Abort()
	}
	runID := "eval-" + time.Now().UTC().Format("20060102T150405")
	opts := evalOpts{engine: c.String("engine"), timeLimit: c.Float64("time-limit"), seed: c.Uint64("seed"), cfg: cfg, steps: steps, out: out, runID: runID}
	load := func(i int) (*solver.Model, string, error) {
		m, err := solver.ReadMPSFile(files[i])
		if err != nil {
			return nil, "", inputErr(err)
		}
		return m, filepath.Base(files[i]), nil
	}
	results, err := evalMILP(c.Context, len(files), load, policies, opts, c.App.ErrWriter)
	if err != nil {
		return err
	}
	if out != nil {
		if err := out.Close(); err != nil {
			return failedErr(err)
		}
	}
	if steps != nil {
		if err := steps.Close(); err != nil {
			return failedErr(err)
		}
	}
	table := summarizeEval(policies, results)
	if c.Bool("json") {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		return enc.Encode(table)
	}
	printEval(c.App.Writer, table, len(files))
	return nil
}

// evalOpts are the settings of one evaluation.
type evalOpts struct {
	engine    string
	timeLimit float64 // per run, seconds (0: none)
	seed      uint64
	cfg       bnb.Config
	steps     *trace.Writer[trace.Step] // per-decision rows, or nil
	out       *trace.Writer[trace.Result]
	runID     string
}

// evalMILP runs every policy on each of n instances (load gives instance
// i and its name) and returns the results per instance, per policy.
// Progress lines go to log.
func evalMILP(ctx context.Context, n int, load func(i int) (*solver.Model, string, error), policies []string, o evalOpts, log io.Writer) ([][]trace.Result, error) {
	results := make([][]trace.Result, n) // per instance, per policy
	total := n * len(policies)
	done := 0
	for i := range n {
		m, inst, err := load(i)
		if err != nil {
			return nil, err
		}
		for _, pol := range policies {
			r, err := evalOne(ctx, m, inst, pol, o, int64(i))
			if err != nil {
				return nil, err
			}
			results[i] = append(results[i], r)
			if o.out != nil {
				if err := o.out.Write(r); err != nil {
					return nil, failedErr(err)
				}
			}
			done++
			fmt.Fprintf(log, "[%d/%d] %s %s: %s, %d nodes, %.3fs\n", done, total, inst, pol, r.Status, r.Nodes, r.Seconds)
		}
		if err := ctx.Err(); err != nil {
			return nil, failedErr(err)
		}
	}
	return results, nil
}

func evalOne(ctx context.Context, m *solver.Model, inst, pol string, o evalOpts, episode int64) (trace.Result, error) {
	if o.timeLimit > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(o.timeLimit*float64(time.Second)))
		defer cancel()
	}
	row := trace.Result{Run: o.runID, Env: "milp", Instance: inst, Policy: pol, Seed: int64(o.seed)}
	if pol == "highs" {
		s, err := highs.New(highs.Config{Runtime: o.engine})
		if err != nil {
			return row, failedErr(err)
		}
		defer s.Close()
		if err := s.Load(m); err != nil {
			return row, failedErr(err)
		}
		start := time.Now()
		st, err := s.Solve(ctx)
		if err != nil && st != solver.StatusTimeLimit {
			return row, failedErr(err)
		}
		row.Seconds = time.Since(start).Seconds()
		res, err := collect(s, m, st)
		if err != nil {
			return row, failedErr(err)
		}
		row.Status, row.Nodes, row.LPIterations = res.Status, res.Nodes, res.LPIterations
		row.Objective, row.DualBound, row.Gap = orNaN(res.Objective), orNaN(res.DualBound), orNaN(res.Gap)
		return row, nil
	}
	run := bnbRun{engine: o.engine, rule: pol, seed: o.seed, cfg: o.cfg, tw: o.steps, run: o.runID, instance: inst, episode: episode}
	res, err := run.solve(ctx, m, nil)
	if err != nil {
		return row, err
	}
	row.Status, row.Nodes, row.LPIterations, row.Seconds = res.Status.String(), res.Stats.Nodes, res.Stats.LPIterations, res.Stats.Time.Seconds()
	row.Objective, row.DualBound, row.Gap = res.Objective, res.Stats.DualBound, res.Stats.Gap
	if math.IsInf(row.Objective, 0) {
		row.Objective = math.NaN()
	}
	return row, nil
}

func orNaN(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func solved(r trace.Result) bool { return r.Status == "optimal" || r.Status == "infeasible" }

// shiftedGeoMean is exp(mean(log(x + s))) - s.
func shiftedGeoMean(xs []float64, s float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	sum := 0.0
	for _, x := range xs {
		sum += math.Log(x + s)
	}
	return math.Exp(sum/float64(len(xs))) - s
}

func summarizeEval(policies []string, results [][]trace.Result) []evalRow {
	rows := make([]evalRow, len(policies))
	times := make([][]float64, len(policies))
	nodes := make([][]float64, len(policies))
	for p, name := range policies {
		rows[p].Policy = name
	}
	for _, inst := range results {
		best, bestT := -1, math.Inf(1)
		ref, haveRef := 0.0, false
		for p, r := range inst {
			rows[p].Instances++
			rows[p].TotalTime += r.Seconds
			times[p] = append(times[p], r.Seconds)
			nodes[p] = append(nodes[p], float64(r.Nodes))
			if !solved(r) {
				continue
			}
			rows[p].Solved++
			if r.Seconds < bestT {
				best, bestT = p, r.Seconds
			}
			if r.Status == "optimal" && !haveRef {
				ref, haveRef = r.Objective, true
			}
		}
		if best >= 0 {
			rows[best].Wins++
		}
		for p, r := range inst {
			if r.Status == "optimal" && haveRef && math.Abs(r.Objective-ref) > 1e-6*math.Max(1, math.Abs(ref)) {
				rows[p].Disagree++
			}
		}
	}
	for p := range rows {
		rows[p].TimeSGM = shiftedGeoMean(times[p], 1)
		rows[p].NodesSGM = shiftedGeoMean(nodes[p], 1)
	}
	return rows
}

func printEval(w io.Writer, rows []evalRow, n int) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "policy\tsolved\ttime sgm (s)\tnodes sgm\twins\ttotal time (s)\t")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%d/%d\t%.3f\t%.1f\t%d\t%.2f\t\n", r.Policy, r.Solved, n, r.TimeSGM, r.NodesSGM, r.Wins, r.TotalTime)
	}
	tw.Flush()
	for _, r := range rows {
		if r.Disagree > 0 {
			fmt.Fprintf(w, "warning: %s's optimum differs from the other policies' on %d instances\n", r.Policy, r.Disagree)
		}
	}
	fmt.Fprintln(w, "sgm: 1-shifted geometric mean over all instances (unsolved ones at their limit); highs nodes are HiGHS's own B&C nodes")
}
