// Package plot draws charts of corl's Parquet traces with
// gonum.org/v1/plot: training curves from trace.Train rows and
// comparisons of policies from the trace.Result rows of an evaluation.
//
// # Training
//
// TrainingCurves draws, against the epoch (or the optimizer step when a
// trace logs several rows per epoch), one line per phase ("train",
// "valid", "eval"; per run and phase when the rows hold several runs):
// the loss; the top-1 and top-5 accuracies where they are not null; and
// the mean return where it is not null. Rows repeated by a resumed run
// (same run, phase, epoch and step) count once, the last one winning.
//
// # Evaluation
//
// The instances of an evaluation are the distinct (Instance, Seed) pairs
// of its rows; each policy has at most one row per instance. A run is
// solved when its Status is "optimal" or "infeasible".
//
// SolvedOverTime gives, per policy, the share of instances solved within
// t seconds, a step function of t. Instances a policy has no row for
// count as unsolved.
//
// PerformanceProfile gives Dolan and Moré's performance profile of a
// Measure m (nodes, time): with c(p, k) the cost of policy p on instance
// k, clamped below at m.Min, and r(p, k) = c(p, k) / min over the
// policies q that solved k of c(q, k), the profile of p is
//
//	rho_p(tau) = |{k : p solved k and r(p, k) <= tau}| / |instances|
//
// so an unsolved run is never within tau, and rho_p(1) is the share of
// instances on which p was (one of) the best.
//
// EvalPlots and TrainingCurves write one file per chart, PNG or SVG by
// their ext argument, atomically (a temporary file renamed into place).
package plot
