package main

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/corl-go/corl/datasets"
)

// oneLine checks that stderr is one line starting with "corl: " and
// holding want, with no panic.
func oneLine(t *testing.T, args []string, stderr, want string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "corl: ") || !strings.Contains(stderr, want) || strings.Contains(stderr, "panic") {
		t.Errorf("corl %v: stderr %q, want one line with %q", args, stderr, want)
	}
}

// Every case that once panicked, was accepted silently or left an empty
// directory: a usage error naming the flag and value, and no directory.
func TestGenerateRefusesBadInput(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"setcover", "--param", "rows=-5", "--n", "1"}, "rows = -5"},
		{[]string{"setcover", "--param", "rows=0"}, "rows = 0"},
		{[]string{"setcover", "--param", "cols=0.5"}, "cols = 0.5"},
		{[]string{"setcover", "--param", "max_cost=0"}, "max_cost = 0"},
		{[]string{"setcover", "--param", "density=-1"}, "density = -1"},
		{[]string{"setcover", "--param", "rows=NaN"}, "--param"},
		{[]string{"setcover", "--param", "rows=Inf"}, "--param"},
		{[]string{"setcover", "--param", "rows"}, "--param"},
		{[]string{"setcover", "--param", "=3"}, "--param"},
		{[]string{"setcover", "--param", "rows=5", "--param", "rows=6"}, "twice"},
		{[]string{"setcover", "--param", "bogus=1"}, "bogus"},
		{[]string{"knapsack", "--param", "max_weight=0"}, "max_weight = 0"},
		{[]string{"knapsack", "--param", "items=1e9"}, "items = 1e+09"},
		{[]string{"knapsack", "--param", "items=-1"}, "items = -1"},
		{[]string{"cauction", "--param", "items=0"}, "items = 0"},
		{[]string{"facility", "--param", "customers=-1"}, "customers = -1"},
		{[]string{"facility", "--param", "customers=100000", "--param", "facilities=1000"}, "limit"},
		{[]string{"indset", "--param", "nodes=-1"}, "nodes = -1"},
		{[]string{"indset", "--param", "affinity=-1"}, "affinity = -1"},
		{[]string{"setcover", "--n", "0"}, "--n"},
		{[]string{"setcover", "--n", "-3"}, "--n"},
		{[]string{"setcover", "--size", "giant"}, "--size"},
		{[]string{"setcover", "--ops", "5"}, "--ops"},
		{[]string{"setcover", "--resume"}, "--resume"},
		{[]string{"tsp"}, "tsp"},
		{[]string{"malloc", "--ops", "1"}, "--ops"},
		{[]string{"malloc", "--ops", "1000000000"}, "--ops"},
		{[]string{"malloc", "--n", "0"}, "--n"},
		{[]string{"malloc", "--param", "ops=3"}, "--param"},
		{[]string{"malloc", "--input-shape", "1,2"}, "--onnx"},
		{[]string{"malloc", "--onnx", "m.onnx", "--input-shape", "1,-2"}, "--input-shape"},
	} {
		out := filepath.Join(t.TempDir(), "set")
		args := append(append([]string{"generate"}, c.args...), "--out", out)
		code, _, stderr := corl(t, args...)
		if code != exitUsage {
			t.Errorf("corl %v: exit %d, want %d", args, code, exitUsage)
		}
		oneLine(t, args, stderr, c.want)
		if _, err := os.Stat(out); err == nil {
			t.Errorf("corl %v: made %s", args, out)
		}
	}
}

func TestGenerateWithoutOut(t *testing.T) {
	for _, args := range [][]string{{"generate", "setcover", "--n", "1"}, {"generate", "malloc"}} {
		code, _, stderr := corl(t, args...)
		if code != exitUsage {
			t.Errorf("corl %v: exit %d", args, code)
		}
		oneLine(t, args, stderr, "--out")
	}
}

func TestGenerateMallocWritesManifest(t *testing.T) {
	out := filepath.Join(t.TempDir(), "m")
	if code, _, stderr := corl(t, "generate", "malloc", "--n", "2", "--ops", "20", "--out", out); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	man, err := datasets.ReadManifest(out)
	if err != nil || !man.Complete || len(man.Files) != 2 || man.Files[1].Buffers != 20 {
		t.Fatalf("%v %+v", err, man)
	}
}

func TestGenerateMallocIntervals(t *testing.T) {
	out := filepath.Join(t.TempDir(), "m")
	if code, stdout, stderr := corl(t, "generate", "malloc", "--n", "2", "--ops", "30", "--workload", "intervals", "--seed", "3", "--out", out); code != exitOK || !strings.Contains(stdout, "30 buffers (intervals)") {
		t.Fatalf("exit %d: %s%s", code, stdout, stderr)
	}
	man, err := datasets.ReadManifest(out)
	if err != nil || man.Kind != datasets.WorkloadIntervals || len(man.Files) != 2 || man.Files[1].File != "intervals-0001.csv" || man.Files[1].Buffers != 30 {
		t.Fatalf("%v %+v", err, man)
	}
	for _, args := range [][]string{
		{"generate", "malloc", "--workload", "graphs", "--out", filepath.Join(t.TempDir(), "x")},
		{"generate", "knapsack", "--workload", "intervals", "--out", filepath.Join(t.TempDir(), "x")},
		{"generate", "malloc", "--onnx", "m.onnx", "--workload", "intervals", "--out", filepath.Join(t.TempDir(), "x")},
	} {
		if code, _, stderr := corl(t, args...); code != exitUsage || !strings.Contains(stderr, "--workload") {
			t.Errorf("%v: exit %d, want %d naming --workload\n%s", args, code, exitUsage, stderr)
		}
	}
}

// TestGenerateKilledAndRerun kills generate with SIGKILL at random
// moments: no partial instance is ever visible under its name (each file
// there equals the one of an uninterrupted run), and rerunning completes
// a set byte-identical to the uninterrupted one.
func TestGenerateKilledAndRerun(t *testing.T) {
	args := []string{"generate", "knapsack", "--n", "30", "--seed", "3", "--param", "items=300", "--param", "knapsacks=10"}
	whole := filepath.Join(t.TempDir(), "whole")
	start := time.Now()
	if code, _, stderr := corl(t, append(args, "--out", whole)...); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// Kill moments are drawn within half the uninterrupted run's time, so
	// that most kills land in the middle however fast the machine; what
	// the test checks holds wherever they land.
	span := time.Since(start) / 2
	want := readDir(t, whole)
	rng := rand.New(rand.NewPCG(1, 2))
	sets := 3
	if testing.Short() {
		sets = 1
	}
	for set := range sets {
		dir := filepath.Join(t.TempDir(), "killed")
		for kill := range 2 {
			cmd := corlProcess(t, append(args, "--out", dir)...)
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(span/10 + time.Duration(rng.Int64N(int64(span))))
			cmd.Process.Kill()
			cmd.Wait()
			visible := 0
			for name, data := range readDir(t, dir) {
				if strings.HasPrefix(name, ".") || name == datasets.ManifestName {
					continue
				}
				visible++
				if !bytes.Equal(data, want[name]) {
					t.Fatalf("set %d, kill %d: %s is visible but differs from the uninterrupted run's", set, kill, name)
				}
			}
			if _, err := datasets.ReadManifest(dir); err != nil && !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("set %d, kill %d: manifest unreadable: %v", set, kill, err)
			}
			t.Logf("set %d, kill %d: %d instances visible", set, kill, visible)
		}
		if code, _, stderr := corl(t, append(args, "--out", dir)...); code != exitOK {
			t.Fatalf("rerun: exit %d: %s", code, stderr)
		}
		got := readDir(t, dir)
		if len(got) != len(want) {
			t.Errorf("set %d: %d files after the rerun, want %d", set, len(got), len(want))
		}
		for name, data := range want {
			if !bytes.Equal(data, got[name]) {
				t.Errorf("set %d: %s differs from the uninterrupted run's", set, name)
			}
		}
	}
}

// Ctrl-C stops generate after the instance in progress: exit 130, a word
// on how to continue, and a manifest of what is done.
func TestGenerateInterruptExits130(t *testing.T) {
	out := filepath.Join(t.TempDir(), "set")
	cmd := corlProcess(t, "generate", "knapsack", "--n", "500", "--param", "items=200", "--param", "knapsacks=8", "--out", out)
	stderr := interruptOnceExists(t, cmd, filepath.Join(out, "knapsack-easy-0000.mps.gz"))
	if !strings.Contains(stderr, "rerun the same command") {
		t.Errorf("no word on continuing:\n%s", stderr)
	}
	man, err := datasets.ReadManifest(out)
	if err != nil || man.Complete || len(man.Files) < 1 || len(man.Files) >= 500 {
		t.Fatalf("manifest: %v, %d files, complete %v", err, len(man.Files), man.Complete)
	}
	files, _ := datasets.InstanceFiles(out)
	if len(files) != len(man.Files) {
		t.Errorf("%d files, the manifest lists %d", len(files), len(man.Files))
	}
	if code, _, stderr := corl(t, "generate", "knapsack", "--resume", "--n", "2", "--param", "items=200", "--param", "knapsacks=8", "--out", out); code != exitOK {
		t.Errorf("--resume: exit %d: %s", code, stderr)
	}
}

func readDir(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, e := range entries {
		if b, err := os.ReadFile(filepath.Join(dir, e.Name())); err == nil {
			out[e.Name()] = b
		}
	}
	return out
}
