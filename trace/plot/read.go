package plot

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/parquet-go/parquet-go"

	"github.com/corl-go/corl/trace"
)

// ReadTrain reads a training trace: a Parquet file of trace.Train rows.
// It fails with ErrSchema when the file lacks the phase, epoch or loss
// column (or holds them with other types), and with ErrNoRows when it is
// empty; errors name the file.
func ReadTrain(path string) ([]trace.Train, error) {
	return read[trace.Train](path, "training trace", trainColumns, evalColumns)
}

// ReadResults reads evaluation results: a Parquet file of trace.Result
// rows, as `corl eval ... --out` writes. It fails with ErrSchema when the
// file lacks the policy, instance, status, nodes or seconds column (or
// holds them with other types), and with ErrNoRows when it is empty;
// errors name the file.
func ReadResults(path string) ([]trace.Result, error) {
	return read[trace.Result](path, "file of evaluation results", evalColumns, trainColumns)
}

var (
	trainColumns = []string{"phase", "epoch", "loss"}
	evalColumns  = []string{"policy", "instance", "status", "nodes", "seconds"}
)

// read opens path, checks that it has the required columns of T with
// T's types, and reads its rows. other are the columns of the other kind
// of file, to say so when the user gave one for the other.
func read[T any](path, what string, required, other []string) (rows []T, err error) {
	// parquet-go may panic on a corrupt file: that is bad input, reported
	// as such. (A process should not read more Parquet files afterwards: the
	// panic may have left parquet-go's shared buffers or locks inconsistent.)
	defer func() {
		if r := recover(); r != nil {
			rows, err = nil, fmt.Errorf("plot: %s: not a readable Parquet file: %w: %v", path, errParquetPanic, r)
		}
	}()
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("plot: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("plot: %w", err)
	}
	if info.IsDir() {
		return nil, fmt.Errorf("plot: %s is a directory, not a Parquet file", path)
	}
	if err := checkFooter(f, info.Size()); err != nil {
		return nil, fmt.Errorf("plot: %s: not a readable Parquet file: %w", path, err)
	}
	// Only the footer and the pages are read: corl's traces need no page
	// index or bloom filter, and parquet-go reads corrupt ones less safely.
	pf, err := parquet.OpenFile(f, info.Size(), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return nil, fmt.Errorf("plot: %s: not a readable Parquet file: %w", path, err)
	}
	want := parquet.SchemaOf(new(T))
	have := pf.Schema()
	var missing, mistyped []string
	for _, name := range required {
		w, _ := want.Lookup(name)
		h, ok := have.Lookup(name)
		switch {
		case !ok:
			missing = append(missing, name)
		case h.Node.Type().Kind() != w.Node.Type().Kind():
			mistyped = append(mistyped, fmt.Sprintf("%s is %s, want %s", name, h.Node.Type(), w.Node.Type()))
		}
	}
	if len(missing) > 0 || len(mistyped) > 0 {
		var cols []string
		for _, c := range have.Columns() {
			cols = append(cols, strings.Join(c, "."))
		}
		var why []string
		if len(missing) > 0 {
			why = append(why, "no column "+strings.Join(missing, ", "))
		}
		why = append(why, mistyped...)
		hint := ""
		if hasAll(have, other) {
			if slices.Equal(other, evalColumns) {
				hint = " (it looks like evaluation results: use `corl plot eval`)"
			} else {
				hint = " (it looks like a training trace: use `corl plot train`)"
			}
		}
		return nil, fmt.Errorf("%w: %s is not a %s: %s; its columns: %s%s",
			ErrSchema, path, what, strings.Join(why, "; "), strings.Join(cols, ", "), hint)
	}
	if pf.NumRows() == 0 {
		return nil, fmt.Errorf("%w: %s has no rows", ErrNoRows, path)
	}
	// Read in batches rather than allocating NumRows rows at once: a
	// corrupt footer may claim any number.
	r := parquet.NewGenericReader[T](pf)
	defer r.Close()
	buf := make([]T, 1024)
	for {
		n, err := r.Read(buf)
		rows = append(rows, buf[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("plot: %s: %w", path, err)
		}
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%w: %s has no rows", ErrNoRows, path)
	}
	return rows, nil
}

// checkFooter checks that a Parquet file of size bytes ends with a
// footer that fits in it (parquet-go allocates whatever length the last
// bytes claim, up to 4 GiB, before looking).
func checkFooter(f io.ReaderAt, size int64) error {
	const magic = "PAR1"
	if size < 12 {
		return fmt.Errorf("%d bytes is too short", size)
	}
	var tail [8]byte
	if _, err := f.ReadAt(tail[:], size-8); err != nil {
		return err
	}
	if string(tail[4:]) != magic {
		return fmt.Errorf("no %s at the end", magic)
	}
	if n := int64(binary.LittleEndian.Uint32(tail[:4])); n > size-12 {
		return fmt.Errorf("its footer claims %d bytes of a %d-byte file", n, size)
	}
	return nil
}

func hasAll(s *parquet.Schema, cols []string) bool {
	for _, c := range cols {
		if _, ok := s.Lookup(c); !ok {
			return false
		}
	}
	return true
}
