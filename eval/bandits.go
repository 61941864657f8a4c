package eval

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"text/tabwriter"
	"time"

	"github.com/corl-go/corl/envs/bandits"
	"github.com/corl-go/corl/trace"
)

// Bandits evaluates coupled restless bandit policies: one run is one
// episode of Horizon steps from the job's seed, with a fresh policy.
type Bandits struct {
	Horizon int    // steps per episode (at least 1)
	Steps   bool   // record one trace.Step per step
	Run     string // the Run column of the rows
	// NewPolicy makes a fresh policy from its name for each run; nil:
	// the baselines of bandits.NewPolicy. Learned policies come in here.
	NewPolicy func(name string) (bandits.Policy, error)
}

// Validate checks the configuration.
func (c Bandits) Validate() error {
	if c.Horizon < 1 {
		return &ConfigError{"Bandits.Horizon", c.Horizon, "at least 1"}
	}
	return nil
}

// Undefined is the status of a run whose policy is not defined for the
// instance's family.
const Undefined = "undefined"

// Play plays one episode of job's policy on inst, the environment reset
// with the job's seed and the policy's randomness drawn from it. The
// result's Score is the episode's average expected next-step reward
// (SEQUOIA's metric), Seconds its wall time, Nodes its steps, and Status
// "done", or Undefined when the policy is not defined for the family.
func (c Bandits) Play(ctx context.Context, inst *bandits.Instance, j Job) (Outcome, error) {
	row := trace.Result{Run: c.Run, Env: "bandits-" + inst.Family, Instance: j.Instance, Policy: j.Policy, Seed: int64(j.Seed),
		Objective: math.NaN(), DualBound: math.NaN(), Gap: math.NaN()}
	newPolicy := c.NewPolicy
	if newPolicy == nil {
		newPolicy = func(name string) (bandits.Policy, error) { return bandits.NewPolicy(name, bandits.PolicyConfig{}) }
	}
	pol, err := newPolicy(j.Policy)
	if err != nil {
		return Outcome{}, err
	}
	defer bandits.ClosePolicy(pol)
	env, err := bandits.New(inst, c.Horizon)
	if err != nil {
		return Outcome{}, err
	}
	start := time.Now()
	obs, err := env.Reset(j.Seed)
	if err != nil {
		return Outcome{}, err
	}
	rng := rand.New(rand.NewPCG(j.Seed, 0x9011c7))
	var steps []trace.Step
	sum := 0.0
	for t := range c.Horizon {
		t0 := time.Now()
		a, err := pol.Act(ctx, obs, rng)
		if errors.Is(err, bandits.ErrUndefined) {
			row.Status = Undefined
			return Outcome{Result: row}, nil
		}
		if err != nil {
			return Outcome{}, err
		}
		st, err := env.Step(a)
		if err != nil {
			return Outcome{}, err
		}
		info := st.Info.(bandits.StepInfo)
		sum += info.Expected
		obs = st.Obs
		if c.Steps {
			steps = append(steps, trace.Step{Run: c.Run, Env: row.Env, Policy: j.Policy, Instance: j.Instance, Episode: j.Episode, Step: int64(t),
				Action: int64(a.Len()), Reward: st.Reward, ValueTarget: trace.Float(info.Expected), Done: st.Done(), Seconds: time.Since(t0).Seconds()})
		}
	}
	row.Status, row.Score, row.Nodes, row.Seconds = "done", sum/float64(c.Horizon), int64(c.Horizon), time.Since(start).Seconds()
	return Outcome{Result: row, Steps: steps}, nil
}

// BanditJobs lists the jobs of a bandit evaluation, policy-major: each
// policy plays episodes 0..episodes-1, episode e from seed + e, so every
// policy meets the same initial states and randomness.
func BanditJobs(instance string, policies []string, seed uint64, episodes int) []Job {
	jobs := make([]Job, 0, len(policies)*episodes)
	for _, p := range policies {
		for e := range episodes {
			jobs = append(jobs, Job{Instance: instance, Policy: p, Seed: seed + uint64(e), Episode: int64(e)})
		}
	}
	return jobs
}

// BanditRow is one policy's line of the bandit table.
type BanditRow struct {
	Policy         string  `json:"policy"`
	Mean           float64 `json:"mean"`
	CI95           float64 `json:"ci95"`
	Normalized     float64 `json:"normalized"` // Mean / random's Mean
	SecondsPerStep float64 `json:"seconds_per_step"`
	Skipped        string  `json:"skipped,omitempty"`
}

// SummarizeBandits makes the table from results given per policy (the
// order of policies) and per episode. A policy undefined for the family
// is skipped (its numbers are 0); means are normalised to the policy
// named "random" (0 without it).
func SummarizeBandits(family string, policies []string, results [][]trace.Result) []BanditRow {
	rows := make([]BanditRow, len(policies))
	ref := math.NaN()
	for p, name := range policies {
		rows[p].Policy = name
		var scores []float64
		secs, steps := 0.0, int64(0)
		for _, r := range results[p] {
			if r.Status == Undefined {
				rows[p].Skipped = "not defined for " + family
				scores = nil
				break
			}
			scores = append(scores, r.Score)
			secs, steps = secs+r.Seconds, steps+r.Nodes
		}
		if rows[p].Skipped != "" {
			continue
		}
		rows[p].Mean, rows[p].CI95 = MeanCI(scores)
		rows[p].SecondsPerStep = secs / float64(steps)
		if name == "random" {
			ref = rows[p].Mean
		}
	}
	for p := range rows {
		if rows[p].Skipped == "" && !math.IsNaN(ref) {
			rows[p].Normalized = rows[p].Mean / ref
		}
	}
	return rows
}

// PrintBandits writes the table.
func PrintBandits(w io.Writer, rows []BanditRow) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "policy\tmean\t95% CI\tvs random\ts/step\t")
	for _, r := range rows {
		if r.Skipped != "" {
			fmt.Fprintf(tw, "%s\t-\t-\t-\t-\t(%s)\n", r.Policy, r.Skipped)
			continue
		}
		fmt.Fprintf(tw, "%s\t%.4f\t±%.4f\t%.3f\t%.5f\t\n", r.Policy, r.Mean, r.CI95, r.Normalized, r.SecondsPerStep)
	}
	tw.Flush()
}
