package main

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/corl-go/corl/agents/revibranch"
)

// corl train milp --agent revibranch killed (SIGKILL) at random moments
// and resumed each time ends with the same Q-network, bit for bit, as an
// uninterrupted run (its encoder starting from the shipped policy); the
// network then branches in corl solve.
func TestTrainRLKilledAndResumedIsIdentical(t *testing.T) {
	needHiGHS(t)
	if testing.Short() {
		t.Skip("runs corl train several times")
	}
	var optima string
	args := func(out string) []string {
		return []string{"train", "milp", "--agent", "revibranch", "--family", "knapsack", "--param", "items=14", "--param", "knapsacks=2",
			"--instances", "3", "--episodes", "10", "--episodes-per-round", "2", "--updates-per-round", "2", "--paths-per-update", "4",
			"--episode-node-limit", "150", "--eval-instances", "0", "--seed", "3", "--workers", "2", "--optima-cache", optima, "--out", out}
	}
	base := t.TempDir()
	optima = filepath.Join(base, "optima")
	want, whole := uninterruptedRun(t, args(filepath.Join(base, "ref")))
	out := filepath.Join(base, "killed")
	kills := killAndResume(t, args(out), whole, 3, 11)
	got, err := os.ReadFile(filepath.Join(out, "policy.safetensors"))
	if err != nil {
		t.Fatalf("after %d kills: %v", kills, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("after %d kills and resumes the Q-network differs from the uninterrupted run's", kills)
	}
	t.Logf("%d kills", kills)
	summary, err := os.ReadFile(filepath.Join(out, "summary.md"))
	if err != nil || !strings.Contains(string(summary), "encoder from shipped") {
		t.Errorf("summary.md does not say where the encoder started (%v):\n%s", err, summary)
	}
	set := t.TempDir()
	if code, _, stderr := corl(t, "generate", "knapsack", "--param", "items=12", "--param", "knapsacks=2", "--n", "1", "--out", set); code != exitOK {
		t.Fatalf("generate: exit %d\n%s", code, stderr)
	}
	mps := filepath.Join(set, "knapsack-easy-0000.mps.gz")
	if code, stdout, stderr := corl(t, "solve", "--bnb", "--branching", "revibranch:"+filepath.Join(out, "policy.safetensors"), mps); code != exitOK || !strings.Contains(stdout, "optimal") {
		t.Fatalf("solve with the Q-network: exit %d\n%s%s", code, stdout, stderr)
	}
	if code, _, _ := corl(t, "solve", "--bnb", "--branching", "revibranch:", mps); code != exitUsage {
		t.Errorf("revibranch: without a path: exit %d, want %d", code, exitUsage)
	}
	if code, _, _ := corl(t, "solve", "--bnb", "--branching", "revibranch:"+filepath.Join(set, "manifest.json"), mps); code != exitInput {
		t.Errorf("revibranch: on a file that is no checkpoint: exit %d, want %d", code, exitInput)
	}
}

// The revibranch flags' defaults are RLConfig's, so the two cannot drift.
func TestRLFlagDefaultsAreRLConfigs(t *testing.T) {
	d := revibranch.RLConfig{}.WithDefaults()
	want := map[string]any{
		"episodes-per-round": d.EpisodesPerRound, "updates-per-round": d.UpdatesPerRound, "paths-per-update": d.Batch,
		"replay-mb": d.ReplayMB, "n-step": d.NStep, "eps-start": d.EpsStart, "eps-end": d.EpsEnd, "loss": d.Loss, "reward": string(d.Reward),
		"imitation-decay": d.ImitationDecay, "keep": d.Keep, "valid-every": d.ValidEvery,
	}
	seen := 0
	for _, f := range rlFlags() {
		w, ok := want[f.Names()[0]]
		if !ok {
			continue
		}
		seen++
		var got any
		switch f := f.(type) {
		case *cli.IntFlag:
			got = f.Value
		case *cli.Float64Flag:
			got = f.Value
		case *cli.StringFlag:
			got = f.Value
		}
		if got != w {
			t.Errorf("--%s defaults to %v, RLConfig to %v", f.Names()[0], got, w)
		}
	}
	if seen != len(want) {
		t.Errorf("%d of the %d flags found", seen, len(want))
	}
}

// --keep is last or best, and best validates on generated instances, so
// not with --set: usage errors before any run directory is made.
func TestRLKeepFlags(t *testing.T) {
	set := t.TempDir()
	if code, _, stderr := corl(t, "generate", "knapsack", "--param", "items=12", "--param", "knapsacks=2", "--n", "1", "--out", set); code != exitOK {
		t.Fatalf("generate: exit %d\n%s", code, stderr)
	}
	for _, extra := range [][]string{
		{"--keep", "first", "--family", "knapsack"},
		{"--keep", "best", "--set", set},
		{"--keep", "best", "--valid-instances", "0", "--family", "knapsack"},
		{"--imitation", "-1", "--family", "knapsack"},
		{"--imitation-decay", "0", "--imitation", "1", "--family", "knapsack"},
		{"--candidate-lr", "-1", "--family", "knapsack"},
		{"--valid-every", "0", "--keep", "best", "--family", "knapsack"},
		// Flags that would have no effect.
		{"--valid-instances", "5", "--family", "knapsack"},
		{"--valid-every", "5", "--keep", "last", "--family", "knapsack"},
		{"--keep-candidates", "--family", "knapsack"},
		{"--imitation-decay", "0.5", "--family", "knapsack"},
		{"--optima-cache", "", "--no-cutoff", "--family", "knapsack"},
		{"--imitation", "1", "--dim", "8", "--family", "knapsack"},
		// Training instances that would reach the validation ones.
		{"--instances", "500001", "--keep", "best", "--family", "knapsack"},
	} {
		out := filepath.Join(t.TempDir(), "run")
		args := append([]string{"train", "milp", "--agent", "revibranch", "--instances", "2", "--episodes", "2", "--eval-instances", "0", "--out", out}, extra...)
		code, _, stderr := corl(t, args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d\n%s", extra, code, exitUsage, stderr)
		} else if !strings.Contains(stderr, extra[0]) {
			t.Errorf("%v: the error does not name %s:\n%s", extra, extra[0], stderr)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%v: the run directory was made", extra)
		}
	}
}

// A round without updates shows its diagnostics as "–", not 0.
func TestRLProgressLineWithoutUpdates(t *testing.T) {
	nan := math.NaN()
	line := rlProgressLine(revibranch.RLProgress{Nodes: 12, Loss: nan, Agree: nan, Gap: nan, Residual: nan, Valid: nan})
	if want := "nodes 12, loss –, eps 0.00, replay 0 paths; Q gap –, residual –"; line != want {
		t.Fatalf("progress line %q, want %q", line, want)
	}
}

// The summary names the options that held the run, and says so when none
// did rather than listing them at 0.
func TestRLHeldLine(t *testing.T) {
	for _, c := range []struct {
		rl   revibranch.RLConfig
		want string
	}{
		{revibranch.RLConfig{}, "Held near the start by: nothing (no imitation term, one rate, the last network kept).\n\n"},
		{revibranch.RLConfig{Imitation: 0.5, CandidateLR: 1e-4}, "Held near the start by: imitation term λ 0.5 (decaying over 1 of the episodes), candidate-part rate 0.0001.\n\n"},
		{revibranch.RLConfig{Keep: revibranch.KeepBest}, "Held near the start by: keep best (of 7 validation instances, every 10 rounds; validation scores in the trace's valid rows).\n\n"},
	} {
		if got := heldLine(c.rl.WithDefaults(), 7); got != c.want {
			t.Errorf("%+v: %q, want %q", c.rl, got, c.want)
		}
	}
}
