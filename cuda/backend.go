//go:build cuda || cudaemu

package cuda

import (
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/corl-go/corl/nn"
)

// dptr is a device address.
type dptr uintptr

// device is what the backend needs of a GPU: the CUDA driver in a cuda
// build (driver.go), a host emulation of the same kernels in a cudaemu
// build (emu.go), which lets machines without a GPU run the kernels.
type device interface {
	name() string
	alloc(bytes int) (dptr, error) // zeroed
	free(p dptr)
	zero(p dptr, bytes int) error
	upload(dst dptr, src unsafe.Pointer, bytes int) error
	download(dst unsafe.Pointer, src dptr, bytes int) error
	// launch runs kernel number k (see kernels) on a grid of blocks of
	// threads; each argument is one 8-byte word.
	launch(k int, gx, gy, gz, threads int, args []uint64) error
	sync() error
}

// kernels lists the kernels of kernels.cu.h; launch takes their index.
var kernels = []string{"fill", "axpy", "copy2d", "map", "map_grad", "binary", "reduce_to",
	"softmax", "softmax_grad", "normalize", "normalize_grad", "gather", "scatter_add",
	"sum_squares", "adam", "sgemm", "reduce_to_wide", "transpose"}

var kernelIndex = func() map[string]int {
	m := map[string]int{}
	for i, k := range kernels {
		m[k] = i
	}
	return m
}()

// Error is a CUDA driver error inside a backend call.
type Error struct {
	Op  string
	Err error
}

func (e *Error) Error() string   { return "cuda: " + e.Op + ": " + e.Err.Error() }
func (e *Error) Unwrap() []error { return []error{nn.ErrDevice, e.Err} }

// Backend runs nn's kernels on one GPU.
type Backend struct {
	dev     device
	sum     dptr         // one double for SumSquares
	sinceGC atomic.Int64 // device bytes allocated since the last forced collection
}

// gcBytes is how much device memory may be allocated between forced
// garbage collections. Device buffers are freed by finalizers, and Go's
// collector, which sees only the small host-side handles, would otherwise
// let a training loop exhaust the GPU before it ever runs.
const gcBytes = 1 << 30

func init() {
	nn.Register("cuda", Open)
}

var (
	openOnce sync.Once
	opened   *Backend
	openErr  error
)

// Open returns the backend, created once per process: on GPU 0 in a cuda
// build, on the host emulation in a cudaemu build.
func Open() (nn.Backend, error) {
	openOnce.Do(func() {
		var dev device
		if dev, openErr = openDevice(); openErr == nil {
			opened, openErr = newBackend(dev)
		}
	})
	if openErr != nil {
		return nil, openErr
	}
	return opened, nil
}

// Device names the GPU.
func (b *Backend) Device() string { return b.dev.name() }

func newBackend(dev device) (*Backend, error) {
	sum, err := dev.alloc(8)
	if err != nil {
		return nil, &Error{"alloc", err}
	}
	return &Backend{dev: dev, sum: sum}, nil
}

func check(op string, err error) {
	if err != nil {
		panic(&Error{op, err})
	}
}

type storage struct {
	ptr dptr
	n   int
}

func (s *storage) Len() int { return s.n }

type index struct {
	ptr dptr
	n   int
}

func (s *index) Len() int { return s.n }

func ptrOf(s nn.Storage) dptr {
	if s == nil {
		return 0
	}
	return s.(*storage).ptr
}

// at returns the address of element off of s.
func at(s nn.Storage, off int) dptr { return ptrOf(s) + dptr(4*off) }

func (b *Backend) alloc(bytes int) dptr {
	if bytes == 0 {
		return 0
	}
	if b.sinceGC.Add(int64(bytes)) > gcBytes {
		b.sinceGC.Store(0)
		runtime.GC()
	}
	p, err := b.dev.alloc(bytes)
	for try := 0; err != nil && try < 20; try++ {
		// Out of memory, perhaps only until unreachable buffers are
		// finalized: collect, give the finalizers time, try again.
		runtime.GC()
		time.Sleep(time.Millisecond)
		p, err = b.dev.alloc(bytes)
	}
	if err != nil {
		panic(&nn.AllocError{Backend: "cuda", Elems: bytes / 4, Err: err})
	}
	return p
}

func (b *Backend) free(p dptr) {
	if p != 0 {
		b.dev.free(p)
	}
}

// Name returns "cuda".
func (b *Backend) Name() string { return "cuda" }

// Alloc returns n zeroed floats of device memory, freed when unreachable.
func (b *Backend) Alloc(n int) nn.Storage {
	s := &storage{ptr: b.alloc(4 * n), n: n}
	runtime.SetFinalizer(s, func(s *storage) { b.free(s.ptr) })
	return s
}

// Upload copies host values to the device.
func (b *Backend) Upload(s nn.Storage, src []float32) {
	if len(src) == 0 {
		return
	}
	check("upload", b.dev.upload(ptrOf(s), unsafe.Pointer(&src[0]), 4*len(src)))
}

// Download copies device values to the host, waiting for queued kernels.
func (b *Backend) Download(dst []float32, s nn.Storage) {
	if len(dst) == 0 {
		return
	}
	check("download", b.dev.download(unsafe.Pointer(&dst[0]), ptrOf(s), 4*len(dst)))
}

// Index stores indices on the device.
func (b *Backend) Index(idx []int32) nn.IndexStorage {
	s := &index{ptr: b.alloc(4 * len(idx)), n: len(idx)}
	if len(idx) > 0 {
		check("upload index", b.dev.upload(s.ptr, unsafe.Pointer(&idx[0]), 4*len(idx)))
	}
	runtime.SetFinalizer(s, func(s *index) { b.free(s.ptr) })
	return s
}

// Sync waits for every queued kernel.
func (b *Backend) Sync() {
	check("synchronize", b.dev.sync())
}

// launch runs kernel name over n elements (grid-stride loops) with
// arguments that are each 8 bytes wide.
func (b *Backend) launch(name string, n int, args ...any) {
	if n == 0 {
		return
	}
	blocks := min((n+255)/256, 65535)
	b.launchGrid(name, blocks, 1, 1, 256, args...)
}

func (b *Backend) launchGrid(name string, gx, gy, gz, threads int, args ...any) {
	words := make([]uint64, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case dptr:
			words[i] = uint64(v)
		case int:
			words[i] = uint64(int64(v))
		case bool:
			if v {
				words[i] = 1
			}
		case float32:
			words[i] = math.Float64bits(float64(v))
		case float64:
			words[i] = math.Float64bits(v)
		default:
			panic(fmt.Sprintf("cuda: argument %d of %s has type %T", i, name, a))
		}
	}
	check("launch "+name, b.dev.launch(kernelIndex[name], gx, gy, gz, threads, words))
}

func (b *Backend) Fill(s nn.Storage, off, n int, v float32) {
	b.launch("fill", n, at(s, off), n, v)
}

func (b *Backend) Axpy(y nn.Storage, alpha float32, x nn.Storage, n int) {
	b.launch("axpy", n, ptrOf(y), alpha, ptrOf(x), n)
}

func (b *Backend) Copy2D(dst nn.Storage, dOff, dLd int, src nn.Storage, sOff, sLd, rows, cols int, add bool) {
	b.launch("copy2d", rows*cols, at(dst, dOff), dLd, at(src, sOff), sLd, rows, cols, add)
}

func (b *Backend) Transpose(dst, src nn.Storage, rows, cols int, add bool) {
	b.launch("transpose", rows*cols, ptrOf(dst), ptrOf(src), rows, cols, add)
}

func (b *Backend) Gemm(g *nn.Gemm) {
	if g.M == 0 || g.N == 0 {
		return
	}
	batch := max(g.Batch, 1)
	b.launchGrid("sgemm", (g.N+63)/64, (g.M+63)/64, batch, 256,
		g.TransA, g.TransB, g.M, g.N, g.K, g.Alpha,
		at(g.A, g.OffA), g.LdA, g.StrideA, at(g.B, g.OffB), g.LdB, g.StrideB,
		g.Beta, at(g.C, g.OffC), g.LdC, g.StrideC)
}

func (b *Backend) Map(op nn.MapOp, dst, x nn.Storage, n int, p, q float32) {
	b.launch("map", n, int(op), ptrOf(dst), ptrOf(x), n, p, q)
}

func (b *Backend) MapGrad(op nn.MapOp, dx, x, y, dy nn.Storage, n int, p, q float32) {
	b.launch("map_grad", n, int(op), ptrOf(dx), ptrOf(x), ptrOf(y), ptrOf(dy), n, p, q)
}

func (b *Backend) Binary(op nn.BinaryOp, dst, a, bb nn.Storage, bc *nn.Broadcast) {
	s, sa, sb := bc.Shape, bc.A, bc.B
	b.launch("binary", bc.Size(), int(op), ptrOf(dst), ptrOf(a), ptrOf(bb),
		s[0], s[1], s[2], s[3], sa[0], sa[1], sa[2], sa[3], sb[0], sb[1], sb[2], sb[3])
}

func (b *Backend) ReduceTo(dst, src nn.Storage, bc *nn.Broadcast, alpha float32) {
	s, d := bc.Shape, bc.A
	kept, red := 1, 1
	for k := range nn.MaxDims {
		if d[k] != 0 || s[k] == 1 {
			kept *= s[k]
		} else {
			red *= s[k]
		}
	}
	if kept == 0 || red == 0 {
		return
	}
	args := []any{ptrOf(dst), ptrOf(src), s[0], s[1], s[2], s[3], d[0], d[1], d[2], d[3], alpha}
	if red >= 256 { // many sources per destination: a block each
		b.launchGrid("reduce_to_wide", rowBlocks(kept), 1, 1, 256, args...)
		return
	}
	b.launch("reduce_to", kept, args...)
}

func rowBlocks(rows int) int { return max(1, min(rows, 65535)) }

func (b *Backend) Softmax(dst, x, mask nn.Storage, rows, cols, maskRows int, log bool) {
	if rows == 0 {
		return
	}
	b.launchGrid("softmax", rowBlocks(rows), 1, 1, 256, ptrOf(dst), ptrOf(x), ptrOf(mask), rows, cols, maskRows, log)
}

func (b *Backend) SoftmaxGrad(dx, y, dy, mask nn.Storage, rows, cols, maskRows int, log bool) {
	if rows == 0 {
		return
	}
	b.launchGrid("softmax_grad", rowBlocks(rows), 1, 1, 256, ptrOf(dx), ptrOf(y), ptrOf(dy), ptrOf(mask), rows, cols, maskRows, log)
}

func (b *Backend) Normalize(y, rstd, x nn.Storage, rows, cols int, eps float32) {
	if rows == 0 {
		return
	}
	b.launchGrid("normalize", rowBlocks(rows), 1, 1, 256, ptrOf(y), ptrOf(rstd), ptrOf(x), rows, cols, eps)
}

func (b *Backend) NormalizeGrad(dx, y, rstd, dy nn.Storage, rows, cols int) {
	if rows == 0 {
		return
	}
	b.launchGrid("normalize_grad", rowBlocks(rows), 1, 1, 256, ptrOf(dx), ptrOf(y), ptrOf(rstd), ptrOf(dy), rows, cols)
}

func (b *Backend) Gather(dst, src nn.Storage, idx nn.IndexStorage, n, cols int, add bool) {
	b.launch("gather", n*cols, ptrOf(dst), ptrOf(src), idx.(*index).ptr, n, cols, add)
}

func (b *Backend) ScatterAdd(dst, src nn.Storage, idx nn.IndexStorage, n, cols int) {
	b.launch("scatter_add", n*cols, ptrOf(dst), ptrOf(src), idx.(*index).ptr, n, cols)
}

// SumSquares returns Σx², waiting for the device.
func (b *Backend) SumSquares(x nn.Storage, n int) float64 {
	if n == 0 {
		return 0
	}
	check("memset", b.dev.zero(b.sum, 8))
	b.launch("sum_squares", n, ptrOf(x), n, b.sum)
	var out float64
	check("download", b.dev.download(unsafe.Pointer(&out), b.sum, 8))
	return out
}

func (b *Backend) Adam(p, g, m, v nn.Storage, n int, h nn.AdamStep) {
	b.launch("adam", n, ptrOf(p), ptrOf(g), ptrOf(m), ptrOf(v), n,
		h.LR, h.B1, h.B2, h.Eps, h.WD, h.C1, h.C2)
}

var (
	_ nn.Backend = (*Backend)(nil)
	_ nn.Syncer  = (*Backend)(nil)
)
