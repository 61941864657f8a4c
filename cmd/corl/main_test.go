package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/corl-go/corl/eval"
	"github.com/corl-go/corl/internal/highstest"

	"github.com/corl-go/corl/cmd/corl/embedded"
	"github.com/corl-go/corl/internal/sharedtest"
	"github.com/corl-go/corl/nn"
	"github.com/corl-go/corl/solver"
	"github.com/corl-go/corl/solver/highs"
	"github.com/urfave/cli/v2"
)

func corl(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), append([]string{"corl"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

func needHiGHS(t *testing.T) { highstest.Need(t) }

func solveJSON(t *testing.T, args ...string) solveResult {
	t.Helper()
	code, out, errs := corl(t, append([]string{"solve", "--json"}, args...)...)
	if code != exitOK {
		t.Fatalf("corl solve %v: exit %d: %s", args, code, errs)
	}
	var r solveResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	return r
}

func TestSolveEmbeddedIsFeasibleAndConsistent(t *testing.T) {
	needHiGHS(t)
	sol := filepath.Join(t.TempDir(), "x.sol")
	r := solveJSON(t, "--solution", sol)
	if r.Status != "optimal" || r.Objective == nil || r.DualBound == nil || r.Nodes < 1 || r.LPIterations < 1 {
		t.Fatalf("result %+v", r)
	}
	relax := solveJSON(t, "--relax")
	if relax.Objective == nil || *relax.Objective > *r.Objective+1e-9 || relax.Integers != 0 {
		t.Errorf("relaxation %+v above the MIP optimum %v", relax, *r.Objective)
	}
	// The written solution must be a cover whose cost is the objective.
	m, err := embedded.Model()
	if err != nil {
		t.Fatal(err)
	}
	x := readSolution(t, sol, m)
	const tol = 1e-6 // HiGHS's feasibility tolerance is 1e-7
	for j, v := range x {
		if math.Abs(v) > tol && math.Abs(v-1) > tol {
			t.Fatalf("x[%d] = %v is not binary", j, v)
		}
	}
	act := m.RowActivitiesTo(make([]float64, m.NumRows()), x)
	for i, a := range act {
		if a < m.RowLower[i]-tol {
			t.Fatalf("row %s not covered", m.RowName(i))
		}
	}
	if obj := m.ObjectiveValue(x); math.Abs(obj-*r.Objective) > 1e-6 {
		t.Errorf("solution costs %v, reported objective %v", obj, *r.Objective)
	}
}

func readSolution(t *testing.T, path string, m *solver.Model) []float64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != m.NumCols() {
		t.Fatalf("%d solution lines for %d columns", len(lines), m.NumCols())
	}
	x := make([]float64, m.NumCols())
	for j, l := range lines {
		name, val, _ := strings.Cut(l, " ")
		if name != m.ColName(j) {
			t.Fatalf("line %d names %q, want %q", j+1, name, m.ColName(j))
		}
		if x[j], err = strconv.ParseFloat(val, 64); err != nil {
			t.Fatal(err)
		}
	}
	return x
}

func TestSolveSharedInstances(t *testing.T) {
	needHiGHS(t)
	for _, in := range sharedtest.Instances(t) {
		t.Run(in.Name, func(t *testing.T) {
			if in.Status == "error" {
				code, _, errs := corl(t, "solve", in.File)
				if code != exitInput || !strings.Contains(errs, in.Name+":") {
					t.Fatalf("exit %d, stderr %q; want exit 2 naming the file and line", code, errs)
				}
				return
			}
			r := solveJSON(t, in.File)
			if r.Status != in.Status {
				t.Fatalf("status %s, want %s", r.Status, in.Status)
			}
			if in.Status == "optimal" && (r.Objective == nil || math.Abs(*r.Objective-in.Objective) > 1e-6*math.Max(1, math.Abs(in.Objective))) {
				t.Errorf("objective %v, want %v", r.Objective, in.Objective)
			}
		})
	}
}

func TestSolveInputErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.mps")
	os.WriteFile(bad, []byte("NAME x\nROWS\n N obj\n L c1\nCOLUMNS\n x obj 1 c2 1\n"), 0o644)
	code, _, errs := corl(t, "solve", bad)
	if code != exitInput || !strings.Contains(errs, "bad.mps:6:") || !strings.Contains(errs, "c2") {
		t.Errorf("exit %d, stderr %q; want exit 2 naming bad.mps:6 and the row", code, errs)
	}
	code, _, errs = corl(t, "solve", filepath.Join(dir, "missing.mps"))
	if code != exitInput || !strings.Contains(errs, "missing.mps") {
		t.Errorf("missing file: exit %d, %q", code, errs)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"solve", "--no-such-flag"},
		{"solve", "a.mps", "b.mps"},
		{"solve", "--time-limit", "-1"},
		{"solve", "--option", "novalue"},
		{"solve", "--engine", "nope"},
		{"no-such-command"},
	} {
		if code, _, _ := corl(t, args...); code != exitUsage {
			t.Errorf("corl %v: exit %d, want %d", args, code, exitUsage)
		}
	}
}

func TestBadHiGHSOptionIsUsageError(t *testing.T) {
	needHiGHS(t)
	code, _, errs := corl(t, "solve", "--relax", "--option", "no_such_option=1")
	if code != exitUsage || !strings.Contains(errs, "no_such_option") {
		t.Errorf("exit %d, %q", code, errs)
	}
}

func TestSolutionFileKeptWhenNoSolution(t *testing.T) {
	needHiGHS(t)
	dir := t.TempDir()
	sol := filepath.Join(dir, "x.sol")
	if err := os.WriteFile(sol, []byte("earlier\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	inf := filepath.Join(dir, "inf.mps")
	os.WriteFile(inf, []byte("NAME inf\nROWS\n N obj\n G c\nCOLUMNS\n x obj 1 c 1\nRHS\n R c 5\nBOUNDS\n UP B x 1\nENDATA\n"), 0o644)
	r := solveJSON(t, "--solution", sol, inf)
	if r.Status != "infeasible" || r.Objective != nil {
		t.Fatalf("result %+v", r)
	}
	if b, _ := os.ReadFile(sol); string(b) != "earlier\n" {
		t.Errorf("solution file overwritten without a solution: %q", b)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("stray files left: %v", entries)
	}
}

func TestTimeLimitStatus(t *testing.T) {
	needHiGHS(t)
	r := solveJSON(t, "--time-limit", "1e-9")
	if r.Status != "time_limit" {
		t.Errorf("status %s, want time_limit", r.Status)
	}
}

func TestVersion(t *testing.T) {
	needHiGHS(t)
	code, out, _ := corl(t, "version")
	if code != exitOK || !strings.Contains(out, highs.Version) || !strings.Contains(out, "go1.") ||
		!strings.Contains(out, "blas     "+nn.CPUBLAS().Name) {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

func TestHelpExplains(t *testing.T) {
	code, out, _ := corl(t, "solve", "--help")
	if code != exitOK || !strings.Contains(out, "--time-limit") || !strings.Contains(out, "Examples") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	// Help after a command's arguments is the command's help, as a user
	// types it after the family or the file.
	for _, args := range [][]string{
		{"generate", "malloc", "--help"}, {"generate", "knapsack", "-h", "--n", "3"}, {"solve", "model.mps", "--help"},
	} {
		code, out, stderr := corl(t, args...)
		if code != exitOK || !strings.Contains(out, "corl "+args[0]) || !strings.Contains(out, "--") || stderr != "" {
			t.Errorf("corl %s: exit %d, stderr %q:\n%s", strings.Join(args, " "), code, stderr, out)
		}
	}
}

// A word in backquotes in a flag's usage becomes its placeholder in
// --help ("--out FILE", "--reward nodes|lpiters|both"), so backquotes there
// hold one such word and nothing else: quoting a command in them printed
// "--branching corl train milp".
func TestFlagPlaceholders(t *testing.T) {
	placeholder := regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_=|-]*$`)
	var walk func(path string, cmds []*cli.Command)
	walk = func(path string, cmds []*cli.Command) {
		for _, c := range cmds {
			p := path + " " + c.Name
			for _, f := range c.Flags {
				d, ok := f.(cli.DocGenerationFlag)
				if !ok {
					continue
				}
				u := d.GetUsage()
				i := strings.IndexByte(u, '`')
				if i < 0 {
					continue
				}
				j := strings.IndexByte(u[i+1:], '`')
				if name := u[i+1 : i+1+max(j, 0)]; j < 0 || !placeholder.MatchString(name) {
					t.Errorf("%s --%s: placeholder %q in %q", p, f.Names()[0], name, u)
				}
			}
			walk(p, c.Subcommands)
		}
	}
	walk("corl", newApp(io.Discard, io.Discard).Commands)
}

func TestGenerateTwiceIdentical(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	for _, dir := range []string{a, b} {
		if code, _, errs := corl(t, "generate", "setcover", "--n", "3", "--seed", "7", "--out", dir); code != exitOK {
			t.Fatalf("exit %d: %s", code, errs)
		}
	}
	entries, _ := os.ReadDir(a)
	if len(entries) != 4 {
		t.Fatalf("%d files, want 3 instances and a manifest", len(entries))
	}
	for _, e := range entries {
		x, _ := os.ReadFile(filepath.Join(a, e.Name()))
		y, _ := os.ReadFile(filepath.Join(b, e.Name()))
		if !bytes.Equal(x, y) {
			t.Errorf("%s differs", e.Name())
		}
	}
	if code, _, _ := corl(t, "generate", "nope", "--out", a); code != exitUsage {
		t.Errorf("unknown family: exit %d", code)
	}
	if code, _, _ := corl(t, "generate", "setcover", "--size", "giant", "--out", a); code != exitUsage {
		t.Errorf("unknown size: exit %d", code)
	}
}

func TestSolveBnBMatchesHiGHSAndTraces(t *testing.T) {
	needHiGHS(t)
	dir := t.TempDir()
	if code, _, errs := corl(t, "generate", "knapsack", "--n", "1", "--seed", "3", "--param", "items=10", "--param", "knapsacks=2", "--out", dir); code != exitOK {
		t.Fatal(errs)
	}
	file := filepath.Join(dir, "knapsack-easy-0000.mps.gz")
	want := solveJSON(t, file, "--option", "mip_rel_gap=0")
	tr := filepath.Join(dir, "steps.parquet")
	got := solveJSON(t, file, "--bnb", "--branching", "pscost", "--trace", tr)
	if got.Status != "optimal" || math.Abs(*got.Objective-*want.Objective) > 1e-6*math.Abs(*want.Objective) {
		t.Fatalf("bnb %s %v, HiGHS %v", got.Status, *got.Objective, *want.Objective)
	}
	if o := got.OpenNodes; o == nil || o.PeakBytes <= 0 || o.AtPeak < 1 || o.BytesPerNode != float64(o.PeakBytes)/float64(o.AtPeak) {
		t.Errorf("open nodes' memory: %+v", o)
	}
	code, out, errs := corl(t, "trace", "summary", tr, "--json")
	if code != exitOK {
		t.Fatal(errs)
	}
	var s struct {
		Rows     int64 `json:"rows"`
		Episodes int   `json:"episodes"`
	}
	json.Unmarshal([]byte(out), &s)
	if got.Nodes > 1 && (s.Rows < 1 || s.Episodes != 1) {
		t.Errorf("trace: %d rows, %d episodes (search had %d nodes)", s.Rows, s.Episodes, got.Nodes)
	}
	if code, _, _ := corl(t, "solve", file, "--bnb", "--branching", "nope"); code != exitUsage {
		t.Errorf("unknown rule: exit %d", code)
	}
	if code, _, _ := corl(t, "trace", "summary", file); code != exitInput {
		t.Errorf("summary of a non-Parquet file: exit %d", code)
	}
}

func TestEvalMILP(t *testing.T) {
	needHiGHS(t)
	dir := t.TempDir()
	if code, _, errs := corl(t, "generate", "setcover", "--n", "2", "--seed", "1", "--param", "rows=80", "--param", "cols=160", "--out", dir); code != exitOK {
		t.Fatal(errs)
	}
	out := filepath.Join(t.TempDir(), "results.parquet")
	code, stdout, errs := corl(t, "eval", "milp", "--set", dir, "--branching", "mostfrac,pscost", "--highs", "--json", "--out", out)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var rows []eval.MILPRow
	if err := json.Unmarshal([]byte(stdout), &rows); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	if len(rows) != 3 {
		t.Fatalf("%d rows", len(rows))
	}
	wins := 0
	for _, r := range rows {
		if r.Solved != 2 || r.Disagree != 0 {
			t.Errorf("%+v", r)
		}
		wins += r.Wins
	}
	if wins < 2 {
		t.Errorf("%d wins over 2 instances", wins)
	}
	if !strings.Contains(errs, "6/6") {
		t.Errorf("no progress lines: %q", errs)
	}
	if code, _, _ := corl(t, "eval", "milp", "--set", t.TempDir()); code != exitInput {
		t.Errorf("empty set: exit %d", code)
	}
}

func TestEvalBandits(t *testing.T) {
	needHiGHS(t)
	code, out, errs := corl(t, "eval", "bandits", "--family", "scheduling", "--arms", "10", "--budget", "3",
		"--episodes", "4", "--horizon", "5", "--json", "--trace", filepath.Join(t.TempDir(), "b.parquet"))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var rows []eval.BanditRow
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 6 {
		t.Fatalf("%d rows", len(rows))
	}
	for _, r := range rows {
		if r.Policy == "random" && r.Normalized != 1 {
			t.Errorf("random normalised to %v", r.Normalized)
		}
		if r.Skipped == "" && !(r.SecondsPerStep > 0) {
			t.Errorf("%s reports no time per step", r.Policy)
		}
	}
	code, out, _ = corl(t, "eval", "bandits", "--family", "interventions", "--arms", "10", "--budget", "3", "--episodes", "2", "--horizon", "2")
	if code != exitOK || !strings.Contains(out, "not defined for interventions") {
		t.Errorf("whittle on interventions: exit %d\n%s", code, out)
	}
	for _, args := range [][]string{
		{"eval", "bandits", "--family", "nope"},
		{"eval", "bandits", "--budget", "50"},
		{"eval", "bandits", "--policies", "oracle"},
	} {
		if code, _, _ := corl(t, args...); code != exitUsage {
			t.Errorf("%v: exit %d", args, code)
		}
	}
	bad := filepath.Join(t.TempDir(), "net.csv")
	os.WriteFile(bad, []byte("station1,station2\n1,oops\n"), 0o644)
	if code, _, errs := corl(t, "eval", "bandits", "--family", "path", "--network", bad); code != exitInput || !strings.Contains(errs, "net.csv:2") {
		t.Errorf("bad network: exit %d, %q", code, errs)
	}
}

func TestMalloc(t *testing.T) {
	needHiGHS(t)
	dir := t.TempDir()
	if code, _, errs := corl(t, "generate", "malloc", "--n", "2", "--ops", "12", "--seed", "3", "--out", dir); code != exitOK {
		t.Fatalf("generate malloc: %s", errs)
	}
	code, out, errs := corl(t, "eval", "malloc", "--set", dir, "--capacity-fraction", "0.5", "--json",
		"--trace", filepath.Join(t.TempDir(), "m.parquet"))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var rows []eval.MallocRow
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("%d rows", len(rows))
	}
	for _, r := range rows {
		if r.Optimum == nil {
			t.Fatalf("%s: the MIP did not prove a 12-buffer optimum", r.Instance)
		}
		for p, f := range r.Fraction {
			if f > *r.Optimum+1e-9 || f < 0 {
				t.Errorf("%s: %s achieves %v, optimum %v", r.Instance, p, f, *r.Optimum)
			}
			// Written so that a NaN gap fails.
			if g, ok := r.Gap[p]; !ok || !(g >= -1e-9) || !(math.Abs(g - (*r.Optimum-f) / *r.Optimum) <= 1e-12) {
				t.Errorf("%s: %s gap %v", r.Instance, p, g)
			}
		}
	}
	// names: the flag the message names; not: one it must not (the
	// message is about one flag).
	for _, c := range []struct {
		args       []string
		names, not string
	}{
		{[]string{"eval", "malloc", "--set", dir, "--policies", "magic"}, "", ""},
		{[]string{"eval", "malloc", "--set", dir, "--capacity-fraction", "2"}, "", ""},
		{[]string{"eval", "malloc", "--set", dir, "--policies", "mcts", "--early-moves", "-1"}, "--early-moves", "--early-simulations"},
		{[]string{"eval", "malloc", "--set", dir, "--policies", "mcts", "--early-simulations", "-2"}, "--early-simulations", "--early-moves"},
		{[]string{"eval", "malloc", "--set", dir, "--policies", "mcts", "--early-moves", "-1", "--early-simulations", "8"}, "--early-moves", "--early-simulations"},
		{[]string{"eval", "malloc", "--set", dir, "--policies", "mcts", "--early-simulations", "-2", "--early-moves", "3"}, "--early-simulations", "--early-moves"},
		// One without the other: the message names the missing one.
		{[]string{"eval", "malloc", "--set", dir, "--policies", "mcts", "--early-simulations", "64"}, "needs --early-moves", ""},
		{[]string{"eval", "malloc", "--set", dir, "--policies", "mcts", "--early-moves", "3"}, "needs --early-simulations", ""},
		{[]string{"generate", "malloc", "--ops", "1", "--out", dir}, "", ""},
	} {
		code, _, errs := corl(t, c.args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d", c.args, code)
		}
		if !strings.Contains(errs, c.names) || c.not != "" && strings.Contains(errs, c.not) {
			t.Errorf("%v: %q should name %s, not %s", c.args, errs, c.names, c.not)
		}
	}
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("id,lower,upper,size\n0,0,x,1\n"), 0o644)
	if code, _, errs := corl(t, "eval", "malloc", "--set", bad); code != exitInput || !strings.Contains(errs, "bad.csv:2") {
		t.Errorf("bad CSV: exit %d, %q", code, errs)
	}
}
