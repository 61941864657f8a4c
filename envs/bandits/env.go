package bandits

import (
	"errors"
	"math/rand/v2"
	"slices"

	"github.com/corl-go/corl/envs"
)

// Obs is the state: every arm's state and the time step. Inst is the
// instance, for policies that plan with it.
type Obs struct {
	States []int
	T      int
	Inst   *Instance
}

// StepInfo carries SEQUOIA's metric alongside the realised reward.
type StepInfo struct {
	Expected float64 // expected reward of the next states, given the action
	Pulled   int     // members of the action
}

// Env plays one instance for Horizon steps per episode.
type Env struct {
	inst    *Instance
	horizon int
	rng     *rand.Rand
	states  []int
	t       int
	reset   bool
	done    bool
	p       []float64
}

var _ envs.Env[Obs, Action] = (*Env)(nil)

// New returns an environment on an instance; horizon 0 means 20.
func New(inst *Instance, horizon int) (*Env, error) {
	if inst == nil {
		return nil, errors.New("bandits: nil instance")
	}
	if horizon < 0 {
		return nil, errors.New("bandits: negative horizon")
	}
	if horizon == 0 {
		horizon = 20
	}
	return &Env{inst: inst, horizon: horizon}, nil
}

// Reset draws the arms' initial states uniformly and starts an episode.
func (e *Env) Reset(seed uint64) (Obs, error) {
	e.rng = rand.New(rand.NewPCG(seed, 0x6261_6e64))
	e.states = make([]int, e.inst.J)
	for j := range e.states {
		e.states[j] = e.rng.IntN(NumStates)
	}
	e.t, e.reset, e.done = 0, true, false
	return e.obs(), nil
}

func (e *Env) obs() Obs { return Obs{States: slices.Clone(e.states), T: e.t, Inst: e.inst} }

// Step applies an action; an infeasible one is refused and changes nothing.
func (e *Env) Step(a Action) (envs.Step[Obs], error) {
	var st envs.Step[Obs]
	switch {
	case !e.reset:
		return st, envs.ErrNotReset
	case e.done:
		return st, envs.ErrEpisodeOver
	}
	if ok, err := e.inst.Feasible(a); err != nil {
		return st, err
	} else if !ok {
		return st, &envs.IllegalActionError{Action: a, Reason: "violates the " + e.inst.Family + " constraints"}
	}
	e.p = e.inst.UpProbs(a, e.p)
	info := StepInfo{Expected: e.inst.ExpectedReward(e.states, a), Pulled: a.Len()}
	for j, arm := range e.inst.Arms {
		if e.rng.Float64() < e.p[j] {
			e.states[j] = up(e.states[j])
		} else {
			e.states[j] = down(e.states[j])
		}
		st.Reward += arm.Reward[e.states[j]]
	}
	e.t++
	e.done = e.t >= e.horizon
	st.Obs, st.Terminated, st.Info = e.obs(), e.done, info
	return st, nil
}

// Instance returns the instance played.
func (e *Env) Instance() *Instance { return e.inst }
