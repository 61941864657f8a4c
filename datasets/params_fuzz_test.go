package datasets_test

import (
	"errors"
	"maps"
	"slices"
	"testing"

	"github.com/corl-go/corl/datasets"
)

// fuzzBuildLimit bounds the instances the fuzzer builds (the size
// estimate of Check, in its units) so that each input runs in
// milliseconds; larger accepted parameters are only checked.
const fuzzBuildLimit = 20_000

// FuzzParams sets one parameter of a family (by index into the family
// list and the sorted parameter names) to any value: Generate must return
// a typed error wrapping ErrBadInput, or a valid model.
func FuzzParams(f *testing.F) {
	f.Add(uint8(0), uint8(0), -5.0, uint8(0))
	f.Add(uint8(0), uint8(1), 0.5, uint8(0))
	f.Add(uint8(1), uint8(5), 0.0, uint8(0))
	f.Add(uint8(2), uint8(0), -1.0, uint8(1))
	f.Add(uint8(3), uint8(3), -1.0, uint8(2))
	f.Add(uint8(4), uint8(2), 0.0, uint8(0))
	f.Add(uint8(4), uint8(1), 1e9, uint8(0))
	fams := datasets.FamilyNames()
	f.Fuzz(func(t *testing.T, fi, pi uint8, v float64, size uint8) {
		fam, _ := datasets.Lookup(fams[int(fi)%len(fams)])
		names := slices.Sorted(maps.Keys(fam.Params(1)))
		name := names[int(pi)%len(names)]
		// shrink the others so that a valid value builds quickly
		over := map[string]float64{}
		for k, small := range small[fam.Name] {
			over[k] = small
		}
		over[name] = v
		sz := []datasets.Size{datasets.Easy, datasets.Medium, datasets.Hard, "bogus"}[size%4]
		p, err := fam.Check(sz, over)
		if err != nil {
			if !errors.Is(err, datasets.ErrBadInput) {
				t.Fatalf("%s %s=%v: untyped error %v", fam.Name, name, v, err)
			}
			return
		}
		if estimate(fam.Name, p) > fuzzBuildLimit {
			return
		}
		m, _, err := fam.Generate(sz, 1, over)
		if err != nil {
			t.Fatalf("%s %s=%v: Check accepted, Generate refused: %v", fam.Name, name, v, err)
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("%s %s=%v: invalid model: %v", fam.Name, name, v, err)
		}
	})
}

// estimate is a rough count of what the family builds and scans, larger
// than Check's where the generator's time grows faster than its output.
func estimate(fam string, p map[string]float64) float64 {
	switch fam {
	case "setcover":
		return max(p["rows"]*p["cols"]*p["density"], p["cols"], 2*p["rows"])
	case "cauction":
		return p["items"] * p["items"] * p["bids"] / (1 - p["add_item_prob"])
	case "facility":
		return p["customers"] * p["facilities"]
	case "indset":
		if p["erdos_renyi"] != 0 {
			return p["nodes"] * p["nodes"]
		}
		return p["nodes"] * p["affinity"] * 10
	}
	return p["items"] * p["knapsacks"]
}
