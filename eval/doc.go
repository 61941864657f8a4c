// Package eval evaluates policies and baselines on instances of the three
// environments and summarises the results in tables.
//
// # Runs
//
// The unit of work is a Job: one policy on one instance under one seed.
// Each environment has a configuration whose method runs a job as a pure
// function of (policy, instance, seed) up to wall times:
//
//   - MILP.Solve: corl's branch-and-bound with a branching policy, or
//     HiGHS's own branch-and-cut (the policy HiGHS), on a solver.Model.
//     Learned policies come in through a Resolver the caller supplies.
//   - Malloc.Play: a memory-mapping baseline on a malloc.Instance.
//   - Bandits.Play: one episode of a bandit policy on a bandits.Instance.
//
// A run's outcome is a trace.Result (and, when asked, one trace.Step per
// decision). The same functions serve the CLI and any pipeline that
// spreads jobs over machines.
//
// # Running many
//
// A Runner runs jobs on Workers goroutines and returns results in job
// order whatever the order they finished in, so tables do not depend on
// the number of workers. A Store keeps finished runs on disk as they
// finish (small Parquet parts renamed into place) and lets a later Runner
// skip them; Finish merges them into the output files.
//
// # Tables
//
// SummarizeMILP (solved, 1-shifted geometric means of time and nodes,
// wins, disagreements between proved optima), SummarizeMalloc (fraction
// of the total benefit, gap to the MIP's proved optimum) and
// SummarizeBandits (mean and 95% interval of the average expected reward,
// normalised to random) build the rows; PrintMILP, PrintMalloc and
// PrintBandits render them as text.
package eval
