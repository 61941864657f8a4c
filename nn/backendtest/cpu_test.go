package backendtest_test

import (
	"errors"
	"os"
	"testing"

	"github.com/corl-go/corl/nn"
	"github.com/corl-go/corl/nn/backendtest"
)

// TestReference checks the float64 reference backend's gradients against
// finite differences.
func TestReference(t *testing.T) { backendtest.Run(t, nn.CPU64()) }

// TestCPU checks the process's float32 CPU backend (on whichever BLAS
// CORL_NN_BLAS and the machine give it) against the reference.
func TestCPU(t *testing.T) {
	t.Logf("BLAS: %v", nn.CPUBLAS())
	backendtest.Run(t, nn.CPU())
}

// TestCPUGonum checks the float32 CPU backend on gonum's GEMM.
func TestCPUGonum(t *testing.T) {
	be, err := nn.NewCPU(nn.BLASGonum)
	if err != nil {
		t.Fatal(err)
	}
	backendtest.Run(t, be)
}

// TestCPUOpenBLAS checks the float32 CPU backend on OpenBLAS; it skips
// where the library is absent unless CORL_REQUIRE_OPENBLAS=1.
func TestCPUOpenBLAS(t *testing.T) {
	be, err := nn.NewCPU(nn.BLASOpenBLAS)
	if errors.Is(err, nn.ErrNoBLAS) && os.Getenv("CORL_REQUIRE_OPENBLAS") != "1" {
		t.Skipf("OpenBLAS absent (set CORL_REQUIRE_OPENBLAS=1 to require it): %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	backendtest.Run(t, be)
}
