package muzero

import (
	"fmt"
	"math"

	"github.com/corl-go/corl/agents/train"
)

// Algorithm names a search.
type Algorithm string

// The searches.
const (
	Gumbel Algorithm = "gumbel" // Gumbel MuZero (the default)
	PUCT   Algorithm = "puct"   // MuZero's pUCT
)

// SearchConfig configures a search. The zero value is Gumbel MuZero with
// 16 simulations and mctx's constants, undiscounted, without exploration
// noise.
type SearchConfig struct {
	Algorithm   Algorithm `json:"algorithm,omitempty"`   // "" is Gumbel
	Simulations int       `json:"simulations,omitempty"` // per move (0: 16)
	// Discount of future rewards (0: 1, the episodic game undiscounted).
	Discount float64 `json:"discount,omitempty"`

	// Gumbel: actions considered at the root (0: 16), c_visit (0: 50) and
	// c_scale (0: 0.1) of sigma(q) = (c_visit + max N) * c_scale * q.
	MaxConsidered int     `json:"max_considered,omitempty"`
	CVisit        float64 `json:"c_visit,omitempty"`
	CScale        float64 `json:"c_scale,omitempty"`
	// QRange is the smallest range of completed Q values that Gumbel
	// rescales to [0, 1] (0: 1e-8, mctx's: any difference becomes the
	// full scale). Q differences far below it move the policy little: for
	// a learned model whose values are noisier than the differences
	// among its moves.
	QRange float64 `json:"q_range,omitempty"`

	// PUCT: c1 (0: 1.25) and c2 (0: 19652); Dirichlet noise at the root
	// with DirichletAlpha (0: 0.3) mixed in with DirichletFraction (0: 0.25)
	// when exploring.
	C1                float64 `json:"c1,omitempty"`
	C2                float64 `json:"c2,omitempty"`
	DirichletAlpha    float64 `json:"dirichlet_alpha,omitempty"`
	DirichletFraction float64 `json:"dirichlet_fraction,omitempty"`

	// Explore is for self-play: Gumbel samples its root noise (otherwise
	// zero, so the search is deterministic), PUCT adds Dirichlet noise and
	// samples its move from the visit counts (otherwise the most visited).
	Explore bool `json:"explore,omitempty"`

	// TreeOnly plays the tree's choice always. By default, when not
	// exploring and planning with the true model, a game follows the best
	// complete episode any simulation or rollout of its searches reached,
	// wherever it beats the best one known through the tree's choice (the
	// game is deterministic and single-player, so such an episode can be
	// replayed exactly).
	TreeOnly bool `json:"tree_only,omitempty"`

	// EarlySimulations is the search's budget for a game's first
	// EarlyMoves decisions, the moves with more than one legal action (in
	// the memory-mapping game, XLA's order puts the big buffers first:
	// where the placements that matter are decided). With several games
	// in lockstep, a move searches with it while any live game is within
	// its first EarlyMoves decisions. Both 0: every move searches with
	// Simulations; one without the other is a ConfigError.
	EarlySimulations int `json:"early_simulations,omitempty"`
	EarlyMoves       int `json:"early_moves,omitempty"`
}

func (c SearchConfig) withDefaults() SearchConfig {
	train.Default(&c.Algorithm, Gumbel)
	train.Default(&c.Simulations, 16)
	train.Default(&c.MaxConsidered, 16)
	train.Default(&c.Discount, 1)
	train.Default(&c.CVisit, 50)
	train.Default(&c.CScale, 0.1)
	train.Default(&c.QRange, 1e-8)
	train.Default(&c.C1, 1.25)
	train.Default(&c.C2, 19652)
	train.Default(&c.DirichletAlpha, 0.3)
	train.Default(&c.DirichletFraction, 0.25)
	return c
}

// Validate checks the configuration; errors name the field.
func (c SearchConfig) Validate() error {
	if c.Algorithm != "" && c.Algorithm != Gumbel && c.Algorithm != PUCT {
		return &ConfigError{"Algorithm", c.Algorithm, "gumbel or puct"}
	}
	if c.Simulations < 0 {
		return &ConfigError{"Simulations", c.Simulations, ">= 1 (0: 16)"}
	}
	if c.EarlySimulations < 0 {
		return &ConfigError{"EarlySimulations", c.EarlySimulations, ">= 0"}
	}
	if c.EarlyMoves < 0 {
		return &ConfigError{"EarlyMoves", c.EarlyMoves, ">= 0"}
	}
	if c.EarlySimulations > 0 && c.EarlyMoves == 0 {
		return &ConfigError{"EarlyMoves", c.EarlyMoves, ">= 1 with EarlySimulations (both 0: none)"}
	}
	if c.EarlyMoves > 0 && c.EarlySimulations == 0 {
		return &ConfigError{"EarlySimulations", c.EarlySimulations, ">= 1 with EarlyMoves (both 0: none)"}
	}
	if c.MaxConsidered < 0 {
		return &ConfigError{"MaxConsidered", c.MaxConsidered, ">= 1 (0: 16)"}
	}
	for _, f := range []struct {
		name string
		v    float64
		hi   float64
	}{{"Discount", c.Discount, 1}, {"DirichletFraction", c.DirichletFraction, 1},
		{"CVisit", c.CVisit, math.MaxFloat64}, {"CScale", c.CScale, math.MaxFloat64}, {"QRange", c.QRange, math.MaxFloat64},
		{"C1", c.C1, math.MaxFloat64}, {"C2", c.C2, math.MaxFloat64}, {"DirichletAlpha", c.DirichletAlpha, math.MaxFloat64}} {
		if !(f.v >= 0 && f.v <= f.hi) {
			return &ConfigError{f.name, f.v, fmt.Sprintf("in [0, %g]", f.hi)}
		}
	}
	return nil
}
