package revibranch

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/corl-go/corl/agents/train"
	"github.com/corl-go/corl/internal/highstest"
	"github.com/corl-go/corl/solver"
	"github.com/corl-go/corl/solver/bnb"
	"github.com/corl-go/corl/solver/highs"
)

func newHiGHS() (solver.Engine, error) { return highs.New(highs.Config{}) }

// The cache solves each instance once: a second lookup, a renamed copy and
// a second training run read it; a changed instance and a damaged entry
// are solved again. The values are the optima our own branch-and-bound
// proves.
func TestOptimaCache(t *testing.T) {
	highstest.Need(t)
	ctx := context.Background()
	insts := tinyKnapsacks(t, 2, 12, 3)
	dir := t.TempDir()
	want := make([]float64, len(insts))
	for i, in := range insts {
		lp, err := newHiGHS()
		if err != nil {
			t.Fatal(err)
		}
		res, err := bnb.Solve(ctx, lp, in.Model, mustRule(t, "pscost"), bnb.Config{})
		lp.Close()
		if err != nil || res.Status != solver.StatusOptimal {
			t.Fatalf("%s: bnb: %v %v", in.Name, res.Status, err)
		}
		want[i] = res.Objective
	}
	lookup := func(o *Optima, m *solver.Model) float64 {
		t.Helper()
		v, err := o.Value(ctx, newHiGHS, m)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	first := &Optima{Dir: dir}
	for i, in := range insts {
		if v := lookup(first, in.Model); math.Abs(v-want[i]) > 1e-6*math.Max(1, math.Abs(want[i])) {
			t.Errorf("%s: optimum %v, branch-and-bound proves %v", in.Name, v, want[i])
		}
	}
	if first.Solved != 2 {
		t.Fatalf("first lookups solved %d models, want 2", first.Solved)
	}
	again := &Optima{Dir: dir}
	renamed := insts[0].Model.Clone()
	renamed.Name = "another-name"
	if v := lookup(again, insts[1].Model); math.Abs(v-want[1]) > 1e-6*math.Abs(want[1]) {
		t.Errorf("cached optimum %v, want %v", v, want[1])
	}
	lookup(again, renamed)
	if again.Solved != 0 {
		t.Fatalf("lookups of cached instances solved %d models, want 0", again.Solved)
	}
	// A second training run on the same instances solves nothing.
	cfg := tinyRLConfig()
	cfg.Episodes, cfg.EpisodesPerRound = 2, 2
	run := &Optima{Dir: dir}
	d, err := train.Create(t.TempDir(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := TrainRL(ctx, cfg, RLEnv{Instances: insts, Optima: run}, d); err != nil {
		t.Fatal(err)
	}
	if run.Solved != 0 {
		t.Fatalf("a training run on cached instances solved %d models, want 0", run.Solved)
	}
	// A changed instance misses, and its optimum is its own.
	changed := insts[0].Model.Clone()
	for j := range changed.Cost {
		changed.Cost[j] *= 2
	}
	if v := lookup(again, changed); again.Solved != 1 || math.Abs(v-2*want[0]) > 1e-6*math.Abs(want[0]) {
		t.Fatalf("changed instance: optimum %v after %d solves, want %v after 1", v, again.Solved, 2*want[0])
	}
	// A damaged entry is solved again and rewritten.
	entry := again.entryPath(newHiGHS, insts[1].Model)
	if filepath.Dir(entry) != dir {
		t.Fatalf("entry %q is not in the cache %s", entry, dir)
	}
	if err := os.WriteFile(entry, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if v := lookup(again, insts[1].Model); again.Solved != 2 || math.Abs(v-want[1]) > 1e-6*math.Abs(want[1]) {
		t.Fatalf("damaged entry: optimum %v after %d solves, want %v after 2", v, again.Solved, want[1])
	}
	if v, ok := readOptimum(entry, again.build); !ok || v != lookup(again, insts[1].Model) {
		t.Fatalf("the damaged entry was not rewritten (%v, %v)", v, ok)
	}
	// Another HiGHS build misses: its value may differ within tolerances.
	other := &Optima{Dir: dir}
	if _, err := other.Value(ctx, otherHiGHS, insts[1].Model); err != nil || other.Solved != 1 {
		t.Fatalf("another HiGHS version: %d solves (%v), want 1", other.Solved, err)
	}
	if other.entryPath(otherHiGHS, insts[1].Model) == entry {
		t.Fatal("another HiGHS version has the same entry")
	}
}

// otherHiGHS is HiGHS that says it is another version.
func otherHiGHS() (solver.Engine, error) {
	s, err := highs.New(highs.Config{})
	return otherBuild{s}, err
}

type otherBuild struct{ *highs.Solver }

func (otherBuild) HiGHSVersion() (string, error) { return "0.0.0-other", nil }

// A cache that cannot be written warns once, naming itself, and the
// values are solved: training goes on without it.
func TestOptimaCacheFailureWarns(t *testing.T) {
	highstest.Need(t)
	ctx := context.Background()
	insts := tinyKnapsacks(t, 2, 12, 3)
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var warned []error
	o := &Optima{Dir: filepath.Join(file, "optima"), Warn: func(err error) { warned = append(warned, err) }}
	plain := &Optima{}
	for _, in := range insts {
		v, err := o.Value(ctx, newHiGHS, in.Model)
		if err != nil {
			t.Fatalf("%s: %v, want the solved value", in.Name, err)
		}
		w, err := plain.Value(ctx, newHiGHS, in.Model)
		if err != nil || v != w {
			t.Fatalf("%s: %v through the broken cache, %v without (%v)", in.Name, v, w, err)
		}
	}
	if len(warned) != 1 || !strings.Contains(warned[0].Error(), o.Dir) {
		t.Fatalf("warnings %v, want one naming %s", warned, o.Dir)
	}
}

func mustRule(t *testing.T, name string) bnb.Brancher {
	t.Helper()
	r, err := bnb.NewRule(name, 1)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
