package highs_test

import (
	"testing"

	"github.com/corl-go/corl/internal/bench"
	"github.com/corl-go/corl/internal/sharedtest"
	"github.com/corl-go/corl/solver"
	"github.com/corl-go/corl/solver/highs"
)

// BenchmarkSolver runs every workload on every runtime compiled in, side by
// side: compare ns/op across the rt= sub-benchmarks.
func BenchmarkSolver(b *testing.B) {
	var mip *solver.Model
	if m, err := solver.ReadMPSFile(sharedtest.InstanceFile(b, "p0548.mps")); err == nil {
		mip = m
	}
	for _, w := range bench.SolverWorkloads(mip) {
		for _, rt := range highs.Runtimes() {
			b.Run(w.Name+"/rt="+rt, func(b *testing.B) {
				newSolver(b, rt).Close() // skip when the module is absent
				op, cleanup, err := w.Setup(rt)
				if err != nil {
					b.Fatal(err)
				}
				defer cleanup()
				b.ReportAllocs()
				for b.Loop() {
					if err := op(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
