package datasets

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

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
	return 0, &UnknownSizeError{Size: s}
}

// Family is a seeded MILP generator.
type Family struct {
	Name string
	Doc  string
	// Params returns the generator's parameters at a size.
	Params func(scale int) map[string]float64
	// Build generates one instance from parameters that passed Check.
	Build func(rng *rand.Rand, p map[string]float64) *solver.Model

	ranges map[string]paramRange                        // each parameter's allowed values
	check  func(p map[string]float64) error             // constraints between parameters
	size   func(p map[string]float64) (string, float64) // what grows, and how big it gets
}

// Families lists the MILP generators by name.
var Families = map[string]Family{
	"setcover": {Name: "setcover", Doc: "set cover (Balas & Ho)", Params: setCoverParams, Build: buildSetCover,
		ranges: setCoverRanges, size: setCoverSize},
	"cauction": {Name: "cauction", Doc: "combinatorial auction (Leyton-Brown, arbitrary relationships)", Params: auctionParams, Build: buildAuction,
		ranges: auctionRanges, check: auctionCheck, size: auctionSize},
	"facility": {Name: "facility", Doc: "capacitated facility location (Cornuejols et al.)", Params: facilityParams, Build: buildFacility,
		ranges: facilityRanges, size: facilitySize},
	"indset": {Name: "indset", Doc: "maximum independent set, clique formulation (Barabasi-Albert graphs)", Params: indsetParams, Build: buildIndset,
		ranges: indsetRanges, size: indsetSize},
	"knapsack": {Name: "knapsack", Doc: "multiple knapsack", Params: knapsackParams, Build: buildKnapsack,
		ranges: knapsackRanges, check: knapsackCheck, size: knapsackSize},
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
		return Family{}, &UnknownFamilyError{Name: name, Known: FamilyNames()}
	}
	return f, nil
}

// Generate returns one instance of the family at a size from a seed, with
// parameters overridden by name; it also returns the parameters used.
// Parameters are checked first (see Check): bad ones return an error
// wrapping ErrBadInput and build nothing.
func (f Family) Generate(size Size, seed uint64, overrides map[string]float64) (*solver.Model, map[string]float64, error) {
	p, err := f.Check(size, overrides)
	if err != nil {
		return nil, nil, err
	}
	return f.build(seed, p), p, nil
}

// build generates an instance from checked parameters.
func (f Family) build(seed uint64, p map[string]float64) *solver.Model {
	return f.Build(rand.New(rand.NewPCG(seed, 0x6e6e7261)), p)
}

func keys[V any](m map[string]V) []string {
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
