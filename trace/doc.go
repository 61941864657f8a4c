// Package trace writes and reads Parquet traces of runs: one row per
// environment step, with the run, instance, episode and step, the action
// and reward, whether the episode ended, the step's wall time and solver
// counters, and columns specific to an environment (null elsewhere: for
// branching, the node, its depth and the number of candidates). Files
// open in any Parquet reader (pandas, DuckDB, Polars, Arrow).
//
// A Writer writes to a temporary file beside its destination and renames
// it into place on Close, so an existing trace is never replaced by a
// partial one.
package trace
