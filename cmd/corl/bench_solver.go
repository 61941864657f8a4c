package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/corl-go/corl/internal/progress"

	"github.com/corl-go/corl/internal/bench"
	"github.com/corl-go/corl/internal/refdata"
	"github.com/corl-go/corl/solver"
	"github.com/corl-go/corl/solver/highs"
)

func benchSolverCommand() *cli.Command {
	return &cli.Command{
		Name:  "solver",
		Usage: "time HiGHS on every engine compiled in: LP, warm re-solves, MIP, start-up",
		Description: "Runs the same workloads as `go test -bench . ./solver/highs`, engine after engine in\n" +
			"one process, and prints mean times with ratios (wazero/wasmtime; each/native when the\n" +
			"native engine is compiled in):\n" +
			"  lp       LP relaxation of a seeded 500x1000 set-cover instance (density 0.05, costs 1..100)\n" +
			"  load     loading that model (Go-side marshalling plus HiGHS's own copy)\n" +
			"  warm     200 warm-started re-solves, each changing one column bound, then restoring it\n" +
			"  mip      MIP solve of --mip (default: p0548.mps of `corl fetch highs-instances`, when\n" +
			"           fetched; without either the row is left out, with a note saying so)\n" +
			"  start    module compile and first instance, cold (empty cache) and cached\n" +
			"  process  a whole `corl solve --relax` of the embedded instance in a new process (cached)",
		Flags: []cli.Flag{
			&cli.IntFlag{Name: "repeat", Value: 5, Usage: "timed repetitions per workload (after one warm-up)"},
			&cli.StringFlag{Name: "mip", Usage: "MPS `FILE` for the mip workload"},
			&cli.BoolFlag{Name: "json", Usage: "print the table as JSON"},
		},
		Action: benchSolverAction,
	}
}

type benchRow struct {
	Workload string             `json:"workload"`
	Unit     string             `json:"unit"`
	Seconds  map[string]float64 `json:"seconds"` // per engine
	Ratios   map[string]float64 `json:"ratios"`
}

func benchSolverAction(c *cli.Context) error {
	n := c.Int("repeat")
	if n < 1 || n > 10000 {
		return usageErr("--repeat must be in 1..10000, got %d", n)
	}
	var mip *solver.Model
	mipPath, noMIP := c.String("mip"), ""
	if mipPath == "" {
		mipPath = defaultBenchMIP()
	}
	if mipPath == "" {
		noMIP = "no mip row: no --mip FILE given and p0548.mps not fetched (run `corl fetch highs-instances`)"
		fmt.Fprintln(c.App.ErrWriter, "bench: "+noMIP)
	} else {
		m, err := solver.ReadMPSFile(mipPath)
		if err != nil {
			return inputErr(err)
		}
		m.Name = filepath.Base(mipPath)
		mip = m
	}
	engines := highs.Runtimes()
	workloads := bench.SolverWorkloads(mip)
	bar := progress.New(c.App.ErrWriter, "bench solver", int64((len(workloads)+1)*len(engines)))
	defer bar.Finish()
	var rows []benchRow
	for _, w := range workloads {
		row := benchRow{Workload: w.Name, Unit: w.Unit, Seconds: map[string]float64{}}
		for _, rt := range engines {
			bar.Describe(w.Name + " on " + rt)
			op, cleanup, err := w.Setup(rt)
			if err != nil {
				return failedErr(fmt.Errorf("%s on %s: %w", w.Name, rt, err))
			}
			d, err := bench.Time(op, n)
			cleanup()
			if err != nil {
				return failedErr(fmt.Errorf("%s on %s: %w", w.Name, rt, err))
			}
			row.Seconds[rt] = d.Seconds()
			bar.Add(1)
		}
		rows = append(rows, row)
	}
	cold := benchRow{Workload: "start-cold", Unit: "compile the module (empty cache), one instance, Highs_create", Seconds: map[string]float64{}}
	cached := benchRow{Workload: "start-cached", Unit: "load the compiled module from the cache, one instance, Highs_create", Seconds: map[string]float64{}}
	proc := benchRow{Workload: "process", Unit: "new process: corl solve --relax of the embedded instance, module cached", Seconds: map[string]float64{}}
	self, selfErr := os.Executable()
	for _, rt := range engines {
		bar.Describe("start-up on " + rt)
		if rt == "native" {
			bar.Add(1)
			continue
		}
		s, err := highs.MeasureStartup(rt)
		if err != nil {
			return failedErr(err)
		}
		cold.Seconds[rt], cached.Seconds[rt] = s.Cold.Seconds(), s.Cached.Seconds()
		if selfErr == nil {
			if d, err := timeProcess(self, rt, n); err == nil {
				proc.Seconds[rt] = d.Seconds()
			} else {
				fmt.Fprintf(c.App.ErrWriter, "process start-up on %s: %v\n", rt, err)
			}
		}
		bar.Add(1)
	}
	rows = append(rows, cold, cached)
	if len(proc.Seconds) > 0 {
		rows = append(rows, proc)
	}
	for i := range rows {
		rows[i].Ratios = ratios(rows[i].Seconds)
	}
	if c.Bool("json") {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		return enc.Encode(rows)
	}
	printBench(c.App.Writer, engines, rows)
	if noMIP != "" {
		fmt.Fprintln(c.App.Writer, noMIP)
	}
	return nil
}

// defaultBenchMIP returns p0548.mps of the fetched highs-instances set, or
// of the shared reference data beside a checkout, or "" when neither is there.
func defaultBenchMIP() string {
	if dir, err := refdata.Dir("", "highs-instances"); err == nil && fileExists(filepath.Join(dir, "p0548.mps")) {
		return filepath.Join(dir, "p0548.mps")
	}
	if p := filepath.Join("..", "shared", "instances", "mps", "p0548.mps"); fileExists(p) {
		return p
	}
	return ""
}

func ratios(sec map[string]float64) map[string]float64 {
	r := map[string]float64{}
	if a, b := sec["wazero"], sec["wasmtime"]; a > 0 && b > 0 {
		r["wazero/wasmtime"] = a / b
	}
	if nat := sec["native"]; nat > 0 {
		for _, rt := range []string{"wasmtime", "wazero"} {
			if v := sec[rt]; v > 0 {
				r[rt+"/native"] = v / nat
			}
		}
	}
	return r
}

// timeProcess runs `corl solve --relax` of the embedded instance in a new
// process n times (after one run that fills the cache) and returns the mean.
func timeProcess(self, rt string, n int) (time.Duration, error) {
	return bench.Time(func() error {
		cmd := exec.Command(self, "solve", "--relax", "--engine", rt)
		cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
		return cmd.Run()
	}, n)
}

func printBench(w io.Writer, engines []string, rows []benchRow) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	var ratioNames []string
	seen := map[string]bool{}
	for _, r := range rows {
		for _, k := range []string{"wazero/wasmtime", "wasmtime/native", "wazero/native"} {
			if _, ok := r.Ratios[k]; ok && !seen[k] {
				seen[k] = true
				ratioNames = append(ratioNames, k)
			}
		}
	}
	fmt.Fprintf(tw, "workload\t%s\t%s\t\n", strings.Join(engines, "\t"), strings.Join(ratioNames, "\t"))
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t", r.Workload)
		for _, e := range engines {
			if v, ok := r.Seconds[e]; ok {
				fmt.Fprintf(tw, "%s\t", fmtDur(v))
			} else {
				fmt.Fprint(tw, "-\t")
			}
		}
		for _, k := range ratioNames {
			if v, ok := r.Ratios[k]; ok {
				fmt.Fprintf(tw, "%.2f\t", v)
			} else {
				fmt.Fprint(tw, "-\t")
			}
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	fmt.Fprintln(w)
	for _, r := range rows {
		fmt.Fprintf(w, "  %-13s %s\n", r.Workload, r.Unit)
	}
}

func fmtDur(sec float64) string {
	switch {
	case sec >= 1:
		return fmt.Sprintf("%.3f s", sec)
	case sec >= 1e-3:
		return fmt.Sprintf("%.2f ms", sec*1e3)
	}
	return fmt.Sprintf("%.1f us", sec*1e6)
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
