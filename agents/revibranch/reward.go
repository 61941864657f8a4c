package revibranch

import (
	"fmt"
	"math"
)

// Redistribution says how a path's terminal reward is spread over its
// steps (see PathRewards).
type Redistribution string

const (
	// RedistributeSubtree (the default) weighs each decision by the log
	// factor by which it shrinks the subtree still ahead on the path:
	// w_t = log(1+S_t) − log(1+S_{t+1}), and w = log(1+S) on the last step
	// (S_t the subtree size of step t; under another Reward, the same
	// differences of its Return). A decision that splits off a large
	// sibling subtree gets a large share. The returns-to-go are then each
	// decision's own tree-MDP return on TreeDQN's log scale,
	// log(1 + S_t), while the terminal reward is the whole tree's.
	RedistributeSubtree Redistribution = "subtree"
	// RedistributeUniform gives every step the same share.
	RedistributeUniform Redistribution = "uniform"
	// RedistributeNone puts the whole terminal reward on the last step
	// (the sparse reward, for the ablation).
	RedistributeNone Redistribution = "none"
)

// Validate checks the name ("" is the default, subtree).
func (r Redistribution) Validate() error {
	switch r {
	case "", RedistributeSubtree, RedistributeUniform, RedistributeNone:
		return nil
	}
	return fmt.Errorf("revibranch: redistribution %q: want subtree, uniform or none", string(r))
}

// Reward names the tree-MDP return a decision is charged, a cost on
// TreeDQN's log scale, as a function of its own subtree (see Return).
type Reward string

const (
	// RewardNodes charges log(1 + S_t), S_t the subtree's nodes.
	RewardNodes Reward = "nodes"
	// RewardLPIterations charges log(1 + L_t), L_t the subtree's simplex
	// iterations (every node's own: its LP and strong branching at it).
	RewardLPIterations Reward = "lpiters"
	// RewardBoth (the default) charges log(1 + S_t) + log(1 + L_t), the
	// log of their product: a relative change of either counts the same.
	RewardBoth Reward = "both"
)

// Validate checks the name ("" is the default, both).
func (k Reward) Validate() error {
	switch k {
	case "", RewardNodes, RewardLPIterations, RewardBoth:
		return nil
	}
	return fmt.Errorf("revibranch: reward %q: want nodes, lpiters or both", string(k))
}

// Return is step t's own tree-MDP return under k: a function of its
// subtree alone, which shrinks down a path.
func (k Reward) Return(p *Path, t int) float64 {
	nodes := math.Log1p(p.Subtree[t])
	iters := 0.0
	if t < len(p.LPIterations) {
		iters = math.Log1p(p.LPIterations[t])
	}
	switch k {
	case RewardNodes:
		return nodes
	case RewardLPIterations:
		return iters
	}
	return nodes + iters
}

// TerminalReward is a path's sparse reward under k, a cost: the return of
// its first decision, whose subtree is the whole tree for a root path.
func TerminalReward(p *Path, k Reward) float64 {
	if len(p.Subtree) == 0 {
		return 0
	}
	return k.Return(p, 0)
}

// Weights returns the importance weight of each step of p under r for
// the reward k, nonnegative (dst is reused when large enough).
func (r Redistribution) Weights(p *Path, k Reward, dst []float64) []float64 {
	n := len(p.Subtree)
	dst = resize(dst, n)
	for t := range n {
		switch r {
		case RedistributeUniform:
			dst[t] = 1
		case RedistributeNone:
			dst[t] = 0
			if t == n-1 {
				dst[t] = 1
			}
		default:
			dst[t] = k.Return(p, t)
			if t+1 < n {
				dst[t] -= k.Return(p, t+1)
			}
			dst[t] = max(dst[t], 0) // subtrees shrink down a path; guard rounding
		}
	}
	return dst
}

// Redistribute spreads terminal over len(weights) steps in proportion to
// the weights (nonnegative; all zero means equal shares) and writes the
// step rewards to dst (reused when large enough). Their sum is terminal to
// rounding: the last step takes terminal minus the others' sum.
func Redistribute(terminal float64, weights, dst []float64) []float64 {
	n := len(weights)
	dst = resize(dst, n)
	if n == 0 {
		return dst
	}
	total := 0.0
	for _, w := range weights {
		total += w
	}
	given := 0.0
	for t := range n - 1 {
		share := 1 / float64(n)
		if total > 0 {
			share = weights[t] / total
		}
		dst[t] = terminal * share
		given += dst[t]
	}
	dst[n-1] = terminal - given
	return dst
}

// PathRewards returns the path's per-step rewards (costs): its terminal
// reward under k redistributed under r.
func PathRewards(p *Path, k Reward, r Redistribution, dst []float64) []float64 {
	w := r.Weights(p, k, nil)
	return Redistribute(TerminalReward(p, k), w, dst)
}

func resize(v []float64, n int) []float64 {
	if cap(v) < n {
		return make([]float64, n)
	}
	return v[:n]
}
