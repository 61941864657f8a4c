package highs

import (
	"encoding/binary"
	"math"
	"unsafe"
)

// frame lays out one call's arrays in the solver's scratch block of linear
// memory. Arrays are 8-byte aligned. Pointers it returns are call arguments.
type frame struct {
	mem  []byte
	next uint32
	end  uint32
}

var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// frameSize returns the scratch bytes needed for arrays of the given
// element counts (8-byte elements, then 4-byte elements) plus extra bytes.
func frameSize(f64 []int, i32 []int, extra int) int {
	n := extra + 8*len(f64) + 8*len(i32) + 8
	for _, k := range f64 {
		n += 8 * k
	}
	for _, k := range i32 {
		n += 4 * k
	}
	return n
}

func (f *frame) alloc(bytes int) uint32 {
	p := f.next
	f.next += uint32(bytes+7) &^ 7
	if f.next > f.end {
		panic("highs: scratch frame overflow") // a sizing bug in this package
	}
	return p
}

// f64 copies v into the frame; nil gives a null pointer.
func (f *frame) f64(v []float64) uint64 {
	if v == nil {
		return 0
	}
	p := f.alloc(8 * len(v))
	if littleEndian && len(v) > 0 {
		copy(f.mem[p:], unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), 8*len(v)))
	} else {
		for k, x := range v {
			binary.LittleEndian.PutUint64(f.mem[p+8*uint32(k):], math.Float64bits(x))
		}
	}
	return uint64(p)
}

// i32 copies v into the frame as 32-bit HighsInt values; nil gives a null pointer.
func (f *frame) i32(v []int) uint64 {
	if v == nil {
		return 0
	}
	p := f.alloc(4 * len(v))
	b := f.mem[p : p+4*uint32(len(v))]
	for k, x := range v {
		binary.LittleEndian.PutUint32(b[4*k:], uint32(int32(x)))
	}
	return uint64(p)
}

// out reserves n bytes for results.
func (f *frame) out(n int) uint64 { return uint64(f.alloc(n)) }

// cstr copies s with a terminating NUL.
func (f *frame) cstr(s string) uint64 {
	p := f.alloc(len(s) + 1)
	copy(f.mem[p:], s)
	f.mem[p+uint32(len(s))] = 0
	return uint64(p)
}

func readF64(dst []float64, mem []byte, p uint64) {
	if littleEndian && len(dst) > 0 {
		copy(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(dst))), 8*len(dst)), mem[p:p+8*uint64(len(dst))])
		return
	}
	for k := range dst {
		dst[k] = math.Float64frombits(binary.LittleEndian.Uint64(mem[p+8*uint64(k):]))
	}
}

func readCString(mem []byte, p uint64) string {
	end := p
	for end < uint64(len(mem)) && mem[end] != 0 {
		end++
	}
	return string(mem[p:end])
}

func f64arg(v float64) uint64 { return math.Float64bits(v) }
func i32arg(v int) uint64     { return uint64(uint32(int32(v))) }
