package qmip

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/corl-go/corl/envs/bandits"
)

// exactQ solves a small coupled bandit exactly (value iteration over all
// 4^J states and every feasible action) and returns Q*(s, a) for the
// environment's reward, the next states' reward, keyed by state index
// (base 4, arm 0 first) and action.
func exactQ(t *testing.T, in *bandits.Instance, gamma float64) (map[int]map[bandits.Action]float64, []bandits.Action) {
	t.Helper()
	var acts []bandits.Action
	for m := range 1 << in.NumVars() {
		var a bandits.Action
		for i := range in.NumVars() {
			if m>>i&1 == 1 {
				a = a.Set(i)
			}
		}
		if ok, err := in.Feasible(a); err != nil {
			t.Fatal(err)
		} else if ok {
			acts = append(acts, a)
		}
	}
	n := 1
	for range in.J {
		n *= bandits.NumStates
	}
	decode := func(x int) []int {
		s := make([]int, in.J)
		for j := range s {
			s[j], x = x%bandits.NumStates, x/bandits.NumStates
		}
		return s
	}
	encode := func(s []int) int {
		x := 0
		for j := in.J - 1; j >= 0; j-- {
			x = x*bandits.NumStates + s[j]
		}
		return x
	}
	v := make([]float64, n)
	q := map[int]map[bandits.Action]float64{}
	for range 2000 {
		nv := make([]float64, n)
		for x := range n {
			s := decode(x)
			q[x] = map[bandits.Action]float64{}
			best := math.Inf(-1)
			for _, a := range acts {
				p := in.UpProbs(a, nil)
				val := 0.0
				for m := range 1 << in.J { // bit j: arm j moves up
					pr, s2 := 1.0, make([]int, in.J)
					r := 0.0
					for j := range in.J {
						if m>>j&1 == 1 {
							pr, s2[j] = pr*p[j], min(s[j]+1, bandits.NumStates-1)
						} else {
							pr, s2[j] = pr*(1-p[j]), max(s[j]-1, 0)
						}
						r += in.Arms[j].Reward[s2[j]]
					}
					val += pr * (r + gamma*v[encode(s2)])
				}
				q[x][a] = val
				best = max(best, val)
			}
			nv[x] = best
		}
		v = nv
	}
	return q, acts
}

// A single arm's values by hand: acting always moves it up, resting
// always down, and only the top state pays 1.
func TestArmValueByHand(t *testing.T) {
	arm := bandits.Arm{PActive: 1, PPassive: 0, Reward: [4]float64{0, 0, 0, 1}}
	// no subsidy: act forever; V(3) = 1 + V(3)/2, each state below half
	// the one above
	for s, want := range []float64{0.25, 0.5, 1, 2} {
		if got := bandits.ArmValue(arm, 0.5, 0)[s]; math.Abs(got-want) > 1e-9 {
			t.Errorf("λ = 0: V(%d) = %g, want %g", s, got, want)
		}
	}
	// a subsidy of 10 beats climbing: rest forever, sliding to state 0
	for s, want := range []float64{20, 20, 20, 21} {
		if got := bandits.ArmValue(arm, 0.5, 10)[s]; math.Abs(got-want) > 1e-9 {
			t.Errorf("λ = 10: V(%d) = %g, want %g", s, got, want)
		}
	}
}

func smallInstance(t *testing.T, family string, j, b int, seed uint64) *bandits.Instance {
	t.Helper()
	in, err := NewInstance(family, j, b, seed)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// The relaxation's one-step lookahead bounds the exact optimum Q*(s, a)
// from above on every state and feasible action (weak duality: no
// feasible action pulls more than K arms), and equals it when the
// constraint never binds (capacity for every arm: the arms are independent).
func TestRelaxationBoundsTheOptimum(t *testing.T) {
	const gamma = 0.9
	for _, tc := range []struct {
		family string
		loose  bool
	}{{bandits.Capacity, false}, {bandits.Scheduling, false}, {bandits.Path, false}, {bandits.Capacity, true}} {
		in := smallInstance(t, tc.family, 3, 1, 5)
		if tc.loose {
			in.WorkerCap = []int{100}
		}
		rel := relax(in, gamma)
		q, acts := exactQ(t, in, gamma)
		worst := 0.0
		for x, qa := range q {
			s := make([]int, in.J)
			for j, y := 0, x; j < in.J; j, y = j+1, y/bandits.NumStates {
				s[j] = y % bandits.NumStates
			}
			for _, a := range acts {
				got, want := rel.q(in, s, a, nil), qa[a]
				if got < want-1e-6 {
					t.Fatalf("%s: relaxation %g below the optimum %g at %v, %v", tc.family, got, want, s, a)
				}
				worst = max(worst, got-want)
			}
		}
		if tc.loose && worst > 1e-6 {
			t.Errorf("loose capacity: the relaxation exceeds the optimum by up to %g, want 0", worst)
		}
	}
}

// The multiplier minimises the bound: no λ on a fine grid does better.
func TestRelaxationMinimisesTheBound(t *testing.T) {
	const gamma = 0.95
	for _, family := range bandits.Families() {
		in := smallInstance(t, family, 12, 3, 2)
		rel := relax(in, gamma)
		k := pullBudget(in)
		bound := func(lambda float64) float64 { return dualBound(in, gamma, k, lambda) }
		at := bound(rel.lambda)
		for lambda := 0.0; lambda < 10; lambda += 0.01 {
			if b := bound(lambda); b < at-1e-6 {
				t.Fatalf("%s: bound %g at λ = %g below %g at the chosen λ = %g", family, b, lambda, at, rel.lambda)
			}
		}
		// by hand: the empty action rests every arm for one step
		rng := rand.New(rand.NewPCG(1, 1))
		s := make([]int, in.J)
		for j := range s {
			s[j] = rng.IntN(bandits.NumStates)
		}
		want := rel.c
		for j, a := range in.Arms {
			v := rel.v[j]
			want += a.PPassive*v[min(s[j]+1, 3)] + (1-a.PPassive)*v[max(s[j]-1, 0)]
		}
		if family != bandits.Interventions { // the empty action rests every arm
			if got := rel.q(in, s, bandits.Action{}, nil); math.Abs(got-want) > 1e-9 {
				t.Errorf("%s: q(s, ∅) = %g, want %g", family, got, want)
			}
		}
	}
}
