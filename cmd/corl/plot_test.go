package main

import (
	"bytes"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corl-go/corl/trace"
)

func writeParquet[T any](t *testing.T, path string, rows ...T) {
	t.Helper()
	w, err := trace.CreateOf[T](path)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rows...); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func plotTrainRows() []trace.Train {
	var rows []trace.Train
	for e := range 5 {
		acc := 0.1 * float64(e)
		rows = append(rows,
			trace.Train{Run: "r", Phase: "train", Epoch: int64(e), Step: int64(10 * e), Loss: 2 / float64(e+1), Top1: &acc},
			trace.Train{Run: "r", Phase: "valid", Epoch: int64(e), Step: int64(10 * e), Loss: 2.2 / float64(e+1), Top1: &acc})
	}
	return rows
}

func plotResultRows() []trace.Result {
	var rows []trace.Result
	for i, inst := range []string{"a.mps", "b.mps", "c.mps"} {
		rows = append(rows,
			trace.Result{Instance: inst, Policy: "relpscost", Status: "optimal", Nodes: int64(10 + i), Seconds: 0.1 * float64(i+1)},
			trace.Result{Instance: inst, Policy: "mostfrac", Status: "time_limit", Nodes: int64(100 + i), Seconds: 5})
	}
	return rows
}

// checkWritten checks that stdout lists exactly the files, and that they are valid.
func checkWritten(t *testing.T, stdout string, want ...string) {
	t.Helper()
	got := strings.Fields(stdout)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("printed %q, want %q", got, want)
	}
	for _, p := range want {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(p, ".png") {
			if _, err := png.Decode(bytes.NewReader(b)); err != nil {
				t.Errorf("%s: %v", p, err)
			}
		} else if !bytes.HasPrefix(b, []byte("<?xml")) && !bytes.HasPrefix(b, []byte("<svg")) {
			t.Errorf("%s is not SVG: %.40q", p, b)
		}
	}
}

func TestPlotTrain(t *testing.T) {
	run := t.TempDir()
	writeParquet(t, filepath.Join(run, "trace", "train.parquet"), plotTrainRows()...)

	code, out, errs := corl(t, "plot", "train", run)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	plots := filepath.Join(run, "plots")
	checkWritten(t, out, filepath.Join(plots, "loss.png"), filepath.Join(plots, "accuracy.png"))

	// A trace file, flags after it, SVG.
	dir := filepath.Join(t.TempDir(), "figs")
	code, out, errs = corl(t, "plot", "train", filepath.Join(run, "trace", "train.parquet"), "--out", dir, "--format", "svg")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	checkWritten(t, out, filepath.Join(dir, "loss.svg"), filepath.Join(dir, "accuracy.svg"))
}

func TestPlotEval(t *testing.T) {
	dir := t.TempDir()
	results := filepath.Join(dir, "results.parquet")
	writeParquet(t, results, plotResultRows()...)
	out := filepath.Join(dir, "plots")
	code, stdout, errs := corl(t, "plot", "eval", "--out", out, results)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	checkWritten(t, stdout, filepath.Join(out, "solved-over-time.png"), filepath.Join(out, "profile-nodes.png"), filepath.Join(out, "profile-time.png"))

	// A run directory's trace/eval.parquet; plots go to RUN/plots.
	run := t.TempDir()
	writeParquet(t, filepath.Join(run, "trace", "eval.parquet"), plotResultRows()...)
	code, stdout, errs = corl(t, "plot", "eval", run, "--format", "SVG")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	p := filepath.Join(run, "plots")
	checkWritten(t, stdout, filepath.Join(p, "solved-over-time.svg"), filepath.Join(p, "profile-nodes.svg"), filepath.Join(p, "profile-time.svg"))
}

func TestPlotBadInput(t *testing.T) {
	dir := t.TempDir()
	results := filepath.Join(dir, "results.parquet")
	writeParquet(t, results, plotResultRows()...)
	train := filepath.Join(dir, "train.parquet")
	writeParquet(t, train, plotTrainRows()...)
	empty := filepath.Join(dir, "empty.parquet")
	writeParquet[trace.Result](t, empty)
	csv := filepath.Join(dir, "results.csv")
	os.WriteFile(csv, []byte("policy,instance,status\nrelpscost,a,optimal\n"), 0o644)
	dup := filepath.Join(dir, "dup.parquet")
	writeParquet(t, dup, append(plotResultRows(), plotResultRows()[0])...)
	nanLoss := filepath.Join(dir, "nan.parquet")
	writeParquet(t, nanLoss, trace.Train{Phase: "train", Loss: math.NaN()})
	out := filepath.Join(dir, "out")
	notDir := filepath.Join(dir, "file")
	os.WriteFile(notDir, nil, 0o644)

	for _, c := range []struct {
		name string
		args []string
		code int
		says []string
	}{
		{"not parquet", []string{"plot", "eval", csv, "--out", out}, exitInput, []string{csv, "not a readable Parquet file"}},
		{"results as training", []string{"plot", "train", results, "--out", out}, exitInput, []string{results, "not a training trace", "corl plot eval"}},
		{"training as results", []string{"plot", "eval", train, "--out", out}, exitInput, []string{train, "no column policy", "corl plot train"}},
		{"empty", []string{"plot", "eval", empty, "--out", out}, exitInput, []string{empty, "no rows"}},
		{"duplicate", []string{"plot", "eval", dup, "--out", out}, exitInput, []string{dup, `policy "relpscost" has two rows for instance "a.mps"`}},
		{"no values", []string{"plot", "train", nanLoss, "--out", out}, exitInput, []string{nanLoss, "no loss, accuracy or return values"}},
		{"missing", []string{"plot", "eval", filepath.Join(dir, "nope.parquet"), "--out", out}, exitInput, []string{"nope.parquet"}},
		{"not a run", []string{"plot", "train", t.TempDir()}, exitInput, []string{"not a run directory: no trace/train.parquet"}},
		{"no out", []string{"plot", "eval", results}, exitUsage, []string{"--out DIR is required"}},
		{"no argument", []string{"plot", "eval", "--out", out}, exitUsage, []string{"plot eval takes one argument"}},
		{"format", []string{"plot", "eval", results, "--out", out, "--format", "pdf"}, exitUsage, []string{`--format "pdf": want png or svg`}},
		{"out is a file", []string{"plot", "eval", results, "--out", notDir}, exitFailed, []string{notDir}},
	} {
		code, _, errs := corl(t, c.args...)
		if code != c.code {
			t.Errorf("%s: exit %d, want %d: %s", c.name, code, c.code, errs)
		}
		for _, s := range c.says {
			if !strings.Contains(errs, s) {
				t.Errorf("%s: %q does not say %q", c.name, errs, s)
			}
		}
		if strings.Contains(errs, "panic") {
			t.Errorf("%s: %s", c.name, errs)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("bad input left %s behind: %v", out, err)
	}
}

func TestPlotHelp(t *testing.T) {
	for _, sub := range []string{"train", "eval"} {
		code, out, errs := corl(t, "plot", sub, "--help")
		if code != exitOK || !strings.Contains(out, "corl plot "+sub) || !strings.Contains(out, "--format") {
			t.Errorf("plot %s --help: exit %d\n%s%s", sub, code, out, errs)
		}
	}
}
