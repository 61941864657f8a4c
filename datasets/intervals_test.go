package datasets_test

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/corl-go/corl/datasets"
	"github.com/corl-go/corl/envs/malloc"
)

func TestIntervalWorkloadDeterministic(t *testing.T) {
	a := datasets.IntervalWorkload(rand.New(rand.NewPCG(3, 1)), 90)
	b := datasets.IntervalWorkload(rand.New(rand.NewPCG(3, 1)), 90)
	c := datasets.IntervalWorkload(rand.New(rand.NewPCG(3, 2)), 90)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed, different workloads")
	}
	if reflect.DeepEqual(a, c) {
		t.Fatal("different seeds, the same workload")
	}
	if w, err := datasets.Workload(datasets.WorkloadIntervals, rand.New(rand.NewPCG(3, 1)), 90); err != nil || !reflect.DeepEqual(w, a) {
		t.Fatalf("Workload(intervals): %v, or another workload", err)
	}
	if w, err := datasets.Workload("", rand.New(rand.NewPCG(3, 1)), 30); err != nil || !reflect.DeepEqual(w, datasets.SyntheticWorkload(rand.New(rand.NewPCG(3, 1)), 30)) {
		t.Fatalf("Workload(\"\"): %v, or not the program kind", err)
	}
	if _, err := datasets.Workload("graphs", rand.New(rand.NewPCG(3, 1)), 30); !errors.Is(err, datasets.ErrBadInput) {
		t.Fatalf("an unknown kind: %v", err)
	}
}

// intervalStats summarises workloads of one regime.
type intervalStats struct {
	workloads         int
	lives, logSize    []float64 // of buffers starting in the first half
	logLife           []float64
	liveMean          float64 // mean over workloads of the mean live count at the starts
	fullHorizon, bufs int
}

// TestIntervalWorkloadShape checks what IntervalWorkload promises: two uses
// per buffer, sizes in whole KiB within the regime's range, live ranges
// inside the horizon, one workload in three narrow, the regimes' median
// lifetimes, large buffers living briefly, and as many buffers live at a
// time as in MiniMalloc's benchmarks (about 30 in the wide regime, 11 in
// the narrow one).
func TestIntervalWorkloadShape(t *testing.T) {
	const n, workloads = 120, 300
	var st [2]intervalStats // wide, narrow
	for w := range workloads {
		bufs := datasets.IntervalWorkload(rand.New(rand.NewPCG(11, uint64(w))), n)
		if len(bufs) != n {
			t.Fatalf("workload %d: %d buffers, want %d", w, len(bufs), n)
		}
		narrow := true
		for i, b := range bufs {
			if b.ID != i || b.Uses != 2 || b.Size%1024 != 0 || b.Size < 1024 || b.Size > 1<<20 || b.Start < 0 || b.End <= b.Start || b.End > n {
				t.Fatalf("workload %d: buffer %d: %+v", w, i, b)
			}
			narrow = narrow && b.Size >= 32<<10 && b.Size <= 128<<10
		}
		r := 0
		if narrow {
			r = 1
		}
		s := &st[r]
		s.workloads++
		live := 0
		for _, b := range bufs {
			s.bufs++
			if b.Start == 0 && b.End == n {
				s.fullHorizon++
			}
			if b.Start < n/2 { // not cut by the horizon below its median
				s.lives = append(s.lives, float64(b.End-b.Start))
				s.logLife = append(s.logLife, math.Log(float64(b.End-b.Start)))
				s.logSize = append(s.logSize, math.Log2(float64(b.Size)))
			}
			for _, c := range bufs {
				if c.Start <= b.Start && b.Start < c.End {
					live++
				}
			}
		}
		s.liveMean += float64(live) / n
	}
	share := float64(st[1].workloads) / workloads
	if math.Abs(share-datasets.IntervalNarrowShare) > 0.08 {
		t.Errorf("narrow share %.3f, want %.3f", share, datasets.IntervalNarrowShare)
	}
	for r, want := range []struct {
		median, liveLo, liveHi float64
	}{{15, 20, 45}, {10, 8, 14}} {
		s := st[r]
		slices.Sort(s.lives)
		med := s.lives[len(s.lives)/2]
		live := s.liveMean / float64(s.workloads)
		corr := correlation(s.logSize, s.logLife)
		t.Logf("regime %d: %d workloads, median lifetime %.0f, %.1f live, corr %.2f, %d of %d over the whole horizon", r, s.workloads, med, live, corr, s.fullHorizon, s.bufs)
		if math.Abs(med-want.median) > 0.15*want.median {
			t.Errorf("regime %d: median lifetime %v, want %v", r, med, want.median)
		}
		if live < want.liveLo || live > want.liveHi {
			t.Errorf("regime %d: %.1f buffers live at a start, want [%v, %v]", r, live, want.liveLo, want.liveHi)
		}
		if corr > -0.3 {
			t.Errorf("regime %d: correlation of log size and log lifetime %.2f, want clearly negative", r, corr)
		}
	}
	if st[0].fullHorizon == 0 || st[1].fullHorizon != 0 {
		t.Errorf("buffers over the whole horizon: %d wide, %d narrow; want some, none", st[0].fullHorizon, st[1].fullHorizon)
	}
}

func correlation(x, y []float64) float64 {
	var mx, my float64
	for i := range x {
		mx, my = mx+x[i], my+y[i]
	}
	mx, my = mx/float64(len(x)), my/float64(len(y))
	var sxy, sxx, syy float64
	for i := range x {
		sxy += (x[i] - mx) * (y[i] - my)
		sxx += (x[i] - mx) * (x[i] - mx)
		syy += (y[i] - my) * (y[i] - my)
	}
	return sxy / math.Sqrt(sxx*syy)
}

// TestIntervalSetPlays: a generated intervals set reads back as valid
// instances that XLA's heuristic plays to a valid placement, records its
// kind, and a program set in the same directory is refused.
func TestIntervalSetPlays(t *testing.T) {
	dir := t.TempDir()
	man, err := datasets.GenerateWorkloadSet(context.Background(), datasets.WorkloadIntervals, 60, datasets.SetConfig{Dir: dir, N: 4, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := datasets.ReadManifest(dir); err != nil || got.Kind != datasets.WorkloadIntervals || len(got.Files) != 4 || got.Files[0].File != "intervals-0000.csv" {
		t.Fatalf("manifest: %v %+v", err, got)
	}
	for _, f := range man.Files {
		for _, frac := range []float64{0.25, 0.5} {
			in, err := datasets.ReadAllocationCSV(filepath.Join(dir, f.File), frac, malloc.DefaultModel)
			if err != nil {
				t.Fatal(err)
			}
			r, err := malloc.Play(in, malloc.Config{}, "xla", malloc.BestFit)
			if err != nil {
				t.Fatalf("%s at %v: %v", f.File, frac, err)
			}
			if !(r.Fraction > 0 && r.Fraction < 1) {
				t.Errorf("%s at %v: xla places %v of the benefit, want some but not all", f.File, frac, r.Fraction)
			}
		}
	}
	if _, err := datasets.GenerateMallocSet(context.Background(), 60, datasets.SetConfig{Dir: dir, N: 4, Seed: 5}); !errors.Is(err, datasets.ErrSetMismatch) ||
		!strings.Contains(err.Error(), "workload kind intervals, not program") {
		t.Errorf("a program set where an intervals set is: %v; want a mismatch naming both kinds", err)
	}
	if _, err := datasets.GenerateWorkloadSet(context.Background(), "graphs", 60, datasets.SetConfig{Dir: t.TempDir(), N: 1}); !errors.Is(err, datasets.ErrBadInput) {
		t.Errorf("an unknown kind: %v", err)
	}
}
