// Package backendtest is the conformance suite every nn backend runs.
//
// For each case (an operation, a loss or a layer) it checks three things:
//
//  1. the gradients of the float64 reference backend (nn.CPU64) against
//     central finite differences computed in float64;
//  2. the backend's forward values against the reference's;
//  3. the backend's gradients against the reference's.
//
// The loss of a case is Σ w·out with fixed random weights w, so every
// output element takes part. Inputs are float32 values, the same on every
// backend; the reference computes with them in float64.
//
// A backend's own test calls Run:
//
//	func TestConformance(t *testing.T) { backendtest.Run(t, myBackend) }
package backendtest
