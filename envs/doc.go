// Package envs is corl's environment contract: every problem family
// (MILP branching, memory mapping, coupled bandits) is played as a Gym-like
// Markov decision process through Env.
//
// # The MDP
//
// Reset(seed) starts an episode and returns the first observation; each
// Step(action) returns Step{Obs, Reward, Terminated, Truncated, Info}.
// Terminated means the episode reached a terminal state of the MDP (the
// tree search finished, the last buffer was placed); Truncated means a
// limit stopped it early. After either, only Reset is allowed. Everything
// stochastic draws from a math/rand/v2 source seeded by Reset, so the same
// seed and the same actions give the same trajectory.
//
// Environments with discrete actions also implement Legal, which lists the
// actions allowed in the current state. An action outside that set is
// refused with an *IllegalActionError and leaves the state unchanged.
//
// Environments whose rewards add up to an episode metric implement Metered:
// RewardOffset (what Reset already earned) plus the sum of the step rewards
// equals Metric at the end of the episode.
//
// Package envtest is the conformance suite every environment runs.
package envs
