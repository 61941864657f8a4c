package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/corl-go/corl/agents/revibranch"
	"github.com/corl-go/corl/datasets"
	"github.com/corl-go/corl/eval"
	"github.com/corl-go/corl/internal/cliexit"
	"github.com/corl-go/corl/internal/evalcli"
	"github.com/corl-go/corl/internal/highstest"
	"github.com/corl-go/corl/solver"
	"github.com/corl-go/corl/solver/bnb"
	"github.com/corl-go/corl/solver/highs"
	"github.com/corl-go/corl/trace"
)

// The tests run the pipelines on Prism in this process (loopback
// workers), as a user's corl-beam does by default, and hold them against
// the local code paths: the corl binary itself for the evaluations,
// revibranch.Collect for the collection.

// runBeam runs corl-beam's command line in this process.
func runBeam(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), append([]string{"corl-beam"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

var (
	corlOnce sync.Once
	corlBin  string
	corlErr  error
)

// corl builds the corl command once: the oracle of the evaluations.
func corl(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build corl with")
	}
	corlOnce.Do(func() {
		dir, err := os.MkdirTemp("", "corl-beam-test-")
		if err != nil {
			corlErr = err
			return
		}
		corlBin = filepath.Join(dir, "corl")
		if out, err := exec.Command(goTool, "build", "-o", corlBin, "../corl").CombinedOutput(); err != nil {
			corlErr = fmt.Errorf("go build ../corl: %v\n%s", err, out)
		}
	})
	if corlErr != nil {
		t.Fatal(corlErr)
	}
	return corlBin
}

func runCorl(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command(corl(t), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("corl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// setcoverSet writes n small set covers into dir.
func setcoverSet(t *testing.T, dir string, n int) []string {
	t.Helper()
	return setcoverSetSized(t, dir, n, 60, 120)
}

// setcoverSetSized writes n set covers of the given size into dir.
func setcoverSetSized(t *testing.T, dir string, n, rows, cols int) []string {
	t.Helper()
	f, err := datasets.Lookup("setcover")
	if err != nil {
		t.Fatal(err)
	}
	man, err := datasets.GenerateSet(context.Background(), f, datasets.Easy, map[string]float64{"rows": float64(rows), "cols": float64(cols)},
		datasets.SetConfig{Dir: dir, N: n, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, mf := range man.Files {
		names = append(names, mf.File)
	}
	return names
}

func readResults(t *testing.T, path string) []trace.Result {
	t.Helper()
	rows, err := trace.ReadOf[trace.Result](path)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func sameFloat(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }

// TestEvalMILPGapLimitMatchesCorlEval: --gap-limit travels to the
// workers, and both solvers' stops at it read as corl eval's do: status
// gap_limit, the same objectives and nodes.
func TestEvalMILPGapLimitMatchesCorlEval(t *testing.T) {
	highstest.Need(t)
	dir := t.TempDir()
	set := filepath.Join(dir, "set") // instance 2 stops at the limit, the others close at the root
	runCorl(t, "generate", "setcover", "--n", "3", "--seed", "3", "--param", "rows=100", "--param", "cols=200", "--out", set)
	flags := []string{"--set", set, "--branching", "pscost", "--highs", "--gap-limit", "0.05"}
	runCorl(t, append([]string{"eval", "milp", "--out", filepath.Join(dir, "local.parquet")}, flags...)...)
	if code, _, stderr := runBeam(t, append([]string{"eval", "milp", "--out", filepath.Join(dir, "beam.parquet")}, flags...)...); code != 0 {
		t.Fatalf("corl-beam eval milp: exit %d\n%s", code, stderr)
	}
	local, beam := readResults(t, filepath.Join(dir, "local.parquet")), readResults(t, filepath.Join(dir, "beam.parquet"))
	if len(local) != 6 || len(beam) != len(local) {
		t.Fatalf("rows: corl eval %d, corl-beam %d, want 6 each", len(local), len(beam))
	}
	limited := map[string]int{}
	for i, l := range local {
		b := beam[i]
		if b.Instance != l.Instance || b.Policy != l.Policy || b.Status != l.Status || !sameFloat(b.Objective, l.Objective) || b.Nodes != l.Nodes {
			t.Errorf("row %d: corl-beam %s %s %s objective %v nodes %d; corl eval %s %s %s %v %d",
				i, b.Instance, b.Policy, b.Status, b.Objective, b.Nodes, l.Instance, l.Policy, l.Status, l.Objective, l.Nodes)
		}
		if b.Status == "gap_limit" {
			limited[b.Policy]++
		}
	}
	if limited["pscost"] == 0 || limited[eval.HiGHS] == 0 {
		t.Errorf("runs at the gap limit per policy: %v; want each solver to stop there once", limited)
	}
}

// TestEvalMILPMatchesCorlEval: on a generated set with one corrupt
// instance added, corl-beam eval milp gives the rows of corl eval milp
// (on the good instances) for the deterministic measures, one error row
// per policy for the corrupt instance, and the same decision trace.
func TestEvalMILPMatchesCorlEval(t *testing.T) {
	highstest.Need(t)
	dir := t.TempDir()
	set := filepath.Join(dir, "set")
	good := setcoverSet(t, set, 4)
	const corrupt = "zz-corrupt.mps"
	if err := os.WriteFile(filepath.Join(set, corrupt), []byte("NAME broken\nROWS\n N obj\nCOLUMNS\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	list := filepath.Join(dir, "good.txt")
	if err := os.WriteFile(list, []byte("set/"+strings.Join(good, "\nset/")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	policies := []string{"pscost", "mostfrac", eval.HiGHS}
	// Without cuts, which close these small models at the root and leave no
	// decision to trace; the flag travels to the workers with the others.
	flags := []string{"--branching", "pscost,mostfrac", "--highs", "--cuts", "off"}

	runCorl(t, append([]string{"eval", "milp", "--set", list, "--out", filepath.Join(dir, "local.parquet"), "--trace", filepath.Join(dir, "local-trace.parquet")}, flags...)...)
	code, stdout, stderr := runBeam(t, append([]string{"eval", "milp", "--set", set, "--out", filepath.Join(dir, "beam.parquet"), "--trace", filepath.Join(dir, "beam-trace.parquet")}, flags...)...)
	if code != 0 {
		t.Fatalf("corl-beam eval milp: exit %d\n%s", code, stderr)
	}

	local, beam := readResults(t, filepath.Join(dir, "local.parquet")), readResults(t, filepath.Join(dir, "beam.parquet"))
	if want := (len(good) + 1) * len(policies); len(beam) != want {
		t.Fatalf("corl-beam wrote %d rows, want %d", len(beam), want)
	}
	if len(local) != len(good)*len(policies) {
		t.Fatalf("corl eval wrote %d rows, want %d", len(local), len(good)*len(policies))
	}
	for i, l := range local {
		b := beam[i] // the corrupt instance sorts last
		if b.Instance != l.Instance || b.Policy != l.Policy || b.Seed != l.Seed || b.Env != l.Env {
			t.Fatalf("row %d: corl-beam has %s %s seed %d, corl eval %s %s seed %d", i, b.Instance, b.Policy, b.Seed, l.Instance, l.Policy, l.Seed)
		}
		if b.Status != l.Status || !sameFloat(b.Objective, l.Objective) || b.Nodes != l.Nodes || b.LPIterations != l.LPIterations {
			t.Errorf("%s %s: corl-beam status %s objective %v nodes %d LP iterations %d; corl eval %s %v %d %d",
				l.Instance, l.Policy, b.Status, b.Objective, b.Nodes, b.LPIterations, l.Status, l.Objective, l.Nodes, l.LPIterations)
		}
		if l.Status != "optimal" {
			t.Errorf("%s %s: status %s, want optimal on these small instances", l.Instance, l.Policy, l.Status)
		}
	}
	errRows := 0
	for _, b := range beam[len(local):] {
		if b.Instance != corrupt || b.Status != statusError {
			t.Errorf("row %s %s status %s, want an error row of %s", b.Instance, b.Policy, b.Status, corrupt)
		}
		errRows++
	}
	if errRows != len(policies) {
		t.Errorf("%d error rows, want one per policy (%d)", errRows, len(policies))
	}
	if !strings.Contains(stderr, "error row: "+corrupt) || !strings.Contains(stderr, filepath.Join(set, corrupt)) {
		t.Errorf("standard error does not name the corrupt instance:\n%s", stderr)
	}
	if !strings.Contains(stdout, fmt.Sprintf("%d/%d", len(good), len(good)+1)) {
		t.Errorf("the table does not count %d of %d solved:\n%s", len(good), len(good)+1, stdout)
	}

	lt, err := trace.Read(filepath.Join(dir, "local-trace.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	bt, err := trace.Read(filepath.Join(dir, "beam-trace.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if len(lt) == 0 || len(lt) != len(bt) {
		t.Fatalf("trace rows: corl eval %d, corl-beam %d", len(lt), len(bt))
	}
	for i := range lt {
		l, b := lt[i], bt[i]
		if l.Instance != b.Instance || l.Policy != b.Policy || l.Step != b.Step || l.Action != b.Action || *l.Nodes != *b.Nodes {
			t.Fatalf("trace row %d: corl-beam %s %s step %d action %d, corl eval %s %s step %d action %d",
				i, b.Instance, b.Policy, b.Step, b.Action, l.Instance, l.Policy, l.Step, l.Action)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "beam.parquet.beam-parts")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the parts directory is still there (%v)", err)
	}
}

// TestEvalMallocMatchesCorlEval: the memory-mapping twin gives corl eval
// malloc's rows.
func TestEvalMallocMatchesCorlEval(t *testing.T) {
	dir := t.TempDir()
	set := filepath.Join(dir, "set")
	if _, err := datasets.GenerateMallocSet(context.Background(), 40, datasets.SetConfig{Dir: set, N: 3, Seed: 2}); err != nil {
		t.Fatal(err)
	}
	flags := []string{"--set", set, "--policies", "xla,firstfit,random", "--seed", "5"}
	runCorl(t, append([]string{"eval", "malloc", "--out", filepath.Join(dir, "local.parquet")}, flags...)...)
	code, _, stderr := runBeam(t, append([]string{"eval", "malloc", "--out", filepath.Join(dir, "beam.parquet")}, flags...)...)
	if code != 0 {
		t.Fatalf("corl-beam eval malloc: exit %d\n%s", code, stderr)
	}
	local, beam := readResults(t, filepath.Join(dir, "local.parquet")), readResults(t, filepath.Join(dir, "beam.parquet"))
	if len(local) != 9 || len(beam) != len(local) {
		t.Fatalf("rows: corl eval %d, corl-beam %d, want 9", len(local), len(beam))
	}
	for i, l := range local {
		b := beam[i]
		if b.Instance != l.Instance || b.Policy != l.Policy || b.Status != l.Status || !sameFloat(b.Objective, l.Objective) || !sameFloat(b.Score, l.Score) || b.Nodes != l.Nodes {
			t.Errorf("row %d: corl-beam %+v\ncorl eval %+v", i, b, l)
		}
	}
}

// TestCollectMatchesLocal: collection through the pipeline writes the
// shards revibranch.Collect writes for the same instances and seed.
func TestCollectMatchesLocal(t *testing.T) {
	highstest.Need(t)
	dir := t.TempDir()
	set := filepath.Join(dir, "set")
	setcoverSetSized(t, set, 3, 200, 400) // smaller ones close at the root with cuts
	const samples, prob, seed = 12, 0.5, 3
	code, _, stderr := runBeam(t, "collect", "milp", "--set", set, "--samples", fmt.Sprint(samples), "--expert-prob", fmt.Sprint(prob),
		"--seed", fmt.Sprint(seed), "--out", filepath.Join(dir, "beam"))
	if code != 0 {
		t.Fatalf("corl-beam collect milp: exit %d\n%s", code, stderr)
	}
	// The same collection with the set and the shards on memfs://.
	mem := memDir(t)
	names, err := datasets.InstanceFiles(set)
	if err != nil {
		t.Fatal(err)
	}
	toMem(t, mem+"/set", names...)
	code, _, stderr = runBeam(t, "collect", "milp", "--set", mem+"/set", "--samples", fmt.Sprint(samples), "--expert-prob", fmt.Sprint(prob),
		"--seed", fmt.Sprint(seed), "--out", mem+"/run")
	if code != 0 {
		t.Fatalf("corl-beam collect milp on memfs: exit %d\n%s", code, stderr)
	}

	insts := readInstances(t, names)
	localDir := filepath.Join(dir, "local")
	res, err := revibranch.Collect(context.Background(), revibranch.CollectConfig{Instances: insts, Samples: samples, ExpertProb: prob,
		Seed: seed, Dir: localDir, Workers: 2, Search: evalcli.DefaultCollectSearch.Config(20000), // corl-beam's search
		NewEngine: func() (solver.Engine, error) { return highs.New(highs.Config{}) }})
	if err != nil {
		t.Fatal(err)
	}
	if res.Samples < samples {
		t.Fatalf("local collection: %d samples", res.Samples)
	}
	for k := range res.Shards {
		l, err := revibranch.ReadShard(revibranch.ShardPath(localDir, k))
		if err != nil {
			t.Fatal(err)
		}
		b, err := revibranch.ReadShard(revibranch.ShardPath(filepath.Join(dir, "beam", "samples"), k))
		if err != nil {
			t.Fatalf("shard %d: %v", k, err)
		}
		m, err := readShard(context.Background(), shardPath(mem+"/run/samples", k))
		if err != nil {
			t.Fatalf("shard %d on memfs: %v", k, err)
		}
		for _, b := range []*revibranch.Shard{b, m} {
			if l.Instance != b.Instance || !reflect.DeepEqual(l.Samples, b.Samples) || l.Stats.Nodes != b.Stats.Nodes {
				t.Errorf("shard %d differs: local %s, %d samples, %d nodes; corl-beam %s, %d samples, %d nodes",
					k, l.Instance, len(l.Samples), l.Stats.Nodes, b.Instance, len(b.Samples), b.Stats.Nodes)
			}
		}
	}
}

// TestRetriedRunDoesNotDuplicate: a run written twice (a retried element)
// leaves one row, the last.
func TestRetriedRunDoesNotDuplicate(t *testing.T) {
	dir := t.TempDir()
	e := runElem{Index: 3, Instance: "a.mps", Policy: "pscost", Seed: 1}
	for _, nodes := range []int64{5, 7} {
		if err := writePart(context.Background(), dir, e.Index, eval.Outcome{Result: trace.Result{Instance: e.Instance, Policy: e.Policy, Seed: 1, Status: "optimal", Nodes: nodes}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	rows, _, failed, err := readParts(context.Background(), dir, []runElem{e}, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Nodes != 7 || len(failed) != 0 {
		t.Errorf("rows %+v, failed %v: want the one row of the retry", rows, failed)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%d files in the parts directory, want 1", len(entries))
	}
}

// TestResumeChecks: a parts directory left by an unfinished evaluation is
// refused without --resume and with other jobs or settings.
func TestResumeChecks(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out.parquet.beam-parts")
	meta := partsMeta{Run: "eval-1", Jobs: "abc", Settings: map[string]string{"time_limit": "0"}}
	if run, err := openParts(context.Background(), dir, false, meta); err != nil || run != "eval-1" {
		t.Fatalf("openParts = %q, %v", run, err)
	}
	var ee *cliexit.Error
	if _, err := openParts(context.Background(), dir, false, meta); !errors.As(err, &ee) || ee.Code != cliexit.Usage {
		t.Errorf("reopened without --resume: %v, want a usage error", err)
	}
	other := meta
	other.Run = "eval-2"
	if run, err := openParts(context.Background(), dir, true, other); err != nil || run != "eval-1" {
		t.Errorf("resumed: run %q, %v; want the first run's name", run, err)
	}
	other.Settings = map[string]string{"time_limit": "5"}
	if _, err := openParts(context.Background(), dir, true, other); !errors.As(err, &ee) || ee.Code != cliexit.Usage || !strings.Contains(err.Error(), "time_limit") {
		t.Errorf("resumed with another time limit: %v", err)
	}
	other = meta
	other.Jobs = "def"
	if _, err := openParts(context.Background(), dir, true, other); !errors.As(err, &ee) || ee.Code != cliexit.Usage {
		t.Errorf("resumed with other jobs: %v", err)
	}
	// A setting recorded later: the old record resumes where the search
	// it stands for (Before) is this one, and is refused otherwise.
	other = meta
	other.Settings = map[string]string{"time_limit": "0", "swap": "false"}
	other.Before = map[string]string{"swap": "false"}
	if _, err := openParts(context.Background(), dir, true, other); err != nil {
		t.Errorf("resumed a record made before swap, without it: %v", err)
	}
	other.Settings = map[string]string{"time_limit": "0", "swap": "true"}
	if _, err := openParts(context.Background(), dir, true, other); !errors.As(err, &ee) || ee.Code != cliexit.Usage || !strings.Contains(err.Error(), "predate the setting swap") {
		t.Errorf("resumed a record made before swap, with it: %v", err)
	}
	// A recorded setting the resume does not give (a flag dropped) is
	// refused, naming it: the runs would mix two searches.
	withSwap := filepath.Join(t.TempDir(), "swap.beam-parts")
	meta.Settings = map[string]string{"time_limit": "0", "swap": "true"}
	if _, err := openParts(context.Background(), withSwap, false, meta); err != nil {
		t.Fatal(err)
	}
	other = meta
	other.Settings = map[string]string{"time_limit": "0"}
	if _, err := openParts(context.Background(), withSwap, true, other); !errors.As(err, &ee) || ee.Code != cliexit.Usage || !strings.Contains(err.Error(), "swap true, which these flags do not set") {
		t.Errorf("resumed without a recorded setting: %v", err)
	}
}

// TestShippedModuleInstalls: a worker without the HiGHS module installs
// the one shipped in the pipeline into its user cache.
func TestShippedModuleInstalls(t *testing.T) {
	highstest.Need(t)
	m, err := shipModule(false)
	if err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	t.Setenv(highs.EnvWasm, "")
	if err := m.install(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(cache, "corl", "highs-"+highs.NPMVersion, "highs.wasm"))
	if err != nil || !bytes.Equal(got, m.Wasm) {
		t.Errorf("installed module: %v", err)
	}
	if local, _ := shipModule(true); len(local.Wasm) != 0 {
		t.Error("a module is shipped to local workers")
	}
}

// TestRunnerFlagsChecked: a bad runner or a cluster runner without its
// job server is a usage error before any work.
func TestRunnerFlagsChecked(t *testing.T) {
	set := t.TempDir()
	for _, args := range [][]string{
		{"eval", "milp", "--set", set, "--runner", "nosuch"},
		{"eval", "milp", "--set", set, "--runner", "flink"},
		{"eval", "milp", "--set", set, "--beam-option", "novalue"},
		{"collect", "milp", "--set", set, "--out", set, "--runner", "spark"},
	} {
		if code, _, stderr := runBeam(t, args...); code != cliexit.Usage {
			t.Errorf("%v: exit %d, want %d\n%s", args, code, cliexit.Usage, stderr)
		}
	}
	if code, _, _ := runBeam(t, "eval", "milp", "--set", filepath.Join(set, "missing")); code != cliexit.Input {
		t.Errorf("missing set: exit %d, want %d", code, cliexit.Input)
	}
}

// TestCollectKeepsSearch: a new collection records bnb's default search
// beside its shards; one whose record says another search collects with
// that one, as revibranch.Collect does with it; shards without a record
// are refused.
func TestCollectKeepsSearch(t *testing.T) {
	highstest.Need(t)
	dir := t.TempDir()
	set := filepath.Join(dir, "set")
	setcoverSetSized(t, set, 2, 200, 400)
	names, err := datasets.InstanceFiles(set)
	if err != nil {
		t.Fatal(err)
	}
	const samples, prob, seed = 4, 0.5, 5
	collect := func(out string) (int, string) {
		code, _, stderr := runBeam(t, "collect", "milp", "--set", set, "--samples", fmt.Sprint(samples), "--expert-prob", fmt.Sprint(prob),
			"--seed", fmt.Sprint(seed), "--out", out)
		return code, stderr
	}
	readSearch := func(samplesDir string) evalcli.CollectSearch {
		b, err := os.ReadFile(filepath.Join(samplesDir, evalcli.CollectSearchFile))
		if err != nil {
			t.Fatal(err)
		}
		var s evalcli.CollectSearch
		if err := json.Unmarshal(b, &s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	// Recorded before the collection: Gomory cuts at every node, no
	// one-opt, no swap search, no aggregated covers.
	old := evalcli.CollectSearch{CutNodes: true, GomoryNodes: true}
	oldDir := filepath.Join(dir, "old", "samples")
	os.MkdirAll(oldDir, 0o755)
	b, _ := json.Marshal(old)
	os.WriteFile(filepath.Join(oldDir, evalcli.CollectSearchFile), b, 0o644)
	if code, stderr := collect(filepath.Join(dir, "old")); code != 0 {
		t.Fatalf("collection with a recorded search: exit %d\n%s", code, stderr)
	}
	if got := readSearch(oldDir); got != old {
		t.Errorf("record rewritten: %+v, want %+v", got, old)
	}
	insts := readInstances(t, names)
	localDir := filepath.Join(dir, "local")
	res, err := revibranch.Collect(context.Background(), revibranch.CollectConfig{Instances: insts, Samples: samples, ExpertProb: prob,
		Seed: seed, Dir: localDir, Workers: 1,
		Search:    bnb.Config{NodeLimit: 20000, Cuts: bnb.Cuts{GomoryNodes: true, NoAggCover: true}, Heuristics: bnb.Heuristics{NoOneOpt: true, NoSwap: true}},
		NewEngine: func() (solver.Engine, error) { return highs.New(highs.Config{}) }})
	if err != nil {
		t.Fatal(err)
	}
	for k := range res.Shards {
		l, err := revibranch.ReadShard(revibranch.ShardPath(localDir, k))
		if err != nil {
			t.Fatal(err)
		}
		b, err := revibranch.ReadShard(revibranch.ShardPath(oldDir, k))
		if err != nil {
			t.Fatalf("shard %d: %v", k, err)
		}
		if l.Instance != b.Instance || !reflect.DeepEqual(l.Samples, b.Samples) || l.Stats.Nodes != b.Stats.Nodes {
			t.Errorf("shard %d differs: local %d samples, %d nodes; corl-beam %d samples, %d nodes", k, len(l.Samples), l.Stats.Nodes, len(b.Samples), b.Stats.Nodes)
		}
	}
	// Shards without a record are refused; a new collection records the
	// default search.
	newDir := filepath.Join(dir, "new", "samples")
	os.MkdirAll(newDir, 0o755)
	shard, _ := os.ReadFile(revibranch.ShardPath(oldDir, 0))
	os.WriteFile(revibranch.ShardPath(newDir, 0), shard, 0o644)
	if code, stderr := collect(filepath.Join(dir, "new")); code != cliexit.Usage || !strings.Contains(stderr, evalcli.CollectSearchFile) {
		t.Errorf("shards without a record: exit %d, %q", code, stderr)
	}
	os.Remove(revibranch.ShardPath(newDir, 0))
	if code, stderr := collect(filepath.Join(dir, "new")); code != 0 {
		t.Fatalf("new collection: exit %d\n%s", code, stderr)
	}
	def := evalcli.DefaultCollectSearch.Config(0)
	// bnb's default search, but for what came after the recorded ones:
	// clique cuts stay at the nodes, a round at every node, RINS on its fixed schedule and
	// plunges within half the gap.
	if got := readSearch(newDir); got != evalcli.DefaultCollectSearch || def.Cuts != (bnb.Cuts{CliqueNodes: true, EveryNode: true}) || def.Heuristics.NoOneOpt || def.Heuristics.NoSwap || !def.Heuristics.FixedRINS || def.PlungeQuot != 0.5 {
		t.Errorf("new collection's record %+v (default %+v), want bnb's default search as recorded searches had it", got, evalcli.DefaultCollectSearch)
	}
}

// readInstances reads the MPS files as the collection's instances, named
// by their base names as corl-beam names them.
func readInstances(t *testing.T, files []string) []revibranch.Instance {
	t.Helper()
	var insts []revibranch.Instance
	for _, f := range files {
		m, err := solver.ReadMPSFile(f)
		if err != nil {
			t.Fatal(err)
		}
		insts = append(insts, revibranch.Instance{Name: filepath.Base(f), Model: m})
	}
	return insts
}
