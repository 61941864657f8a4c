// Package embedded holds the instance the corl binary solves when it is
// given no file: a seeded 200x400 set-cover MIP written by corl's own
// generator (see gen.go).
package embedded

import (
	"bytes"
	_ "embed"

	"github.com/corl-go/corl/solver"
)

//go:generate go run gen.go

// Name is the embedded instance's name as the CLI shows it.
const Name = "setcover-200x400.mps.gz (embedded)"

//go:embed setcover-200x400.mps.gz
var setCover []byte

// Model returns the embedded set-cover MIP.
func Model() (*solver.Model, error) {
	return solver.ReadMPS(bytes.NewReader(setCover), Name, solver.MPSFree)
}
