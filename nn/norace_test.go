//go:build !race

package nn_test

// raceEnabled is false: see race_test.go.
const raceEnabled = false
