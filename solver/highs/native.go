//go:build highs_native && cgo

package highs

/*
#cgo pkg-config: highs
#include <stdlib.h>
#include <stdint.h>
#include "interfaces/highs_c_api.h"
*/
import "C"

import (
	"fmt"
	"math"
	"unsafe"
)

// The native engine calls an installed libhighs (found by pkg-config)
// through cgo. It presents the same instance interface as the WebAssembly
// runtimes by emulating a linear memory: "pointers" are offsets into a Go
// byte slice, translated to real addresses on each call, so every line of
// marshalling in Solver is shared.
//
// Differences: HiGHS's log goes nowhere (output is switched off, since
// libhighs would print to the process's standard output), and a cancelled
// context takes effect when the running solve ends; deadlines work as
// HiGHS time limits.

func init() { register("native", func(string) (runtimeImpl, error) { return nativeRuntime{}, nil }) }

type nativeRuntime struct{}

func (nativeRuntime) name() string { return "native" }
func (nativeRuntime) close()       {}

func (nativeRuntime) newInstance(_ *module, h *host) (instance, error) {
	if C.Highs_getSizeofHighsInt(nil) != 4 {
		return nil, fmt.Errorf("%w: libhighs was built with 64-bit HighsInt; corl needs 32-bit", ErrRuntime)
	}
	return &nativeInstance{mem: make([]byte, 8), host: h}, nil
}

// nativeHandle is the handle Highs_create returns to Solver; the real
// pointer stays here.
const nativeHandle = 1

type nativeInstance struct {
	mem   []byte // emulated linear memory; offset 0 is the null pointer
	highs unsafe.Pointer
	host  *host
}

func (in *nativeInstance) memory() []byte { return in.mem }

func (in *nativeInstance) close() {
	if in.highs != nil {
		C.Highs_destroy(in.highs)
		in.highs = nil
	}
}

func (in *nativeInstance) ptr(a uint64) unsafe.Pointer {
	if a == 0 {
		return nil
	}
	return unsafe.Pointer(&in.mem[a])
}

func (in *nativeInstance) f64p(a uint64) *C.double   { return (*C.double)(in.ptr(a)) }
func (in *nativeInstance) intp(a uint64) *C.HighsInt { return (*C.HighsInt)(in.ptr(a)) }
func (in *nativeInstance) strp(a uint64) *C.char     { return (*C.char)(in.ptr(a)) }
func hi(a uint64) C.HighsInt                         { return C.HighsInt(int32(uint32(a))) }
func dbl(a uint64) C.double                          { return C.double(math.Float64frombits(a)) }
func ret(r C.HighsInt) (uint64, error)               { return uint64(uint32(int32(r))), nil }

func (in *nativeInstance) call(f fn, a ...uint64) (uint64, error) {
	h := in.highs
	switch f {
	case fnCreate:
		in.highs = C.Highs_create()
		if in.highs == nil {
			return 0, &TrapError{Op: cNames[f], Msg: "Highs_create returned NULL"}
		}
		name := C.CString("output_flag")
		defer C.free(unsafe.Pointer(name))
		C.Highs_setBoolOptionValue(in.highs, name, 0)
		return nativeHandle, nil
	case fnDestroy:
		in.close()
		return 0, nil
	case fnMalloc:
		// The one scratch block Solver keeps: the memory is just resized.
		n := int(uint32(a[0]))
		if need := 8 + n; need > len(in.mem) {
			in.mem = append(in.mem, make([]byte, need-len(in.mem))...)
		}
		return 8, nil
	case fnFree:
		return 0, nil
	case fnVersion:
		v := C.GoString(C.Highs_version())
		p := len(in.mem)
		in.mem = append(append(in.mem, v...), 0)
		return uint64(p), nil
	}
	switch f {
	case fnRun:
		return ret(C.Highs_run(h))
	case fnPassMip:
		return ret(C.Highs_passMip(h, hi(a[1]), hi(a[2]), hi(a[3]), hi(a[4]), hi(a[5]), dbl(a[6]),
			in.f64p(a[7]), in.f64p(a[8]), in.f64p(a[9]), in.f64p(a[10]), in.f64p(a[11]),
			in.intp(a[12]), in.intp(a[13]), in.f64p(a[14]), in.intp(a[15])))
	case fnGetModelStatus:
		return ret(C.Highs_getModelStatus(h))
	case fnGetObjectiveValue:
		return math.Float64bits(float64(C.Highs_getObjectiveValue(h))), nil
	case fnGetSolution:
		return ret(C.Highs_getSolution(h, in.f64p(a[1]), in.f64p(a[2]), in.f64p(a[3]), in.f64p(a[4])))
	case fnGetBasis:
		return ret(C.Highs_getBasis(h, in.intp(a[1]), in.intp(a[2])))
	case fnSetBasis:
		return ret(C.Highs_setBasis(h, in.intp(a[1]), in.intp(a[2])))
	case fnChangeColBounds:
		return ret(C.Highs_changeColBounds(h, hi(a[1]), dbl(a[2]), dbl(a[3])))
	case fnChangeColsBoundsBySet:
		return ret(C.Highs_changeColsBoundsBySet(h, hi(a[1]), in.intp(a[2]), in.f64p(a[3]), in.f64p(a[4])))
	case fnChangeColsCostBySet:
		return ret(C.Highs_changeColsCostBySet(h, hi(a[1]), in.intp(a[2]), in.f64p(a[3])))
	case fnAddRows:
		return ret(C.Highs_addRows(h, hi(a[1]), in.f64p(a[2]), in.f64p(a[3]), hi(a[4]), in.intp(a[5]), in.intp(a[6]), in.f64p(a[7])))
	case fnDeleteRowsBySet:
		return ret(C.Highs_deleteRowsBySet(h, hi(a[1]), in.intp(a[2])))
	case fnGetIntInfoValue:
		return ret(C.Highs_getIntInfoValue(h, in.strp(a[1]), in.intp(a[2])))
	case fnGetInt64InfoValue:
		return ret(C.Highs_getInt64InfoValue(h, in.strp(a[1]), (*C.int64_t)(in.ptr(a[2]))))
	case fnGetDoubleInfoValue:
		return ret(C.Highs_getDoubleInfoValue(h, in.strp(a[1]), in.f64p(a[2])))
	case fnSetBoolOptionValue:
		return ret(C.Highs_setBoolOptionValue(h, in.strp(a[1]), hi(a[2])))
	case fnSetIntOptionValue:
		return ret(C.Highs_setIntOptionValue(h, in.strp(a[1]), hi(a[2])))
	case fnSetDoubleOptionValue:
		return ret(C.Highs_setDoubleOptionValue(h, in.strp(a[1]), dbl(a[2])))
	case fnSetStringOptionValue:
		return ret(C.Highs_setStringOptionValue(h, in.strp(a[1]), in.strp(a[2])))
	case fnGetOptionType:
		return ret(C.Highs_getOptionType(h, in.strp(a[1]), in.intp(a[2])))
	case fnGetNumCol:
		return ret(C.Highs_getNumCol(h))
	case fnGetNumRow:
		return ret(C.Highs_getNumRow(h))
	case fnSetSolution:
		return ret(C.Highs_setSolution(h, in.f64p(a[1]), in.f64p(a[2]), in.f64p(a[3]), in.f64p(a[4])))
	case fnGetRunTime:
		return math.Float64bits(float64(C.Highs_getRunTime(h))), nil
	case fnZeroAllClocks:
		return ret(C.Highs_zeroAllClocks(h))
	case fnPresolve:
		return ret(C.Highs_presolve(h))
	case fnGetPresolvedNumCol:
		return ret(C.Highs_getPresolvedNumCol(h))
	case fnGetPresolvedNumRow:
		return ret(C.Highs_getPresolvedNumRow(h))
	case fnGetPresolvedNumNz:
		return ret(C.Highs_getPresolvedNumNz(h))
	case fnGetPresolvedLp:
		return ret(C.Highs_getPresolvedLp(h, hi(a[1]), in.intp(a[2]), in.intp(a[3]), in.intp(a[4]), in.intp(a[5]),
			in.f64p(a[6]), in.f64p(a[7]), in.f64p(a[8]), in.f64p(a[9]), in.f64p(a[10]), in.f64p(a[11]),
			in.intp(a[12]), in.intp(a[13]), in.f64p(a[14]), in.intp(a[15])))
	case fnPassColName:
		return ret(C.Highs_passColName(h, hi(a[1]), in.strp(a[2])))
	case fnGetPresolvedColName:
		return ret(C.Highs_getPresolvedColName(h, hi(a[1]), in.strp(a[2])))
	case fnPostsolve:
		return ret(C.Highs_postsolve(h, in.f64p(a[1]), in.f64p(a[2]), in.f64p(a[3])))
	case fnGetBasicVariables:
		return ret(C.Highs_getBasicVariables(h, in.intp(a[1])))
	case fnGetBasisInverseRow:
		return ret(C.Highs_getBasisInverseRow(h, hi(a[1]), in.f64p(a[2]), in.intp(a[3]), in.intp(a[4])))
	}
	panic("highs: native engine lacks " + cNames[f]) // a bug in this package
}
