# Shortcuts; the README's commands work without make.
GO ?= go

.PHONY: run highs onnx test bench bench-nn build native-check cuda-install cuda-toolkit cuda-check cuda-ptx cuda-emu gpu-bundle clean

# The main job: learn to branch on small set covers and compare with the
# rules and HiGHS (fetches HiGHS first).
run: highs
	$(GO) run ./cmd/corl demo

# Fetch the pinned HiGHS WebAssembly module with npm pack and check its SHA-256.
highs:
	$(GO) run ./cmd/corl setup

# Fetch a real ONNX model (PP-OCRv4 text detector) for memory-mapping workloads.
onnx:
	bash scripts/fetch-onnx

test:
	bash scripts/test

bench: highs
	$(GO) run ./cmd/corl bench solver

bench-nn:
	$(GO) run ./cmd/corl bench nn

# Debian's CUDA packages (non-free): cuda.h and libcuda for the cuda build.
cuda-install:
	bash scripts/cuda-install

# The same plus nvcc, to regenerate the committed PTX.
cuda-toolkit:
	bash scripts/cuda-install --toolkit

# Compile check of the cuda build (vet, test binaries, PTX up to date); runs
# the cuda tests and benchmarks too when a GPU is present.
cuda-check:
	bash scripts/cuda-check

# Regenerate cuda/kernels.ptx from cuda/kernels.cu.h with nvcc.
cuda-ptx:
	$(GO) generate ./cuda

# Run the CUDA kernels on the host emulation through the backend conformance suite.
cuda-emu:
	$(GO) test -tags cudaemu ./cuda/

# Build the cuda test binary and corl into bin/gpu/ with a run script, for a
# GPU machine that has only the NVIDIA driver.
gpu-bundle:
	bash scripts/gpu-bundle

build:
	$(GO) build -o bin/corl ./cmd/corl

# Compile the native engine against an installed libhighs (pkg-config highs).
native-check:
	$(GO) vet -tags highs_native ./...
	$(GO) test -tags highs_native -run XXX ./solver/highs/

clean:
	rm -rf bin
