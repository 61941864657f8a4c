package main

import (
	"bytes"
	"cmp"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/corl-go/corl/agents/policy"
	"github.com/corl-go/corl/agents/qmip"
	"github.com/corl-go/corl/agents/train"
	"github.com/corl-go/corl/envs/bandits"
	"github.com/corl-go/corl/eval"
)

func trainBanditsArgs(out string) []string {
	return []string{"train", "bandits", "--family", "capacity", "--arms", "8", "--budget", "2", "--seed", "4",
		"--episodes", "6", "--horizon", "6", "--batch-size", "8", "--replay", "100", "--target-every", "10",
		"--warm-samples", "256", "--warm-epochs", "4", "--checkpoint-every", "1", "--eval-every", "3", "--eval-episodes", "1",
		"--workers", "2", "--out", out}
}

// corl train bandits killed (SIGKILL) at random moments and resumed each
// time ends with the policy of an uninterrupted run, bit for bit; the
// policy then plays in corl eval bandits next to the baselines.
func TestTrainBanditsKilledAndResumedIsIdentical(t *testing.T) {
	needHiGHS(t)
	if testing.Short() {
		t.Skip("runs corl train several times")
	}
	base := t.TempDir()
	ref := filepath.Join(base, "ref")
	want, whole := uninterruptedRun(t, trainBanditsArgs(ref))
	for _, f := range []string{"summary.md", "trace/train.parquet", "plots/return.png", "config.json"} {
		if _, err := os.Stat(filepath.Join(ref, f)); err != nil {
			t.Errorf("the run wrote no %s: %v", f, err)
		}
	}
	out := filepath.Join(base, "killed")
	kills := killAndResume(t, trainBanditsArgs(out), whole, 3, 11)
	got, err := os.ReadFile(filepath.Join(out, "policy.safetensors"))
	if err != nil {
		t.Fatalf("after %d kills: %v", kills, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("after %d kills and resumes the policy differs from the uninterrupted run's", kills)
	}
	t.Logf("%d kills", kills)

	pol := "sequoia:" + filepath.Join(ref, "policy.safetensors")
	code, stdout, stderr := corl(t, "eval", "bandits", "--family", "capacity", "--arms", "8", "--budget", "2", "--seed", "4",
		"--episodes", "2", "--horizon", "5", "--policies", pol+",random,myopic")
	if code != exitOK || !strings.Contains(stdout, pol) {
		t.Fatalf("eval with the trained policy: exit %d\n%s\n%s", code, stdout, stderr)
	}
	// Another instance (seed) is refused up front, naming the file.
	code, _, stderr = corl(t, "eval", "bandits", "--family", "capacity", "--arms", "8", "--budget", "2", "--seed", "5",
		"--episodes", "2", "--policies", pol)
	if code != exitUsage || !strings.Contains(stderr, "trained on capacity") {
		t.Fatalf("eval on another instance: exit %d, %q", code, stderr)
	}
}

// Mistakes are refused before a run directory is made.
func TestTrainBanditsRefusesBadFlags(t *testing.T) {
	for _, bad := range [][]string{
		{"--agent", "dqn"}, {"--family", "knapsack"}, {"--arms", "1"}, {"--budget", "0"}, {"--hidden", "16,x"},
		{"--gamma", "1"}, {"--episodes", "0"}, {"--eps-end", "2"}, {"--gap", "-1"}, {"--mip-time-limit", "-1"}, {"--batch-size", "64", "--replay", "10"},
		{"--tighten", "milp"}, {"--mip-start", "last"},
		{"--warm-start", "random"}, {"--units", "episode"}, {"--keep", "first"}, {"--features", "onehot"}, {"--warm-lr", "-1"},
		{"--skip", "quadratic"}, {"--target", "frozen"}, {"--target", "soft", "--tau", "0"}, {"--target", "soft", "--tau", "2"}, {"--tau", "0.5"},
		{"--lr-decay", "0"}, {"--lr-decay", "1.5"}, {"--anchor", "-1"},
		{"--improve", "-1"}, {"--improve", "200"}, {"--improve", "2", "--skip", "none"}, {"--improve", "2", "--features", "plain"}, {"--improve-eps", "0"}, {"--improve-ridge", "-1"},
		{"--improve", "2", "--episodes", "10", "--horizon", "20", "--replay", "199"},
		{"--keep-test", "median"}, {"--keep-test", "paired", "--eval-episodes", "1"}, {"--keep", "last", "--keep-test", "paired"},
	} {
		out := filepath.Join(t.TempDir(), "run")
		code, _, stderr := corl(t, append([]string{"train", "bandits", "--out", out}, bad...)...)
		if code != exitUsage || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
			t.Errorf("%v: exit %d, %q; want %d and one line", bad, code, stderr, exitUsage)
		}
		named := false // the message names a flag given, not a Config field
		for _, a := range bad {
			named = named || strings.HasPrefix(a, "--") && strings.Contains(stderr, a)
		}
		if !named {
			t.Errorf("%v: %q names none of the flags given", bad, stderr)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%v: a run directory was made", bad)
		}
	}
}

// A flag that would do nothing is refused by name: DQN's under
// --improve, --improve's without it.
func TestTrainBanditsRefusesIdleImproveFlags(t *testing.T) {
	cases := [][]string{{"--improve-eps", "0.5"}, {"--improve-ridge", "0.01"}, {"--improve", "0", "--improve-eps", "0.5"}}
	for _, f := range []string{"lr", "lr-decay", "batch-size", "train-every", "target-every", "target", "tau",
		"eps-start", "eps-end", "eps-decay", "eval-every", "anchor"} {
		v := map[string]string{"target": "soft", "tau": "0.5", "anchor": "1", "lr-decay": "0.9", "eps-start": "0.5", "eps-end": "0.1", "eps-decay": "0.4", "lr": "0.01"}[f]
		cases = append(cases, []string{"--improve", "2", "--" + f, cmp.Or(v, "3")})
	}
	cases = append(cases, []string{"--improve", "2", "--double"})
	for _, bad := range cases {
		out := filepath.Join(t.TempDir(), "run")
		code, _, stderr := corl(t, append([]string{"train", "bandits", "--out", out}, bad...)...)
		flag := bad[len(bad)-2]
		if bad[len(bad)-1] == "--double" {
			flag = "--double"
		}
		if code != exitUsage || !strings.Contains(stderr, flag+" ") {
			t.Errorf("%v: exit %d, %q; want %d naming %s", bad, code, stderr, exitUsage, flag)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%v: a run directory was made", bad)
		}
	}
}

// corl eval bandits hands --tighten and --mip-start to sequoia:PATH
// policies: the setting reaches the policy, and since every choice is
// the network's exact argmax either way, the rewards are the same.
func TestEvalBanditsSelectFlags(t *testing.T) {
	needHiGHS(t)
	if testing.Short() {
		t.Skip("trains a policy")
	}
	out := filepath.Join(t.TempDir(), "run")
	if code, _, stderr := corl(t, "train", "bandits", "--family", "scheduling", "--arms", "8", "--budget", "2", "--seed", "4",
		"--episodes", "2", "--horizon", "3", "--batch-size", "4", "--replay", "50", "--warm-samples", "128", "--warm-epochs", "2",
		"--eval-every", "10", "--eval-episodes", "1", "--workers", "1", "--out", out); code != exitOK {
		t.Fatalf("train: exit %d: %s", code, stderr)
	}
	pol := "sequoia:" + filepath.Join(out, "policy.safetensors")
	var means [][]float64
	for _, flags := range [][]string{nil, {"--tighten", "lp", "--mip-start", "none"}, {"--tighten", "none", "--mip-start", "previous"}} {
		args := append([]string{"eval", "bandits", "--family", "scheduling", "--arms", "8", "--budget", "2", "--seed", "4",
			"--episodes", "2", "--horizon", "5", "--json", "--policies", pol + ",myopic"}, flags...)
		code, stdout, stderr := corl(t, args...)
		if code != exitOK {
			t.Fatalf("%v: exit %d: %s", flags, code, stderr)
		}
		var rows []eval.BanditRow
		if err := json.Unmarshal([]byte(stdout), &rows); err != nil {
			t.Fatalf("%v: %v in %q", flags, err, stdout)
		}
		var m []float64
		for _, r := range rows {
			m = append(m, r.Mean)
		}
		means = append(means, m)
	}
	for k := 1; k < len(means); k++ {
		if !slices.Equal(means[k], means[0]) {
			t.Errorf("mean rewards %v under other selection flags, %v by default", means[k], means[0])
		}
	}
	sel := qmip.SelectConfig{Tighten: qmip.TightenLP, Start: qmip.StartNone}
	p, err := policy.BanditSelect(pol, sel)
	if err != nil {
		t.Fatal(err)
	}
	defer bandits.ClosePolicy(p)
	if got := p.(*qmip.Policy).Select(); got != sel {
		t.Fatalf("BanditSelect(%v): the policy selects with %+v", sel, got)
	}
}

// Under --improve the summary counts policy iteration's rounds and the
// transitions they fitted, not DQN's updates and batch.
func TestTrainBanditsSummaryOfImprove(t *testing.T) {
	q := qmip.Config{Family: "capacity", J: 8, B: 2, Episodes: 4, Horizon: 10, Improve: 2}.WithDefaults()
	dir := &train.Dir{Path: t.TempDir()}
	if err := writeBanditsSummary(dir, trainBanditsConfig{Config: q}, qmip.Summary{Episodes: 4, Steps: 40, Rounds: 2}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(dir.Join("summary.md"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if !strings.Contains(s, "2 rounds of policy iteration, the last on 40 transitions") || strings.Contains(s, "updates") {
		t.Fatalf("summary:\n%s", s)
	}
}
