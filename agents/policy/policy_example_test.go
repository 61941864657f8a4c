package policy_test

import (
	"errors"
	"fmt"

	"github.com/corl-go/corl/agents/policy"
)

func ExampleBranching() {
	newRule, err := policy.Branching("pscost", 1)
	if err != nil {
		panic(err)
	}
	rule, _ := newRule()
	fmt.Printf("%T\n", rule)
	_, err = policy.Branching("gnn:", 1)
	fmt.Println(errors.Is(err, policy.ErrName), err)
	_, err = policy.Branching("revibranch:", 1)
	fmt.Println(errors.Is(err, policy.ErrName), err)
	// Output:
	// bnb.PseudoCost
	// true policy: branching policy "gnn:": give the checkpoint's path after gnn:
	// true policy: branching policy "revibranch:": give the checkpoint's path after revibranch:
}
