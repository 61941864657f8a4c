package qmip

import (
	"math"

	"github.com/corl-go/corl/envs/bandits"
)

// relaxation is Whittle's Lagrangian relaxation of an instance: the
// per-step limit on pulls is priced at a multiplier λ, which decouples the
// arms, and the arms' values summed bound the coupled problem's value.
type relaxation struct {
	gamma  float64
	v      [][bandits.NumStates]float64 // per arm, bandits.ArmValue at λ
	lambda float64
	c      float64 // priceTerm at λ
}

// pullBudget is the K of the relaxation: the most arms an action pulls
// (MaxActionSize) in the arm families; in interventions, where B of N
// interventions act on arms through their links, the number of fully
// acted-on arms they are worth on average, J·B/N.
func pullBudget(in *bandits.Instance) float64 {
	if in.Family == bandits.Interventions {
		return float64(in.J*in.B) / float64(in.N)
	}
	return float64(MaxActionSize(in))
}

// relax returns the relaxation at the λ that minimises the bound averaged
// over uniformly drawn states (the states episodes start in and the warm
// start samples), by ternary search: the bound is convex in λ.
func relax(in *bandits.Instance, gamma float64) relaxation {
	k := pullBudget(in)
	r := relaxation{gamma: gamma, v: make([][bandits.NumStates]float64, in.J)}
	bound := func(lambda float64) float64 { return dualBound(in, gamma, k, lambda) }
	lo, hi := 0.0, 0.0
	for _, a := range in.Arms {
		for _, x := range a.Reward {
			hi = math.Max(hi, 2*math.Abs(x)/(1-gamma)+1) // above every Whittle index: no arm is pulled
		}
	}
	for range 100 {
		m1, m2 := lo+(hi-lo)/3, hi-(hi-lo)/3
		if bound(m1) <= bound(m2) {
			hi = m2
		} else {
			lo = m1
		}
	}
	r.lambda = (lo + hi) / 2
	for j, a := range in.Arms {
		r.v[j] = bandits.ArmValue(a, gamma, r.lambda)
	}
	r.c = priceTerm(in, gamma, k, r.lambda)
	return r
}

// priceTerm is the multiplier's share of the relaxation's bound,
// λ(K − J)/(1 − γ).
func priceTerm(in *bandits.Instance, gamma, k, lambda float64) float64 {
	return lambda * (k - float64(in.J)) / (1 - gamma)
}

// dualBound is the relaxation's bound at multiplier lambda with K = k,
// averaged over uniform states: Σ_j mean_s V_j(s) + λ(K − J)/(1 − γ).
func dualBound(in *bandits.Instance, gamma, k, lambda float64) float64 {
	d := priceTerm(in, gamma, k, lambda)
	for _, a := range in.Arms {
		for _, x := range bandits.ArmValue(a, gamma, lambda) {
			d += x / bandits.NumStates
		}
	}
	return d
}

// q is the relaxation's value of taking a in states, then playing on
// with the arms decoupled at λ: Σ_j E[V_j(s'_j)] + c, where arm j moves up
// with the probability a gives it. The environment pays the next states'
// reward, which V_j(s'_j) counts first, so this is a one-step lookahead on
// the relaxed value, the same quantity as Q(s, a). p is scratch.
func (r relaxation) q(in *bandits.Instance, states []int, a bandits.Action, p []float64) float64 {
	p = in.UpProbs(a, p)
	q := r.c
	for j, v := range r.v {
		q += bandits.Arm{Reward: v}.Expected(states[j], p[j])
	}
	return q
}
