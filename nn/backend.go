package nn

import (
	"fmt"
	"os"
	"sort"
	"sync"
)

// Storage is a backend's flat array of float32 values (host memory on the
// CPU backend, device memory on CUDA). Tensors own their storage; kernels
// receive storages plus element offsets and counts.
type Storage interface {
	// Len is the number of elements.
	Len() int
}

// IndexStorage is a backend's flat array of int32 indices.
type IndexStorage interface {
	Len() int
}

// MapOp names an elementwise function y = f(x; p, q).
type MapOp uint8

// Elementwise functions. P and Q are the op's parameters where it has any.
const (
	MapReLU     MapOp = iota // max(x, 0)
	MapTanh                  // tanh(x)
	MapSigmoid               // 1 / (1 + exp(-x))
	MapExp                   // exp(x)
	MapLog                   // log(x)
	MapLog1p                 // log(1 + x)
	MapSquare                // x²
	MapAbs                   // |x|
	MapScale                 // P·x + Q
	MapHuber                 // ½x² if |x| ≤ P, else P(|x| − ½P)
	MapValue                 // MuZero's h(x) = sign(x)(√(|x|+1) − 1) + P·x
	MapValueInv              // h⁻¹ for the same P
	MapClamp                 // min(max(x, P), Q)
	MapSqrt                  // √x
	numMapOps
)

var mapNames = [numMapOps]string{"relu", "tanh", "sigmoid", "exp", "log", "log1p", "square", "abs", "scale", "huber", "value", "value_inv", "clamp", "sqrt"}

func (op MapOp) String() string {
	if op < numMapOps {
		return mapNames[op]
	}
	return fmt.Sprintf("MapOp(%d)", uint8(op))
}

// BinaryOp names an elementwise binary function with broadcasting.
type BinaryOp uint8

// Binary functions.
const (
	BinAdd BinaryOp = iota
	BinSub
	BinMul
	BinDiv
	numBinaryOps
)

// MaxDims is the largest rank broadcasting kernels handle.
const MaxDims = 4

// Broadcast describes an elementwise kernel over an output of Shape
// (row-major, contiguous). A and B are the element strides of the two
// inputs in each output dimension: 0 where the input is broadcast.
// Unused leading dimensions have size 1.
type Broadcast struct {
	Shape [MaxDims]int
	A, B  [MaxDims]int
}

// Size is the number of output elements.
func (bc *Broadcast) Size() int {
	n := 1
	for _, d := range bc.Shape {
		n *= d
	}
	return n
}

// Gemm describes C = Alpha·op(A)·op(B) + Beta·C for Batch matrices, where
// op(X) is X or its transpose. Matrices are row-major with leading
// dimensions LdA, LdB, LdC; matrix i of a batch starts StrideX elements
// after matrix i-1, from offset OffX.
type Gemm struct {
	TransA, TransB   bool
	M, N, K          int
	Alpha, Beta      float32
	A, B, C          Storage
	OffA, OffB, OffC int
	LdA, LdB, LdC    int
	Batch            int
	StrideA, StrideB int
	StrideC          int
}

// AdamStep holds the hyper-parameters of one fused Adam(W) update:
// m = B1·m + (1−B1)·g; v = B2·v + (1−B2)·g²;
// p -= LR·(m/C1) / (√(v/C2) + Eps) + LR·WD·p, where C1 = 1−B1ᵗ, C2 = 1−B2ᵗ.
// WD is the decoupled weight decay of AdamW (0 for Adam).
type AdamStep struct {
	LR, B1, B2, Eps, WD, C1, C2 float32
}

// Backend carries the kernels tensors run on. Forward kernels overwrite
// their destination; kernels used for gradients (the ones documented as
// accumulating) add into it. Every method may assume its storages belong
// to this backend and that sizes are consistent: the tensor layer checks
// shapes before it calls a kernel.
type Backend interface {
	// Name is the name the backend is registered under.
	Name() string
	// Alloc returns n zeroed elements.
	Alloc(n int) Storage
	// Upload copies src into s from element 0.
	Upload(s Storage, src []float32)
	// Download copies s into dst (len(dst) elements from element 0).
	Download(dst []float32, s Storage)
	// Index stores indices on the backend.
	Index(idx []int32) IndexStorage

	// Fill sets n elements from off to v.
	Fill(s Storage, off, n int, v float32)
	// Axpy does y[i] += alpha·x[i] for n elements.
	Axpy(y Storage, alpha float32, x Storage, n int)
	// Copy2D copies a rows×cols block: dst[dOff + r·dLd + c] = src[sOff + r·sLd + c],
	// adding instead of copying when add is true.
	Copy2D(dst Storage, dOff, dLd int, src Storage, sOff, sLd, rows, cols int, add bool)
	// Transpose writes the transpose of the rows×cols matrix src into dst
	// (cols×rows), adding instead when add is true.
	Transpose(dst, src Storage, rows, cols int, add bool)
	// Gemm runs a (batched) matrix product.
	Gemm(g *Gemm)
	// Map computes dst = f(x) for n elements.
	Map(op MapOp, dst, x Storage, n int, p, q float32)
	// MapGrad accumulates dx += f'(x)·dy, given x and y = f(x).
	MapGrad(op MapOp, dx, x, y, dy Storage, n int, p, q float32)
	// Binary computes dst = a op b with broadcasting.
	Binary(op BinaryOp, dst, a, b Storage, bc *Broadcast)
	// ReduceTo accumulates alpha·src into dst, where src has the full shape
	// bc.Shape and dst the broadcast shape described by bc.A.
	ReduceTo(dst, src Storage, bc *Broadcast, alpha float32)
	// Softmax computes a softmax (or log-softmax) over each row of cols
	// elements; where mask (if not nil) is 0 the output is 0. Row r uses mask
	// row r mod maskRows.
	Softmax(dst, x, mask Storage, rows, cols, maskRows int, log bool)
	// SoftmaxGrad accumulates the gradient of Softmax given its output y.
	SoftmaxGrad(dx, y, dy, mask Storage, rows, cols, maskRows int, log bool)
	// Normalize standardises each row: y = (x − mean)·rstd, writing rstd per row.
	Normalize(y, rstd, x Storage, rows, cols int, eps float32)
	// NormalizeGrad accumulates dx given y, rstd and dy.
	NormalizeGrad(dx, y, rstd, dy Storage, rows, cols int)
	// Gather copies rows: dst[i,:] = src[idx[i],:] (adds when add is true).
	Gather(dst, src Storage, idx IndexStorage, n, cols int, add bool)
	// ScatterAdd accumulates rows: dst[idx[i],:] += src[i,:].
	ScatterAdd(dst, src Storage, idx IndexStorage, n, cols int)
	// SumSquares returns Σ x[i]² over n elements, accumulated in float64.
	SumSquares(x Storage, n int) float64
	// Adam applies one fused Adam(W) update to n parameters.
	Adam(p, g, m, v Storage, n int, h AdamStep)
}

// Precise is implemented by backends that can take and return float64
// values exactly as they hold them (the CPU backends). The gradient checks
// use it to perturb inputs of the float64 reference backend.
type Precise interface {
	Upload64(s Storage, src []float64)
	Download64(dst []float64, s Storage)
}

var (
	registryMu sync.Mutex
	registry   = map[string]func() (Backend, error){}
	defaultBe  Backend
)

// Register makes a backend available under name; the cuda package calls it
// from its init function. Registering a name twice panics.
func Register(name string, open func() (Backend, error)) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[name]; dup {
		panic("nn: backend " + name + " registered twice")
	}
	registry[name] = open
}

// Backends lists the registered backend names, sorted.
func Backends() []string {
	registryMu.Lock()
	defer registryMu.Unlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Open returns the backend registered under name.
func Open(name string) (Backend, error) {
	registryMu.Lock()
	open, ok := registry[name]
	registryMu.Unlock()
	if !ok {
		hint := ""
		if name == "cuda" {
			hint = "; this binary was built without CUDA: build it with -tags cuda on a machine with the CUDA toolkit"
		}
		return nil, fmt.Errorf("%w %q (registered: %v)%s", ErrUnknownBackend, name, Backends(), hint)
	}
	return open()
}

// EnvBackend is the environment variable that chooses the default backend.
const EnvBackend = "CORL_NN_BACKEND"

// Default returns the process's default backend: the one named by
// CORL_NN_BACKEND when set, else cuda when the binary was built with it,
// else cpu. It is chosen once.
func Default() (Backend, error) {
	registryMu.Lock()
	be := defaultBe
	registryMu.Unlock()
	if be != nil {
		return be, nil
	}
	name := os.Getenv(EnvBackend)
	if name == "" {
		name = "cpu"
		registryMu.Lock()
		if _, ok := registry["cuda"]; ok {
			name = "cuda"
		}
		registryMu.Unlock()
	}
	be, err := Open(name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", EnvBackend, err)
	}
	registryMu.Lock()
	defer registryMu.Unlock()
	if defaultBe == nil {
		defaultBe = be
	}
	return defaultBe, nil
}

func init() {
	Register("cpu", func() (Backend, error) {
		be := CPU()
		if cpuForced && cpuInfo.Err != nil {
			return nil, cpuInfo.Err
		}
		return be, nil
	})
	Register("cpu64", func() (Backend, error) { return CPU64(), nil })
}

// Syncer is implemented by backends whose kernels run asynchronously
// (CUDA): Sync waits until every kernel launched so far has finished.
type Syncer interface {
	Sync()
}

// Sync waits for b's queued work when b runs asynchronously; it does
// nothing on synchronous backends. Benchmarks call it before reading the clock.
func Sync(b Backend) {
	if s, ok := b.(Syncer); ok {
		s.Sync()
	}
}
