//go:build cgo && (darwin || freebsd || linux || netbsd) && !android && !faketime && (amd64 || arm64)

// This file and openblas_none.go define loadOpenBLAS with the same
// signature; keep them in sync. It needs cgo: without it purego links the
// binary against the C library itself, and the pure-Go build would no
// longer be a static executable.

package nn

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"unsafe"

	"github.com/ebitengine/purego"
)

// canLoadBLAS says whether this build can load OpenBLAS at run time.
const canLoadBLAS = true

// loadOpenBLAS opens OpenBLAS with dlopen (no cgo link dependency) and
// resolves the symbols the backend calls.
func loadOpenBLAS() (*openBLAS, error) {
	var errs []error
	var h uintptr
	var name string
	// dlopen's reason is read back with dlerror, which is per OS thread:
	// a goroutine moved between the two calls reads another thread's
	// (empty) error, so the lookups stay on one thread, and a reason that
	// still comes back without the name gets it.
	runtime.LockOSThread()
	for _, n := range openBLASCandidates() {
		var err error
		if h, err = purego.Dlopen(n, purego.RTLD_NOW|purego.RTLD_LOCAL); err == nil {
			name = n
			break
		}
		if !strings.Contains(err.Error(), n) {
			err = fmt.Errorf("%s: %w", n, err)
		}
		errs = append(errs, err)
	}
	runtime.UnlockOSThread()
	if h == 0 {
		return nil, fmt.Errorf("%w (install libopenblas0-openmp on Debian or Ubuntu): %w", ErrNoBLAS, errors.Join(errs...))
	}
	sym := func(s string) (uintptr, error) {
		p, err := purego.Dlsym(h, s)
		if err != nil {
			return 0, fmt.Errorf("%w: %s: %w", ErrNoBLAS, name, err)
		}
		return p, nil
	}
	ob := &openBLAS{library: name}
	var err error
	if ob.sgemmFn, err = sym("sgemm_"); err != nil {
		return nil, err
	}
	if ob.setThreadsFn, err = sym("openblas_set_num_threads"); err != nil {
		return nil, err
	}
	if _, err = sym("openblas_get_config"); err == nil {
		var config func() string
		purego.RegisterLibFunc(&config, h, "openblas_get_config")
		ob.config = strings.TrimSpace(config())
	}
	return ob, nil
}

// sgemmArgs holds the scalars the Fortran interface takes by address.
type sgemmArgs struct {
	ta, tb        byte
	m, n, k       int32
	lda, ldb, ldc int32
	alpha, beta   float32
}

// sgemmArgPool recycles the scalar blocks: the C side reads them through
// pointers, so they live on the heap, and a product should not allocate.
var sgemmArgPool = sync.Pool{New: func() any { return new(sgemmArgs) }}

// callSgemm computes the row-major product C = alpha·op(A)·op(B) + beta·C
// as the column-major Cᵀ = alpha·op(B)ᵀ·op(A)ᵀ + beta·Cᵀ that the
// Fortran interface computes, so A and B trade places.
func (ob *openBLAS) callSgemm(ta, tb bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	p := sgemmArgPool.Get().(*sgemmArgs)
	defer sgemmArgPool.Put(p)
	*p = sgemmArgs{
		ta: 'N', tb: 'N',
		m: int32(n), n: int32(m), k: int32(k),
		lda: int32(ldb), ldb: int32(lda), ldc: int32(ldc),
		alpha: alpha, beta: beta,
	}
	if tb {
		p.ta = 'T'
	}
	if ta {
		p.tb = 'T'
	}
	purego.SyscallN(ob.sgemmFn,
		uintptr(unsafe.Pointer(&p.ta)), uintptr(unsafe.Pointer(&p.tb)),
		uintptr(unsafe.Pointer(&p.m)), uintptr(unsafe.Pointer(&p.n)), uintptr(unsafe.Pointer(&p.k)),
		uintptr(unsafe.Pointer(&p.alpha)),
		uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(unsafe.Pointer(&p.lda)),
		uintptr(unsafe.Pointer(unsafe.SliceData(a))), uintptr(unsafe.Pointer(&p.ldb)),
		uintptr(unsafe.Pointer(&p.beta)),
		uintptr(unsafe.Pointer(unsafe.SliceData(c))), uintptr(unsafe.Pointer(&p.ldc)))
	runtime.KeepAlive(a)
	runtime.KeepAlive(b)
	runtime.KeepAlive(c)
}

// callSetThreads sets the size of OpenBLAS's thread pool.
func (ob *openBLAS) callSetThreads(n int) { purego.SyscallN(ob.setThreadsFn, uintptr(n)) }
