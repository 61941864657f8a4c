package datasets

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/corl-go/corl/internal/atomicfile"

	"github.com/corl-go/corl/envs/malloc"
)

// CSVError reports a malformed line of an allocation CSV.
type CSVError struct {
	File string
	Line int
	Msg  string
}

func (e *CSVError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// DefaultUses is the access count assumed for buffers whose file gives none
// (MiniMalloc's CSVs): one write and one read.
const DefaultUses = 2

// AllocationFiles lists the allocation CSVs of a set: the .csv files of a
// directory, sorted by name (none is a *NoInstancesError), or the one
// file set names.
func AllocationFiles(set string) ([]string, error) {
	st, err := os.Stat(set)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return []string{set}, nil
	}
	return setFiles(set, ".csv")
}

// ReadAllocationCSV reads buffers in MiniMalloc's format, "id,lower,upper,size"
// with each buffer live over [lower, upper), and an optional fifth column
// "uses". The instance's capacity is capacityFraction of the peak live size
// (the file name's capacity is MiniMalloc's packing target, not ours).
func ReadAllocationCSV(path string, capacityFraction float64, model malloc.Model) (*malloc.Instance, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadAllocationCSVFrom(f, path, capacityFraction, model)
}

// ReadAllocationCSVFrom reads an allocation CSV from r as
// ReadAllocationCSV reads the file path: path names the instance and the
// errors.
func ReadAllocationCSVFrom(rd io.Reader, path string, capacityFraction float64, model malloc.Model) (*malloc.Instance, error) {
	if capacityFraction <= 0 || capacityFraction > 1 || math.IsNaN(capacityFraction) {
		return nil, fmt.Errorf("datasets: capacity fraction %v: want (0, 1]", capacityFraction)
	}
	r := csv.NewReader(bufio.NewReader(rd))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if err != nil {
		return nil, &CSVError{path, 1, "no header: " + err.Error()}
	}
	want := []string{"id", "lower", "upper", "size"}
	if len(header) < 4 || !equalFold(header[:4], want) {
		return nil, &CSVError{path, 1, fmt.Sprintf("header %q: want id,lower,upper,size[,uses]", strings.Join(header, ","))}
	}
	hasUses := len(header) >= 5 && strings.EqualFold(strings.TrimSpace(header[4]), "uses")
	in := &malloc.Instance{Name: strings.TrimSuffix(filepath.Base(path), ".csv"), Alignment: 1}
	for line := 2; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, &CSVError{path, line, err.Error()}
		}
		if len(rec) < 4 {
			return nil, &CSVError{path, line, fmt.Sprintf("%d fields, want 4", len(rec))}
		}
		var v [4]int64
		for k := range 4 {
			if v[k], err = strconv.ParseInt(strings.TrimSpace(rec[k]), 10, 64); err != nil {
				return nil, &CSVError{path, line, fmt.Sprintf("%s %q is not an integer", want[k], rec[k])}
			}
		}
		if v[2] <= v[1] || v[3] <= 0 {
			return nil, &CSVError{path, line, fmt.Sprintf("buffer %d: empty live range [%d, %d) or size %d", v[0], v[1], v[2], v[3])}
		}
		uses := DefaultUses
		if hasUses && len(rec) >= 5 {
			u, err := strconv.Atoi(strings.TrimSpace(rec[4]))
			if err != nil || u < 1 {
				return nil, &CSVError{path, line, fmt.Sprintf("uses %q is not a positive integer", rec[4])}
			}
			uses = u
		}
		in.Buffers = append(in.Buffers, malloc.Buffer{ID: int(v[0]), Start: v[1], End: v[2], Size: v[3], Uses: uses, Benefit: model.Benefit(v[3], uses)})
	}
	if len(in.Buffers) == 0 {
		return nil, &CSVError{path, 2, "no buffers"}
	}
	in.Capacity = max(int64(capacityFraction*float64(in.PeakLive())), 1)
	in.Note = fmt.Sprintf("capacity %.0f%% of peak live size", 100*capacityFraction)
	if !hasUses {
		in.Note += fmt.Sprintf("; no uses in the file: %d assumed per buffer", DefaultUses)
	}
	return in, nil
}

func equalFold(a, b []string) bool {
	for i := range b {
		if !strings.EqualFold(strings.TrimSpace(a[i]), b[i]) {
			return false
		}
	}
	return true
}

// WriteAllocationCSV writes buffers as id,lower,upper,size,uses.
func WriteAllocationCSV(path string, bufs []malloc.Buffer) error {
	var b strings.Builder
	b.WriteString("id,lower,upper,size,uses\n")
	for _, x := range bufs {
		fmt.Fprintf(&b, "%d,%d,%d,%d,%d\n", x.ID, x.Start, x.End, x.Size, x.Uses)
	}
	return atomicfile.Write(path, []byte(b.String()))
}

// SyntheticWorkload generates a program-like workload: ops in schedule
// order, each producing one tensor (log-uniform from 1 KiB to 1 MiB,
// rounded to 256 bytes) from one to three recent tensors; a tensor lives
// from its producer to its last consumer and is used once per consumer
// plus its write. Tensors nobody consumes are the program's outputs and
// live to the end.
func SyntheticWorkload(rng *rand.Rand, ops int) []malloc.Buffer {
	bufs := make([]malloc.Buffer, ops)
	for i := range ops {
		size := int64(math.Exp(math.Log(1024) + rng.Float64()*(math.Log(1<<20)-math.Log(1024))))
		size = max(256, size/256*256)
		bufs[i] = malloc.Buffer{ID: i, Start: int64(i), End: int64(i + 1), Size: size, Uses: 1}
		if i == 0 {
			continue
		}
		for range 1 + rng.IntN(3) {
			// recent tensors are likelier inputs
			back := 1 + int(math.Floor(-math.Log(1-rng.Float64())*4))
			j := max(i-back, 0)
			bufs[j].End = max(bufs[j].End, int64(i+1))
			bufs[j].Uses++
		}
	}
	for i := range bufs {
		if bufs[i].Uses == 1 { // an output: live to the end
			bufs[i].End = int64(ops + 1)
		}
	}
	return bufs
}
