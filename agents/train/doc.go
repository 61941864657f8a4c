// Package train holds what every corl agent's training shares: the run
// directory, resumable checkpoints and the training trace.
//
// A run directory holds
//
//	config.json    every setting of the run, its seed and corl's version
//	checkpoints/   ckpt-<step>.safetensors (the weights, loadable on their own),
//	               ckpt-<step>.optim.safetensors (optimizer moments) and
//	               ckpt-<step>.json (step, epoch, data cursor, RNG states, the
//	               agent's own counters); the JSON is written last, so a
//	               checkpoint without it is incomplete and ignored; the last
//	               two complete checkpoints are kept
//	trace/         Parquet traces (train.parquet: one trace.Train row per epoch and phase)
//	plots/         charts drawn from the traces
//	summary.md     what the run produced
//
// Every file is written under a temporary name and renamed into place, so
// a run killed at any moment (SIGKILL included) leaves complete files only,
// and resuming from the latest checkpoint under the same seed reaches the
// same weights as a run that was never interrupted.
package train
