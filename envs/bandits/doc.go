// Package bandits holds the coupled restless multi-armed bandit families of
// SEQUOIA (Xu et al., ICLR 2025): arms whose joint action is constrained by
// a combinatorial structure, so choosing an action is itself a MIP.
//
// # The arms
//
// Each of J arms is a chain over states 0..3. Acting on arm j moves it up
// (to min(s+1, 3)) with probability PActive in U(0.7, 0.9), else down (to
// max(s-1, 0)); left passive it moves up with PPassive in U(0, 0.2). An arm
// in state s earns Reward[s]: B "good" arms pay [0.2, 0.15, 0.1, R] with R
// in {4, 5, 6}, the others [0.1, 0.15, 0.2, R] with R in {1, 2, 3}, so a
// myopic policy, which sees only the next step, neglects the good arms.
//
// # The MDP
//
// State: every arm's state and the time step. Action: a bitset (Action)
// over the family's action variables (arms, or interventions for the
// interventions family); the empty action ("no action") is always allowed.
// Reward: the realised sum of the arms' rewards after the transition; Info
// (StepInfo) also carries the expected next-step reward, SEQUOIA's
// evaluation metric. Episodes last Horizon steps (20 by default). An
// infeasible action is refused with *envs.IllegalActionError and changes
// nothing.
//
// # The families
//
// interventions: N binaries z (sum z = B); arm j's up-probability is
// sigmoid(a_j x_j + b_j) with x_j the fraction of its linked interventions
// switched on, b_j = logit(PPassive) and a_j = logit(PActive) - b_j.
//
// scheduling: B workers x 5 time slots, each worker and each arm available
// in some slots; a pulled arm takes two worker-slots in which both it and the
// worker are available; a worker-slot serves one arm.
//
// capacity: B workers with capacities 2..7; arm j costs 2..6; each pulled
// arm is assigned to one worker with room left.
//
// path: the arms are the nodes of a connected graph (a subgraph of the
// London Underground when given, else a random geometric graph of similar
// degree); at most B pulled arms, all on one simple route of at most 2B
// edges from a source node.
//
// Each family exposes its feasible actions as a MIP fragment
// (Instance.AppendFragment) that an agent appends to its own model, a
// Feasible check and a seeded sampler of random feasible actions.
package bandits
