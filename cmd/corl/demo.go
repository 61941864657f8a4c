package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/urfave/cli/v2"

	"github.com/corl-go/corl/agents/revibranch"
	"github.com/corl-go/corl/agents/train"
)

// The demo's run: small set-cover instances, so that collection, training
// and evaluation finish in a few minutes on two cores.
func demoConfig(c *cli.Context) trainMILPConfig {
	return trainMILPConfig{
		Agent: "il", Family: "setcover", Size: "easy", Params: map[string]float64{"rows": 150, "cols": 300},
		Instances: c.Int("instances"), Samples: c.Int("samples"), ExpertProb: 0.1, EpisodeNodeLimit: 20000,
		Train:         revibranch.TrainConfig{Epochs: c.Int("epochs"), BatchSize: 16, LR: 1e-3, Dim: 32, Patience: 4, EarlyStop: 8, Seed: c.Uint64("seed")},
		EvalInstances: c.Int("eval-instances"), EvalSize: "easy", EvalBranching: []string{"mostfrac", "pscost", "relpscost"},
		EvalHighs: true, EvalTimeLimit: 60, Seed: c.Uint64("seed"), Engine: c.String("engine"),
		Workers: runtime.GOMAXPROCS(0), GOMAXPROCS: runtime.GOMAXPROCS(0), Version: version,
	}
}

func demoCommand() *cli.Command {
	return &cli.Command{
		Name:  "demo",
		Usage: "learn to branch end to end on small generated set-cover instances, then compare with the rules and HiGHS",
		Description: "The toolkit's main job on embedded defaults, in a few minutes on a 2-core machine:\n" +
			"generates 150x300 set-cover instances, collects strong-branching decisions from corl's\n" +
			"branch-and-bound, trains a graph network to imitate them, and evaluates the learned policy\n" +
			"against mostfrac, pscost, relpscost and HiGHS's own MIP solver on held-out instances. It\n" +
			"prints the table and writes the run (policy, traces, plots, summary.md) to --out.\n" +
			"It is `corl train milp` with fixed settings; run it again to resume or to re-evaluate.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Value: "corl-demo", Usage: "run `DIR`"},
			&cli.IntFlag{Name: "instances", Value: 40, Usage: "training instances"},
			&cli.IntFlag{Name: "samples", Value: 800, Usage: "expert samples"},
			&cli.IntFlag{Name: "epochs", Value: 12, Usage: "training epochs at most"},
			&cli.IntFlag{Name: "eval-instances", Value: 10, Usage: "held-out instances"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed"},
			engineFlag(),
		},
		Action: func(c *cli.Context) error {
			cfg := demoConfig(c)
			switch {
			case cfg.Instances < 1:
				return usageErr("--instances must be at least 1, got %d", cfg.Instances)
			case cfg.Samples < 2:
				return usageErr("--samples must be at least 2, got %d", cfg.Samples)
			case cfg.Train.Epochs < 1:
				return usageErr("--epochs must be at least 1, got %d", cfg.Train.Epochs)
			case cfg.EvalInstances < 0:
				return usageErr("--eval-instances must not be negative, got %d", cfg.EvalInstances)
			}
			if err := checkTrainMILP(cfg); err != nil {
				return err
			}
			out := c.String("out")
			if _, statErr := os.Stat(filepath.Join(out, "config.json")); statErr == nil {
				var rec trainMILPConfig
				dir, err := train.Open(out, &rec)
				if err != nil {
					return inputErr(err)
				}
				if err := train.SameConfig(rec, cfg, "workers", "gomaxprocs", "corl_version"); err != nil {
					return usageErr("%s holds another run (%v): choose another --out", out, err)
				}
				fmt.Fprintf(c.App.ErrWriter, "demo: continuing the run in %s\n", out)
				if err := resumeTrainMILP(c.Context, dir, rec, cfg, false, c.App.Writer, c.App.ErrWriter); err != nil {
					return err
				}
			} else {
				in, err := loadTrainInputs(c.Context, cfg, false, c.App.ErrWriter)
				if err != nil {
					return err
				}
				dir, err := train.Create(out, cfg)
				if err != nil {
					return failedErr(err)
				}
				if err := runTrainMILP(c.Context, dir, cfg, in, c.App.Writer, c.App.ErrWriter); err != nil {
					return err
				}
			}
			fmt.Fprintf(c.App.Writer, "\nrun: %s (summary.md, plots/, policy.safetensors)\n", out)
			fmt.Fprintf(c.App.Writer, "use the policy: corl solve --bnb --branching gnn:%s model.mps\n", filepath.Join(out, revibranch.BestPolicyFile))
			return nil
		},
	}
}
