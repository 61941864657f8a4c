package backendtest

import (
	"errors"
	"testing"

	"github.com/corl-go/corl/nn"
)

// checkAllocFailure asks the backend for more memory than any machine has:
// under nn.Guard the request is an error wrapping nn.ErrOutOfMemory (an
// *nn.AllocError naming the backend), and the backend goes on working.
func checkAllocFailure(t *testing.T, b nn.Backend) {
	const huge = 1 << 46 // elements: 256 TiB of float32
	err := nn.Guard(func() error {
		b.Alloc(huge)
		return nil
	})
	var ae *nn.AllocError
	if !errors.Is(err, nn.ErrOutOfMemory) || !errors.As(err, &ae) || ae.Backend != b.Name() || ae.Elems != huge {
		t.Fatalf("Alloc(%d) under Guard: %v; want an *nn.AllocError from %s wrapping nn.ErrOutOfMemory", huge, err, b.Name())
	}
	s := b.Alloc(3)
	b.Upload(s, []float32{1, 2, 3})
	got := make([]float32, 3)
	b.Download(got, s)
	if got[0] != 1 || got[1] != 2 || got[2] != 3 {
		t.Fatalf("after the failed allocation the backend reads back %v, want [1 2 3]", got)
	}
	want := errors.New("the step's own error")
	if err := nn.Guard(func() error { return want }); err != want {
		t.Fatalf("Guard returned %v, want the function's error", err)
	}
}
