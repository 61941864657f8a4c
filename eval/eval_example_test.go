package eval_test

import (
	"context"
	"fmt"
	"os"

	"github.com/corl-go/corl/eval"
	"github.com/corl-go/corl/trace"
)

// Two instances, two policies: pscost is faster on the first, a tie on
// the second wins for both.
func ExampleSummarizeMILP() {
	policies := []string{"mostfrac", "pscost"}
	results := [][]trace.Result{
		{{Status: "optimal", Seconds: 3, Nodes: 15, Objective: 7}, {Status: "optimal", Seconds: 1, Nodes: 3, Objective: 7}},
		{{Status: "optimal", Seconds: 2, Nodes: 7, Objective: 4}, {Status: "optimal", Seconds: 2, Nodes: 1, Objective: 4}},
	}
	eval.PrintMILP(os.Stdout, eval.SummarizeMILP(policies, results), 2)
	// Output:
	// policy  solved  time sgm (s)  nodes sgm  wins  total time (s)
	//   mostfrac     2/2         2.464       10.3     1            5.00
	//     pscost     2/2         1.449        1.8     2            3.00
	// sgm: 1-shifted geometric mean over all instances (unsolved ones at their limit); wins: fastest to a proof, ties win for each; highs nodes are HiGHS's own B&C nodes
}

// A Runner returns results in job order, whatever order they finish in.
func ExampleRunner() {
	jobs := eval.InstanceJobs([]string{"a", "b"}, []string{"p", "q"}, 1)
	double := func(_ context.Context, j eval.Job) (eval.Outcome, error) {
		return eval.Outcome{Result: trace.Result{Instance: j.Instance, Policy: j.Policy, Nodes: 2 * j.Episode}}, nil
	}
	results, err := eval.Runner{Workers: 3}.Run(context.Background(), jobs, double)
	if err != nil {
		panic(err)
	}
	for _, r := range results {
		fmt.Println(r.Instance, r.Policy, r.Nodes)
	}
	// Output:
	// a p 0
	// a q 0
	// b p 2
	// b q 2
}

func ExampleMeanCI() {
	mean, half := eval.MeanCI([]float64{2, 4})
	fmt.Printf("%.2f ± %.2f\n", mean, half)
	// Output: 3.00 ± 1.96
}
