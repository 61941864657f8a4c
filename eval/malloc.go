package eval

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/corl-go/corl/envs/malloc"
	"github.com/corl-go/corl/trace"
)

// Malloc evaluates memory-mapping baselines (malloc.Baselines) on
// allocation instances. The zero value gives the MIP no time limit.
type Malloc struct {
	MIPTimeLimit float64 // seconds per instance for the mip baseline (0: none)
	Run          string  // the Run column of the rows
	// NewPolicy resolves a name that is not a baseline to a policy
	// (agents/policy.Malloc resolves muzero:PATH); nil: baselines only.
	NewPolicy func(name string) (MallocPolicy, error)
}

// MallocPolicy is a learned memory-mapping policy: it maps an instance,
// its randomness (if any) drawn from seed.
type MallocPolicy interface {
	Play(ctx context.Context, in *malloc.Instance, seed uint64) (malloc.Result, error)
}

// Validate checks the configuration.
func (c Malloc) Validate() error {
	if !(c.MIPTimeLimit >= 0) || math.IsInf(c.MIPTimeLimit, 1) {
		return &ConfigError{"Malloc.MIPTimeLimit", c.MIPTimeLimit, "a number of seconds >= 0 (0: none)"}
	}
	return nil
}

// UnknownPolicyError: a policy name the evaluation does not know.
type UnknownPolicyError struct {
	Name string
	Want []string
}

func (e *UnknownPolicyError) Error() string {
	return fmt.Sprintf("eval: unknown policy %q (want %s)", e.Name, strings.Join(e.Want, ", "))
}

// Play runs job's baseline (or, through NewPolicy, a learned policy) on in. The result's Score is the fraction of
// the total benefit achieved, Objective the benefit, DualBound the MIP's
// bound on the fraction (mip), Nodes the game steps played (heuristics),
// and Status "optimal" when the MIP proved it, "feasible" otherwise.
func (c Malloc) Play(ctx context.Context, in *malloc.Instance, j Job) (Outcome, error) {
	var r malloc.Result
	var err error
	if c.NewPolicy != nil && !slices.Contains(malloc.Baselines(), j.Policy) {
		var p MallocPolicy
		if p, err = c.NewPolicy(j.Policy); err != nil {
			return Outcome{}, err
		}
		r, err = p.Play(ctx, in, j.Seed)
	} else {
		r, err = malloc.RunBaseline(ctx, in, j.Policy, j.Seed, malloc.MIPConfig{TimeLimit: time.Duration(c.MIPTimeLimit * float64(time.Second))})
	}
	if err != nil {
		return Outcome{}, err
	}
	status := "feasible"
	if r.Optimal {
		status = "optimal"
	}
	return Outcome{Result: trace.Result{Run: c.Run, Env: "malloc", Instance: in.Name, Policy: j.Policy, Seed: int64(j.Seed),
		Status: status, Objective: r.Benefit, DualBound: r.Bound, Gap: math.NaN(), Seconds: r.Seconds, Score: r.Fraction, Nodes: int64(r.Steps)}}, nil
}

// MallocRow is one instance's line of the memory-mapping table.
type MallocRow struct {
	Instance    string             `json:"instance"`
	Buffers     int                `json:"buffers"`
	Capacity    int64              `json:"capacity"`
	Fraction    map[string]float64 `json:"fraction"`
	Seconds     map[string]float64 `json:"seconds"`
	StepsPerSec map[string]float64 `json:"steps_per_second,omitempty"`
	Optimum     *float64           `json:"optimum,omitempty"` // proved by the MIP
	MIPBound    *float64           `json:"mip_bound,omitempty"`
	Gap         map[string]float64 `json:"gap_to_optimum,omitempty"` // (optimum - fraction) / optimum, where proved
}

// SummarizeMalloc makes the table from results given per instance and
// per policy (the order of the policies' names).
func SummarizeMalloc(insts []*malloc.Instance, policies []string, results [][]trace.Result) []MallocRow {
	rows := make([]MallocRow, len(insts))
	for k, in := range insts {
		row := MallocRow{Instance: in.Name, Buffers: len(in.Buffers), Capacity: in.Capacity,
			Fraction: map[string]float64{}, Seconds: map[string]float64{}, StepsPerSec: map[string]float64{}}
		for p, r := range results[k] {
			name := policies[p]
			row.Fraction[name], row.Seconds[name] = r.Score, r.Seconds
			if r.Nodes > 0 && r.Seconds > 0 {
				row.StepsPerSec[name] = float64(r.Nodes) / r.Seconds
			}
			if name == "mip" {
				b := r.DualBound
				row.MIPBound = &b
				if r.Status == "optimal" {
					v := r.Score
					row.Optimum = &v
				}
			}
		}
		if opt := row.Optimum; opt != nil && *opt > 0 {
			row.Gap = map[string]float64{}
			for name, f := range row.Fraction {
				row.Gap[name] = GapTo(*opt, f)
			}
		}
		rows[k] = row
	}
	return rows
}

// GapTo is the relative gap of a value below a positive optimum,
// (optimum - v) / optimum.
func GapTo(optimum, v float64) float64 { return (optimum - v) / optimum }

// PrintMalloc writes the table; frac is the capacity as a fraction of the
// peak live size.
func PrintMalloc(w io.Writer, policies []string, rows []MallocRow, frac float64) {
	fmt.Fprintf(w, "fraction of the total benefit achieved, capacity %.0f%% of peak live size\n", 100*frac)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "instance\tbuffers\t%s\toptimum\t\n", strings.Join(policies, "\t"))
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%d\t", r.Instance, r.Buffers)
		for _, p := range policies {
			fmt.Fprintf(tw, "%.4f\t", r.Fraction[p])
		}
		switch {
		case r.Optimum != nil:
			fmt.Fprintf(tw, "%.4f\t\n", *r.Optimum)
		case r.MIPBound != nil:
			fmt.Fprintf(tw, "<= %.4f\t\n", *r.MIPBound)
		default:
			fmt.Fprint(tw, "-\t\n")
		}
	}
	perPolicy := func(label, format string, scale float64, get func(MallocRow) map[string]float64) {
		fmt.Fprintf(tw, "%s\t\t", label)
		for _, p := range policies {
			sum, n := 0.0, 0
			for _, r := range rows {
				if v, ok := get(r)[p]; ok {
					sum, n = sum+v, n+1
				}
			}
			if n > 0 {
				fmt.Fprintf(tw, format+"\t", scale*sum/float64(n))
			} else {
				fmt.Fprint(tw, "-\t")
			}
		}
		fmt.Fprintln(tw, "\t")
	}
	perPolicy("mean", "%.4f", 1, func(r MallocRow) map[string]float64 { return r.Fraction })
	perPolicy("gap to optimum", "%.2f%%", 100, func(r MallocRow) map[string]float64 { return r.Gap })
	perPolicy("s/instance", "%.4f", 1, func(r MallocRow) map[string]float64 { return r.Seconds })
	perPolicy("steps/s", "%.0f", 1, func(r MallocRow) map[string]float64 { return r.StepsPerSec })
	tw.Flush()
	proved := 0
	for _, r := range rows {
		if r.Optimum != nil {
			proved++
		}
	}
	fmt.Fprintf(w, "the MIP proved the optimum on %d of %d instances; gap to optimum is the mean over those\n", proved, len(rows))
}
