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

// Workload kinds of the synthetic generators.
const (
	// WorkloadProgram is SyntheticWorkload: ops in schedule order, each
	// tensor used by one to three later ops (the default).
	WorkloadProgram = "program"
	// WorkloadIntervals is IntervalWorkload: independent buffers of two
	// uses each, sizes and lifetimes drawn like MiniMalloc's benchmarks'.
	WorkloadIntervals = "intervals"
)

// WorkloadKinds are the synthetic workload kinds, the default first.
var WorkloadKinds = []string{WorkloadProgram, WorkloadIntervals}

// Workload generates a synthetic workload of the given kind (the empty
// kind is WorkloadProgram) with n ops or buffers.
func Workload(kind string, rng *rand.Rand, n int) ([]malloc.Buffer, error) {
	switch kind {
	case "", WorkloadProgram:
		return SyntheticWorkload(rng, n), nil
	case WorkloadIntervals:
		return IntervalWorkload(rng, n), nil
	}
	return nil, fmt.Errorf("%w: workload kind %q: want %s", ErrBadInput, kind, strings.Join(WorkloadKinds, " or "))
}

// The two regimes of IntervalWorkload. A lifetime is in units of the time
// between two buffers' starts (the horizon is n of them); its logarithm is
// normal, and the base-2 logarithm of the size falls with it, as in
// MiniMalloc's benchmarks, where large buffers live briefly (correlation
// -0.5 to -0.9). Summary statistics of the nine challenging benchmarks
// A-I chose the figures (see RATIONALE); the files are not read.
var intervalRegimes = [2]struct {
	lifeMedian, lifeSigma float64 // lifetime: median, sigma of its natural log
	sizeLog2, sizeSigma   float64 // log2 size at the median lifetime, its sigma
	corr                  float64 // correlation of log size and log lifetime
	minLog2, maxLog2      float64 // sizes clamped to [2^min, 2^max]
}{
	// wide: A-E and I: sizes from 1 KiB to under 1 MiB, lifetimes
	// from a few starts to the whole horizon.
	{lifeMedian: 15, lifeSigma: 1.4, sizeLog2: 15.5, sizeSigma: 2, corr: -0.75, minLog2: 10, maxLog2: 19.7},
	// narrow: F-H: sizes of 32-128 KiB, lifetimes of 6-14 starts.
	{lifeMedian: 10, lifeSigma: 0.25, sizeLog2: 16, sizeSigma: 0.35, corr: -0.55, minLog2: 15, maxLog2: 17},
}

// IntervalNarrowShare is the share of IntervalWorkload's workloads drawn
// in the narrow regime (three of MiniMalloc's nine benchmarks).
const IntervalNarrowShare = 1.0 / 3

// IntervalWorkload generates n independent buffers shaped like
// MiniMalloc's challenging benchmarks: each has two uses (a write and a
// read) and starts at a uniform time step in [0, n); its lifetime is
// log-normal in steps, and its size, rounded to 1 KiB, log-normal with a
// mean that falls as the lifetime grows. One workload in three is drawn
// in the narrow regime (sizes of 32-128 KiB, lifetimes near 10 steps),
// the others in the wide one (1 KiB to about 830 KiB, a median lifetime of 15
// steps and a long tail); a lifetime past the horizon makes the buffer
// live over all of it.
func IntervalWorkload(rng *rand.Rand, n int) []malloc.Buffer {
	r := intervalRegimes[0]
	if rng.Float64() < IntervalNarrowShare {
		r = intervalRegimes[1]
	}
	bufs := make([]malloc.Buffer, n)
	horizon := int64(n)
	for i := range n {
		z := rng.NormFloat64()
		life := int64(math.Round(r.lifeMedian * math.Exp(r.lifeSigma*z)))
		lg := r.sizeLog2 + r.sizeSigma*(r.corr*z+math.Sqrt(1-r.corr*r.corr)*rng.NormFloat64())
		lg = min(max(lg, r.minLog2), r.maxLog2)
		size := max(1024, int64(math.Round(math.Exp2(lg)/1024))*1024)
		start := rng.Int64N(horizon)
		life = max(life, 1)
		b := malloc.Buffer{ID: i, Start: start, End: min(start+life, horizon), Size: size, Uses: 2}
		if life >= horizon {
			b.Start, b.End = 0, horizon
		}
		bufs[i] = b
	}
	return bufs
}
