package muzero

import (
	"context"
)

// Model is what the search plans with, batched over the B games of one
// search: the learned dynamics (Learned) or the true game (True).
//
// Node 0 of each game is its root. Root evaluates the B roots; Recurrent
// evaluates the states reached by one action each from already evaluated
// nodes and keeps them under the node numbers the search gives, so that
// later requests can start from them.
type Model interface {
	// Actions is the size of the action space.
	Actions() int
	// Root evaluates every game's root state into out (len B rows).
	Root(ctx context.Context, out *Eval) error
	// Recurrent evaluates one expansion per request into out (len(req) rows).
	Recurrent(ctx context.Context, req []Expansion, out *Eval) error
}

// Expansion asks for the state reached from node Parent of game Game by
// Action, to be kept as node Node.
type Expansion struct {
	Game, Parent, Action, Node int32
}

// Eval is a model's evaluation of a batch of states, one row each: the
// reward of the transition into the state (0 at a root), the state's value,
// its prior logits over the actions, the legal actions (a learned model,
// which does not know them below the root, marks every action legal), and
// whether the state is terminal (no action can be taken from it).
type Eval struct {
	Reward   []float32
	Value    []float32
	Logits   []float32 // rows x actions
	Legal    []bool    // rows x actions
	Terminal []bool
}

// Resize makes room for n rows of a actions, reusing the buffers, and
// clears them.
func (e *Eval) Resize(n, a int) {
	e.Reward = resize(e.Reward, n)
	e.Value = resize(e.Value, n)
	e.Logits = resize(e.Logits, n*a)
	e.Legal = resize(e.Legal, n*a)
	e.Terminal = resize(e.Terminal, n)
}

func resize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	s = s[:n]
	clear(s)
	return s
}
