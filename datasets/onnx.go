package datasets

import (
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/corl-go/corl/envs/malloc"
)

// ONNX graphs become memory-mapping workloads: the nodes in their
// (topological) order are the program's steps; every intermediate tensor
// is a buffer live from the step that produces it to the last step that
// reads it, of its element count times its element size, used once per
// reader plus its write. Shapes are inferred for the operators of
// convolutional networks; any other operator is an error naming it.

// ErrONNX reports a malformed or unsupported ONNX model.
var ErrONNX = errors.New("datasets: ONNX")

type onnxNode struct {
	op      string
	name    string
	inputs  []string
	outputs []string
	ints    map[string][]int64
	floats  map[string][]float64
	strs    map[string]string
}

type onnxTensor struct {
	dims  []int64
	dtype int
	ints  []int64 // int64 contents, for shape inputs (Reshape, Resize)
	flts  []float64
}

type onnxGraph struct {
	nodes   []onnxNode
	init    map[string]onnxTensor
	inputs  map[string]onnxTensor // declared graph inputs: dims (-1 unknown) and type
	inOrder []string
	outputs []string
}

// elemSize is the size in bytes of an ONNX TensorProto.DataType.
func elemSize(t int) int64 {
	switch t {
	case 1, 6: // float, int32
		return 4
	case 2, 3, 9: // uint8, int8, bool
		return 1
	case 4, 5, 10, 16: // uint16, int16, float16, bfloat16
		return 2
	case 7, 11, 13: // int64, double, uint64
		return 8
	}
	return 4
}

// ReadONNX reads an ONNX model and returns its activation buffers. shape,
// when given, fixes the first graph input's dimensions (needed when the
// model leaves some symbolic, e.g. batch or image size).
func ReadONNX(path string, shape []int64) ([]malloc.Buffer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	g, err := parseModel(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrONNX, path, err)
	}
	bufs, err := g.workload(shape)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrONNX, path, err)
	}
	return bufs, nil
}

// fields iterates over a protobuf message's fields.
func fields(b []byte, f func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		var v []byte
		var x uint64
		switch typ {
		case protowire.VarintType:
			x, n = protowire.ConsumeVarint(b)
		case protowire.Fixed32Type:
			var y uint32
			y, n = protowire.ConsumeFixed32(b)
			x = uint64(y)
		case protowire.Fixed64Type:
			x, n = protowire.ConsumeFixed64(b)
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if err := f(num, typ, v, x); err != nil {
			return err
		}
	}
	return nil
}

// repeatedInts reads a repeated int64 field, packed or not.
func repeatedInts(dst []int64, typ protowire.Type, v []byte, x uint64) ([]int64, error) {
	if typ == protowire.VarintType {
		return append(dst, int64(x)), nil
	}
	for len(v) > 0 {
		y, n := protowire.ConsumeVarint(v)
		if n < 0 {
			return dst, protowire.ParseError(n)
		}
		dst = append(dst, int64(y))
		v = v[n:]
	}
	return dst, nil
}

func parseModel(data []byte) (*onnxGraph, error) {
	var graph []byte
	err := fields(data, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if num == 7 && typ == protowire.BytesType { // ModelProto.graph
			graph = v
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("not a protobuf ModelProto: %v", err)
	}
	if graph == nil {
		return nil, errors.New("no graph in the model")
	}
	g := &onnxGraph{init: map[string]onnxTensor{}, inputs: map[string]onnxTensor{}}
	err = fields(graph, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		switch num {
		case 1: // node
			n, err := parseNode(v)
			if err != nil {
				return err
			}
			g.nodes = append(g.nodes, n)
		case 5: // initializer
			name, t, err := parseTensor(v)
			if err != nil {
				return err
			}
			g.init[name] = t
		case 11: // input
			name, t, err := parseValueInfo(v)
			if err != nil {
				return err
			}
			g.inputs[name] = t
			g.inOrder = append(g.inOrder, name)
		case 12: // output
			name, _, err := parseValueInfo(v)
			if err != nil {
				return err
			}
			g.outputs = append(g.outputs, name)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(g.nodes) == 0 {
		return nil, errors.New("the graph has no nodes")
	}
	return g, nil
}

func parseNode(b []byte) (onnxNode, error) {
	n := onnxNode{ints: map[string][]int64{}, floats: map[string][]float64{}, strs: map[string]string{}}
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		switch num {
		case 1:
			n.inputs = append(n.inputs, string(v))
		case 2:
			n.outputs = append(n.outputs, string(v))
		case 3:
			n.name = string(v)
		case 4:
			n.op = string(v)
		case 5:
			return parseAttribute(v, &n)
		}
		return nil
	})
	return n, err
}

func parseAttribute(b []byte, n *onnxNode) error {
	var name string
	var ints []int64
	var floats []float64
	var s string
	var t *onnxTensor
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		var err error
		switch num {
		case 1:
			name = string(v)
		case 2: // f
			floats = append(floats, float64(math.Float32frombits(uint32(x))))
		case 3: // i
			ints = append(ints, int64(x))
		case 4: // s
			s = string(v)
		case 5: // t
			_, tt, e := parseTensor(v)
			t, err = &tt, e
		case 7: // floats
			if typ == protowire.Fixed32Type {
				floats = append(floats, float64(math.Float32frombits(uint32(x))))
			} else {
				for len(v) >= 4 {
					y, _ := protowire.ConsumeFixed32(v)
					floats = append(floats, float64(math.Float32frombits(y)))
					v = v[4:]
				}
			}
		case 8: // ints
			ints, err = repeatedInts(ints, typ, v, x)
		}
		return err
	})
	if err != nil {
		return err
	}
	if ints != nil {
		n.ints[name] = ints
	}
	if floats != nil {
		n.floats[name] = floats
	}
	if s != "" {
		n.strs[name] = s
	}
	if t != nil { // Constant nodes: keep the value's contents
		n.ints["value.dims"] = t.dims
		n.ints["value"] = t.ints
		n.floats["value"] = t.flts
		n.ints["value.dtype"] = []int64{int64(t.dtype)}
	}
	return nil
}

func parseTensor(b []byte) (string, onnxTensor, error) {
	var name string
	var t onnxTensor
	var raw []byte
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error {
		var err error
		switch num {
		case 1:
			t.dims, err = repeatedInts(t.dims, typ, v, x)
		case 2:
			t.dtype = int(x)
		case 4: // float_data (packed)
			for len(v) >= 4 {
				y, _ := protowire.ConsumeFixed32(v)
				t.flts = append(t.flts, float64(math.Float32frombits(y)))
				v = v[4:]
			}
		case 7: // int64_data
			t.ints, err = repeatedInts(t.ints, typ, v, x)
		case 8:
			name = string(v)
		case 9:
			raw = v
		}
		return err
	})
	if raw != nil && numel(t.dims) <= 64 { // small raw tensors: decode shapes and scales
		switch t.dtype {
		case 7:
			for k := 0; k+8 <= len(raw); k += 8 {
				t.ints = append(t.ints, int64(le64(raw[k:])))
			}
		case 1:
			for k := 0; k+4 <= len(raw); k += 4 {
				t.flts = append(t.flts, float64(math.Float32frombits(uint32(le64(append(slices.Clone(raw[k:k+4]), 0, 0, 0, 0))))))
			}
		}
	}
	return name, t, err
}

func le64(b []byte) uint64 {
	var x uint64
	for i := 7; i >= 0; i-- {
		x = x<<8 | uint64(b[i])
	}
	return x
}

func numel(d []int64) int64 {
	n := int64(1)
	for _, x := range d {
		n *= x
	}
	return n
}

func parseValueInfo(b []byte) (string, onnxTensor, error) {
	var name string
	t := onnxTensor{dtype: 1}
	err := fields(b, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
		switch num {
		case 1:
			name = string(v)
		case 2: // TypeProto
			return fields(v, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
				if num != 1 { // tensor_type
					return nil
				}
				return fields(v, func(num protowire.Number, _ protowire.Type, v []byte, x uint64) error {
					switch num {
					case 1:
						t.dtype = int(x)
					case 2: // shape
						return fields(v, func(num protowire.Number, _ protowire.Type, v []byte, _ uint64) error {
							if num != 1 {
								return nil
							}
							d := int64(-1)
							err := fields(v, func(num protowire.Number, _ protowire.Type, _ []byte, x uint64) error {
								if num == 1 {
									d = int64(x)
								}
								return nil
							})
							t.dims = append(t.dims, d)
							return err
						})
					}
					return nil
				})
			})
		}
		return nil
	})
	return name, t, err
}

// workload infers shapes in node order and derives the buffers.
func (g *onnxGraph) workload(shape []int64) ([]malloc.Buffer, error) {
	shapes := map[string][]int64{}
	dtypes := map[string]int{}
	consts := map[string]onnxTensor{}
	for name, t := range g.init {
		shapes[name], dtypes[name], consts[name] = t.dims, t.dtype, t
	}
	first := true
	for _, name := range g.inOrder {
		if _, isInit := g.init[name]; isInit {
			continue
		}
		t := g.inputs[name]
		d := slices.Clone(t.dims)
		if first && shape != nil {
			if len(shape) != len(d) {
				return nil, fmt.Errorf("input %q has %d dimensions, --input-shape gives %d", name, len(d), len(shape))
			}
			d = slices.Clone(shape)
		}
		first = false
		for _, x := range d {
			if x <= 0 {
				return nil, fmt.Errorf("input %q has symbolic dimensions %v: give its shape (e.g. --input-shape 1,3,640,640)", name, t.dims)
			}
		}
		shapes[name], dtypes[name] = d, t.dtype
	}
	produced := map[string]int{}
	lastUse := map[string]int{}
	uses := map[string]int{}
	for step, n := range g.nodes {
		for _, in := range n.inputs {
			if in == "" {
				continue
			}
			if _, ok := shapes[in]; !ok {
				return nil, fmt.Errorf("node %d (%s %q) reads %q before it is produced: nodes are not in topological order", step, n.op, n.name, in)
			}
			lastUse[in] = step
			uses[in]++
		}
		outs, dt, err := infer(n, shapes, dtypes, consts)
		if err == nil {
			err = checkDims(outs)
		}
		if err != nil {
			return nil, fmt.Errorf("node %d (%s %q): %v", step, n.op, n.name, err)
		}
		for k, o := range n.outputs {
			if o == "" || k >= len(outs) {
				continue
			}
			shapes[o], dtypes[o], produced[o] = outs[k], dt, step
		}
	}
	end := len(g.nodes)
	for _, o := range g.outputs {
		lastUse[o] = end
	}
	var bufs []malloc.Buffer
	for _, n := range g.nodes {
		for _, o := range n.outputs {
			p, ok := produced[o]
			if !ok || o == "" {
				continue
			}
			size := numel(shapes[o]) * elemSize(dtypes[o])
			if size <= 0 {
				continue
			}
			last, ok := lastUse[o]
			if !ok {
				last = p // produced, never read
			}
			bufs = append(bufs, malloc.Buffer{ID: len(bufs), Start: int64(p), End: int64(last + 1), Size: size, Uses: 1 + uses[o]})
		}
	}
	if len(bufs) == 0 {
		return nil, errors.New("no activation tensors")
	}
	return bufs, nil
}

// checkDims refuses inferred shapes with a negative dimension (a kernel
// larger than its padded input, a bad Reshape), which no tensor has.
func checkDims(outs [][]int64) error {
	for _, o := range outs {
		for _, d := range o {
			if d < 0 {
				return fmt.Errorf("infers the impossible shape %v", o)
			}
		}
	}
	return nil
}

// checkAxis returns axis (negative counts from the end) as an index into a
// shape of the given rank, or an error when outside it; end allows rank
// itself (Flatten's axis).
func checkAxis(a int64, rank int, end bool) (int, error) {
	k := normAxis(a, rank)
	if k < 0 || k > rank || (k == rank && !end) {
		return 0, fmt.Errorf("axis %d outside a shape of rank %d", a, rank)
	}
	return k, nil
}

func attrInts(n onnxNode, name string, def []int64) []int64 {
	if v, ok := n.ints[name]; ok {
		return v
	}
	return def
}

func attrInt(n onnxNode, name string, def int64) int64 {
	if v, ok := n.ints[name]; ok && len(v) > 0 {
		return v[0]
	}
	return def
}

// infer returns the output shapes of a node and their element type.
func infer(n onnxNode, shapes map[string][]int64, dtypes map[string]int, consts map[string]onnxTensor) ([][]int64, int, error) {
	in := func(k int) []int64 {
		if k < len(n.inputs) {
			return shapes[n.inputs[k]]
		}
		return nil
	}
	x := in(0)
	dt := 1
	if len(n.inputs) > 0 {
		dt = dtypes[n.inputs[0]]
	}
	switch n.op {
	case "Relu", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "LeakyRelu", "Clip", "BatchNormalization",
		"Identity", "Dropout", "Softmax", "Exp", "Sqrt", "Neg", "Abs", "Erf", "Cast", "PRelu", "Elu", "Softplus":
		if n.op == "Cast" {
			dt = int(attrInt(n, "to", 1))
		}
		return [][]int64{slices.Clone(x)}, dt, nil
	case "Add", "Mul", "Sub", "Div", "Pow", "Max", "Min", "Sum", "Where", "Equal", "Greater", "Less":
		out := []int64{}
		for k := range n.inputs {
			var err error
			if out, err = broadcast(out, in(k)); err != nil {
				return nil, 0, err
			}
		}
		return [][]int64{out}, dt, nil
	case "Conv", "ConvTranspose", "MaxPool", "AveragePool":
		return convLike(n, x, in(1))
	case "GlobalAveragePool", "GlobalMaxPool":
		out := slices.Clone(x)
		for k := 2; k < len(out); k++ {
			out[k] = 1
		}
		return [][]int64{out}, dt, nil
	case "Concat":
		axis, err := checkAxis(attrInt(n, "axis", 0), len(x), false)
		if err != nil {
			return nil, 0, err
		}
		out := slices.Clone(x)
		for k := 1; k < len(n.inputs); k++ {
			if len(in(k)) != len(x) {
				return nil, 0, fmt.Errorf("inputs of ranks %d and %d", len(x), len(in(k)))
			}
			out[axis] += in(k)[axis]
		}
		return [][]int64{out}, dt, nil
	case "Transpose":
		perm := attrInts(n, "perm", nil)
		if perm != nil && len(perm) != len(x) {
			return nil, 0, fmt.Errorf("perm %v for a shape of rank %d", perm, len(x))
		}
		out := make([]int64, len(x))
		for k := range out {
			if perm == nil {
				out[k] = x[len(x)-1-k]
				continue
			}
			if perm[k] < 0 || perm[k] >= int64(len(x)) {
				return nil, 0, fmt.Errorf("perm %v for a shape of rank %d", perm, len(x))
			}
			out[k] = x[perm[k]]
		}
		return [][]int64{out}, dt, nil
	case "Reshape":
		if len(n.inputs) < 2 {
			return nil, 0, errors.New("Reshape without a shape input")
		}
		t, ok := consts[n.inputs[1]]
		if !ok {
			return nil, 0, errors.New("Reshape with a computed shape is not supported")
		}
		out := slices.Clone(t.ints)
		known, neg := int64(1), -1
		for k, d := range out {
			switch {
			case d == 0 && k < len(x):
				out[k] = x[k]
			case d == -1 && neg < 0:
				neg = k
				continue
			case d <= 0:
				return nil, 0, fmt.Errorf("shape %v for an input of shape %v", t.ints, x)
			}
			known *= out[k]
		}
		if neg >= 0 {
			if known <= 0 {
				return nil, 0, fmt.Errorf("shape %v for an input of shape %v", t.ints, x)
			}
			out[neg] = numel(x) / known
		}
		return [][]int64{out}, dt, nil
	case "Flatten":
		axis, err := checkAxis(attrInt(n, "axis", 1), len(x), true)
		if err != nil {
			return nil, 0, err
		}
		return [][]int64{{numel(x[:axis]), numel(x[axis:])}}, dt, nil
	case "Resize", "Upsample":
		return resize(n, x, consts)
	case "MatMul":
		a, b := x, in(1)
		if len(a) == 0 || len(b) == 0 {
			return nil, 0, fmt.Errorf("inputs of shapes %v and %v", a, b)
		}
		out := slices.Clone(a)
		out[len(out)-1] = b[len(b)-1]
		return [][]int64{out}, dt, nil
	case "Gemm":
		a, b := x, in(1)
		if len(a) != 2 || len(b) != 2 {
			return nil, 0, fmt.Errorf("inputs of shapes %v and %v, want matrices", a, b)
		}
		m, k := a[0], a[1]
		if attrInt(n, "transA", 0) == 1 {
			m = k
		}
		nn := b[1]
		if attrInt(n, "transB", 0) == 1 {
			nn = b[0]
		}
		return [][]int64{{m, nn}}, dt, nil
	case "Constant":
		if len(n.outputs) == 0 {
			return nil, 0, errors.New("Constant without an output")
		}
		dims := n.ints["value.dims"]
		consts[n.outputs[0]] = onnxTensor{dims: dims, ints: n.ints["value"], flts: n.floats["value"]}
		return [][]int64{dims}, int(attrInt(n, "value.dtype", 1)), nil
	case "Shape":
		return [][]int64{{int64(len(x))}}, 7, nil
	}
	return nil, 0, fmt.Errorf("unsupported operator %q", n.op)
}

func normAxis(a int64, rank int) int {
	if a < 0 {
		a += int64(rank)
	}
	return int(a)
}

func broadcast(a, b []int64) ([]int64, error) {
	if len(a) < len(b) {
		a, b = b, a
	}
	out := slices.Clone(a)
	off := len(a) - len(b)
	for k, d := range b {
		switch {
		case out[off+k] == d || d == 1:
		case out[off+k] == 1:
			out[off+k] = d
		default:
			return nil, fmt.Errorf("shapes %v and %v do not broadcast", a, b)
		}
	}
	return out, nil
}

// convLike infers Conv, ConvTranspose and pooling output shapes (NCHW).
func convLike(n onnxNode, x, w []int64) ([][]int64, int, error) {
	if len(x) < 3 {
		return nil, 0, fmt.Errorf("input of rank %d", len(x))
	}
	sp := len(x) - 2
	conv := n.op == "Conv" || n.op == "ConvTranspose"
	if conv && len(w) != len(x) {
		return nil, 0, fmt.Errorf("weight of shape %v for an input of shape %v", w, x)
	}
	kernel := attrInts(n, "kernel_shape", nil)
	if kernel == nil && conv {
		kernel = w[2:]
	}
	if len(kernel) != sp {
		return nil, 0, errors.New("no kernel shape")
	}
	strides := attrInts(n, "strides", ones64(sp))
	dil := attrInts(n, "dilations", ones64(sp))
	pads := attrInts(n, "pads", make([]int64, 2*sp))
	outPad := attrInts(n, "output_padding", make([]int64, sp))
	if len(strides) != sp || len(dil) != sp || len(pads) != 2*sp || len(outPad) != sp {
		return nil, 0, fmt.Errorf("strides %v, dilations %v, pads %v or output_padding %v do not fit %d spatial axes", strides, dil, pads, outPad, sp)
	}
	for k := range sp {
		if strides[k] <= 0 || dil[k] <= 0 || kernel[k] <= 0 {
			return nil, 0, fmt.Errorf("kernel %v, strides %v, dilations %v: want positive", kernel, strides, dil)
		}
	}
	auto := n.strs["auto_pad"]
	out := slices.Clone(x)
	switch n.op {
	case "Conv":
		out[1] = w[0]
	case "ConvTranspose":
		out[1] = w[1] * attrInt(n, "group", 1)
	}
	ceil := attrInt(n, "ceil_mode", 0) == 1
	for k := range sp {
		in, kk, s, d := x[2+k], kernel[k], strides[k], dil[k]
		ek := (kk-1)*d + 1
		if n.op == "ConvTranspose" {
			out[2+k] = s*(in-1) + outPad[k] + ek - pads[k] - pads[sp+k]
			continue
		}
		if auto == "SAME_UPPER" || auto == "SAME_LOWER" {
			out[2+k] = (in + s - 1) / s
			continue
		}
		num := in + pads[k] + pads[sp+k] - ek
		if ceil {
			out[2+k] = (num+s-1)/s + 1
		} else {
			out[2+k] = num/s + 1
		}
	}
	return [][]int64{out}, 1, nil
}

func ones64(n int) []int64 {
	o := make([]int64, n)
	for i := range o {
		o[i] = 1
	}
	return o
}

// resize reads output sizes or scales from constant inputs (Resize: roi,
// scales, sizes; Upsample: scales).
func resize(n onnxNode, x []int64, consts map[string]onnxTensor) ([][]int64, int, error) {
	for k := len(n.inputs) - 1; k >= 1; k-- {
		t, ok := consts[n.inputs[k]]
		if !ok || n.inputs[k] == "" {
			continue
		}
		if len(t.ints) == len(x) {
			return [][]int64{slices.Clone(t.ints)}, 1, nil
		}
		if len(t.flts) == len(x) {
			out := make([]int64, len(x))
			for i := range x {
				out[i] = int64(math.Floor(float64(x[i]) * t.flts[i]))
			}
			return [][]int64{out}, 1, nil
		}
	}
	return nil, 0, errors.New("Resize without constant scales or sizes is not supported")
}

// ONNXOps lists the operators ReadONNX infers shapes for.
func ONNXOps() string {
	return strings.Join([]string{"Conv", "ConvTranspose", "BatchNormalization", "Relu", "Sigmoid", "HardSigmoid", "HardSwish",
		"Add", "Mul", "Sub", "Div", "Concat", "MaxPool", "AveragePool", "GlobalAveragePool", "Resize", "Upsample",
		"Reshape", "Flatten", "Transpose", "MatMul", "Gemm", "Constant", "Shape", "and elementwise operators"}, ", ")
}
