// Package muzero is mallocMuZero: Monte Carlo tree search with MuZero's
// learned model (or the true game), trained by self-play, first on the
// memory-mapping game (envs/malloc).
//
// # Search
//
// A Search holds B trees as flat arrays of (Simulations + 1) nodes x
// actions and runs them in lockstep: each simulation descends every tree
// to an unexpanded action (or a terminal state), asks the Model once for
// all the expansions, and backs the leaf values up, Q(s, a) = r + Discount
// V(s'). Two rules choose actions:
//
//   - PUCT (MuZero): argmax Q_norm(s,a) + P(s,a) sqrt(N(s)) / (1 + N(s,a))
//     (C1 + log((N(s) + C2 + 1) / C2)), Q min-max normalised over the tree,
//     0 for unvisited actions; Dirichlet(DirichletAlpha) noise mixed into
//     the root priors and the move sampled from the visit counts when
//     exploring, the most visited otherwise; the policy target is the
//     visit distribution.
//   - Gumbel (Gumbel MuZero, as mctx): at the root, Gumbel noise g (zero
//     unless exploring) and sequential halving over the top
//     m = min(MaxConsidered, legal) actions by g + logits; sigma(q) =
//     (CVisit + max N) CScale q with the completed Q (visited actions' Q,
//     the mixed value for the others) min-max rescaled over the node's
//     legal actions; the move is argmax g + logits + sigma(q) among the
//     most visited; below the root, argmax pi'(a) - N(a) / (1 + sum N)
//     with pi' = softmax(logits + sigma(q)); the policy target is pi' at
//     the root. QRange floors the min-max range (mctx: 1e-8), so that a
//     learned model's value noise does not outweigh its prior.
//
// Illegal actions (the Model's mask) are never selected and get target 0.
//
// # Models
//
// Learned evaluates the Network: the representation h(obs) -> s, the
// dynamics g(s, a) -> (s', r) and the prediction f(s) -> (policy logits,
// value), with latent states min-max scaled to [0, 1] and rewards and
// values categorical over -Support..Support of h(Scale x), h(x) =
// sign(x)(sqrt(|x|+1) - 1) + 0.001 x. The policy head is linear (a logit
// per action index) or, with NetConfig.Head = HeadCandidates, one shared
// MLP s([x, c_k]) scoring each candidate action k by its features c_k in
// the observation (x the prediction's hidden layer); below the root the
// learned model has no observation and every c_k is zero. True plays the game itself on
// clones (any Game: an envs.Env with Legal and Clone), with priors and
// values from an Evaluator: the network's f(h(obs)), BestFitRollout, or
// the two mixed (Policy.Rollout). Every simulation that ends the game and
// every rollout is a complete episode; True.Best and True.Episode hand
// back the best, and a game played without exploration follows it
// wherever it beats the best episode known through the tree's choice
// (SearchConfig.TreeOnly switches this off), so it ends with at least the
// best return any of its searches saw. In the memory-mapping game with
// malloc.EdgeOffsets, Policy.Play of a policy that follows its best
// episode (the true model without TreeOnly) also plays the default game, a
// subset of the edges game's moves, and ends with the better placement, so
// never below the default game; the learned model, or TreeOnly, plays the
// edges game alone and can end below it. With
// SearchConfig.EarlySimulations and EarlyMoves a game's first decisions
// (moves with more than one legal action) search with a budget of their
// own; such a policy that follows its best episode also plays the plain
// search and keeps the better placement, so never below it.
//
// With NetConfig.Baseline = BaselineBestFit the value and reward heads
// are relative to B(s), the return of finishing by best fit from s: the
// value head predicts V(s) - B(s) and the reward head r + Discount B(s') -
// B(s) (potential-based shaping; 0 for best fit's move). A learned-model
// search plans in these units, which shift every Q(s, a) of a node by
// the same -B(s): Gumbel's per-node rescaling ranks the moves as before,
// PUCT's does not (its min-max normalisation spans the whole tree and an
// unvisited move's Q is 0). The true model adds B(s) back to the
// network's value. TrainConfig.Counterfactual teaches the
// root's reward head the exact shaped reward of other legal moves than
// the one played (Step.Next records each move's return followed by best
// fit). With NetConfig.ActionFeatures the dynamics also reads the placed
// candidate's features where the observation is known (the root), zeros
// below.
//
// # Training
//
// A Trainer alternates self-play (Games games searched as one batch, with
// exploration) and learning from a replay buffer of the last Replay
// games: positions drawn by priority (|z - v| + 0.001)^Priority and
// weighted by importance, unrolled Unroll moves through the
// dynamics (with either model), cross-entropy on the policy targets over
// the legal actions, on the n-step value
// targets z_t = sum_{k<TDSteps} Discount^k r_{t+k} + Discount^TDSteps
// v_{t+TDSteps} (the search's root value; 0 past the end; with Values =
// ValuesReturn the return to the end, with ValuesBest the better of that
// and the best complete episode's return Step.Best) and on the
// rewards (both less the baseline's terms with NetConfig.Baseline, self-play
// recording B(s) at every move), the unrolled steps weighted 1/Unroll; a Reanalyse fraction of
// the positions get fresh root policy targets from a search with the
// latest network. With the true model and rollouts, self-play records at
// every move the best complete episode its searches knew (Step.Expert,
// its next move, ties broken toward best fit; Step.Best, its return), and
// the policy targets become (1 - Expert) pi + Expert onehot(Step.Expert). It checkpoints into an
// agents/train run directory after every iteration (weights, Adam's
// moments, the replay buffer); every iteration's randomness is drawn from
// (Seed, iteration), so a resumed run reaches the same weights.
package muzero
