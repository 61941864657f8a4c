// Kernels of corl's CUDA backend for package nn, in CUDA C. Compiled to
// PTX by
//   go generate ./cuda      (nvcc -x cu -ptx, see gen.go)
// and the PTX is committed, so building corl needs no CUDA compiler and
// running it needs only the NVIDIA driver. The file is named .h so that the
// Go build notices edits: emu.cc includes it to run the same kernels on
// the host (build tag cudaemu).
//
// Every kernel parameter is 8 bytes wide (pointers, long long, double):
// the Go launcher copies each argument as one 8-byte word.
// The semantics of each kernel are those of the nn.Backend method of the
// same name; the CPU backend (nn/cpu.go) is the reference they are tested
// against (nn/backendtest).

typedef long long ll;

#define GRID_STRIDE(i, n) for (ll i = (ll)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (ll)blockDim.x * gridDim.x)

extern "C" __global__ void fill(float *p, ll n, double v) {
	GRID_STRIDE(i, n) { p[i] = (float)v; }
}

extern "C" __global__ void axpy(float *y, double alpha, const float *x, ll n) {
	float a = (float)alpha;
	GRID_STRIDE(i, n) { y[i] += a * x[i]; }
}

extern "C" __global__ void copy2d(float *dst, ll dLd, const float *src, ll sLd, ll rows, ll cols, ll add) {
	GRID_STRIDE(i, rows * cols) {
		ll r = i / cols, c = i % cols;
		if (add) {
			dst[r * dLd + c] += src[r * sLd + c];
		} else {
			dst[r * dLd + c] = src[r * sLd + c];
		}
	}
}

// transpose: dst (cols×rows) = srcᵀ, or += with add.
extern "C" __global__ void transpose(float *dst, const float *src, ll rows, ll cols, ll add) {
	GRID_STRIDE(i, rows * cols) {
		ll r = i / cols, c = i % cols;
		if (add) dst[c * rows + r] += src[i];
		else dst[c * rows + r] = src[i];
	}
}

// Map operations, numbered as nn.MapOp.
enum { RELU, TANH, SIGMOID, EXP, LOG, LOG1P, SQUARE, ABS, SCALE, HUBER, VALUE, VALUE_INV, CLAMP, SQRT };

__device__ double sgn(double x) { return x > 0 ? 1.0 : (x < 0 ? -1.0 : 0.0); }

__device__ double value_inv_u(double a, double eps) {
	if (eps == 0) {
		double u = a + 1;
		return u * u - 1;
	}
	double u = (sqrt(1 + 4 * eps * (a + 1 + eps)) - 1) / (2 * eps);
	return u * u - 1;
}

// map_f evaluates the functions map has no single-precision case for.
__device__ double map_f(ll op, double x, double p, double q) {
	switch (op) {
	case TANH: return tanh(x);
	case SIGMOID:
		if (x >= 0) return 1 / (1 + exp(-x));
		else {
			double e = exp(x);
			return e / (1 + e);
		}
	case EXP: return exp(x);
	case LOG: return log(x);
	case LOG1P: return log1p(x);
	case ABS: return fabs(x);
	case HUBER: {
		double a = fabs(x);
		return a <= p ? 0.5 * x * x : p * (a - 0.5 * p);
	}
	case VALUE: return sgn(x) * (sqrt(fabs(x) + 1) - 1) + p * x;
	case VALUE_INV: return sgn(x) * value_inv_u(fabs(x), p);
	case SQRT: return sqrt(x);
	}
	return 0;
}

// map_d returns f'(x) given y = f(x), for the functions map_grad has no
// single-precision case for.
__device__ double map_d(ll op, double x, double y, double p, double q) {
	switch (op) {
	case EXP: return y;
	case LOG: return 1 / x;
	case LOG1P: return 1 / (1 + x);
	case SQUARE: return 2 * x;
	case ABS: return sgn(x);
	case SCALE: return p;
	case HUBER: return fmin(fmax(x, -p), p);
	case VALUE: return 1 / (2 * sqrt(fabs(x) + 1)) + p;
	case VALUE_INV: {
		double a = fabs(x);
		if (p == 0) return 2 * (a + 1);
		double s = sqrt(1 + 4 * p * (a + 1 + p));
		double u = (s - 1) / (2 * p);
		return 2 * u / s;
	}
	case CLAMP: return (x >= p && x <= q) ? 1 : 0;
	case SQRT: return 0.5 / y;
	}
	return 0;
}

extern "C" __global__ void map(ll op, float *dst, const float *x, ll n, double p, double q) {
	GRID_STRIDE(i, n) {
		float v = x[i];
		switch (op) { // single-precision fast paths, as on the CPU
		case RELU: dst[i] = v > 0 ? v : 0; break;
		case SCALE: dst[i] = (float)p * v + (float)q; break;
		case SQUARE: dst[i] = v * v; break;
		case CLAMP: dst[i] = fminf(fmaxf(v, (float)p), (float)q); break;
		default: dst[i] = (float)map_f(op, (double)v, p, q);
		}
	}
}

extern "C" __global__ void map_grad(ll op, float *dx, const float *x, const float *y, const float *dy, ll n, double p, double q) {
	GRID_STRIDE(i, n) {
		switch (op) {
		case RELU:
			if (x[i] > 0) dx[i] += dy[i];
			break;
		case TANH: dx[i] += dy[i] * (1 - y[i] * y[i]); break;
		case SIGMOID: dx[i] += dy[i] * y[i] * (1 - y[i]); break;
		default: dx[i] += dy[i] * (float)map_d(op, (double)x[i], (double)y[i], p, q);
		}
	}
}

// Binary operations, numbered as nn.BinaryOp.
enum { ADD, SUB, MUL, DIV };

extern "C" __global__ void binary(ll op, float *dst, const float *a, const float *b,
	ll s0, ll s1, ll s2, ll s3, ll a0, ll a1, ll a2, ll a3, ll b0, ll b1, ll b2, ll b3) {
	GRID_STRIDE(i, s0 * s1 * s2 * s3) {
		ll i3 = i % s3, t = i / s3;
		ll i2 = t % s2;
		t /= s2;
		ll i1 = t % s1, i0 = t / s1;
		float x = a[i0 * a0 + i1 * a1 + i2 * a2 + i3 * a3];
		float y = b[i0 * b0 + i1 * b1 + i2 * b2 + i3 * b3];
		float r;
		switch (op) {
		case ADD: r = x + y; break;
		case SUB: r = x - y; break;
		case MUL: r = x * y; break;
		default: r = x / y;
		}
		dst[i] = r;
	}
}

// reduction describes reduce_to's shape: Shape s (the source, contiguous),
// destination strides d (0 marks a reduced dimension).
struct reduction {
	ll s[4], d[4], full[4];
	ll kept, red; // destination elements; source elements per destination element
};

__device__ reduction make_reduction(ll s0, ll s1, ll s2, ll s3, ll d0, ll d1, ll d2, ll d3) {
	reduction q = {{s0, s1, s2, s3}, {d0, d1, d2, d3}, {0, 0, 0, 1}, 1, 1};
	for (int k = 2; k >= 0; k--) q.full[k] = q.full[k + 1] * q.s[k + 1];
	for (int k = 0; k < 4; k++) {
		if (q.d[k] != 0 || q.s[k] == 1) q.kept *= q.s[k];
		else q.red *= q.s[k];
	}
	return q;
}

// reduction_at returns, for destination element o (row-major over the
// kept dimensions), its destination offset and the source offset of its
// first element.
__device__ void reduction_at(const reduction &q, ll o, ll *doff, ll *base) {
	ll idx[4] = {0, 0, 0, 0}, t = o;
	for (int k = 3; k >= 0; k--) {
		if (q.d[k] != 0 || q.s[k] == 1) {
			idx[k] = t % q.s[k];
			t /= q.s[k];
		}
	}
	*doff = 0;
	*base = 0;
	for (int k = 0; k < 4; k++) {
		*base += idx[k] * q.full[k];
		*doff += idx[k] * q.d[k];
	}
}

// reduction_src returns the source offset of reduced element r from base.
__device__ ll reduction_src(const reduction &q, ll base, ll r) {
	ll off = base;
	for (int k = 3; k >= 0; k--) {
		if (q.d[k] == 0 && q.s[k] != 1) {
			off += (r % q.s[k]) * q.full[k];
			r /= q.s[k];
		}
	}
	return off;
}

// reduce_to: one thread per destination element sums its source elements
// in a fixed order. For few destination elements with many sources each
// (a bias gradient over many rows) reduce_to_wide is used instead.
extern "C" __global__ void reduce_to(float *dst, const float *src,
	ll s0, ll s1, ll s2, ll s3, ll d0, ll d1, ll d2, ll d3, double alpha) {
	reduction q = make_reduction(s0, s1, s2, s3, d0, d1, d2, d3);
	GRID_STRIDE(o, q.kept) {
		ll doff, base;
		reduction_at(q, o, &doff, &base);
		double sum = 0;
		for (ll r = 0; r < q.red; r++) sum += src[reduction_src(q, base, r)];
		dst[doff] += (float)(alpha * sum);
	}
}

#define BLOCK 256

// block_sum returns the sum of v over the block (every thread gets it).
__device__ double block_sum(double v, double *sh) {
	sh[threadIdx.x] = v;
	__syncthreads();
	for (int s = blockDim.x / 2; s > 0; s >>= 1) {
		if (threadIdx.x < s) sh[threadIdx.x] += sh[threadIdx.x + s];
		__syncthreads();
	}
	double r = sh[0];
	__syncthreads();
	return r;
}

__device__ double block_max(double v, double *sh) {
	sh[threadIdx.x] = v;
	__syncthreads();
	for (int s = blockDim.x / 2; s > 0; s >>= 1) {
		if (threadIdx.x < s) sh[threadIdx.x] = fmax(sh[threadIdx.x], sh[threadIdx.x + s]);
		__syncthreads();
	}
	double r = sh[0];
	__syncthreads();
	return r;
}

// reduce_to_wide: one block per destination element, its threads sharing
// the source elements (deterministic: fixed split and tree order).
extern "C" __global__ void reduce_to_wide(float *dst, const float *src,
	ll s0, ll s1, ll s2, ll s3, ll d0, ll d1, ll d2, ll d3, double alpha) {
	__shared__ double sh[BLOCK];
	reduction q = make_reduction(s0, s1, s2, s3, d0, d1, d2, d3);
	for (ll o = blockIdx.x; o < q.kept; o += gridDim.x) {
		ll doff, base;
		reduction_at(q, o, &doff, &base);
		double sum = 0;
		for (ll r = threadIdx.x; r < q.red; r += blockDim.x) sum += src[reduction_src(q, base, r)];
		sum = block_sum(sum, sh);
		if (threadIdx.x == 0) dst[doff] += (float)(alpha * sum);
	}
}

// softmax: one block per row.
extern "C" __global__ void softmax(float *dst, const float *x, const float *mask, ll rows, ll cols, ll maskRows, ll logp) {
	__shared__ double sh[BLOCK];
	for (ll r = blockIdx.x; r < rows; r += gridDim.x) {
		const float *xr = x + r * cols;
		float *dr = dst + r * cols;
		const float *mr = mask ? mask + (r % maskRows) * cols : 0;
		double m = -INFINITY;
		for (ll j = threadIdx.x; j < cols; j += blockDim.x)
			if (!mr || mr[j] != 0) m = fmax(m, (double)xr[j]);
		m = block_max(m, sh);
		if (isinf(m)) {
			for (ll j = threadIdx.x; j < cols; j += blockDim.x) dr[j] = 0;
			continue;
		}
		double z = 0;
		for (ll j = threadIdx.x; j < cols; j += blockDim.x)
			if (!mr || mr[j] != 0) z += exp((double)xr[j] - m);
		z = block_sum(z, sh);
		double lz = log(z);
		for (ll j = threadIdx.x; j < cols; j += blockDim.x) {
			if (mr && mr[j] == 0) dr[j] = 0;
			else if (logp) dr[j] = (float)((double)xr[j] - m - lz);
			else dr[j] = (float)(exp((double)xr[j] - m) / z);
		}
	}
}

extern "C" __global__ void softmax_grad(float *dx, const float *y, const float *dy, const float *mask, ll rows, ll cols, ll maskRows, ll logp) {
	__shared__ double sh[BLOCK];
	for (ll r = blockIdx.x; r < rows; r += gridDim.x) {
		const float *yr = y + r * cols, *gr = dy + r * cols;
		float *dr = dx + r * cols;
		const float *mr = mask ? mask + (r % maskRows) * cols : 0;
		double s = 0;
		for (ll j = threadIdx.x; j < cols; j += blockDim.x) {
			if (mr && mr[j] == 0) continue;
			s += logp ? (double)gr[j] : (double)gr[j] * (double)yr[j];
		}
		s = block_sum(s, sh);
		for (ll j = threadIdx.x; j < cols; j += blockDim.x) {
			if (mr && mr[j] == 0) continue;
			if (logp) dr[j] += gr[j] - (float)(exp((double)yr[j]) * s);
			else dr[j] += yr[j] * (gr[j] - (float)s);
		}
	}
}

extern "C" __global__ void normalize(float *y, float *rstd, const float *x, ll rows, ll cols, double eps) {
	__shared__ double sh[BLOCK];
	for (ll r = blockIdx.x; r < rows; r += gridDim.x) {
		const float *xr = x + r * cols;
		float *yr = y + r * cols;
		double mean = 0;
		for (ll j = threadIdx.x; j < cols; j += blockDim.x) mean += xr[j];
		mean = block_sum(mean, sh) / cols;
		double var = 0;
		for (ll j = threadIdx.x; j < cols; j += blockDim.x) {
			double d = xr[j] - mean;
			var += d * d;
		}
		var = block_sum(var, sh) / cols;
		double rs = 1 / sqrt(var + eps);
		if (threadIdx.x == 0) rstd[r] = (float)rs;
		for (ll j = threadIdx.x; j < cols; j += blockDim.x) yr[j] = (float)((xr[j] - mean) * rs);
	}
}

extern "C" __global__ void normalize_grad(float *dx, const float *y, const float *rstd, const float *dy, ll rows, ll cols) {
	__shared__ double sh[BLOCK];
	for (ll r = blockIdx.x; r < rows; r += gridDim.x) {
		const float *yr = y + r * cols, *gr = dy + r * cols;
		float *dr = dx + r * cols;
		double mg = 0, mgy = 0;
		for (ll j = threadIdx.x; j < cols; j += blockDim.x) {
			mg += gr[j];
			mgy += (double)gr[j] * yr[j];
		}
		mg = block_sum(mg, sh) / cols;
		mgy = block_sum(mgy, sh) / cols;
		double rs = rstd[r];
		for (ll j = threadIdx.x; j < cols; j += blockDim.x) dr[j] += (float)(rs * (gr[j] - mg - yr[j] * mgy));
	}
}

extern "C" __global__ void gather(float *dst, const float *src, const int *idx, ll n, ll cols, ll add) {
	GRID_STRIDE(i, n * cols) {
		ll r = i / cols, c = i % cols;
		float v = src[(ll)idx[r] * cols + c];
		if (add) dst[i] += v;
		else dst[i] = v;
	}
}

extern "C" __global__ void scatter_add(float *dst, const float *src, const int *idx, ll n, ll cols) {
	GRID_STRIDE(i, n * cols) {
		ll r = i / cols, c = i % cols;
		atomicAdd(dst + (ll)idx[r] * cols + c, src[i]);
	}
}

extern "C" __global__ void sum_squares(const float *x, ll n, double *out) {
	__shared__ double sh[BLOCK];
	double s = 0;
	GRID_STRIDE(i, n) { s += (double)x[i] * x[i]; }
	s = block_sum(s, sh);
	if (threadIdx.x == 0) atomicAdd(out, s);
}

extern "C" __global__ void adam(float *p, const float *g, float *m, float *v, ll n,
	double lr, double b1, double b2, double eps, double wd, double c1, double c2) {
	float fb1 = b1, fb2 = b2, feps = eps, flr = lr, fwd = wd, fc1 = c1, fc2 = c2;
	GRID_STRIDE(i, n) {
		float gi = g[i];
		float mi = fb1 * m[i] + (1 - fb1) * gi;
		float vi = fb2 * v[i] + (1 - fb2) * gi * gi;
		m[i] = mi;
		v[i] = vi;
		float den = sqrtf(vi / fc2) + feps;
		p[i] -= flr * (mi / fc1) / den + flr * fwd * p[i];
	}
}

// sgemm: C = alpha·op(A)·op(B) + beta·C, row-major, one matrix of the
// batch per blockIdx.z. 64×64 tiles of C per block of 256 threads, each
// thread computing a 4×4 sub-tile; K advances 16 at a time through
// shared memory.
#define TM 64
#define TN 64
#define TK 16

extern "C" __global__ void sgemm(ll transA, ll transB, ll M, ll N, ll K, double alpha,
	const float *A, ll lda, ll strideA, const float *B, ll ldb, ll strideB,
	double beta, float *C, ll ldc, ll strideC) {
	__shared__ float As[TK][TM + 1];
	__shared__ float Bs[TK][TN + 1];
	A += blockIdx.z * strideA;
	B += blockIdx.z * strideB;
	C += blockIdx.z * strideC;
	int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
	ll row0 = (ll)blockIdx.y * TM, col0 = (ll)blockIdx.x * TN;
	float acc[4][4] = {{0}};
	for (ll k0 = 0; k0 < K; k0 += TK) {
		// Each thread loads 4 elements of each tile.
		for (int l = 0; l < 4; l++) {
			int e = threadIdx.x + l * 256; // 0..1023
			int i = e / TK, k = e % TK;    // A tile: TM rows × TK
			ll gi = row0 + i, gk = k0 + k;
			float va = 0;
			if (gi < M && gk < K) va = transA ? A[gk * lda + gi] : A[gi * lda + gk];
			As[k][i] = va;
			int kk = e / TN, j = e % TN; // B tile: TK rows × TN
			ll gk2 = k0 + kk, gj = col0 + j;
			float vb = 0;
			if (gk2 < K && gj < N) vb = transB ? B[gj * ldb + gk2] : B[gk2 * ldb + gj];
			Bs[kk][j] = vb;
		}
		__syncthreads();
		for (int k = 0; k < TK; k++) {
			float a[4], b[4];
			for (int u = 0; u < 4; u++) {
				a[u] = As[k][ty * 4 + u];
				b[u] = Bs[k][tx * 4 + u];
			}
			for (int u = 0; u < 4; u++)
				for (int w = 0; w < 4; w++) acc[u][w] += a[u] * b[w];
		}
		__syncthreads();
	}
	float fa = alpha, fb = beta;
	for (int u = 0; u < 4; u++) {
		ll i = row0 + ty * 4 + u;
		if (i >= M) continue;
		for (int w = 0; w < 4; w++) {
			ll j = col0 + tx * 4 + w;
			if (j >= N) continue;
			float c = fa * acc[u][w];
			if (fb != 0) c += fb * C[i * ldc + j];
			C[i * ldc + j] = c;
		}
	}
}
