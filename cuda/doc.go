// Package cuda is the CUDA backend of package nn. It is compiled only with
// the build tag cuda (go build -tags cuda) and registers itself with nn
// under the name "cuda", becoming the default backend of such a binary
// (CORL_NN_BACKEND=cpu chooses the CPU again).
//
// Memory lives on the device; the kernels (kernels.cu.h) are our own,
// compiled to PTX that is committed and embedded, and loaded through the
// CUDA driver API (gorgonia.org/cu) at start: a built binary needs only the
// NVIDIA driver, no CUDA toolkit. Matrix products use the same tiled
// kernel as everything else, not cuBLAS, for the same reason.
//
// gorgonia.org/cu initialises the driver when its package loads and exits
// the process if there is no device, so a cuda build runs only on a
// machine with an NVIDIA GPU. The default build never imports this package.
//
// The build tag cudaemu (without cuda) compiles the same backend over a
// host emulation of the CUDA execution model instead of the driver: the
// kernels' source is compiled as C++ and each block's threads run as real
// threads meeting at a barrier. It needs only g++, so the kernels' logic is
// checked by the backend conformance suite on any machine
// (go test -tags cudaemu ./cuda); it measures nothing about speed.
//
// ScatterAdd and SumSquares add with atomics, so their results (and
// gradients through Gather) may differ in the last bits from run to run;
// everything else is deterministic. Kernels run asynchronously on the
// default stream; Download, SumSquares
// and Sync wait for them. The nn.Backend methods return no errors, so a
// driver error inside a kernel call (a failed launch) panics with an *Error
// and a failed allocation with an *nn.AllocError, both wrapping
// nn.ErrDevice: a training step run under nn.Guard gets them as errors
// (errors.Is(err, nn.ErrOutOfMemory) for device memory exhausted).
// Device buffers are freed by finalizers; the backend forces a garbage
// collection after every GiB of device allocations, and once more before
// it gives up on an allocation, so unreachable tensors cannot exhaust the GPU.
package cuda
