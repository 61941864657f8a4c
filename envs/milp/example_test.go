package milp_test

import (
	"fmt"
	"math"

	"github.com/corl-go/corl/envs/milp"
	"github.com/corl-go/corl/solver"
	"github.com/corl-go/corl/solver/bnb"
)

// Play the branching environment on one fixed MIP (maximise 5x + 4y
// subject to x + y <= 5 and 10x + 6y <= 45, x, y integer; optimum 23),
// always branching on the first candidate column, with the nodes each
// step processed as its reward (the rewards sum to the tree's size).
func ExampleNew() {
	var b solver.Builder
	b.SetSense(solver.Maximize)
	x := b.AddCol("x", 5, 0, 10, solver.Integer)
	y := b.AddCol("y", 4, 0, solver.Inf, solver.Integer)
	b.AddRow("capacity", math.Inf(-1), 5, []int{x, y}, []float64{1, 1})
	b.AddRow("weight", math.Inf(-1), 45, []int{x, y}, []float64{10, 6})
	m, err := b.Build()
	if err != nil {
		panic(err)
	}
	// Cuts, or one-opt or the swap search on the first rounded solution,
	// would solve this small model at the root, leaving nothing to branch on.
	search := bnb.Config{NoCuts: true, Heuristics: bnb.Heuristics{NoOneOpt: true, NoSwap: true}}
	env, err := milp.New(milp.Config{Instances: milp.Fixed(m), Search: search}, &milp.NodeBipartiteFunc{}, milp.NNodes)
	if err != nil {
		panic(err)
	}
	defer env.Close()
	if _, err := env.Reset(1); err != nil {
		fmt.Println("no LP engine:", err)
		return
	}
	steps, total := 0, 0.0
	for !env.Done() {
		st, err := env.Step(env.Legal()[0])
		if err != nil {
			panic(err)
		}
		steps, total = steps+1, total+st.Reward
	}
	inc, obj := env.Search().Incumbent()
	fmt.Printf("%d branchings, reward %v, status %v, objective %.4g at x=%.4g y=%.4g\n",
		steps, total, env.Search().Status(), obj, inc[x], inc[y])
	// Output:
	// 3 branchings, reward 6, status optimal, objective 23 at x=3 y=2
}
