package main

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/urfave/cli/v2"

	"github.com/corl-go/corl/agents/muzero"
	"github.com/corl-go/corl/agents/policy"
	"github.com/corl-go/corl/datasets"
	"github.com/corl-go/corl/envs/malloc"
	"github.com/corl-go/corl/eval"
)

func evalMallocCommand() *cli.Command {
	return &cli.Command{
		Name:  "malloc",
		Usage: "run memory-mapping baselines on allocation instances (CSV)",
		Description: "Reads every .csv of --set (MiniMalloc's id,lower,upper,size, optionally with uses), sets\n" +
			"the fast-memory capacity to --capacity-fraction of each instance's peak live size, and runs\n" +
			"each policy: xla (XLA's order and best fit), firstfit (decreasing size), random, and mip\n" +
			"(the exact optimum with HiGHS, within --mip-time-limit). Prints per instance and on average\n" +
			"the fraction of the total benefit each achieves, the gap to the optimum where the MIP proves\n" +
			"it, time per instance and game steps per second. With --out, finished runs are kept as they\n" +
			"finish; --resume continues.\n\n" +
			"Example:\n  corl eval malloc --set minimalloc/ --policies xla,firstfit,random,mip --capacity-fraction 0.25",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "set", Usage: "directory of allocation CSVs, or one CSV file", Required: true},
			&cli.StringFlag{Name: "policies", Value: "xla,firstfit,random,mip", Usage: "comma-separated policies: " + policy.MallocHelp},
			&cli.StringFlag{Name: "search", Value: "gumbel", Usage: "the search of learned policies: gumbel or puct"},
			&cli.IntFlag{Name: "simulations", Value: 16, Usage: "simulations per move of learned policies"},
			&cli.StringFlag{Name: "model", Value: "learned", Usage: "what muzero:PATH plans with: learned (its dynamics) or true (the game)"},
			&cli.Float64Flag{Name: "capacity-fraction", Value: 0.5, Usage: "fast memory as a fraction of the peak live size, in (0, 1]"},
			&cli.Int64Flag{Name: "alignment", Value: 1, Usage: "offsets are multiples of this many bytes (at least 1)"},
			&cli.Float64Flag{Name: "mip-time-limit", Value: 60, Usage: "seconds per instance for the mip baseline (0: none)"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed of the random baseline"},
			&cli.StringFlag{Name: "out", Aliases: []string{"trace"}, Usage: "write one Parquet row per instance and policy to `FILE`"},
		}, evalFlags()...),
		Action: evalMallocAction,
	}
}

func evalMallocAction(c *cli.Context) error {
	files, err := datasets.AllocationFiles(c.String("set"))
	if err != nil {
		return inputErr(err)
	}
	pols := splitList(c.String("policies"))
	search := muzero.SearchConfig{Algorithm: muzero.Algorithm(c.String("search")), Simulations: c.Int("simulations")}
	if err := search.Validate(); err != nil || search.Simulations < 1 {
		return usageErr("--search %q, --simulations %d: want gumbel or puct, and at least 1", c.String("search"), search.Simulations)
	}
	model := c.String("model")
	if model != muzero.ModelLearned && model != muzero.ModelTrue {
		return usageErr("--model %q: want learned or true", model)
	}
	newPolicy := policy.Malloc(search, model)
	for _, p := range pols {
		if slices.Contains(malloc.Baselines(), p) {
			continue
		}
		if _, err := newPolicy(p); err != nil {
			var ne *policy.NameError
			if errors.As(err, &ne) {
				return usageErr("--policies: %v", err)
			}
			return inputErr(err)
		}
	}
	frac, align := c.Float64("capacity-fraction"), c.Int64("alignment")
	if !(frac > 0 && frac <= 1) {
		return usageErr("--capacity-fraction %v: want a fraction in (0, 1]", frac)
	}
	if align < 1 {
		return usageErr("--alignment %d: want at least 1", align)
	}
	mipLimit, err := seconds(c, "mip-time-limit")
	if err != nil {
		return err
	}
	insts := make([]*malloc.Instance, len(files))
	names := make([]string, len(files))
	for k, f := range files {
		if insts[k], err = datasets.ReadAllocationCSV(f, frac, malloc.DefaultModel); err != nil {
			return inputErr(err)
		}
		insts[k].Alignment = align
		names[k] = insts[k].Name
	}
	e, err := startEval(c, c.String("out"), "", map[string]string{
		"capacity_fraction": fmt.Sprint(frac), "alignment": fmt.Sprint(align), "mip_time_limit": fmt.Sprint(mipLimit)})
	if err != nil {
		return err
	}
	play := eval.Malloc{MIPTimeLimit: mipLimit, Run: e.run, NewPolicy: newPolicy}
	results, err := e.execute(c, eval.InstanceJobs(names, pols, c.Uint64("seed")), func(ctx context.Context, j eval.Job) (eval.Outcome, error) {
		return play.Play(ctx, insts[j.Episode], j)
	})
	if err != nil {
		return err
	}
	rows := eval.SummarizeMalloc(insts, pols, eval.Group(results, len(pols)))
	if c.Bool("json") {
		return printJSON(c.App.Writer, rows)
	}
	eval.PrintMalloc(c.App.Writer, pols, rows, frac)
	return nil
}
