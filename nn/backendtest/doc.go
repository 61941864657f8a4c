// Package backendtest is the conformance suite every nn backend runs.
//
// For each case (an operation, a loss or a layer) it checks four things:
//
//  1. the forward values of the float64 reference backend (nn.CPU64)
//     against the case's oracle, plain float64 loops written in this
//     package from the operation's definition (oracle.go), which share no
//     code with nn; the reference and the backends are generic over the
//     same code, so without the oracle a wrong forward pass common to all
//     of them would pass;
//  2. the gradients of the reference against central finite differences
//     computed in float64;
//  3. the backend's forward values against the reference's;
//  4. the backend's gradients against the reference's.
//
// The loss of a case is Σ w·out with fixed random weights w, so every
// output element takes part. Inputs are float32 values, the same on every
// backend; the reference computes with them in float64.
//
// Besides the cases, Run checks one fused AdamW update against the
// reference, and GCNN inference (nn.GCNNInference, which calls the kernels
// directly on buffers it reuses between graphs of different sizes)
// against GCNN.Forward on the same backend.
//
// A backend's own test calls Run:
//
//	func TestConformance(t *testing.T) { backendtest.Run(t, myBackend) }
package backendtest
