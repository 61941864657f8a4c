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
// with the default search and with a plain one (no cuts, no heuristics),
// whose trees make the rules branch.
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
				h := newHiGHS(t)
				h.Load(m)
				h.SetDoubleOption("mip_rel_gap", 0)
				st, err := h.Solve(context.Background())
				if err != nil || st != solver.StatusOptimal {
					t.Fatalf("HiGHS: %v %v", st, err)
				}
				want, _ := h.Objective()
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
