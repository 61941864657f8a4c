package datasets_test

import (
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/corl-go/corl/datasets"
	"github.com/corl-go/corl/envs/malloc"
	"github.com/corl-go/corl/internal/sharedtest"
)

func TestMiniMallocInstances(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(sharedtest.MiniMalloc(t), "*.csv"))
	if len(files) == 0 {
		t.Fatal("no MiniMalloc files")
	}
	for _, f := range files {
		in, err := datasets.ReadAllocationCSV(f, 0.5, malloc.DefaultModel)
		if err != nil {
			t.Fatal(err)
		}
		peak := in.PeakLive()
		if peak > 1048576 || in.Capacity != peak/2 || len(in.Buffers) < 10 {
			t.Errorf("%s: %d buffers, peak %d, capacity %d", filepath.Base(f), len(in.Buffers), peak, in.Capacity)
		}
		if !strings.Contains(in.Note, "2 assumed") {
			t.Errorf("the note does not say what the instance assumes: %q", in.Note)
		}
	}
}

func TestAllocationCSVErrors(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		body string
		line int
	}{
		{"id,lower,upper,size\n0,0,4,10\n1,5,x,3\n", 3},
		{"id,lower,upper,size\n0,4,4,10\n", 2},
		{"a,b,c\n", 1},
		{"id,lower,upper,size,uses\n0,0,4,10,0\n", 2},
	} {
		p := filepath.Join(dir, "bad.csv")
		os.WriteFile(p, []byte(c.body), 0o644)
		_, err := datasets.ReadAllocationCSV(p, 0.5, malloc.DefaultModel)
		var ce *datasets.CSVError
		if !errors.As(err, &ce) || ce.Line != c.line {
			t.Errorf("%q: %v, want an error on line %d", c.body, err, c.line)
		}
	}
}

func TestSyntheticRoundTrip(t *testing.T) {
	a := datasets.SyntheticWorkload(rand.New(rand.NewPCG(4, 4)), 60)
	b := datasets.SyntheticWorkload(rand.New(rand.NewPCG(4, 4)), 60)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed, different workloads")
	}
	p := filepath.Join(t.TempDir(), "w.csv")
	if err := datasets.WriteAllocationCSV(p, a); err != nil {
		t.Fatal(err)
	}
	in, err := datasets.ReadAllocationCSV(p, 0.25, malloc.DefaultModel)
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range in.Buffers {
		if x.Start != a[i].Start || x.End != a[i].End || x.Size != a[i].Size || x.Uses != a[i].Uses {
			t.Fatalf("buffer %d: %+v, wrote %+v", i, x, a[i])
		}
	}
}

// tinyONNX builds a model by hand: x[1,3,8,8] -> Conv(4 filters, 3x3,
// pad 1) -> Relu -> MaxPool(2x2, stride 2) -> y, plus an op named bad when set.
func tinyONNX(bad string) []byte {
	str := func(b []byte, num protowire.Number, s string) []byte {
		b = protowire.AppendTag(b, num, protowire.BytesType)
		return protowire.AppendString(b, s)
	}
	msg := func(b []byte, num protowire.Number, m []byte) []byte {
		b = protowire.AppendTag(b, num, protowire.BytesType)
		return protowire.AppendBytes(b, m)
	}
	ints := func(name string, v ...int64) []byte {
		a := str(nil, 1, name)
		for _, x := range v {
			a = protowire.AppendTag(a, 8, protowire.VarintType)
			a = protowire.AppendVarint(a, uint64(x))
		}
		return a
	}
	node := func(op string, in, out []string, attrs ...[]byte) []byte {
		var n []byte
		for _, s := range in {
			n = str(n, 1, s)
		}
		for _, s := range out {
			n = str(n, 2, s)
		}
		n = str(n, 4, op)
		for _, a := range attrs {
			n = msg(n, 5, a)
		}
		return n
	}
	var w []byte // initializer W [4,3,3,3]
	for _, d := range []int64{4, 3, 3, 3} {
		w = protowire.AppendTag(w, 1, protowire.VarintType)
		w = protowire.AppendVarint(w, uint64(d))
	}
	w = protowire.AppendTag(w, 2, protowire.VarintType)
	w = protowire.AppendVarint(w, 1)
	w = str(w, 8, "W")
	var shape []byte
	for _, d := range []int64{1, 3, 8, 8} {
		var dim []byte
		dim = protowire.AppendTag(dim, 1, protowire.VarintType)
		dim = protowire.AppendVarint(dim, uint64(d))
		shape = msg(shape, 1, dim)
	}
	var tt []byte
	tt = protowire.AppendTag(tt, 1, protowire.VarintType)
	tt = protowire.AppendVarint(tt, 1)
	tt = msg(tt, 2, shape)
	vi := msg(str(nil, 1, "x"), 2, msg(nil, 1, tt))
	var g []byte
	g = msg(g, 1, node("Conv", []string{"x", "W"}, []string{"c"}, ints("kernel_shape", 3, 3), ints("pads", 1, 1, 1, 1)))
	g = msg(g, 1, node("Relu", []string{"c"}, []string{"r"}))
	last := "r"
	if bad != "" {
		g = msg(g, 1, node(bad, []string{"r"}, []string{"b"}))
		last = "b"
	}
	g = msg(g, 1, node("MaxPool", []string{last}, []string{"y"}, ints("kernel_shape", 2, 2), ints("strides", 2, 2)))
	g = msg(g, 5, w)
	g = msg(g, 11, vi)
	g = msg(g, 12, str(nil, 1, "y"))
	return msg(nil, 7, g)
}

func TestONNXByHand(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "tiny.onnx")
	os.WriteFile(p, tinyONNX(""), 0o644)
	bufs, err := datasets.ReadONNX(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	// c: 1x4x8x8 floats live [0, 2); r: same, [1, 3); y: 1x4x4x4, an output, [2, 4).
	want := []malloc.Buffer{
		{ID: 0, Start: 0, End: 2, Size: 4 * 64 * 4, Uses: 2},
		{ID: 1, Start: 1, End: 3, Size: 4 * 64 * 4, Uses: 2},
		{ID: 2, Start: 2, End: 4, Size: 4 * 16 * 4, Uses: 1},
	}
	if !reflect.DeepEqual(bufs, want) {
		t.Errorf("buffers %+v, want %+v", bufs, want)
	}
	os.WriteFile(p, tinyONNX("FancyOp"), 0o644)
	if _, err := datasets.ReadONNX(p, nil); err == nil || !strings.Contains(err.Error(), `"FancyOp"`) {
		t.Errorf("unsupported operator: %v", err)
	}
	os.WriteFile(p, []byte("\xff\xff\xff garbage"), 0o644)
	if _, err := datasets.ReadONNX(p, nil); !errors.Is(err, datasets.ErrONNX) {
		t.Errorf("garbage: %v", err)
	}
}

// TestRealONNXModel turns the PP-OCRv4 text detector into a workload when
// `make onnx` has fetched it (CORL_ONNX_MODEL or third_party/onnx).
func TestRealONNXModel(t *testing.T) {
	p := os.Getenv("CORL_ONNX_MODEL")
	if p == "" {
		p = filepath.Join("..", "third_party", "onnx", "ch_PP-OCRv4_det_infer.onnx")
	}
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CORL_REQUIRE_ONNX") == "1" {
			t.Fatalf("no ONNX model at %s", p)
		}
		t.Skip("no ONNX model fetched (make onnx)")
	}
	if _, err := datasets.ReadONNX(p, nil); err == nil || !strings.Contains(err.Error(), "input-shape") {
		t.Errorf("symbolic input without a shape: %v", err)
	}
	bufs, err := datasets.ReadONNX(p, []int64{1, 3, 640, 640})
	if err != nil {
		t.Fatal(err)
	}
	if len(bufs) < 100 {
		t.Fatalf("%d buffers", len(bufs))
	}
	in := &malloc.Instance{Name: "det", Buffers: bufs, Alignment: 64}
	for i := range in.Buffers {
		in.Buffers[i].Benefit = malloc.DefaultModel.Benefit(in.Buffers[i].Size, in.Buffers[i].Uses)
	}
	in.Capacity = in.PeakLive() / 4
	for _, name := range []string{"xla", "firstfit", "random"} {
		r, err := malloc.RunBaseline(t.Context(), in, name, 1, malloc.MIPConfig{})
		if err != nil {
			t.Fatal(err)
		}
		if r.Fraction <= 0 || r.Fraction > 1 {
			t.Errorf("%s: fraction %v", name, r.Fraction)
		}
		t.Logf("%s: %.3f of the benefit", name, r.Fraction)
	}
}
