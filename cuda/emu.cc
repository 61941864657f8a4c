//go:build cudaemu && !cuda

// Host emulation of the CUDA execution model, enough to run kernels.cu.h
// unchanged on a CPU: each block's threads run as real threads (a pool
// kept between launches) meeting at __syncthreads through a barrier,
// blocks run one after another (so __shared__ arrays can be static),
// atomics take a lock. It is slow and
// only for checking the kernels' logic on machines without a GPU
// (go test -tags cudaemu ./cuda); it says nothing about GPU speed.

#include <barrier>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <math.h>
#include <mutex>
#include <thread>
#include <vector>

struct emu_dim3 {
	unsigned x, y, z;
};
static thread_local emu_dim3 threadIdx, blockIdx;
static emu_dim3 blockDim, gridDim;
static std::barrier<> *emu_barrier;
static std::mutex emu_atomic;

#define __global__
#define __device__ static inline
#define __shared__ static
static inline void __syncthreads() { emu_barrier->arrive_and_wait(); }
static inline float atomicAdd(float *p, float v) {
	std::lock_guard<std::mutex> g(emu_atomic);
	float old = *p;
	*p = old + v;
	return old;
}
static inline double atomicAdd(double *p, double v) {
	std::lock_guard<std::mutex> g(emu_atomic);
	double old = *p;
	*p = old + v;
	return old;
}
using std::isinf;

#include "kernels.cu.h"

typedef unsigned long long u64;

static inline double D(u64 w) {
	double d;
	memcpy(&d, &w, 8);
	return d;
}
#define F(i) ((float *)(uintptr_t)a[i])
#define I(i) ((int *)(uintptr_t)a[i])
#define DP(i) ((double *)(uintptr_t)a[i])
#define L(i) ((ll)a[i])

// call runs kernel k (the order of cuda.kernels) for the current thread.
static void call(int k, const u64 *a) {
	switch (k) {
	case 0: fill(F(0), L(1), D(a[2])); break;
	case 1: axpy(F(0), D(a[1]), F(2), L(3)); break;
	case 2: copy2d(F(0), L(1), F(2), L(3), L(4), L(5), L(6)); break;
	case 3: map(L(0), F(1), F(2), L(3), D(a[4]), D(a[5])); break;
	case 4: map_grad(L(0), F(1), F(2), F(3), F(4), L(5), D(a[6]), D(a[7])); break;
	case 5: binary(L(0), F(1), F(2), F(3), L(4), L(5), L(6), L(7), L(8), L(9), L(10), L(11), L(12), L(13), L(14), L(15)); break;
	case 6: reduce_to(F(0), F(1), L(2), L(3), L(4), L(5), L(6), L(7), L(8), L(9), D(a[10])); break;
	case 7: softmax(F(0), F(1), F(2), L(3), L(4), L(5), L(6)); break;
	case 8: softmax_grad(F(0), F(1), F(2), F(3), L(4), L(5), L(6), L(7)); break;
	case 9: normalize(F(0), F(1), F(2), L(3), L(4), D(a[5])); break;
	case 10: normalize_grad(F(0), F(1), F(2), F(3), L(4), L(5)); break;
	case 11: gather(F(0), F(1), I(2), L(3), L(4), L(5)); break;
	case 12: scatter_add(F(0), F(1), I(2), L(3), L(4)); break;
	case 13: sum_squares(F(0), L(1), DP(2)); break;
	case 14: adam(F(0), F(1), F(2), F(3), L(4), D(a[5]), D(a[6]), D(a[7]), D(a[8]), D(a[9]), D(a[10]), D(a[11])); break;
	case 15: sgemm(L(0), L(1), L(2), L(3), L(4), D(a[5]), F(6), L(7), L(8), F(9), L(10), L(11), D(a[12]), F(13), L(14), L(15)); break;
	case 16: reduce_to_wide(F(0), F(1), L(2), L(3), L(4), L(5), L(6), L(7), L(8), L(9), D(a[10])); break;
	case 17: transpose(F(0), F(1), L(2), L(3), L(4)); break;
	}
}

// A pool of worker threads, one per thread of a block, kept between
// launches (creating 256 threads per block made the emulation slow).
// Blocks run one at a time: the launcher sets the block, releases the
// workers through start, and waits for them at done.
struct pool {
	int threads;
	std::vector<std::thread> workers;
	std::barrier<> start, done, sync;
	int kernel = 0;
	const u64 *args = nullptr;
	emu_dim3 block = {0, 0, 0};
	bool quit = false;

	explicit pool(int n) : threads(n), start(n + 1), done(n + 1), sync(n) {
		for (int t = 0; t < n; t++)
			workers.emplace_back([this, t] {
				threadIdx = {(unsigned)t, 0, 0};
				for (;;) {
					start.arrive_and_wait();
					if (quit) return;
					blockIdx = block;
					call(kernel, args);
					done.arrive_and_wait();
				}
			});
	}
	~pool() {
		quit = true;
		start.arrive_and_wait();
		for (auto &w : workers) w.join();
	}
};

static pool *emu_pool;

extern "C" int corl_emu_launch(int k, int gx, int gy, int gz, int threads, const u64 *args, int nargs) {
	if (!emu_pool || emu_pool->threads != threads) {
		delete emu_pool;
		emu_pool = new pool(threads);
	}
	std::vector<u64> a(args, args + nargs);
	gridDim = {(unsigned)gx, (unsigned)gy, (unsigned)gz};
	blockDim = {(unsigned)threads, 1, 1};
	emu_barrier = &emu_pool->sync;
	emu_pool->kernel = k;
	emu_pool->args = a.data();
	for (int z = 0; z < gz; z++)
		for (int y = 0; y < gy; y++)
			for (int x = 0; x < gx; x++) {
				emu_pool->block = {(unsigned)x, (unsigned)y, (unsigned)z};
				emu_pool->start.arrive_and_wait();
				emu_pool->done.arrive_and_wait();
			}
	return 0;
}
