package datasets_test

import (
	"fmt"

	"github.com/corl-go/corl/datasets"
)

// Generate a small set-cover MILP: every row must be covered by a chosen
// column, so the model has one row per element and one binary column per
// set.
func ExampleFamily_Generate() {
	f, err := datasets.Lookup("setcover")
	if err != nil {
		panic(err)
	}
	m, p, err := f.Generate(datasets.Easy, 1, map[string]float64{"rows": 30, "cols": 60})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d rows, %d columns, MIP %v, costs up to %v\n", m.NumRows(), m.NumCols(), m.IsMIP(), p["max_cost"])
	// Output:
	// 30 rows, 60 columns, MIP true, costs up to 100
}
