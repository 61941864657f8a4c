// Package revibranch learns branching policies for corl's
// branch-and-bound (solver/bnb).
//
// Imitation learning follows Gasse et al. (2019). At a node of
// the tree the policy sees the NodeBipartite observation of envs/milp: a
// bipartite graph of columns (NumColFeatures features each) and split rows
// (NumRowFeatures each) joined by the constraint matrix's entries, and the
// candidates, the columns fractional in the node's LP solution. The GCNN
// (nn.GCNN) gives one logit per column; the policy branches on the
// candidate with the highest logit.
//
// Collect runs branch-and-bound episodes on a set of instances: at each
// node, with probability ExpertProb, the expert (full strong branching)
// scores every candidate, branches on the best, and the node's observation,
// candidates, scores and choice become a Sample; pseudocost branching
// decides at the other nodes. Samples are written as shards (see
// WriteShard for the format). Train fits a Policy to them by minimising
// the cross-entropy of the expert's choice under the softmax of the
// candidates' logits (other columns masked), with Adam, a learning rate
// divided by five on a validation plateau and early stopping; it
// checkpoints into an agents/train run directory and resumes from it to
// the same weights.
//
// A Policy is saved as a safetensors checkpoint (architecture Arch, its
// PolicyConfig, input standardisation in norm.* tensors) and becomes a
// bnb.Brancher with Brancher or LoadBrancher. DefaultPolicy is a set-cover
// policy shipped inside the package.
//
// # Reinforcement learning: ReviBranch
//
// TrainRL learns a QNet by deep Q-learning on revived trajectories. An
// Episode records each branching decision as a Step: the node (Node,
// Parent, Depth), what changes from node to node (ColFeat, RowFeat,
// Candidates) and the Action; the instance's edges are its Graph, shared.
// Paths revives the episode's trajectories: one Path per leaf of the tree
// (taken from the steps' Children, the env's StepInfo, checked against
// their parents), its decisions root first, each with Subtree, the size of
// the decision's own subtree, and LPIterations, the simplex iterations of
// its nodes (each node's own, bnb.NodeInfo).
//
// The MDP on a path: the state at step t is the node's observation and
// the path's decisions before it; the action is a candidate column; the
// reward is a cost. Step t's own tree-MDP return (Reward.Return) is, on
// TreeDQN's log scale, log(1 + Subtree[t]) (RewardNodes),
// log(1 + LPIterations[t]) (RewardLPIterations) or their sum
// (RewardBoth, the default). A path's terminal reward (TerminalReward) is
// its first step's return, the whole tree's for a root path;
// Redistribution spreads it over the steps by importance weights
// (RedistributeSubtree: w_t = R_t − R_{t+1}, the log factor by which
// decision t shrinks what lies ahead), so the step rewards sum to the
// terminal reward and step t's return-to-go is its own return R_t.
// RedistributeNone leaves the whole reward on the last step (the
// ablation).
//
// The QNet's GCNN (the imitation policy's, without its output layer)
// embeds a node's columns; a step's token is the mean column embedding
// and the embedding of the column branched on at the parent; a causal
// nn.SequenceModel over the path's tokens gives each step its context,
// and an MLP maps a candidate's embedding and the context to its
// Q-value, an estimate of the cost to go; the lowest is branched on.
// QConfig.NoHistory feeds each step alone (the ablation). A QNet is a
// safetensors checkpoint (architecture QArch); QNet.Brancher is a drop-in
// bnb.Brancher that keeps each decided node's token for its descendants.
//
// RLConfig.TreeMDP is the plain tree-MDP DQN of the comparison: no
// history, and Monte-Carlo targets R_t.
//
// Training episodes search with the instance's optimal value as cutoff;
// Optima caches those values by the model's content (ModelHash). Three
// options hold a run near its initial network (InitFile in the run
// directory): RLConfig.Imitation adds λ·CE(softmax(−Q), a_0), the
// cross-entropy towards the candidate a_0 the initial network ranks
// lowest; RLConfig.CandidateLR moves the candidate part (encoder and head
// but its context weights) at its own rate; RLConfig.Keep = KeepBest
// writes the network of the lowest mean root return on RLEnv.Valid
// (BestFile), the initial network a candidate too.
package revibranch
