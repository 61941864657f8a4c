// Package datasets generates and loads benchmark instances: seeded MILP
// generators for branching (set cover, combinatorial auction, capacitated
// facility location, maximum independent set, multiple knapsack), written
// as gzipped MPS with a manifest.
//
// Every generator is deterministic: the same parameters and seed give the
// same model, and Generate writes byte-identical files.
//
// # The families
//
// setcover (Balas & Ho): minimise sum_j c_j x_j subject to every row i being
// covered, sum_{j in S_i} x_j >= 1, x binary; rows x cols entries with
// probability density, every column in at least one row and every row with
// at least two columns; costs uniform in 1..MaxCost.
//
// cauction (Leyton-Brown et al., "arbitrary" relationships): maximise
// sum_b price_b x_b subject to each item (and each bidder's dummy item
// linking its substitutable bids) being sold at most once,
// sum_{b contains i} x_b <= 1, x binary.
//
// facility (Cornuejols et al.): minimise sum_j f_j y_j + sum_ij t_ij x_ij
// subject to sum_j x_ij >= 1 for each customer i, sum_i d_i x_ij <= s_j y_j
// for each facility j, sum_j s_j y_j >= sum_i d_i, x_ij <= y_j; y binary,
// x in [0, 1].
//
// indset (Bergman et al.): maximise sum_v x_v subject to sum_{v in K} x_v <= 1
// for each clique K of a greedy clique cover of the edges of a
// Barabasi-Albert (or Erdos-Renyi) graph, x binary.
//
// knapsack (multiple knapsack): maximise sum_ik p_i x_ik subject to
// sum_k x_ik <= 1 for each item and sum_i w_i x_ik <= C_k for each
// knapsack, x binary; Fukunaga's "weakly correlated" items (weights
// min_weight..max_weight, profits within the weight range's width of the
// weight) and capacities summing to half the total weight, as the
// learning-to-branch literature generates them.
//
// Sizes: "easy" are the defaults of Gasse et al. (REFERENCES); "medium" and
// "hard" double and quadruple the first number (rows of set cover, items of
// an auction, customers of facility location, nodes of independent set,
// items of knapsack); knapsack follows its literature instead: 100 items in
// 6 knapsacks, 150 in 8, 200 in 10 (weights up to 29).
//
// # Parameters and sets
//
// Family.Check validates every parameter against its range (integers where
// the generator counts), the constraints between parameters and a size
// limit (MaxNonzeros) before anything is built; its errors are typed
// (ParamError, UnknownParamError, SizeError, ...) and wrap ErrBadInput.
// GenerateSet writes each file atomically and records it in the manifest
// with its seed and SHA-256; stopped by its context, it keeps what is done,
// and run again it continues, keeping the files whose checksum matches.
package datasets
