package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/urfave/cli/v2"

	"github.com/corl-go/corl/agents/policy"
	"github.com/corl-go/corl/agents/qmip"
	"github.com/corl-go/corl/envs/bandits"
	"github.com/corl-go/corl/eval"
)

func evalBanditsCommand() *cli.Command {
	return &cli.Command{
		Name:  "bandits",
		Usage: "run coupled restless bandit policies (baselines and trained SEQUOIA agents) on a seeded instance",
		Description: "Draws one instance of --family with --arms J and --budget B from --seed, plays --episodes\n" +
			"episodes of --horizon steps with each policy (the same initial states and randomness for\n" +
			"every policy), and prints the mean and 95% interval of the average expected next-step\n" +
			"reward (SEQUOIA's metric), also normalised to random = 1, and the wall time per step.\n" +
			"With --out or --trace, finished episodes are kept as they finish; --resume continues.\n\n" +
			"A trained agent plays as sequoia:PATH; it must be evaluated on the instance it was trained on\n" +
			"(the same --family, --arms, --budget and --seed as `corl train bandits`); --tighten and\n" +
			"--mip-start choose how it solves each action's MIP, as in `corl train bandits` (the actions\n" +
			"are the same up to ties, only the time per step changes).\n\n" +
			"Examples:\n  corl eval bandits --family capacity --arms 20 --budget 5 --episodes 50\n" +
			"  corl eval bandits --family capacity --arms 20 --budget 5 --seed 1 --policies sequoia:runs/cap/policy.safetensors,myopic,whittle",
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "family", Value: "capacity", Usage: "interventions, scheduling, capacity or path"},
			&cli.IntFlag{Name: "arms", Value: 20, Usage: "number of arms J"},
			&cli.IntFlag{Name: "budget", Value: 5, Usage: "budget B"},
			&cli.StringFlag{Name: "policies", Value: "null,random,sampling,myopic,iterative,whittle", Usage: "comma-separated policies: " + policy.BanditHelp},
			&cli.IntFlag{Name: "episodes", Value: 50, Usage: "evaluation episodes (at least 2)"},
			&cli.IntFlag{Name: "horizon", Value: 20, Usage: "steps per episode (at least 1)"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed of the instance and the episodes"},
			&cli.StringFlag{Name: "network", Usage: "path family only: a connections CSV (station1,station2,...) to draw subgraphs from"},
			&cli.StringFlag{Name: "out", Usage: "write one Parquet row per episode to `FILE`"},
			&cli.StringFlag{Name: "trace", Usage: "write one Parquet row per step to `FILE`"},
		}, append(selectFlags(), evalFlags()...)...),
		Action: evalBanditsAction,
	}
}

func evalBanditsAction(c *cli.Context) error {
	cfg := bandits.Config{Family: c.String("family"), J: c.Int("arms"), B: c.Int("budget")}
	if p := c.String("network"); p != "" {
		if cfg.Family != "path" {
			return usageErr("--network applies to the path family only, not %q", cfg.Family)
		}
		g, err := bandits.LoadNetwork(p)
		if err != nil {
			return inputErr(err)
		}
		cfg.Network = g
	}
	if err := cfg.Validate(); err != nil {
		return usageErr("%v", err)
	}
	episodes, horizon := c.Int("episodes"), c.Int("horizon")
	if episodes < 2 {
		return usageErr("--episodes %d: want at least 2 (for a confidence interval)", episodes)
	}
	if horizon < 1 {
		return usageErr("--horizon %d: want at least 1", horizon)
	}
	if err := checkSelectFlags(c); err != nil {
		return err
	}
	sel := selectConfig(c, 0, 0)
	newPolicy := func(name string) (bandits.Policy, error) { return policy.BanditSelect(name, sel) }
	seed := c.Uint64("seed")
	inst, err := bandits.Generate(cfg, rand.New(rand.NewPCG(seed, 0x1057)))
	if err != nil {
		return usageErr("%v", err)
	}
	names := splitList(c.String("policies"))
	for _, n := range names {
		p, err := newPolicy(n)
		if errors.Is(err, policy.ErrName) {
			return usageErr("--policies: %v", err)
		}
		if err != nil {
			return inputErr(err)
		}
		if q, ok := p.(*qmip.Policy); ok {
			if err := q.Check(inst); err != nil {
				return usageErr("--policies: %v", err)
			}
		}
		bandits.ClosePolicy(p)
	}
	name := fmt.Sprintf("bandits-%s-%d-%d-%d", cfg.Family, cfg.J, cfg.B, seed)
	e, err := startEval(c, c.String("out"), c.String("trace"), map[string]string{
		"family": cfg.Family, "arms": fmt.Sprint(cfg.J), "budget": fmt.Sprint(cfg.B), "horizon": fmt.Sprint(horizon), "network": c.String("network")}, nil)
	if err != nil {
		return err
	}
	play := eval.Bandits{Horizon: horizon, Steps: c.String("trace") != "", Run: e.run, NewPolicy: newPolicy}
	results, err := e.execute(c, eval.BanditJobs(name, names, seed, episodes), func(ctx context.Context, j eval.Job) (eval.Outcome, error) {
		return play.Play(ctx, inst, j)
	})
	if err != nil {
		return err
	}
	rows := eval.SummarizeBandits(cfg.Family, names, eval.Group(results, episodes))
	if c.Bool("json") {
		return printJSON(c.App.Writer, rows)
	}
	fmt.Fprintf(c.App.Writer, "%s, J=%d, B=%d, %d episodes x %d steps, seed %d\n", cfg.Family, cfg.J, cfg.B, episodes, horizon, seed)
	eval.PrintBandits(c.App.Writer, rows)
	return nil
}
