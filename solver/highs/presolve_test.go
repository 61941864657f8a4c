package highs_test

import (
	"context"
	"strings"
	"testing"

	"github.com/corl-go/corl/internal/sharedtest"
	"github.com/corl-go/corl/solver"
	"github.com/corl-go/corl/solver/highs"
	"github.com/corl-go/corl/solver/solvertest"
)

// TestPresolvePostsolve presolves each shared MIPLIB instance with a known
// optimum, solves the reduced model with HiGHS's MIP on a second solver,
// postsolves the solution and checks it against every bound, integrality
// constraint and row of the original model, with the known optimal value.
func TestPresolvePostsolve(t *testing.T) {
	for _, in := range sharedtest.Instances(t) {
		if in.Kind != "MILP" || in.Status != "optimal" {
			continue
		}
		t.Run(strings.TrimSuffix(in.Name, ".mps"), func(t *testing.T) {
			for _, rt := range []string{"wasmtime", "wazero"} {
				if !hasRuntime(rt) {
					continue
				}
				m, err := solver.ReadMPSFile(in.File)
				if err != nil {
					t.Fatal(err)
				}
				s := newSolver(t, rt)
				if err := s.Load(m); err != nil {
					t.Fatal(err)
				}
				red, st, err := s.Presolve()
				if err != nil || red == nil {
					t.Fatalf("%s: presolve: %v %v", rt, st, err)
				}
				if red.NumCols() > m.NumCols() || red.NumRows() > m.NumRows() {
					t.Fatalf("%s: presolve grew %dx%d to %dx%d", rt, m.NumRows(), m.NumCols(), red.NumRows(), red.NumCols())
				}
				x := make([]float64, red.NumCols())
				if red.NumCols() > 0 {
					sub := newSolver(t, rt)
					if err := sub.Load(red); err != nil {
						t.Fatal(err)
					}
					sub.SetDoubleOption("mip_rel_gap", 0)
					if st, err := sub.Solve(context.Background()); st != solver.StatusOptimal || err != nil {
						t.Fatalf("%s: reduced model: %v %v", rt, st, err)
					}
					if err := sub.SolutionTo(x, nil, nil, nil); err != nil {
						t.Fatal(err)
					}
				}
				orig := make([]float64, m.NumCols())
				if err := s.PostsolveTo(orig, x); err != nil {
					t.Fatalf("%s: postsolve: %v", rt, err)
				}
				if err := solvertest.CheckSolution(m, orig, in.Objective); err != nil {
					t.Fatalf("%s: postsolved solution: %v", rt, err)
				}
				// Every reduced column is named after the original column it
				// comes from (presolve may have scaled or shifted it).
				index := map[string]int{}
				for j := range m.NumCols() {
					index[m.ColName(j)] = j
				}
				for k, name := range red.ColNames {
					if _, ok := index[name]; !ok {
						t.Fatalf("%s: reduced column %d %q names no original column", rt, k, name)
					}
				}
				t.Logf("%s: %dx%d presolved to %dx%d", rt, m.NumRows(), m.NumCols(), red.NumRows(), red.NumCols())
			}
		})
	}
}

func hasRuntime(rt string) bool {
	for _, r := range highs.Runtimes() {
		if r == rt {
			return true
		}
	}
	return false
}
