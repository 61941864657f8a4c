package nn

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"sort"

	"github.com/corl-go/corl/internal/atomicfile"
)

// Checkpoints are safetensors files: an 8-byte little-endian header
// length, a JSON header mapping each tensor name to its dtype, shape and
// byte range, then the raw little-endian data. PyTorch, JAX and the
// safetensors libraries read them as they are. The header's
// "__metadata__" map carries:
//
//	format       "pt", so PyTorch's loaders accept the file
//	corl.arch    the architecture name (for example "mlp", "gcnn")
//	corl.config  the architecture config as JSON
//	corl.sha256  the SHA-256 of the data section, checked on load
const (
	MetaArch   = "corl.arch"
	MetaConfig = "corl.config"
	MetaSHA256 = "corl.sha256"

	maxHeader = 100 << 20
)

// TensorInfo is one tensor's header entry.
type TensorInfo struct {
	DType   string `json:"dtype"`
	Shape   []int  `json:"shape"`
	Offsets [2]int `json:"data_offsets"`
}

// Checkpoint is a parsed, validated safetensors file.
type Checkpoint struct {
	File     string
	Metadata map[string]string
	Tensors  map[string]TensorInfo
	data     []byte
}

// Arch returns the architecture name recorded at save time.
func (c *Checkpoint) Arch() string { return c.Metadata[MetaArch] }

// Config decodes the recorded architecture config into v.
func (c *Checkpoint) Config(v any) error {
	raw, ok := c.Metadata[MetaConfig]
	if !ok {
		return &CheckpointError{File: c.File, Field: MetaConfig, Err: fmt.Errorf("%w: no architecture config", ErrCheckpoint)}
	}
	if err := json.Unmarshal([]byte(raw), v); err != nil {
		return &CheckpointError{File: c.File, Field: MetaConfig, Err: fmt.Errorf("%w: %v", ErrCheckpoint, err)}
	}
	return nil
}

// Save writes the parameters to path as a safetensors file, with the
// architecture name and config (marshalled to JSON) in its metadata. The
// file appears whole or not at all; an existing file is replaced only by a
// complete one.
func Save(path string, ps []Param, arch string, config any) error {
	names := map[string]bool{}
	header := map[string]any{}
	var data bytes.Buffer
	sorted := slices.Clone(ps)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Name < sorted[j].Name })
	var buf []byte
	for _, p := range sorted {
		if p.Name == "" || p.Name == "__metadata__" || names[p.Name] {
			return fmt.Errorf("nn: Save %s: bad or repeated parameter name %q", path, p.Name)
		}
		names[p.Name] = true
		vals := p.Value.Data()
		begin := data.Len()
		buf = slices.Grow(buf[:0], 4*len(vals))[:4*len(vals)]
		for i, v := range vals {
			binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
		}
		data.Write(buf)
		header[p.Name] = TensorInfo{DType: "F32", Shape: p.Value.Shape(), Offsets: [2]int{begin, data.Len()}}
	}
	meta := map[string]string{"format": "pt", MetaArch: arch}
	if config != nil {
		cfg, err := json.Marshal(config)
		if err != nil {
			return fmt.Errorf("nn: Save %s: config: %w", path, err)
		}
		meta[MetaConfig] = string(cfg)
	}
	sum := sha256.Sum256(data.Bytes())
	meta[MetaSHA256] = hex.EncodeToString(sum[:])
	header["__metadata__"] = meta
	hj, err := json.Marshal(header)
	if err != nil {
		return fmt.Errorf("nn: Save %s: %w", path, err)
	}
	for len(hj)%8 != 0 { // the format aligns the data section to 8 bytes
		hj = append(hj, ' ')
	}
	f, err := atomicfile.Create(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	var n [8]byte
	binary.LittleEndian.PutUint64(n[:], uint64(len(hj)))
	for _, b := range [][]byte{n[:], hj, data.Bytes()} {
		if _, err := f.Write(b); err != nil {
			return err
		}
	}
	return f.Commit()
}

// ReadCheckpoint reads and validates a safetensors file: header length,
// JSON header (no repeated names), dtypes, shapes, byte ranges that tile
// the data section exactly, and the data checksum when recorded. Every
// error is a *CheckpointError naming the file and the field at fault.
func ReadCheckpoint(path string) (*Checkpoint, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseCheckpoint(path, raw)
}

// ParseCheckpoint validates a safetensors file held in memory (an embedded
// checkpoint, say); name stands for the file in errors. The checkpoint
// keeps a reference to raw.
func ParseCheckpoint(name string, raw []byte) (*Checkpoint, error) {
	path := name
	bad := func(field, format string, args ...any) error {
		return &CheckpointError{File: path, Field: field, Err: fmt.Errorf("%w: "+format, append([]any{ErrCheckpoint}, args...)...)}
	}
	if len(raw) < 8 {
		return nil, bad("", "%d bytes, shorter than the 8-byte header length (truncated?)", len(raw))
	}
	hl := binary.LittleEndian.Uint64(raw)
	if hl > maxHeader || hl > uint64(len(raw)-8) {
		return nil, bad("", "header length %d does not fit in the file's %d bytes (truncated or not a safetensors file)", hl, len(raw))
	}
	hdr := raw[8 : 8+hl]
	if len(bytes.TrimSpace(hdr)) == 0 || bytes.TrimSpace(hdr)[0] != '{' {
		return nil, bad("", "header is not a JSON object")
	}
	keys, err := objectKeys(hdr)
	if err != nil {
		return nil, bad("", "header: %v", err)
	}
	var entries map[string]json.RawMessage
	if err := json.Unmarshal(hdr, &entries); err != nil {
		return nil, bad("", "header: %v", err)
	}
	c := &Checkpoint{File: path, Metadata: map[string]string{}, Tensors: map[string]TensorInfo{}, data: raw[8+hl:]}
	type span struct {
		name       string
		begin, end int
	}
	var spans []span
	for _, k := range keys {
		if k == "__metadata__" {
			if err := json.Unmarshal(entries[k], &c.Metadata); err != nil {
				return nil, bad(k, "metadata must map strings to strings: %v", err)
			}
			continue
		}
		var ti TensorInfo
		dec := json.NewDecoder(bytes.NewReader(entries[k]))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ti); err != nil {
			return nil, bad(k, "%v", err)
		}
		size, ok := dtypeSize[ti.DType]
		if !ok {
			return nil, bad(k, "unknown dtype %q", ti.DType)
		}
		n := 1
		for _, d := range ti.Shape {
			if d < 0 {
				return nil, bad(k, "negative dimension in shape %v", ti.Shape)
			}
			n *= d
		}
		b, e := ti.Offsets[0], ti.Offsets[1]
		if b < 0 || e < b || e > len(c.data) {
			return nil, bad(k, "byte range [%d,%d) outside the %d-byte data section (truncated?)", b, e, len(c.data))
		}
		if e-b != n*size {
			return nil, bad(k, "byte range of %d bytes for shape %v of %s (%d bytes)", e-b, ti.Shape, ti.DType, n*size)
		}
		c.Tensors[k] = ti
		spans = append(spans, span{k, b, e})
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].begin < spans[j].begin })
	at := 0
	for _, s := range spans {
		if s.begin != at {
			return nil, bad(s.name, "data starts at byte %d, expected %d (overlap or hole)", s.begin, at)
		}
		at = s.end
	}
	if at != len(c.data) {
		return nil, bad("", "tensors cover %d bytes of a %d-byte data section", at, len(c.data))
	}
	if want, ok := c.Metadata[MetaSHA256]; ok {
		sum := sha256.Sum256(c.data)
		if hex.EncodeToString(sum[:]) != want {
			return nil, bad(MetaSHA256, "data checksum mismatch: the file is corrupt")
		}
	}
	return c, nil
}

var dtypeSize = map[string]int{
	"BOOL": 1, "U8": 1, "I8": 1, "F8_E4M3": 1, "F8_E5M2": 1,
	"I16": 2, "U16": 2, "F16": 2, "BF16": 2,
	"I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8,
}

// objectKeys returns the top-level keys of a JSON object in order,
// rejecting repeated keys (encoding/json would silently keep the last).
func objectKeys(b []byte) ([]string, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	var keys []string
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		k, _ := tok.(string)
		if seen[k] {
			return nil, fmt.Errorf("tensor %q appears twice", k)
		}
		seen[k] = true
		keys = append(keys, k)
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, err
		}
	}
	if _, err := dec.Token(); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return keys, nil
}

// LoadInto copies the checkpoint's tensors into the parameters. The names
// must match exactly (no tensor missing or left over) and each tensor must
// be F32 of the parameter's shape; otherwise nothing is changed and the
// error (wrapping ErrMismatch) names the first tensor at fault.
func (c *Checkpoint) LoadInto(ps []Param) error {
	bad := func(field, format string, args ...any) error {
		return &CheckpointError{File: c.File, Field: field, Err: fmt.Errorf("%w: "+format, append([]any{ErrMismatch}, args...)...)}
	}
	want := map[string]bool{}
	for _, p := range ps {
		want[p.Name] = true
		ti, ok := c.Tensors[p.Name]
		if !ok {
			return bad(p.Name, "missing from the checkpoint")
		}
		if ti.DType != "F32" {
			return bad(p.Name, "dtype %s, the model needs F32", ti.DType)
		}
		if !slices.Equal(ti.Shape, p.Value.shape) {
			return bad(p.Name, "shape %v, the model needs %v", ti.Shape, p.Value.shape)
		}
	}
	names := make([]string, 0, len(c.Tensors))
	for name := range c.Tensors {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if !want[name] {
			return bad(name, "in the checkpoint but not in the model")
		}
	}
	var vals []float32
	for _, p := range ps {
		ti := c.Tensors[p.Name]
		b := c.data[ti.Offsets[0]:ti.Offsets[1]]
		vals = slices.Grow(vals[:0], len(b)/4)[:len(b)/4]
		for i := range vals {
			vals[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
		p.Value.Set(vals)
	}
	return nil
}

// Load reads path and copies its tensors into the parameters (see
// ReadCheckpoint and LoadInto).
func Load(path string, ps []Param) (*Checkpoint, error) {
	c, err := ReadCheckpoint(path)
	if err != nil {
		return nil, err
	}
	return c, c.LoadInto(ps)
}
