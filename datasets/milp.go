package datasets

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/corl-go/corl/internal/atomicfile"

	"github.com/corl-go/corl/solver"
)

// Size scales a family's instances.
type Size string

const (
	Easy   Size = "easy"
	Medium Size = "medium"
	Hard   Size = "hard"
)

// scale is the factor on a family's first number.
func (s Size) scale() (int, error) {
	switch s {
	case Easy, "":
		return 1, nil
	case Medium:
		return 2, nil
	case Hard:
		return 4, nil
	}
	return 0, fmt.Errorf("datasets: unknown size %q (want easy, medium or hard)", s)
}

// Family is a seeded MILP generator.
type Family struct {
	Name string
	Doc  string
	// Params returns the generator's parameters at a size.
	Params func(scale int) map[string]float64
	// Build generates one instance from parameters.
	Build func(rng *rand.Rand, p map[string]float64) *solver.Model
}

// Families lists the MILP generators by name.
var Families = map[string]Family{
	"setcover": {Name: "setcover", Doc: "set cover (Balas & Ho)", Params: setCoverParams, Build: buildSetCover},
	"cauction": {Name: "cauction", Doc: "combinatorial auction (Leyton-Brown, arbitrary relationships)", Params: auctionParams, Build: buildAuction},
	"facility": {Name: "facility", Doc: "capacitated facility location (Cornuejols et al.)", Params: facilityParams, Build: buildFacility},
	"indset":   {Name: "indset", Doc: "maximum independent set, clique formulation (Barabasi-Albert graphs)", Params: indsetParams, Build: buildIndset},
	"knapsack": {Name: "knapsack", Doc: "multiple knapsack", Params: knapsackParams, Build: buildKnapsack},
}

// FamilyNames returns the family names, sorted.
func FamilyNames() []string {
	var out []string
	for k := range Families {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Lookup returns the family called name.
func Lookup(name string) (Family, error) {
	f, ok := Families[strings.ToLower(name)]
	if !ok {
		return Family{}, fmt.Errorf("datasets: unknown family %q (want one of %s)", name, strings.Join(FamilyNames(), ", "))
	}
	return f, nil
}

// Generate returns one instance of the family at a size from a seed, with
// parameters overridden by name; it also returns the parameters used.
func (f Family) Generate(size Size, seed uint64, overrides map[string]float64) (*solver.Model, map[string]float64, error) {
	k, err := size.scale()
	if err != nil {
		return nil, nil, err
	}
	p := f.Params(k)
	for name, v := range overrides {
		if _, ok := p[name]; !ok {
			return nil, nil, fmt.Errorf("datasets: %s has no parameter %q (have %s)", f.Name, name, strings.Join(keys(p), ", "))
		}
		p[name] = v
	}
	m := f.Build(rand.New(rand.NewPCG(seed, 0x6e6e7261)), p)
	return m, p, nil
}

func keys(m map[string]float64) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// FileSeed derives instance i's seed from a master seed (SplitMix64).
func FileSeed(seed uint64, i int) uint64 {
	z := seed + uint64(i+1)*0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// Manifest describes a generated set.
type Manifest struct {
	Family string             `json:"family"`
	Size   Size               `json:"size"`
	Seed   uint64             `json:"seed"`
	Params map[string]float64 `json:"params"`
	Files  []ManifestFile     `json:"files"`
}

// ManifestFile is one instance of a set.
type ManifestFile struct {
	File string `json:"file"`
	Seed uint64 `json:"seed"`
	Rows int    `json:"rows"`
	Cols int    `json:"cols"`
}

// ManifestName is the manifest's file name inside a set's directory.
const ManifestName = "manifest.json"

// GenerateSet writes n instances of a family into dir as
// <family>-<size>-<i>.mps.gz plus manifest.json; progress, if not nil, is
// called after each file.
func GenerateSet(f Family, size Size, n int, seed uint64, overrides map[string]float64, dir string, progress func(done int)) (Manifest, error) {
	if n < 1 {
		return Manifest{}, fmt.Errorf("datasets: --n must be at least 1, got %d", n)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Manifest{}, err
	}
	if size == "" {
		size = Easy
	}
	man := Manifest{Family: f.Name, Size: size, Seed: seed}
	for i := range n {
		fs := FileSeed(seed, i)
		m, p, err := f.Generate(size, fs, overrides)
		if err != nil {
			return Manifest{}, err
		}
		name := fmt.Sprintf("%s-%s-%04d", f.Name, size, i)
		m.Name = name
		file := name + ".mps.gz"
		if err := solver.WriteMPSFile(filepath.Join(dir, file), m); err != nil {
			return Manifest{}, err
		}
		man.Params = p
		man.Files = append(man.Files, ManifestFile{File: file, Seed: fs, Rows: m.NumRows(), Cols: m.NumCols()})
		if progress != nil {
			progress(i + 1)
		}
	}
	b, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return Manifest{}, err
	}
	return man, atomicfile.Write(filepath.Join(dir, ManifestName), append(b, '\n'))
}

// InstanceFiles lists the MPS files of a set directory (.mps, .mps.gz),
// sorted by name; none is a *NoInstancesError.
func InstanceFiles(dir string) ([]string, error) { return setFiles(dir, ".mps", ".mps.gz") }

// ErrNoInstances: a set holds no instance files.
var ErrNoInstances = errors.New("datasets: no instances")

// NoInstancesError: the directory holds no file with one of the suffixes
// (errors.Is ErrNoInstances).
type NoInstancesError struct {
	Dir      string
	Suffixes []string
}

func (e *NoInstancesError) Error() string {
	return fmt.Sprintf("datasets: no %s files in %s", strings.Join(e.Suffixes, " or "), e.Dir)
}
func (e *NoInstancesError) Is(target error) bool { return target == ErrNoInstances }

// setFiles lists the files of dir ending in one of suffixes, sorted.
func setFiles(dir string, suffixes ...string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		n := e.Name()
		if !e.IsDir() && slices.ContainsFunc(suffixes, func(s string) bool { return strings.HasSuffix(n, s) }) {
			out = append(out, filepath.Join(dir, n))
		}
	}
	if len(out) == 0 {
		return nil, &NoInstancesError{Dir: dir, Suffixes: suffixes}
	}
	sort.Strings(out)
	return out, nil
}
