package qmip_test

import (
	"fmt"

	"github.com/corl-go/corl/agents/qmip"
)

// Bounds of a tiny network over two binaries with at most one set: the
// first neuron, x0 − x1 − 0.5, ranges over {−1.5, −0.5, 0.5} and needs a
// binary; the second, x0 + x1 + 1, is always on and is substituted.
func ExampleNet_Propagate() {
	net := qmip.Net{Layers: []qmip.Layer{
		{W: [][]float64{{1, -1}, {1, 1}}, B: []float64{-0.5, 1}},
		{W: [][]float64{{2, 3}}, B: []float64{0}},
	}}
	bd := net.Propagate(2, nil, 1)
	for i := range bd.Lo[0] {
		fmt.Printf("neuron %d: [%g, %g]\n", i, bd.Lo[0][i], bd.Hi[0][i])
	}
	fmt.Println("Q(1, 0) =", net.Forward([]float64{1, 0}, nil))
	// Output:
	// neuron 0: [-1.5, 0.5]
	// neuron 1: [1, 2]
	// Q(1, 0) = 7
}
