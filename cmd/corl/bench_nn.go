package main

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/corl-go/corl/internal/progress"

	"github.com/corl-go/corl/internal/nnbench"
	"github.com/corl-go/corl/nn"
)

func benchNNCommand() *cli.Command {
	return &cli.Command{
		Name:  "nn",
		Usage: "time the network kernels: SGEMM against gonum, an MLP training step, the GCNN",
		Description: "Runs the same workloads as `go test -bench . ./nn`, in one process, on each backend\n" +
			"given (default: the process's default backend, see CORL_NN_BACKEND), and prints mean\n" +
			"times, GFLOP/s of the matrix products, and three ratios:\n" +
			"  sgemm-N/gonum   nn.MatMul time over gonum's Sgemm called directly (target <= 1.10 on gonum)\n" +
			"  sgemm/kernel    sgemm-1024's rate over gemm-1024's, the BLAS's own (target >= 0.80)\n" +
			"  autodiff        mlp-step time over the time of its 8 matrix products alone (target <= 1.5)\n" +
			"  gcnn/sgemm      the GCNN step's GFLOP/s over SGEMM-1024's (target >= 0.5)\n" +
			"Workloads:\n" +
			"  sgemm-N         nn.MatMul of two NxN float32 matrices, N = 256, 512, 1024\n" +
			"  gonum-sgemm-N   gonum's Sgemm on the same sizes, host memory\n" +
			"  gemm-1024       the backend's GEMM kernel alone (on cpu: OpenBLAS's own rate, or gonum's)\n" +
			"  mlp-step        forward, MSE, backward and Adam of a 3-layer width-256 ReLU MLP, batch 256\n" +
			"  mlp-fwd         the forward pass of mlp-step's network\n" +
			"  mlp-matmuls     the matrix products of mlp-step alone, into preallocated buffers\n" +
			"  gcnn-step       forward and backward of the Gasse et al. GCNN (dim 64) on a set-cover-sized\n" +
			"                  bipartite graph: 1000 variables, 500 rows, 25,000 edges\n" +
			"  gcnn-fwd        its forward pass as a branching policy runs it (no autodiff, reused buffers)\n" +
			"The cpu backend's matrix products run on OpenBLAS when it loads, else on gonum (CORL_NN_BLAS\n" +
			"forces one); the header says which. KiB/run and allocs/run are Go heap allocations per run.",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "backend", Usage: "backend `NAME`s to measure (registered: " + strings.Join(nn.Backends(), ", ") + ")"},
			&cli.DurationFlag{Name: "min-time", Value: time.Second, Usage: "measure each workload for at least this long (after one warm-up run)"},
			&cli.BoolFlag{Name: "json", Usage: "print the results as JSON"},
		},
		Action: benchNNAction,
	}
}

type nnBenchRow struct {
	Backend  string  `json:"backend"`
	Workload string  `json:"workload"`
	Unit     string  `json:"unit"`
	Runs     int     `json:"runs"`
	Seconds  float64 `json:"seconds"`
	GFLOPS   float64 `json:"gflops"`
	Bytes    float64 `json:"bytes_per_run"`  // Go heap allocated per run
	Allocs   float64 `json:"allocs_per_run"` // Go heap allocations per run
}

type nnBenchReport struct {
	Machine string `json:"machine"`
	// BLAS is what the cpu backend's matrix products run on (see CORL_NN_BLAS).
	BLAS string `json:"blas"`
	// Peak is the nominal float32 peak in GFLOP/s, 0 where it cannot be read.
	Peak    float64 `json:"peak_gflops"`
	PeakHow string  `json:"peak_how"`
	// SGEMM is the rate of a 1024x1024 product, GFLOP/s: "gonum" is gonum's
	// Sgemm, "<backend> kernel" the backend's own GEMM (OpenBLAS on cpu
	// when it loads) and "<backend> nn" nn.MatMul on that backend.
	SGEMM  map[string]float64 `json:"sgemm_1024_gflops"`
	Rows   []nnBenchRow       `json:"rows"`
	Ratios map[string]float64 `json:"ratios"` // "<backend> <ratio name>"
}

func benchNNAction(c *cli.Context) error {
	names := c.StringSlice("backend")
	if len(names) == 0 {
		be, err := nn.Default()
		if err != nil {
			return usageErr("%v", err)
		}
		names = []string{be.Name()}
	}
	minTime := c.Duration("min-time")
	if minTime <= 0 || minTime > time.Hour {
		return usageErr("--min-time must be in (0s, 1h], got %v", minTime)
	}
	rep := nnBenchReport{
		Machine: fmt.Sprintf("%s/%s, GOMAXPROCS %d", runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0)),
		BLAS:    nn.CPUBLAS().String(),
		Ratios:  map[string]float64{},
		SGEMM:   map[string]float64{},
	}
	rep.Peak, rep.PeakHow = nnbench.Peak(runtime.GOMAXPROCS(0))
	backends := make([]nn.Backend, len(names))
	for i, name := range names {
		var err error
		if backends[i], err = nn.Open(name); err != nil {
			return usageErr("--backend: %v", err)
		}
	}
	bar := progress.New(c.App.ErrWriter, "bench nn", int64(len(names)*len(nnbench.Workloads())))
	defer bar.Finish()
	for i, name := range names {
		be := backends[i]
		secs := map[string]float64{}
		flops := map[string]float64{}
		for _, w := range nnbench.Workloads() {
			bar.Describe(w.Name + " on " + name)
			op, err := w.Setup(be)
			if err != nil {
				return failedErr(fmt.Errorf("%s on %s: %w", w.Name, name, err))
			}
			var m0, m1 runtime.MemStats
			op() // warm-up: first-run allocations (reused buffers) are not counted
			runtime.ReadMemStats(&m0)
			runs, d := timeFor(op, minTime)
			runtime.ReadMemStats(&m1)
			row := nnBenchRow{Backend: name, Workload: w.Name, Unit: w.Unit, Runs: runs, Seconds: d.Seconds(), GFLOPS: w.Flops / d.Seconds() / 1e9,
				// runs+1: timeFor's own warm-up run is counted too.
				Bytes: float64(m1.TotalAlloc-m0.TotalAlloc) / float64(runs+1), Allocs: float64(m1.Mallocs-m0.Mallocs) / float64(runs+1)}
			rep.Rows = append(rep.Rows, row)
			secs[w.Name], flops[w.Name] = row.Seconds, row.GFLOPS
			bar.Add(1)
		}
		for _, n := range nnbench.SGEMMSizes {
			k := fmt.Sprintf("sgemm-%d", n)
			rep.Ratios[name+" "+k+"/gonum"] = secs[k] / secs["gonum-"+k]
		}
		kernel := fmt.Sprintf("gemm-%d", nnbench.KernelSize)
		rep.Ratios[name+" sgemm/kernel"] = flops[fmt.Sprintf("sgemm-%d", nnbench.KernelSize)] / flops[kernel]
		rep.SGEMM["gonum"] = flops[fmt.Sprintf("gonum-sgemm-%d", nnbench.KernelSize)]
		rep.SGEMM[name+" kernel"] = flops[kernel]
		rep.SGEMM[name+" nn"] = flops[fmt.Sprintf("sgemm-%d", nnbench.KernelSize)]
		rep.Ratios[name+" autodiff"] = secs["mlp-step"] / secs["mlp-matmuls"]
		rep.Ratios[name+" gcnn/sgemm"] = flops["gcnn-step"] / flops["sgemm-1024"]
	}
	if c.Bool("json") {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printNNBench(c.App.Writer, names, rep)
	return nil
}

// timeFor runs op once to warm up, then repeatedly for at least d, and
// returns the number of timed runs and the mean time.
func timeFor(op func(), d time.Duration) (int, time.Duration) {
	op()
	start := time.Now()
	n := 0
	for time.Since(start) < d || n < 3 {
		op()
		n++
	}
	return n, time.Since(start) / time.Duration(n)
}

func printNNBench(w io.Writer, backends []string, rep nnBenchReport) {
	fmt.Fprintf(w, "machine: %s\n", rep.Machine)
	fmt.Fprintf(w, "cpu BLAS: %s\n", rep.BLAS)
	if rep.Peak > 0 {
		fmt.Fprintf(w, "peak: %.1f GFLOP/s float32 (%s)\n\n", rep.Peak, rep.PeakHow)
	} else {
		fmt.Fprintf(w, "%s\n\n", rep.PeakHow)
	}
	pct := func(gflops float64) string {
		if rep.Peak <= 0 {
			return ""
		}
		return fmt.Sprintf(" (%.0f%% of peak)", 100*gflops/rep.Peak)
	}
	fmt.Fprintf(w, "SGEMM-1024: gonum %.1f GFLOP/s%s\n", rep.SGEMM["gonum"], pct(rep.SGEMM["gonum"]))
	for _, b := range backends {
		k, t := rep.SGEMM[b+" kernel"], rep.SGEMM[b+" nn"]
		fmt.Fprintf(w, "            %s kernel %.1f GFLOP/s%s, through nn %.1f GFLOP/s%s\n", b, k, pct(k), t, pct(t))
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "backend\tworkload\ttime\tGFLOP/s\t% peak\tKiB/run\tallocs/run\truns\t\n")
	for _, r := range rep.Rows {
		pct := "-"
		if rep.Peak > 0 {
			pct = fmt.Sprintf("%.0f%%", 100*r.GFLOPS/rep.Peak)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%.2f\t%s\t%.1f\t%.0f\t%d\t\n", r.Backend, r.Workload, fmtDur(r.Seconds), r.GFLOPS, pct, r.Bytes/1024, r.Allocs, r.Runs)
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "backend\tratio\tvalue\ttarget\t\n")
	for _, b := range backends {
		for _, n := range nnbench.SGEMMSizes {
			k := fmt.Sprintf("sgemm-%d/gonum", n)
			fmt.Fprintf(tw, "%s\t%s\t%.3f\t<= 1.10 (on gonum)\t\n", b, k, rep.Ratios[b+" "+k])
		}
		fmt.Fprintf(tw, "%s\tsgemm-%d/gemm-%d rate\t%.3f\t>= 0.80\t\n", b, nnbench.KernelSize, nnbench.KernelSize, rep.Ratios[b+" sgemm/kernel"])
		fmt.Fprintf(tw, "%s\tautodiff (mlp-step/mlp-matmuls)\t%.3f\t<= 1.5\t\n", b, rep.Ratios[b+" autodiff"])
		fmt.Fprintf(tw, "%s\tgcnn/sgemm-1024 rate\t%.3f\t>= 0.5\t\n", b, rep.Ratios[b+" gcnn/sgemm"])
	}
	tw.Flush()
	fmt.Fprintln(w)
	seen := map[string]bool{}
	for _, r := range rep.Rows {
		if !seen[r.Workload] {
			seen[r.Workload] = true
			fmt.Fprintf(w, "  %-17s %s\n", r.Workload, r.Unit)
		}
	}
}
