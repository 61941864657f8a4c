package revibranch

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/corl-go/corl/envs/milp"
)

// FuzzReadShard: any bytes give a shard or an error, never a panic or a
// huge allocation.
func FuzzReadShard(f *testing.F) {
	g := &Graph{NumCols: 2, NumRows: 1, EdgeRow: []int32{0, 0}, EdgeCol: []int32{0, 1}, EdgeValue: []float32{1, 2}}
	x := Sample{Graph: g, Candidates: []int32{1}, Scores: []float32{2}, ColFeat: make([]float32, 2*milp.NumColFeatures), RowFeat: make([]float32, milp.NumRowFeatures)}
	path := filepath.Join(f.TempDir(), "seed.bin.gz")
	if err := WriteShard(path, &Shard{Instance: "a", Graph: g, Samples: []Sample{x, x}}); err != nil {
		f.Fatal(err)
	}
	seed, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	// Fuzz the decompressed stream (gzip's checksum would stop most
	// mutations at the door).
	zr, err := gzip.NewReader(bytes.NewReader(seed))
	if err != nil {
		f.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(raw)
	f.Add(raw[:len(raw)/2])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		zw.Write(b)
		zw.Close()
		sh, err := readShard(&z)
		if err == nil && sh.Graph == nil {
			t.Fatal("a shard without a graph")
		}
	})
}
