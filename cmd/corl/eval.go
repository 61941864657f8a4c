package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/corl-go/corl/datasets"
	"github.com/corl-go/corl/eval"
	"github.com/corl-go/corl/solver"
	"github.com/corl-go/corl/trace"
)

func evalCommand() *cli.Command {
	return &cli.Command{
		Name:        "eval",
		Usage:       "evaluate policies and baselines on instance sets, with tables",
		Subcommands: []*cli.Command{evalMILPCommand(), evalBanditsCommand(), evalMallocCommand()},
	}
}

// evalFlags are the flags every eval command has.
func evalFlags() []cli.Flag {
	return []cli.Flag{
		&cli.IntFlag{Name: "workers", Value: 1, Usage: "runs at a time, each with its own HiGHS; the default 1 keeps timings free of contention (results are the same for any `N`)"},
		&cli.BoolFlag{Name: "resume", Usage: "continue an interrupted evaluation with the same --out/--trace: finished runs are kept, only the missing ones run"},
		&cli.BoolFlag{Name: "json", Usage: "print the table as JSON"},
	}
}

func evalMILPCommand() *cli.Command {
	return &cli.Command{
		Name:  "milp",
		Usage: "run branching rules (and HiGHS's own MIP solver) on every instance of a set",
		Description: "Solves every .mps/.mps.gz file of --set with corl's branch-and-bound under each rule of\n" +
			"--branching, and with HiGHS's MIP solver when --highs is given, then prints per policy:\n" +
			"instances solved, the 1-shifted geometric means of time (seconds) and of nodes over all\n" +
			"instances, and wins (instances a policy solved fastest). Progress goes to standard error.\n" +
			"Finished runs are kept as they finish (in FILE.parts/ beside --out or --trace); after an\n" +
			"interruption the same command with --resume runs only what is missing.\n\n" +
			"Example:\n  corl eval milp --set sets/setcover-easy --branching relpscost,pscost,fsb --highs --out results.parquet",
		Flags: append(append([]cli.Flag{
			&cli.StringFlag{Name: "set", Usage: "instance `DIR` (required)", Required: true},
			&cli.StringFlag{Name: "branching", Value: "relpscost,pscost,mostfrac", Usage: "comma-separated rules: " + branchingHelp},
			&cli.BoolFlag{Name: "highs", Usage: "also run HiGHS's own branch-and-cut"},
			&cli.Float64Flag{Name: "time-limit", Usage: "per run, in `SECONDS` (0: none)"},
			engineFlag(),
			&cli.StringFlag{Name: "out", Usage: "write one Parquet row per run to `FILE`"},
			&cli.StringFlag{Name: "trace", Usage: "write one Parquet row per branching decision to `FILE`"},
		}, bnbFlags()...), evalFlags()...),
		Action: evalMILPAction,
	}
}

func evalMILPAction(c *cli.Context) error {
	files, err := datasets.InstanceFiles(c.String("set"))
	if err != nil {
		return inputErr(err)
	}
	policies := splitList(c.String("branching"))
	if c.Bool("highs") {
		policies = append(policies, eval.HiGHS)
	}
	if len(policies) == 0 {
		return usageErr("nothing to run: give --branching rules or --highs")
	}
	timeLimit, err := seconds(c, "time-limit")
	if err != nil {
		return err
	}
	bnbCfg, err := bnbConfig(c)
	if err != nil {
		return err
	}
	cfg := eval.MILP{Engine: c.String("engine"), TimeLimit: timeLimit, BnB: bnbCfg, Resolve: brancherFactory, Steps: c.String("trace") != ""}
	if err := cfg.Check(policies, c.Uint64("seed")); err != nil {
		return err // a usage or input error from brancherFactory
	}
	e, err := startEval(c, c.String("out"), c.String("trace"), map[string]string{
		"engine": cfg.Engine, "time_limit": fmt.Sprint(timeLimit), "node_selection": bnbCfg.NodeSelection.String(), "node_limit": fmt.Sprint(bnbCfg.NodeLimit)})
	if err != nil {
		return err
	}
	cfg.Run = e.run
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = filepath.Base(f)
	}
	jobs := eval.InstanceJobs(names, policies, c.Uint64("seed"))
	results, err := e.execute(c, jobs, func(ctx context.Context, j eval.Job) (eval.Outcome, error) {
		m, err := solver.ReadMPSFile(files[j.Episode])
		if err != nil {
			return eval.Outcome{}, inputErr(err)
		}
		return cfg.Solve(ctx, m, j)
	})
	if err != nil {
		return err
	}
	table := eval.SummarizeMILP(policies, eval.Group(results, len(policies)))
	if c.Bool("json") {
		return printJSON(c.App.Writer, table)
	}
	eval.PrintMILP(c.App.Writer, table, len(files))
	return nil
}

// evalSession is what the eval commands share: where finished runs are
// kept, the run's name, and how many run at a time.
type evalSession struct {
	store  *eval.Store // nil without --out and --trace
	run    string
	runner eval.Runner
}

// startEval checks the shared flags and opens the store of finished runs
// (out or tracePath + ".parts"), resuming it with --resume. settings are
// the flags that results depend on beyond the job: a resume with others
// is refused.
func startEval(c *cli.Context, out, tracePath string, settings map[string]string) (*evalSession, error) {
	workers := c.Int("workers")
	if workers < 1 {
		return nil, usageErr("--workers %d: want at least 1", workers)
	}
	e := &evalSession{run: "eval-" + time.Now().UTC().Format("20060102T150405"),
		runner: eval.Runner{Workers: workers, Progress: c.App.ErrWriter}}
	if out == "" && tracePath == "" {
		if c.Bool("resume") {
			return nil, usageErr("--resume needs the --out (or --trace) of the evaluation to continue")
		}
		return e, nil
	}
	store, err := eval.OpenStore(eval.StoreConfig{Out: out, Trace: tracePath, Resume: c.Bool("resume"), Settings: settings})
	var unfinished *eval.UnfinishedError
	var changed *eval.SettingsError
	switch {
	case errors.As(err, &unfinished):
		return nil, usageErr("%s holds %d finished runs of an evaluation that did not finish: continue it with --resume, or remove the directory to start over",
			unfinished.Dir, unfinished.Runs)
	case errors.As(err, &changed):
		return nil, usageErr("--resume: the finished runs in %s were made with %s %s, not %s", changed.Dir, changed.Name, changed.Was, changed.Now)
	case err != nil:
		return nil, inputErr(err)
	}
	if r := store.Run(); r != "" {
		e.run = r
	}
	if n := store.Resumed(); n > 0 {
		fmt.Fprintf(c.App.ErrWriter, "resuming: %d runs already finished in %s\n", n, store.Dir())
	}
	e.store, e.runner.Store = store, store
	return e, nil
}

// execute runs the jobs, then writes --out and --trace. Interrupted, it
// keeps the finished runs and says how to continue.
func (e *evalSession) execute(c *cli.Context, jobs []eval.Job, fn eval.Func) ([]trace.Result, error) {
	results, err := e.runner.Run(c.Context, jobs, fn)
	if errors.Is(err, eval.ErrInterrupted) {
		if e.store == nil {
			return nil, interrupted(c.Context, "no runs were kept (give --out to keep finished runs)")
		}
		return nil, interrupted(c.Context, "%d of %d runs finished and kept in %s: continue with the same command and --resume",
			e.store.Finished(), len(jobs), e.store.Dir())
	}
	if err != nil {
		var ee *exitError
		if !errors.As(err, &ee) {
			err = failedErr(err)
		}
		return nil, err
	}
	if e.store != nil {
		if err := e.store.Finish(jobs); err != nil {
			return nil, failedErr(err)
		}
	}
	return results, nil
}

// seconds reads a duration flag in seconds: a number >= 0, 0 meaning none.
func seconds(c *cli.Context, name string) (float64, error) {
	v := c.Float64(name)
	if !(v >= 0) || math.IsInf(v, 1) {
		return 0, usageErr("--%s %v: want seconds >= 0 (0: none)", name, v)
	}
	return v, nil
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
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
