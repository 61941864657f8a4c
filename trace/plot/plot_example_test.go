package plot_test

import (
	"fmt"

	"github.com/corl-go/corl/trace"
	"github.com/corl-go/corl/trace/plot"
)

func ExamplePerformanceProfile() {
	// Two branching rules on three instances; mostfrac hits the time limit on c.
	rows := []trace.Result{
		{Policy: "relpscost", Instance: "a", Status: "optimal", Nodes: 10, Seconds: 1},
		{Policy: "mostfrac", Instance: "a", Status: "optimal", Nodes: 30, Seconds: 2},
		{Policy: "relpscost", Instance: "b", Status: "optimal", Nodes: 40, Seconds: 4},
		{Policy: "mostfrac", Instance: "b", Status: "optimal", Nodes: 20, Seconds: 2},
		{Policy: "relpscost", Instance: "c", Status: "optimal", Nodes: 50, Seconds: 5},
		{Policy: "mostfrac", Instance: "c", Status: "time_limit", Nodes: 900, Seconds: 60},
	}
	profile, err := plot.PerformanceProfile(rows, plot.Nodes)
	if err != nil {
		panic(err)
	}
	for _, c := range profile {
		fmt.Printf("%-9s tau %v: share %.3f\n", c.Name, c.X, c.Y)
	}
	solved, _ := plot.SolvedOverTime(rows)
	for _, c := range solved {
		fmt.Printf("%-9s t %v: share %.3f\n", c.Name, c.X, c.Y)
	}
	// Output:
	// relpscost tau [1 2]: share [0.667 1.000]
	// mostfrac  tau [1 3]: share [0.333 0.667]
	// relpscost t [1 4 5]: share [0.333 0.667 1.000]
	// mostfrac  t [2]: share [0.667]
}
