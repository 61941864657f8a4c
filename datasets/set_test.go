package datasets_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/corl-go/corl/datasets"
)

// dirFiles reads every file of dir by name.
func dirFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}

func sameDirs(t *testing.T, a, b string) {
	t.Helper()
	x, y := dirFiles(t, a), dirFiles(t, b)
	if len(x) != len(y) {
		t.Fatalf("%d files, want %d", len(y), len(x))
	}
	for name, data := range x {
		if !bytes.Equal(data, y[name]) {
			t.Errorf("%s differs", name)
		}
	}
}

// TestStoppedSetContinues stops a set after each possible number of
// instances, continues it, and compares with a set written at once.
func TestStoppedSetContinues(t *testing.T) {
	f, _ := datasets.Lookup("knapsack")
	p := map[string]float64{"items": 8, "knapsacks": 2}
	const n = 4
	whole := t.TempDir()
	man, err := datasets.GenerateSet(context.Background(), f, datasets.Easy, p, datasets.SetConfig{Dir: whole, N: n, Seed: 5})
	if err != nil || !man.Complete || len(man.Files) != n {
		t.Fatalf("%v %+v", err, man)
	}
	for stop := 0; stop < n; stop++ {
		dir := t.TempDir()
		ctx, cancel := context.WithCancel(context.Background())
		cfg := datasets.SetConfig{Dir: dir, N: n, Seed: 5, Progress: func(done int) {
			if done >= stop {
				cancel()
			}
		}}
		part, err := datasets.GenerateSet(ctx, f, datasets.Easy, p, cfg)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("stop %d: %v", stop, err)
		}
		if got, _ := datasets.ReadManifest(dir); got.Complete || len(got.Files) != stop || len(part.Files) != stop {
			t.Fatalf("stop %d: manifest lists %d files, complete %v", stop, len(got.Files), got.Complete)
		}
		var written []int
		cfg.Progress = func(done int) { written = append(written, done) }
		if _, err := datasets.GenerateSet(context.Background(), f, datasets.Easy, p, cfg); err != nil {
			t.Fatal(err)
		}
		if written[0] != stop || len(written) != n-stop+1 {
			t.Errorf("stop %d: progress %v, want the %d kept first, then one call per file", stop, written, stop)
		}
		sameDirs(t, whole, dir)
	}
}

// TestContinueRewritesDamagedFiles: a file whose content no longer has
// its recorded checksum, or that is missing, is written again.
func TestContinueRewritesDamagedFiles(t *testing.T) {
	f, _ := datasets.Lookup("setcover")
	p := map[string]float64{"rows": 20, "cols": 30}
	whole, dir := t.TempDir(), t.TempDir()
	cfg := datasets.SetConfig{Dir: whole, N: 3, Seed: 2}
	man, err := datasets.GenerateSet(context.Background(), f, "", p, cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Dir = dir
	if _, err := datasets.GenerateSet(context.Background(), f, "", p, cfg); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, man.Files[0].File), []byte("garbage"), 0o644)
	os.Remove(filepath.Join(dir, man.Files[2].File))
	os.WriteFile(filepath.Join(dir, "."+man.Files[1].File+".123"), []byte("left by a kill"), 0o644)
	os.Remove(filepath.Join(dir, man.Files[1].File))
	if _, err := datasets.GenerateSet(context.Background(), f, "", p, cfg); err != nil {
		t.Fatal(err)
	}
	sameDirs(t, whole, dir)
}

func TestAnotherSetInTheDirectory(t *testing.T) {
	f, _ := datasets.Lookup("knapsack")
	dir := t.TempDir()
	cfg := datasets.SetConfig{Dir: dir, N: 1, Seed: 1}
	if _, err := datasets.GenerateSet(context.Background(), f, "", map[string]float64{"items": 5}, cfg); err != nil {
		t.Fatal(err)
	}
	before := dirFiles(t, dir)
	for _, c := range []struct {
		p    map[string]float64
		seed uint64
	}{{map[string]float64{"items": 6}, 1}, {map[string]float64{"items": 5}, 2}} {
		cfg.Seed = c.seed
		if _, err := datasets.GenerateSet(context.Background(), f, "", c.p, cfg); !errors.Is(err, datasets.ErrSetMismatch) {
			t.Errorf("%v seed %d: got %v", c.p, c.seed, err)
		}
	}
	if after := dirFiles(t, dir); len(after) != len(before) || !bytes.Equal(after[datasets.ManifestName], before[datasets.ManifestName]) {
		t.Error("a refused set changed the directory")
	}
}

// TestBadSetCreatesNothing: a refused set leaves no directory behind.
func TestBadSetCreatesNothing(t *testing.T) {
	f, _ := datasets.Lookup("setcover")
	for _, c := range []struct {
		p map[string]float64
		n int
	}{{map[string]float64{"rows": -5}, 1}, {nil, 0}} {
		dir := filepath.Join(t.TempDir(), "set")
		_, err := datasets.GenerateSet(context.Background(), f, "", c.p, datasets.SetConfig{Dir: dir, N: c.n})
		if !errors.Is(err, datasets.ErrBadInput) {
			t.Errorf("%v n=%d: got %v", c.p, c.n, err)
		}
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%v n=%d: the directory was made", c.p, c.n)
		}
	}
	if _, err := datasets.GenerateMallocSet(context.Background(), 1, datasets.SetConfig{Dir: t.TempDir(), N: 1}); !errors.Is(err, datasets.ErrBadInput) {
		t.Errorf("ops=1: %v", err)
	}
}

func TestMallocSetManifest(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	man, err := datasets.GenerateMallocSet(context.Background(), 30, datasets.SetConfig{Dir: a, N: 3, Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	got, err := datasets.ReadManifest(a)
	if err != nil || !got.Complete || got.Family != "malloc" || len(got.Files) != 3 || got.Files[0].Buffers != 30 || got.Files[0].SHA256 == "" {
		t.Fatalf("%v %+v", err, got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := datasets.GenerateMallocSet(ctx, 30, datasets.SetConfig{Dir: b, N: 3, Seed: 4}); !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	if _, err := datasets.GenerateMallocSet(context.Background(), 30, datasets.SetConfig{Dir: b, N: 3, Seed: 4}); err != nil {
		t.Fatal(err)
	}
	sameDirs(t, a, b)
	files, _ := filepath.Glob(filepath.Join(a, "*.csv"))
	if !slices.Equal(files, []string{filepath.Join(a, man.Files[0].File), filepath.Join(a, man.Files[1].File), filepath.Join(a, man.Files[2].File)}) {
		t.Errorf("files %v", files)
	}
}
