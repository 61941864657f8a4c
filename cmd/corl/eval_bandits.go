package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/corl-go/corl/envs/bandits"
	"github.com/corl-go/corl/trace"
)

func evalBanditsCommand() *cli.Command {
	return &cli.Command{
		Name:  "bandits",
		Usage: "run coupled restless bandit baselines on a seeded instance",
		Description: "Draws one instance of --family with --arms J and --budget B from --seed, plays --episodes\n" +
			"episodes of --horizon steps with each policy (the same initial states and randomness for\n" +
			"every policy), and prints the mean and 95% interval of the average expected next-step\n" +
			"reward (SEQUOIA's metric), also normalised to random = 1, and the mean MIP solve time per\n" +
			"step of MIP policies.\n\n" +
			"Example:\n  corl eval bandits --family capacity --arms 20 --budget 5 --episodes 50",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "family", Value: "capacity", Usage: "interventions, scheduling, capacity or path"},
			&cli.IntFlag{Name: "arms", Value: 20, Usage: "number of arms J"},
			&cli.IntFlag{Name: "budget", Value: 5, Usage: "budget B"},
			&cli.StringFlag{Name: "policies", Value: "null,random,sampling,myopic,iterative,whittle", Usage: "comma-separated baselines"},
			&cli.IntFlag{Name: "episodes", Value: 50, Usage: "evaluation episodes"},
			&cli.IntFlag{Name: "horizon", Value: 20, Usage: "steps per episode"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed of the instance and the episodes"},
			&cli.StringFlag{Name: "network", Usage: "path family: a connections CSV (station1,station2,...) to draw subgraphs from"},
			&cli.StringFlag{Name: "trace", Usage: "write one Parquet row per step to `FILE`"},
			&cli.BoolFlag{Name: "json", Usage: "print the table as JSON"},
		},
		Action: evalBanditsAction,
	}
}

type banditRow struct {
	Policy     string  `json:"policy"`
	Mean       float64 `json:"mean"`
	CI95       float64 `json:"ci95"`
	Normalized float64 `json:"normalized"` // mean / random's mean
	MIPSeconds float64 `json:"mip_seconds_per_step,omitempty"`
	Skipped    string  `json:"skipped,omitempty"`
}

func evalBanditsAction(c *cli.Context) error {
	cfg := bandits.Config{Family: c.String("family"), J: c.Int("arms"), B: c.Int("budget")}
	if p := c.String("network"); p != "" {
		g, err := bandits.LoadNetwork(p)
		if err != nil {
			return inputErr(err)
		}
		cfg.Network = g
	}
	if err := cfg.Validate(); err != nil {
		return usageErr("%v", err)
	}
	if c.Int("episodes") < 2 || c.Int("horizon") < 1 {
		return usageErr("--episodes must be at least 2 and --horizon at least 1")
	}
	names := splitList(c.String("policies"))
	var pols []bandits.Policy
	for _, n := range names {
		p, err := bandits.NewPolicy(n, bandits.PolicyConfig{})
		if err != nil {
			return usageErr("%v", err)
		}
		pols = append(pols, p)
		defer bandits.ClosePolicy(p)
	}
	seed := c.Uint64("seed")
	inst, err := bandits.Generate(cfg, rand.New(rand.NewPCG(seed, 0x1057)))
	if err != nil {
		return usageErr("%v", err)
	}
	var tw *trace.Writer[trace.Step]
	if p := c.String("trace"); p != "" {
		if tw, err = trace.Create(p); err != nil {
			return failedErr(err)
		}
		defer tw.Abort()
	}
	run := fmt.Sprintf("bandits-%s-%d-%d-%d", cfg.Family, cfg.J, cfg.B, seed)
	rows := make([]banditRow, len(pols))
	for k, pol := range pols {
		rows[k].Policy = pol.Name()
		var avgs []float64
		for ep := range c.Int("episodes") {
			avg, err := playBandit(c, inst, pol, seed+uint64(ep), c.Int("horizon"), tw, run, int64(ep))
			if errors.Is(err, bandits.ErrUndefined) {
				rows[k].Skipped = "not defined for " + cfg.Family
				break
			}
			if err != nil {
				return failedErr(fmt.Errorf("%s: %w", pol.Name(), err))
			}
			avgs = append(avgs, avg)
		}
		if len(avgs) > 0 {
			rows[k].Mean, rows[k].CI95 = meanCI(avgs)
		}
		if _, mean, ok := bandits.SolveStats(pol); ok {
			rows[k].MIPSeconds = mean.Seconds()
		}
		fmt.Fprintf(c.App.ErrWriter, "%s: %d episodes done\n", pol.Name(), len(avgs))
	}
	if tw != nil {
		if err := tw.Close(); err != nil {
			return failedErr(err)
		}
	}
	ref := math.NaN()
	for _, r := range rows {
		if r.Policy == "random" {
			ref = r.Mean
		}
	}
	for k := range rows {
		rows[k].Normalized = rows[k].Mean / ref
	}
	if c.Bool("json") {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	fmt.Fprintf(c.App.Writer, "%s, J=%d, B=%d, %d episodes x %d steps, seed %d\n", cfg.Family, cfg.J, cfg.B, c.Int("episodes"), c.Int("horizon"), seed)
	printBandits(c.App.Writer, rows)
	return nil
}

// playBandit plays one episode and returns its average expected reward.
func playBandit(c *cli.Context, inst *bandits.Instance, pol bandits.Policy, seed uint64, horizon int, tw *trace.Writer[trace.Step], run string, ep int64) (float64, error) {
	env, err := bandits.New(inst, horizon)
	if err != nil {
		return 0, err
	}
	obs, err := env.Reset(seed)
	if err != nil {
		return 0, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x9011c7))
	sum := 0.0
	for t := 0; t < horizon; t++ {
		t0 := time.Now()
		a, err := pol.Act(c.Context, obs, rng)
		if err != nil {
			return 0, err
		}
		st, err := env.Step(a)
		if err != nil {
			return 0, err
		}
		info := st.Info.(bandits.StepInfo)
		sum += info.Expected
		obs = st.Obs
		if tw != nil {
			row := trace.Step{Run: run, Env: "bandits-" + inst.Family, Policy: pol.Name(), Instance: run, Episode: ep, Step: int64(t),
				Action: int64(a.Len()), Reward: st.Reward, ValueTarget: trace.Float(info.Expected), Done: st.Done(), Seconds: time.Since(t0).Seconds()}
			if err := tw.Write(row); err != nil {
				return 0, err
			}
		}
	}
	return sum / float64(horizon), nil
}

func meanCI(xs []float64) (mean, ci float64) {
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	if len(xs) < 2 {
		return mean, math.NaN()
	}
	v := 0.0
	for _, x := range xs {
		v += (x - mean) * (x - mean)
	}
	sd := math.Sqrt(v / float64(len(xs)-1))
	return mean, 1.96 * sd / math.Sqrt(float64(len(xs)))
}

func printBandits(w io.Writer, rows []banditRow) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "policy\tmean\t95% CI\tvs random\tMIP s/step\t")
	for _, r := range rows {
		if r.Skipped != "" {
			fmt.Fprintf(tw, "%s\t-\t-\t-\t-\t(%s)\n", r.Policy, r.Skipped)
			continue
		}
		mip := "-"
		if r.MIPSeconds > 0 {
			mip = fmt.Sprintf("%.4f", r.MIPSeconds)
		}
		fmt.Fprintf(tw, "%s\t%.4f\t±%.4f\t%.3f\t%s\t\n", r.Policy, r.Mean, r.CI95, r.Normalized, mip)
	}
	tw.Flush()
}
