package bandits_test

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/corl-go/corl/envs/bandits"
)

// Play three steps of a generated capacity instance with the greedy
// (iterative) baseline: each action is feasible, and the observation
// counts the steps.
func ExampleNew() {
	in, err := bandits.Generate(bandits.Config{Family: bandits.Capacity, J: 6, B: 2}, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		panic(err)
	}
	env, err := bandits.New(in, 3)
	if err != nil {
		panic(err)
	}
	obs, err := env.Reset(7)
	if err != nil {
		panic(err)
	}
	policy := bandits.Iterative{}
	for done := false; !done; {
		a, err := policy.Act(context.Background(), obs, nil)
		if err != nil {
			panic(err)
		}
		ok, err := in.Feasible(a)
		if err != nil {
			panic(err)
		}
		st, err := env.Step(a)
		if err != nil {
			panic(err)
		}
		fmt.Printf("t=%d feasible=%v terminated=%v\n", st.Obs.T, ok, st.Terminated)
		obs, done = st.Obs, st.Terminated
	}
	// Output:
	// t=1 feasible=true terminated=false
	// t=2 feasible=true terminated=false
	// t=3 feasible=true terminated=true
}
