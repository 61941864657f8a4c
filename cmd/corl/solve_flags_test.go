package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Numeric flags out of range and output files in missing directories are
// refused before any work, with the flag named.
func TestSolveFlagsChecked(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "no", "such")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"solve", "--time-limit", "-1"}, exitUsage, "--time-limit"},
		{[]string{"solve", "--time-limit", "NaN"}, exitUsage, "--time-limit"},
		{[]string{"solve", "--time-limit", "Inf"}, exitUsage, "--time-limit"},
		{[]string{"solve", "--bnb", "--node-limit", "-1"}, exitUsage, "--node-limit"},
		{[]string{"solve", "--bnb", "--plunge-quot", "1.5"}, exitUsage, "--plunge-quot"},
		{[]string{"solve", "--bnb", "--plunge-quot", "NaN"}, exitUsage, "--plunge-quot"},
		{[]string{"solve", "--bnb", "--lns-effort", "-1"}, exitUsage, "--lns-effort"},
		{[]string{"solve", "--bnb", "--gap-prune", "maybe"}, exitUsage, "--gap-prune"},
		{[]string{"solve", "--gap-prune", "off"}, exitUsage, "go with --bnb"},
		{[]string{"solve", "--bnb", "--lns-effort", "NaN"}, exitUsage, "--lns-effort"},
		{[]string{"solve", "--bnb", "--lns-limits", "leaves"}, exitUsage, "--lns-limits"},
		{[]string{"solve", "--bnb", "--heuristics", "rens,cuts"}, exitUsage, "--heuristics"},
		{[]string{"solve", "--bnb", "--presolve", "maybe"}, exitUsage, "--presolve"},
		{[]string{"solve", "--bnb", "--cuts", "gomory,lift"}, exitUsage, "--cuts"},
		{[]string{"solve", "--bnb", "--sb-min-reliable", "-1"}, exitUsage, "--sb-min-reliable"},
		{[]string{"solve", "--bnb", "--sb-max-reliable", "-2"}, exitUsage, "--sb-max-reliable"},
		{[]string{"solve", "--bnb", "--sb-min-reliable", "6", "--sb-max-reliable", "3"}, exitUsage, "--sb-max-reliable 3: must not be below --sb-min-reliable (6)"},
		{[]string{"solve", "--bnb", "--sb-iter-quot", "-0.5"}, exitUsage, "--sb-iter-quot"},
		{[]string{"solve", "--bnb", "--sb-iter-quot", "NaN"}, exitUsage, "--sb-iter-quot"},
		{[]string{"solve", "--bnb", "--sb-iter-ofs", "-1"}, exitUsage, "--sb-iter-ofs"},
		{[]string{"solve", "--bnb", "--sb-lookahead", "-3"}, exitUsage, "--sb-lookahead"},
		{[]string{"solve", "--bnb", "--sb-iter-limit", "-1"}, exitUsage, "--sb-iter-limit"},
		{[]string{"solve", "--sb-lookahead", "4"}, exitUsage, "--sb-lookahead goes with --bnb"},
		{[]string{"solve", "--bnb", "--gap-limit", "-0.1"}, exitUsage, "--gap-limit"},
		{[]string{"solve", "--bnb", "--gap-limit", "1"}, exitUsage, "--gap-limit"},
		{[]string{"solve", "--bnb", "--gap-limit", "NaN"}, exitUsage, "--gap-limit"},
		{[]string{"solve", "--gap-limit", "0.01"}, exitUsage, "--gap-limit and --gap-prune go with --bnb"},
		{[]string{"solve", "--solution", filepath.Join(missing, "x.sol")}, exitInput, "--solution"},
		{[]string{"solve", "--bnb", "--trace", filepath.Join(missing, "t.parquet")}, exitInput, "--trace"},
		{[]string{"bench", "solver", "--repeat", "0"}, exitUsage, "--repeat"},
		{[]string{"bench", "nn", "--min-time", "0s"}, exitUsage, "--min-time"},
		{[]string{"bench", "nn", "--min-time", "-1s"}, exitUsage, "--min-time"},
		{[]string{"bench", "nn", "--backend", "tpu"}, exitUsage, "tpu"},
	} {
		code, _, stderr := corl(t, c.args...)
		if code != c.code {
			t.Errorf("corl %v: exit %d, want %d", c.args, code, c.code)
		}
		oneLine(t, c.args, stderr, c.want)
	}
	if _, err := os.Stat(filepath.Dir(missing)); err == nil {
		t.Error("a missing output directory was made")
	}
}

// The help's default of --time-limit is accepted: 0 is no limit.
func TestSolveTimeLimitZeroIsNoLimit(t *testing.T) {
	needHiGHS(t)
	_, help, _ := corl(t, "solve", "--help")
	if !strings.Contains(help, "0: no limit") {
		t.Errorf("help does not say what 0 means:\n%s", help)
	}
	for _, bnb := range [][]string{nil, {"--bnb"}} {
		r := solveJSON(t, append(bnb, "--time-limit", "0")...)
		if r.Status != "optimal" {
			t.Errorf("%v --time-limit 0: status %s", bnb, r.Status)
		}
	}
}

// An interrupted solve, by HiGHS or by corl's branch-and-bound, prints
// what it found and exits 130.
func TestSolveInterruptedExits130(t *testing.T) {
	needHiGHS(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, args := range [][]string{{"solve"}, {"solve", "--bnb"}} {
		var out, errb strings.Builder
		code := run(ctx, append([]string{"corl"}, args...), &out, &errb)
		if code != exitInterrupted {
			t.Errorf("corl %v: exit %d, want %d (%s)", args, code, exitInterrupted, errb.String())
		}
		if !strings.Contains(out.String(), "interrupted") || !strings.Contains(errb.String(), "interrupted") {
			t.Errorf("corl %v: stdout %q, stderr %q: want the result and a word on the interruption", args, out.String(), errb.String())
		}
	}
}

// --bnb reports each heuristic that ran, and --heuristics none runs none,
// with the same optimum.
func TestSolveBnBReportsHeuristics(t *testing.T) {
	needHiGHS(t)
	on := solveJSON(t, "--bnb", "--branching", "pscost")
	off := solveJSON(t, "--bnb", "--branching", "pscost", "--heuristics", "none")
	if on.Status != "optimal" || off.Status != "optimal" || *on.Objective != *off.Objective {
		t.Fatalf("on: %s %v, off: %s %v", on.Status, *on.Objective, off.Status, *off.Objective)
	}
	if len(off.Heuristics) != 0 {
		t.Errorf("--heuristics none: %+v", off.Heuristics)
	}
	pre := solveJSON(t, "--bnb", "--branching", "pscost", "--presolve", "on")
	if pre.Status != "optimal" || *pre.Objective != *on.Objective {
		t.Errorf("--presolve on: %s %v, want optimal %v", pre.Status, *pre.Objective, *on.Objective)
	}
	names := map[string]bool{}
	for _, h := range on.Heuristics {
		names[h.Name] = h.Calls > 0 && h.Successes <= h.Calls
	}
	if !names["rounding"] || !names["fracdive"] {
		t.Errorf("heuristics reported: %+v", on.Heuristics)
	}
}

// The strong-branching flags reach relpscost: a budget of nothing leaves
// the root's strong branching as it was and stops it soon after, a fixed threshold of 1 and a lookahead of
// 2 do no more of it than the defaults, a limit of 20 iterations holds each
// child LP to 20; every setting finds the same optimum. With another rule
// they are refused.
func TestSolveStrongBranchingFlags(t *testing.T) {
	needHiGHS(t)
	base := []string{"--bnb", "--heuristics", "none", "--cuts", "off"} // branches more without cuts
	def := solveJSON(t, base...)
	if def.Status != "optimal" || def.StrongBranching == nil {
		t.Fatalf("default: %s, strong branching %+v", def.Status, def.StrongBranching)
	}
	for _, c := range []struct {
		args  []string
		check func(sb strongBranchingResult) bool
	}{
		{[]string{"--sb-min-reliable", "1", "--sb-max-reliable", "1", "--sb-lookahead", "2"},
			func(sb strongBranchingResult) bool { return sb.LPs <= def.StrongBranching.LPs }},
		{[]string{"--sb-iter-ofs", "1", "--sb-iter-quot", "0.000001"},
			func(sb strongBranchingResult) bool {
				return sb.RootIterations == def.StrongBranching.RootIterations && 2*sb.LPIterations < def.StrongBranching.LPIterations
			}},
		{[]string{"--sb-iter-quot", "Inf", "--sb-iter-limit", "20"},
			func(sb strongBranchingResult) bool { return sb.LPIterations <= 21*sb.LPs }}, // HiGHS may finish its pivot
	} {
		r := solveJSON(t, append(append([]string(nil), base...), c.args...)...)
		if r.Status != "optimal" || *r.Objective != *def.Objective {
			t.Errorf("%v: %s %v, want optimal %v", c.args, r.Status, *r.Objective, *def.Objective)
		}
		if r.StrongBranching == nil || !c.check(*r.StrongBranching) {
			t.Errorf("%v: strong branching %+v (default: %+v)", c.args, r.StrongBranching, def.StrongBranching)
		}
	}
	args := []string{"solve", "--bnb", "--branching", "pscost", "--sb-lookahead", "4"}
	code, _, stderr := corl(t, args...)
	if code != exitUsage {
		t.Errorf("corl %v: exit %d, want %d", args, code, exitUsage)
	}
	oneLine(t, args, stderr, "--sb-lookahead applies to --branching relpscost only")
}
