package milp

import (
	"fmt"
	"strings"

	"github.com/corl-go/corl/solver/bnb"
)

// RewardFunc is a cumulative metric of the search; the reward of a step is
// its increase.
type RewardFunc interface {
	Name() string
	Metric(bnb.Stats) float64
}

type rewardFunc struct {
	name string
	f    func(bnb.Stats) float64
}

func (r *rewardFunc) Name() string               { return r.name }
func (r *rewardFunc) Metric(s bnb.Stats) float64 { return r.f(s) }

// The reward functions of Ecole, on corl's search.
var (
	NNodes             RewardFunc = &rewardFunc{"nnodes", func(s bnb.Stats) float64 { return float64(s.Nodes) }}
	LPIterations       RewardFunc = &rewardFunc{"lpiterations", func(s bnb.Stats) float64 { return float64(s.LPIterations) }}
	SolvingTime        RewardFunc = &rewardFunc{"solvingtime", func(s bnb.Stats) float64 { return s.Time.Seconds() }}
	DualIntegral       RewardFunc = &rewardFunc{"dualintegral", func(s bnb.Stats) float64 { return s.DualIntegral }}
	PrimalIntegral     RewardFunc = &rewardFunc{"primalintegral", func(s bnb.Stats) float64 { return s.PrimalIntegral }}
	PrimalDualIntegral RewardFunc = &rewardFunc{"primaldualintegral", func(s bnb.Stats) float64 { return s.PrimalDualIntegral }}
)

// Rewards returns the reward functions.
func Rewards() []RewardFunc {
	return []RewardFunc{NNodes, LPIterations, SolvingTime, DualIntegral, PrimalIntegral, PrimalDualIntegral}
}

// RewardByName returns the reward function called name.
func RewardByName(name string) (RewardFunc, error) {
	var names []string
	for _, r := range Rewards() {
		if strings.EqualFold(r.Name(), name) {
			return r, nil
		}
		names = append(names, r.Name())
	}
	return nil, fmt.Errorf("milp: unknown reward %q (want one of %s)", name, strings.Join(names, ", "))
}
