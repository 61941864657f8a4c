package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/corl-go/corl/datasets"
	"github.com/corl-go/corl/envs/malloc"
	"github.com/corl-go/corl/eval"
)

// generateMallocAction writes synthetic workloads, or converts an ONNX
// model, as allocation CSVs (id,lower,upper,size,uses).
func generateMallocAction(c *cli.Context) error {
	out := c.String("out")
	if err := os.MkdirAll(out, 0o755); err != nil {
		return failedErr(err)
	}
	if p := c.String("onnx"); p != "" {
		shape, err := parseShape(c.String("input-shape"))
		if err != nil {
			return usageErr("--input-shape: %v", err)
		}
		bufs, err := datasets.ReadONNX(p, shape)
		if err != nil {
			return inputErr(err)
		}
		dst := filepath.Join(out, strings.TrimSuffix(filepath.Base(p), ".onnx")+".csv")
		if err := datasets.WriteAllocationCSV(dst, bufs); err != nil {
			return failedErr(err)
		}
		fmt.Fprintf(c.App.Writer, "wrote %d buffers to %s\n", len(bufs), dst)
		return nil
	}
	n, ops := c.Int("n"), c.Int("ops")
	if n < 1 || ops < 2 {
		return usageErr("--n must be at least 1 and --ops at least 2")
	}
	for i := range n {
		seed := datasets.FileSeed(c.Uint64("seed"), i)
		bufs := datasets.SyntheticWorkload(rand.New(rand.NewPCG(seed, 0x5e)), ops)
		if err := datasets.WriteAllocationCSV(filepath.Join(out, fmt.Sprintf("synthetic-%04d.csv", i)), bufs); err != nil {
			return failedErr(err)
		}
	}
	fmt.Fprintf(c.App.Writer, "wrote %d synthetic workloads of %d ops to %s\n", n, ops, out)
	return nil
}

func parseShape(s string) ([]int64, error) {
	if s == "" {
		return nil, nil
	}
	var out []int64
	for _, f := range strings.Split(s, ",") {
		d, err := strconv.ParseInt(strings.TrimSpace(f), 10, 64)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("%q is not a list of positive integers", s)
		}
		out = append(out, d)
	}
	return out, nil
}

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
			&cli.StringFlag{Name: "policies", Value: "xla,firstfit,random,mip", Usage: "comma-separated baselines"},
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
	for _, p := range pols {
		if !slices.Contains(malloc.Baselines(), p) {
			return usageErr("--policies: unknown policy %q (want %s)", p, strings.Join(malloc.Baselines(), ", "))
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
	play := eval.Malloc{MIPTimeLimit: mipLimit, Run: e.run}
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
