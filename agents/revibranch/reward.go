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
	// (S_t the subtree size of step t). A decision that splits off a large
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

// TerminalReward is a path's sparse reward, a cost: the log of one plus the
// size of the subtree of its first decision (the whole tree for a root
// path), the scale on which TreeDQN measures tree sizes.
func TerminalReward(p *Path) float64 {
	if len(p.Subtree) == 0 {
		return 0
	}
	return math.Log1p(p.Subtree[0])
}

// Weights returns the importance weight of each step of p under r,
// nonnegative (dst is reused when large enough).
func (r Redistribution) Weights(p *Path, dst []float64) []float64 {
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
			dst[t] = math.Log1p(p.Subtree[t])
			if t+1 < n {
				dst[t] -= math.Log1p(p.Subtree[t+1])
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
// reward redistributed under r.
func PathRewards(p *Path, r Redistribution, dst []float64) []float64 {
	w := r.Weights(p, nil)
	return Redistribute(TerminalReward(p), w, dst)
}

func resize(v []float64, n int) []float64 {
	if cap(v) < n {
		return make([]float64, n)
	}
	return v[:n]
}
