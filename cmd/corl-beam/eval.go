package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/urfave/cli/v2"

	"github.com/corl-go/corl/eval"
	"github.com/corl-go/corl/internal/cliexit"
	"github.com/corl-go/corl/internal/evalcli"
	"github.com/corl-go/corl/trace"
)

func evalMILPCommand() *cli.Command {
	return &cli.Command{
		Name:  "milp",
		Usage: "corl eval milp as a pipeline: one element per (instance, policy, seed)",
		Description: "Takes corl eval milp's flags (but --workers: the runner decides how many runs go at\n" +
			"once) and the runner's. Writes the same --out and --trace rows and prints the same\n" +
			"table. A run that fails (a malformed MPS file, a HiGHS trap) becomes a row with status\n" +
			"error, named on standard error; the other runs complete. Finished runs are kept in\n" +
			"FILE.beam-parts/ beside --out until the end; --resume runs only what is missing.\n\n" +
			filesHelp("--set, the files a --set list names, --out and --trace") + "\n\n" +
			"Example:\n  corl-beam eval milp --set sets/setcover-easy --branching pscost --highs --out results.parquet",
		Flags:  append(append(evalcli.MILP(), evalcli.Common()...), runnerFlags()...),
		Action: evalMILPAction,
	}
}

func evalMILPAction(c *cli.Context) error {
	if err := checkOptions(c, "set", "out", "trace"); err != nil {
		return err
	}
	ev, err := evalcli.ParseMILPIn(c, setFS{c.Context})
	if err != nil {
		return err
	}
	fn := &evalFn{Env: "milp", MILP: milpSpecOf(ev)}
	results, err := runEval(c, ev.Jobs(), ev.Files, ev.Settings, ev.Before, c.String("out"), c.String("trace"), fn)
	if err != nil {
		return err
	}
	return ev.Report(c.App.Writer, c.Bool("json"), results)
}

func evalMallocCommand() *cli.Command {
	return &cli.Command{
		Name:  "malloc",
		Usage: "corl eval malloc as a pipeline: one element per (instance, policy, seed)",
		Description: "Takes corl eval malloc's flags (but --workers) and the runner's; writes the same\n" +
			"--out rows and prints the same table.\n\n" +
			filesHelp("--set and --out") + "\n\n" +
			"Example:\n  corl-beam eval malloc --set minimalloc/ --policies xla,firstfit,mip --capacity-fraction 0.25",
		Flags:  append(append(evalcli.Malloc(), evalcli.Common()...), runnerFlags()...),
		Action: evalMallocAction,
	}
}

func evalMallocAction(c *cli.Context) error {
	if err := checkOptions(c, "set", "out"); err != nil {
		return err
	}
	ev, err := evalcli.ParseMallocIn(c, setFS{c.Context})
	if err != nil {
		return err
	}
	fn := &evalFn{Env: "malloc", Malloc: mallocSpec{Fraction: ev.Fraction, Alignment: ev.Alignment,
		MIPTimeLimit: ev.Config.MIPTimeLimit, Search: ev.Search, Model: ev.Model, Rollout: ev.Rollout, Offsets: ev.Offsets}}
	results, err := runEval(c, ev.Jobs(), ev.Files, ev.Settings, nil, c.String("out"), "", fn)
	if err != nil {
		return err
	}
	return ev.Report(c.App.Writer, c.Bool("json"), results)
}

// checkOptions checks the runner's flags and passes them to the SDK, and
// checks that the files the flags name are on filesystems corl-beam has.
func checkOptions(c *cli.Context, fileFlags ...string) error {
	if err := setBeamOptions(c); err != nil {
		return err
	}
	for _, f := range fileFlags {
		if err := checkScheme(f, c.String(f)); err != nil {
			return err
		}
	}
	return nil
}

// runEval runs the jobs not yet finished as a pipeline of fn, then writes
// out and tracePath from the parts, in job order, and returns the results.
// Failed runs are error rows, listed on standard error.
func runEval(c *cli.Context, jobs []eval.Job, files []string, settings, before map[string]string, out, tracePath string, fn *evalFn) ([]trace.Result, error) {
	ctx := c.Context
	files, err := absFiles(files)
	if err != nil {
		return nil, cliexit.InputErr(err)
	}
	elems := elements(jobs, files)
	primary := out
	if primary == "" {
		primary = tracePath
	}
	var dir string
	switch {
	case primary != "":
		for _, f := range []string{out, tracePath} {
			if d := filepath.Dir(f); f != "" && !isURL(f) {
				if info, err := os.Stat(d); err != nil || !info.IsDir() {
					return nil, cliexit.InputErr(fmt.Errorf("%s: directory %s does not exist", f, d))
				}
			}
		}
		if dir, err = absPath(primary + ".beam-parts"); err != nil {
			return nil, cliexit.InputErr(err)
		}
	case c.Bool("resume"):
		return nil, cliexit.Usagef("--resume needs the --out (or --trace) of the evaluation to continue")
	case !local(c):
		return nil, cliexit.Usagef("--runner %s: give --out on a filesystem the workers share (a shared mount, or %s); the runs' parts go beside it",
			c.String("runner"), strings.Join(schemeURLs(), " or "))
	default:
		if dir, err = os.MkdirTemp("", "corl-beam-parts-"); err != nil {
			return nil, cliexit.FailedErr(err)
		}
		defer os.RemoveAll(dir)
		if err := os.Remove(dir); err != nil { // openParts makes it
			return nil, cliexit.FailedErr(err)
		}
	}
	settings["trace"] = fmt.Sprint(tracePath != "")
	run, err := openParts(ctx, dir, c.Bool("resume"), partsMeta{Run: "eval-" + time.Now().UTC().Format("20060102T150405"), Jobs: jobsHash(elems), Settings: settings, Before: before})
	if err != nil {
		return nil, err
	}
	fn.Run, fn.Parts = run, dir
	if fn.HiGHS, err = shipModule(local(c)); err != nil {
		return nil, err
	}
	stderr := c.App.ErrWriter
	todo, err := missing(ctx, dir, elems)
	if err != nil {
		return nil, cliexit.InputErr(err)
	}
	if len(todo) > 0 {
		fmt.Fprintf(stderr, "%d runs on %s (%d already finished)\n", len(todo), c.String("runner"), len(elems)-len(todo))
		p, s := beam.NewPipelineWithRoot()
		runAll(s, fn, todo)
		if err := runPipeline(ctx, c, p); err != nil {
			if primary != "" {
				fmt.Fprintf(stderr, "finished runs are kept in %s: continue with the same command and --resume\n", dir)
			}
			return nil, err
		}
	}
	results, steps, failed, err := readParts(ctx, dir, elems, tracePath != "")
	if err != nil {
		return nil, cliexit.FailedErr(err)
	}
	if out != "" {
		if err := writeRows(ctx, out, results); err != nil {
			return nil, cliexit.FailedErr(err)
		}
	}
	if tracePath != "" {
		if err := writeRows(ctx, tracePath, steps); err != nil {
			return nil, cliexit.FailedErr(err)
		}
	}
	if err := removeParts(ctx, dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, cliexit.FailedErr(err)
	}
	for _, f := range failed {
		fmt.Fprintf(stderr, "error row: %s %s: %s\n", f.Instance, f.Policy, f.Err)
	}
	if len(failed) > 0 {
		fmt.Fprintf(stderr, "%d of %d runs failed (status %q in the rows); the others completed\n", len(failed), len(elems), statusError)
	}
	return results, nil
}
