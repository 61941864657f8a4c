package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/corl-go/corl/trace/plot"
)

func plotCommand() *cli.Command {
	return &cli.Command{
		Name:        "plot",
		Usage:       "draw charts (PNG or SVG) of training traces and evaluation results",
		Subcommands: []*cli.Command{plotTrainCommand(), plotEvalCommand()},
	}
}

func plotFlags(outUsage string) []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "out", Usage: outUsage},
		&cli.StringFlag{Name: "format", Value: "png", Usage: "chart file `FORMAT`: png or svg"},
	}
}

func plotTrainCommand() *cli.Command {
	return &cli.Command{
		Name:      "train",
		Usage:     "plot loss, accuracy and return against the epoch from a training trace",
		ArgsUsage: "RUN_DIR | TRACE.parquet",
		Description: "Reads a training trace (Parquet rows of trace.Train: RUN_DIR/trace/train.parquet of a\n" +
			"`corl train` run, or the file itself) and writes one chart per file into --out:\n" +
			"  loss      the loss of each phase (train, valid, eval) against the epoch\n" +
			"  accuracy  top-1 and top-5 accuracy per phase, where the trace has them\n" +
			"  return    the mean episode return per phase, where the trace has it\n" +
			"When a trace has several rows per epoch the x axis is the optimizer step instead; rows\n" +
			"repeated by a resumed run count once. The paths written are printed, one per line.\n\n" +
			"Examples:\n" +
			"  corl plot train runs/sc                          # writes runs/sc/plots/loss.png, ...\n" +
			"  corl plot train runs/sc/trace/train.parquet --out figs --format svg",
		Flags:  plotFlags("write the charts into `DIR` (created if missing; default RUN_DIR/plots for a run directory)"),
		Action: plotTrainAction,
	}
}

func plotEvalCommand() *cli.Command {
	return &cli.Command{
		Name:      "eval",
		Usage:     "plot instances solved over time and performance profiles from evaluation results",
		ArgsUsage: "RESULTS.parquet | RUN_DIR",
		Description: "Reads the results of `corl eval ... --out RESULTS.parquet` (Parquet rows of\n" +
			"trace.Result; or RUN_DIR/trace/eval.parquet of a `corl train` run) and writes into --out:\n" +
			"  solved-over-time  the share of instances each policy solved (status optimal or\n" +
			"                    infeasible) within t seconds, against t on a log scale\n" +
			"  profile-nodes     Dolan-Moré performance profiles: for each policy, the share of\n" +
			"  profile-time      instances whose nodes (time) are within a factor tau of the best\n" +
			"                    policy's on that instance, against tau; unsolved runs never count\n" +
			"Instances are the distinct (instance, seed) pairs; each policy may have one row per\n" +
			"instance. The paths written are printed, one per line.\n\n" +
			"Example:\n" +
			"  corl eval milp --set sets/sc --branching relpscost,pscost --highs --out results.parquet\n" +
			"  corl plot eval results.parquet --out plots",
		Flags:  plotFlags("write the charts into `DIR` (created if missing; default RUN_DIR/plots for a run directory)"),
		Action: plotEvalAction,
	}
}

// plotInput resolves the argument of a plot command: a file, or a run
// directory holding trace/NAME. It returns the file and the output
// directory (--out, or RUN_DIR/plots).
func plotInput(c *cli.Context, name string) (file, out string, err error) {
	if c.NArg() != 1 {
		return "", "", usageErr("plot %s takes one argument (see `corl plot %s --help`)", c.Command.Name, c.Command.Name)
	}
	arg, out := c.Args().First(), c.String("out")
	info, err := os.Stat(arg)
	if err != nil {
		return "", "", inputErr(err)
	}
	file = arg
	if info.IsDir() {
		file = filepath.Join(arg, "trace", name)
		if _, err := os.Stat(file); err != nil {
			return "", "", inputErr(fmt.Errorf("%s is not a run directory: no trace/%s in it", arg, name))
		}
		if out == "" {
			out = filepath.Join(arg, "plots")
		}
	}
	if out == "" {
		return "", "", usageErr("--out DIR is required unless the argument is a run directory")
	}
	return file, out, nil
}

func plotFormat(c *cli.Context) (string, error) {
	f := strings.ToLower(c.String("format"))
	for _, ok := range plot.Formats {
		if f == ok {
			return f, nil
		}
	}
	return "", usageErr("--format %q: want %s", c.String("format"), strings.Join(plot.Formats, " or "))
}

func plotTrainAction(c *cli.Context) error {
	format, err := plotFormat(c)
	if err != nil {
		return err
	}
	file, out, err := plotInput(c, "train.parquet")
	if err != nil {
		return err
	}
	rows, err := plot.ReadTrain(file)
	if err != nil {
		return inputErr(err)
	}
	paths, err := plot.TrainingCurves(rows, out, format)
	return plotDone(c, file, paths, err)
}

func plotEvalAction(c *cli.Context) error {
	format, err := plotFormat(c)
	if err != nil {
		return err
	}
	file, out, err := plotInput(c, "eval.parquet")
	if err != nil {
		return err
	}
	rows, err := plot.ReadResults(file)
	if err != nil {
		return inputErr(err)
	}
	paths, err := plot.EvalPlots(rows, out, format)
	return plotDone(c, file, paths, err)
}

// plotDone prints the paths written and classifies an error: the rows'
// fault is an input error (naming the file), writing is a failure.
func plotDone(c *cli.Context, file string, paths []string, err error) error {
	for _, p := range paths {
		fmt.Fprintln(c.App.Writer, p)
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, plot.ErrNoRows), errors.Is(err, plot.ErrDuplicate):
		return inputErr(fmt.Errorf("%s: %w", file, err))
	}
	return failedErr(err)
}
