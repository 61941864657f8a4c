package datasets

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/corl-go/corl/internal/atomicfile"
	"github.com/corl-go/corl/solver"
)

// Manifest describes a generated set. While a set is being written (or
// after it was stopped) Complete is false and Files lists the instances
// finished so far.
type Manifest struct {
	Family   string             `json:"family"`
	Size     Size               `json:"size,omitempty"`
	Seed     uint64             `json:"seed"`
	Params   map[string]float64 `json:"params"`
	Source   string             `json:"source,omitempty"` // the file a converted set comes from
	Kind     string             `json:"kind,omitempty"`   // a synthetic malloc set's workload kind, if not WorkloadProgram
	N        int                `json:"n"`
	Complete bool               `json:"complete"`
	Files    []ManifestFile     `json:"files"`
}

// ManifestFile is one instance of a set.
type ManifestFile struct {
	File    string `json:"file"`
	Seed    uint64 `json:"seed"`
	Rows    int    `json:"rows,omitempty"`
	Cols    int    `json:"cols,omitempty"`
	Buffers int    `json:"buffers,omitempty"`
	SHA256  string `json:"sha256"`
}

// ManifestName is the manifest's file name inside a set's directory.
const ManifestName = "manifest.json"

// SetConfig says where a set goes and how many instances it has.
type SetConfig struct {
	Dir  string
	N    int    // instances, at least 1
	Seed uint64 // master seed; instance i's seed is FileSeed(Seed, i)
	// Progress, if not nil, is called with the number of instances done:
	// first with those kept from an earlier run (possibly 0), then after
	// each instance written.
	Progress func(done int)
}

// ReadManifest reads the manifest of the set in dir; the error wraps
// fs.ErrNotExist when there is none.
func ReadManifest(dir string) (Manifest, error) {
	var m Manifest
	b, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("%s: %w", filepath.Join(dir, ManifestName), err)
	}
	return m, nil
}

// GenerateSet writes cfg.N instances of a family into cfg.Dir as
// <family>-<size>-<i>.mps.gz plus manifest.json. Parameters are checked
// before the directory is made. Each file appears whole under its name or
// not at all. When ctx is cancelled it stops before the next instance,
// records the finished ones in the manifest and returns an error wrapping
// ctx.Err(). Running it again continues: instances the manifest lists
// whose file still has the recorded seed and SHA-256 are kept, the others
// written, so an interrupted and continued set is byte-identical to one
// written at once. A directory holding another set gives ErrSetMismatch.
func GenerateSet(ctx context.Context, f Family, size Size, overrides map[string]float64, cfg SetConfig) (Manifest, error) {
	if size == "" {
		size = Easy
	}
	p, err := f.Check(size, overrides)
	if err != nil {
		return Manifest{}, err
	}
	man := Manifest{Family: f.Name, Size: size, Seed: cfg.Seed, Params: p}
	return writeSet(ctx, cfg, man, func(i int, seed uint64) (ManifestFile, error) {
		m := f.build(seed, p)
		m.Name = fmt.Sprintf("%s-%s-%04d", f.Name, size, i)
		mf := ManifestFile{File: m.Name + ".mps.gz", Rows: m.NumRows(), Cols: m.NumCols()}
		return mf, solver.WriteMPSFile(filepath.Join(cfg.Dir, mf.File), m)
	}, func(i int) string { return fmt.Sprintf("%s-%s-%04d.mps.gz", f.Name, size, i) })
}

// MaxOps bounds the operations of a synthetic memory-mapping workload.
const MaxOps = 1_000_000

// GenerateMallocSet writes cfg.N synthetic memory-mapping workloads of ops
// operations (see SyntheticWorkload) into cfg.Dir as synthetic-<i>.csv plus
// manifest.json, stopping and continuing as GenerateSet does.
func GenerateMallocSet(ctx context.Context, ops int, cfg SetConfig) (Manifest, error) {
	return GenerateWorkloadSet(ctx, WorkloadProgram, ops, cfg)
}

// GenerateWorkloadSet is GenerateMallocSet for workloads of any kind
// (Workload): ops operations or buffers each, files named
// <kind>-<i>.csv (synthetic-<i>.csv for WorkloadProgram, as before), the
// kind in the manifest.
func GenerateWorkloadSet(ctx context.Context, kind string, ops int, cfg SetConfig) (Manifest, error) {
	if _, err := Workload(kind, rand.New(rand.NewPCG(0, 0)), 0); err != nil {
		return Manifest{}, err
	}
	prefix := "synthetic"
	if kind == WorkloadProgram {
		kind = ""
	}
	if kind != "" {
		prefix = kind
	}
	if ops < 2 {
		return Manifest{}, &CountError{Name: "ops", Value: ops, Min: 2}
	}
	if ops > MaxOps {
		return Manifest{}, &SizeError{Family: "malloc", What: "operations", Estimate: float64(ops), Limit: MaxOps}
	}
	man := Manifest{Family: "malloc", Seed: cfg.Seed, Params: map[string]float64{"ops": float64(ops)}, Kind: kind}
	name := func(i int) string { return fmt.Sprintf("%s-%04d.csv", prefix, i) }
	return writeSet(ctx, cfg, man, func(i int, seed uint64) (ManifestFile, error) {
		bufs, err := Workload(kind, rand.New(rand.NewPCG(seed, 0x5e)), ops)
		if err != nil {
			return ManifestFile{}, err
		}
		mf := ManifestFile{File: name(i), Buffers: len(bufs)}
		return mf, WriteAllocationCSV(filepath.Join(cfg.Dir, mf.File), bufs)
	}, name)
}

// WriteManifest writes a complete set's manifest into dir, each file's
// SHA-256 taken from the file.
func WriteManifest(dir string, man Manifest) error {
	for i := range man.Files {
		sum, err := fileSHA256(filepath.Join(dir, man.Files[i].File))
		if err != nil {
			return err
		}
		man.Files[i].SHA256 = sum
	}
	man.N, man.Complete = len(man.Files), true
	return writeManifest(dir, man)
}

// manifestEvery is the least time between two manifest writes while a set
// is being written: a kill loses at most the files finished since (they
// are written again on the next run).
const manifestEvery = time.Second

func writeSet(ctx context.Context, cfg SetConfig, man Manifest, gen func(i int, seed uint64) (ManifestFile, error), fileName func(i int) string) (Manifest, error) {
	if cfg.N < 1 {
		return Manifest{}, &CountError{Name: "the number of instances", Value: cfg.N, Min: 1}
	}
	man.N = cfg.N
	kept, err := keptFiles(cfg.Dir, man)
	if err != nil {
		return Manifest{}, err
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return Manifest{}, err
	}
	removeTemporaries(cfg.Dir, ManifestName)
	done := make([]*ManifestFile, cfg.N)
	ndone := 0
	for i := range cfg.N {
		if mf, ok := kept[fileName(i)]; ok && mf.Seed == FileSeed(cfg.Seed, i) {
			done[i] = &mf
			ndone++
		}
	}
	if cfg.Progress != nil {
		cfg.Progress(ndone)
	}
	record := func(complete bool) error {
		man.Files, man.Complete = man.Files[:0], complete
		for _, mf := range done {
			if mf != nil {
				man.Files = append(man.Files, *mf)
			}
		}
		return writeManifest(cfg.Dir, man)
	}
	last := time.Now()
	for i := range cfg.N {
		if done[i] != nil {
			continue
		}
		if err := ctx.Err(); err != nil {
			if rerr := record(false); rerr != nil {
				return man, rerr
			}
			return man, fmt.Errorf("datasets: stopped with %d of %d instances in %s: %w", ndone, cfg.N, cfg.Dir, err)
		}
		removeTemporaries(cfg.Dir, fileName(i))
		seed := FileSeed(cfg.Seed, i)
		mf, err := gen(i, seed)
		if err != nil {
			return man, err
		}
		if mf.SHA256, err = fileSHA256(filepath.Join(cfg.Dir, mf.File)); err != nil {
			return man, err
		}
		mf.Seed = seed
		done[i] = &mf
		ndone++
		if cfg.Progress != nil {
			cfg.Progress(ndone)
		}
		if time.Since(last) >= manifestEvery {
			if err := record(false); err != nil {
				return man, err
			}
			last = time.Now()
		}
	}
	return man, record(true)
}

// keptFiles returns the files of an earlier run of the same set in dir
// whose content still has the recorded SHA-256, by name; none when dir
// has no manifest. A manifest of another set is an ErrSetMismatch.
func keptFiles(dir string, want Manifest) (map[string]ManifestFile, error) {
	old, err := ReadManifest(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	for _, d := range []struct {
		what      string
		have, ask any
		same      bool
	}{
		{"family", old.Family, want.Family, old.Family == want.Family},
		{"size", old.Size, want.Size, old.Size == want.Size},
		{"workload kind", kindName(old.Kind), kindName(want.Kind), old.Kind == want.Kind},
		{"seed", old.Seed, want.Seed, old.Seed == want.Seed},
		{"parameters", old.Params, want.Params, maps.Equal(old.Params, want.Params)},
	} {
		if !d.same {
			return nil, fmt.Errorf("%w: %s has %s %v, not %v; choose another directory", ErrSetMismatch, dir, d.what, d.have, d.ask)
		}
	}
	kept := map[string]ManifestFile{}
	for _, mf := range old.Files {
		if sum, err := fileSHA256(filepath.Join(dir, mf.File)); err == nil && sum == mf.SHA256 {
			kept[mf.File] = mf
		}
	}
	return kept, nil
}

// removeTemporaries removes what a killed run left of file's atomic write
// (see internal/atomicfile).
func removeTemporaries(dir, file string) {
	tmp, _ := filepath.Glob(filepath.Join(dir, "."+file+".*"))
	for _, t := range tmp {
		os.Remove(t)
	}
}

func writeManifest(dir string, man Manifest) error {
	b, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(dir, ManifestName), append(b, '\n'))
}

func fileSHA256(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// kindName names a manifest's workload kind, which is empty for
// WorkloadProgram (kinds differ only within the malloc family).
func kindName(k string) string {
	if k == "" {
		return WorkloadProgram
	}
	return k
}
