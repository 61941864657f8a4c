package trace_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/corl-go/corl/trace"
)

func sample(n int) []trace.Step {
	var rows []trace.Step
	for k := range n {
		s := trace.Step{
			Run: "run-1", Env: "milp", Policy: "relpscost", Instance: "inst-" + string(rune('a'+k%3)),
			Episode: int64(k % 3), Step: int64(k), Action: int64(10 + k), Reward: float64(k) * 0.5,
			Done: k%7 == 6, Seconds: 0.001 * float64(k),
			Nodes: trace.Int(int64(k + 1)), LPIterations: trace.Int(int64(3 * k)),
		}
		if k%2 == 0 {
			s.Node, s.Depth, s.Candidates = trace.Int(int64(k)), trace.Int(int64(k/2)), trace.Int(5)
		}
		rows = append(rows, s)
	}
	return rows
}

func TestWriteRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.parquet")
	w, err := trace.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	want := sample(50)
	if err := w.Write(want[:20]...); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(want[20:]...); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the trace appears before Close: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := trace.Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d rows, want %d", len(got), len(want))
	}
	for k := range want {
		g, w := got[k], want[k]
		if g.Run != w.Run || g.Instance != w.Instance || g.Step != w.Step || g.Reward != w.Reward || g.Done != w.Done ||
			*g.Nodes != *w.Nodes || (g.Node == nil) != (w.Node == nil) || (g.Node != nil && *g.Node != *w.Node) {
			t.Fatalf("row %d: %+v, want %+v", k, g, w)
		}
	}
}

// TestArrowReadsIt opens a trace with Apache Arrow's Parquet reader, an
// independent implementation of the format.
func TestArrowReadsIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.parquet")
	w, _ := trace.Create(path)
	rows := sample(30)
	w.Write(rows...)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	rdr, err := file.OpenParquetFile(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer rdr.Close()
	fr, err := pqarrow.NewFileReader(rdr, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	if tbl.NumRows() != int64(len(rows)) {
		t.Fatalf("arrow sees %d rows, want %d", tbl.NumRows(), len(rows))
	}
	fields := map[string]int{}
	for i, f := range tbl.Schema().Fields() {
		fields[f.Name] = i
	}
	for _, name := range []string{"run", "instance", "episode", "step", "action", "reward", "done", "seconds", "nodes", "node", "depth", "candidates"} {
		if _, ok := fields[name]; !ok {
			t.Errorf("arrow finds no column %q", name)
		}
	}
	reward := tbl.Column(fields["reward"]).Data().Chunk(0).(*array.Float64)
	node := tbl.Column(fields["node"]).Data().Chunk(0).(*array.Int64)
	for k, r := range rows {
		if reward.Value(k) != r.Reward {
			t.Fatalf("row %d: arrow reads reward %v, want %v", k, reward.Value(k), r.Reward)
		}
		if node.IsNull(k) != (r.Node == nil) || (r.Node != nil && node.Value(k) != *r.Node) {
			t.Fatalf("row %d: arrow reads node null=%v", k, node.IsNull(k))
		}
	}
}

func TestSummary(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.parquet")
	w, _ := trace.Create(path)
	w.Write(sample(30)...)
	w.Close()
	s, err := trace.Summarize(path)
	if err != nil {
		t.Fatal(err)
	}
	if s.Rows != 30 || s.Episodes != 3 {
		t.Errorf("rows %d, episodes %d; want 30, 3", s.Rows, s.Episodes)
	}
	for _, c := range s.Columns {
		switch c.Name {
		case "step":
			if c.Min != 0 || c.Max != 29 || c.Mean != 14.5 || c.Count != 30 {
				t.Errorf("step: %+v", c)
			}
		case "node":
			if c.Nulls != 15 || c.Count != 15 {
				t.Errorf("node: %+v", c)
			}
		case "instance":
			if c.Distinct != 3 {
				t.Errorf("instance: %d distinct", c.Distinct)
			}
		case "done":
			if c.True != 4 {
				t.Errorf("done: %d true", c.True)
			}
		}
	}
}

func TestBadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.parquet")
	os.WriteFile(path, []byte("not parquet at all"), 0o644)
	if _, err := trace.Summarize(path); err == nil {
		t.Error("garbage summarised")
	}
	if _, err := trace.Read(path); err == nil {
		t.Error("garbage read")
	}
}

func TestAbortKeepsOldFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.parquet")
	os.WriteFile(path, []byte("old"), 0o644)
	w, _ := trace.Create(path)
	w.Write(sample(3)...)
	w.Abort()
	if b, _ := os.ReadFile(path); string(b) != "old" {
		t.Errorf("aborted trace replaced the old file")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("temporary files left: %d entries", len(entries))
	}
}
