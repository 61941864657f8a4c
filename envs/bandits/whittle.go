package bandits

import "math"

// WhittleDiscount is the discount of the infinite-horizon problem the
// Whittle indices solve.
const WhittleDiscount = 0.95

// WhittleIndex returns the arm's Whittle index in each state: the passive
// subsidy lambda at which acting and resting are equally good, found by
// bisection with value iteration on the single-arm problem
//
//	V(s) = max( r(s) + lambda + beta E_passive V(s'),  r(s) + beta E_active V(s') ).
//
// The chain is indexable when acting raises the up-probability; the
// bisection assumes it.
func WhittleIndex(a Arm, beta float64) [NumStates]float64 {
	var idx [NumStates]float64
	span := 0.0
	for _, r := range a.Reward {
		span = math.Max(span, math.Abs(r))
	}
	bound := 2*span/(1-beta) + 1
	for s := range NumStates {
		lo, hi := -bound, bound
		for range 60 {
			mid := (lo + hi) / 2
			qa, qp := whittleQ(a, beta, mid, s)
			if qa > qp {
				lo = mid // acting still wins: the index is higher
			} else {
				hi = mid
			}
		}
		idx[s] = (lo + hi) / 2
	}
	return idx
}

// whittleQ returns the active and passive values of state s under subsidy
// lambda, after value iteration to convergence.
func whittleQ(a Arm, beta, lambda float64, s int) (active, passive float64) {
	v := ArmValue(a, beta, lambda)
	return armQ(a, beta, v, s, a.PActive, 0), armQ(a, beta, v, s, a.PPassive, lambda)
}

// armQ is r(s) + sub + beta E V(s') when the arm moves up with probability p.
func armQ(a Arm, beta float64, v [NumStates]float64, s int, p, sub float64) float64 {
	return a.Reward[s] + sub + beta*(p*v[up(s)]+(1-p)*v[down(s)])
}

// ArmValue returns the value of each state of the single-arm problem in
// which resting earns a subsidy lambda per step,
//
//	V(s) = max( r(s) + lambda + beta E_passive V(s'),  r(s) + beta E_active V(s') ),
//
// by value iteration to convergence (1e-12). With lambda the Lagrange
// multiplier of a per-step budget on pulls, the arms' values summed bound
// the coupled problem's (Whittle's relaxation).
func ArmValue(a Arm, beta, lambda float64) [NumStates]float64 {
	var v [NumStates]float64
	for range 10000 {
		var nv [NumStates]float64
		delta := 0.0
		for x := range NumStates {
			nv[x] = math.Max(armQ(a, beta, v, x, a.PPassive, lambda), armQ(a, beta, v, x, a.PActive, 0))
			delta = math.Max(delta, math.Abs(nv[x]-v[x]))
		}
		v = nv
		if delta < 1e-12 {
			break
		}
	}
	return v
}
