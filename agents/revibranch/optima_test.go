package revibranch

import (
	"context"
	"math"
	"os"
	"path/filepath"
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
	key, err := ModelHash(insts[1].Model)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, key+".json"), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if v := lookup(again, insts[1].Model); again.Solved != 2 || math.Abs(v-want[1]) > 1e-6*math.Abs(want[1]) {
		t.Fatalf("damaged entry: optimum %v after %d solves, want %v after 2", v, again.Solved, want[1])
	}
	if v, ok := readOptimum(filepath.Join(dir, key+".json")); !ok || v != lookup(again, insts[1].Model) {
		t.Fatalf("the damaged entry was not rewritten (%v, %v)", v, ok)
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
