// Package bnb is corl's branch-and-bound for mixed-integer programs, with
// node LPs solved by an LP engine (solver.Engine: HiGHS) and the branching
// decision left to a Brancher — a built-in rule, a learned policy, or an
// agent stepping the search through envs/milp.
//
// # The search
//
// The model is taken in minimisation form (a maximisation is negated and
// reported back in its own sense). Each node is the root LP with tightened
// column bounds; its LP is warm-started from its parent's basis (or hot,
// when the parent was the last LP solved). A node is pruned when its LP is
// infeasible or its bound reaches the cutoff: the incumbent's value (or
// Config.Cutoff), rounded up when every objective coefficient of an integer
// column is integral and continuous columns cost nothing. A node whose LP
// solution is integral (within 1e-6) gives an incumbent; otherwise the
// primal heuristics run, and the Brancher picks a fractional integer
// column x_j = v to branch on: the children get x_j <= floor(v) and
// x_j >= ceil(v).
//
// # Cutting planes
//
// At the root (Config.Cuts; on unless Config.NoCuts), rounds of
// separation add violated cuts Σ a·x ≤ b to the node LP as rows and
// re-solve, and every other node separates one round (unless
// Cuts.RootOnly) of every family but Gomory's and clique's (unless
// Cuts.GomoryNodes, Cuts.CliqueNodes):
// Gomory mixed-integer cuts from the tableau rows of integer
// columns basic at fractional values (on an engine that is a
// solver.Tableau), c-MIR cuts from tight rows aggregated to eliminate
// continuous columns (with variable upper bounds x_j ≤ u·x_k substituted),
// extended and lifted knapsack covers, the same covers of the knapsack
// rows summed with the columns of one set-packing row taken as one item
// (aggregated covers: multiple knapsacks), and cliques of the conflicts that
// set-packing rows state. Each is derived from the root bounds and exact
// rows, so it holds for every integer-feasible point and stays in the LP
// at every node; the cuts not tight at the root's end are removed (with
// Cuts.Reserve, held and put back at a node whose LP point violates
// them). Rows of
// Decision.State are the model's only. Stats.Cuts counts them, and
// Stats.RootLPValue and RootBound give the root bound before and after.
//
// # Reduced-cost fixing
//
// Once a cutoff c is known, an LP of value z whose integer column x_j sits
// at its lower bound l_j with reduced cost d_j > 0 shows that x_j >
// l_j + (c − z)/d_j cannot improve on it, so x_j's upper bound falls to
// l_j + ⌊(c − z)/d_j⌋ (symmetrically at an upper bound). The root LP's
// reduced costs (after its cuts) tighten global bounds at every new
// incumbent; each node's tighten its subtree's (Config.Redcost; off by
// default). A node whose bounds become empty is closed unsolved.
// Stats.Redcost counts both.
//
// # Primal heuristics
//
// They look for incumbents and never branch, so a Brancher sees every
// decision of the tree (Config.Heuristics; all on by default). Simple
// rounding runs at every node. Diving (fractional: the least fractional
// column to its nearest side; coefficient: the side fewer rows lock, fewest
// locks first; pseudocost: the side and column the pseudocosts make
// cheapest; a column simple rounding could repair is taken only when no
// other is fractional, and fixed to the side a row locks) fixes one
// column at a time on the node LP and re-solves, offering each LP point
// rounded and going on, with one backtrack, within an iteration quota (10% of the node LPs' simplex
// iterations plus 1000, all dives together); the three run at the root,
// then one in turn every DiveFreq nodes. RENS (at the root: integer columns
// integral in the LP solution fixed, the others between floor and ceiling)
// and RINS (integer columns where the node LP agrees with the incumbent
// fixed; RINSFreq nodes after its last call, the distance to the next
// call doubling after each call that finds nothing, and a call as soon as
// a new incumbent comes from elsewhere, one-opt's and the swap search's
// moves of an incumbent counting as their source's, and none while the
// sub-MIPs' simplex iterations pass LNSEffort times the search's; with
// FixedRINS, every RINSFreq nodes) hand a sub-MIP to HiGHS's own MIP on a
// second engine, ended as HiGHS ends its own (200 nodes plus a twentieth
// of the search's, 12 stalled nodes, 500 leaves; a time limit far above
// them is only a safety net; LNSLimits), with the incumbent as cutoff. One-opt
// shifts single integer columns of each new incumbent where their cost
// improves and every row allows. The swap search then moves one integer
// column of it a unit the way its cost worsens (a vertex out of an
// independent set, a set into a cover) and shifts the columns sharing a
// row with it as one-opt does, keeping the exchange when it gains, within
// a count of matrix entries visited per call; a call the count stops
// leaves the next column to try, where the next call starts. On a
// multiple knapsack whose pooled knapsack bounds the search (see the
// aggregated covers), the pooled heuristic lists the pooled knapsack's
// best item sets from its dynamic program and places each in the
// separate knapsacks (at the root, then at node counts PooledFreq,
// 2·PooledFreq, ..., each call going on from the last). Every
// solution they find is checked against the original rows before it is
// taken. Their work is in Stats.Heuristics, not in LPIterations. While
// no sub-MIP hits its safety time limit (HeuristicStats.TimeLimited 0),
// nothing in the search reads a clock but the caller's deadline, so a
// search repeats node for node (Stats.Found lists its solutions by node).
//
// Node selection: best-first with plunging (the default: dive into the
// child on the side v rounds to while it is not cut off, Config.PlungeQuot
// and MaxPlungeDepth saying how far, else take the open node with the
// least bound), depth-first,
// or best-estimate (bound plus the pseudocost estimate of the cost to
// integrality).
//
// Search exposes the loop one decision at a time (Next, Branch), so an
// environment drives exactly the tree Solve would build with the same rule.
//
// # Limits and statistics
//
// Node, gap and time limits (the context's deadline) end the search with a
// status, not an error. Stats keep nodes, LP and strong-branching
// iterations, the bounds over time, and three integrals over wall time in
// minimisation form, with P0 and D0 the trivial bounds from the column
// bounds (or the root LP value where those are infinite):
//
//	PrimalIntegral     = ∫ (min(P0, primal(t)) - D0) dt
//	DualIntegral       = ∫ (P0 - clip(dual(t), D0, P0)) dt
//	PrimalDualIntegral = ∫ (min(P0, primal(t)) - clip(dual(t), D0, P0)) dt
//
// (the dual bound of a model proven infeasible, +Inf, counts as P0).
package bnb
