package backendtest_test

import (
	"testing"

	"github.com/corl-go/corl/nn"
	"github.com/corl-go/corl/nn/backendtest"
)

// TestReference checks the float64 reference backend's gradients against
// finite differences.
func TestReference(t *testing.T) { backendtest.Run(t, nn.CPU64()) }

// TestCPU checks the float32 CPU backend against the reference.
func TestCPU(t *testing.T) { backendtest.Run(t, nn.CPU()) }
