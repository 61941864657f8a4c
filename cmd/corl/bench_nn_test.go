package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/corl-go/corl/nn"
)

// TestBenchNN runs every network workload once or a few times and checks
// the report's shape: the timings themselves are not asserted.
func TestBenchNN(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the 1024 SGEMM and the GCNN")
	}
	code, out, errs := corl(t, "bench", "nn", "--backend", "cpu", "--min-time", "1ms", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var rep nnBenchReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Rows) != 12 {
		t.Fatalf("%d rows, want 12", len(rep.Rows))
	}
	if want := nn.CPUBLAS().Name; !strings.HasPrefix(rep.BLAS, want) {
		t.Errorf("report says BLAS %q, the backend runs on %s", rep.BLAS, want)
	}
	for _, r := range rep.Rows {
		if r.Seconds <= 0 || r.GFLOPS <= 0 || r.Runs < 3 {
			t.Errorf("row %+v", r)
		}
	}
	for _, k := range []string{"cpu sgemm-256/gonum", "cpu sgemm/kernel", "cpu autodiff", "cpu gcnn/sgemm"} {
		if rep.Ratios[k] <= 0 {
			t.Errorf("ratio %q missing", k)
		}
	}
	for _, k := range []string{"gonum", "cpu kernel", "cpu nn"} {
		if rep.SGEMM[k] <= 0 {
			t.Errorf("SGEMM-1024 rate %q missing", k)
		}
	}
	code, _, errs = corl(t, "bench", "nn", "--backend", "tpu")
	if code != exitUsage || !strings.Contains(errs, `unknown backend "tpu"`) {
		t.Fatalf("unknown backend: exit %d, %q", code, errs)
	}
}
