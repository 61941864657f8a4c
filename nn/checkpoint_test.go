package nn_test

import (
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/nlpodyssey/safetensors"

	"github.com/corl-go/corl/nn"
)

func testGCNN(t *testing.T, seed uint64) *nn.GCNN {
	t.Helper()
	g, err := nn.NewGCNN(nn.CPU(), rand.New(rand.NewPCG(seed, 1)), nn.GCNNConfig{VarFeatures: 19, ConsFeatures: 5, EdgeFeatures: 1, Dim: 16})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// randomGraph returns a random bipartite graph with the given sizes.
func randomGraph(b nn.Backend, r *rand.Rand, nv, nc, fv, fc int, density float64) *nn.Bipartite {
	randn := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(r.NormFloat64())
		}
		return v
	}
	var ci, vi []int32
	for c := range nc {
		for v := range nv {
			if r.Float64() < density {
				ci, vi = append(ci, int32(c)), append(vi, int32(v))
			}
		}
	}
	return &nn.Bipartite{
		Vars: nn.From(b, randn(nv*fv), nv, fv), Cons: nn.From(b, randn(nc*fc), nc, fc),
		Edges:   nn.From(b, randn(len(ci)), len(ci), 1),
		ConsIdx: nn.NewIndex(b, ci), VarIdx: nn.NewIndex(b, vi),
	}
}

func TestCheckpointRoundTripBitIdentical(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gcnn.safetensors")
	g := testGCNN(t, 1)
	graph := randomGraph(nn.CPU(), rand.New(rand.NewPCG(2, 2)), 30, 12, 19, 5, 0.3)
	want := g.Forward(graph).Data()
	if err := nn.Save(path, g.Params(), "gcnn", g.Config); err != nil {
		t.Fatal(err)
	}
	c, err := nn.ReadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	var cfg nn.GCNNConfig
	if err := c.Config(&cfg); err != nil || c.Arch() != "gcnn" || cfg != g.Config {
		t.Fatalf("metadata: arch %q config %+v (%v), want gcnn %+v", c.Arch(), cfg, err, g.Config)
	}
	h := testGCNN(t, 99) // different initial weights
	if slices.Equal(h.Forward(graph).Data(), want) {
		t.Fatal("differently seeded network gives the same output")
	}
	if err := c.LoadInto(h.Params()); err != nil {
		t.Fatal(err)
	}
	got := h.Forward(graph).Data()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("output %d: %x after reload, %x before", i, math.Float32bits(got[i]), math.Float32bits(want[i]))
		}
	}
}

func mlp(t *testing.T, sizes ...int) *nn.MLP {
	m, err := nn.NewMLP(nn.CPU(), rand.New(rand.NewPCG(1, 1)), nn.MLPConfig{Sizes: sizes})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestCheckpointRejectsCorruptFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	m := mlp(t, 3, 4, 2)
	if err := nn.Save(path, m.Params(), "mlp", m.Config); err != nil {
		t.Fatal(err)
	}
	good, _ := os.ReadFile(path)
	hl := int(binary.LittleEndian.Uint64(good))
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	flip := func(at int) []byte {
		b := slices.Clone(good)
		b[at] ^= 0x40
		return b
	}
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "shorter than the 8-byte header length"},
		{"truncated header", good[:8+hl/2], "does not fit"},
		{"truncated data", good[:len(good)-5], "outside the"},
		{"flipped data bit", flip(len(good) - 3), "checksum mismatch"},
		{"broken JSON", flip(8 + 1), "header"},
		{"huge header length", append(binary.LittleEndian.AppendUint64(nil, 1<<40), good[8:]...), "does not fit"},
		{"extra bytes", append(slices.Clone(good), 0, 0, 0, 0), "cover"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := write(strings.ReplaceAll(c.name, " ", "_"), c.data)
			_, err := nn.Load(p, mlp(t, 3, 4, 2).Params())
			var ce *nn.CheckpointError
			if !errors.As(err, &ce) || !errors.Is(err, nn.ErrCheckpoint) || ce.File != p {
				t.Fatalf("got %v, want a *CheckpointError for %s wrapping ErrCheckpoint", err, p)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
		})
	}
	// Every truncation is rejected.
	for n := 0; n < len(good); n += 7 {
		if _, err := nn.ReadCheckpoint(write("cut", good[:n])); err == nil {
			t.Fatalf("truncated to %d of %d bytes: accepted", n, len(good))
		}
	}
}

func TestCheckpointMismatch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.safetensors")
	m := mlp(t, 3, 4, 2)
	if err := nn.Save(path, m.Params(), "mlp", m.Config); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name  string
		model *nn.MLP
		field string
		want  string
	}{
		{"wrong shape", mlp(t, 3, 5, 2), "layers.0.weight", "shape [4 3], the model needs [5 3]"},
		{"missing tensor", mlp(t, 3, 4, 2, 2), "layers.2.weight", "missing"},
		{"extra tensor", mlp(t, 3, 4), "layers.1.bias", "not in the model"},
	} {
		t.Run(c.name, func(t *testing.T) {
			before := c.model.Layers[0].Weight.Data()
			_, err := nn.Load(path, c.model.Params())
			var ce *nn.CheckpointError
			if !errors.As(err, &ce) || !errors.Is(err, nn.ErrMismatch) {
				t.Fatalf("got %v, want ErrMismatch", err)
			}
			if ce.Field != c.field || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q (field %q), want field %q saying %q", err, ce.Field, c.field, c.want)
			}
			if !slices.Equal(before, c.model.Layers[0].Weight.Data()) {
				t.Error("a rejected checkpoint changed the model")
			}
		})
	}
}

// TestCheckpointInterop reads our files with an independent safetensors
// implementation and loads one it wrote (no corl metadata, F16 rejected).
func TestCheckpointInterop(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	m := mlp(t, 3, 4, 2)
	if err := nn.Save(path, m.Params(), "mlp", m.Config); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	st, err := safetensors.Deserialize(raw)
	if err != nil {
		t.Fatalf("independent reader: %v", err)
	}
	for _, p := range m.Params() {
		tv, ok := st.Tensor(p.Name)
		if !ok || tv.DType() != safetensors.F32 {
			t.Fatalf("%s: missing or not F32 for the independent reader", p.Name)
		}
		want := p.Value.Data()
		for i := range want {
			if got := math.Float32frombits(binary.LittleEndian.Uint32(tv.Data()[4*i:])); got != want[i] {
				t.Fatalf("%s[%d] = %g, want %g", p.Name, i, got, want[i])
			}
		}
	}

	// A file written by the other implementation loads into our model.
	views := map[string]safetensors.TensorView{}
	for _, p := range m.Params() {
		var data []byte
		for _, v := range p.Value.Data() {
			data = binary.LittleEndian.AppendUint32(data, math.Float32bits(2*v))
		}
		shape := make([]uint64, p.Value.Rank())
		for i, d := range p.Value.Shape() {
			shape[i] = uint64(d)
		}
		tv, err := safetensors.NewTensorView(safetensors.F32, shape, data)
		if err != nil {
			t.Fatal(err)
		}
		views[p.Name] = tv
	}
	other, err := safetensors.Serialize(views, map[string]string{"format": "pt"})
	if err != nil {
		t.Fatal(err)
	}
	op := filepath.Join(dir, "other.safetensors")
	os.WriteFile(op, other, 0o644)
	n := mlp(t, 3, 4, 2)
	if _, err := nn.Load(op, n.Params()); err != nil {
		t.Fatal(err)
	}
	if got, want := n.Layers[1].Bias.Data()[1], 2*m.Layers[1].Bias.Data()[1]; got != want {
		t.Fatalf("loaded %g, want %g", got, want)
	}

	half, _ := safetensors.NewTensorView(safetensors.F16, []uint64{4}, make([]byte, 8))
	views["layers.0.bias"] = half
	other, _ = safetensors.Serialize(views, nil)
	os.WriteFile(op, other, 0o644)
	if _, err := nn.Load(op, n.Params()); !errors.Is(err, nn.ErrMismatch) || !strings.Contains(err.Error(), "F16") {
		t.Fatalf("F16 tensor: got %v, want a dtype mismatch", err)
	}
}

// TestSaveKeepsOldFileOnError checks that a failed Save leaves the
// previous checkpoint in place.
func TestSaveKeepsOldFileOnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.safetensors")
	m := mlp(t, 3, 4, 2)
	if err := nn.Save(path, m.Params(), "mlp", m.Config); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)
	ps := append(m.Params(), m.Params()[0]) // repeated name
	if err := nn.Save(path, ps, "mlp", m.Config); err == nil {
		t.Fatal("repeated parameter name accepted")
	}
	if err := nn.Save(path, m.Params(), "mlp", func() {}); err == nil {
		t.Fatal("unmarshalable config accepted")
	}
	after, _ := os.ReadFile(path)
	if !slices.Equal(before, after) {
		t.Fatal("failed Save changed the existing checkpoint")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Fatalf("temporary files left behind: %v", entries)
	}
}

func FuzzReadCheckpoint(f *testing.F) {
	dir := f.TempDir()
	path := filepath.Join(dir, "m.safetensors")
	m, _ := nn.NewMLP(nn.CPU(), rand.New(rand.NewPCG(1, 1)), nn.MLPConfig{Sizes: []int{2, 3, 1}})
	if err := nn.Save(path, m.Params(), "mlp", m.Config); err != nil {
		f.Fatal(err)
	}
	good, _ := os.ReadFile(path)
	f.Add(good)
	f.Add(good[:20])
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := nn.ParseCheckpoint("fuzz", data)
		if err != nil {
			return
		}
		n, _ := nn.NewMLP(nn.CPU(), rand.New(rand.NewPCG(1, 1)), nn.MLPConfig{Sizes: []int{2, 3, 1}})
		_ = c.LoadInto(n.Params()) // may mismatch, must not panic
	})
}
