//go:build !(cgo && (darwin || freebsd || linux || netbsd) && !android && !faketime && (amd64 || arm64))

// This file and openblas_dl.go define loadOpenBLAS with the same
// signature; keep them in sync.

package nn

import (
	"fmt"
	"runtime"
)

// canLoadBLAS says whether this build can load OpenBLAS at run time.
const canLoadBLAS = false

// loadOpenBLAS fails: the binary was built without cgo (kept a static
// executable), or the platform has no dlopen purego supports.
func loadOpenBLAS() (*openBLAS, error) {
	return nil, fmt.Errorf("%w: this binary cannot load libraries at run time (built with CGO_ENABLED=0, or on %s/%s)", ErrNoBLAS, runtime.GOOS, runtime.GOARCH)
}

func (ob *openBLAS) callSgemm(ta, tb bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	panic("nn: OpenBLAS is not loaded")
}

func (ob *openBLAS) callSetThreads(n int) {}
