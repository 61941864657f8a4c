//go:build ignore

// gen writes the instance embedded in the corl binary: a seeded set-cover
// MIP from corl's own generator. Run with `go generate ./cmd/corl/...`.
package main

import (
	"log"
	"math/rand/v2"

	"github.com/corl-go/corl/solver"
	"github.com/corl-go/corl/solver/solvertest"
)

func main() {
	m := solvertest.SetCover(rand.New(rand.NewPCG(42, 0)), 200, 400, 0.05, 100)
	if err := solver.WriteMPSFile("setcover-200x400.mps.gz", m); err != nil {
		log.Fatal(err)
	}
}
