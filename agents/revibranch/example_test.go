package revibranch_test

import (
	"context"
	"fmt"

	"github.com/corl-go/corl/agents/revibranch"
	"github.com/corl-go/corl/datasets"
	"github.com/corl-go/corl/solver/bnb"
	"github.com/corl-go/corl/solver/highs"
)

// A learned policy branches inside corl's branch-and-bound like any rule.
func Example() {
	p, err := revibranch.DefaultPolicy() // or revibranch.LoadPolicy("runs/sc/policy.safetensors", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fam, _ := datasets.Lookup("setcover")
	m, _, _ := fam.Generate(datasets.Easy, 1, map[string]float64{"rows": 100, "cols": 200})
	lp, err := highs.New(highs.Config{})
	if err != nil {
		fmt.Println("HiGHS:", err)
		return
	}
	defer lp.Close()
	res, err := bnb.Solve(context.Background(), lp, m, p.Brancher(), bnb.Config{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Status)
	// Output: optimal
}

// A finished episode's tree gives one revived path per leaf, and each
// path's terminal reward, redistributed, sums back to it.
func ExamplePaths() {
	// The root (node 0) branches into 1 and 2; node 2 branches again into
	// two leaves; node 1's children are leaves.
	step := func(node, parent int64) revibranch.Step {
		return revibranch.Step{Node: node, Parent: parent, Candidates: []int32{0}}
	}
	ep := &revibranch.Episode{Steps: []revibranch.Step{step(0, -1), step(1, 0), step(2, 0)}}
	paths, err := revibranch.Paths(ep)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range paths {
		var nodes []int64
		for t := range p.Len() {
			nodes = append(nodes, p.Step(t).Node)
		}
		r := revibranch.PathRewards(&p, revibranch.RewardNodes, revibranch.RedistributeSubtree, nil)
		fmt.Printf("nodes %v subtrees %v terminal %.3f rewards %.3f\n", nodes, p.Subtree, revibranch.TerminalReward(&p, revibranch.RewardNodes), r)
	}
	// Output:
	// nodes [0 1] subtrees [7 3] terminal 2.079 rewards [0.693 1.386]
	// nodes [0 1] subtrees [7 3] terminal 2.079 rewards [0.693 1.386]
	// nodes [0 2] subtrees [7 3] terminal 2.079 rewards [0.693 1.386]
	// nodes [0 2] subtrees [7 3] terminal 2.079 rewards [0.693 1.386]
}
