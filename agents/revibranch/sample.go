package revibranch

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/corl-go/corl/envs/milp"
	"github.com/corl-go/corl/internal/atomicfile"
)

// Graph is the static part of an instance's NodeBipartite observation,
// shared by every sample of the instance: the split rows' edges.
type Graph struct {
	NumCols, NumRows int // columns and split rows
	EdgeRow, EdgeCol []int32
	EdgeValue        []float32
}

// Sample is one imitation-learning sample: the node's column and row
// features (row-major, milp.NumColFeatures and milp.NumRowFeatures per
// entry), the branching candidates, the expert's score of each and the
// expert's choice.
type Sample struct {
	Graph      *Graph
	Node       int64
	Depth      int32
	ColFeat    []float32
	RowFeat    []float32
	Candidates []int32   // columns
	Scores     []float32 // the expert's score per candidate
	Expert     int       // index into Candidates of the expert's choice
}

// ShardStats records what a shard cost to collect.
type ShardStats struct {
	Nodes        int64   // nodes of the episode
	SBLPs        int64   // strong-branching LPs solved for the expert
	SBIterations int64   // their simplex iterations
	SBSeconds    float64 // wall time spent in the expert
	Seconds      float64 // wall time of the episode
}

func (s *ShardStats) add(o ShardStats) {
	s.Nodes += o.Nodes
	s.SBLPs += o.SBLPs
	s.SBIterations += o.SBIterations
	s.SBSeconds += o.SBSeconds
	s.Seconds += o.Seconds
}

// Shard is the samples of one collection episode.
type Shard struct {
	Instance string
	Stats    ShardStats
	Graph    *Graph
	Samples  []Sample
}

// The shard file format (gzip-compressed, little-endian):
//
//	magic        "CORLSMP1"
//	colFeatures  uint32 (milp.NumColFeatures when written)
//	rowFeatures  uint32 (milp.NumRowFeatures)
//	instance     uint32 length, then UTF-8 bytes
//	stats        int64 nodes, int64 sbLPs, int64 sbIterations, float64 sbSeconds, float64 seconds
//	graph        uint32 cols, uint32 rows, uint32 edges,
//	             int32 edgeRow[edges], int32 edgeCol[edges], float32 edgeValue[edges]
//	samples      uint32 count, then per sample:
//	             int64 node, int32 depth,
//	             float32 colFeat[cols*colFeatures], float32 rowFeat[rows*rowFeatures],
//	             uint32 candidates, int32 cand[candidates], float32 score[candidates],
//	             uint32 expert (index into cand)
//	end          "END1"
//
// A file is written whole under a temporary name and renamed into place,
// so a shard is either complete or absent.
const shardMagic = "CORLSMP1"

// ErrShard marks a malformed or truncated shard file.
var ErrShard = errors.New("revibranch: bad sample shard")

// WriteShard writes sh to path atomically.
func WriteShard(path string, sh *Shard) error {
	return writeGzip(path, func(bw *bufio.Writer) error { return writeShard(bw, path, sh) })
}

// WriteShardTo writes sh to w in the format of WriteShard's files, for a
// store that is not a local file; name is its name in error messages.
func WriteShardTo(w io.Writer, name string, sh *Shard) error {
	return gzipTo(w, func(bw *bufio.Writer) error { return writeShard(bw, name, sh) })
}

// writeShard writes sh's uncompressed bytes; name is its file's name in
// error messages.
func writeShard(bw *bufio.Writer, name string, sh *Shard) error {
	w := &binWriter{w: bw}
	w.bytes([]byte(shardMagic))
	w.u32(milp.NumColFeatures)
	w.u32(milp.NumRowFeatures)
	w.str(sh.Instance)
	s := sh.Stats
	w.put(s.Nodes, s.SBLPs, s.SBIterations, s.SBSeconds, s.Seconds)
	g := sh.Graph
	w.u32(g.NumCols)
	w.u32(g.NumRows)
	w.u32(len(g.EdgeRow))
	w.put(g.EdgeRow, g.EdgeCol, g.EdgeValue)
	w.u32(len(sh.Samples))
	for i := range sh.Samples {
		x := &sh.Samples[i]
		if len(x.ColFeat) != g.NumCols*milp.NumColFeatures || len(x.RowFeat) != g.NumRows*milp.NumRowFeatures ||
			len(x.Scores) != len(x.Candidates) || x.Expert < 0 || x.Expert >= len(x.Candidates) {
			return fmt.Errorf("revibranch: WriteShard %s: sample %d does not fit its graph", name, i)
		}
		w.put(x.Node, x.Depth, x.ColFeat, x.RowFeat)
		w.u32(len(x.Candidates))
		w.put(x.Candidates, x.Scores)
		w.u32(x.Expert)
	}
	w.bytes([]byte("END1"))
	if w.err != nil {
		return fmt.Errorf("revibranch: WriteShard %s: %w", name, w.err)
	}
	return nil
}

// writeGzip writes path atomically: the gzip compression of what write
// writes (through a buffer); nothing is left at path if it fails.
func writeGzip(path string, write func(*bufio.Writer) error) error {
	f, err := atomicfile.Create(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	if err := gzipTo(f, write); err != nil {
		return err
	}
	return f.Commit()
}

// gzipTo writes to w the gzip compression of what write writes (through
// a buffer).
func gzipTo(w io.Writer, write func(*bufio.Writer) error) error {
	zw := gzip.NewWriter(w)
	bw := bufio.NewWriterSize(zw, 1<<16)
	if err := write(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return zw.Close()
}

// ReadShard reads a shard file. A truncated or malformed file is an error
// wrapping ErrShard that names the file.
func ReadShard(path string) (*Shard, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadShardFrom(f, path)
}

// ReadShardFrom reads a shard from r, as ReadShard reads a file; name is
// its name in error messages.
func ReadShardFrom(r io.Reader, name string) (*Shard, error) {
	sh, err := readShard(r)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrShard, name, err)
	}
	return sh, nil
}

const maxShardCount = 1 << 28 // sanity bound on any count in a shard

func readShard(r io.Reader) (*Shard, error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, err
	}
	br := &binReader{r: bufio.NewReaderSize(zr, 1<<16)}
	magic := make([]byte, len(shardMagic))
	br.get(magic)
	if br.err == nil && string(magic) != shardMagic {
		return nil, errors.New("not a sample shard (bad magic)")
	}
	cf, rf := br.u32(), br.u32()
	if br.err == nil && (cf != milp.NumColFeatures || rf != milp.NumRowFeatures) {
		return nil, fmt.Errorf("written with %d column and %d row features, this build has %d and %d",
			cf, rf, milp.NumColFeatures, milp.NumRowFeatures)
	}
	sh := &Shard{Instance: br.str()}
	s := &sh.Stats
	br.get(&s.Nodes, &s.SBLPs, &s.SBIterations, &s.SBSeconds, &s.Seconds)
	g := &Graph{NumCols: br.u32(), NumRows: br.u32()}
	ne := br.u32()
	g.EdgeRow, g.EdgeCol, g.EdgeValue = readN[int32](br, ne), readN[int32](br, ne), readN[float32](br, ne)
	if br.err != nil {
		return nil, br.err
	}
	for k := range ne {
		if g.EdgeRow[k] < 0 || int(g.EdgeRow[k]) >= g.NumRows || g.EdgeCol[k] < 0 || int(g.EdgeCol[k]) >= g.NumCols {
			return nil, fmt.Errorf("edge %d joins row %d and column %d, outside the %dx%d graph", k, g.EdgeRow[k], g.EdgeCol[k], g.NumRows, g.NumCols)
		}
	}
	sh.Graph = g
	n := br.u32()
	sh.Samples = make([]Sample, 0, min(n, 1<<16))
	for i := 0; i < n && br.err == nil; i++ {
		x := Sample{Graph: g}
		br.get(&x.Node, &x.Depth)
		x.ColFeat = readN[float32](br, g.NumCols*milp.NumColFeatures)
		x.RowFeat = readN[float32](br, g.NumRows*milp.NumRowFeatures)
		nc := br.u32()
		if br.err == nil && (nc == 0 || nc > g.NumCols) {
			return nil, fmt.Errorf("sample %d: %d candidates for %d columns", i, nc, g.NumCols)
		}
		x.Candidates, x.Scores = readN[int32](br, nc), readN[float32](br, nc)
		x.Expert = br.u32()
		if br.err != nil {
			break
		}
		if x.Expert >= nc {
			return nil, fmt.Errorf("sample %d: expert choice %d of %d candidates", i, x.Expert, nc)
		}
		for _, c := range x.Candidates {
			if c < 0 || int(c) >= g.NumCols {
				return nil, fmt.Errorf("sample %d: candidate column %d outside [0,%d)", i, c, g.NumCols)
			}
		}
		sh.Samples = append(sh.Samples, x)
	}
	end := make([]byte, 4)
	br.get(end)
	if br.err != nil {
		return nil, br.err
	}
	if string(end) != "END1" {
		return nil, errors.New("missing end marker")
	}
	// Read to the end of the gzip stream, so its checksum and length are verified.
	if n, err := io.Copy(io.Discard, br.r); err != nil {
		return nil, err
	} else if n > 0 {
		return nil, fmt.Errorf("%d bytes after the end marker", n)
	}
	return sh, nil
}

type binWriter struct {
	w   *bufio.Writer
	err error
}

func (w *binWriter) bytes(b []byte) {
	if w.err == nil {
		_, w.err = w.w.Write(b)
	}
}

func (w *binWriter) u32(v int) {
	if v < 0 || v > math.MaxUint32 {
		w.err = fmt.Errorf("count %d out of range", v)
		return
	}
	w.put(uint32(v))
}

func (w *binWriter) str(s string) {
	w.u32(len(s))
	w.bytes([]byte(s))
}

func (w *binWriter) put(vs ...any) {
	for _, v := range vs {
		if w.err == nil {
			w.err = binary.Write(w.w, binary.LittleEndian, v)
		}
	}
}

type binReader struct {
	r   *bufio.Reader
	err error
}

func (r *binReader) get(vs ...any) {
	for _, v := range vs {
		if r.err != nil {
			return
		}
		if b, ok := v.([]byte); ok {
			_, r.err = io.ReadFull(r.r, b)
		} else {
			r.err = binary.Read(r.r, binary.LittleEndian, v)
		}
		if r.err == io.EOF {
			r.err = io.ErrUnexpectedEOF
		}
	}
}

// readN reads n values, growing the slice as the data arrives: a corrupt
// count fails at the end of the stream instead of allocating first.
func readN[T int32 | float32](r *binReader, n int) []T {
	const chunk = 1 << 14
	out := make([]T, 0, min(n, chunk))
	buf := make([]T, min(n, chunk))
	for len(out) < n && r.err == nil {
		b := buf[:min(chunk, n-len(out))]
		r.get(b)
		out = append(out, b...)
	}
	return out
}

func (r *binReader) u32() int {
	var v uint32
	r.get(&v)
	if r.err == nil && v > maxShardCount {
		r.err = fmt.Errorf("count %d too large", v)
		return 0
	}
	return int(v)
}

func (r *binReader) str() string {
	n := r.u32()
	if r.err != nil || n > 1<<16 {
		if r.err == nil {
			r.err = fmt.Errorf("string of %d bytes", n)
		}
		return ""
	}
	b := make([]byte, n)
	r.get(b)
	return string(b)
}
