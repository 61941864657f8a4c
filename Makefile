# Shortcuts; the README's commands work without make.
GO ?= go

.PHONY: run highs onnx test bench build native-check clean

# Solve the instance embedded in the binary (fetches HiGHS first).
run: highs
	$(GO) run ./cmd/corl solve

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

build:
	$(GO) build -o bin/corl ./cmd/corl

# Compile the native engine against an installed libhighs (pkg-config highs).
native-check:
	$(GO) vet -tags highs_native ./...
	$(GO) test -tags highs_native -run XXX ./solver/highs/

clean:
	rm -rf bin
