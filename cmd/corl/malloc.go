package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/corl-go/corl/datasets"
	"github.com/corl-go/corl/envs/malloc"
	"github.com/corl-go/corl/trace"
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
			"it, time per instance and game steps per second.\n\n" +
			"Example:\n  corl eval malloc --set minimalloc/ --policies xla,firstfit,random,mip --capacity-fraction 0.25",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "set", Usage: "directory of allocation CSVs, or one CSV file", Required: true},
			&cli.StringFlag{Name: "policies", Value: "xla,firstfit,random,mip", Usage: "comma-separated baselines"},
			&cli.Float64Flag{Name: "capacity-fraction", Value: 0.5, Usage: "fast memory as a fraction of the peak live size"},
			&cli.Int64Flag{Name: "alignment", Value: 1, Usage: "offsets are multiples of this many bytes"},
			&cli.Float64Flag{Name: "mip-time-limit", Value: 60, Usage: "seconds per instance for the mip baseline"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed of the random baseline"},
			&cli.StringFlag{Name: "trace", Usage: "write one Parquet row per instance and policy to `FILE`"},
			&cli.BoolFlag{Name: "json", Usage: "print the table as JSON"},
		},
		Action: evalMallocAction,
	}
}

type mallocRow struct {
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

func evalMallocAction(c *cli.Context) error {
	files, err := allocationFiles(c.String("set"))
	if err != nil {
		return inputErr(err)
	}
	pols := splitList(c.String("policies"))
	for _, p := range pols {
		if !contains(malloc.Baselines, p) {
			return usageErr("unknown policy %q (want %s)", p, strings.Join(malloc.Baselines, ", "))
		}
	}
	var tw *trace.Writer[trace.Result]
	if p := c.String("trace"); p != "" {
		if tw, err = trace.CreateOf[trace.Result](p); err != nil {
			return failedErr(err)
		}
		defer tw.Abort()
	}
	runID := "malloc-" + time.Now().UTC().Format("20060102T150405")
	var rows []mallocRow
	for k, f := range files {
		in, err := datasets.ReadAllocationCSV(f, c.Float64("capacity-fraction"), malloc.DefaultModel)
		if err != nil {
			if strings.Contains(err.Error(), "capacity fraction") {
				return usageErr("%v", err)
			}
			return inputErr(err)
		}
		in.Alignment = c.Int64("alignment")
		row := mallocRow{Instance: in.Name, Buffers: len(in.Buffers), Capacity: in.Capacity,
			Fraction: map[string]float64{}, Seconds: map[string]float64{}, StepsPerSec: map[string]float64{}}
		for _, p := range pols {
			r, err := malloc.RunBaseline(c.Context, in, p, c.Uint64("seed"), time.Duration(c.Float64("mip-time-limit")*float64(time.Second)))
			if err != nil {
				return failedErr(fmt.Errorf("%s on %s: %w", p, in.Name, err))
			}
			row.Fraction[p], row.Seconds[p] = r.Fraction, r.Seconds
			if r.Steps > 0 && r.Seconds > 0 {
				row.StepsPerSec[p] = float64(r.Steps) / r.Seconds
			}
			if p == "mip" {
				b := r.Bound
				row.MIPBound = &b
				if r.Optimal {
					v := r.Fraction
					row.Optimum = &v
				}
			}
			if tw != nil {
				status := "feasible"
				if r.Optimal {
					status = "optimal"
				}
				if err := tw.Write(trace.Result{Run: runID, Env: "malloc", Instance: in.Name, Policy: p, Seed: int64(c.Uint64("seed")),
					Status: status, Objective: r.Benefit, DualBound: r.Bound, Seconds: r.Seconds, Score: r.Fraction}); err != nil {
					return failedErr(err)
				}
			}
			fmt.Fprintf(c.App.ErrWriter, "[%d/%d] %s %s: %.4f of the benefit, %.3fs\n", k+1, len(files), in.Name, p, r.Fraction, r.Seconds)
		}
		rows = append(rows, row)
	}
	if tw != nil {
		if err := tw.Close(); err != nil {
			return failedErr(err)
		}
	}
	for k := range rows {
		if opt := rows[k].Optimum; opt != nil && *opt > 0 {
			rows[k].Gap = map[string]float64{}
			for p, f := range rows[k].Fraction {
				rows[k].Gap[p] = (*opt - f) / *opt
			}
		}
	}
	if c.Bool("json") {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	printMalloc(c.App.Writer, pols, rows, c.Float64("capacity-fraction"))
	return nil
}

func allocationFiles(set string) ([]string, error) {
	st, err := os.Stat(set)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return []string{set}, nil
	}
	files, _ := filepath.Glob(filepath.Join(set, "*.csv"))
	if len(files) == 0 {
		return nil, fmt.Errorf("no .csv files in %s", set)
	}
	sort.Strings(files)
	return files, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func printMalloc(w io.Writer, pols []string, rows []mallocRow, frac float64) {
	fmt.Fprintf(w, "fraction of the total benefit achieved, capacity %.0f%% of peak live size\n", 100*frac)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "instance\tbuffers\t%s\toptimum\t\n", strings.Join(pols, "\t"))
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%d\t", r.Instance, r.Buffers)
		for _, p := range pols {
			fmt.Fprintf(tw, "%.4f\t", r.Fraction[p])
		}
		if r.Optimum != nil {
			fmt.Fprintf(tw, "%.4f\t\n", *r.Optimum)
		} else if r.MIPBound != nil {
			fmt.Fprintf(tw, "<= %.4f\t\n", *r.MIPBound)
		} else {
			fmt.Fprint(tw, "-\t\n")
		}
	}
	perPolicy := func(label, format string, scale float64, get func(r mallocRow, p string) (float64, bool)) {
		fmt.Fprintf(tw, "%s\t\t", label)
		for _, p := range pols {
			sum, n := 0.0, 0
			for _, r := range rows {
				if v, ok := get(r, p); ok {
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
	lookup := func(m func(mallocRow) map[string]float64) func(mallocRow, string) (float64, bool) {
		return func(r mallocRow, p string) (float64, bool) { v, ok := m(r)[p]; return v, ok }
	}
	perPolicy("mean", "%.4f", 1, lookup(func(r mallocRow) map[string]float64 { return r.Fraction }))
	perPolicy("gap to optimum", "%.2f%%", 100, lookup(func(r mallocRow) map[string]float64 { return r.Gap }))
	perPolicy("s/instance", "%.4f", 1, lookup(func(r mallocRow) map[string]float64 { return r.Seconds }))
	perPolicy("steps/s", "%.0f", 1, lookup(func(r mallocRow) map[string]float64 { return r.StepsPerSec }))
	tw.Flush()
	gaps := 0
	for _, r := range rows {
		if r.Optimum != nil {
			gaps++
		}
	}
	fmt.Fprintf(w, "the MIP proved the optimum on %d of %d instances; gap to optimum is the mean over those\n", gaps, len(rows))
}
