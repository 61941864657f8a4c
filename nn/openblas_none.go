//go:build !((darwin || freebsd || linux || netbsd) && !android && !faketime && (amd64 || arm64))

// This file and openblas_dl.go define loadOpenBLAS with the same
// signature; keep them in sync.

package nn

import (
	"fmt"
	"runtime"
)

// loadOpenBLAS fails: this platform has no dlopen that works without cgo.
func loadOpenBLAS() (*openBLAS, error) {
	return nil, fmt.Errorf("%w: run-time loading is not supported on %s/%s", ErrNoBLAS, runtime.GOOS, runtime.GOARCH)
}

func (ob *openBLAS) callSgemm(ta, tb bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	panic("nn: OpenBLAS is not loaded")
}

func (ob *openBLAS) callSetThreads(n int) {}
