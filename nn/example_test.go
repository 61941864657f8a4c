package nn_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/corl-go/corl/nn"
)

// A linear regression y = 2x + 1 fitted by Adam.
func Example() {
	b := nn.CPU()
	lin := nn.NewLinear(b, rand.New(rand.NewPCG(1, 1)), 1, 1, true)
	x := nn.From(b, []float32{-1, 0, 1, 2}, 4, 1)
	y := nn.From(b, []float32{-1, 1, 3, 5}, 4, 1)
	opt := nn.NewAdam(0.1)
	for range 300 {
		nn.ZeroGrad(lin.Params())
		nn.Backward(nn.MSE(lin.Forward(x), y))
		opt.Step(lin.Params())
	}
	fmt.Printf("w = %.2f, b = %.2f\n", lin.Weight.Item(), lin.Bias.Item())
	// Output:
	// w = 2.00, b = 1.00
}

// Gradients of a masked softmax: the masked entry takes no part.
func ExampleSoftmax() {
	b := nn.CPU()
	x := nn.From(b, []float32{1, 2, 3}, 1, 3).RequiresGrad()
	mask := nn.From(b, []float32{1, 1, 0}, 1, 3)
	p := nn.Softmax(x, mask)
	nn.Backward(nn.Sum(nn.Mul(p, nn.From(b, []float32{1, 0, 0}, 1, 3))))
	fmt.Printf("p = %.3f\ngrad = %.3f\n", p.Data(), x.Grad().Data())
	// Output:
	// p = [0.269 0.731 0.000]
	// grad = [0.197 -0.197 0.000]
}

// MuZero's value targets: compress with h, encode two-hot over the
// support, decode by expectation and h⁻¹.
func ExampleTwoHot() {
	b := nn.CPU()
	v := nn.From(b, []float32{-7, 0.5, 30}, 3, 1)
	hv := nn.ValueTransform(v, 0.001)
	target := nn.TwoHot(b, hv.Data(), -5, 5)
	// Logits whose softmax is (almost) the target decode back to v.
	logits := nn.Log(nn.Affine(target, 1, 1e-9))
	back := nn.InverseValueTransform(nn.SupportExpectation(logits, -5, 5), 0.001)
	fmt.Printf("%.2f\n", back.Data())
	// Output:
	// [-7.00 0.50 30.00]
}

// Saving a model with its config and loading it into a fresh one.
func ExampleSave() {
	b := nn.CPU()
	cfg := nn.MLPConfig{Sizes: []int{4, 8, 2}}
	m, _ := nn.NewMLP(b, rand.New(rand.NewPCG(1, 1)), cfg)
	dir, _ := os.MkdirTemp("", "corl-example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "mlp.safetensors")
	if err := nn.Save(path, m.Params(), "mlp", cfg); err != nil {
		fmt.Println(err)
		return
	}
	c, err := nn.ReadCheckpoint(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	var got nn.MLPConfig
	c.Config(&got)
	fresh, _ := nn.NewMLP(b, rand.New(rand.NewPCG(2, 2)), got)
	fmt.Println(c.Arch(), got.Sizes, c.LoadInto(fresh.Params()))
	// Output:
	// mlp [4 8 2] <nil>
}
