package nn_test

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/corl-go/corl/nn"
)

// TestSequenceModelIsCausal changes the input at one position and checks
// that no earlier output moves, and that the output at that position does.
func TestSequenceModelIsCausal(t *testing.T) {
	b := nn.CPU()
	m, err := nn.NewSequenceModel(b, rand.New(rand.NewPCG(1, 1)), nn.SequenceConfig{In: 5, Dim: 8, Heads: 2, Layers: 2, MaxLen: 16})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(2, 2))
	const batch, steps = 2, 7
	x := make([]float32, batch*steps*5)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	before := m.Forward(nn.From(b, x, batch, steps, 5)).Data()
	const at = 4
	for j := range 5 {
		x[(1*steps+at)*5+j] += 1 // batch element 1, position 4
	}
	after := m.Forward(nn.From(b, x, batch, steps, 5)).Data()
	for bi := range batch {
		for s := range steps {
			moved := false
			for j := range 8 {
				i := (bi*steps+s)*8 + j
				moved = moved || before[i] != after[i]
			}
			want := bi == 1 && s >= at
			if moved != want {
				t.Errorf("batch %d position %d: output moved = %v, want %v", bi, s, moved, want)
			}
		}
	}
}

func TestTwoHotAndValueTransform(t *testing.T) {
	b := nn.CPU64()
	got := nn.TwoHot(b, []float32{2.25, -5, 5, 9, -0.5}, -5, 5).Data()
	want := map[[2]int]float32{{0, 7}: 0.75, {0, 8}: 0.25, {1, 0}: 1, {2, 10}: 1, {3, 10}: 1, {4, 4}: 0.5, {4, 5}: 0.5}
	for i := range 5 {
		for j := range 11 {
			if g := got[i*11+j]; g != want[[2]int{i, j}] {
				t.Errorf("TwoHot row %d support %d: %g, want %g", i, j-5, g, want[[2]int{i, j}])
			}
		}
	}
	// h⁻¹(h(x)) = x, and h(x) = sign(x)(√(|x|+1) − 1) + εx at a few points.
	xs := []float32{-1000, -3.5, -1e-3, 0, 0.5, 7, 250, 1e4}
	x := nn.From(b, xs, len(xs))
	h := nn.ValueTransform(x, 0.001)
	back := nn.InverseValueTransform(h, 0.001).Data()
	for i, v := range xs {
		if math.Abs(float64(back[i]-v)) > 1e-4*math.Max(1, math.Abs(float64(v))) {
			t.Errorf("h⁻¹(h(%g)) = %g", v, back[i])
		}
	}
	if got, want := h.Data()[5], math.Sqrt(8)-1+0.007; math.Abs(float64(got)-want) > 1e-6 {
		t.Errorf("h(7) = %g, want %g", got, want)
	}
}

func TestConfigErrorsNameTheField(t *testing.T) {
	b := nn.CPU()
	r := rand.New(rand.NewPCG(1, 1))
	for _, tc := range []struct {
		name string
		err  func() error
		want string
	}{
		{"mlp sizes", func() error { _, err := nn.NewMLP(b, r, nn.MLPConfig{Sizes: []int{3}}); return err }, "MLPConfig.Sizes"},
		{"mlp zero", func() error { _, err := nn.NewMLP(b, r, nn.MLPConfig{Sizes: []int{3, 0, 1}}); return err }, "MLPConfig.Sizes[1] = 0"},
		{"mlp activation", func() error {
			_, err := nn.NewMLP(b, r, nn.MLPConfig{Sizes: []int{3, 1}, Hidden: "gelu"})
			return err
		}, `MLPConfig.Hidden: nn: unknown activation "gelu"`},
		{"gcnn", func() error { _, err := nn.NewGCNN(b, r, nn.GCNNConfig{VarFeatures: 19, EdgeFeatures: 1}); return err }, "GCNNConfig.ConsFeatures = 0"},
		{"sequence heads", func() error {
			_, err := nn.NewSequenceModel(b, r, nn.SequenceConfig{In: 3, Dim: 10, Heads: 4})
			return err
		}, "SequenceConfig.Dim = 10 is not a multiple of Heads = 4"},
	} {
		err := tc.err()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to say %q", tc.name, err, tc.want)
		}
	}
}

// TestShapeErrorsPanicWithNames checks that a programmer error names the
// operation and the shapes.
func TestShapeErrorsPanicWithNames(t *testing.T) {
	b := nn.CPU()
	defer func() {
		msg, _ := recover().(string)
		if !strings.Contains(msg, "MatMul") || !strings.Contains(msg, "[2 3]") || !strings.Contains(msg, "[4 5]") {
			t.Fatalf("panic %q, want the operation and both shapes", msg)
		}
	}()
	nn.MatMul(nn.New(b, 2, 3), nn.New(b, 4, 5))
}

// TestIndexOutOfRangePanics checks that a bad index is named, with its
// position, before any kernel reads out of bounds.
func TestIndexOutOfRangePanics(t *testing.T) {
	b := nn.CPU()
	for _, idx := range [][]int32{{0, 5, 1}, {2, -1}} {
		func() {
			defer func() {
				msg, _ := recover().(string)
				if !strings.Contains(msg, "Gather: index 1 is") || !strings.Contains(msg, "outside [0,3)") {
					t.Errorf("indices %v: panic %q", idx, msg)
				}
			}()
			nn.Gather(nn.New(b, 3, 2), nn.NewIndex(b, idx))
		}()
	}
	nn.ScatterAdd(nn.New(b, 2, 2), nn.NewIndex(b, []int32{0, 2}), 3) // in range: no panic
}
