package datasets_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/corl-go/corl/datasets"
)

// TestBadParamsAreTypedErrors holds every parameter that once panicked or
// was accepted silently: each now gives a typed error naming the family,
// the parameter and its value, before anything is built.
func TestBadParamsAreTypedErrors(t *testing.T) {
	for _, c := range []struct {
		family, name string
		value        float64
		want         string // in the message, besides family, name and value
	}{
		{"setcover", "rows", -5, "[1, 1e+06]"}, // makeslice panic
		{"setcover", "rows", 0, "[1, 1e+06]"},
		{"setcover", "cols", 0.5, "an integer"}, // IntN panic
		{"setcover", "max_cost", 0, "[1, 1e+06]"},
		{"setcover", "density", -1, "(0, 1]"}, // accepted silently
		{"setcover", "density", 0, "(0, 1]"},
		{"setcover", "density", math.NaN(), "(0, 1]"},
		{"setcover", "rows", math.Inf(1), "[1, 1e+06]"},
		{"knapsack", "max_weight", 0, "[1, 1e+06]"}, // IntN panic
		{"knapsack", "items", -1, "[1, 1e+07]"},
		{"knapsack", "knapsacks", -1, "[1, 10000]"},
		{"knapsack", "min_weight", -1, "[1, 1e+06]"},
		{"cauction", "items", 0, "[2, 1e+06]"}, // index out of range
		{"cauction", "bids", -1, "[1, 1e+06]"},
		{"cauction", "max_sub_bids", 1.5, "an integer"},
		{"cauction", "add_item_prob", 1, "[0, 0.95]"},
		{"cauction", "value_deviation", -0.1, "[0, 1]"},
		{"facility", "customers", -1, "[1, 1e+06]"},
		{"facility", "facilities", -1, "[1, 1e+06]"},
		{"facility", "ratio", 0, "[1, 100]"},
		{"indset", "nodes", -1, "[1, 1e+07]"},
		{"indset", "affinity", -1, "[1, 1000]"},
		{"indset", "erdos_renyi", 0.5, "an integer"},
		{"indset", "edge_prob", 2, "[0, 1]"},
	} {
		f, _ := datasets.Lookup(c.family)
		_, _, err := f.Generate(datasets.Easy, 1, map[string]float64{c.name: c.value})
		var pe *datasets.ParamError
		if !errors.As(err, &pe) || !errors.Is(err, datasets.ErrBadInput) {
			t.Errorf("%s %s=%v: got %v, want a *ParamError", c.family, c.name, c.value, err)
			continue
		}
		if pe.Family != c.family || pe.Name != c.name || !(pe.Value == c.value || math.IsNaN(c.value)) {
			t.Errorf("%s %s=%v: error names %s %s=%v", c.family, c.name, c.value, pe.Family, pe.Name, pe.Value)
		}
		if msg := err.Error(); !strings.Contains(msg, c.name) || !strings.Contains(msg, c.want) || strings.Contains(msg, "--") {
			t.Errorf("%s %s=%v: message %q lacks %q or names a flag", c.family, c.name, c.value, msg, c.want)
		}
	}
}

func TestParamsBetweenEachOther(t *testing.T) {
	for _, c := range []struct {
		family string
		p      map[string]float64
		name   string
	}{
		{"knapsack", map[string]float64{"min_weight": 50, "max_weight": 10}, "min_weight"},
		{"cauction", map[string]float64{"min_value": 50, "max_value": 10}, "min_value"},
	} {
		f, _ := datasets.Lookup(c.family)
		_, _, err := f.Generate(datasets.Easy, 1, c.p)
		var pe *datasets.ParamError
		if !errors.As(err, &pe) || pe.Name != c.name || pe.Reason == "" {
			t.Errorf("%s %v: got %v", c.family, c.p, err)
		}
	}
	// equal bounds are fine: every weight is the same
	f, _ := datasets.Lookup("knapsack")
	m, _, err := f.Generate(datasets.Easy, 1, map[string]float64{"items": 5, "knapsacks": 2, "min_weight": 7, "max_weight": 7})
	if err != nil || m.NumCols() != 10 {
		t.Fatalf("min_weight = max_weight: %v", err)
	}
}

// TestSizeLimit: parameters that would grow past the limit (items=1e9 once
// grew past 12 GB) are refused before anything is built; the hard
// defaults of every family stay well inside it.
func TestSizeLimit(t *testing.T) {
	for fam, p := range map[string]map[string]float64{
		"setcover": {"rows": 1e6, "cols": 1e6},
		"cauction": {"items": 1e5},
		"facility": {"customers": 1e5, "facilities": 1e3},
		"indset":   {"nodes": 1e7, "affinity": 1000},
		"knapsack": {"items": 1e7, "knapsacks": 100},
	} {
		f, _ := datasets.Lookup(fam)
		_, _, err := f.Generate(datasets.Easy, 1, p)
		var se *datasets.SizeError
		if !errors.As(err, &se) || se.Family != fam || se.Estimate <= se.Limit || !errors.Is(err, datasets.ErrBadInput) {
			t.Errorf("%s %v: got %v, want a *SizeError", fam, p, err)
		}
		if _, err := f.Check(datasets.Hard, nil); err != nil {
			t.Errorf("%s hard defaults: %v", fam, err)
		}
	}
	f, _ := datasets.Lookup("knapsack")
	var pe *datasets.ParamError
	if _, _, err := f.Generate(datasets.Easy, 1, map[string]float64{"items": 1e9}); !errors.As(err, &pe) {
		t.Errorf("knapsack items=1e9: got %v", err)
	}
}

func TestUnknownNamesAreTypedErrors(t *testing.T) {
	var fe *datasets.UnknownFamilyError
	if _, err := datasets.Lookup("tsp"); !errors.As(err, &fe) || fe.Name != "tsp" || len(fe.Known) != 5 {
		t.Errorf("unknown family: %v", err)
	}
	f, _ := datasets.Lookup("setcover")
	var pe *datasets.UnknownParamError
	if _, _, err := f.Generate(datasets.Easy, 1, map[string]float64{"nope": 1}); !errors.As(err, &pe) || pe.Name != "nope" {
		t.Errorf("unknown parameter: %v", err)
	}
	var se *datasets.UnknownSizeError
	if _, _, err := f.Generate("huge", 1, nil); !errors.As(err, &se) || se.Size != "huge" {
		t.Errorf("unknown size: %v", err)
	}
}

// TestSmallestParamsBuild: every family builds at the low end of every
// range (one row, one item, ...), where the panics were.
func TestSmallestParamsBuild(t *testing.T) {
	for fam, p := range map[string]map[string]float64{
		"setcover": {"rows": 1, "cols": 1, "max_cost": 1, "density": 1e-9},
		"cauction": {"items": 2, "bids": 1, "max_sub_bids": 0, "min_value": 0, "max_value": 0},
		"facility": {"customers": 1, "facilities": 1, "ratio": 1},
		"indset":   {"nodes": 1, "affinity": 1},
		"knapsack": {"items": 1, "knapsacks": 1, "min_weight": 1, "max_weight": 1},
	} {
		f, _ := datasets.Lookup(fam)
		m, _, err := f.Generate(datasets.Easy, 3, p)
		if err != nil {
			t.Errorf("%s %v: %v", fam, p, err)
			continue
		}
		if err := m.Validate(); err != nil || m.NumCols() < 1 {
			t.Errorf("%s %v: %d columns, %v", fam, p, m.NumCols(), err)
		}
	}
}
