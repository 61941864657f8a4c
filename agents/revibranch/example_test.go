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
