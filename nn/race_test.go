//go:build race

package nn_test

// raceEnabled: the race detector makes sync.Pool drop a random share of
// what is put back, so allocation counts mean nothing under it.
const raceEnabled = true
