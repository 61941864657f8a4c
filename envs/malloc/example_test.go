package malloc_test

import (
	"fmt"

	"github.com/corl-go/corl/envs/malloc"
)

// Place three buffers in a fast memory of 8 bytes. Buffers a and b are
// live at the same time and together too large (6 + 4 bytes); c comes
// after them. XLA's best fit takes a (the larger benefit), sends b to slow
// memory and puts c at offset 0 once a is dead. With the same number of
// uses each, a buffer's benefit is proportional to its size: (6 + 8) / 18.
func ExampleNew() {
	in := &malloc.Instance{Name: "three", Capacity: 8, Alignment: 1}
	for i, b := range []struct{ start, end, size int64 }{{0, 4, 6}, {1, 3, 4}, {4, 6, 8}} {
		in.Buffers = append(in.Buffers, malloc.Buffer{ID: i, Start: b.start, End: b.end, Size: b.size, Uses: 2,
			Benefit: malloc.DefaultModel.Benefit(b.size, 2)})
	}
	g, err := malloc.New(in, malloc.Config{Order: malloc.XLAOrder})
	if err != nil {
		panic(err)
	}
	if _, err := g.Reset(0); err != nil {
		panic(err)
	}
	for !g.Done() {
		if _, err := g.Step(malloc.BestFit(g)); err != nil {
			panic(err)
		}
	}
	fmt.Printf("offsets %v (-1: slow memory), %.3f of the benefit\n", g.Offsets(), g.Metric())
	// Output:
	// offsets [0 -1 0] (-1: slow memory), 0.778 of the benefit
}
