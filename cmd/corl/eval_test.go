package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/corl-go/corl/eval"
	"github.com/corl-go/corl/trace"
)

// deterministic is what a run's row must reproduce: everything but
// the wall time and the run's name.
type deterministic struct {
	Instance, Policy, Status    string
	Seed, Nodes, LPIterations   int64
	Objective, DualBound, Score float64
}

func detRows(t *testing.T, path string) []deterministic {
	t.Helper()
	rows, err := trace.ReadOf[trace.Result](path)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]deterministic, len(rows))
	for i, r := range rows {
		out[i] = deterministic{r.Instance, r.Policy, r.Status, r.Seed, r.Nodes, r.LPIterations, nan0(r.Objective), nan0(r.DualBound), nan0(r.Score)}
	}
	return out
}

// nan0 makes NaN comparable.
func nan0(v float64) float64 {
	if math.IsNaN(v) {
		return -math.MaxFloat64
	}
	return v
}

func sameRows(t *testing.T, what string, got, want []deterministic) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d rows, want %d", what, len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%s: row %d is %+v, want %+v", what, i, got[i], want[i])
		}
	}
}

func smallSet(t *testing.T, n string) string {
	t.Helper()
	dir := t.TempDir()
	if code, _, errs := corl(t, "generate", "setcover", "--n", n, "--seed", "3", "--param", "rows=60", "--param", "cols=120", "--out", dir); code != exitOK {
		t.Fatal(errs)
	}
	return dir
}

// --workers 2 writes the rows and prints the table (its deterministic
// columns) that --workers 1 does.
func TestEvalWorkersSameTable(t *testing.T) {
	needHiGHS(t)
	set := smallSet(t, "3")
	var tables [2][]eval.MILPRow
	var files [2][]deterministic
	for k, w := range []string{"1", "2"} {
		out := filepath.Join(t.TempDir(), "r.parquet")
		code, stdout, errs := corl(t, "eval", "milp", "--set", set, "--branching", "mostfrac,pscost,random", "--highs", "--workers", w, "--json", "--out", out)
		if code != exitOK {
			t.Fatalf("--workers %s: exit %d: %s", w, code, errs)
		}
		if err := json.Unmarshal([]byte(stdout), &tables[k]); err != nil {
			t.Fatal(err)
		}
		files[k] = detRows(t, out)
	}
	sameRows(t, "--workers 2", files[1], files[0])
	for p := range tables[0] {
		a, b := tables[0][p], tables[1][p]
		if a.Policy != b.Policy || a.Solved != b.Solved || a.NodesSGM != b.NodesSGM || a.Disagree != b.Disagree || a.Instances != b.Instances {
			t.Errorf("--workers 2 row %+v, --workers 1 %+v", b, a)
		}
	}
}

// partsRuns reads every visible file beside and in out's parts directory
// and returns the runs finished in the parts.
func partsRuns(t *testing.T, out string) int {
	t.Helper()
	entries, err := os.ReadDir(out + ".parts")
	if errors.Is(err, os.ErrNotExist) {
		return 0
	} else if err != nil {
		t.Fatal(err)
	}
	runs := 0
	for _, e := range entries {
		p := filepath.Join(out+".parts", e.Name())
		switch {
		case strings.HasPrefix(e.Name(), "."), strings.HasSuffix(e.Name(), ".json"):
		case strings.HasSuffix(e.Name(), ".steps.parquet"):
			if _, err := trace.Read(p); err != nil {
				t.Errorf("after a kill: %v", err)
			}
		default:
			rows, err := trace.ReadOf[trace.Result](p)
			if err != nil {
				t.Errorf("after a kill: %v", err)
			}
			runs += len(rows)
		}
	}
	return runs
}

// killed runs corl with args, kills it with SIGKILL after a random time
// below limit (or lets it finish), and checks the files out and tr (if
// given) where they exist.
func killed(t *testing.T, rng *rand.Rand, limit time.Duration, out, tr string, args ...string) (finished bool) {
	t.Helper()
	cmd := corlProcess(t, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("corl %v: %v\n%s", args, err, stderr.Bytes())
		}
		finished = true
	case <-time.After(time.Duration(rng.Int64N(int64(limit)))):
		cmd.Process.Kill()
		<-done
	}
	if _, err := os.Stat(out); err == nil {
		if _, err := trace.ReadOf[trace.Result](out); err != nil {
			t.Errorf("after a kill: %v", err)
		}
	}
	if _, err := os.Stat(tr); tr != "" && err == nil {
		if _, err := trace.Read(tr); err != nil {
			t.Errorf("after a kill: %v", err)
		}
	}
	return finished
}

// eval milp killed with SIGKILL at random moments: every file left is
// readable, no run flushed is lost, and --resume ends with the rows an
// uninterrupted evaluation writes.
func TestEvalMILPKilledAndResumed(t *testing.T) {
	needHiGHS(t)
	set := smallSet(t, "6")
	dir := t.TempDir()
	base := []string{"eval", "milp", "--set", set, "--branching", "mostfrac,pscost", "--highs"}
	whole, wholeTrace := filepath.Join(dir, "whole.parquet"), filepath.Join(dir, "whole.trace.parquet")
	start := time.Now()
	if code, _, errs := corl(t, append(base, "--out", whole, "--trace", wholeTrace)...); code != exitOK {
		t.Fatal(errs)
	}
	limit := time.Since(start) + 300*time.Millisecond // the child also starts HiGHS
	kills := 20
	if testing.Short() {
		kills = 4
	}
	rng := rand.New(rand.NewPCG(7, uint64(time.Now().UnixNano())))
	out, tr := filepath.Join(dir, "r.parquet"), filepath.Join(dir, "r.trace.parquet")
	args := append(base, "--out", out, "--trace", tr, "--resume")
	kept, rounds := 0, 0
	for k := 0; k < kills; {
		if killed(t, rng, limit, out, tr, args...) {
			// Finished: check it, and start again to kill more.
			checkResumed(t, out, tr, whole, wholeTrace)
			os.Remove(out)
			os.Remove(tr)
			kept, rounds = 0, rounds+1
			continue
		}
		k++
		n := partsRuns(t, out)
		if _, err := os.Stat(out + ".parts"); os.IsNotExist(err) {
			// killed after its last part was merged: the rows are all in out
			if rows, err := trace.ReadOf[trace.Result](out); err == nil {
				n = len(rows)
			}
		}
		if n < kept {
			t.Fatalf("kill %d: %d runs kept, %d before", k, n, kept)
		}
		kept = n
	}
	if code, _, errs := corl(t, args...); code != exitOK {
		t.Fatalf("final resume: exit %d: %s", code, errs)
	}
	checkResumed(t, out, tr, whole, wholeTrace)
	t.Logf("%d kills over %d finished evaluations", kills, rounds+1)
	if _, err := os.Stat(out + ".parts"); !os.IsNotExist(err) {
		t.Errorf("parts left after the evaluation finished: %v", err)
	}
}

// checkResumed compares an evaluation resumed after kills with an
// uninterrupted one.
func checkResumed(t *testing.T, out, tr, whole, wholeTrace string) {
	t.Helper()
	sameRows(t, "resumed", detRows(t, out), detRows(t, whole))
	steps, err := trace.Read(tr)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := trace.Read(wholeTrace)
	if len(steps) != len(want) {
		t.Fatalf("resumed trace: %d rows, want %d", len(steps), len(want))
	}
	for i := range want {
		a, b := steps[i], want[i]
		if a.Instance != b.Instance || a.Policy != b.Policy || a.Step != b.Step || a.Action != b.Action || *a.Nodes != *b.Nodes {
			t.Fatalf("resumed trace row %d: %+v, want %+v", i, a, b)
		}
	}
}

// The same for eval malloc on tiny synthetic workloads.
func TestEvalMallocKilledAndResumed(t *testing.T) {
	needHiGHS(t)
	set := t.TempDir()
	if code, _, errs := corl(t, "generate", "malloc", "--n", "3", "--ops", "10", "--seed", "5", "--out", set); code != exitOK {
		t.Fatal(errs)
	}
	dir := t.TempDir()
	base := []string{"eval", "malloc", "--set", set}
	whole := filepath.Join(dir, "whole.parquet")
	start := time.Now()
	if code, _, errs := corl(t, append(base, "--out", whole)...); code != exitOK {
		t.Fatal(errs)
	}
	limit := max(2*time.Since(start), time.Second)
	kills := 6
	if testing.Short() {
		kills = 2
	}
	rng := rand.New(rand.NewPCG(8, uint64(time.Now().UnixNano())))
	out := filepath.Join(dir, "r.parquet")
	args := append(base, "--out", out, "--resume")
	for k := 0; k < kills; k++ {
		if killed(t, rng, limit, out, "", args...) {
			break
		}
		partsRuns(t, out)
	}
	if code, _, errs := corl(t, args...); code != exitOK {
		t.Fatalf("final resume: exit %d: %s", code, errs)
	}
	sameRows(t, "resumed", detRows(t, out), detRows(t, whole))
}

// The first SIGINT stops at the next safe point: exit 130, the finished
// runs kept and the way to continue said; --resume then finishes.
func TestEvalInterruptKeepsRuns(t *testing.T) {
	needHiGHS(t)
	set := smallSet(t, "4")
	out := filepath.Join(t.TempDir(), "r.parquet")
	args := []string{"eval", "milp", "--set", set, "--branching", "mostfrac,pscost,fsb", "--out", out}
	cmd := corlProcess(t, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for partsRuns(t, out) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == exitInterrupted {
		if !strings.Contains(stderr.String(), "--resume") || partsRuns(t, out) == 0 {
			t.Errorf("interrupted, but no runs kept or no word of --resume: %q", stderr.String())
		}
	} else if err != nil {
		t.Fatalf("interrupted: %v, %s", err, stderr.String())
	} // else it finished before the signal arrived
	if code, _, errs := corl(t, append(args, "--resume")...); code != exitOK {
		t.Fatalf("resume: exit %d: %s", code, errs)
	}
	if rows := detRows(t, out); len(rows) != 12 {
		t.Errorf("%d rows after resume, want 12", len(rows))
	}
}

func TestEvalFlagsChecked(t *testing.T) {
	set := t.TempDir()
	os.WriteFile(filepath.Join(set, "a.csv"), []byte("id,lower,upper,size\n0,0,2,4\n"), 0o644)
	for _, c := range []struct {
		args []string
		flag string
	}{
		{[]string{"eval", "milp", "--set", set, "--time-limit", "-1"}, "--time-limit"},
		{[]string{"eval", "milp", "--set", set, "--time-limit", "NaN"}, "--time-limit"},
		{[]string{"eval", "milp", "--set", set, "--workers", "0"}, "--workers"},
		{[]string{"eval", "milp", "--set", set, "--node-limit", "-3"}, "--node-limit"},
		{[]string{"eval", "milp", "--set", set, "--gap-limit", "-0.5"}, "--gap-limit"},
		{[]string{"eval", "milp", "--set", set, "--gap-limit", "1"}, "--gap-limit"},
		{[]string{"eval", "milp", "--set", set, "--gap-limit", "NaN"}, "--gap-limit"},
		{[]string{"eval", "milp", "--set", set, "--resume"}, "--resume"},
		{[]string{"eval", "malloc", "--set", set, "--mip-time-limit", "-1"}, "--mip-time-limit"},
		{[]string{"eval", "malloc", "--set", set, "--alignment", "0"}, "--alignment"},
		{[]string{"eval", "malloc", "--set", set, "--workers", "-2"}, "--workers"},
		{[]string{"eval", "bandits", "--episodes", "1"}, "--episodes"},
		{[]string{"eval", "bandits", "--horizon", "0"}, "--horizon"},
		{[]string{"eval", "bandits", "--family", "capacity", "--network", "x.csv"}, "--network"},
		{[]string{"eval", "bandits", "--tighten", "milp"}, "--tighten"},
		{[]string{"eval", "bandits", "--mip-start", "last"}, "--mip-start"},
	} {
		// milp's empty set is an input error only after the flags pass.
		if strings.Contains(strings.Join(c.args, " "), "milp") {
			os.WriteFile(filepath.Join(set, "m.mps"), []byte("NAME x\nENDATA\n"), 0o644)
		}
		code, _, errs := corl(t, c.args...)
		if code != exitUsage || !strings.Contains(errs, c.flag) {
			t.Errorf("%v: exit %d, %q (want %d naming %s)", c.args, code, errs, exitUsage, c.flag)
		}
	}
}

// A resumed eval malloc keeps to the search its finished runs were made
// with: another --simulations, --rollout-weight, --tree-only, --q-range or --offsets is refused,
// naming it. The unfinished evaluation is a store opened with the
// settings the base flags give and left unfinished, recorded before
// --offsets was (no "offsets" key): the tops game, given or not, resumes it.
func TestEvalMallocResumeKeepsSearch(t *testing.T) {
	needHiGHS(t)
	set := t.TempDir()
	if code, _, errs := corl(t, "generate", "malloc", "--n", "1", "--ops", "8", "--seed", "5", "--out", set); code != exitOK {
		t.Fatal(errs)
	}
	// unfinished: the store of an evaluation made with the base flags
	// and --simulations 2, and the settings in extra.
	unfinishedWith := func(extra map[string]string) string {
		out := filepath.Join(t.TempDir(), "r.parquet")
		settings := map[string]string{
			"capacity_fraction": "0.5", "alignment": "1", "mip_time_limit": "60",
			"search": "gumbel", "simulations": "2", "model": "learned", "rollout_weight": "0.5", "tree_only": "false", "q_range": "0",
		}
		maps.Copy(settings, extra)
		if _, err := eval.OpenStore(eval.StoreConfig{Out: out, Settings: settings}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	unfinished := func() string { return unfinishedWith(nil) }
	// Made with settings recorded only when given: a resume that drops
	// their flags is refused, naming the setting.
	for _, c := range []struct {
		extra map[string]string
		args  []string
		name  string
	}{
		{map[string]string{"early_simulations": "8", "early_moves": "2"}, nil, "early_moves 2"},
		{map[string]string{"early_simulations": "8", "early_moves": "2"}, []string{"--early-moves", "2"}, "needs --early-simulations"},
		{map[string]string{"early_simulations": "8", "early_moves": "2"}, []string{"--early-moves", "2", "--early-simulations", "8"}, ""},
		{map[string]string{"offsets": "edges"}, nil, "offsets edges"},
		{map[string]string{"offsets": "edges"}, []string{"--offsets", "edges"}, ""},
	} {
		args := append([]string{"eval", "malloc", "--set", set, "--policies", "xla,mcts", "--out", unfinishedWith(c.extra), "--resume", "--simulations", "2"}, c.args...)
		code, _, errs := corl(t, args...)
		switch {
		case c.name == "" && code != exitOK:
			t.Errorf("made with %v, resumed with %v: exit %d, %q", c.extra, c.args, code, errs)
		case c.name != "" && (code != exitUsage || !strings.Contains(errs, c.name)):
			t.Errorf("made with %v, resumed with %v: exit %d, %q; want a usage error naming %s", c.extra, c.args, code, errs, c.name)
		}
	}
	out := unfinished()
	base := []string{"eval", "malloc", "--set", set, "--policies", "xla,mcts", "--out", out, "--resume"}
	for _, c := range []struct {
		args []string
		name string
	}{
		{[]string{"--simulations", "4"}, "simulations"},
		{[]string{"--simulations", "2", "--rollout-weight", "0.25"}, "rollout_weight"},
		{[]string{"--simulations", "2", "--tree-only"}, "tree_only"},
		{[]string{"--simulations", "2", "--q-range", "0.05"}, "q_range"},
		{[]string{"--simulations", "2", "--offsets", "edges"}, "offsets"},
	} {
		code, _, errs := corl(t, append(base[:len(base):len(base)], c.args...)...)
		if code != exitUsage || !strings.Contains(errs, "made with "+c.name) {
			t.Errorf("resume with %v: exit %d, %q", c.args, code, errs)
		}
	}
	if code, _, errs := corl(t, "eval", "malloc", "--set", set, "--policies", "xla,mcts", "--out", unfinished(), "--resume", "--simulations", "2", "--offsets", "tops"); code != exitOK {
		t.Errorf("resume with --offsets tops: exit %d, %q", code, errs)
	}
	if code, _, errs := corl(t, append(base, "--simulations", "2")...); code != exitOK {
		t.Errorf("resume with the same search: exit %d, %q", code, errs)
	}
	// The evaluation has finished: its output keeps the settings.
	if code, _, errs := corl(t, append(base, "--simulations", "4")...); code != exitUsage || !strings.Contains(errs, "made with simulations") {
		t.Errorf("resume of the finished evaluation with another search: exit %d, %q", code, errs)
	}
}

// A resumed eval milp keeps to the search its runs were made with: an
// evaluation whose settings predate the cut placement and reduced-cost
// fixing ("cuts on" then meant the root only) is refused, naming the
// setting, and so is one recorded before "all" took in one-opt, and
// another --redcost. One recorded before gomory_nodes and swap resumes
// where its flags search as they did then (--cuts root, a --heuristics
// list without swap), and is refused, saying it predates the setting,
// where they do not; so does one recorded before aggcover, one recorded
// before the pooled heuristic, and one recorded before clique cuts left
// the nodes, RINS's schedule became adaptive and plunges went to the
// cutoff, and one recorded before the sub-MIPs' leaf and stall limits and
// RINS's effort cap. (The records made by hand here hold clique_nodes,
// rins, plunge_quot, cut_backoff, lns_limits and lns_effort as the search
// has them now, except in the last cases, which are about them.)
func TestEvalMILPResumeKeepsSearch(t *testing.T) {
	needHiGHS(t)
	set := smallSet(t, "1")
	out := filepath.Join(t.TempDir(), "r.parquet")
	old := map[string]string{"engine": "", "time_limit": "0s", "node_selection": "best", "node_limit": "0",
		"presolve": "false", "heuristics": "all", "cuts": "on", "aggcover": "true", "clique_nodes": "false", "rins": "adaptive", "plunge_quot": "1", "cut_backoff": "true",
		"lns_limits": "highs", "lns_effort": "0.1"}
	if _, err := eval.OpenStore(eval.StoreConfig{Out: out, Settings: old}); err != nil {
		t.Fatal(err)
	}
	base := []string{"eval", "milp", "--set", set, "--branching", "mostfrac", "--out", out, "--resume"}
	if code, _, errs := corl(t, base...); code != exitUsage || !strings.Contains(errs, "predate the setting cut_nodes") {
		t.Errorf("resume of an evaluation recorded before the cut placement: exit %d, %q", code, errs)
	}
	os.RemoveAll(out + ".parts")
	// Recorded after the cut placement, before "all" took in one-opt.
	old["cut_nodes"], old["redcost"], old["gomory_nodes"], old["swap"] = "true", "off", "false", "true"
	if _, err := eval.OpenStore(eval.StoreConfig{Out: out, Settings: old}); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := corl(t, base...); code != exitUsage || !strings.Contains(errs, "predate the setting oneopt") {
		t.Errorf("resume of an evaluation recorded before one-opt: exit %d, %q", code, errs)
	}
	os.RemoveAll(out + ".parts")
	// Recorded with one-opt, before Gomory cuts left the nodes, then
	// before the swap search came.
	old["oneopt"] = "true"
	delete(old, "gomory_nodes")
	if _, err := eval.OpenStore(eval.StoreConfig{Out: out, Settings: old}); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := corl(t, base...); code != exitUsage || !strings.Contains(errs, "predate the setting gomory_nodes") {
		t.Errorf("resume of an evaluation recorded before Gomory cuts left the nodes: exit %d, %q", code, errs)
	}
	os.RemoveAll(out + ".parts")
	old["gomory_nodes"] = "false"
	delete(old, "swap")
	if _, err := eval.OpenStore(eval.StoreConfig{Out: out, Settings: old}); err != nil {
		t.Fatal(err)
	}
	// It predates the pooled heuristic too, the first of the two named;
	// with pooled recorded (by hand), swap is named.
	if code, _, errs := corl(t, base...); code != exitUsage || !strings.Contains(errs, "predate the setting pooled") {
		t.Errorf("resume of an evaluation recorded before the swap search and the pooled heuristic: exit %d, %q", code, errs)
	}
	os.RemoveAll(out + ".parts")
	old["pooled"] = "true"
	if _, err := eval.OpenStore(eval.StoreConfig{Out: out, Settings: old}); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := corl(t, base...); code != exitUsage || !strings.Contains(errs, "predate the setting swap") {
		t.Errorf("resume of an evaluation recorded before the swap search: exit %d, %q", code, errs)
	}
	delete(old, "pooled")
	os.RemoveAll(out + ".parts")
	// Recorded before both, with flags whose search has not changed since:
	// cuts at the root only, and heuristics that leave out swap.
	hs := "rounding,diving,rens,rins,oneopt"
	old["cuts"], old["cut_nodes"], old["heuristics"], old["time_limit"], old["cut_backoff"] = "root", "false", hs, "0", "false"
	delete(old, "gomory_nodes")
	if _, err := eval.OpenStore(eval.StoreConfig{Out: out, Settings: old}); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := corl(t, append(base, "--cuts", "root", "--heuristics", hs)...); code != exitOK {
		t.Errorf("resume of an evaluation recorded before gomory_nodes and swap, whose search is the same: exit %d, %q", code, errs)
	}
	os.RemoveAll(out)
	os.RemoveAll(out + ".parts")
	// The same with cuts at the nodes: Gomory cuts were there too.
	old["cuts"], old["cut_nodes"], old["cut_backoff"] = "on", "true", "true"
	if _, err := eval.OpenStore(eval.StoreConfig{Out: out, Settings: old}); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := corl(t, append(base, "--heuristics", hs)...); code != exitUsage || !strings.Contains(errs, "predate the setting gomory_nodes") {
		t.Errorf("resume of an evaluation recorded before Gomory cuts left the nodes, cuts at the nodes: exit %d, %q", code, errs)
	}
	os.RemoveAll(out + ".parts")
	if code, _, errs := corl(t, base...); code != exitOK {
		t.Fatalf("a new evaluation: exit %d, %q", code, errs)
	}
	if code, _, errs := corl(t, append(base, "--redcost", "nodes")...); code != exitUsage || !strings.Contains(errs, "made with redcost") {
		t.Errorf("resume with another --redcost: exit %d, %q", code, errs)
	}
	if code, _, errs := corl(t, append(base, "--gap-limit", "0.01")...); code != exitUsage || !strings.Contains(errs, "made with gap_limit") {
		t.Errorf("resume with another --gap-limit: exit %d, %q", code, errs)
	}
	if code, _, errs := corl(t, base...); code != exitOK {
		t.Errorf("resume with the same flags: exit %d, %q", code, errs)
	}
	// Recorded before aggregated covers: refused where the flags take
	// them in, resumed where they leave them out.
	os.RemoveAll(out)
	os.RemoveAll(out + ".parts")
	old = map[string]string{"engine": "", "time_limit": "0", "gap_limit": "0", "node_selection": "best", "node_limit": "0",
		"presolve": "false", "heuristics": "all", "cuts": "on", "cut_nodes": "true", "redcost": "off",
		"gomory_nodes": "false", "oneopt": "true", "swap": "true", "clique_nodes": "false", "rins": "adaptive", "plunge_quot": "1", "cut_backoff": "true",
		"lns_limits": "highs", "lns_effort": "0.1"}
	if _, err := eval.OpenStore(eval.StoreConfig{Out: out, Settings: old}); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := corl(t, base...); code != exitUsage || !strings.Contains(errs, "predate the setting aggcover") {
		t.Errorf("resume of an evaluation recorded before aggregated covers: exit %d, %q", code, errs)
	}
	os.RemoveAll(out + ".parts")
	old["cuts"] = "gomory,mir,cover,clique"
	if _, err := eval.OpenStore(eval.StoreConfig{Out: out, Settings: old}); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := corl(t, append(base, "--cuts", "gomory,mir,cover,clique")...); code != exitOK {
		t.Errorf("resume of an evaluation recorded before aggregated covers, whose search is the same: exit %d, %q", code, errs)
	}
	// Recorded with aggregated covers, before the pooled heuristic:
	// refused where the flags take it in, resumed where they leave it out.
	os.RemoveAll(out)
	os.RemoveAll(out + ".parts")
	old["cuts"], old["aggcover"] = "on", "true"
	if _, err := eval.OpenStore(eval.StoreConfig{Out: out, Settings: old}); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := corl(t, base...); code != exitUsage || !strings.Contains(errs, "predate the setting pooled") {
		t.Errorf("resume of an evaluation recorded before the pooled heuristic: exit %d, %q", code, errs)
	}
	os.RemoveAll(out + ".parts")
	hs = "rounding,diving,rens,rins,oneopt,swap"
	old["heuristics"] = hs
	if _, err := eval.OpenStore(eval.StoreConfig{Out: out, Settings: old}); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := corl(t, append(base, "--heuristics", hs)...); code != exitOK {
		t.Errorf("resume of an evaluation recorded before the pooled heuristic, whose search is the same: exit %d, %q", code, errs)
	}
	// Recorded with the pooled heuristic, before clique cuts left the
	// nodes, node rounds backed off, RINS went adaptive and plunges went
	// to the cutoff: refused where the flags search otherwise (clique cuts
	// or RINS in their lists, cuts at the nodes: those words mean the new
	// search now, as "on" does), resumed where clique cuts, node rounds
	// and RINS played no part and --plunge-quot 0.5 keeps the plunges.
	os.RemoveAll(out)
	os.RemoveAll(out + ".parts")
	delete(old, "clique_nodes")
	delete(old, "rins")
	delete(old, "plunge_quot")
	delete(old, "cut_backoff")
	delete(old, "lns_limits")
	delete(old, "lns_effort")
	old["cuts"], old["heuristics"], old["pooled"] = "on", "all", "true"
	if _, err := eval.OpenStore(eval.StoreConfig{Out: out, Settings: old}); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := corl(t, base...); code != exitUsage || !strings.Contains(errs, "predate the setting clique_nodes") {
		t.Errorf("resume of an evaluation recorded before clique cuts left the nodes: exit %d, %q", code, errs)
	}
	cuts, hs := "gomory,mir,cover,aggcover", "rounding,diving,rens,oneopt,swap,pooled"
	old["cuts"] = cuts
	os.RemoveAll(out + ".parts")
	if _, err := eval.OpenStore(eval.StoreConfig{Out: out, Settings: old}); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := corl(t, append(base, "--cuts", cuts)...); code != exitUsage || !strings.Contains(errs, "predate the setting cut_backoff") {
		t.Errorf("resume of an evaluation recorded before node rounds backed off: exit %d, %q", code, errs)
	}
	cuts = "gomory,mir,cover,clique,aggcover,root"
	old["cuts"], old["cut_nodes"] = cuts, "false"
	os.RemoveAll(out + ".parts")
	if _, err := eval.OpenStore(eval.StoreConfig{Out: out, Settings: old}); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := corl(t, append(base, "--cuts", cuts, "--plunge-quot", "0.5", "--lns-effort", "inf", "--lns-limits", "nodes")...); code != exitUsage || !strings.Contains(errs, "predate the setting rins") {
		t.Errorf("resume of an evaluation recorded before RINS's adaptive schedule: exit %d, %q", code, errs)
	}
	old["heuristics"] = hs
	os.RemoveAll(out + ".parts")
	if _, err := eval.OpenStore(eval.StoreConfig{Out: out, Settings: old}); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := corl(t, append(base, "--cuts", cuts, "--heuristics", hs)...); code != exitUsage || !strings.Contains(errs, "predate the setting lns_limits") || !strings.Contains(errs, "resume with --lns-limits nodes") {
		t.Errorf("resume of an evaluation recorded before sub-MIPs ended by leaves and stalls: exit %d, %q", code, errs)
	}
	if code, _, errs := corl(t, append(base, "--cuts", cuts, "--heuristics", hs, "--lns-limits", "nodes")...); code != exitUsage || !strings.Contains(errs, "predate the setting plunge_quot") || !strings.Contains(errs, "resume with --plunge-quot 0.5") {
		t.Errorf("resume of an evaluation recorded before plunges went to the cutoff: exit %d, %q", code, errs)
	}
	if code, _, errs := corl(t, append(base, "--cuts", cuts, "--heuristics", hs, "--plunge-quot", "0.5", "--lns-limits", "nodes")...); code != exitOK {
		t.Errorf("resume of an evaluation recorded before clique_nodes, rins and plunge_quot, whose search is the same: exit %d, %q", code, errs)
	}
	// Depth-first search reads no plunge quotient: such a record resumes
	// without --plunge-quot.
	os.RemoveAll(out)
	os.RemoveAll(out + ".parts")
	old["node_selection"] = "dfs"
	if _, err := eval.OpenStore(eval.StoreConfig{Out: out, Settings: old}); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := corl(t, append(base, "--cuts", cuts, "--heuristics", hs, "--node-selection", "dfs", "--lns-limits", "nodes")...); code != exitOK {
		t.Errorf("resume of a depth-first evaluation recorded before plunge_quot: exit %d, %q", code, errs)
	}
	// Recorded with the four settings above, before the sub-MIPs' leaf
	// and stall limits and adaptive RINS's effort cap, under the defaults
	// then: refused naming each, resumed with --lns-effort inf and
	// --lns-limits nodes.
	os.RemoveAll(out)
	os.RemoveAll(out + ".parts")
	old["node_selection"], old["cuts"], old["heuristics"], old["cut_nodes"] = "best", "on", "all", "true"
	old["clique_nodes"], old["rins"], old["plunge_quot"], old["cut_backoff"] = "false", "adaptive", "1", "true"
	if _, err := eval.OpenStore(eval.StoreConfig{Out: out, Settings: old}); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := corl(t, base...); code != exitUsage || !strings.Contains(errs, "predate the setting lns_effort") || !strings.Contains(errs, "resume with --lns-effort inf") {
		t.Errorf("resume of an evaluation recorded before RINS's effort cap: exit %d, %q", code, errs)
	}
	if code, _, errs := corl(t, append(base, "--lns-effort", "inf")...); code != exitUsage || !strings.Contains(errs, "predate the setting lns_limits") {
		t.Errorf("resume of an evaluation recorded before the sub-MIPs' leaf and stall limits: exit %d, %q", code, errs)
	}
	if code, _, errs := corl(t, append(base, "--lns-effort", "inf", "--lns-limits", "nodes")...); code != exitOK {
		t.Errorf("resume of an evaluation recorded before lns_effort and lns_limits, whose search is the same: exit %d, %q", code, errs)
	}
	// Recorded with a gap limit before nodes were pruned within it:
	// refused, naming --gap-prune off, and resumed with it.
	os.RemoveAll(out)
	os.RemoveAll(out + ".parts")
	old["gap_limit"], old["lns_limits"], old["lns_effort"] = "0.05", "highs", "0.1"
	if _, err := eval.OpenStore(eval.StoreConfig{Out: out, Settings: old}); err != nil {
		t.Fatal(err)
	}
	gapped := append(base, "--gap-limit", "0.05")
	if code, _, errs := corl(t, gapped...); code != exitUsage || !strings.Contains(errs, "predate the setting gap_prune") || !strings.Contains(errs, "resume with --gap-prune off") {
		t.Errorf("resume of an evaluation recorded before gap pruning: exit %d, %q", code, errs)
	}
	if code, _, errs := corl(t, append(gapped, "--gap-prune", "off")...); code != exitOK {
		t.Errorf("resume of an evaluation recorded before gap pruning, whose search is the same: exit %d, %q", code, errs)
	}
	// Recorded while the sub-MIPs' stall limits and an effort of 0.5 were
	// the defaults: refused naming --lns-effort 0.5 (settings are
	// compared by name), then, with it, naming --lns-limits stall, and
	// resumed with both.
	os.RemoveAll(out)
	os.RemoveAll(out + ".parts")
	old["gap_prune"], old["lns_limits"], old["lns_effort"] = "true", "stall,rins-leaves", "0.5"
	if _, err := eval.OpenStore(eval.StoreConfig{Out: out, Settings: old}); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := corl(t, gapped...); code != exitUsage || !strings.Contains(errs, "lns_effort 0.5, not 0.1: resume with --lns-effort 0.5") {
		t.Errorf("resume of an evaluation recorded under the stall limits and effort 0.5: exit %d, %q", code, errs)
	}
	if code, _, errs := corl(t, append(gapped, "--lns-effort", "0.5")...); code != exitUsage || !strings.Contains(errs, "lns_limits stall,rins-leaves, not highs: resume with --lns-limits stall") {
		t.Errorf("resume of an evaluation recorded under the stall limits and effort 0.5, with the effort: exit %d, %q", code, errs)
	}
	if code, _, errs := corl(t, append(gapped, "--lns-limits", "stall", "--lns-effort", "0.5")...); code != exitOK {
		t.Errorf("resume of an evaluation recorded under the stall limits and effort 0.5, with both: exit %d, %q", code, errs)
	}
}

// A parts directory left by an unfinished evaluation is never overwritten
// by a new one without --resume.
func TestEvalRefusesUnfinishedParts(t *testing.T) {
	needHiGHS(t)
	set := smallSet(t, "1")
	out := filepath.Join(t.TempDir(), "r.parquet")
	os.MkdirAll(out+".parts", 0o755)
	code, _, errs := corl(t, "eval", "milp", "--set", set, "--branching", "mostfrac", "--out", out)
	if code != exitUsage || !strings.Contains(errs, "--resume") {
		t.Errorf("exit %d, %q", code, errs)
	}
}

// --gap-limit ends corl's search and HiGHS's MIP at the same relative gap:
// every run counts as solved, its gap is within the limit, and the optima
// proved without a limit lie between its objective and its dual bound.
// Without the limit corl's search proves optimality.
func TestEvalMILPGapLimit(t *testing.T) {
	needHiGHS(t)
	set := t.TempDir() // instance 2 ends at the limit, the others at the root
	if code, _, errs := corl(t, "generate", "setcover", "--n", "3", "--seed", "3", "--param", "rows=100", "--param", "cols=200", "--out", set); code != exitOK {
		t.Fatal(errs)
	}
	run := func(extra ...string) ([]trace.Result, []eval.MILPRow) {
		out := filepath.Join(t.TempDir(), "r.parquet")
		args := append([]string{"eval", "milp", "--set", set, "--branching", "mostfrac,pscost", "--highs", "--json", "--out", out}, extra...)
		code, stdout, errs := corl(t, args...)
		if code != exitOK {
			t.Fatalf("%v: exit %d: %s", extra, code, errs)
		}
		var table []eval.MILPRow
		if err := json.Unmarshal([]byte(stdout), &table); err != nil {
			t.Fatal(err)
		}
		rows, err := trace.ReadOf[trace.Result](out)
		if err != nil {
			t.Fatal(err)
		}
		return rows, table
	}
	exact, _ := run()
	opt := map[string]float64{}
	for _, r := range exact {
		if r.Policy != eval.HiGHS {
			if r.Status != "optimal" {
				t.Fatalf("%s %s without a gap limit: %s, want optimal", r.Instance, r.Policy, r.Status)
			}
			opt[r.Instance] = r.Objective
		}
	}
	const g = 0.05
	rows, table := run("--gap-limit", fmt.Sprint(g))
	limited, highsLimited := 0, 0
	for _, p := range table {
		if p.Solved != p.Instances {
			t.Errorf("%s: %d of %d solved with --gap-limit, want all", p.Policy, p.Solved, p.Instances)
		}
		// An objective left within the gap is no optimum to compare.
		if p.Disagree != 0 {
			t.Errorf("%s: %d disagreements with --gap-limit, want none", p.Policy, p.Disagree)
		}
	}
	for _, r := range rows {
		o := opt[r.Instance]
		if r.Objective < o-1e-6 {
			t.Errorf("%s %s: objective %v below the optimum %v", r.Instance, r.Policy, r.Objective, o)
		}
		if r.Objective > o*(1+g)+1e-6 {
			t.Errorf("%s %s: objective %v more than %v above the optimum %v", r.Instance, r.Policy, r.Objective, g, o)
		}
		if r.Status != "optimal" && r.Status != "gap_limit" {
			t.Errorf("%s %s: status %s", r.Instance, r.Policy, r.Status)
		}
		if r.Status == "gap_limit" {
			if r.Policy == eval.HiGHS {
				highsLimited++
			} else {
				limited++
			}
			if r.Gap == 0 {
				t.Errorf("%s %s: gap_limit with the gap closed (optimal)", r.Instance, r.Policy)
			}
		}
		if r.Status == "optimal" && r.Gap > 0 {
			t.Errorf("%s %s: optimal with gap %v left open", r.Instance, r.Policy, r.Gap)
		}
		if r.DualBound > o+1e-6 || r.Gap > g+1e-12 {
			t.Errorf("%s %s: dual bound %v, gap %v (optimum %v, limit %v)", r.Instance, r.Policy, r.DualBound, r.Gap, o, g)
		}
	}
	if limited == 0 || highsLimited == 0 {
		t.Errorf("runs ended at the gap limit: %d of corl's search, %d of HiGHS's; want at least one each, or the test does not exercise that solver's limit", limited, highsLimited)
	}
}
