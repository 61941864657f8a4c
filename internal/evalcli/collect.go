package evalcli

import (
	"strings"

	"github.com/corl-go/corl/solver/bnb"
	"github.com/urfave/cli/v2"
)

// Collect are the flags of imitation learning's expert-sample collection
// (the first phase of corl train milp).
func Collect() []cli.Flag {
	return []cli.Flag{
		&cli.IntFlag{Name: "samples", Value: 10000, Usage: "expert samples to collect"},
		&cli.Float64Flag{Name: "expert-prob", Value: 0.05, Usage: "probability of querying the expert at a node"},
		&cli.IntFlag{Name: "sb-iter-limit", Usage: "simplex iterations per strong-branching child LP (0: none)"},
		&cli.Int64Flag{Name: "episode-node-limit", Value: 20000, Usage: "nodes per collection episode at most"},
	}
}

// CollectSearch is the branch-and-bound search of collection episodes, as
// corl-beam collect milp records it in the shards' directory
// (CollectSearchFile) and as corl train milp's config.json records it
// (the same field names), so that shards from one search are trained on
// by a run of that search.
type CollectSearch struct {
	CutNodes    bool `json:"cut_nodes"`    // cuts at every node, not the root only
	OneOpt      bool `json:"oneopt"`       // one-opt on each new incumbent
	GomoryNodes bool `json:"gomory_nodes"` // Gomory cuts at every node too
	Swap        bool `json:"swap"`         // the swap search on each new incumbent
	AggCover    bool `json:"aggcover"`     // aggregated cover cuts
}

// CollectSearchFile, in the shards' directory, records the collection's
// search.
const CollectSearchFile = "search.json"

// DefaultCollectSearch is the search a new collection runs: bnb's
// default as it was when collections began to be recorded (see Config;
// EvalFlags names it for eval milp).
var DefaultCollectSearch = CollectSearch{CutNodes: true, OneOpt: true, GomoryNodes: false, Swap: true, AggCover: true}

// Config is the search as a bnb.Config with the given node limit. What
// bnb's defaults took in after the searches recorded here stays as those
// searches ran, so that a recorded run learns from the trees it did: no
// pooled knapsack heuristic (on a multiple knapsack it often ends the
// search at the root), clique cuts wherever cuts are separated at the
// nodes, a round at every node, RINS on its fixed schedule (which has no
// effort cap), sub-MIPs ending by nodes alone, and plunges within half
// the gap.
func (s CollectSearch) Config(nodeLimit int64) bnb.Config {
	return bnb.Config{NodeLimit: nodeLimit, PlungeQuot: 0.5, Cuts: bnb.Cuts{RootOnly: !s.CutNodes, GomoryNodes: s.GomoryNodes, CliqueNodes: s.CutNodes, EveryNode: s.CutNodes, NoAggCover: !s.AggCover},
		Heuristics: bnb.Heuristics{NoOneOpt: !s.OneOpt, NoSwap: !s.Swap, NoPooled: true, FixedRINS: true, LNSLimits: bnb.LNSLimitNodes}}
}

// EvalFlags are the eval milp flags (--cuts, --heuristics, --plunge-quot,
// --lns-limits; the others at their defaults) whose search is s's: a
// policy trained in it is evaluated in it with these (BnBFlags.Args).
func (s CollectSearch) EvalFlags() BnBFlags {
	cut := []string{"gomory", "mir", "cover", "clique"}
	switch {
	case !s.CutNodes:
		cut = append(cut, "root")
	default:
		cut[3] = "clique-nodes"
		cut = append(cut, "every-node")
		if s.GomoryNodes {
			cut[0] = "gomory-nodes"
		}
	}
	if s.AggCover {
		cut = append(cut, "aggcover")
	}
	heur := []string{"rounding", "diving", "rens", "rins-fixed"}
	if s.OneOpt {
		heur = append(heur, "oneopt")
	}
	if s.Swap {
		heur = append(heur, "swap")
	}
	return BnBFlags{Cuts: strings.Join(cut, ","), Heuristics: strings.Join(heur, ","), PlungeQuot: 0.5, LNSLimits: "nodes"}
}
