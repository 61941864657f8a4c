package highs_test

import (
	"testing"

	"github.com/corl-go/corl/internal/highstest"
	"github.com/corl-go/corl/solver"
	"github.com/corl-go/corl/solver/highs"
	"github.com/corl-go/corl/solver/solvertest"
)

// newSolver returns a solver on runtime rt, skipping when the module is not
// installed (failing under CORL_REQUIRE_HIGHS=1).
func newSolver(t testing.TB, rt string) *highs.Solver {
	return highstest.OnRuntime(t, rt)
}

func TestConformance(t *testing.T) {
	for _, rt := range highs.Runtimes() {
		t.Run(rt, func(t *testing.T) {
			solvertest.Run(t, func(t testing.TB) solver.Engine { return newSolver(t, rt) })
		})
	}
}
