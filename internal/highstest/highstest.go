// Package highstest gives tests a HiGHS solver: it skips the test when the
// WebAssembly module is not installed, unless CORL_REQUIRE_HIGHS=1 says it
// must be there.
package highstest

import (
	"errors"
	"os"
	"testing"

	"github.com/corl-go/corl/solver/highs"
)

// New returns a solver on the default engine, closed when the test ends.
func New(t testing.TB) *highs.Solver {
	t.Helper()
	return OnRuntime(t, "")
}

// OnRuntime returns a solver on the named runtime ("": the default),
// closed when the test ends.
func OnRuntime(t testing.TB, runtime string) *highs.Solver {
	t.Helper()
	s, err := highs.New(highs.Config{Runtime: runtime})
	if errors.Is(err, highs.ErrModuleMissing) && os.Getenv("CORL_REQUIRE_HIGHS") != "1" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Need skips the test when HiGHS is not installed.
func Need(t testing.TB) { New(t) }
