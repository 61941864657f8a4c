package envs

import (
	"errors"
	"fmt"
)

// Env is a Gym-like environment with observations O and actions A.
type Env[O, A any] interface {
	// Reset starts a new episode. Its seed drives every random choice.
	Reset(seed uint64) (O, error)
	// Step applies an action. After a terminal or truncated step only
	// Reset is allowed (ErrEpisodeOver otherwise).
	Step(action A) (Step[O], error)
}

// Step is the outcome of one action.
type Step[O any] struct {
	Obs        O
	Reward     float64
	Terminated bool // a terminal state of the MDP was reached
	Truncated  bool // a limit ended the episode early
	Info       any  // environment-specific details (documented by each env)
}

// Done reports whether the episode is over.
func (s Step[O]) Done() bool { return s.Terminated || s.Truncated }

// Legal is implemented by environments with a discrete action set: the
// actions allowed in the current state (empty once the episode is over).
type Legal[A any] interface {
	Legal() []A
}

// Metered is implemented by environments whose rewards sum to an episode
// metric: RewardOffset() + sum of step rewards == Metric() once done.
type Metered interface {
	RewardOffset() float64
	Metric() float64
}

// Sentinel errors.
var (
	// ErrNotReset: Step before the first Reset.
	ErrNotReset = errors.New("envs: Step before Reset")
	// ErrEpisodeOver: Step after a terminal or truncated step.
	ErrEpisodeOver = errors.New("envs: episode is over; call Reset")
	// ErrIllegalAction: the action is not allowed in this state.
	ErrIllegalAction = errors.New("envs: illegal action")
)

// IllegalActionError reports a refused action; the state is unchanged.
type IllegalActionError struct {
	Action any
	Reason string
}

func (e *IllegalActionError) Error() string {
	return fmt.Sprintf("envs: illegal action %v: %s", e.Action, e.Reason)
}

func (e *IllegalActionError) Unwrap() error { return ErrIllegalAction }
