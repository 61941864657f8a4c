package trace

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"

	"github.com/corl-go/corl/internal/atomicfile"

	"github.com/parquet-go/parquet-go"
)

// Step is one environment step.
type Step struct {
	Run      string  `parquet:"run,dict"`
	Env      string  `parquet:"env,dict"`
	Policy   string  `parquet:"policy,dict"`
	Instance string  `parquet:"instance,dict"`
	Episode  int64   `parquet:"episode"`
	Step     int64   `parquet:"step"`
	Action   int64   `parquet:"action"`
	Reward   float64 `parquet:"reward"`
	// RedistributedReward and ValueTarget are filled by training runs.
	RedistributedReward *float64 `parquet:"redistributed_reward,optional"`
	ValueTarget         *float64 `parquet:"value_target,optional"`
	Done                bool     `parquet:"done"`
	Seconds             float64  `parquet:"seconds"` // wall time of the step
	Nodes               *int64   `parquet:"nodes,optional"`
	LPIterations        *int64   `parquet:"lp_iterations,optional"`
	// Branching environment.
	Node       *int64 `parquet:"node,optional"`
	Depth      *int64 `parquet:"depth,optional"`
	Candidates *int64 `parquet:"candidates,optional"`
	// Primal heuristics of the branch-and-bound, so far: incumbents they
	// found, their simplex iterations (not in lp_iterations) and time.
	HeuristicIncumbents   *int64   `parquet:"heuristic_incumbents,optional"`
	HeuristicLPIterations *int64   `parquet:"heuristic_lp_iterations,optional"`
	HeuristicSeconds      *float64 `parquet:"heuristic_seconds,optional"`
	// Cutting planes of the branch-and-bound, so far: cuts added to the
	// LP and the simplex iterations of their re-solves (not in lp_iterations).
	Cuts            *int64 `parquet:"cuts,optional"`
	CutLPIterations *int64 `parquet:"cut_lp_iterations,optional"`
	// OpenNodeBytes is the most memory the search's open nodes held so far.
	OpenNodeBytes *int64 `parquet:"open_node_bytes,optional"`
}

// Int returns a pointer to v, for the optional columns.
func Int(v int64) *int64 { return &v }

// Float returns a pointer to v.
func Float(v float64) *float64 { return &v }

// Result is one row of an evaluation: a policy on an instance.
type Result struct {
	Run          string  `parquet:"run,dict"`
	Env          string  `parquet:"env,dict"`
	Instance     string  `parquet:"instance,dict"`
	Policy       string  `parquet:"policy,dict"`
	Seed         int64   `parquet:"seed"`
	Status       string  `parquet:"status,dict"`
	Objective    float64 `parquet:"objective"` // NaN without a solution
	DualBound    float64 `parquet:"dual_bound"`
	Gap          float64 `parquet:"gap"`
	Nodes        int64   `parquet:"nodes"`
	LPIterations int64   `parquet:"lp_iterations"`
	Seconds      float64 `parquet:"seconds"`
	Score        float64 `parquet:"score"` // an environment's own measure (fraction of benefit, reward, ...)
}

// Solved reports whether the run solved its instance: it proved an
// optimum or infeasibility, or closed the gap to the limit it was asked
// for (status gap_limit, as corl eval milp --gap-limit records for both
// solvers).
func (r Result) Solved() bool {
	return r.Status == "optimal" || r.Status == "infeasible" || r.Status == "gap_limit"
}

// Train is one row of a training trace: one epoch (or a block of steps) of
// one phase of one run. Phase is "train" (measured on the batches the
// optimizer saw), "valid" (a held-out split) or "eval" (held-out
// instances). Columns an agent does not measure are null.
type Train struct {
	Run     string  `parquet:"run,dict"`
	Agent   string  `parquet:"agent,dict"`
	Phase   string  `parquet:"phase,dict"`
	Epoch   int64   `parquet:"epoch"`
	Step    int64   `parquet:"step"`    // optimizer steps so far
	Samples int64   `parquet:"samples"` // samples (or transitions) seen so far
	Loss    float64 `parquet:"loss"`
	LR      float64 `parquet:"lr"`
	// Top1 and Top5 are the shares of decisions where the expert's choice
	// is the policy's first, or among its first five (imitation).
	Top1 *float64 `parquet:"top1,optional"`
	Top5 *float64 `parquet:"top5,optional"`
	// Return is a mean episode return (reinforcement learning).
	Return           *float64 `parquet:"return,optional"`
	SamplesPerSecond float64  `parquet:"samples_per_second"`
	Seconds          float64  `parquet:"seconds"` // wall time of the run so far
}

// Writer writes rows of type T (Step, Result, Train) to a Parquet file.
type Writer[T any] struct {
	path string
	f    *atomicfile.File
	w    *parquet.GenericWriter[T]
	rows int64
}

// Create starts a step trace that will be at path once Close succeeds.
func Create(path string) (*Writer[Step], error) { return CreateOf[Step](path) }

// CreateOf starts a Parquet file of rows of type T.
func CreateOf[T any](path string) (*Writer[T], error) { return createOf[T](path, nil) }

// createOf starts a Parquet file of rows of type T whose footer holds meta
// as key-value metadata.
func createOf[T any](path string, meta map[string]string) (*Writer[T], error) {
	f, err := atomicfile.Create(path)
	if err != nil {
		return nil, fmt.Errorf("trace: %w", err)
	}
	opts := []parquet.WriterOption{parquet.Compression(&parquet.Zstd)}
	for _, k := range slices.Sorted(maps.Keys(meta)) {
		opts = append(opts, parquet.KeyValueMetadata(k, meta[k]))
	}
	return &Writer[T]{path: path, f: f, w: parquet.NewGenericWriter[T](f, opts...)}, nil
}

// Write appends rows.
func (w *Writer[T]) Write(rows ...T) error {
	if w.w == nil {
		return errors.New("trace: write after Close")
	}
	n, err := w.w.Write(rows)
	w.rows += int64(n)
	if err != nil {
		return fmt.Errorf("trace: %s: %w", w.path, err)
	}
	return nil
}

// Rows returns how many rows were written.
func (w *Writer[T]) Rows() int64 { return w.rows }

// Close finishes the file and moves it to its path.
func (w *Writer[T]) Close() error {
	if w.w == nil {
		return nil
	}
	err := w.w.Close()
	w.w = nil
	if err != nil {
		w.f.Abort()
		return fmt.Errorf("trace: %s: %w", w.path, err)
	}
	if err := w.f.Commit(); err != nil {
		return fmt.Errorf("trace: %s: %w", w.path, err)
	}
	return nil
}

// WriteFile writes rows as a Parquet file at path, which appears complete
// or not at all.
func WriteFile[T any](path string, rows []T) error { return WriteFileMeta(path, rows, nil) }

// WriteFileMeta is WriteFile with meta as the file's key-value metadata,
// which Meta reads back.
func WriteFileMeta[T any](path string, rows []T, meta map[string]string) error {
	w, err := createOf[T](path, meta)
	if err != nil {
		return err
	}
	defer w.Abort()
	if err := w.Write(rows...); err != nil {
		return err
	}
	return w.Close()
}

// Marshal encodes rows as a Parquet file in memory, with the compression
// of WriteFile, for stores that are not local files (object stores commit
// an object whole when its writer closes).
func Marshal[T any](rows []T) ([]byte, error) {
	var b bytes.Buffer
	w := parquet.NewGenericWriter[T](&b, parquet.Compression(&parquet.Zstd))
	if _, err := w.Write(rows); err != nil {
		return nil, fmt.Errorf("trace: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("trace: %w", err)
	}
	return b.Bytes(), nil
}

// Unmarshal decodes the rows of a Parquet file held in data, with the
// checks of ReadOf; name is the file's name in error messages.
func Unmarshal[T any](name string, data []byte) (_ []T, err error) {
	defer recoverCorrupt(name, &err)
	r := bytes.NewReader(data)
	if err := checkFrame(r, name, r.Size()); err != nil {
		return nil, err
	}
	rows, err := parquet.Read[T](r, r.Size())
	if err != nil {
		return nil, fmt.Errorf("trace: %s: %w", name, err)
	}
	return rows, nil
}

// Abort discards the file.
func (w *Writer[T]) Abort() {
	if w.w != nil {
		w.w = nil
		w.f.Abort()
	}
}

// Read reads every Step of a trace.
func Read(path string) ([]Step, error) { return ReadOf[Step](path) }

// ReadOf reads every row of a Parquet file as T.
func ReadOf[T any](path string) ([]T, error) {
	rows, _, err := ReadMeta[T](path)
	return rows, err
}

// ReadMeta reads every row of a Parquet file as T and the key-value
// metadata of its footer, through one open of the file.
func ReadMeta[T any](path string) (_ []T, _ map[string]string, err error) {
	defer recoverCorrupt(path, &err)
	f, pf, err := openParquet(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	rows := make([]T, pf.NumRows())
	r := parquet.NewGenericReader[T](pf)
	defer r.Close()
	n, err := r.Read(rows)
	if err != nil && err != io.EOF {
		return nil, nil, fmt.Errorf("trace: %s: %w", path, err)
	}
	return rows[:n], footerMeta(pf), nil
}

// Meta reads the key-value metadata of a Parquet file's footer.
func Meta(path string) (_ map[string]string, err error) {
	defer recoverCorrupt(path, &err)
	f, pf, err := openParquet(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return footerMeta(pf), nil
}

// openParquet opens a Parquet file through openChecked.
func openParquet(path string) (*os.File, *parquet.File, error) {
	f, size, err := openChecked(path)
	if err != nil {
		return nil, nil, err
	}
	pf, err := parquet.OpenFile(f, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("trace: %s: %w", path, err)
	}
	return f, pf, nil
}

func footerMeta(pf *parquet.File) map[string]string {
	meta := map[string]string{}
	for _, kv := range pf.Metadata().KeyValueMetadata {
		meta[kv.Key] = kv.Value
	}
	return meta
}

// ErrCorrupt reports a Parquet file the reader could not make sense of.
var ErrCorrupt = errors.New("trace: corrupt Parquet file")

// openChecked opens a Parquet file after checking its frame (the magic
// number at both ends, a footer length that fits the file), and returns
// it with its size. The check comes before the Parquet library reads the
// file: the library allocates the footer's length, as the file states it,
// before checking it, so four damaged bytes would cost gigabytes.
func openChecked(path string) (*os.File, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fmt.Errorf("trace: %w", err)
	}
	info, err := f.Stat()
	if err == nil {
		err = checkFrame(f, path, info.Size())
	} else {
		err = fmt.Errorf("trace: %w", err)
	}
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, info.Size(), nil
}

func checkFrame(f io.ReaderAt, path string, size int64) error {
	const magic = "PAR1"
	if size < 12 {
		return fmt.Errorf("%w: %s: %d bytes, too short for a Parquet file", ErrCorrupt, path, size)
	}
	var head [4]byte
	var tail [8]byte
	if _, err := f.ReadAt(head[:], 0); err != nil {
		return fmt.Errorf("trace: %s: %w", path, err)
	}
	if _, err := f.ReadAt(tail[:], size-8); err != nil {
		return fmt.Errorf("trace: %s: %w", path, err)
	}
	if string(head[:]) != magic || string(tail[4:]) != magic {
		return fmt.Errorf("%w: %s: no Parquet magic number at its start and end", ErrCorrupt, path)
	}
	if n := int64(binary.LittleEndian.Uint32(tail[:4])); n > size-12 {
		return fmt.Errorf("%w: %s: a footer of %d bytes in a file of %d", ErrCorrupt, path, n, size)
	}
	return nil
}

// recoverCorrupt turns a panic of the Parquet library into an ErrCorrupt
// error: it slices its buffers with sizes read from the file, and a
// corrupt file (a damaged page index, for one) makes it panic.
func recoverCorrupt(path string, err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%w: %s: %v", ErrCorrupt, path, r)
	}
}
