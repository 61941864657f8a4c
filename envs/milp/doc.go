// Package milp is the branching environment: an agent chooses the branching
// variable at each node of corl's branch-and-bound (solver/bnb), whose node
// LPs HiGHS solves.
//
// # The MDP
//
// State: the search tree with the node awaiting a decision (the focus node)
// and its LP solution. Action: a column index from Legal(), the fractional
// integer columns of the focus node's LP solution (Ecole's action set).
// Transition: branch on it (children x_j <= floor(v) and x_j >= ceil(v))
// and run the search to the next node that needs a decision. The episode
// terminates when the search ends (optimal or infeasible) and is truncated
// by a node, gap or time limit. Reset may already end the episode (Done()
// reports it) when the root LP is integral or pruned.
//
// Observations are computed by an ObservationFunc at each focus node:
// NodeBipartite (Gasse et al.'s bipartite graph: 19 column features, 5 row
// features, edge coefficients), Khalil2016 (72 features per candidate),
// StrongBranchingScores and Pseudocosts. There is no observation on
// terminal states.
//
// Rewards are per-step differences of a cumulative metric of the search
// (RewardFunc): NNodes, LPIterations, SolvingTime, DualIntegral,
// PrimalIntegral, PrimalDualIntegral. They are costs, as in Ecole: an agent
// maximising return negates them. RewardOffset() (what Reset's root
// processing earned) plus the step rewards equals Metric() at the end.
//
// Info (StepInfo) gives the tree structure: the node branched on, its
// parent and depth, its two children, and the next focus node, so returns
// can be computed per subtree (tree MDP).
//
// Driving the environment with a rule builds exactly the tree that
// bnb.Solve builds with that rule: both run the same bnb.Search.
package milp
