package muzero

import (
	"context"
	"fmt"
	"math"
	"slices"

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

// Rollout is an Evaluator that plays every state it evaluates to the end
// of the game (the states of one Evaluate call, in order): Returns gives
// the rewards each of those rollouts collected, and Replay appends to dst
// the actions the rollout plays from a game, leaving the game unchanged.
// The true model turns rollouts into complete episodes it can hand back
// (see True.Best).
type Rollout[G any] interface {
	Returns() []float64
	Replay(game G, dst []int) ([]int, error)
}

// True plans with the game itself (AlphaZero-style): each expansion clones
// the parent's state and plays the action, so rewards, legal actions and
// terminal states are exact; only priors and values come from the
// Evaluator.
//
// The game being deterministic, every simulation that ends in a terminal
// state, and every rollout of a Rollout evaluator, is a complete episode
// the player could play; True keeps, per game, the return of the one
// through each node, and Best and Episode hand back the best of them.
type True[O any, G Game[O, G]] struct {
	actions int
	eval    Evaluator[O, G]
	nodes   [][]G        // per game, per node
	info    [][]trueNode // per game, per node
	obs     []O          // scratch: the states to evaluate
	games   []G
}

// trueNode is where a node of the true model's tree lies and the best
// complete episode known through it.
type trueNode struct {
	parent, action int32
	first          int32   // the root's action this node descends from (-1: the root)
	ret            float64 // rewards from the root to the node
	episode        float64 // return from the root of the complete episode through it (NaN: none)
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
		t.nodes, t.info = make([][]G, len(games)), make([][]trueNode, len(games))
	}
	for g := range games {
		t.nodes[g] = append(t.nodes[g][:0], games[g])
		t.info[g] = append(t.info[g][:0], trueNode{parent: -1, action: -1, first: -1, episode: math.NaN()})
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
	if err := t.evaluate(ctx, out); err != nil {
		return err
	}
	for g := range t.nodes {
		t.episodes(g, 0, g, out)
	}
	return nil
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
		p := t.info[r.Game][r.Parent]
		n := trueNode{parent: r.Parent, action: r.Action, first: p.first, episode: math.NaN()}
		if r.Parent == 0 {
			n.first = r.Action
		}
		nodes := t.nodes[r.Game]
		if int(r.Node) != len(nodes) {
			return fmt.Errorf("muzero: node %d requested, game %d has %d", r.Node, r.Game, len(nodes))
		}
		c := nodes[r.Parent].Clone()
		st, err := c.Step(int(r.Action))
		if err != nil {
			return fmt.Errorf("muzero: true model: %w", err)
		}
		n.ret = p.ret + st.Reward
		t.nodes[r.Game] = append(nodes, c)
		t.info[r.Game] = append(t.info[r.Game], n)
		t.obs, t.games = append(t.obs, st.Obs), append(t.games, c)
		out.Reward[i] = float32(st.Reward)
		t.mask(c, out, i)
		out.Terminal[i] = out.Terminal[i] || st.Done()
	}
	if err := t.evaluate(ctx, out); err != nil {
		return err
	}
	for i, r := range req {
		t.episodes(int(r.Game), int(r.Node), i, out)
	}
	return nil
}

// episodes records the complete episode through node k of game g, row i
// of the last evaluation: the node itself when terminal, else its rollout
// when the evaluator rolls out.
func (t *True[O, G]) episodes(g, k, i int, out *Eval) {
	n := &t.info[g][k]
	switch {
	case out.Terminal[i]:
		n.episode = n.ret
	case t.eval != nil:
		if r, ok := t.eval.(Rollout[G]); ok {
			n.episode = n.ret + r.Returns()[i]
		}
	}
}

// Best returns the best complete episode found in game g's tree since
// SetRoots that starts with the root's action first (any, with -1): its
// return from the root and the node it went through (-1 and -Inf: none).
// An episode that a root's rollout found counts only for first = -1 (its
// first action is known once replayed).
func (t *True[O, G]) Best(g, first int) (ret float64, node int) {
	ret, node = math.Inf(-1), -1
	for k, n := range t.info[g] {
		if (first < 0 || int(n.first) == first) && n.episode > ret {
			ret, node = n.episode, k
		}
	}
	return ret, node
}

// Episode appends to dst the actions of the complete episode through node
// k of game g: the path from the root, then the rollout's moves.
func (t *True[O, G]) Episode(g, k int, dst []int) ([]int, error) {
	start := len(dst)
	for j := k; j > 0; j = int(t.info[g][j].parent) {
		dst = append(dst, int(t.info[g][j].action))
	}
	slices.Reverse(dst[start:])
	if game := t.nodes[g][k]; len(game.Legal()) > 0 {
		r, ok := t.eval.(Rollout[G])
		if !ok {
			return dst, fmt.Errorf("muzero: node %d of game %d is no complete episode", k, g)
		}
		return r.Replay(game, dst)
	}
	return dst, nil
}
