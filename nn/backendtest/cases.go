package backendtest

import (
	"math"
	"math/rand/v2"

	"github.com/corl-go/corl/nn"
)

// op makes the Build of a case without parameters.
func op(f func(b nn.Backend, in []*nn.Tensor) *nn.Tensor) func(nn.Backend, []*nn.Tensor) (func() *nn.Tensor, []nn.Param) {
	return func(b nn.Backend, in []*nn.Tensor) (func() *nn.Tensor, []nn.Param) {
		return func() *nn.Tensor { return f(b, in) }, nil
	}
}

// layer makes the Build of a case whose module is created from a fixed seed.
func layer[M nn.Module](mk func(b nn.Backend, r *rand.Rand) M, f func(m M, b nn.Backend, in []*nn.Tensor) *nn.Tensor) func(nn.Backend, []*nn.Tensor) (func() *nn.Tensor, []nn.Param) {
	return func(b nn.Backend, in []*nn.Tensor) (func() *nn.Tensor, []nn.Param) {
		m := mk(b, rand.New(rand.NewPCG(11, 13)))
		return func() *nn.Tensor { return f(m, b, in) }, m.Params()
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

// unary is a case of one input whose oracle maps its values.
func unary(name string, f func(x *nn.Tensor) *nn.Tensor, x Input, want func(x []float64) []float64) Case {
	return Case{
		Name: name, Inputs: []Input{x},
		Build: op(func(_ nn.Backend, in []*nn.Tensor) *nn.Tensor { return f(in[0]) }),
		Want:  func(in [][]float64, _ map[string][]float64) []float64 { return want(in[0]) },
	}
}

// binaryCase is a case of two inputs whose oracle maps their values.
func binaryCase(name string, f func(a, b *nn.Tensor) *nn.Tensor, a, b Input, want func(x, y []float64) []float64) Case {
	return Case{
		Name: name, Inputs: []Input{a, b},
		Build: op(func(_ nn.Backend, in []*nn.Tensor) *nn.Tensor { return f(in[0], in[1]) }),
		Want:  func(in [][]float64, _ map[string][]float64) []float64 { return want(in[0], in[1]) },
	}
}

// elementCase is a broadcasting element-wise operation g of two inputs.
func elementCase(name string, f func(a, b *nn.Tensor) *nn.Tensor, a, b Input, g func(x, y float64) float64) Case {
	return binaryCase(name, f, a, b, elementwise(a.Shape, b.Shape, g))
}

// scalar wraps a loss value as an output of one element.
func scalar(f func(x, y []float64) float64) func(x, y []float64) []float64 {
	return func(x, y []float64) []float64 { return []float64{f(x, y)} }
}

// maskValues is a rows×cols mask of ones with zeros at the given entries.
func maskValues(rows, cols int, masked ...[2]int) []float32 {
	m := make([]float32, rows*cols)
	for i := range m {
		m[i] = 1
	}
	for _, rc := range masked {
		m[rc[0]*cols+rc[1]] = 0
	}
	return m
}

func mask(b nn.Backend, rows, cols int, masked ...[2]int) *nn.Tensor {
	return nn.From(b, maskValues(rows, cols, masked...), rows, cols)
}

func float64s(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

func int32s(v []int) []int32 {
	out := make([]int32, len(v))
	for i, x := range v {
		out[i] = int32(x)
	}
	return out
}

// The edges of smallGraph: edge k joins constraint graphCons[k] and
// variable graphVars[k].
var (
	graphCons = []int{0, 0, 1, 1, 1, 2, 2}
	graphVars = []int{0, 1, 1, 2, 3, 3, 4}
)

// The edges of BipartiteConvIsolated, from source isolatedSrc[k] to
// target isolatedDst[k]: 4 sources, 5 targets of which 2 and 4 have none.
var (
	isolatedSrc = []int{0, 1, 1, 3, 1, 0}
	isolatedDst = []int{0, 0, 3, 3, 3, 1}
)

// smallGraph is a bipartite graph of 5 variables and 3 constraints.
// fixedEdges are the features of smallGraph's 7 edges, 2 each, where
// they are data rather than an input.
var fixedEdges = []float32{0.5, -1, 1.5, 0.25, -0.75, 2, 1, 1, -0.5, 0.3, 0.8, -1.2, 0.1, 0.9}

func smallGraph(b nn.Backend, vars, cons, edges *nn.Tensor) *nn.Bipartite {
	return &nn.Bipartite{
		Vars: vars, Cons: cons, Edges: edges,
		ConsIdx: nn.NewIndex(b, int32s(graphCons)),
		VarIdx:  nn.NewIndex(b, int32s(graphVars)),
	}
}

// twoHotTargets are TwoHotSupport's values and, worked out by hand, their
// two-hot encodings over the support −5..5 (the float32 rounding of the
// values moves the weights by under 1e-7).
var (
	twoHotValues  = []float32{-3.7, 0.25, 4.5}
	twoHotEncoded = [][11]float64{
		{1: 0.7, 2: 0.3},   // −3.7 = 0.7·(−4) + 0.3·(−3)
		{5: 0.75, 6: 0.25}, // 0.25 = 0.75·0 + 0.25·1
		{9: 0.5, 10: 0.5},  // 4.5 = 0.5·4 + 0.5·5
	}
)

// crossEntropy is −(1/rows) Σ target·logsoftmax(logits) over rows of cols.
func crossEntropy(logits, target, mask []float64, cols int) float64 {
	ls := softmaxRows(logits, cols, mask, true)
	var s float64
	for i := range ls {
		s += target[i] * ls[i]
	}
	return -s / float64(len(logits)/cols)
}

// Cases returns every case of the suite.
func Cases() []Case {
	cs := []Case{
		binaryCase("MatMul", nn.MatMul, in(3, 4), in(4, 5), matmul(1, 3, 4, 5, false, false)),
		binaryCase("MatMulTransA", func(a, b *nn.Tensor) *nn.Tensor { return nn.MatMulT(a, b, true, false) }, in(4, 3), in(4, 5), matmul(1, 3, 4, 5, true, false)),
		binaryCase("MatMulTransB", func(a, b *nn.Tensor) *nn.Tensor { return nn.MatMulT(a, b, false, true) }, in(3, 4), in(5, 4), matmul(1, 3, 4, 5, false, true)),
		binaryCase("MatMulTransAB", func(a, b *nn.Tensor) *nn.Tensor { return nn.MatMulT(a, b, true, true) }, in(4, 3), in(5, 4), matmul(1, 3, 4, 5, true, true)),
		binaryCase("BatchMatMul", func(a, b *nn.Tensor) *nn.Tensor { return nn.BatchMatMul(a, b, false, false) }, in(2, 3, 4), in(2, 4, 5), matmul(2, 3, 4, 5, false, false)),
		binaryCase("BatchMatMulTransB", func(a, b *nn.Tensor) *nn.Tensor { return nn.BatchMatMul(a, b, false, true) }, in(2, 3, 4), in(2, 5, 4), matmul(2, 3, 4, 5, false, true)),
		binaryCase("BatchMatMulTransA", func(a, b *nn.Tensor) *nn.Tensor { return nn.BatchMatMul(a, b, true, false) }, in(2, 4, 3), in(2, 4, 5), matmul(2, 3, 4, 5, true, false)),
		// Larger than one 64×64 tile of the CUDA kernel, K not a multiple of its 16.
		binaryCase("MatMulTiles", nn.MatMul, in(70, 33), in(33, 130), matmul(1, 70, 33, 130, false, false)),
		binaryCase("MatMulTilesTransAB", func(a, b *nn.Tensor) *nn.Tensor { return nn.MatMulT(a, b, true, true) }, in(33, 70), in(130, 33), matmul(1, 70, 33, 130, true, true)),
		binaryCase("MatMulLongK", func(a, b *nn.Tensor) *nn.Tensor { return nn.MatMulT(a, b, true, false) }, in(2100, 3), in(2100, 4), matmul(1, 3, 2100, 4, true, false)),
		elementCase("Add", nn.Add, in(3, 4), in(3, 4), func(x, y float64) float64 { return x + y }),
		unary("AddSelf", func(x *nn.Tensor) *nn.Tensor { return nn.Add(x, x) }, in(3, 4), each(func(x float64) float64 { return 2 * x })),
		unary("SubSelfTimesTwo", func(x *nn.Tensor) *nn.Tensor { return nn.Sub(nn.Add(x, x), x) }, in(3, 4), each(ident)),
		unary("AddChain", func(x *nn.Tensor) *nn.Tensor { y := nn.Tanh(x); return nn.Mul(nn.Add(y, x), y) }, in(3, 4),
			each(func(x float64) float64 { return (math.Tanh(x) + x) * math.Tanh(x) })),
		elementCase("AddRow", nn.Add, in(3, 4), in(4), func(x, y float64) float64 { return x + y }),
		elementCase("AddColumn", nn.Add, in(3, 4), in(3, 1), func(x, y float64) float64 { return x + y }),
		elementCase("AddRowTall", nn.Add, in(300, 4), in(4), func(x, y float64) float64 { return x + y }),
		unary("SumLong", nn.Sum, in(3, 200), func(x []float64) []float64 { return []float64{sum(x)} }),
		unary("SumAxisLong", func(x *nn.Tensor) *nn.Tensor { return nn.SumAxis(x, 0) }, in(260, 3), func(x []float64) []float64 { return sumAxis(x, []int{260, 3}, 0) }),
		elementCase("AddOuter", nn.Add, in(3, 1), in(1, 4), func(x, y float64) float64 { return x + y }),
		elementCase("Sub", nn.Sub, in(2, 3, 4), in(3, 1), func(x, y float64) float64 { return x - y }),
		elementCase("SubLeft", nn.Sub, in(4), in(2, 3, 4), func(x, y float64) float64 { return x - y }),
		elementCase("Mul", nn.Mul, in(2, 3, 4), in(2, 3, 4), func(x, y float64) float64 { return x * y }),
		elementCase("MulBroadcast", nn.Mul, in(2, 3, 4), in(2, 1, 4), func(x, y float64) float64 { return x * y }),
		elementCase("MulScalar", nn.Mul, in(3, 4), in(1), func(x, y float64) float64 { return x * y }),
		elementCase("Div", nn.Div, in(3, 4), between(0.5, 2, 3, 4), func(x, y float64) float64 { return x / y }),
		elementCase("DivBroadcast", nn.Div, in(3, 4), between(0.5, 2, 4), func(x, y float64) float64 { return x / y }),
		unary("ReLU", nn.ReLU, awayFromZero(4, 5), each(relu)),
		unary("Tanh", nn.Tanh, between(-3, 3, 4, 5), each(math.Tanh)),
		unary("Sigmoid", nn.Sigmoid, between(-6, 6, 4, 5), each(sigmoid)),
		unary("Exp", nn.Exp, between(-2, 2, 4, 5), each(math.Exp)),
		unary("Log", nn.Log, between(0.1, 3, 4, 5), each(math.Log)),
		unary("Log1p", nn.Log1p, between(-0.5, 3, 4, 5), each(func(x float64) float64 { return math.Log(1 + x) })),
		unary("Square", nn.Square, in(4, 5), each(func(x float64) float64 { return x * x })),
		unary("Sqrt", nn.Sqrt, between(0.1, 3, 4, 5), each(math.Sqrt)),
		unary("Abs", nn.Abs, awayFromZero(4, 5), each(math.Abs)),
		unary("Affine", func(x *nn.Tensor) *nn.Tensor { return nn.Affine(x, -1.5, 0.25) }, in(4, 5), each(func(x float64) float64 { return -1.5*x + 0.25 })),
		unary("Clamp", func(x *nn.Tensor) *nn.Tensor { return nn.Clamp(x, -0.45, 0.55) }, in(4, 5),
			each(func(x float64) float64 { return math.Min(math.Max(x, f32(-0.45)), f32(0.55)) })),
		unary("HuberElem", func(x *nn.Tensor) *nn.Tensor { return nn.HuberElem(x, 0.5) }, between(-2, 2, 4, 5), each(func(x float64) float64 { return huber(x, 0.5) })),
		unary("ValueTransform", func(x *nn.Tensor) *nn.Tensor { return nn.ValueTransform(x, 0.001) }, between(-50, 50, 4, 5),
			each(func(x float64) float64 { return valueTransform(x, f32(0.001)) })),
		unary("InverseValueTransform", func(x *nn.Tensor) *nn.Tensor { return nn.InverseValueTransform(x, 0.001) }, between(-6, 6, 4, 5),
			each(func(x float64) float64 { return inverseValueTransform(x, f32(0.001)) })),
		unary("Sum", nn.Sum, in(3, 4), func(x []float64) []float64 { return []float64{sum(x)} }),
		unary("Mean", nn.Mean, in(2, 3, 4), func(x []float64) []float64 { return []float64{mean(x)} }),
		unary("SumAxis0", func(x *nn.Tensor) *nn.Tensor { return nn.SumAxis(x, 0) }, in(2, 3, 4), func(x []float64) []float64 { return sumAxis(x, []int{2, 3, 4}, 0) }),
		unary("SumAxis1", func(x *nn.Tensor) *nn.Tensor { return nn.SumAxis(x, 1) }, in(2, 3, 4), func(x []float64) []float64 { return sumAxis(x, []int{2, 3, 4}, 1) }),
		unary("SumAxisLast", func(x *nn.Tensor) *nn.Tensor { return nn.SumAxis(x, -1) }, in(2, 3, 4), func(x []float64) []float64 { return sumAxis(x, []int{2, 3, 4}, 2) }),
		unary("MeanAxis", func(x *nn.Tensor) *nn.Tensor { return nn.MeanAxis(x, 1) }, in(3, 5),
			func(x []float64) []float64 {
				return each(func(s float64) float64 { return s / 5 })(sumAxis(x, []int{3, 5}, 1))
			}),
		unary("Softmax", func(x *nn.Tensor) *nn.Tensor { return nn.Softmax(x, nil) }, between(-3, 3, 3, 5), func(x []float64) []float64 { return softmaxRows(x, 5, nil, false) }),
		unary("LogSoftmax", func(x *nn.Tensor) *nn.Tensor { return nn.LogSoftmax(x, nil) }, between(-3, 3, 3, 5), func(x []float64) []float64 { return softmaxRows(x, 5, nil, true) }),
		unary("SoftmaxMasked", func(x *nn.Tensor) *nn.Tensor {
			return nn.Softmax(x, mask(x.Backend(), 3, 5, [2]int{0, 1}, [2]int{1, 0}, [2]int{1, 4}, [2]int{2, 2}))
		}, between(-3, 3, 3, 5), func(x []float64) []float64 {
			return softmaxRows(x, 5, float64s(maskValues(3, 5, [2]int{0, 1}, [2]int{1, 0}, [2]int{1, 4}, [2]int{2, 2})), false)
		}),
		unary("LogSoftmaxMaskedRowAllMasked", func(x *nn.Tensor) *nn.Tensor {
			return nn.LogSoftmax(x, mask(x.Backend(), 3, 4, [2]int{0, 3}, [2]int{1, 0}, [2]int{1, 1}, [2]int{1, 2}, [2]int{1, 3}))
		}, between(-3, 3, 3, 4), func(x []float64) []float64 {
			return softmaxRows(x, 4, float64s(maskValues(3, 4, [2]int{0, 3}, [2]int{1, 0}, [2]int{1, 1}, [2]int{1, 2}, [2]int{1, 3})), true)
		}),
		unary("SoftmaxBroadcastMask", func(x *nn.Tensor) *nn.Tensor {
			return nn.Softmax(x, mask(x.Backend(), 1, 4, [2]int{0, 2}))
		}, between(-3, 3, 2, 3, 4), func(x []float64) []float64 {
			return softmaxRows(x, 4, float64s(maskValues(1, 4, [2]int{0, 2})), false)
		}),
		unary("SoftmaxWide", func(x *nn.Tensor) *nn.Tensor { return nn.LogSoftmax(x, nil) }, between(-3, 3, 2, 300), func(x []float64) []float64 { return softmaxRows(x, 300, nil, true) }),
		unary("NormalizeWide", func(x *nn.Tensor) *nn.Tensor { return nn.Normalize(x, 1e-5) }, in(2, 300), func(x []float64) []float64 { return normalizeRows(x, 300, f32(1e-5)) }),
		unary("Normalize", func(x *nn.Tensor) *nn.Tensor { return nn.Normalize(x, 1e-5) }, in(4, 6), func(x []float64) []float64 { return normalizeRows(x, 6, f32(1e-5)) }),
		unary("Gather", func(x *nn.Tensor) *nn.Tensor {
			return nn.Gather(x, nn.NewIndex(x.Backend(), []int32{2, 0, 2, 3, 2}))
		}, in(4, 3), func(x []float64) []float64 { return gatherRows(x, 3, []int{2, 0, 2, 3, 2}) }),
		unary("ScatterAdd", func(x *nn.Tensor) *nn.Tensor {
			return nn.ScatterAdd(x, nn.NewIndex(x.Backend(), []int32{1, 3, 1, 0, 3, 3}), 5)
		}, in(6, 3), func(x []float64) []float64 { return scatterRows(x, 3, []int{1, 3, 1, 0, 3, 3}, 5) }),
		concatCase("Concat0", 0, []int{2, 3}, []int{1, 3}, []int{3, 3}),
		concatCase("ConcatLast", 2, []int{2, 3, 2}, []int{2, 3, 1}, []int{2, 3, 4}),
		concatCase("ConcatMiddle", 1, []int{2, 1, 3}, []int{2, 2, 3}),
		unary("Slice", func(x *nn.Tensor) *nn.Tensor { return nn.Slice(x, 1, 1, 3) }, in(2, 4, 3), func(x []float64) []float64 { return sliceAxis(x, []int{2, 4, 3}, 1, 1, 3) }),
		unary("SliceLast", func(x *nn.Tensor) *nn.Tensor { return nn.Slice(x, -1, 2, 5) }, in(3, 6), func(x []float64) []float64 { return sliceAxis(x, []int{3, 6}, 1, 2, 5) }),
		unary("Transpose", nn.Transpose, in(3, 5), func(x []float64) []float64 { return transpose(x, 3, 5) }),
		unary("TransposeTiles", func(x *nn.Tensor) *nn.Tensor { return nn.Tanh(nn.Transpose(x)) }, in(70, 45), func(x []float64) []float64 { return each(math.Tanh)(transpose(x, 70, 45)) }),
		unary("Reshape", func(x *nn.Tensor) *nn.Tensor { return nn.Tanh(nn.Reshape(x, 3, -1)) }, in(2, 6), each(math.Tanh)),
		binaryCase("MSE", nn.MSE, in(4, 3), in(4, 3), scalar(func(x, y []float64) float64 {
			return mean(elementwise([]int{12}, []int{12}, func(a, b float64) float64 { return (a - b) * (a - b) })(x, y))
		})),
		binaryCase("Huber", func(a, b *nn.Tensor) *nn.Tensor { return nn.Huber(a, b, 1) }, between(-3, 3, 4, 3), in(4, 3), scalar(func(x, y []float64) float64 {
			return mean(elementwise([]int{12}, []int{12}, func(a, b float64) float64 { return huber(a-b, 1) })(x, y))
		})),
		binaryCase("MSLE", nn.MSLE, between(0, 5, 4, 3), between(0, 5, 4, 3), scalar(func(x, y []float64) float64 {
			return mean(elementwise([]int{12}, []int{12}, func(a, b float64) float64 {
				d := math.Log(1+a) - math.Log(1+b)
				return d * d
			})(x, y))
		})),
		binaryCase("CrossEntropy", func(a, b *nn.Tensor) *nn.Tensor {
			return nn.CrossEntropy(a, nn.Softmax(b, nil), nil)
		}, between(-3, 3, 3, 4), between(0, 1, 3, 4), scalar(func(x, y []float64) float64 {
			return crossEntropy(x, softmaxRows(y, 4, nil, false), nil, 4)
		})),
		unary("CrossEntropyLabelsMasked", func(x *nn.Tensor) *nn.Tensor {
			return nn.CrossEntropyLabels(x, []int{2, 0, 3}, mask(x.Backend(), 3, 4, [2]int{0, 0}, [2]int{1, 1}, [2]int{2, 1}))
		}, between(-3, 3, 3, 4), func(x []float64) []float64 {
			oneHot := []float64{0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1}
			return []float64{crossEntropy(x, oneHot, float64s(maskValues(3, 4, [2]int{0, 0}, [2]int{1, 1}, [2]int{2, 1})), 4)}
		}),
		unary("TwoHotSupport", func(x *nn.Tensor) *nn.Tensor {
			target := nn.TwoHot(x.Backend(), twoHotValues, -5, 5)
			return nn.Concat(-1, nn.Reshape(nn.CrossEntropy(x, target, nil), 1, 1), nn.Reshape(nn.SupportExpectation(x, -5, 5), 1, 3))
		}, between(-2, 2, 3, 11), func(x []float64) []float64 {
			var target []float64
			for _, row := range twoHotEncoded {
				target = append(target, row[:]...)
			}
			out := []float64{crossEntropy(x, target, nil, 11)}
			p := softmaxRows(x, 11, nil, false)
			for r := range 3 {
				var e float64
				for j := range 11 {
					e += p[r*11+j] * float64(j-5)
				}
				out = append(out, e)
			}
			return out
		}),
		{Name: "Linear", Inputs: []Input{in(2, 3, 4)}, Build: layer(
			func(b nn.Backend, r *rand.Rand) *nn.Linear { return nn.NewLinear(b, r, 4, 5, true) },
			func(m *nn.Linear, _ nn.Backend, in []*nn.Tensor) *nn.Tensor { return m.Forward(in[0]) }),
			Want: func(x [][]float64, p map[string][]float64) []float64 { return params(p).linear("", x[0], 4) }},
		{Name: "LinearNoBias", Inputs: []Input{in(3, 4)}, Build: layer(
			func(b nn.Backend, r *rand.Rand) *nn.Linear { return nn.NewLinear(b, r, 4, 2, false) },
			func(m *nn.Linear, _ nn.Backend, in []*nn.Tensor) *nn.Tensor { return m.Forward(in[0]) }),
			Want: func(x [][]float64, p map[string][]float64) []float64 { return params(p).linear("", x[0], 4) }},
		{Name: "MLP", Inputs: []Input{in(5, 3)}, Build: layer(
			func(b nn.Backend, r *rand.Rand) *nn.MLP {
				m, _ := nn.NewMLP(b, r, nn.MLPConfig{Sizes: []int{3, 8, 8, 2}, Hidden: nn.ActTanh, Output: nn.ActSigmoid})
				return m
			},
			func(m *nn.MLP, _ nn.Backend, in []*nn.Tensor) *nn.Tensor { return m.Forward(in[0]) }),
			Want: func(x [][]float64, p map[string][]float64) []float64 {
				return params(p).mlp("", x[0], []int{3, 8, 8, 2}, math.Tanh, sigmoid)
			}},
		{Name: "MLPReLU", Inputs: []Input{awayFromZero(6, 3)}, Build: layer(
			func(b nn.Backend, r *rand.Rand) *nn.MLP {
				m, _ := nn.NewMLP(b, r, nn.MLPConfig{Sizes: []int{3, 8, 2}, Output: nn.ActReLU})
				return m
			},
			func(m *nn.MLP, _ nn.Backend, in []*nn.Tensor) *nn.Tensor { return m.Forward(in[0]) }),
			Want: func(x [][]float64, p map[string][]float64) []float64 {
				return params(p).mlp("", x[0], []int{3, 8, 2}, relu, relu)
			}},
		{Name: "LinearAct", Inputs: []Input{in(2, 3, 4)}, Build: layer(
			func(b nn.Backend, r *rand.Rand) *nn.Linear { return nn.NewLinear(b, r, 4, 5, true) },
			func(m *nn.Linear, _ nn.Backend, in []*nn.Tensor) *nn.Tensor { return m.ForwardAct(in[0], nn.ActTanh) }),
			Want: func(x [][]float64, p map[string][]float64) []float64 {
				return each(math.Tanh)(params(p).linear("", x[0], 4))
			}},
		{Name: "LayerNorm", Inputs: []Input{in(4, 6)}, Build: layer(
			func(b nn.Backend, r *rand.Rand) *nn.LayerNorm {
				l := nn.NewLayerNorm(b, 6)
				l.Weight.Set([]float32{0.5, 1, 1.5, -1, 2, 0.25})
				l.Bias.Set([]float32{0.1, -0.2, 0.3, 0, 0.5, -1})
				return l
			},
			func(m *nn.LayerNorm, _ nn.Backend, in []*nn.Tensor) *nn.Tensor { return m.Forward(in[0]) }),
			Want: func(x [][]float64, p map[string][]float64) []float64 {
				return layerNorm(x[0], float64s([]float32{0.5, 1, 1.5, -1, 2, 0.25}), float64s([]float32{0.1, -0.2, 0.3, 0, 0.5, -1}))
			}},
		{Name: "Embedding", Build: layer(
			func(b nn.Backend, r *rand.Rand) *nn.Embedding { return nn.NewEmbedding(b, r, 6, 3) },
			func(m *nn.Embedding, b nn.Backend, _ []*nn.Tensor) *nn.Tensor {
				return nn.Tanh(m.Forward(nn.NewIndex(b, []int32{5, 0, 5, 2})))
			}),
			Want: func(_ [][]float64, p map[string][]float64) []float64 {
				return each(math.Tanh)(gatherRows(params(p).must("weight"), 3, []int{5, 0, 5, 2}))
			}},
		{Name: "BipartiteConv", Inputs: []Input{in(5, 4), in(3, 4), in(7, 2)}, Tol: 3, Build: layer(
			func(b nn.Backend, r *rand.Rand) *nn.BipartiteConv { return nn.NewBipartiteConv(b, r, 4, 2) },
			func(m *nn.BipartiteConv, b nn.Backend, in []*nn.Tensor) *nn.Tensor {
				g := smallGraph(b, in[0], in[1], in[2])
				return m.Forward(g.Vars, g.Cons, g.Edges, g.VarIdx, g.ConsIdx)
			}),
			Want: func(x [][]float64, p map[string][]float64) []float64 {
				return params(p).bipartiteConv("", x[0], x[1], x[2], graphVars, graphCons, 4)
			}},
		// Edge features that need no gradient (the usual case: they are
		// data) take the CPU backend's fused message backward.
		{Name: "BipartiteConvFixedEdges", Inputs: []Input{in(5, 4), in(3, 4)}, Tol: 3, Build: layer(
			func(b nn.Backend, r *rand.Rand) *nn.BipartiteConv { return nn.NewBipartiteConv(b, r, 4, 2) },
			func(m *nn.BipartiteConv, b nn.Backend, in []*nn.Tensor) *nn.Tensor {
				g := smallGraph(b, in[0], in[1], nn.From(b, fixedEdges, 7, 2))
				return m.Forward(g.Vars, g.Cons, g.Edges, g.VarIdx, g.ConsIdx)
			}),
			Want: func(x [][]float64, p map[string][]float64) []float64 {
				return params(p).bipartiteConv("", x[0], x[1], float64s(fixedEdges), graphVars, graphCons, 4)
			}},
		// Targets 2 and 4 receive no edge and edge 1→3 comes twice: the
		// convolution sums before Final and adds Final's bias once per edge
		// (deg_t·b), which must give 0 for degree 0 and count repeats.
		{Name: "BipartiteConvIsolated", Inputs: []Input{in(4, 4), in(5, 4), in(6, 2)}, Tol: 3, Build: layer(
			func(b nn.Backend, r *rand.Rand) *nn.BipartiteConv { return nn.NewBipartiteConv(b, r, 4, 2) },
			func(m *nn.BipartiteConv, b nn.Backend, in []*nn.Tensor) *nn.Tensor {
				return m.Forward(in[0], in[1], in[2], nn.NewIndex(b, int32s(isolatedSrc)), nn.NewIndex(b, int32s(isolatedDst)))
			}),
			Want: func(x [][]float64, p map[string][]float64) []float64 {
				return params(p).bipartiteConv("", x[0], x[1], x[2], isolatedSrc, isolatedDst, 4)
			}},
		{Name: "GCNN", Inputs: []Input{in(5, 4), in(3, 3), in(7, 1)}, Tol: 10, Build: layer(
			func(b nn.Backend, r *rand.Rand) *nn.GCNN {
				g, _ := nn.NewGCNN(b, r, nn.GCNNConfig{VarFeatures: 4, ConsFeatures: 3, EdgeFeatures: 1, Dim: 6})
				return g
			},
			func(m *nn.GCNN, b nn.Backend, in []*nn.Tensor) *nn.Tensor {
				return m.Forward(smallGraph(b, in[0], in[1], in[2]))
			}),
			Want: func(x [][]float64, p map[string][]float64) []float64 {
				// Embed both sides (two ReLU layers each), convolve variables to
				// constraints and back, then one logit per variable.
				q := params(p)
				v := q.mlp("var_emb", x[0], []int{4, 6, 6}, relu, relu)
				c := q.mlp("cons_emb", x[1], []int{3, 6, 6}, relu, relu)
				c = q.bipartiteConv("to_cons", v, c, x[2], graphVars, graphCons, 6)
				v = q.bipartiteConv("to_vars", c, v, x[2], graphCons, graphVars, 6)
				return q.mlp("head", v, []int{6, 6, 1}, relu, ident)
			}},
		{Name: "CausalSelfAttention", Inputs: []Input{in(2, 4, 6)}, Tol: 3, Build: layer(
			func(b nn.Backend, r *rand.Rand) *nn.CausalSelfAttention { return nn.NewCausalSelfAttention(b, r, 6, 2) },
			func(m *nn.CausalSelfAttention, _ nn.Backend, in []*nn.Tensor) *nn.Tensor { return m.Forward(in[0]) }),
			Want: func(x [][]float64, p map[string][]float64) []float64 {
				return params(p).attention("", x[0], 2, 4, 6, 2)
			}},
		{Name: "SequenceModel", Inputs: []Input{in(2, 3, 3)}, Tol: 10, Build: layer(
			func(b nn.Backend, r *rand.Rand) *nn.SequenceModel {
				m, _ := nn.NewSequenceModel(b, r, nn.SequenceConfig{In: 3, Dim: 4, Heads: 2, Layers: 1, MaxLen: 8})
				return m
			},
			func(m *nn.SequenceModel, _ nn.Backend, in []*nn.Tensor) *nn.Tensor { return m.Forward(in[0]) }),
			Want: func(x [][]float64, p map[string][]float64) []float64 {
				return params(p).sequenceModel(x[0], 2, 3, 3, 4, 2)
			}},
	}
	return cs
}

// concatCase joins inputs of the given shapes along axis.
func concatCase(name string, axis int, shapes ...[]int) Case {
	ins := make([]Input, len(shapes))
	for i, s := range shapes {
		ins[i] = in(s...)
	}
	return Case{
		Name: name, Inputs: ins,
		Build: op(func(_ nn.Backend, in []*nn.Tensor) *nn.Tensor { return nn.Concat(axis, in...) }),
		Want:  func(x [][]float64, _ map[string][]float64) []float64 { return concat(axis, shapes, x) },
	}
}
