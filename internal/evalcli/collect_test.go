package evalcli

import (
	"testing"
)

// EvalFlags name, for every recorded search, eval milp flags that build
// the same branch-and-bound configuration.
func TestCollectSearchEvalFlags(t *testing.T) {
	for k := range 32 {
		s := CollectSearch{CutNodes: k&1 != 0, OneOpt: k&2 != 0, GomoryNodes: k&4 != 0, Swap: k&8 != 0, AggCover: k&16 != 0}
		if s.GomoryNodes && !s.CutNodes {
			continue // Gomory cuts go to the nodes only where cuts do
		}
		f := s.EvalFlags()
		f.NodeSelection, f.Redcost, f.Presolve = "best", "off", "off"
		got, err := f.Config()
		if err != nil {
			t.Fatalf("%+v: %s: %v", s, f.Args(), err)
		}
		want := s.Config(0)
		// The lists set every on/off field; the search's zero values are
		// the same settings.
		if got.Cuts != want.Cuts || got.NoCuts != want.NoCuts || got.PlungeQuot != want.PlungeQuot || got.NoHeuristics != want.NoHeuristics ||
			got.Heuristics.NoRounding != want.Heuristics.NoRounding || got.Heuristics.NoDiving != want.Heuristics.NoDiving ||
			got.Heuristics.NoRENS != want.Heuristics.NoRENS || got.Heuristics.NoRINS != want.Heuristics.NoRINS ||
			got.Heuristics.FixedRINS != want.Heuristics.FixedRINS || got.Heuristics.NoOneOpt != want.Heuristics.NoOneOpt ||
			got.Heuristics.NoSwap != want.Heuristics.NoSwap || got.Heuristics.NoPooled != want.Heuristics.NoPooled ||
			got.Heuristics.LNSLimits != want.Heuristics.LNSLimits {
			t.Errorf("%+v: %s give %+v, the search is %+v", s, f.Args(), got, want)
		}
	}
}
