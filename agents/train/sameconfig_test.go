package train

import (
	"errors"
	"strings"
	"testing"
)

// SameConfig names a nested differing field by its dotted path, with
// both values, and ignores the listed top-level fields.
func TestSameConfigNamesNestedFields(t *testing.T) {
	type net struct {
		Baseline string `json:"baseline,omitempty"`
		Hidden   int    `json:"hidden"`
	}
	type cfg struct {
		Net     net    `json:"net"`
		Seed    int    `json:"seed"`
		Version string `json:"version"`
	}
	rec := cfg{Net: net{Baseline: "bestfit", Hidden: 16}, Seed: 1, Version: "a"}
	for _, c := range []struct {
		given cfg
		want  string // "" : the same
	}{
		{cfg{Net: net{Hidden: 16}, Seed: 1, Version: "a"}, `net.baseline is "bestfit" there, unset here`},
		{cfg{Net: net{Baseline: "bestfit", Hidden: 8}, Seed: 1, Version: "a"}, "net.hidden is 16 there, 8 here"},
		{cfg{Net: net{Baseline: "bestfit", Hidden: 16}, Seed: 2, Version: "a"}, "seed is 1 there, 2 here"},
		{cfg{Net: net{Baseline: "bestfit", Hidden: 16}, Seed: 1, Version: "b"}, ""},
	} {
		err := SameConfig(rec, c.given, "version")
		if c.want == "" {
			if err != nil {
				t.Errorf("%+v: %v", c.given, err)
			}
			continue
		}
		if !errors.Is(err, ErrConfigMismatch) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.given, err, c.want)
		}
	}
}
