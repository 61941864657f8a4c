package nn

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// openBLASOrSkip returns the loaded OpenBLAS, skipping the test where the
// library is absent unless CORL_REQUIRE_OPENBLAS=1.
func openBLASOrSkip(t *testing.T) *openBLAS {
	t.Helper()
	ob, err := sharedOpenBLAS()
	if err != nil {
		if os.Getenv("CORL_REQUIRE_OPENBLAS") == "1" {
			t.Fatalf("CORL_REQUIRE_OPENBLAS=1: %v", err)
		}
		t.Skipf("OpenBLAS absent (set CORL_REQUIRE_OPENBLAS=1 to require it): %v", err)
	}
	return ob
}

// TestOpenBLASMissing loads from names no system has: the error wraps
// ErrNoBLAS and names what dlopen tried.
func TestOpenBLASMissing(t *testing.T) {
	if !canLoadBLAS {
		t.Skip("this build cannot load libraries at run time")
	}
	saved := openBLASCandidates
	defer func() { openBLASCandidates = saved }()
	openBLASCandidates = func() []string { return []string{"libcorl-no-such-blas.so.0"} }
	_, err := loadOpenBLAS()
	if !errors.Is(err, ErrNoBLAS) || !strings.Contains(err.Error(), "libcorl-no-such-blas.so.0") {
		t.Fatalf("err = %v, want ErrNoBLAS naming the library", err)
	}
}

// TestPickCPU covers CORL_NN_BLAS's values with OpenBLAS present and absent:
// the automatic choice falls back to gonum with one log line, a forced
// library that does not load is an error, a bad value is an error.
func TestPickCPU(t *testing.T) {
	absent := func() (*openBLAS, error) { return nil, fmt.Errorf("%w: libopenblas.so.0: not found", ErrNoBLAS) }
	present := func() (*openBLAS, error) { return &openBLAS{library: "libopenblas.so.0"}, nil }
	for _, tc := range []struct {
		env     string
		load    func() (*openBLAS, error)
		want    string
		wantErr error
	}{
		{"", present, BLASOpenBLAS, nil},
		{"", absent, BLASGonum, ErrNoBLAS},
		{"openblas", present, BLASOpenBLAS, nil},
		{"openblas", absent, BLASGonum, ErrNoBLAS},
		{"gonum", present, BLASGonum, nil},
		{"gonum", absent, BLASGonum, nil},
		{"mkl", present, BLASGonum, ErrUnknownBLAS},
	} {
		var lines []string
		logf := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }
		c, info := pickCPU(tc.env, tc.load, logf)
		if info.Name != tc.want || (c.blas != nil) != (tc.want == BLASOpenBLAS) {
			t.Errorf("%s=%q: running on %s (blas %v), want %s", EnvBLAS, tc.env, info.Name, c.blas != nil, tc.want)
		}
		if !errors.Is(info.Err, tc.wantErr) || (tc.wantErr == nil) != (info.Err == nil) {
			t.Errorf("%s=%q: err %v, want %v", EnvBLAS, tc.env, info.Err, tc.wantErr)
		}
		// A build that cannot load libraries says nothing when left to choose.
		if wantLog := tc.wantErr != nil && (tc.env != "" || canLoadBLAS); wantLog != (len(lines) == 1) || len(lines) > 1 {
			t.Errorf("%s=%q: log lines %q", EnvBLAS, tc.env, lines)
		} else if wantLog && !strings.Contains(lines[0], "gonum") {
			t.Errorf("%s=%q: log line %q does not say gonum takes over", EnvBLAS, tc.env, lines[0])
		}
	}
}

// refGemm is the oracle: the row-major product in float64, three loops.
func refGemm(ta, tb bool, m, n, k int, alpha float64, a []float32, lda int, b []float32, ldb int, beta float64, c []float32, ldc int) []float64 {
	out := make([]float64, len(c))
	for i, v := range c {
		out[i] = float64(v)
	}
	for i := range m {
		for j := range n {
			s := 0.0
			for l := range k {
				ai, bi := i*lda+l, l*ldb+j
				if ta {
					ai = l*lda + i
				}
				if tb {
					bi = j*ldb + l
				}
				x, y := a[ai], b[bi]
				s += float64(x) * float64(y)
			}
			out[i*ldc+j] = alpha*s + beta*float64(c[i*ldc+j])
		}
	}
	return out
}

type gemmCase struct {
	ta, tb      bool
	m, n, k     int
	lda, ldb    int
	ldc         int
	alpha, beta float32
	a, b, c     []float32
}

func newGemmCase(r *rand.Rand, ta, tb bool, m, n, k int) gemmCase {
	g := gemmCase{ta: ta, tb: tb, m: m, n: n, k: k, alpha: float32(r.IntN(3)) - 0.5, beta: float32(r.IntN(3)) * 0.5}
	ra, ca := m, k
	if ta {
		ra, ca = k, m
	}
	rb, cb := k, n
	if tb {
		rb, cb = n, k
	}
	g.lda, g.ldb, g.ldc = ca+r.IntN(3), cb+r.IntN(3), n+r.IntN(3)
	fill := func(rows, ld int) []float32 {
		v := make([]float32, rows*ld)
		for i := range v {
			v[i] = float32(r.IntN(17)-8) / 8
		}
		return v
	}
	g.a, g.b, g.c = fill(ra, g.lda), fill(rb, g.ldb), fill(m, g.ldc)
	return g
}

// check runs the case on be and compares it with the oracle. Entries are
// multiples of 1/8 with |x| ≤ 1, so every product and partial sum up to
// k = 2^14 is exact in float32 and any summation order gives the oracle's
// value exactly.
func (g gemmCase) check(be *cpuBackend[float32]) error {
	c := append([]float32(nil), g.c...)
	be.gemm(g.ta, g.tb, g.m, g.n, g.k, g.alpha, g.a, g.lda, g.b, g.ldb, g.beta, c, g.ldc)
	want := refGemm(g.ta, g.tb, g.m, g.n, g.k, float64(g.alpha), g.a, g.lda, g.b, g.ldb, float64(g.beta), g.c, g.ldc)
	for i := range g.m {
		for j := range g.ldc {
			if got, w := float64(c[i*g.ldc+j]), want[i*g.ldc+j]; got != w {
				return fmt.Errorf("ta=%v tb=%v %dx%dx%d: C[%d,%d] = %v, want %v", g.ta, g.tb, g.m, g.n, g.k, i, j, got, w)
			}
		}
	}
	return nil
}

var gemmShapes = [][3]int{{1, 1, 1}, {3, 5, 7}, {1, 256, 256}, {33, 17, 65}, {64, 64, 64}, {70, 90, 130}, {200, 50, 600}}

// TestOpenBLASGemm checks every transpose combination, alpha and beta,
// padded leading dimensions and sizes on both sides of the serial limit
// against the oracle, exactly.
func TestOpenBLASGemm(t *testing.T) {
	be := &cpuBackend[float32]{name: "cpu", blas: openBLASOrSkip(t)}
	r := rand.New(rand.NewPCG(18, 1))
	for _, s := range gemmShapes {
		for _, ta := range []bool{false, true} {
			for _, tb := range []bool{false, true} {
				if err := newGemmCase(r, ta, tb, s[0], s[1], s[2]).check(be); err != nil {
					t.Error(err)
				}
			}
		}
	}
}

// TestOpenBLASConcurrent runs small (single-threaded, unlocked) and large
// (multi-threaded, serialised) products from many goroutines at once.
func TestOpenBLASConcurrent(t *testing.T) {
	be := &cpuBackend[float32]{name: "cpu", blas: openBLASOrSkip(t)}
	r := rand.New(rand.NewPCG(18, 2))
	var cases []gemmCase
	for i := range 16 {
		s := gemmShapes[i%len(gemmShapes)]
		cases = append(cases, newGemmCase(r, i%2 == 0, i%3 == 0, s[0], s[1], s[2]))
	}
	errs := make(chan error, len(cases)*4)
	var wg sync.WaitGroup
	for rep := range 4 {
		for _, g := range cases {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := g.check(be); err != nil {
					errs <- fmt.Errorf("round %d: %w", rep, err)
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestOpenBLASRepeatable: the same product under the same thread count
// gives the same bits (values that round, unlike check's exact ones).
func TestOpenBLASRepeatable(t *testing.T) {
	be := &cpuBackend[float32]{name: "cpu", blas: openBLASOrSkip(t)}
	r := rand.New(rand.NewPCG(18, 3))
	const m, n, k = 64, 64, 5000 // a weight gradient's shape, multi-threaded
	a, b := make([]float32, k*m), make([]float32, k*n)
	for i := range a {
		a[i], b[i] = r.Float32()-0.5, r.Float32()-0.5
	}
	first := make([]float32, m*n)
	be.gemm(true, false, m, n, k, 1, a, m, b, n, 0, first, n)
	for range 5 {
		c := make([]float32, m*n)
		be.gemm(true, false, m, n, k, 1, a, m, b, n, 0, c, n)
		for i := range c {
			if math.Float32bits(c[i]) != math.Float32bits(first[i]) {
				t.Fatalf("C[%d] = %v, first run %v", i, c[i], first[i])
			}
		}
	}
	t.Logf("GOMAXPROCS %d", runtime.GOMAXPROCS(0))
}
