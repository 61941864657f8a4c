package main

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corl-go/corl/agents/muzero"
	"github.com/corl-go/corl/datasets"
	"github.com/corl-go/corl/envs/malloc"
)

func trainMallocArgs(out string) []string {
	return []string{"train", "malloc", "--agent", "muzero", "--simulations", "4", "--steps", "60", "--steps-per-iteration", "2",
		"--games", "2", "--batch-size", "8", "--latent", "8", "--hidden", "16", "--reanalyse", "0.25", "--instances", "4", "--ops", "8", "--seed", "5", "--out", out}
}

// corl train malloc killed (SIGKILL) at random moments and resumed each
// time ends with the same network, bit for bit, as an uninterrupted run.
func TestTrainMallocKilledAndResumed(t *testing.T) {
	if testing.Short() {
		t.Skip("runs corl train malloc several times")
	}
	base := t.TempDir()
	ref := filepath.Join(base, "ref")
	want, whole := uninterruptedRun(t, trainMallocArgs(ref))
	for _, f := range []string{"summary.md", "plots/loss.png", "plots/return.png", "trace/train.parquet"} {
		if _, err := os.Stat(filepath.Join(ref, f)); err != nil {
			t.Error(err)
		}
	}
	out := filepath.Join(base, "killed")
	kills := killAndResume(t, trainMallocArgs(out), whole, 3, 5)
	got, err := os.ReadFile(filepath.Join(out, mallocPolicyFile))
	if err != nil {
		t.Fatalf("after %d kills: %v", kills, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("after %d kills and resumes the network differs from the uninterrupted run's", kills)
	}
	t.Logf("%d kills in a run of %v", kills, whole)
}

// Mistakes on the command line are usage errors, refused before a run
// directory is made.
func TestTrainMallocMistakes(t *testing.T) {
	for _, bad := range [][]string{
		{"--agent", "alphazero"}, {"--search", "ucb"}, {"--model", "oracle"}, {"--simulations", "0"},
		{"--capacity-fraction", "1.5"}, {"--reanalyse", "2"}, {"--steps", "0"}, {"--lr", "-1"}, {"--instances", "0"},
		{"--rollout-weight", "1.5"}, {"--policy-head", "attention"}, {"--value-target", "td"}, {"--expert-weight", "0.5"},
		{"--offsets", "bottoms"},
		{"--baseline", "xla"}, {"--counterfactual", "2"}, {"--counterfactual", "-1"},
		{"--workload", "graphs"}, {"--capacity-mix", "1.5"}, {"--capacity-mix", "0"},
	} {
		out := filepath.Join(t.TempDir(), "run")
		args := append(trainMallocArgs(out), bad...)
		code, _, stderr := corl(t, args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d\n%s", bad, code, exitUsage, stderr)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%v: the run directory was made", bad)
		}
		if !strings.Contains(stderr, bad[0]) {
			t.Errorf("%v: the message does not name the flag: %s", bad, stderr)
		}
	}
	// --workload is for generated workloads, not a --set's files.
	out := filepath.Join(t.TempDir(), "run")
	code, _, stderr := corl(t, append(trainMallocArgs(out), "--workload", "intervals", "--set", t.TempDir())...)
	if _, err := os.Stat(out); code != exitUsage || !strings.Contains(stderr, "--workload") || err == nil {
		t.Errorf("--workload with --set: exit %d, want %d naming --workload, and no run directory\n%s", code, exitUsage, stderr)
	}
	if code, _, _ := corl(t, "train", "malloc", "--out", filepath.Join(t.TempDir(), "none"), "--resume"); code != exitInput {
		t.Errorf("resume of no run: exit %d, want %d", code, exitInput)
	}
}

// corl eval malloc plays a trained network and the network-free search
// next to the baselines; bad policy names and files are refused.
func TestEvalMallocMuZero(t *testing.T) {
	base := t.TempDir()
	run, set := filepath.Join(base, "run"), filepath.Join(base, "set")
	if code, _, stderr := corl(t, trainMallocArgs(run)...); code != exitOK {
		t.Fatalf("train: exit %d\n%s", code, stderr)
	}
	if code, _, stderr := corl(t, "generate", "malloc", "--n", "2", "--ops", "10", "--seed", "9", "--out", set); code != exitOK {
		t.Fatalf("generate: exit %d\n%s", code, stderr)
	}
	pol := "muzero:" + filepath.Join(run, mallocPolicyFile)
	for _, model := range []string{"learned", "true"} {
		code, stdout, stderr := corl(t, "eval", "malloc", "--set", set, "--policies", "xla,"+pol+",mcts", "--simulations", "4", "--model", model, "--workers", "2", "--q-range", "0.05")
		if code != exitOK || !strings.Contains(stdout, pol) || !strings.Contains(stdout, "mcts") {
			t.Fatalf("%s: exit %d\n%s%s", model, code, stdout, stderr)
		}
	}
	if code, _, stderr := corl(t, "eval", "malloc", "--set", set, "--policies", pol, "--model", "true", "--rollout-weight", "-0.5"); code != exitUsage || !strings.Contains(stderr, "--rollout-weight") {
		t.Errorf("--rollout-weight -0.5: exit %d, want %d\n%s", code, exitUsage, stderr)
	}
	if code, _, stderr := corl(t, "eval", "malloc", "--set", set, "--policies", pol, "--q-range", "-1"); code != exitUsage || !strings.Contains(stderr, "--q-range") {
		t.Errorf("--q-range -1: exit %d, want %d\n%s", code, exitUsage, stderr)
	}
	if code, _, stderr := corl(t, "eval", "malloc", "--set", set, "--policies", pol, "--offsets", "bottoms"); code != exitUsage || !strings.Contains(stderr, "--offsets") {
		t.Errorf("--offsets bottoms: exit %d, want %d\n%s", code, exitUsage, stderr)
	}
	for _, c := range []struct {
		policy string
		code   int
	}{{"muzero", exitUsage}, {"muzero:", exitUsage}, {"alphago", exitUsage},
		{"muzero:" + filepath.Join(base, "missing.safetensors"), exitInput}, {"muzero:" + filepath.Join(run, "config.json"), exitInput}} {
		if code, _, stderr := corl(t, "eval", "malloc", "--set", set, "--policies", c.policy); code != c.code {
			t.Errorf("%s: exit %d, want %d\n%s", c.policy, code, c.code, stderr)
		}
	}
}

// A network trained with --offsets edges says so in its suggested
// command and summary.md, and eval malloc plays it in that game: with no
// --offsets, and refusing --offsets tops, naming both games.
func TestTrainMallocEdgesGame(t *testing.T) {
	base := t.TempDir()
	run, set := filepath.Join(base, "run"), filepath.Join(base, "set")
	args := append(trainMallocArgs(run), "--steps", "4", "--offsets", "edges")
	code, stdout, stderr := corl(t, args...)
	if code != exitOK {
		t.Fatalf("train: exit %d\n%s", code, stderr)
	}
	pol := "muzero:" + filepath.Join(run, mallocPolicyFile)
	if !strings.Contains(stdout, pol+" --offsets edges") {
		t.Errorf("stdout does not suggest --offsets edges:\n%s", stdout)
	}
	summary, err := os.ReadFile(filepath.Join(run, "summary.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"model, edges offsets (`--offsets edges`).", pol + " --offsets edges`"} {
		if !strings.Contains(string(summary), want) {
			t.Errorf("summary.md lacks %q:\n%s", want, summary)
		}
	}
	if code, _, stderr := corl(t, "generate", "malloc", "--n", "1", "--ops", "8", "--seed", "9", "--out", set); code != exitOK {
		t.Fatalf("generate: exit %d\n%s", code, stderr)
	}
	for _, offsets := range [][]string{nil, {"--offsets", "edges"}} {
		if code, _, stderr := corl(t, append([]string{"eval", "malloc", "--set", set, "--policies", pol, "--simulations", "2"}, offsets...)...); code != exitOK {
			t.Errorf("eval %v: exit %d\n%s", offsets, code, stderr)
		}
	}
	code, _, stderr = corl(t, "eval", "malloc", "--set", set, "--policies", pol, "--simulations", "2", "--offsets", "tops")
	if code != exitUsage || !strings.Contains(stderr, "edges game") || !strings.Contains(stderr, "tops game") {
		t.Errorf("eval --offsets tops: exit %d, want %d naming both games\n%s", code, exitUsage, stderr)
	}
}

// A run records --baseline, --action-features and --counterfactual:
// --resume with the same flags but one of them is refused naming it, and
// the network written carries the baseline and the action features.
func TestTrainMallocRecordsBaseline(t *testing.T) {
	base := t.TempDir()
	out := filepath.Join(base, "run")
	args := append(trainMallocArgs(out), "--baseline", "bestfit", "--action-features", "--counterfactual", "1")
	if code, _, stderr := corl(t, args...); code != exitOK {
		t.Fatalf("train: exit %d\n%s", code, stderr)
	}
	net, err := muzero.LoadNetwork(filepath.Join(out, mallocPolicyFile))
	if err != nil {
		t.Fatal(err)
	}
	if net.Config.Baseline != muzero.BaselineBestFit || !net.Config.ActionFeatures {
		t.Errorf("the network records baseline %q, action features %v", net.Config.Baseline, net.Config.ActionFeatures)
	}
	// --counterfactual needs the baseline, so --baseline alone changes on
	// a run without it.
	out2 := filepath.Join(base, "run2")
	args2 := append(trainMallocArgs(out2), "--baseline", "bestfit")
	if code, _, stderr := corl(t, args2...); code != exitOK {
		t.Fatalf("train: exit %d\n%s", code, stderr)
	}
	for _, c := range []struct {
		args []string
		name string
	}{
		{append(trainMallocArgs(out), "--resume", "--baseline", "bestfit", "--action-features", "--counterfactual", "2"), "train.counterfactual is 1 there, 2 here"},
		{append(trainMallocArgs(out), "--resume", "--baseline", "bestfit", "--counterfactual", "1"), "train.net.action_features is true there"},
		{append(trainMallocArgs(out2), "--resume", "--baseline", "none"), `train.net.baseline is "bestfit" there`},
	} {
		code, _, stderr := corl(t, c.args...)
		if code != exitUsage || !strings.Contains(stderr, c.name) || !strings.Contains(stderr, "resume with only") {
			t.Errorf("%v: exit %d, want %d naming %s\n%s", c.args, code, exitUsage, c.name, stderr)
		}
	}
}

// --workload intervals and --capacity-mix are recorded: summary.md says
// them, and a resume with another kind or mix, or without them, is
// refused naming the setting.
func TestTrainMallocRecordsWorkload(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	args := append(trainMallocArgs(out), "--workload", "intervals", "--capacity-mix", "0.25", "--steps", "4")
	if code, _, stderr := corl(t, args...); code != exitOK {
		t.Fatalf("train: exit %d\n%s", code, stderr)
	}
	sum, err := os.ReadFile(filepath.Join(out, "summary.md"))
	if err != nil || !strings.Contains(string(sum), "(intervals) of 8 buffers") || !strings.Contains(string(sum), "0.25 on the odd-numbered") {
		t.Errorf("summary.md does not say the workload kind and the mix: %v\n%s", err, sum)
	}
	for _, c := range []struct {
		args []string
		name string
	}{
		{append(trainMallocArgs(out), "--steps", "4", "--resume", "--workload", "program", "--capacity-mix", "0.25"), `workload is "intervals" there`},
		{append(trainMallocArgs(out), "--steps", "4", "--resume", "--workload", "intervals", "--capacity-mix", "0.3"), "capacity_mix is 0.25 there"},
		{append(trainMallocArgs(out), "--steps", "4", "--resume", "--workload", "intervals"), "capacity_mix"},
	} {
		code, _, stderr := corl(t, c.args...)
		if code != exitUsage || !strings.Contains(stderr, c.name) {
			t.Errorf("%v: exit %d, want %d naming %s\n%s", c.args, code, exitUsage, c.name, stderr)
		}
	}
	if code, _, stderr := corl(t, "train", "malloc", "--out", out, "--resume"); code != exitOK {
		t.Errorf("a resume with only --out and --resume: exit %d\n%s", code, stderr)
	}
}

// The instances a run trains on are the ones its flags name: the
// workload kind's own generator under the run's seed, or the set's files,
// at --capacity-fraction of the peak live size, and at --capacity-mix on
// every odd-numbered one.
func TestTrainMallocInstancesFollowFlags(t *testing.T) {
	const frac, mix = 0.5, 0.25
	capacity := func(in *malloc.Instance, f float64) int64 { return max(1, int64(f*float64(in.PeakLive()))) }
	gen, err := mallocTrainInstances(trainMallocConfig{Workload: datasets.WorkloadIntervals, Seed: 7, Instances: 4, Ops: 30, CapacityFraction: frac, CapacityMix: mix})
	if err != nil {
		t.Fatal(err)
	}
	if len(gen) != 4 {
		t.Fatalf("%d instances, want 4", len(gen))
	}
	for i, in := range gen {
		want, err := datasets.Workload(datasets.WorkloadIntervals, rand.New(rand.NewPCG(7, uint64(i))), 30)
		if err != nil {
			t.Fatal(err)
		}
		f := []float64{frac, mix}[i%2]
		if len(in.Buffers) != len(want) || in.Capacity != capacity(in, f) {
			t.Fatalf("instance %d: %d buffers, capacity %d; want %d, %d (%g of the peak)", i, len(in.Buffers), in.Capacity, len(want), capacity(in, f), f)
		}
		for k, b := range in.Buffers {
			w := want[k]
			if b.Start != w.Start || b.End != w.End || b.Size != w.Size || b.Uses != w.Uses {
				t.Fatalf("instance %d buffer %d: %+v, want the intervals generator's %+v", i, k, b, w)
			}
		}
	}

	set := t.TempDir()
	if _, err := datasets.GenerateWorkloadSet(context.Background(), datasets.WorkloadIntervals, 20, datasets.SetConfig{Dir: set, N: 3, Seed: 2}); err != nil {
		t.Fatal(err)
	}
	read, err := mallocTrainInstances(trainMallocConfig{Set: set, CapacityFraction: frac, CapacityMix: mix})
	if err != nil {
		t.Fatal(err)
	}
	files, err := datasets.AllocationFiles(set)
	if err != nil || len(read) != len(files) || len(files) != 3 {
		t.Fatalf("%d instances of %d files (%v), want 3", len(read), len(files), err)
	}
	for k, f := range files {
		frac := []float64{frac, mix}[k%2]
		want, err := datasets.ReadAllocationCSV(f, frac, malloc.DefaultModel)
		if err != nil {
			t.Fatal(err)
		}
		if read[k].Capacity != want.Capacity || len(read[k].Buffers) != len(want.Buffers) {
			t.Errorf("%s: capacity %d, %d buffers; want %d, %d (%g of the peak)", f, read[k].Capacity, len(read[k].Buffers), want.Capacity, len(want.Buffers), frac)
		}
	}
}
