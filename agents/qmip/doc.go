// Package qmip is SEQUOIA (Xu, Wilder, Khalil, Tambe, ICLR 2025) for the
// coupled restless bandits of envs/bandits: a ReLU Q-network over
// [action, state] embedded in a MIP with the family's constraints, so that
// choosing the best action — a combinatorial set — is one HiGHS solve, and
// trained by DQN.
//
// # The network and its inputs
//
// Q(s, a) = Net([a, onehot(s)]): one input per action variable (arm, or
// intervention), then a one-hot of each arm's state (NumInputs). Net is
// ReLU after every layer but the last, one output; SEQUOIA's sizes are
// 16 and 32 hidden units (Config.Hidden).
//
// # The MIP
//
// With the state fixed, the first layer is affine in the binaries a. A
// hidden neuron y = max(0, z) whose pre-activation is bounded by [L, U]
// on the feasible actions is written (Net.Encode)
//
//	U ≤ 0:  nothing (y = 0)
//	L ≥ 0:  y = z, substituted into the next layer
//	else:   y ≥ z, y ≥ 0, y ≤ z − L(1 − w), y ≤ U·w, w binary
//
// and the objective is the output neuron. The bounds come from
// Net.Propagate: symbolic (linear) bounds through the layers over binaries
// with at most MaxActionSize of them set, intersected with interval
// arithmetic; never a constant big-M (SelectConfig.BigM gives one, for
// comparison only). SelectConfig.Tighten = TightenLP narrows the bounds
// of the neurons they leave undecided by optimisation-based tightening:
// two LPs per such neuron, layer by layer, over the LP relaxation of the
// fragment and the earlier layers' rows (Selector.Bounds). The family's
// fragment (bandits.Instance.AppendFragment) supplies the action's
// constraints; Selector.Best solves it and compares with the empty action,
// always allowed. Each choice starts HiGHS from the previous one: the
// previous MIP solution's fragment columns, which stay feasible whatever
// the state, with the neuron columns recomputed by a forward pass in the
// new state (SelectConfig.Start; Selector.Reset forgets it).
//
// BenchmarkSelect times a choice per family at J = 20 and 40 with each
// kind of bounds, with and without the start, side by side.
//
// # Training
//
// Train warm-starts the network on random states and feasible actions
// (Config.Warm: by default the value of resting every arm in Whittle's
// relaxation plus each arm's positive Whittle index times its activity,
// which under the product inputs, Config.Features, makes the warm
// network's MIP choose Whittle's action; SEQUOIA's myopic reward is
// WarmMyopic). With Config.Skip = SkipLinear (the default) Q is the ReLU
// network plus a linear term over the input, which the MIP takes as
// objective coefficients; the ReLU part starts at zero and the warm start
// sets the linear term by least squares, which under the product inputs
// is the target exactly (every warm target is linear in them), so the
// warm network adds no binary. Train then plays
// Config.Episodes episodes: epsilon-greedy, exploring with the family's
// sampler of feasible actions and otherwise taking the MIP's action. The
// reward learned from is the environment's expected next-step reward
// (SEQUOIA's metric). Each update samples a batch from the replay buffer
// and regresses Q(s, a) on r + γ·max_a' Q_target(s', a') with the Huber
// loss; the max is one MIP per distinct s', solved by Config.Workers HiGHS
// instances in parallel (without MIP starts, so no value depends on which
// worker solved what before) and memoised until the target network
// changes. Config.Double picks the action by the online network's MIP and
// values it by the target network; Config.Target holds the target network
// at the warm start or moves it softly (Tau); Config.LRDecay decays the
// rate per episode. Config.Improve replaces DQN by least-squares policy
// iteration: rounds of play, then Q becomes the LSTD-Q estimate of the
// greedy policy's value, fitted arm by arm into the skip term.
// The state holds no clock, so the end of an episode is a time limit, not
// a terminal state: targets always bootstrap.
// Under Config.Keep = KeepBest (the default) the policy written is the
// network of the best greedy evaluation, the warm start's included; under
// Config.KeepTest = KeepTestPaired a later evaluation replaces the kept
// one only when its gain on the same evaluation episodes is significant
// (one-sided 95% t interval of the per-episode differences above zero).
//
// A run lives in a directory (agents/train): checkpoints every
// Config.CheckpointEvery episodes hold the weights of both networks, Adam's
// moments, the replay buffer and the random generator, so a run resumed
// after a kill ends with the weights of an uninterrupted one. Policy plays
// a trained checkpoint as a bandits.Policy; it refuses an instance other
// than the one it was trained on (Fingerprint).
package qmip
