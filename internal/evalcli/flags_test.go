package evalcli

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/corl-go/corl/solver/bnb"
)

// The sub-MIP flags reach the configuration, an effort cap of inf
// included, and the flags survive the JSON a pipeline's workers read
// them from (a float field could not hold +Inf there).
func TestLNSFlags(t *testing.T) {
	for _, c := range []struct {
		effort, flag string
		want         float64
		limits       bnb.LNSLimits
	}{
		{"", "", 0, bnb.LNSLimitHiGHS},
		{"0.5", "highs", 0.5, bnb.LNSLimitHiGHS},
		{"inf", "nodes", math.Inf(1), bnb.LNSLimitNodes},
		{"2", "stall", 2, bnb.LNSLimitStall},
	} {
		f := BnBFlags{NodeSelection: "best", Heuristics: "all", Cuts: "on", Redcost: "off", LNSEffort: c.effort, LNSLimits: c.flag}
		b, err := json.Marshal(f)
		if err != nil {
			t.Fatalf("%+v: %v", f, err)
		}
		var g BnBFlags
		if err := json.Unmarshal(b, &g); err != nil || g != f {
			t.Fatalf("%+v through JSON: %+v, %v", f, g, err)
		}
		cfg, err := g.Config()
		if err != nil {
			t.Fatalf("%s: %v", g.Args(), err)
		}
		if h := cfg.Heuristics; h.LNSEffort != c.want || h.LNSLimits != c.limits {
			t.Errorf("%s: LNSEffort %v, LNSLimits %v; want %v, %v", g.Args(), h.LNSEffort, h.LNSLimits, c.want, c.limits)
		}
		if err := cfg.Validate(); err != nil {
			t.Errorf("%s: %v", g.Args(), err)
		}
	}
	for _, e := range []string{"-1", "NaN", "half"} {
		if _, err := (BnBFlags{NodeSelection: "best", LNSEffort: e}).Config(); err == nil {
			t.Errorf("--lns-effort %s accepted", e)
		}
	}
	if _, err := (BnBFlags{NodeSelection: "best", LNSLimits: "leaves"}).Config(); err == nil {
		t.Error("--lns-limits leaves accepted")
	}
}
