package nn

import (
	"fmt"
	"log"
	"os"
	"runtime"
	"sync"
)

// The matrix-product libraries the float32 CPU backend can use.
const (
	// BLASGonum is gonum's pure-Go GEMM: always there, about a
	// fifteenth of an optimised BLAS's rate.
	BLASGonum = "gonum"
	// BLASOpenBLAS is OpenBLAS, loaded at run time (Debian and Ubuntu:
	// apt-get install libopenblas0-openmp).
	BLASOpenBLAS = "openblas"
)

// EnvBLAS is the environment variable that forces the CPU backend's
// matrix-product library: "gonum" or "openblas". Unset or empty, the
// backend uses OpenBLAS when it loads and gonum otherwise.
const EnvBLAS = "CORL_NN_BLAS"

// BLASInfo says which library the float32 CPU backend's matrix products
// run on.
type BLASInfo struct {
	Name    string // BLASOpenBLAS or BLASGonum
	Library string // the file dlopen found; empty for gonum
	Config  string // OpenBLAS's own description (version, kernel, threading)
	Threads int    // the BLAS's threads, set to GOMAXPROCS before each product
	// Err is why OpenBLAS is not in use when it was wanted: the library
	// did not load (automatic choice, a fallback), or CORL_NN_BLAS named a
	// library that cannot be used (the backend then runs on gonum, and
	// Open("cpu") and Default() return this error).
	Err error
}

func (i BLASInfo) String() string {
	if i.Name == BLASGonum {
		return "gonum (pure Go)"
	}
	s := "openblas"
	if i.Config != "" {
		s += " (" + i.Config + ")"
	}
	return fmt.Sprintf("%s, %d threads", s, i.Threads)
}

// openBLASNames are the names dlopen is asked for, in turn: the versioned
// name Debian's and Fedora's packages install, the development link, and
// macOS's Homebrew and MacPorts builds.
var openBLASNames = map[string][]string{
	"darwin": {
		"libopenblas.0.dylib", "libopenblas.dylib",
		"/opt/homebrew/opt/openblas/lib/libopenblas.dylib",
		"/usr/local/opt/openblas/lib/libopenblas.dylib",
		"/opt/local/lib/libopenblas.dylib",
	},
}

// openBLASCandidates lists the names to try on this platform; tests
// replace it to see the library missing.
var openBLASCandidates = func() []string {
	if names, ok := openBLASNames[runtime.GOOS]; ok {
		return names
	}
	return []string{"libopenblas.so.0", "libopenblas.so"}
}

// openBLAS is a loaded OpenBLAS: symbol addresses and the thread setting.
type openBLAS struct {
	library, config       string
	sgemmFn, setThreadsFn uintptr

	// mu serialises the products OpenBLAS runs on several threads, so
	// that one team of BLAS threads runs at a time and no more threads
	// than GOMAXPROCS compute; it guards threads.
	mu      sync.Mutex
	threads int
}

// openBLASSerialMax is the largest m·n·k OpenBLAS computes on the calling
// thread alone (65536 times its default GEMM_MULTITHREAD_THRESHOLD of 4).
// Such products run concurrently from any number of goroutines, as gonum's
// do; larger ones take ob.mu.
const openBLASSerialMax = 65536 * 4

// sgemm runs one product on OpenBLAS with its threads set to GOMAXPROCS.
func (ob *openBLAS) sgemm(ta, tb bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m*n*k <= openBLASSerialMax {
		ob.callSgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	// A goroutine that calls C for long stretches without ever being
	// rescheduled looks to the runtime's monitor like one hogging its P:
	// after 10 ms it takes the P during every product, so each return goes
	// through exitsyscall's slow path and wakes the monitor, whose 20 µs
	// polling then preempts the BLAS threads. Yielding first (well under a
	// microsecond when nothing else is runnable) keeps the goroutine an
	// ordinary one; see RATIONALE "OpenBLAS from Go".
	runtime.Gosched()
	ob.mu.Lock()
	defer ob.mu.Unlock()
	if p := runtime.GOMAXPROCS(0); p != ob.threads {
		ob.callSetThreads(p)
		ob.threads = p
	}
	ob.callSgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

var (
	openBLASOnce   sync.Once
	openBLASLoaded *openBLAS
	openBLASErr    error
)

// sharedOpenBLAS loads OpenBLAS once per process.
func sharedOpenBLAS() (*openBLAS, error) {
	openBLASOnce.Do(func() {
		openBLASLoaded, openBLASErr = loadOpenBLAS()
		if openBLASLoaded != nil {
			openBLASLoaded.mu.Lock()
			openBLASLoaded.threads = runtime.GOMAXPROCS(0)
			openBLASLoaded.callSetThreads(openBLASLoaded.threads)
			openBLASLoaded.mu.Unlock()
		}
	})
	return openBLASLoaded, openBLASErr
}

// NewCPU returns a float32 CPU backend whose matrix products run on the
// named library: BLASGonum, BLASOpenBLAS, or "" for OpenBLAS when it loads
// and gonum otherwise. Asking for OpenBLAS where it does not load returns
// an error wrapping ErrNoBLAS.
func NewCPU(blas string) (Backend, error) { return newCPU(blas, sharedOpenBLAS) }

// newCPU is NewCPU with the loader of OpenBLAS as a parameter.
func newCPU(blas string, load func() (*openBLAS, error)) (Backend, error) {
	switch blas {
	case BLASGonum:
		return &cpuBackend[float32]{name: "cpu"}, nil
	case BLASOpenBLAS, "":
		ob, err := load()
		if err != nil {
			if blas == "" {
				return &cpuBackend[float32]{name: "cpu"}, nil
			}
			return nil, err
		}
		return &cpuBackend[float32]{name: "cpu", blas: ob}, nil
	}
	return nil, fmt.Errorf("%w %q (want %q or %q)", ErrUnknownBLAS, blas, BLASGonum, BLASOpenBLAS)
}

var (
	cpuOnce   sync.Once
	cpuInfo   BLASInfo
	cpuForced bool // CORL_NN_BLAS was set
)

// chooseCPU builds the process's float32 CPU backend once, from
// CORL_NN_BLAS, writing a log line where OpenBLAS was wanted and is not
// used.
func chooseCPU() {
	cpuOnce.Do(func() {
		env := os.Getenv(EnvBLAS)
		cpu32, cpuInfo = pickCPU(env, sharedOpenBLAS, log.Printf)
		cpuForced = env != ""
	})
}

// pickCPU returns the float32 CPU backend for the value of CORL_NN_BLAS and
// what it runs on; when that value cannot be honoured, the backend runs on
// gonum, the info's Err says why and logf says it once.
func pickCPU(env string, load func() (*openBLAS, error), logf func(format string, args ...any)) (*cpuBackend[float32], BLASInfo) {
	c := &cpuBackend[float32]{name: "cpu"}
	info := BLASInfo{Name: BLASGonum}
	be, err := newCPU(env, load)
	switch {
	case err != nil:
		info.Err = fmt.Errorf("%s=%s: %w", EnvBLAS, env, err)
	case be.(*cpuBackend[float32]).blas == nil && env == "":
		_, info.Err = load()
		if !canLoadBLAS {
			return c, info // a build without run-time loading: nothing to warn about
		}
	default:
		c = be.(*cpuBackend[float32])
		info = c.BLAS()
	}
	if info.Err != nil {
		logf("%v; matrix products run on gonum's pure-Go GEMM (set %s=gonum to silence this)", info.Err, EnvBLAS)
	}
	return c, info
}

// BLAS says what c's matrix products run on.
func (c *cpuBackend[T]) BLAS() BLASInfo {
	if c.blas == nil {
		return BLASInfo{Name: BLASGonum}
	}
	return BLASInfo{Name: BLASOpenBLAS, Library: c.blas.library, Config: c.blas.config, Threads: runtime.GOMAXPROCS(0)}
}

// CPUBLAS says which library the process's float32 CPU backend (CPU,
// Open("cpu"), Default) runs its matrix products on, and why it is not
// OpenBLAS where that was wanted.
func CPUBLAS() BLASInfo {
	chooseCPU()
	return cpuInfo
}
