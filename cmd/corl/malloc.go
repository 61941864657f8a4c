package main

import (
	"context"

	"github.com/urfave/cli/v2"

	"github.com/corl-go/corl/eval"
	"github.com/corl-go/corl/internal/evalcli"
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
		Flags:  append(evalcli.Malloc(), evalFlags()...),
		Action: evalMallocAction,
	}
}

func evalMallocAction(c *cli.Context) error {
	ev, err := evalcli.ParseMalloc(c)
	if err != nil {
		return err
	}
	e, err := startEval(c, c.String("out"), "", ev.Settings, nil)
	if err != nil {
		return err
	}
	play := ev.Config
	play.Run = e.run
	results, err := e.execute(c, ev.Jobs(), func(ctx context.Context, j eval.Job) (eval.Outcome, error) {
		return play.Play(ctx, ev.Instances[j.Episode], j)
	})
	if err != nil {
		return err
	}
	return ev.Report(c.App.Writer, c.Bool("json"), results)
}
