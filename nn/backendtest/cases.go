package backendtest

import (
	"math/rand/v2"

	"github.com/corl-go/corl/nn"
)

// op makes the Build of a case without parameters.
func op(f func(b nn.Backend, in []*nn.Tensor) *nn.Tensor) func(nn.Backend, []*nn.Tensor) (func() *nn.Tensor, []*nn.Tensor) {
	return func(b nn.Backend, in []*nn.Tensor) (func() *nn.Tensor, []*nn.Tensor) {
		return func() *nn.Tensor { return f(b, in) }, nil
	}
}

// layer makes the Build of a case whose module is created from a fixed seed.
func layer[M nn.Module](mk func(b nn.Backend, r *rand.Rand) M, f func(m M, b nn.Backend, in []*nn.Tensor) *nn.Tensor) func(nn.Backend, []*nn.Tensor) (func() *nn.Tensor, []*nn.Tensor) {
	return func(b nn.Backend, in []*nn.Tensor) (func() *nn.Tensor, []*nn.Tensor) {
		m := mk(b, rand.New(rand.NewPCG(11, 13)))
		var ps []*nn.Tensor
		for _, p := range m.Params() {
			ps = append(ps, p.Value)
		}
		return func() *nn.Tensor { return f(m, b, in) }, ps
	}
}

func in(shape ...int) Input { return Input{Shape: shape} }

// between draws uniformly from [lo, hi].
func between(lo, hi float64, shape ...int) Input {
	return Input{Shape: shape, Gen: func(r *rand.Rand) float64 { return lo + (hi-lo)*r.Float64() }}
}

// awayFromZero draws from ±[0.2, 1], keeping kinks at 0 out of reach.
func awayFromZero(shape ...int) Input {
	return Input{Shape: shape, Gen: func(r *rand.Rand) float64 {
		v := 0.2 + 0.8*r.Float64()
		if r.IntN(2) == 0 {
			return -v
		}
		return v
	}}
}

func unary(name string, f func(x *nn.Tensor) *nn.Tensor, x Input) Case {
	return Case{Name: name, Inputs: []Input{x}, Build: op(func(_ nn.Backend, in []*nn.Tensor) *nn.Tensor { return f(in[0]) })}
}

func binaryCase(name string, f func(a, b *nn.Tensor) *nn.Tensor, a, b Input) Case {
	return Case{Name: name, Inputs: []Input{a, b}, Build: op(func(_ nn.Backend, in []*nn.Tensor) *nn.Tensor { return f(in[0], in[1]) })}
}

func mask(b nn.Backend, rows, cols int, masked ...[2]int) *nn.Tensor {
	m := nn.Full(b, 1, rows, cols).Data()
	for _, rc := range masked {
		m[rc[0]*cols+rc[1]] = 0
	}
	return nn.From(b, m, rows, cols)
}

// smallGraph is a bipartite graph of 5 variables and 3 constraints.
func smallGraph(b nn.Backend, vars, cons, edges *nn.Tensor) *nn.Bipartite {
	return &nn.Bipartite{
		Vars: vars, Cons: cons, Edges: edges,
		ConsIdx: nn.NewIndex(b, []int32{0, 0, 1, 1, 1, 2, 2}),
		VarIdx:  nn.NewIndex(b, []int32{0, 1, 1, 2, 3, 3, 4}),
	}
}

// Cases returns every case of the suite.
func Cases() []Case {
	cs := []Case{
		binaryCase("MatMul", nn.MatMul, in(3, 4), in(4, 5)),
		binaryCase("MatMulTransA", func(a, b *nn.Tensor) *nn.Tensor { return nn.MatMulT(a, b, true, false) }, in(4, 3), in(4, 5)),
		binaryCase("MatMulTransB", func(a, b *nn.Tensor) *nn.Tensor { return nn.MatMulT(a, b, false, true) }, in(3, 4), in(5, 4)),
		binaryCase("MatMulTransAB", func(a, b *nn.Tensor) *nn.Tensor { return nn.MatMulT(a, b, true, true) }, in(4, 3), in(5, 4)),
		binaryCase("BatchMatMul", func(a, b *nn.Tensor) *nn.Tensor { return nn.BatchMatMul(a, b, false, false) }, in(2, 3, 4), in(2, 4, 5)),
		binaryCase("BatchMatMulTransB", func(a, b *nn.Tensor) *nn.Tensor { return nn.BatchMatMul(a, b, false, true) }, in(2, 3, 4), in(2, 5, 4)),
		binaryCase("BatchMatMulTransA", func(a, b *nn.Tensor) *nn.Tensor { return nn.BatchMatMul(a, b, true, false) }, in(2, 4, 3), in(2, 4, 5)),
		// Larger than one 64×64 tile of the CUDA kernel, K not a multiple of its 16.
		binaryCase("MatMulTiles", nn.MatMul, in(70, 33), in(33, 130)),
		binaryCase("MatMulTilesTransAB", func(a, b *nn.Tensor) *nn.Tensor { return nn.MatMulT(a, b, true, true) }, in(33, 70), in(130, 33)),
		binaryCase("MatMulLongK", func(a, b *nn.Tensor) *nn.Tensor { return nn.MatMulT(a, b, true, false) }, in(2100, 3), in(2100, 4)),
		binaryCase("Add", nn.Add, in(3, 4), in(3, 4)),
		unary("AddSelf", func(x *nn.Tensor) *nn.Tensor { return nn.Add(x, x) }, in(3, 4)),
		unary("SubSelfTimesTwo", func(x *nn.Tensor) *nn.Tensor { return nn.Sub(nn.Add(x, x), x) }, in(3, 4)),
		unary("AddChain", func(x *nn.Tensor) *nn.Tensor { y := nn.Tanh(x); return nn.Mul(nn.Add(y, x), y) }, in(3, 4)),
		binaryCase("AddRow", nn.Add, in(3, 4), in(4)),
		binaryCase("AddColumn", nn.Add, in(3, 4), in(3, 1)),
		binaryCase("AddRowTall", nn.Add, in(300, 4), in(4)),
		unary("SumLong", nn.Sum, in(3, 200)),
		unary("SumAxisLong", func(x *nn.Tensor) *nn.Tensor { return nn.SumAxis(x, 0) }, in(260, 3)),
		binaryCase("AddOuter", nn.Add, in(3, 1), in(1, 4)),
		binaryCase("Sub", nn.Sub, in(2, 3, 4), in(3, 1)),
		binaryCase("SubLeft", nn.Sub, in(4), in(2, 3, 4)),
		binaryCase("Mul", nn.Mul, in(2, 3, 4), in(2, 3, 4)),
		binaryCase("MulBroadcast", nn.Mul, in(2, 3, 4), in(2, 1, 4)),
		binaryCase("MulScalar", nn.Mul, in(3, 4), in(1)),
		binaryCase("Div", nn.Div, in(3, 4), between(0.5, 2, 3, 4)),
		binaryCase("DivBroadcast", nn.Div, in(3, 4), between(0.5, 2, 4)),
		unary("ReLU", nn.ReLU, awayFromZero(4, 5)),
		unary("Tanh", nn.Tanh, between(-3, 3, 4, 5)),
		unary("Sigmoid", nn.Sigmoid, between(-6, 6, 4, 5)),
		unary("Exp", nn.Exp, between(-2, 2, 4, 5)),
		unary("Log", nn.Log, between(0.1, 3, 4, 5)),
		unary("Log1p", nn.Log1p, between(-0.5, 3, 4, 5)),
		unary("Square", nn.Square, in(4, 5)),
		unary("Sqrt", nn.Sqrt, between(0.1, 3, 4, 5)),
		unary("Abs", nn.Abs, awayFromZero(4, 5)),
		unary("Affine", func(x *nn.Tensor) *nn.Tensor { return nn.Affine(x, -1.5, 0.25) }, in(4, 5)),
		unary("Clamp", func(x *nn.Tensor) *nn.Tensor { return nn.Clamp(x, -0.45, 0.55) }, in(4, 5)),
		unary("HuberElem", func(x *nn.Tensor) *nn.Tensor { return nn.HuberElem(x, 0.5) }, between(-2, 2, 4, 5)),
		unary("ValueTransform", func(x *nn.Tensor) *nn.Tensor { return nn.ValueTransform(x, 0.001) }, between(-50, 50, 4, 5)),
		unary("InverseValueTransform", func(x *nn.Tensor) *nn.Tensor { return nn.InverseValueTransform(x, 0.001) }, between(-6, 6, 4, 5)),
		unary("Sum", nn.Sum, in(3, 4)),
		unary("Mean", nn.Mean, in(2, 3, 4)),
		unary("SumAxis0", func(x *nn.Tensor) *nn.Tensor { return nn.SumAxis(x, 0) }, in(2, 3, 4)),
		unary("SumAxis1", func(x *nn.Tensor) *nn.Tensor { return nn.SumAxis(x, 1) }, in(2, 3, 4)),
		unary("SumAxisLast", func(x *nn.Tensor) *nn.Tensor { return nn.SumAxis(x, -1) }, in(2, 3, 4)),
		unary("MeanAxis", func(x *nn.Tensor) *nn.Tensor { return nn.MeanAxis(x, 1) }, in(3, 5)),
		unary("Softmax", func(x *nn.Tensor) *nn.Tensor { return nn.Softmax(x, nil) }, between(-3, 3, 3, 5)),
		unary("LogSoftmax", func(x *nn.Tensor) *nn.Tensor { return nn.LogSoftmax(x, nil) }, between(-3, 3, 3, 5)),
		{Name: "SoftmaxMasked", Inputs: []Input{between(-3, 3, 3, 5)}, Build: op(func(b nn.Backend, in []*nn.Tensor) *nn.Tensor {
			return nn.Softmax(in[0], mask(b, 3, 5, [2]int{0, 1}, [2]int{1, 0}, [2]int{1, 4}, [2]int{2, 2}))
		})},
		{Name: "LogSoftmaxMaskedRowAllMasked", Inputs: []Input{between(-3, 3, 3, 4)}, Build: op(func(b nn.Backend, in []*nn.Tensor) *nn.Tensor {
			return nn.LogSoftmax(in[0], mask(b, 3, 4, [2]int{0, 3}, [2]int{1, 0}, [2]int{1, 1}, [2]int{1, 2}, [2]int{1, 3}))
		})},
		{Name: "SoftmaxBroadcastMask", Inputs: []Input{between(-3, 3, 2, 3, 4)}, Build: op(func(b nn.Backend, in []*nn.Tensor) *nn.Tensor {
			return nn.Softmax(in[0], mask(b, 1, 4, [2]int{0, 2}))
		})},
		unary("SoftmaxWide", func(x *nn.Tensor) *nn.Tensor { return nn.LogSoftmax(x, nil) }, between(-3, 3, 2, 300)),
		unary("NormalizeWide", func(x *nn.Tensor) *nn.Tensor { return nn.Normalize(x, 1e-5) }, in(2, 300)),
		unary("Normalize", func(x *nn.Tensor) *nn.Tensor { return nn.Normalize(x, 1e-5) }, in(4, 6)),
		{Name: "Gather", Inputs: []Input{in(4, 3)}, Build: op(func(b nn.Backend, in []*nn.Tensor) *nn.Tensor {
			return nn.Gather(in[0], nn.NewIndex(b, []int32{2, 0, 2, 3, 2}))
		})},
		{Name: "ScatterAdd", Inputs: []Input{in(6, 3)}, Build: op(func(b nn.Backend, in []*nn.Tensor) *nn.Tensor {
			return nn.ScatterAdd(in[0], nn.NewIndex(b, []int32{1, 3, 1, 0, 3, 3}), 5)
		})},
		{Name: "Concat0", Inputs: []Input{in(2, 3), in(1, 3), in(3, 3)}, Build: op(func(_ nn.Backend, in []*nn.Tensor) *nn.Tensor {
			return nn.Concat(0, in...)
		})},
		{Name: "ConcatLast", Inputs: []Input{in(2, 3, 2), in(2, 3, 1), in(2, 3, 4)}, Build: op(func(_ nn.Backend, in []*nn.Tensor) *nn.Tensor {
			return nn.Concat(-1, in...)
		})},
		{Name: "ConcatMiddle", Inputs: []Input{in(2, 1, 3), in(2, 2, 3)}, Build: op(func(_ nn.Backend, in []*nn.Tensor) *nn.Tensor {
			return nn.Concat(1, in...)
		})},
		unary("Slice", func(x *nn.Tensor) *nn.Tensor { return nn.Slice(x, 1, 1, 3) }, in(2, 4, 3)),
		unary("SliceLast", func(x *nn.Tensor) *nn.Tensor { return nn.Slice(x, -1, 2, 5) }, in(3, 6)),
		unary("Transpose", nn.Transpose, in(3, 5)),
		unary("TransposeTiles", func(x *nn.Tensor) *nn.Tensor { return nn.Tanh(nn.Transpose(x)) }, in(70, 45)),
		unary("Reshape", func(x *nn.Tensor) *nn.Tensor { return nn.Tanh(nn.Reshape(x, 3, -1)) }, in(2, 6)),
		binaryCase("MSE", nn.MSE, in(4, 3), in(4, 3)),
		binaryCase("Huber", func(a, b *nn.Tensor) *nn.Tensor { return nn.Huber(a, b, 1) }, between(-3, 3, 4, 3), in(4, 3)),
		binaryCase("MSLE", nn.MSLE, between(0, 5, 4, 3), between(0, 5, 4, 3)),
		{Name: "CrossEntropy", Inputs: []Input{between(-3, 3, 3, 4), between(0, 1, 3, 4)}, Build: op(func(b nn.Backend, in []*nn.Tensor) *nn.Tensor {
			return nn.CrossEntropy(in[0], nn.Softmax(in[1], nil), nil)
		})},
		{Name: "CrossEntropyLabelsMasked", Inputs: []Input{between(-3, 3, 3, 4)}, Build: op(func(b nn.Backend, in []*nn.Tensor) *nn.Tensor {
			return nn.CrossEntropyLabels(in[0], []int{2, 0, 3}, mask(b, 3, 4, [2]int{0, 0}, [2]int{1, 1}, [2]int{2, 1}))
		})},
		{Name: "TwoHotSupport", Inputs: []Input{between(-2, 2, 3, 11)}, Build: op(func(b nn.Backend, in []*nn.Tensor) *nn.Tensor {
			target := nn.TwoHot(b, []float32{-3.7, 0.25, 4.5}, -5, 5)
			return nn.Concat(-1, nn.Reshape(nn.CrossEntropy(in[0], target, nil), 1, 1), nn.Reshape(nn.SupportExpectation(in[0], -5, 5), 1, 3))
		})},
		{Name: "Linear", Inputs: []Input{in(2, 3, 4)}, Build: layer(
			func(b nn.Backend, r *rand.Rand) *nn.Linear { return nn.NewLinear(b, r, 4, 5, true) },
			func(m *nn.Linear, _ nn.Backend, in []*nn.Tensor) *nn.Tensor { return m.Forward(in[0]) })},
		{Name: "LinearNoBias", Inputs: []Input{in(3, 4)}, Build: layer(
			func(b nn.Backend, r *rand.Rand) *nn.Linear { return nn.NewLinear(b, r, 4, 2, false) },
			func(m *nn.Linear, _ nn.Backend, in []*nn.Tensor) *nn.Tensor { return m.Forward(in[0]) })},
		{Name: "MLP", Inputs: []Input{in(5, 3)}, Build: layer(
			func(b nn.Backend, r *rand.Rand) *nn.MLP {
				m, _ := nn.NewMLP(b, r, nn.MLPConfig{Sizes: []int{3, 8, 8, 2}, Hidden: nn.ActTanh, Output: nn.ActSigmoid})
				return m
			},
			func(m *nn.MLP, _ nn.Backend, in []*nn.Tensor) *nn.Tensor { return m.Forward(in[0]) })},
		{Name: "LayerNorm", Inputs: []Input{in(4, 6)}, Build: layer(
			func(b nn.Backend, r *rand.Rand) *nn.LayerNorm {
				l := nn.NewLayerNorm(b, 6)
				l.Weight.Set([]float32{0.5, 1, 1.5, -1, 2, 0.25})
				l.Bias.Set([]float32{0.1, -0.2, 0.3, 0, 0.5, -1})
				return l
			},
			func(m *nn.LayerNorm, _ nn.Backend, in []*nn.Tensor) *nn.Tensor { return m.Forward(in[0]) })},
		{Name: "Embedding", Build: layer(
			func(b nn.Backend, r *rand.Rand) *nn.Embedding { return nn.NewEmbedding(b, r, 6, 3) },
			func(m *nn.Embedding, b nn.Backend, _ []*nn.Tensor) *nn.Tensor {
				return nn.Tanh(m.Forward(nn.NewIndex(b, []int32{5, 0, 5, 2})))
			})},
		{Name: "BipartiteConv", Inputs: []Input{in(5, 4), in(3, 4), in(7, 2)}, Tol: 3, Build: layer(
			func(b nn.Backend, r *rand.Rand) *nn.BipartiteConv { return nn.NewBipartiteConv(b, r, 4, 2) },
			func(m *nn.BipartiteConv, b nn.Backend, in []*nn.Tensor) *nn.Tensor {
				g := smallGraph(b, in[0], in[1], in[2])
				return m.Forward(g.Vars, g.Cons, g.Edges, g.VarIdx, g.ConsIdx)
			})},
		{Name: "GCNN", Inputs: []Input{in(5, 4), in(3, 3), in(7, 1)}, Tol: 10, Build: layer(
			func(b nn.Backend, r *rand.Rand) *nn.GCNN {
				g, _ := nn.NewGCNN(b, r, nn.GCNNConfig{VarFeatures: 4, ConsFeatures: 3, EdgeFeatures: 1, Dim: 6})
				return g
			},
			func(m *nn.GCNN, b nn.Backend, in []*nn.Tensor) *nn.Tensor {
				return m.Forward(smallGraph(b, in[0], in[1], in[2]))
			})},
		{Name: "CausalSelfAttention", Inputs: []Input{in(2, 4, 6)}, Tol: 3, Build: layer(
			func(b nn.Backend, r *rand.Rand) *nn.CausalSelfAttention { return nn.NewCausalSelfAttention(b, r, 6, 2) },
			func(m *nn.CausalSelfAttention, _ nn.Backend, in []*nn.Tensor) *nn.Tensor { return m.Forward(in[0]) })},
		{Name: "SequenceModel", Inputs: []Input{in(2, 3, 3)}, Tol: 10, Build: layer(
			func(b nn.Backend, r *rand.Rand) *nn.SequenceModel {
				m, _ := nn.NewSequenceModel(b, r, nn.SequenceConfig{In: 3, Dim: 4, Heads: 2, Layers: 1, MaxLen: 8})
				return m
			},
			func(m *nn.SequenceModel, _ nn.Backend, in []*nn.Tensor) *nn.Tensor { return m.Forward(in[0]) })},
	}
	return cs
}
