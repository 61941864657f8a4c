package muzero

import (
	"context"
	"fmt"

	"github.com/corl-go/corl/envs"
)

// Game is an environment the true model can copy and play: a discrete
// envs.Env with its legal actions and a Clone of its current state
// (malloc.Env is one). Actions are 0..n-1.
type Game[O, G any] interface {
	envs.Env[O, int]
	envs.Legal[int]
	Clone() G
}

// Evaluator gives prior logits (len(obs) x actions, zero on entry) and
// values (zero on entry) for states, known both as games and as their
// observations: a network's f(h(obs)), or a rollout's return. A nil
// Evaluator gives uniform priors and zero values.
type Evaluator[O, G any] interface {
	Evaluate(ctx context.Context, games []G, obs []O, logits, values []float32) error
}

// True plans with the game itself (AlphaZero-style): each expansion clones
// the parent's state and plays the action, so rewards, legal actions and
// terminal states are exact; only priors and values come from the
// Evaluator.
type True[O any, G Game[O, G]] struct {
	actions int
	eval    Evaluator[O, G]
	nodes   [][]G // per game, per node
	obs     []O   // scratch: the states to evaluate
	games   []G
}

// NewTrue returns a true model over actions actions with an evaluator (nil:
// uniform priors, zero values).
func NewTrue[O any, G Game[O, G]](actions int, eval Evaluator[O, G]) *True[O, G] {
	return &True[O, G]{actions: actions, eval: eval}
}

// SetRoots sets the games to search from (searched on clones; the games
// themselves are not changed) and their current observations.
func (t *True[O, G]) SetRoots(games []G, obs []O) {
	if len(t.nodes) != len(games) {
		t.nodes = make([][]G, len(games))
	}
	for g := range games {
		t.nodes[g] = append(t.nodes[g][:0], games[g])
	}
	t.obs = append(t.obs[:0], obs...)
	t.games = append(t.games[:0], games...)
}

// Actions is the size of the action space.
func (t *True[O, G]) Actions() int { return t.actions }

// Root evaluates the roots.
func (t *True[O, G]) Root(ctx context.Context, out *Eval) error {
	for g, nodes := range t.nodes {
		t.mask(nodes[0], out, g)
	}
	return t.evaluate(ctx, out)
}

func (t *True[O, G]) mask(game G, out *Eval, i int) {
	legal := game.Legal()
	out.Terminal[i] = len(legal) == 0
	for _, a := range legal {
		out.Legal[i*t.actions+a] = true
	}
}

func (t *True[O, G]) evaluate(ctx context.Context, out *Eval) error {
	if t.eval == nil {
		return nil // zero logits and values
	}
	return t.eval.Evaluate(ctx, t.games, t.obs, out.Logits, out.Value)
}

// Recurrent plays each requested action on a clone of its parent.
func (t *True[O, G]) Recurrent(ctx context.Context, req []Expansion, out *Eval) error {
	t.obs, t.games = t.obs[:0], t.games[:0]
	for i, r := range req {
		nodes := t.nodes[r.Game]
		if int(r.Node) != len(nodes) {
			return fmt.Errorf("muzero: node %d requested, game %d has %d", r.Node, r.Game, len(nodes))
		}
		c := nodes[r.Parent].Clone()
		st, err := c.Step(int(r.Action))
		if err != nil {
			return fmt.Errorf("muzero: true model: %w", err)
		}
		t.nodes[r.Game] = append(nodes, c)
		t.obs, t.games = append(t.obs, st.Obs), append(t.games, c)
		out.Reward[i] = float32(st.Reward)
		t.mask(c, out, i)
		out.Terminal[i] = out.Terminal[i] || st.Done()
	}
	return t.evaluate(ctx, out)
}
