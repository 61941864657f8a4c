package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/corl-go/corl/datasets"
)

// generateMallocAction writes synthetic workloads, or converts an ONNX
// model, as allocation CSVs (id,lower,upper,size,uses), with a manifest.
func generateMallocAction(c *cli.Context) error {
	out := c.String("out")
	if p := c.String("onnx"); p != "" {
		return convertONNX(c, p, out)
	}
	if c.IsSet("input-shape") {
		return usageErr("--input-shape goes with --onnx")
	}
	if err := checkResume(c); err != nil {
		return err
	}
	n, ops, kind := c.Int("n"), c.Int("ops"), c.String("workload")
	if !slices.Contains(datasets.WorkloadKinds, kind) {
		return usageErr("--workload %q: want %s", kind, strings.Join(datasets.WorkloadKinds, " or "))
	}
	bar := setBar{w: c.App.ErrWriter, phase: "generate malloc", total: n}
	man, err := datasets.GenerateWorkloadSet(c.Context, kind, ops, datasets.SetConfig{
		Dir: out, N: n, Seed: c.Uint64("seed"), Progress: bar.set})
	bar.finish()
	if err != nil {
		return generateStopped(c, man, err)
	}
	what := fmt.Sprintf("%d ops", ops)
	if kind == datasets.WorkloadIntervals {
		what = fmt.Sprintf("%d buffers (intervals)", ops)
	}
	fmt.Fprintf(c.App.Writer, "wrote %d synthetic workloads of %s to %s\n", n, what, out)
	return nil
}

// convertONNX writes one ONNX model's workload and its manifest into out.
func convertONNX(c *cli.Context, model, out string) error {
	if c.IsSet("n") || c.IsSet("ops") || c.IsSet("workload") || c.IsSet("seed") || c.Bool("resume") {
		return usageErr("--n, --ops, --workload, --seed and --resume are for synthetic workloads; --onnx converts one model")
	}
	shape, err := parseShape(c.String("input-shape"))
	if err != nil {
		return usageErr("--input-shape: %v", err)
	}
	bufs, err := datasets.ReadONNX(model, shape)
	if err != nil {
		return inputErr(err)
	}
	file := strings.TrimSuffix(filepath.Base(model), ".onnx") + ".csv"
	if err := datasets.WriteAllocationCSV(filepath.Join(out, file), bufs); err != nil {
		return failedErr(err)
	}
	man := datasets.Manifest{Family: "malloc", Source: filepath.Base(model),
		Files: []datasets.ManifestFile{{File: file, Buffers: len(bufs)}}}
	if err := datasets.WriteManifest(out, man); err != nil {
		return failedErr(err)
	}
	fmt.Fprintf(c.App.Writer, "wrote %d buffers to %s\n", len(bufs), filepath.Join(out, file))
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
