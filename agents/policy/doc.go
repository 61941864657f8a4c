// Package policy resolves the names of policies, baselines and learned
// ones alike, for the commands that evaluate them.
//
// Branching (MILP): a rule name of bnb.NewRule (mostfrac, pscost, fsb,
// relpscost, random), "gnn" for the shipped set-cover policy,
// "gnn:PATH" for a checkpoint written by `corl train milp`, or
// "revibranch:PATH" for a Q-network written by `corl train milp --agent
// revibranch` (any of its variants).
//
// Coupled bandits: a baseline of bandits.NewPolicy (null, random,
// sampling, myopic, iterative, whittle), or "sequoia:PATH" for a
// checkpoint written by `corl train bandits`.
//
// Memory mapping: a baseline of malloc.Baselines (xla, firstfit, random,
// mip, played by eval.Malloc itself), "muzero:PATH" for a network written
// by `corl train malloc`, played with its search, or "mcts", the search on
// the game itself with best-fit rollouts (Malloc).
package policy
