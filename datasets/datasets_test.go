package datasets_test

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/corl-go/corl/internal/highstest"

	"github.com/corl-go/corl/datasets"
	"github.com/corl-go/corl/solver"
	"github.com/corl-go/corl/solver/bnb"
	"github.com/corl-go/corl/solver/highs"
	"github.com/corl-go/corl/solver/solvertest"
)

// small shrinks every family to instances a test solves in well under a second.
var small = map[string]map[string]float64{
	"setcover": {"rows": 80, "cols": 160},
	"cauction": {"items": 20, "bids": 60},
	"facility": {"customers": 10, "facilities": 8},
	"indset":   {"nodes": 50},
	"knapsack": {"items": 10, "knapsacks": 2},
}

func TestGenerateIsByteIdentical(t *testing.T) {
	for _, fam := range datasets.FamilyNames() {
		t.Run(fam, func(t *testing.T) {
			f, _ := datasets.Lookup(fam)
			a, b := t.TempDir(), t.TempDir()
			ma, err := datasets.GenerateSet(context.Background(), f, datasets.Easy, small[fam], datasets.SetConfig{Dir: a, N: 2, Seed: 7})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := datasets.GenerateSet(context.Background(), f, datasets.Easy, small[fam], datasets.SetConfig{Dir: b, N: 2, Seed: 7}); err != nil {
				t.Fatal(err)
			}
			for _, mf := range append(ma.Files, datasets.ManifestFile{File: datasets.ManifestName}) {
				x, _ := os.ReadFile(filepath.Join(a, mf.File))
				y, _ := os.ReadFile(filepath.Join(b, mf.File))
				if len(x) == 0 || !bytes.Equal(x, y) {
					t.Errorf("%s differs between two runs with the same seed", mf.File)
				}
			}
			x, _ := os.ReadFile(filepath.Join(a, ma.Files[0].File))
			y, _ := os.ReadFile(filepath.Join(a, ma.Files[1].File))
			if bytes.Equal(x, y) {
				t.Error("two files of a set are identical")
			}
			m, err := solver.ReadMPSFile(filepath.Join(a, ma.Files[0].File))
			if err != nil {
				t.Fatal(err)
			}
			if m.NumRows() != ma.Files[0].Rows || m.NumCols() != ma.Files[0].Cols || !m.IsMIP() {
				t.Errorf("file has %dx%d, manifest %dx%d", m.NumRows(), m.NumCols(), ma.Files[0].Rows, ma.Files[0].Cols)
			}
		})
	}
}

func TestSizes(t *testing.T) {
	f, _ := datasets.Lookup("setcover")
	for _, c := range []struct {
		size datasets.Size
		rows int
	}{{datasets.Easy, 500}, {datasets.Medium, 1000}, {datasets.Hard, 2000}} {
		m, p, err := f.Generate(c.size, 1, map[string]float64{"density": 0.01})
		if err != nil {
			t.Fatal(err)
		}
		if m.NumRows() != c.rows || m.NumCols() != 1000 || p["rows"] != float64(c.rows) {
			t.Errorf("%s: %dx%d", c.size, m.NumRows(), m.NumCols())
		}
	}
	if _, _, err := f.Generate("huge", 1, nil); err == nil {
		t.Error("unknown size accepted")
	}
	if _, _, err := f.Generate(datasets.Easy, 1, map[string]float64{"nope": 1}); err == nil {
		t.Error("unknown parameter accepted")
	}
}

// TestBranchAndBoundMatchesHiGHS solves small instances of every family
// with corl's branch-and-bound under every branching rule, and with HiGHS's
// MIP solver: each rule proves HiGHS's optimum with a feasible solution,
// with the default search, which solves most of them at its root, and
// with a plain one (no cuts, no heuristics), whose trees are larger: some
// tree of each family has 5 nodes or more (knapsack's reach thousands).
func TestBranchAndBoundMatchesHiGHS(t *testing.T) {
	configs := []struct {
		name string
		cfg  bnb.Config
	}{{"defaults", bnb.Config{}}, {"plain", bnb.Config{NoCuts: true, NoHeuristics: true}}}
	for _, fam := range datasets.FamilyNames() {
		t.Run(fam, func(t *testing.T) {
			f, _ := datasets.Lookup(fam)
			maxNodes := int64(0)
			for seed := uint64(1); seed <= 2; seed++ {
				m, _, err := f.Generate(datasets.Easy, seed, small[fam])
				if err != nil {
					t.Fatal(err)
				}
				want := highsOptimum(t, m)
				for _, c := range configs {
					for _, name := range bnb.Rules() {
						rule, _ := bnb.NewRule(name, seed)
						res, err := bnb.Solve(context.Background(), newHiGHS(t), m, rule, c.cfg)
						if err != nil {
							t.Fatalf("seed %d, %s, %s: %v", seed, c.name, name, err)
						}
						if res.Status != solver.StatusOptimal || math.Abs(res.Objective-want) > 1e-6*math.Max(1, math.Abs(want)) {
							t.Fatalf("seed %d, %s, %s: branch-and-bound %v %v, HiGHS %v", seed, c.name, name, res.Status, res.Objective, want)
						}
						if err := solvertest.CheckSolution(m, res.X, res.Objective); err != nil {
							t.Fatalf("seed %d, %s, %s: %v", seed, c.name, name, err)
						}
						t.Logf("seed %d, %s, %s: optimum %v in %d nodes", seed, c.name, name, want, res.Stats.Nodes)
						maxNodes = max(maxNodes, res.Stats.Nodes)
					}
				}
			}
			if maxNodes < 5 {
				t.Errorf("the largest tree has %d nodes: the instances do not exercise the rules", maxNodes)
			}
		})
	}
}

func newHiGHS(t *testing.T) *highs.Solver { return highstest.New(t) }

// highsOptimum returns the optimal value HiGHS's MIP solver proves for m
// at a gap of 0, failing the test if it proves none.
func highsOptimum(t *testing.T, m *solver.Model) float64 {
	t.Helper()
	h := newHiGHS(t)
	h.Load(m)
	h.SetDoubleOption("mip_rel_gap", 0)
	if st, err := h.Solve(context.Background()); err != nil || st != solver.StatusOptimal {
		t.Fatalf("HiGHS: %v %v", st, err)
	}
	want, _ := h.Objective()
	return want
}

// TestPresolvedBoundsKeepTheSense: on the maximising families (auctions,
// independent set) a search on HiGHS's presolved model, which minimises
// the objective negated, reports its bounds in the model's own sense: a
// finished search's dual bound is HiGHS's optimum, and one stopped after
// a few nodes has a dual bound at or above it and an incumbent, if any,
// at or below it.
func TestPresolvedBoundsKeepTheSense(t *testing.T) {
	for _, fam := range []string{"cauction", "indset"} {
		t.Run(fam, func(t *testing.T) {
			f, _ := datasets.Lookup(fam)
			m, _, err := f.Generate(datasets.Easy, 3, small[fam])
			if err != nil {
				t.Fatal(err)
			}
			if m.Sense != solver.Maximize {
				t.Fatalf("%s minimises; the test wants a maximising family", fam)
			}
			want := highsOptimum(t, m)
			tol := 1e-6 * math.Max(1, math.Abs(want))
			observed := 0
			observe := func(d bnb.Decided) error {
				observed++
				if d.After.DualBound < want-tol || d.After.PrimalBound > want+tol {
					t.Errorf("decision %d: bounds [%v, %v] do not bracket the optimum %v", d.Step, d.After.PrimalBound, d.After.DualBound, want)
				}
				return nil
			}
			full, err := bnb.Solve(context.Background(), newHiGHS(t), m, &bnb.Reliability{}, bnb.Config{Presolve: true, NoCuts: true, NoHeuristics: true, Observe: observe})
			if err != nil {
				t.Fatal(err)
			}
			if full.Status != solver.StatusOptimal || math.Abs(full.Objective-want) > tol || math.Abs(full.Stats.DualBound-want) > tol || math.Abs(full.Stats.PrimalBound-want) > tol {
				t.Errorf("finished: %v, objective %v, bounds [%v, %v], HiGHS %v", full.Status, full.Objective, full.Stats.PrimalBound, full.Stats.DualBound, want)
			}
			if n := len(full.Stats.Found); n == 0 || math.Abs(full.Stats.Found[n-1].Objective-want) > tol {
				t.Errorf("solutions found: %+v, the last should be the optimum %v", full.Stats.Found, want)
			}
			if observed == 0 {
				t.Error("the search made no decision: the instance does not exercise the bounds along the way")
			}
			cut, err := bnb.Solve(context.Background(), newHiGHS(t), m, &bnb.Reliability{}, bnb.Config{Presolve: true, NodeLimit: 2, NoCuts: true, NoHeuristics: true})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("after %d nodes: %v, objective %v, dual bound %v, HiGHS %v", cut.Stats.Nodes, cut.Status, cut.Objective, cut.Stats.DualBound, want)
			if cut.Stats.DualBound < want-tol || math.IsInf(cut.Stats.DualBound, 0) {
				t.Errorf("stopped: dual bound %v below the optimum %v", cut.Stats.DualBound, want)
			}
			if cut.X != nil && cut.Objective > want+tol {
				t.Errorf("stopped: objective %v above the optimum %v", cut.Objective, want)
			}
			if cut.X == nil && !math.IsInf(cut.Objective, -1) {
				t.Errorf("stopped without a solution: objective %v, want -Inf", cut.Objective)
			}
		})
	}
}
