package plot

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/corl-go/corl/trace"
)

func writeRows[T any](t testing.TB, path string, rows []T) {
	t.Helper()
	w, err := trace.CreateOf[T](path)
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

func TestReadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	train, results := filepath.Join(dir, "train.parquet"), filepath.Join(dir, "results.parquet")
	writeRows(t, train, syntheticTrain(5))
	writeRows(t, results, tiny)
	rows, err := ReadTrain(train)
	if err != nil || len(rows) != len(syntheticTrain(5)) || rows[1].Top5 == nil {
		t.Fatalf("ReadTrain: %d rows, %v", len(rows), err)
	}
	rs, err := ReadResults(results)
	if err != nil || len(rs) != len(tiny) || rs[2] != tiny[2] {
		t.Fatalf("ReadResults: %v, %v", rs, err)
	}
}

func TestReadManyRows(t *testing.T) {
	// More rows than one batch of the reader, with optional columns that
	// must not alias between batches.
	var want []trace.Train
	for i := range 3000 {
		r := tr("r", "train", int64(i), int64(i), float64(i))
		if i%3 != 0 {
			r.Top1 = trace.Float(float64(i) / 3000)
		}
		want = append(want, r)
	}
	path := filepath.Join(t.TempDir(), "train.parquet")
	writeRows(t, path, want)
	got, err := ReadTrain(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d rows, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Loss != w.Loss || (g.Top1 == nil) != (w.Top1 == nil) || g.Top1 != nil && *g.Top1 != *w.Top1 {
			t.Fatalf("row %d: %+v, want %+v", i, g, w)
		}
	}
}

func TestReadBadInput(t *testing.T) {
	dir := t.TempDir()
	train, results, steps := filepath.Join(dir, "train.parquet"), filepath.Join(dir, "results.parquet"), filepath.Join(dir, "steps.parquet")
	writeRows(t, train, syntheticTrain(3))
	writeRows(t, results, tiny)
	writeRows(t, steps, []trace.Step{{Run: "r", Instance: "a"}})
	empty := filepath.Join(dir, "empty.parquet")
	writeRows(t, empty, []trace.Result{})
	text := filepath.Join(dir, "notes.parquet")
	os.WriteFile(text, []byte("policy,instance\nP,a\n"), 0o644)
	whole, _ := os.ReadFile(results)
	cut := filepath.Join(dir, "cut.parquet")
	os.WriteFile(cut, whole[:len(whole)/2], 0o644)

	for _, c := range []struct {
		name   string
		read   func(string) error
		path   string
		target error
		says   []string
	}{
		{"results as training", readTrain, results, ErrSchema, []string{"not a training trace", "no column phase, epoch, loss", "corl plot eval"}},
		{"training as results", readResults, train, ErrSchema, []string{"not a file of evaluation results", "corl plot train"}},
		{"steps as results", readResults, steps, ErrSchema, []string{"no column status;", "its columns: run, env"}},
		{"empty", readResults, empty, ErrNoRows, []string{"has no rows"}},
		{"text", readResults, text, nil, []string{"not a readable Parquet file"}},
		{"truncated", readResults, cut, nil, []string{"not a readable Parquet file"}},
		{"directory", readTrain, dir, nil, []string{"is a directory"}},
		{"missing", readTrain, filepath.Join(dir, "nope.parquet"), os.ErrNotExist, nil},
	} {
		err := c.read(c.path)
		if err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		if c.target != nil && !errors.Is(err, c.target) {
			t.Errorf("%s: %v is not %v", c.name, err, c.target)
		}
		if !strings.Contains(err.Error(), c.path) {
			t.Errorf("%s: %q does not name the file", c.name, err)
		}
		for _, s := range c.says {
			if !strings.Contains(err.Error(), s) {
				t.Errorf("%s: %q does not say %q", c.name, err, s)
			}
		}
	}
}

// usesLZ4 reports whether b is a Parquet file with an LZ4-compressed column chunk.
func usesLZ4(b []byte) (lz4 bool) {
	defer func() {
		if recover() != nil {
			lz4 = false
		}
	}()
	f, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return false
	}
	for _, rg := range f.Metadata().RowGroups {
		for _, c := range rg.Columns {
			if c.MetaData.Codec == format.Lz4Raw || c.MetaData.Codec == format.Lz4 {
				return true
			}
		}
	}
	return false
}

func readTrain(p string) error   { _, err := ReadTrain(p); return err }
func readResults(p string) error { _, err := ReadResults(p); return err }

// FuzzReadResults checks that corrupt files give errors, not panics. Its
// seeds run with every go test. Fuzzing beyond them meets parquet-go
// v0.32.0's limits: its LZ4 decoder grows its buffer without bound on a
// corrupt page (such inputs are skipped), and after many thousands of
// corrupt files in one process some reads slow down past the fuzzer's
// 10 s limit, though each reads in well under a second in a new process.
func FuzzReadResults(f *testing.F) {
	path := filepath.Join(f.TempDir(), "r.parquet")
	writeRows(f, path, tiny)
	whole, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(whole)
	f.Add(whole[:len(whole)-10])
	f.Add(append([]byte("PAR1"), whole[len(whole)/2:]...))
	f.Add([]byte("PAR1\x00\x00\x00\x00PAR1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if usesLZ4(b) {
			// parquet-go v0.32.0's LZ4 decoder doubles its buffer without
			// bound on a corrupt page, until the process runs out of memory.
			t.Skip("LZ4 pages")
		}
		p := filepath.Join(t.TempDir(), "f.parquet")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		rows, err := ReadResults(p) // must not panic
		if errors.Is(err, errParquetPanic) {
			t.Fatal(err)
		}
		if err == nil && len(rows) == 0 {
			t.Error("no error and no rows")
		}
	})
}
