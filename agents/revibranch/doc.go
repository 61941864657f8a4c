// Package revibranch learns branching policies for corl's
// branch-and-bound (solver/bnb).
//
// This part is imitation learning after Gasse et al. (2019). At a node of
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
// The reinforcement-learning part (revived trajectories, reward
// redistribution) builds on this package.
package revibranch
