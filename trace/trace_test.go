package trace_test

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
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
		if !reflect.DeepEqual(got[k], want[k]) {
			t.Fatalf("row %d: %+v, want %+v", k, got[k], want[k])
		}
	}
}

// writeTrace writes rows to a new trace at path.
func writeTrace(t testing.TB, path string, rows []trace.Step) {
	t.Helper()
	w, err := trace.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rows...); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestArrowReadsIt opens a trace with Apache Arrow's Parquet reader, an
// independent implementation of the format.
func TestArrowReadsIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.parquet")
	rows := sample(30)
	writeTrace(t, path, rows)
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
	writeTrace(t, path, sample(30))
	s, err := trace.Summarize(path)
	if err != nil {
		t.Fatal(err)
	}
	if s.Rows != 30 || s.Episodes != 3 {
		t.Errorf("rows %d, episodes %d; want 30, 3", s.Rows, s.Episodes)
	}
	column := func(name string) trace.ColumnSummary {
		t.Helper()
		for _, c := range s.Columns {
			if c.Name == name {
				return c
			}
		}
		t.Fatalf("no column %q in the summary: %+v", name, s.Columns)
		return trace.ColumnSummary{}
	}
	// sample(30): steps 0..29, a node on even steps, instances a, b, c,
	// done on steps 6, 13, 20 and 27.
	if c := column("step"); c.Min != 0 || c.Max != 29 || c.Mean != 14.5 || c.Count != 30 || c.Nulls != 0 {
		t.Errorf("step: %+v", c)
	}
	if c := column("node"); c.Nulls != 15 || c.Count != 15 || c.Min != 0 || c.Max != 28 {
		t.Errorf("node: %+v", c)
	}
	if c := column("instance"); c.Distinct != 3 || c.Count != 30 {
		t.Errorf("instance: %+v", c)
	}
	if c := column("done"); c.True != 4 || c.Count != 30 {
		t.Errorf("done: %+v", c)
	}
}

func TestBadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.parquet")
	if err := os.WriteFile(path, []byte("not parquet at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := trace.Summarize(path); err == nil {
		t.Error("garbage summarised")
	}
	if _, err := trace.Read(path); err == nil {
		t.Error("garbage read")
	}
}

// TestDamagedFooter: a footer length damaged to claim gigabytes is an
// ErrCorrupt error, found before anything of that size is allocated.
func TestDamagedFooter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.parquet")
	writeTrace(t, path, sample(5))
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	copy(b[len(b)-8:], []byte{0xf0, 0xff, 0xff, 0x7f}) // 2 GB
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, errSummary := trace.Summarize(path)
	_, errRead := trace.Read(path)
	runtime.ReadMemStats(&after)
	if !errors.Is(errSummary, trace.ErrCorrupt) || !errors.Is(errRead, trace.ErrCorrupt) {
		t.Errorf("summary: %v; read: %v; want ErrCorrupt", errSummary, errRead)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 64<<20 {
		t.Errorf("reading a damaged footer allocated %d MB", n>>20)
	}
}

func TestAbortKeepsOldFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.parquet")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	w, err := trace.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(sample(3)...); err != nil {
		t.Fatal(err)
	}
	w.Abort()
	if b, err := os.ReadFile(path); err != nil || string(b) != "old" {
		t.Errorf("aborted trace replaced the old file: %q, %v", b, err)
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil || len(entries) != 1 {
		t.Errorf("temporary files left: %d entries, %v", len(entries), err)
	}
}

// sameRows compares rows field by field, NaN equal to NaN and pointers by
// what they point to.
func sameRows[T any](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	var same func(x, y reflect.Value) bool
	same = func(x, y reflect.Value) bool {
		switch x.Kind() {
		case reflect.Pointer:
			if x.IsNil() || y.IsNil() {
				return x.IsNil() == y.IsNil()
			}
			return same(x.Elem(), y.Elem())
		case reflect.Float64:
			return math.Float64bits(x.Float()) == math.Float64bits(y.Float()) || x.Float() == y.Float()
		case reflect.Struct:
			for i := range x.NumField() {
				if !same(x.Field(i), y.Field(i)) {
					return false
				}
			}
			return true
		}
		return x.Equal(y)
	}
	for i := range a {
		if !same(reflect.ValueOf(a[i]), reflect.ValueOf(b[i])) {
			return false
		}
	}
	return true
}

// roundTrip checks that rows read from a file write and read back the same.
func roundTrip[T any](t *testing.T, dir string, rows []T) {
	w, err := trace.CreateOf[T](filepath.Join(dir, "again.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rows...); err != nil {
		t.Fatalf("rows read from a file do not write: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := trace.ReadOf[T](filepath.Join(dir, "again.parquet"))
	if err != nil {
		t.Fatalf("rows read from a file, written again, do not read: %v", err)
	}
	if !sameRows(rows, again) {
		t.Fatalf("rows change on a round trip:\n%+v\n%+v", rows, again)
	}
}

// FuzzRead feeds the trace readers (steps, results, training rows and the
// summary) arbitrary bytes, starting from real traces of each kind: they
// return an error or rows that survive a round trip, never panic.
func FuzzRead(f *testing.F) {
	dir := f.TempDir()
	file := func(name string, write func(string) error) {
		p := filepath.Join(dir, name)
		if err := write(p); err != nil {
			f.Fatal(err)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	file("steps.parquet", func(p string) error { return writeRows(p, sample(12)) })
	file("results.parquet", func(p string) error {
		return writeRows(p, []trace.Result{
			{Run: "r", Env: "milp", Instance: "a", Policy: "gnn", Seed: 1, Status: "optimal", Objective: 3, Nodes: 7, Seconds: 0.5},
			{Run: "r", Env: "milp", Instance: "b", Policy: "gnn", Seed: 1, Status: "time_limit", Objective: math.NaN(), DualBound: 2, Gap: math.Inf(1)},
		})
	})
	file("train.parquet", func(p string) error {
		return writeRows(p, []trace.Train{
			{Run: "r", Agent: "revibranch", Phase: "train", Epoch: 1, Step: 10, Samples: 640, Loss: 1.5, LR: 1e-3, Top1: trace.Float(0.4)},
			{Run: "r", Agent: "revibranch", Phase: "eval", Epoch: 1, Return: trace.Float(-12)},
		})
	})
	f.Add([]byte("PAR1"))
	f.Add([]byte("PAR1PAR1"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "fuzz.parquet")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		trace.Summarize(p) // an error or a summary, never a panic
		if rows, err := trace.Read(p); err == nil {
			roundTrip(t, dir, rows)
		}
		if rows, err := trace.ReadOf[trace.Result](p); err == nil {
			roundTrip(t, dir, rows)
		}
		if rows, err := trace.ReadOf[trace.Train](p); err == nil {
			roundTrip(t, dir, rows)
		}
	})
}

func writeRows[T any](path string, rows []T) error {
	w, err := trace.CreateOf[T](path)
	if err != nil {
		return err
	}
	if err := w.Write(rows...); err != nil {
		return err
	}
	return w.Close()
}

// TestMarshal: rows encoded in memory decode to the same rows, and read
// back as a file written by WriteFile does; damaged bytes are ErrCorrupt.
func TestMarshal(t *testing.T) {
	want := sample(30)
	b, err := trace.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	got, err := trace.Unmarshal[trace.Step]("mem.parquet", b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Unmarshal(Marshal(rows)) differs from rows")
	}
	path := filepath.Join(t.TempDir(), "t.parquet")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if fromFile, err := trace.Read(path); err != nil || !reflect.DeepEqual(fromFile, want) {
		t.Errorf("the marshalled bytes as a file: %v", err)
	}
	for _, bad := range [][]byte{[]byte("not parquet at all"), b[:len(b)-3]} {
		if _, err := trace.Unmarshal[trace.Step]("bad.parquet", bad); !errors.Is(err, trace.ErrCorrupt) {
			t.Errorf("Unmarshal of %d damaged bytes: %v, want ErrCorrupt", len(bad), err)
		}
	}
}

// TestFileMeta: the key-value metadata WriteFileMeta puts in the footer
// comes back through Meta and, with the rows, through ReadMeta; a file
// written without any has none; a damaged file is ErrCorrupt.
func TestFileMeta(t *testing.T) {
	dir := t.TempDir()
	want := sample(7)
	meta := map[string]string{"corl.test": `{"a":"1"}`, "other": "x"}
	path := filepath.Join(dir, "meta.parquet")
	if err := trace.WriteFileMeta(path, want, meta); err != nil {
		t.Fatal(err)
	}
	got, err := trace.Meta(path)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range meta {
		if got[k] != v {
			t.Errorf("Meta[%q] = %q, want %q", k, got[k], v)
		}
	}
	rows, withRows, err := trace.ReadMeta[trace.Step](path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(rows, want) || !reflect.DeepEqual(withRows, got) {
		t.Errorf("ReadMeta: rows equal %v, metadata %v against Meta's %v", reflect.DeepEqual(rows, want), withRows, got)
	}
	plain := filepath.Join(dir, "plain.parquet")
	if err := trace.WriteFile(plain, want); err != nil {
		t.Fatal(err)
	}
	if m, err := trace.Meta(plain); err != nil || m["corl.test"] != "" {
		t.Errorf("Meta of a file written without metadata: %v, %v", m, err)
	}
	bad := filepath.Join(dir, "bad.parquet")
	if err := os.WriteFile(bad, []byte("not parquet at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := trace.Meta(bad); !errors.Is(err, trace.ErrCorrupt) {
		t.Errorf("Meta of garbage: %v, want ErrCorrupt", err)
	}
	if _, _, err := trace.ReadMeta[trace.Step](bad); !errors.Is(err, trace.ErrCorrupt) {
		t.Errorf("ReadMeta of garbage: %v, want ErrCorrupt", err)
	}
}
