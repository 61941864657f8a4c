// Package envtest is the conformance suite every corl environment runs:
// the same seed gives the same trajectory, an episode can be reset after it
// ends, illegal actions are refused without changing the state, and where
// the environment is Metered its rewards add up to its metric.
package envtest

import (
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/corl-go/corl/envs"
)

// Config describes the environment under test.
type Config[O any, A comparable] struct {
	// New returns a fresh environment.
	New func() envs.Env[O, A]
	// Policy picks an action from the legal ones (nil: uniformly at random).
	Policy func(obs O, legal []A, rng *rand.Rand) A
	// Illegal returns an action that is not legal now, or false if every
	// action is legal. Nil skips the illegal-action check.
	Illegal func(obs O, legal []A) (A, bool)
	// Equal compares observations (nil: reflect.DeepEqual).
	Equal func(a, b O) bool
	// DeterministicReward says rewards are a function of the trajectory
	// (false for wall-clock rewards).
	DeterministicReward bool
	// MaxSteps bounds an episode in the suite (0: 10,000).
	MaxSteps int
	// Seeds to play (nil: 1, 2, 3).
	Seeds []uint64
	// MetricTol is the tolerance for reward sums against the metric
	// (0: 1e-9 relative).
	MetricTol float64
}

type transition[O, A any] struct {
	action A
	obs    O
	reward float64
	done   bool
}

// Run runs the suite on the environment described by cfg.
func Run[O any, A comparable](t *testing.T, cfg Config[O, A]) {
	if cfg.Equal == nil {
		cfg.Equal = func(a, b O) bool { return reflect.DeepEqual(a, b) }
	}
	if cfg.MaxSteps == 0 {
		cfg.MaxSteps = 10000
	}
	if cfg.Seeds == nil {
		cfg.Seeds = []uint64{1, 2, 3}
	}
	if cfg.MetricTol == 0 {
		cfg.MetricTol = 1e-9
	}
	t.Run("StepBeforeReset", func(t *testing.T) {
		env := cfg.New()
		var a A
		if _, err := env.Step(a); !errors.Is(err, envs.ErrNotReset) {
			t.Errorf("Step before Reset: %v, want ErrNotReset", err)
		}
	})
	for _, seed := range cfg.Seeds {
		t.Run("Deterministic", func(t *testing.T) {
			a := play(t, cfg, cfg.New(), seed)
			b := play(t, cfg, cfg.New(), seed)
			if len(a) != len(b) {
				t.Fatalf("seed %d: %d steps then %d steps", seed, len(a), len(b))
			}
			for k := range a {
				if a[k].action != b[k].action || a[k].done != b[k].done || !cfg.Equal(a[k].obs, b[k].obs) {
					t.Fatalf("seed %d: trajectories differ at step %d", seed, k)
				}
				if cfg.DeterministicReward && a[k].reward != b[k].reward {
					t.Fatalf("seed %d: rewards differ at step %d: %v, %v", seed, k, a[k].reward, b[k].reward)
				}
			}
		})
		t.Run("ResetAfterEnd", func(t *testing.T) {
			env := cfg.New()
			first := play(t, cfg, env, seed)
			if n := len(first); n > 0 && first[n-1].done {
				var a A
				if _, err := env.Step(a); !errors.Is(err, envs.ErrEpisodeOver) {
					t.Errorf("Step after the end: %v, want ErrEpisodeOver", err)
				}
			}
			again := play(t, cfg, env, seed) // the same env, reset
			if len(again) != len(first) {
				t.Fatalf("replay after Reset: %d steps, first play %d", len(again), len(first))
			}
		})
		if cfg.Illegal != nil {
			t.Run("IllegalRefused", func(t *testing.T) { checkIllegal(t, cfg, seed) })
		}
	}
}

// play runs one episode and checks Legal, Metered along the way.
func play[O any, A comparable](t *testing.T, cfg Config[O, A], env envs.Env[O, A], seed uint64) []transition[O, A] {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	obs, err := env.Reset(seed)
	if err != nil {
		t.Fatalf("Reset(%d): %v", seed, err)
	}
	var out []transition[O, A]
	sum := 0.0
	done := isDoneAfterReset(env)
	for k := 0; !done && k < cfg.MaxSteps; k++ {
		legal := legalOf(env)
		if legal != nil && len(legal) == 0 {
			t.Fatalf("step %d: no legal action in a live episode", k)
		}
		a := choose(cfg, obs, legal, rng)
		st, err := env.Step(a)
		if err != nil {
			t.Fatalf("step %d, action %v: %v", k, a, err)
		}
		if math.IsNaN(st.Reward) {
			t.Fatalf("step %d: NaN reward", k)
		}
		sum += st.Reward
		obs, done = st.Obs, st.Done()
		out = append(out, transition[O, A]{a, st.Obs, st.Reward, done})
	}
	if m, ok := env.(envs.Metered); ok && done {
		total, metric := m.RewardOffset()+sum, m.Metric()
		if math.Abs(total-metric) > cfg.MetricTol*math.Max(1, math.Abs(metric)) {
			t.Errorf("seed %d: reward offset + rewards = %v, metric = %v", seed, total, metric)
		}
	}
	return out
}

// doneAfterReset is implemented by environments whose Reset can already end
// the episode (a MILP solved at the root).
type doneAfterReset interface{ Done() bool }

func isDoneAfterReset(env any) bool {
	d, ok := env.(doneAfterReset)
	return ok && d.Done()
}

func legalOf[O, A any](env envs.Env[O, A]) []A {
	if l, ok := env.(envs.Legal[A]); ok {
		return l.Legal()
	}
	return nil
}

func choose[O any, A comparable](cfg Config[O, A], obs O, legal []A, rng *rand.Rand) A {
	if cfg.Policy != nil {
		return cfg.Policy(obs, legal, rng)
	}
	if len(legal) == 0 {
		var a A
		return a
	}
	return legal[rng.IntN(len(legal))]
}

// checkIllegal plays to the middle of an episode, tries an illegal action,
// and checks that the rest of the episode is what it would have been.
func checkIllegal[O any, A comparable](t *testing.T, cfg Config[O, A], seed uint64) {
	ref := play(t, cfg, cfg.New(), seed)
	if len(ref) < 1 {
		t.Skip("episode ends at Reset")
	}
	env := cfg.New()
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	obs, err := env.Reset(seed)
	if err != nil {
		t.Fatal(err)
	}
	mid := len(ref) / 2
	for k := 0; k < mid; k++ {
		a := choose(cfg, obs, legalOf(env), rng)
		st, err := env.Step(a)
		if err != nil {
			t.Fatal(err)
		}
		obs = st.Obs
	}
	bad, ok := cfg.Illegal(obs, legalOf(env))
	if !ok {
		t.Skip("every action is legal here")
	}
	_, err = env.Step(bad)
	var ie *envs.IllegalActionError
	if !errors.As(err, &ie) || !errors.Is(err, envs.ErrIllegalAction) {
		t.Fatalf("illegal action %v: %v, want *IllegalActionError", bad, err)
	}
	for k := mid; k < len(ref); k++ {
		a := choose(cfg, obs, legalOf(env), rng)
		if a != ref[k].action {
			t.Fatalf("after the refused action, step %d picks %v, reference %v", k, a, ref[k].action)
		}
		st, err := env.Step(a)
		if err != nil {
			t.Fatalf("after the refused action, step %d: %v", k, err)
		}
		if !cfg.Equal(st.Obs, ref[k].obs) || st.Done() != ref[k].done {
			t.Fatalf("after the refused action, step %d differs from the reference", k)
		}
		obs = st.Obs
	}
}
