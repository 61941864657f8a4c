package milp

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/corl-go/corl/envs"
	"github.com/corl-go/corl/solver"
	"github.com/corl-go/corl/solver/bnb"
	"github.com/corl-go/corl/solver/highs"
)

// Config configures an Env. Instances is required.
type Config struct {
	// Instances picks the episode's instance from the episode's generator
	// (a fixed instance ignores it).
	Instances func(rng *rand.Rand) (*solver.Model, error)
	// NewEngine creates the LP engine of an episode (nil: HiGHS, default engine).
	NewEngine func() (solver.Engine, error)
	// Search configures the tree search (limits, node selection).
	Search bnb.Config
}

// Fixed returns an Instances function that always gives m.
func Fixed(m *solver.Model) func(*rand.Rand) (*solver.Model, error) {
	return func(*rand.Rand) (*solver.Model, error) { return m, nil }
}

// Validate checks the configuration.
func (c Config) Validate() error {
	if c.Instances == nil {
		return errors.New("milp: Config.Instances is required")
	}
	return c.Search.Validate()
}

// StepInfo describes the step's place in the tree.
type StepInfo struct {
	NodeID, ParentID int64 // the node branched on (parent -1 at the root)
	Depth            int
	Children         [2]int64 // the down and up child the branching made
	// LPIterations are the node's own simplex iterations: its LP's and
	// strong branching's at it (complete once it is branched on). The
	// search's Tree gives every node's, its leaves' too.
	LPIterations int64
	NextNodeID   int64 // the next focus node, -1 when done
	Status       solver.Status
	Stats        bnb.Stats // the search's statistics after the step
}

// Env is the branching environment, with observations O.
type Env[O any] struct {
	cfg    Config
	obs    ObservationFunc[O]
	reward RewardFunc

	lp     solver.Engine
	search *bnb.Search
	dec    *bnb.Decision
	model  *solver.Model
	ctx    context.Context
	reset  bool
	done   bool
	prev   float64
	offset float64
}

var (
	_ envs.Env[NodeBipartite, int] = (*Env[NodeBipartite])(nil)
	_ envs.Legal[int]              = (*Env[NodeBipartite])(nil)
	_ envs.Metered                 = (*Env[NodeBipartite])(nil)
)

// New returns a branching environment.
func New[O any](cfg Config, obs ObservationFunc[O], reward RewardFunc) (*Env[O], error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if obs == nil || reward == nil {
		return nil, errors.New("milp: an observation function and a reward function are required")
	}
	if cfg.NewEngine == nil {
		cfg.NewEngine = func() (solver.Engine, error) { return highs.New(highs.Config{}) }
	}
	return &Env[O]{cfg: cfg, obs: obs, reward: reward}, nil
}

// Reset starts an episode on an instance drawn with the seed, bounded only
// by the search's own limits (ResetContext bounds it by a context).
func (e *Env[O]) Reset(seed uint64) (O, error) { return e.ResetContext(context.Background(), seed) }

// ResetContext starts an episode that ctx bounds: its deadline truncates
// the episode with a time-limit status, its cancellation interrupts it.
// The episode's steps run under ctx (the environment contract's Step takes
// none).
func (e *Env[O]) ResetContext(ctx context.Context, seed uint64) (O, error) {
	var zero O
	e.closeEpisode()
	rng := rand.New(rand.NewPCG(seed, 0x4d494c50))
	m, err := e.cfg.Instances(rng)
	if err != nil {
		return zero, err
	}
	lp, err := e.cfg.NewEngine()
	if err != nil {
		return zero, err
	}
	e.lp, e.model, e.ctx = lp, m, ctx
	s, err := bnb.NewSearch(e.ctx, lp, m, e.cfg.Search)
	if err != nil {
		e.closeEpisode()
		return zero, err
	}
	e.search = s
	e.obs.Reset(s)
	e.reset = true
	d, err := s.Next(e.ctx)
	if err != nil {
		e.closeEpisode()
		return zero, err
	}
	e.offset = e.reward.Metric(s.Stats())
	e.prev = e.offset
	return e.focus(d)
}

// focus records the next decision (nil: the episode is over) and observes it.
func (e *Env[O]) focus(d *bnb.Decision) (O, error) {
	var zero O
	e.dec = d
	if d == nil {
		e.done = true
		e.lp.Close()
		return zero, nil
	}
	e.done = false
	return e.obs.Extract(e.ctx, d)
}

// Step branches the focus node on column action.
func (e *Env[O]) Step(action int) (envs.Step[O], error) {
	var st envs.Step[O]
	switch {
	case !e.reset:
		return st, envs.ErrNotReset
	case e.done:
		return st, envs.ErrEpisodeOver
	}
	node := e.dec.Node
	if err := e.search.Branch(action); err != nil {
		var nc *bnb.NotCandidateError
		if errors.As(err, &nc) {
			return st, &envs.IllegalActionError{Action: action, Reason: "not a fractional integer column of the focus node"}
		}
		return st, err
	}
	d, err := e.search.Next(e.ctx)
	if err != nil {
		return st, err
	}
	stats := e.search.Stats()
	metric := e.reward.Metric(stats)
	st.Reward, e.prev = metric-e.prev, metric
	info := StepInfo{NodeID: node.ID, ParentID: node.ParentID, Depth: node.Depth, NextNodeID: -1, Stats: stats}
	tn, _ := e.search.Node(node.ID)
	info.Children, info.LPIterations = tn.Children, tn.LPIterations
	if obs, err := e.focus(d); err != nil {
		return st, err
	} else {
		st.Obs = obs
	}
	if d != nil {
		info.NextNodeID = d.Node.ID
	}
	info.Status = e.search.Status()
	if e.done {
		switch info.Status {
		case solver.StatusOptimal, solver.StatusInfeasible:
			st.Terminated = true
		default:
			st.Truncated = true
		}
	}
	st.Info = info
	return st, nil
}

// Legal returns the focus node's branching candidates (nil when done).
func (e *Env[O]) Legal() []int {
	if e.done || e.dec == nil {
		return nil
	}
	return e.dec.Candidates()
}

// Done reports whether the episode is over (possibly right after Reset).
func (e *Env[O]) Done() bool { return e.done }

// Decision returns the focus node's decision (nil when done), for rules
// and custom observations.
func (e *Env[O]) Decision() *bnb.Decision {
	if e.done {
		return nil
	}
	return e.dec
}

// Search returns the episode's tree search.
func (e *Env[O]) Search() *bnb.Search { return e.search }

// RewardOffset is the metric accumulated by Reset.
func (e *Env[O]) RewardOffset() float64 { return e.offset }

// Metric is the episode's cumulative metric so far.
func (e *Env[O]) Metric() float64 {
	if e.search == nil {
		return 0
	}
	return e.prev
}

// Close releases the episode's LP engine.
func (e *Env[O]) Close() error {
	e.closeEpisode()
	return nil
}

func (e *Env[O]) closeEpisode() {
	if e.search != nil {
		e.search.Close()
	}
	if e.lp != nil {
		e.lp.Close()
		e.lp = nil
	}
	e.search, e.dec, e.reset, e.done = nil, nil, false, false
}

// String describes the environment.
func (e *Env[O]) String() string {
	return fmt.Sprintf("milp.Env(%s, reward %s)", e.obs.Name(), e.reward.Name())
}
