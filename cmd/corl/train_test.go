package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/corl-go/corl/agents/revibranch"
	"github.com/corl-go/corl/agents/train"
	"github.com/corl-go/corl/datasets"
	"github.com/corl-go/corl/internal/evalcli"
	"github.com/corl-go/corl/solver"
	"github.com/corl-go/corl/solver/bnb"
)

// TestMain lets a test run this binary as the corl command (for tests that
// kill it).
func TestMain(m *testing.M) {
	if os.Getenv("CORL_TEST_RUN_MAIN") == "1" {
		os.Exit(run(signalContext(os.Stderr), os.Args, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// corlProcess starts corl as a child process.
func corlProcess(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "CORL_TEST_RUN_MAIN=1")
	return cmd
}

// interruptOnceExists starts cmd, sends it SIGINT once path exists, and
// checks that it exits 130; it returns its standard error.
func interruptOnceExists(t *testing.T, cmd *exec.Cmd, path string) string {
	t.Helper()
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 600; i++ {
		if _, err := os.Stat(path); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	cmd.Process.Signal(os.Interrupt)
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != exitInterrupted {
		t.Fatalf("exit: %v, want %d\n%s", err, exitInterrupted, errb.String())
	}
	return errb.String()
}

// The demo, at a reduced size, runs end to end and writes what it says;
// run again, it continues the finished run instead of starting over.
func TestDemoReduced(t *testing.T) {
	needHiGHS(t)
	if testing.Short() {
		t.Skip("trains a policy end to end")
	}
	out := filepath.Join(t.TempDir(), "demo")
	args := []string{"demo", "--out", out, "--instances", "6", "--samples", "40", "--epochs", "2", "--eval-instances", "2"}
	code, stdout, stderr := corl(t, args...)
	if code != exitOK {
		t.Fatalf("demo: exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"gnn", "mostfrac", "pscost", "relpscost", "highs", "top-1"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("demo output lacks %q:\n%s", want, stdout)
		}
	}
	for _, f := range []string{"policy.safetensors", "summary.md", "config.json", "trace/train.parquet", "trace/eval.parquet"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	if pngs, _ := filepath.Glob(filepath.Join(out, "plots", "*.png")); len(pngs) < 2 {
		t.Errorf("plots: %v", pngs)
	}
	if _, err := revibranch.LoadPolicy(filepath.Join(out, "policy.safetensors"), nil); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = corl(t, args...)
	if code != exitOK || !strings.Contains(stderr, "continuing") {
		t.Fatalf("second demo: exit %d\n%s", code, stderr)
	}
	// Another run's settings in the same directory are refused.
	if code, _, _ := corl(t, "demo", "--out", out, "--samples", "41"); code != exitUsage {
		t.Fatalf("demo over another run: exit %d, want %d", code, exitUsage)
	}
}

// gnn and gnn:PATH branch wherever a rule name is accepted; bad
// checkpoints are input errors naming the file.
func TestLearnedBranching(t *testing.T) {
	needHiGHS(t)
	dir := t.TempDir()
	fam, _ := datasets.Lookup("setcover")
	m, _, err := fam.Generate(datasets.Easy, 4, map[string]float64{"rows": 120, "cols": 240})
	if err != nil {
		t.Fatal(err)
	}
	model := filepath.Join(dir, "sc.mps")
	if err := solver.WriteMPSFile(model, m); err != nil {
		t.Fatal(err)
	}
	policy := filepath.Join(dir, "p.safetensors")
	if err := os.WriteFile(policy, revibranch.DefaultPolicyBytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	ref := solveJSON(t, model)
	for _, name := range []string{"gnn", "gnn:" + policy} {
		r := solveJSON(t, model, "--bnb", "--branching", name)
		if r.Status != "optimal" || r.Objective == nil || math.Abs(*r.Objective-*ref.Objective) > 1e-6*math.Max(1, math.Abs(*ref.Objective)) {
			t.Fatalf("%s: %+v, HiGHS says %v", name, r, *ref.Objective)
		}
	}
	set := filepath.Join(dir, "set")
	os.Mkdir(set, 0o755)
	os.Rename(model, filepath.Join(set, "sc.mps"))
	code, stdout, stderr := corl(t, "eval", "milp", "--set", set, "--branching", "pscost,gnn:"+policy, "--json")
	if code != exitOK || !strings.Contains(stdout, "gnn:"+policy) {
		t.Fatalf("eval: exit %d\n%s\n%s", code, stdout, stderr)
	}
	garbage := filepath.Join(dir, "garbage.safetensors")
	os.WriteFile(garbage, []byte("not a checkpoint"), 0o644)
	for _, bad := range []string{filepath.Join(dir, "missing.safetensors"), garbage} {
		code, _, stderr := corl(t, "solve", filepath.Join(set, "sc.mps"), "--bnb", "--branching", "gnn:"+bad)
		if code != exitInput || !strings.Contains(stderr, bad) {
			t.Errorf("gnn:%s: exit %d, %q; want %d naming the file", bad, code, stderr, exitInput)
		}
	}
	if code, _, _ := corl(t, "solve", filepath.Join(set, "sc.mps"), "--bnb", "--branching", "gnn:"); code != exitUsage {
		t.Errorf("gnn: without a path: exit %d", code)
	}
}

// corl train milp killed (SIGKILL) at random moments and resumed each
// time ends with the same policy, bit for bit, as an uninterrupted run.
func TestTrainKilledAndResumedIsIdentical(t *testing.T) {
	needHiGHS(t)
	if testing.Short() {
		t.Skip("runs corl train several times")
	}
	args := func(out string) []string {
		return []string{"train", "milp", "--family", "setcover", "--param", "rows=120", "--param", "cols=240",
			"--instances", "6", "--samples", "60", "--expert-prob", "0.2", "--epochs", "4", "--batch-size", "8",
			"--dim", "16", "--eval-instances", "0", "--seed", "3", "--workers", "2", "--out", out}
	}
	base := t.TempDir()
	want, whole := uninterruptedRun(t, args(filepath.Join(base, "ref")))
	// Four kills at random moments of the run (collection, training,
	// between), then a resume that runs to the end.
	out := filepath.Join(base, "killed")
	kills := killAndResume(t, args(out), whole, 4, 7)
	got, err := os.ReadFile(filepath.Join(out, "policy.safetensors"))
	if err != nil {
		t.Fatalf("after %d kills: %v", kills, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("after %d kills and resumes the policy differs from the uninterrupted run's", kills)
	}
	t.Logf("%d kills", kills)
}

// uninterruptedRun runs a training command (its --out last) to the end and
// returns the policy it wrote and how long it took.
func uninterruptedRun(t *testing.T, args []string) ([]byte, time.Duration) {
	t.Helper()
	start := time.Now()
	if code, _, stderr := corl(t, args...); code != exitOK {
		t.Fatalf("uninterrupted run: exit %d\n%s", code, stderr)
	}
	whole := time.Since(start)
	policy, err := os.ReadFile(filepath.Join(args[len(args)-1], "policy.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	return policy, whole
}

// killAndResume runs corl with args, kills it with SIGKILL at a random
// moment of a run of length whole, resumes it (args plus --resume), and so
// on n times, then lets the last resume finish. It returns the kills that
// landed before the run ended by itself.
func killAndResume(t *testing.T, args []string, whole time.Duration, n int, seed uint64) int {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, seed))
	kills := 0
	for try := range n + 1 {
		a := args
		if try > 0 {
			a = append(slices.Clone(args), "--resume")
		}
		cmd := corlProcess(t, a...)
		var errb bytes.Buffer
		cmd.Stderr = &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		var kill <-chan time.Time
		if try < n {
			kill = time.After(200*time.Millisecond + time.Duration(rng.Float64()*0.4*float64(whole)))
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("run %d: %v\n%s", try, err, errb.String())
			}
			if try < n {
				return kills // finished before the kill: nothing left to resume
			}
		case <-kill:
			cmd.Process.Signal(syscall.SIGKILL)
			<-done
			kills++
		}
	}
	return kills
}

// Ctrl-C stops a training run cleanly: exit 130, a message saying how to
// resume, and the run directory left resumable.
func TestTrainInterruptExits130(t *testing.T) {
	needHiGHS(t)
	out := filepath.Join(t.TempDir(), "run")
	cmd := corlProcess(t, "train", "milp", "--family", "setcover", "--param", "rows=150", "--param", "cols=300",
		"--instances", "4", "--samples", "400", "--eval-instances", "0", "--out", out)
	// Interrupt once the run has begun (its config is written after the
	// signal handler is installed), however slow the machine.
	stderr := interruptOnceExists(t, cmd, filepath.Join(out, "config.json"))
	if !strings.Contains(stderr, "--resume") {
		t.Errorf("no word on resuming:\n%s", stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "config.json")); err != nil {
		t.Error(err)
	}
}

// Mistakes on the command line are refused before the run directory is
// made, so the corrected command then runs there.
func TestTrainMistakesLeaveNoRun(t *testing.T) {
	policy := filepath.Join(t.TempDir(), "p.safetensors")
	if err := os.WriteFile(policy, revibranch.DefaultPolicyBytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]string{
		{"--param", "bogus=1"},
		{"--param", "rows=-5"},
		{"--param", "rows=0"},
		{"--expert-prob", "NaN"},
		{"--eval-time-limit", "-1"},
		{"--param", "rows=100", "--eval-size", "medium"},
		{"--init", policy}, // a dim-32 policy, --dim 64 by default
		{"--init", filepath.Join(t.TempDir(), "missing.safetensors")},
		{"--agent", "nope"},
		{"--agent", "revibranch", "--tree-mdp", "--no-history"},
		{"--agent", "revibranch", "--replay-mb", "0"},
		{"--agent", "revibranch", "--loss", "l1"},
		{"--agent", "revibranch", "--reward", "time"},
		{"--agent", "revibranch", "--episodes", "0"},
		{"--agent", "revibranch", "--eps-start", "2"},
		{"--agent", "revibranch", "--init", filepath.Join(t.TempDir(), "missing.safetensors")},
		{"--eval-branching", "nope"},
		{"--cuts", "off"},
		{"--cuts", "gomory,mir"},
		{"--cuts", "root,cover"},
		{"--cuts", "sometimes"},
	} {
		out := filepath.Join(t.TempDir(), "run")
		code, _, stderr := corl(t, append([]string{"train", "milp", "--out", out, "--instances", "2"}, bad...)...)
		if code != exitUsage && code != exitInput {
			t.Errorf("%v: exit %d (%s), want a usage or input error", bad, code, stderr)
		}
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		if strings.Contains(stderr, "panic") || !strings.HasPrefix(lines[len(lines)-1], "corl: ") {
			t.Errorf("%v: no one-line message: %q", bad, stderr)
		}
		if _, err := os.Stat(out); err == nil {
			t.Errorf("%v: the run directory was made", bad)
		}
	}
}

// A training run recorded before cuts at every node became the search's
// default (its config.json has no cut_nodes) resumes with the root-only
// search its episodes were played with, and so does one recorded before
// one-opt became a default heuristic (no oneopt: one-opt off) or before
// aggregated covers (no aggcover: off); a new run records the defaults.
func TestTrainRecordKeepsCutPlacement(t *testing.T) {
	var old trainMILPConfig
	if err := json.Unmarshal([]byte(`{"agent":"il","samples":10,"seed":1}`), &old); err != nil {
		t.Fatal(err)
	}
	if s := old.search(7); !s.Cuts.RootOnly || s.NodeLimit != 7 {
		t.Errorf("a run recorded without cut_nodes searches with %+v, want root cuts only", s)
	}
	if s := old.search(7); !s.Heuristics.NoOneOpt || !s.Heuristics.NoSwap {
		t.Errorf("a run recorded without oneopt and swap searches with %+v, want both off", s.Heuristics)
	}
	if s := old.search(7); !s.Cuts.NoAggCover {
		t.Errorf("a run recorded without aggcover searches with %+v, want no aggregated covers", s.Cuts)
	}
	// Recorded with cuts at every node, before Gomory cuts left the nodes.
	var mid trainMILPConfig
	if err := json.Unmarshal([]byte(`{"agent":"il","samples":10,"seed":1,"cut_nodes":true,"oneopt":true}`), &mid); err != nil {
		t.Fatal(err)
	}
	if s := mid.search(0); s.Cuts.RootOnly || !s.Cuts.GomoryNodes || s.Heuristics.NoOneOpt || !s.Heuristics.NoSwap {
		t.Errorf("a run recorded without gomory_nodes and swap searches with %+v, want Gomory cuts at the nodes, no swap", s)
	}
	app := newApp(io.Discard, io.Discard)
	var got trainMILPConfig
	app.Commands = []*cli.Command{{Name: "x", Flags: trainMILPCommand().Flags, Action: func(c *cli.Context) (err error) {
		got, err = trainConfigFromFlags(c)
		return err
	}}}
	if err := app.Run([]string{"corl", "x", "--family", "setcover", "--out", t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	var back trainMILPConfig
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if s := back.search(0); s.Cuts.RootOnly {
		t.Errorf("a new run's record %s searches with root cuts only", b)
	}
	if s := back.search(0); s.Heuristics.NoOneOpt || s.Heuristics.NoSwap || s.Cuts.GomoryNodes || s.Cuts.NoAggCover {
		t.Errorf("a new run's record %s searches with %+v, want one-opt, swap and aggregated covers on, Gomory cuts at the root only", b, s)
	}
}

// --cuts root makes every search of a run (collection and RL episodes,
// validation, the held-out evaluation) separate cuts at the root only,
// and the record says so; a resume that gives another --cuts is refused.
func TestTrainCutsFlag(t *testing.T) {
	parse := func(args ...string) trainMILPConfig {
		t.Helper()
		app := newApp(io.Discard, io.Discard)
		var got trainMILPConfig
		app.Commands = []*cli.Command{{Name: "x", Flags: trainMILPCommand().Flags, Action: func(c *cli.Context) (err error) {
			got, err = trainConfigFromFlags(c)
			return err
		}}}
		if err := app.Run(append([]string{"corl", "x", "--family", "knapsack", "--out", t.TempDir()}, args...)); err != nil {
			t.Fatal(err)
		}
		return got
	}
	for _, tc := range []struct {
		args     []string
		rootOnly bool
	}{
		{nil, false},
		{[]string{"--cuts", "on"}, false},
		{[]string{"--cuts", "root"}, true},
		{[]string{"--agent", "revibranch", "--cuts", "root"}, true},
	} {
		cfg := parse(tc.args...)
		b, err := json.Marshal(cfg)
		if err != nil {
			t.Fatal(err)
		}
		var back trainMILPConfig // what a resume reads
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		for _, c := range []trainMILPConfig{cfg, back} {
			// Clique cuts where the recorded searches had them: at every node
			// the search cuts at.
			if s := c.search(7); s.Cuts.RootOnly != tc.rootOnly || s.NoCuts || s.Cuts != (bnb.Cuts{RootOnly: tc.rootOnly, CliqueNodes: !tc.rootOnly, EveryNode: !tc.rootOnly}) || !s.Heuristics.FixedRINS || s.PlungeQuot != 0.5 {
				t.Errorf("%v: the episodes search with %+v (no cuts %v), want root only %v", tc.args, s.Cuts, s.NoCuts, tc.rootOnly)
			}
			if ev := trainEvalMILP(c); ev.BnB.Cuts.RootOnly != tc.rootOnly || ev.BnB.NodeLimit != 0 || ev.BnB.Heuristics.NoOneOpt {
				t.Errorf("%v: the held-out evaluation searches with %+v, want root only %v, no node limit, one-opt", tc.args, ev.BnB, tc.rootOnly)
			}
		}
	}

	// A recorded run resumed with another --cuts is refused before it runs;
	// a run recorded before the field searched with root cuts only.
	args := []string{"train", "milp", "--family", "knapsack", "--instances", "2", "--samples", "10", "--eval-instances", "0"}
	for _, tc := range []struct {
		record, resume string
	}{
		{"root", "on"},
		{"on", "root"},
		{"", "on"}, // recorded without cut_nodes
	} {
		out := filepath.Join(t.TempDir(), "run")
		cfg := parse("--instances", "2", "--samples", "10", "--eval-instances", "0", "--cuts", "root")
		switch tc.record {
		case "on":
			cfg.CutNodes = new(true)
		case "":
			cfg.CutNodes = nil
		}
		if _, err := train.Create(out, cfg); err != nil {
			t.Fatal(err)
		}
		code, _, stderr := corl(t, append(slices.Clone(args), "--out", out, "--resume", "--cuts", tc.resume)...)
		if code != exitUsage || !strings.Contains(stderr, "--cuts "+tc.resume) {
			t.Errorf("run recorded with cuts %q resumed with --cuts %s: exit %d, %q; want a usage error naming --cuts", tc.record, tc.resume, code, stderr)
		}
	}

	// --aggcover=false searches every part of the run without aggregated
	// covers and is recorded; a resume that gives the other value is
	// refused, one without the flag or with the same value is not.
	for _, args := range [][]string{{"--aggcover=false"}, {"--agent", "revibranch", "--aggcover=false", "--cuts", "root"}} {
		cfg := parse(args...)
		b, err := json.Marshal(cfg)
		if err != nil {
			t.Fatal(err)
		}
		var back trainMILPConfig
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if !back.search(7).Cuts.NoAggCover || !trainEvalMILP(back).BnB.Cuts.NoAggCover {
			t.Errorf("%v: the recorded run searches with aggregated covers", args)
		}
		var sum strings.Builder
		summaryInstances(&sum, back)
		if !strings.Contains(sum.String(), "without aggregated covers (`--aggcover=false`") {
			t.Errorf("%v: summary.md does not say the run searched without aggregated covers:\n%s", args, sum.String())
		}
	}
	if cfg := parse(); cfg.search(7).Cuts.NoAggCover {
		t.Error("without --aggcover the run searches without aggregated covers, want with them")
	}
	// End to end: a run recorded with --aggcover=false, resumed with
	// --aggcover, is refused before it runs.
	{
		out := filepath.Join(t.TempDir(), "run")
		if _, err := train.Create(out, parse("--instances", "2", "--samples", "10", "--eval-instances", "0", "--aggcover=false")); err != nil {
			t.Fatal(err)
		}
		code, _, stderr := corl(t, "train", "milp", "--family", "knapsack", "--instances", "2", "--samples", "10", "--eval-instances", "0", "--out", out, "--resume", "--aggcover")
		if code != exitUsage || !strings.Contains(stderr, "--aggcover=true") {
			t.Errorf("a run recorded with --aggcover=false resumed with --aggcover: exit %d, %q; want a usage error naming --aggcover", code, stderr)
		}
	}
	off, with := trainMILPConfig{AggCover: new(false)}, trainMILPConfig{AggCover: new(true)}
	for _, tc := range []struct {
		rec, given trainMILPConfig
		set, ok    bool
	}{
		{off, with, true, false}, {with, off, true, false}, {trainMILPConfig{}, with, true, false},
		{off, off, true, true}, {with, with, true, true}, {trainMILPConfig{}, off, true, true}, {off, with, false, true},
	} {
		err := resumeAggCover(tc.set, tc.rec, tc.given, "run")
		if (err == nil) != tc.ok || err != nil && !strings.Contains(err.Error(), "--aggcover=") {
			t.Errorf("recorded %v, given %v (set %v): %v, want ok %v", tc.rec.AggCover, tc.given.AggCover, tc.set, err, tc.ok)
		}
	}

	// The same --cuts, or none, resumes.
	on, root := new(true), new(false)
	for _, tc := range []struct {
		record *bool
		set    bool
		resume *bool
	}{
		{root, true, root}, {on, true, on}, {nil, true, root}, {on, false, root}, {nil, false, on},
	} {
		if err := resumeCuts(tc.set, trainMILPConfig{CutNodes: tc.record}, trainMILPConfig{CutNodes: tc.resume}, "run"); err != nil {
			t.Errorf("recorded %s, --cuts %s given %v: %v", cutsName(tc.record), cutsName(tc.resume), tc.set, err)
		}
	}
}

// Shards corl-beam collect milp recorded under another search than the
// run's are refused before anything runs; a record of the run's own
// search, or none, is accepted.
func TestTrainRefusesShardsOfAnotherSearch(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	samples := filepath.Join(out, "samples")
	if err := os.MkdirAll(samples, 0o755); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(evalcli.DefaultCollectSearch)
	if err := os.WriteFile(filepath.Join(samples, evalcli.CollectSearchFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := corl(t, "train", "milp", "--family", "knapsack", "--instances", "2", "--samples", "10", "--eval-instances", "0", "--aggcover=false", "--out", out)
	if code != exitUsage || !strings.Contains(stderr, evalcli.CollectSearchFile) || !strings.Contains(stderr, `"aggcover":true`) {
		t.Errorf("shards of the default search, a run with --aggcover=false: exit %d, %q; want a usage error naming the record", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(out, "config.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the refused run left a record behind (%v): the right command line would then need --resume", err)
	}

	on, off := new(true), new(false)
	def := trainMILPConfig{CutNodes: on, OneOpt: on, GomoryNodes: off, Swap: on, AggCover: on}
	if err := checkShardSearch(samples, def); err != nil {
		t.Errorf("shards of the default search, a run of it: %v", err)
	}
	if err := checkShardSearch(t.TempDir(), trainMILPConfig{}); err != nil {
		t.Errorf("no record: %v", err)
	}
	root := def
	root.CutNodes = off
	if err := checkShardSearch(samples, root); err == nil {
		t.Error("shards of the default search, a run with --cuts root: accepted")
	}
	if got := def.collectSearch(); got != evalcli.DefaultCollectSearch || !reflect.DeepEqual(def.search(9), evalcli.DefaultCollectSearch.Config(9)) {
		t.Errorf("a new run's search %+v, want corl-beam's default %+v", got, evalcli.DefaultCollectSearch)
	}
}
