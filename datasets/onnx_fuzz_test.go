package datasets_test

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/corl-go/corl/datasets"
)

// onnxBuilder writes ONNX protobuf messages field by field.
type onnxBuilder struct{}

func (onnxBuilder) str(b []byte, num protowire.Number, s string) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func (onnxBuilder) msg(b []byte, num protowire.Number, m []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, m)
}

func (onnxBuilder) varint(b []byte, num protowire.Number, v int64) []byte {
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, uint64(v))
}

// attr is an AttributeProto: ints (packed), or one int, float or string.
func (o onnxBuilder) attrInts(name string, v ...int64) []byte {
	a := o.str(nil, 1, name)
	var packed []byte
	for _, x := range v {
		packed = protowire.AppendVarint(packed, uint64(x))
	}
	return o.msg(a, 8, packed)
}

func (o onnxBuilder) attrInt(name string, v int64) []byte { return o.varint(o.str(nil, 1, name), 3, v) }

func (o onnxBuilder) attrString(name, v string) []byte { return o.str(o.str(nil, 1, name), 4, v) }

func (o onnxBuilder) attrFloat(name string, v float32) []byte {
	a := o.str(nil, 1, name)
	a = protowire.AppendTag(a, 2, protowire.Fixed32Type)
	return protowire.AppendFixed32(a, math.Float32bits(v))
}

func (o onnxBuilder) node(op string, in, out []string, attrs ...[]byte) []byte {
	var n []byte
	for _, s := range in {
		n = o.str(n, 1, s)
	}
	for _, s := range out {
		n = o.str(n, 2, s)
	}
	n = o.str(n, 3, op+"_"+out[0])
	n = o.str(n, 4, op)
	for _, a := range attrs {
		n = o.msg(n, 5, a)
	}
	return n
}

// tensor is a TensorProto: dims, data type 1 (float) or 7 (int64), name,
// and int64 data or raw float data.
func (o onnxBuilder) tensor(name string, dtype int64, dims []int64, ints []int64, raw []float32) []byte {
	var t []byte
	for _, d := range dims {
		t = o.varint(t, 1, d)
	}
	t = o.varint(t, 2, dtype)
	if ints != nil {
		var packed []byte
		for _, x := range ints {
			packed = protowire.AppendVarint(packed, uint64(x))
		}
		t = o.msg(t, 7, packed)
	}
	t = o.str(t, 8, name)
	if raw != nil {
		var r []byte
		for _, f := range raw {
			r = protowire.AppendFixed32(r, math.Float32bits(f))
		}
		t = o.msg(t, 9, r)
	}
	return t
}

// valueInfo declares a float tensor; a negative dimension is symbolic.
func (o onnxBuilder) valueInfo(name string, dims ...int64) []byte {
	var shape []byte
	for _, d := range dims {
		var dim []byte
		if d >= 0 {
			dim = o.varint(dim, 1, d)
		} else {
			dim = o.str(dim, 2, "batch")
		}
		shape = o.msg(shape, 1, dim)
	}
	tt := o.msg(o.varint(nil, 1, 1), 2, shape)
	return o.msg(o.str(nil, 1, name), 2, o.msg(nil, 1, tt))
}

// richONNX is a small network using most operators the reader infers
// shapes for, with the attribute, initializer, Constant and raw-data
// encodings they take: a seed for FuzzReadONNX that reaches every branch.
func richONNX(batch int64) []byte {
	var o onnxBuilder
	var g []byte
	add := func(n []byte) { g = o.msg(g, 1, n) }
	add(o.node("Conv", []string{"x", "W", "B"}, []string{"c"}, o.attrInts("kernel_shape", 3, 3), o.attrInts("pads", 1, 1, 1, 1), o.attrInts("strides", 1, 1)))
	add(o.node("BatchNormalization", []string{"c", "s", "b", "m", "v"}, []string{"bn"}, o.attrFloat("epsilon", 1e-5)))
	add(o.node("Relu", []string{"bn"}, []string{"r"}))
	add(o.node("MaxPool", []string{"r"}, []string{"p"}, o.attrInts("kernel_shape", 2, 2), o.attrInts("strides", 2, 2), o.attrInt("ceil_mode", 1)))
	add(o.node("AveragePool", []string{"p"}, []string{"ap"}, o.attrInts("kernel_shape", 3, 3), o.attrString("auto_pad", "SAME_UPPER")))
	add(o.node("ConvTranspose", []string{"ap", "WT"}, []string{"up"}, o.attrInts("kernel_shape", 2, 2), o.attrInts("strides", 2, 2), o.attrInt("group", 1)))
	add(o.node("Add", []string{"up", "r"}, []string{"sum"}))
	add(o.node("Mul", []string{"sum", "scale"}, []string{"mul"}))
	add(o.node("Concat", []string{"mul", "r"}, []string{"cat"}, o.attrInt("axis", 1)))
	add(o.node("Resize", []string{"cat", "", "scales"}, []string{"rs"}, o.attrString("mode", "nearest")))
	add(o.node("GlobalAveragePool", []string{"rs"}, []string{"gap"}))
	add(o.node("Constant", nil, []string{"shape2"}, o.msg(o.str(nil, 1, "value"), 5, o.tensor("", 7, []int64{2}, []int64{0, -1}, nil))))
	add(o.node("Reshape", []string{"gap", "shape2"}, []string{"flat"}))
	add(o.node("Gemm", []string{"flat", "FC"}, []string{"fc"}, o.attrInt("transB", 1)))
	add(o.node("Flatten", []string{"rs"}, []string{"fl"}, o.attrInt("axis", 1)))
	add(o.node("Transpose", []string{"rs"}, []string{"tr"}, o.attrInts("perm", 0, 2, 3, 1)))
	add(o.node("MatMul", []string{"tr", "M"}, []string{"mm"}))
	add(o.node("Sigmoid", []string{"mm"}, []string{"sg"}))
	add(o.node("Shape", []string{"sg"}, []string{"sh"}))
	add(o.node("Cast", []string{"sh"}, []string{"shf"}, o.attrInt("to", 1)))
	for _, t := range [][]byte{
		o.tensor("W", 1, []int64{4, 3, 3, 3}, nil, nil),
		o.tensor("B", 1, []int64{4}, nil, []float32{0, 0, 0, 0}),
		o.tensor("s", 1, []int64{4}, nil, nil), o.tensor("b", 1, []int64{4}, nil, nil),
		o.tensor("m", 1, []int64{4}, nil, nil), o.tensor("v", 1, []int64{4}, nil, nil),
		o.tensor("WT", 1, []int64{4, 4, 2, 2}, nil, nil),
		o.tensor("scale", 1, []int64{1, 4, 1, 1}, nil, []float32{1, 2, 3, 4}),
		o.tensor("scales", 1, []int64{4}, nil, []float32{1, 1, 2, 2}),
		o.tensor("FC", 1, []int64{10, 8}, nil, nil),
		o.tensor("M", 1, []int64{8, 5}, nil, nil),
	} {
		g = o.msg(g, 5, t)
	}
	g = o.msg(g, 11, o.valueInfo("x", batch, 3, 8, 8))
	g = o.msg(g, 12, o.valueInfo("fc"))
	g = o.msg(g, 12, o.valueInfo("shf"))
	return o.msg(o.varint(nil, 1, 8), 7, g) // ir_version 8, graph
}

// TestRichONNX checks the fuzzer's richest seed reads, by hand where the
// shapes are easy to follow.
func TestRichONNX(t *testing.T) {
	p := filepath.Join(t.TempDir(), "rich.onnx")
	if err := os.WriteFile(p, richONNX(1), 0o644); err != nil {
		t.Fatal(err)
	}
	bufs, err := datasets.ReadONNX(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	// One buffer per node output; the first, c, is 1x4x8x8 floats read by
	// BatchNormalization only.
	if len(bufs) != 20 || bufs[0].Size != 4*64*4 || bufs[0].Start != 0 || bufs[0].End != 2 || bufs[0].Uses != 2 {
		t.Errorf("%d buffers, first %+v", len(bufs), bufs[0])
	}
	if err := os.WriteFile(p, richONNX(-1), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := datasets.ReadONNX(p, nil); !errors.Is(err, datasets.ErrONNX) {
		t.Errorf("symbolic batch without a shape: %v", err)
	}
	if _, err := datasets.ReadONNX(p, []int64{2, 3, 8, 8}); err != nil {
		t.Errorf("symbolic batch with a shape: %v", err)
	}
}

// FuzzReadONNX feeds the ONNX reader arbitrary bytes, starting from the
// models above: it must return ErrONNX or buffers a malloc instance
// accepts, never panic.
func FuzzReadONNX(f *testing.F) {
	f.Add(tinyONNX(""), false)
	f.Add(tinyONNX("FancyOp"), false)
	f.Add(richONNX(1), false)
	f.Add(richONNX(-1), true)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte, withShape bool) {
		p := filepath.Join(dir, "model.onnx")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		var shape []int64
		if withShape {
			shape = []int64{2, 3, 8, 8}
		}
		bufs, err := datasets.ReadONNX(p, shape)
		if err != nil {
			if !errors.Is(err, datasets.ErrONNX) {
				t.Fatalf("error not ErrONNX: %v", err)
			}
			return
		}
		for i, b := range bufs {
			if b.ID != i || b.Start < 0 || b.End <= b.Start || b.Size <= 0 || b.Uses < 1 {
				t.Fatalf("buffer %d: %+v", i, b)
			}
		}
	})
}

// TestONNXMalformed: graphs whose nodes do not fit their inputs are
// ErrONNX errors naming the node, not panics (each of these panicked or,
// for the last, silently dropped a tensor before shape inference checked
// its inputs).
func TestONNXMalformed(t *testing.T) {
	var o onnxBuilder
	w4 := o.tensor("W", 1, []int64{4, 3, 3, 3}, nil, nil)
	w1 := o.tensor("W1", 1, []int64{4}, nil, nil)
	vec := o.tensor("v", 1, []int64{5}, nil, nil)
	shape5 := o.tensor("s5", 7, []int64{5}, []int64{0, 0, 0, 0, 0}, nil)
	kernel := o.attrInts("kernel_shape", 2, 2)
	for _, c := range []struct {
		name string
		node []byte
	}{
		{"Concat axis out of range", o.node("Concat", []string{"x", "x"}, []string{"y"}, o.attrInt("axis", 7))},
		{"Concat of two ranks", o.node("Concat", []string{"x", "v"}, []string{"y"}, o.attrInt("axis", 0))},
		{"Transpose perm out of range", o.node("Transpose", []string{"x"}, []string{"y"}, o.attrInts("perm", 0, 9, 1, 2))},
		{"Transpose perm too short", o.node("Transpose", []string{"x"}, []string{"y"}, o.attrInts("perm", 1, 0))},
		{"Reshape without a shape", o.node("Reshape", []string{"x"}, []string{"y"})},
		{"Reshape copying missing dimensions", o.node("Reshape", []string{"x", "s5"}, []string{"y"})},
		{"Flatten axis out of range", o.node("Flatten", []string{"x"}, []string{"y"}, o.attrInt("axis", 9))},
		{"MatMul of one input", o.node("MatMul", []string{"x"}, []string{"y"})},
		{"Gemm of a vector", o.node("Gemm", []string{"v", "v"}, []string{"y"})},
		{"Constant without an output", o.str(nil, 4, "Constant")},
		{"Conv without weights", o.node("Conv", []string{"x"}, []string{"y"}, kernel)},
		{"Conv with weights of rank 1", o.node("Conv", []string{"x", "W1"}, []string{"y"})},
		{"MaxPool with zero strides", o.node("MaxPool", []string{"x"}, []string{"y"}, kernel, o.attrInts("strides", 0, 0))},
		{"MaxPool with one stride for two axes", o.node("MaxPool", []string{"x"}, []string{"y"}, kernel, o.attrInts("strides", 1))},
		{"ConvTranspose with short output_padding", o.node("ConvTranspose", []string{"x", "W"}, []string{"y"}, o.attrInts("output_padding", 1))},
		{"MaxPool kernel larger than its input", o.node("MaxPool", []string{"x"}, []string{"y"}, o.attrInts("kernel_shape", 20, 20))},
	} {
		t.Run(c.name, func(t *testing.T) {
			var g []byte
			g = o.msg(g, 1, c.node)
			for _, init := range [][]byte{w4, w1, vec, shape5} {
				g = o.msg(g, 5, init)
			}
			g = o.msg(g, 11, o.valueInfo("x", 1, 3, 8, 8))
			p := filepath.Join(t.TempDir(), "bad.onnx")
			if err := os.WriteFile(p, o.msg(nil, 7, g), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := datasets.ReadONNX(p, nil); !errors.Is(err, datasets.ErrONNX) {
				t.Errorf("%v, want ErrONNX", err)
			}
		})
	}
}

// FuzzONNXNode builds one-node graphs from its arguments (the operator,
// its inputs, the attributes' values and the shapes of the input and the
// weight) so that the fuzzer explores shape inference rather than the
// protobuf encoding: ReadONNX returns ErrONNX or valid buffers, never
// panics.
func FuzzONNXNode(f *testing.F) {
	f.Add(uint8(0), uint8(2), []byte{3, 3}, []byte{1, 1}, []byte{1, 3, 8, 8}, []byte{4, 3, 3, 3})
	f.Add(uint8(4), uint8(2), []byte{1}, []byte{0}, []byte{1, 3, 8, 8}, []byte{1, 3, 8, 8})
	f.Add(uint8(6), uint8(3), []byte{0, 255}, []byte{}, []byte{2, 3, 4}, []byte{2})
	ops := []string{"Conv", "ConvTranspose", "MaxPool", "AveragePool", "Concat", "Transpose", "Reshape", "Flatten",
		"MatMul", "Gemm", "Constant", "Add", "Resize", "GlobalAveragePool", "Shape", "Relu"}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, op, nin uint8, a, b, xDims, wDims []byte) {
		if len(a) > 8 || len(b) > 8 || len(xDims) > 6 || len(wDims) > 6 {
			return
		}
		var o onnxBuilder
		signed := func(v []byte) []int64 {
			out := make([]int64, len(v))
			for i, x := range v {
				out[i] = int64(int8(x))
			}
			return out
		}
		dims := func(v []byte) []int64 {
			out := make([]int64, len(v))
			for i, x := range v {
				out[i] = int64(x % 16)
			}
			return out
		}
		name := ops[int(op)%len(ops)]
		ins := []string{"x", "W", "S", "x"}[:int(nin)%5]
		var attrs [][]byte
		for _, k := range []string{"kernel_shape", "perm", "output_padding"} {
			attrs = append(attrs, o.attrInts(k, signed(a)...))
		}
		for _, k := range []string{"strides", "dilations", "pads"} {
			attrs = append(attrs, o.attrInts(k, signed(b)...))
		}
		if len(b) > 0 {
			attrs = append(attrs, o.attrInt("axis", int64(int8(b[0]))), o.attrInt("transA", int64(b[0]%2)))
		}
		var g []byte
		g = o.msg(g, 1, o.node(name, ins, []string{"y"}, attrs...))
		g = o.msg(g, 5, o.tensor("W", 1, dims(wDims), nil, nil))
		g = o.msg(g, 5, o.tensor("S", 7, []int64{int64(len(a))}, signed(a), nil))
		g = o.msg(g, 11, o.valueInfo("x", dims(xDims)...))
		p := filepath.Join(dir, "node.onnx")
		if err := os.WriteFile(p, o.msg(nil, 7, g), 0o644); err != nil {
			t.Fatal(err)
		}
		bufs, err := datasets.ReadONNX(p, nil)
		if err != nil {
			if !errors.Is(err, datasets.ErrONNX) {
				t.Fatalf("error not ErrONNX: %v", err)
			}
			return
		}
		for i, b := range bufs {
			if b.ID != i || b.Start < 0 || b.End <= b.Start || b.Size <= 0 || b.Uses < 1 {
				t.Fatalf("buffer %d: %+v", i, b)
			}
		}
	})
}
