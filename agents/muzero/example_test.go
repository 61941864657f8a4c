package muzero_test

import (
	"context"
	"fmt"

	"github.com/corl-go/corl/agents/muzero"
	"github.com/corl-go/corl/envs/malloc"
)

// Map three buffers by searching the game itself (no network: best-fit
// rollouts value the leaves) before every move. Greedy XLA places the
// most memory-bound buffer first and has no room left; the search leaves
// it in slow memory and fits the other two.
func ExampleSearch() {
	in := &malloc.Instance{Name: "three", Capacity: 4, Buffers: []malloc.Buffer{
		{ID: 0, Start: 0, End: 2, Size: 3, Benefit: 3},
		{ID: 1, Start: 1, End: 3, Size: 2, Benefit: 2},
		{ID: 2, Start: 1, End: 3, Size: 2, Benefit: 2},
	}}
	g, _ := malloc.New(in, malloc.Config{})
	obs, _ := g.Reset(0)
	s, _ := muzero.NewSearch(muzero.SearchConfig{Simulations: 32}, 1, malloc.NumActions)
	m := muzero.NewTrue[malloc.Obs, *malloc.Env](malloc.NumActions, &muzero.BestFitRollout{})
	var res muzero.Result
	for !g.Done() {
		m.SetRoots([]*malloc.Env{g}, []malloc.Obs{obs})
		if err := s.Run(context.Background(), m, nil, &res); err != nil {
			fmt.Println(err)
			return
		}
		st, _ := g.Step(res.Action[0])
		obs = st.Obs
	}
	xla, _ := malloc.RunBaseline(context.Background(), in, "xla", 0, malloc.MIPConfig{})
	fmt.Printf("search: offsets %v, fraction %.3f\n", g.Offsets(), g.Metric())
	fmt.Printf("xla:    offsets %v, fraction %.3f\n", xla.Offsets, xla.Fraction)
	// Output:
	// search: offsets [-1 0 2], fraction 0.571
	// xla:    offsets [0 -1 -1], fraction 0.429
}
