package bnb

import (
	"strings"
	"testing"

	"github.com/corl-go/corl/internal/sharedtest"
	"github.com/corl-go/corl/solver"
)

// EachSharedMILP runs f, as a subtest named by the file without ".mps",
// on every shared MILP instance that keep accepts (nil: all of them),
// read from its file. Exported for the package's external tests.
func EachSharedMILP(t *testing.T, keep func(name string, in sharedtest.Instance) bool, f func(t *testing.T, name string, in sharedtest.Instance, m *solver.Model)) {
	t.Helper()
	for _, in := range sharedtest.Instances(t) {
		name := strings.TrimSuffix(in.Name, ".mps")
		if in.Kind != "MILP" || (keep != nil && !keep(name, in)) {
			continue
		}
		t.Run(name, func(t *testing.T) {
			m, err := solver.ReadMPSFile(in.File)
			if err != nil {
				t.Fatal(err)
			}
			f(t, name, in, m)
		})
	}
}

// SharedOptimal keeps the shared instances with a known optimum.
func SharedOptimal(_ string, in sharedtest.Instance) bool { return in.Status == "optimal" }
