package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/corl-go/corl/eval"
	"github.com/corl-go/corl/internal/evalcli"
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
	return append([]cli.Flag{evalcli.Workers()}, evalcli.Common()...)
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
		Flags:  append(evalcli.MILP(), evalFlags()...),
		Action: evalMILPAction,
	}
}

func evalMILPAction(c *cli.Context) error {
	ev, err := evalcli.ParseMILP(c)
	if err != nil {
		return err
	}
	e, err := startEval(c, c.String("out"), c.String("trace"), ev.Settings, ev.Before)
	if err != nil {
		return err
	}
	cfg := ev.Config
	cfg.Run = e.run
	results, err := e.execute(c, ev.Jobs(), func(ctx context.Context, j eval.Job) (eval.Outcome, error) {
		m, err := solver.ReadMPSFile(ev.Files[j.Episode])
		if err != nil {
			return eval.Outcome{}, inputErr(err)
		}
		return cfg.Solve(ctx, m, j)
	})
	if err != nil {
		return err
	}
	return ev.Report(c.App.Writer, c.Bool("json"), results)
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
func startEval(c *cli.Context, out, tracePath string, settings, before map[string]string) (*evalSession, error) {
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
	store, err := eval.OpenStore(eval.StoreConfig{Out: out, Trace: tracePath, Resume: c.Bool("resume"), Settings: settings, Before: before})
	var unfinished *eval.UnfinishedError
	var changed *eval.SettingsError
	switch {
	case errors.As(err, &unfinished):
		return nil, usageErr("%s holds %d finished runs of an evaluation that did not finish: continue it with --resume, or remove the directory to start over",
			unfinished.Dir, unfinished.Runs)
	case errors.As(err, &changed):
		return nil, evalcli.SettingsUsage("corl", changed)
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
	v, err := evalcli.Seconds(c, name)
	return v, err
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func splitList(s string) []string { return evalcli.SplitList(s) }
