package cuda

// The kernels are compiled to PTX for compute capability 6.0 (the driver
// JIT-compiles PTX for newer GPUs) and the result is committed, so neither
// building nor running corl needs nvcc. Regenerate after editing
// kernels.cu.h (nvcc from Debian's nvidia-cuda-toolkit: scripts/cuda-install --toolkit):
//
//go:generate nvcc -x cu -ptx -arch=compute_60 -O3 -o kernels.ptx kernels.cu.h
