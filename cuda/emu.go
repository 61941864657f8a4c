//go:build cudaemu && !cuda

package cuda

/*
#cgo CXXFLAGS: -std=c++20 -O1
#cgo LDFLAGS: -lstdc++ -lpthread
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int corl_emu_launch(int k, int gx, int gy, int gz, int threads, const unsigned long long *args, int nargs);

static uintptr_t corl_emu_alloc(size_t n) { return (uintptr_t)calloc(n, 1); }
static void corl_emu_free(uintptr_t p) { free((void *)p); }
static void corl_emu_zero(uintptr_t p, size_t n) { memset((void *)p, 0, n); }
static void corl_emu_upload(uintptr_t dst, const void *src, size_t n) { memcpy((void *)dst, src, n); }
static void corl_emu_download(void *dst, uintptr_t src, size_t n) { memcpy(dst, (const void *)src, n); }
*/
import "C"

import (
	"errors"
	"sync"
	"unsafe"
)

// openDevice returns the host emulation of a GPU (see Open).
func openDevice() (device, error) { return &emulator{}, nil }

// emulator runs the kernels on the host; "device" memory is C memory.
type emulator struct{ mu sync.Mutex }

func (*emulator) name() string { return "host emulation (cudaemu)" }

func (*emulator) alloc(bytes int) (dptr, error) {
	p := C.corl_emu_alloc(C.size_t(bytes))
	if p == 0 {
		return 0, errors.New("out of memory")
	}
	return dptr(p), nil
}

func (*emulator) free(p dptr) { C.corl_emu_free(C.uintptr_t(p)) }

func (*emulator) zero(p dptr, bytes int) error {
	C.corl_emu_zero(C.uintptr_t(p), C.size_t(bytes))
	return nil
}

func (*emulator) upload(dst dptr, src unsafe.Pointer, bytes int) error {
	C.corl_emu_upload(C.uintptr_t(dst), src, C.size_t(bytes))
	return nil
}

func (*emulator) download(dst unsafe.Pointer, src dptr, bytes int) error {
	C.corl_emu_download(dst, C.uintptr_t(src), C.size_t(bytes))
	return nil
}

func (e *emulator) launch(k int, gx, gy, gz, threads int, args []uint64) error {
	e.mu.Lock() // the emulation's block state is global
	defer e.mu.Unlock()
	C.corl_emu_launch(C.int(k), C.int(gx), C.int(gy), C.int(gz), C.int(threads),
		(*C.ulonglong)(unsafe.Pointer(&args[0])), C.int(len(args)))
	return nil
}

func (*emulator) sync() error { return nil }
