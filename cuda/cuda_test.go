//go:build cuda || cudaemu

package cuda_test

import (
	"os"
	"testing"

	"github.com/corl-go/corl/cuda"
	"github.com/corl-go/corl/nn"
	"github.com/corl-go/corl/nn/backendtest"
)

// TestConformance runs the nn backend suite on the GPU: every case's
// outputs and gradients against the CPU reference.
func TestConformance(t *testing.T) {
	b, err := cuda.Open()
	if err != nil {
		t.Fatal(err) // a cuda build runs only where a device is present
	}
	t.Logf("device: %s", b.(*cuda.Backend).Device())
	backendtest.Run(t, b)
}

// TestDefaultIsCUDA checks that a cuda build picks this backend unless
// CORL_NN_BACKEND says otherwise.
func TestDefaultIsCUDA(t *testing.T) {
	b, err := nn.Default()
	if err != nil {
		t.Fatal(err)
	}
	if want := envOr("cuda"); b.Name() != want {
		t.Fatalf("default backend %s, want %s", b.Name(), want)
	}
}

func envOr(def string) string {
	if v := os.Getenv(nn.EnvBackend); v != "" {
		return v
	}
	return def
}
