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

// episode is one play: the observation Reset gave, the steps, and whether
// the episode ended (rather than the suite's MaxSteps).
type episode[O, A any] struct {
	start O
	steps []transition[O, A]
	done  bool
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
			sameEpisode(t, cfg, seed, "a second environment", a, b)
		})
		t.Run("ResetAfterEnd", func(t *testing.T) {
			env := cfg.New()
			first := play(t, cfg, env, seed)
			if !first.done {
				t.Fatalf("seed %d: the episode did not end within MaxSteps = %d steps, so neither Step after the end nor Reset after it can be checked; raise Config.MaxSteps", seed, cfg.MaxSteps)
			}
			var a A
			if len(first.steps) > 0 {
				a = first.steps[len(first.steps)-1].action
			}
			if _, err := env.Step(a); !errors.Is(err, envs.ErrEpisodeOver) {
				t.Errorf("seed %d: Step after the end (after %d steps): %v, want ErrEpisodeOver", seed, len(first.steps), err)
			}
			again := play(t, cfg, env, seed) // the same env, reset
			sameEpisode(t, cfg, seed, "the same environment after Reset", first, again)
		})
		t.Run("IllegalRefused", func(t *testing.T) {
			if cfg.Illegal == nil {
				t.Skip("Config.Illegal is nil: the environment has no illegal action to offer")
			}
			checkIllegal(t, cfg, seed)
		})
	}
}

// sameEpisode reports the first difference between two plays of a seed:
// the Reset observation, then each step's action, observation, end and
// (for DeterministicReward) reward.
func sameEpisode[O any, A comparable](t *testing.T, cfg Config[O, A], seed uint64, what string, a, b episode[O, A]) {
	t.Helper()
	if !cfg.Equal(a.start, b.start) {
		t.Fatalf("seed %d: %s: Reset gives a different observation", seed, what)
	}
	if len(a.steps) != len(b.steps) || a.done != b.done {
		t.Fatalf("seed %d: %s: %d steps (ended %v), first play %d (ended %v)", seed, what, len(b.steps), b.done, len(a.steps), a.done)
	}
	for k := range a.steps {
		x, y := a.steps[k], b.steps[k]
		if x.action != y.action || x.done != y.done || !cfg.Equal(x.obs, y.obs) {
			t.Fatalf("seed %d: %s: step %d differs (action %v then %v, ended %v then %v, or the observation)", seed, what, k, x.action, y.action, x.done, y.done)
		}
		if cfg.DeterministicReward && x.reward != y.reward {
			t.Fatalf("seed %d: %s: step %d reward %v, first play %v", seed, what, k, y.reward, x.reward)
		}
	}
}

// play runs one episode (at most MaxSteps steps) and checks Legal and
// Metered along the way.
func play[O any, A comparable](t *testing.T, cfg Config[O, A], env envs.Env[O, A], seed uint64) episode[O, A] {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	obs, err := env.Reset(seed)
	if err != nil {
		t.Fatalf("Reset(%d): %v", seed, err)
	}
	ep := episode[O, A]{start: obs}
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
		ep.steps = append(ep.steps, transition[O, A]{a, st.Obs, st.Reward, done})
	}
	ep.done = done
	if m, ok := env.(envs.Metered); ok && done {
		total, metric := m.RewardOffset()+sum, m.Metric()
		if math.Abs(total-metric) > cfg.MetricTol*math.Max(1, math.Abs(metric)) {
			t.Errorf("seed %d: reward offset + rewards = %v, metric = %v", seed, total, metric)
		}
	}
	return ep
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

// checkIllegal plays to the middle of an episode (or the first step after
// it, else before it, where Illegal offers an action), tries an illegal
// action, and checks that the rest of the episode is what it would have
// been.
func checkIllegal[O any, A comparable](t *testing.T, cfg Config[O, A], seed uint64) {
	ref := play(t, cfg, cfg.New(), seed).steps
	if len(ref) < 1 {
		t.Skip("the episode ends at Reset: no state to offer an illegal action in")
	}
	mid := len(ref) / 2
	for i := range ref {
		at := (mid + i) % len(ref)
		env := cfg.New()
		rng := rand.New(rand.NewPCG(seed, 0x5eed))
		obs, err := env.Reset(seed)
		if err != nil {
			t.Fatal(err)
		}
		for k := 0; k < at; k++ {
			st, err := env.Step(choose(cfg, obs, legalOf(env), rng))
			if err != nil {
				t.Fatal(err)
			}
			obs = st.Obs
		}
		bad, ok := cfg.Illegal(obs, legalOf(env))
		if !ok {
			continue
		}
		_, err = env.Step(bad)
		var ie *envs.IllegalActionError
		if !errors.As(err, &ie) || !errors.Is(err, envs.ErrIllegalAction) {
			t.Fatalf("step %d: illegal action %v: %v, want *IllegalActionError", at, bad, err)
		}
		for k := at; k < len(ref); k++ {
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
			if cfg.DeterministicReward && st.Reward != ref[k].reward {
				t.Fatalf("after the refused action, step %d reward %v, reference %v", k, st.Reward, ref[k].reward)
			}
			obs = st.Obs
		}
		return
	}
	t.Skipf("every action is legal at each of the %d steps of seed %d", len(ref), seed)
}
