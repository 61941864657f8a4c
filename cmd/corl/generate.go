package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/corl-go/corl/datasets"
	"github.com/corl-go/corl/internal/progress"
)

func generateCommand() *cli.Command {
	var fams []string
	for _, n := range datasets.FamilyNames() {
		fams = append(fams, fmt.Sprintf("  %-9s %s", n, datasets.Families[n].Doc))
	}
	return &cli.Command{
		Name:      "generate",
		Usage:     "write seeded MILP instances (.mps.gz) and a manifest",
		ArgsUsage: "FAMILY",
		Description: "Writes --n instances of FAMILY into --out as <family>-<size>-<i>.mps.gz, with\n" +
			"manifest.json recording the family, size, parameters and each file's seed and SHA-256.\n" +
			"The same arguments give byte-identical files. Every parameter is checked before\n" +
			"anything is written. Each file appears whole or not at all.\n\n" +
			"Ctrl-C stops after the instance in progress; the finished files are kept and listed in\n" +
			"the manifest. Rerunning the same command (or adding --resume) continues: files whose\n" +
			"seed and SHA-256 match the manifest are kept, the rest written.\n\nFamilies:\n" + strings.Join(fams, "\n") +
			"\n  malloc    memory-mapping workloads (allocation CSVs): synthetic programs, MiniMalloc-like\n            buffers (--workload intervals), or --onnx MODEL" +
			"\n\nExamples:\n  corl generate setcover --n 20 --size easy --seed 1 --out sets/setcover-easy" +
			"\n  corl generate setcover --n 20 --param rows=200 --param density=0.1 --out sets/small" +
			"\n  corl generate malloc --n 10 --ops 200 --out sets/malloc" +
			"\n  corl generate malloc --n 10 --ops 120 --workload intervals --out sets/intervals" +
			"\n  corl generate malloc --onnx det.onnx --input-shape 1,3,640,640 --out sets/onnx",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "n", Value: 10, Usage: "number of instances (at least 1)"},
			&cli.Uint64Flag{Name: "seed", Value: 0, Usage: "master seed (each file's seed derives from it)"},
			&cli.StringFlag{Name: "size", Value: "easy", Usage: "easy, medium or hard"},
			&cli.StringFlag{Name: "out", Usage: "output `DIR` (required; made if missing)"},
			&cli.BoolFlag{Name: "resume", Usage: "continue the interrupted set in --out (rerunning the same command does too)"},
			&cli.StringSliceFlag{Name: "param", Usage: "override a generator parameter, as `NAME=VALUE` (repeatable)"},
			&cli.IntFlag{Name: "ops", Value: 200, Usage: fmt.Sprintf("malloc: operations per synthetic workload, buffers with --workload intervals (2 to %d)", datasets.MaxOps)},
			&cli.StringFlag{Name: "workload", Value: datasets.WorkloadProgram, Usage: "malloc: the synthetic workloads' kind: program (ops in schedule order, each tensor used by one to three later ops) or intervals (independent buffers of two uses each, sizes and lifetimes shaped like MiniMalloc's benchmarks')"},
			&cli.StringFlag{Name: "onnx", Usage: "malloc: convert this ONNX `MODEL` into a workload instead"},
			&cli.StringFlag{Name: "input-shape", Usage: "malloc: the ONNX model's input shape, e.g. 1,3,640,640"},
		},
		Action: generateAction,
	}
}

func generateAction(c *cli.Context) error {
	if c.NArg() != 1 {
		return usageErr("generate takes one FAMILY (%s, malloc), got %d arguments", strings.Join(datasets.FamilyNames(), ", "), c.NArg())
	}
	out := c.String("out")
	if out == "" {
		return usageErr("generate: --out DIR is required")
	}
	if c.Args().First() == "malloc" {
		if err := refuseFlags(c, "does not apply to malloc", "param", "size"); err != nil {
			return err
		}
		return generateMallocAction(c)
	}
	if err := refuseFlags(c, "goes with generate malloc", "ops", "workload", "onnx", "input-shape"); err != nil {
		return err
	}
	fam, err := datasets.Lookup(c.Args().First())
	if err != nil {
		return generateErr(err)
	}
	over, err := parseParams(c.StringSlice("param"))
	if err != nil {
		return err
	}
	if err := checkResume(c); err != nil {
		return err
	}
	n, size := c.Int("n"), datasets.Size(c.String("size"))
	bar := setBar{w: c.App.ErrWriter, phase: "generate " + fam.Name + " " + string(size), total: n}
	man, err := datasets.GenerateSet(c.Context, fam, size, over, datasets.SetConfig{
		Dir: out, N: n, Seed: c.Uint64("seed"), Progress: bar.set})
	bar.finish()
	if err != nil {
		return generateStopped(c, man, err)
	}
	fmt.Fprintf(c.App.Writer, "wrote %d %s instances (%s) to %s\n", len(man.Files), man.Family, man.Size, out)
	return nil
}

// setBar shows a set's progress, from its first instance on: a set
// refused before any is written shows none.
type setBar struct {
	w     io.Writer
	phase string
	total int
	bar   *progress.Bar
}

func (b *setBar) set(done int) {
	if b.bar == nil {
		b.bar = progress.New(b.w, b.phase, int64(b.total))
	}
	b.bar.Set(int64(done))
}

func (b *setBar) finish() { b.bar.Finish() }

// refuseFlags refuses the named flags where set, saying why.
func refuseFlags(c *cli.Context, why string, names ...string) error {
	for _, n := range names {
		if c.IsSet(n) {
			return usageErr("--%s %s", n, why)
		}
	}
	return nil
}

// checkResume refuses --resume where --out holds no set to continue.
func checkResume(c *cli.Context) error {
	if !c.Bool("resume") {
		return nil
	}
	if _, err := datasets.ReadManifest(c.String("out")); errors.Is(err, fs.ErrNotExist) {
		return usageErr("--resume: %s holds no set to continue (no %s)", c.String("out"), datasets.ManifestName)
	} else if err != nil {
		return inputErr(err)
	}
	return nil
}

// generateStopped turns a set's error into the exit: interrupted (130)
// with how to continue, a usage error for what the user asked, a failure
// otherwise.
func generateStopped(c *cli.Context, man datasets.Manifest, err error) error {
	if ie := interrupted(c.Context, "%d of %d instances are in %s; rerun the same command (or add --resume) to continue",
		len(man.Files), man.N, c.String("out")); ie != nil {
		return ie
	}
	return generateErr(err)
}

// generateErr names the flag behind a datasets error; errors that are not
// about the command line are failures (a disk full, a directory not
// writable).
func generateErr(err error) error {
	var (
		pe *datasets.ParamError
		ue *datasets.UnknownParamError
		fe *datasets.UnknownFamilyError
		se *datasets.UnknownSizeError
		ze *datasets.SizeError
		ce *datasets.CountError
	)
	switch {
	case errors.As(err, &ze) && ze.Family == "malloc", errors.As(err, &ce) && ce.Name == "ops":
		return usageErr("--ops: %v", err)
	case errors.As(err, &ce):
		return usageErr("--n: %v", err)
	case errors.As(err, &pe), errors.As(err, &ue), errors.As(err, &ze):
		return usageErr("--param: %v", err)
	case errors.As(err, &fe):
		return usageErr("FAMILY: %v", err)
	case errors.As(err, &se):
		return usageErr("--size: %v", err)
	case errors.Is(err, datasets.ErrBadInput), errors.Is(err, datasets.ErrSetMismatch):
		return usageErr("%v", err)
	}
	return failedErr(err)
}

// parseParams reads --param NAME=VALUE overrides (of generate and train):
// a name, and a finite number.
func parseParams(list []string) (map[string]float64, error) {
	over := map[string]float64{}
	for _, p := range list {
		k, v, ok := strings.Cut(p, "=")
		k = strings.TrimSpace(k)
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if !ok || k == "" || err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, usageErr("--param wants NAME=NUMBER (a finite number), got %q", p)
		}
		if _, twice := over[k]; twice {
			return nil, usageErr("--param %s is given twice", k)
		}
		over[k] = f
	}
	return over, nil
}
