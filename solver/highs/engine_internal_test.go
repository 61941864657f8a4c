package highs

import (
	"bytes"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/corl-go/corl/solver"
)

func newTestSolver(t testing.TB, rt string, log *bytes.Buffer) *Solver {
	t.Helper()
	cfg := Config{Runtime: rt}
	if log != nil {
		cfg.Log = log
	}
	s, err := New(cfg)
	if errors.Is(err, ErrModuleMissing) && os.Getenv("CORL_REQUIRE_HIGHS") != "1" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// tinyLP is min x + y s.t. x + 2y >= 2, x, y >= 0: optimum 1 at y = 1.
func tinyLP() *solver.Model {
	var b solver.Builder
	x := b.AddCol("x", 1, 0, solver.Inf, solver.Continuous)
	y := b.AddCol("y", 1, 0, solver.Inf, solver.Continuous)
	b.AddRow("r", 2, solver.Inf, []int{x, y}, []float64{1, 2})
	m, _ := b.Build()
	return m
}

func mustSolve(t *testing.T, s *Solver, m *solver.Model, want float64) {
	t.Helper()
	if err := s.Load(m); err != nil {
		t.Fatal(err)
	}
	st, err := s.Solve(context.Background())
	if err != nil || st != solver.StatusOptimal {
		t.Fatalf("status %v, err %v", st, err)
	}
	if obj, _ := s.Objective(); math.Abs(obj-want) > 1e-9*math.Max(1, math.Abs(want)) {
		t.Fatalf("objective %v, want %v", obj, want)
	}
}

// hardMIP is a set-cover MIP that HiGHS needs well over a second for.
func hardMIP() *solver.Model {
	rng := rand.New(rand.NewPCG(11, 12))
	var b solver.Builder
	for j := range 1000 {
		b.AddCol("", float64(1+rng.IntN(100)), 0, 1, solver.Integer)
		_ = j
	}
	for range 500 {
		var idx []int
		var val []float64
		for j := range 1000 {
			if rng.Float64() < 0.05 {
				idx = append(idx, j)
				val = append(val, 1)
			}
		}
		b.AddRow("", 1, solver.Inf, idx, val)
	}
	m, _ := b.Build()
	return m
}

func forRuntimes(t *testing.T, f func(t *testing.T, rt string)) {
	for _, rt := range Runtimes() {
		if rt == "native" {
			continue
		}
		t.Run(rt, func(t *testing.T) { f(t, rt) })
	}
}

func TestTrapIsolation(t *testing.T) {
	forRuntimes(t, func(t *testing.T, rt string) {
		a := newTestSolver(t, rt, nil)
		b := newTestSolver(t, rt, nil)
		mustSolve(t, a, tinyLP(), 1)
		// An out-of-bounds pointer makes HiGHS write outside linear memory.
		_, err := a.call(fnGetSolution, a.highs, 0xfffffff0, 0xfffffff0, 0xfffffff0, 0xfffffff0)
		var trap *TrapError
		if !errors.As(err, &trap) || !errors.Is(err, ErrBroken) {
			t.Fatalf("out-of-bounds write gave %v, want a TrapError", err)
		}
		if err := a.Load(tinyLP()); !errors.Is(err, ErrBroken) {
			t.Fatalf("trapped solver accepted a call: %v", err)
		}
		mustSolve(t, b, tinyLP(), 1) // the other solver is unaffected
		c := newTestSolver(t, rt, nil)
		mustSolve(t, c, tinyLP(), 1) // and new ones work
	})
}

func TestCxxExceptionIsATrap(t *testing.T) {
	forRuntimes(t, func(t *testing.T, rt string) {
		s := newTestSolver(t, rt, nil)
		// A model of 2^31-16 columns makes HiGHS's vectors throw.
		_, err := s.call(fnPassMip, s.highs, 0x7ffffff0, 0, 0, matrixColwise, objMinimize, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
		var trap *TrapError
		if !errors.As(err, &trap) || !strings.Contains(trap.Msg, "C++ exception") {
			t.Fatalf("huge model gave %v, want a TrapError for a C++ exception", err)
		}
		if _, err := s.Solve(context.Background()); !errors.Is(err, ErrBroken) && !errors.Is(err, ErrNoModel) {
			t.Fatalf("solver after a trap: %v", err)
		}
		mustSolve(t, newTestSolver(t, rt, nil), tinyLP(), 1)
	})
}

func TestRejectedByHiGHS(t *testing.T) {
	forRuntimes(t, func(t *testing.T, rt string) {
		s := newTestSolver(t, rt, nil)
		bad := &solver.Model{
			Cost: []float64{1}, ColLower: []float64{0}, ColUpper: []float64{1},
			RowLower: []float64{0}, RowUpper: []float64{1},
			Start: []int{0, 1}, Index: []int{7}, Value: []float64{1},
		}
		err := s.pass(bad) // past Go's validation, straight to HiGHS
		var ce *CallError
		if !errors.As(err, &ce) {
			t.Fatalf("HiGHS accepted a row index out of range: %v", err)
		}
		if len(ce.Log) == 0 {
			t.Errorf("the error carries none of HiGHS's log: %v", err)
		}
		t.Logf("HiGHS said: %v", err)
		mustSolve(t, s, tinyLP(), 1)
	})
}

func TestParallelSolvers(t *testing.T) {
	forRuntimes(t, func(t *testing.T, rt string) {
		m := hardMIP()
		m.Type = nil // its LP relaxation
		want := newTestSolver(t, rt, nil)
		if err := want.Load(m); err != nil {
			t.Fatal(err)
		}
		if _, err := want.Solve(context.Background()); err != nil {
			t.Fatal(err)
		}
		wantObj, _ := want.Objective()
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for g := range errs {
			wg.Go(func() {
				s, err := New(Config{Runtime: rt})
				if err != nil {
					errs[g] = err
					return
				}
				defer s.Close()
				for range 3 {
					if err := s.Load(m); err != nil {
						errs[g] = err
						return
					}
					if _, err := s.Solve(context.Background()); err != nil {
						errs[g] = err
						return
					}
					if obj, _ := s.Objective(); obj != wantObj {
						errs[g] = errors.New("objective differs from the sequential solve")
						return
					}
				}
			})
		}
		wg.Wait()
		for g, err := range errs {
			if err != nil {
				t.Errorf("goroutine %d: %v", g, err)
			}
		}
	})
}

// endlessMIP is a market split instance (Cornuéjols and Dawande, 1999): 5
// equality rows over 40 binaries with coefficients in [0, 100) and right-hand
// sides half the row sums. Branch-and-bound needs of the order of 2^40 nodes
// to settle it (one row less already takes HiGHS hours here; two rows less,
// seconds), so no machine finishes it within a test: a solve ends only by a
// limit, a deadline or an interruption.
func endlessMIP() *solver.Model {
	const rows, cols = 5, 40
	rng := rand.New(rand.NewPCG(3, 5))
	var b solver.Builder
	for range cols {
		b.AddCol("", 0, 0, 1, solver.Integer)
	}
	for range rows {
		idx := make([]int, cols)
		val := make([]float64, cols)
		sum := 0.0
		for j := range cols {
			idx[j], val[j] = j, float64(rng.IntN(100))
			sum += val[j]
		}
		d := math.Floor(sum / 2)
		b.AddRow("", d, d, idx, val)
	}
	m, _ := b.Build()
	return m
}

// startedDeadline is a context whose deadline is d after the solver first
// asks for it (Deadline or Done), so that the deadline is still ahead when
// the solve begins however slow or busy the machine is, and passes while
// HiGHS runs.
type startedDeadline struct {
	context.Context
	d    time.Duration
	once sync.Once
	at   time.Time
	done chan struct{}
}

func newStartedDeadline(d time.Duration) *startedDeadline {
	return &startedDeadline{Context: context.Background(), d: d, done: make(chan struct{})}
}

func (c *startedDeadline) start() {
	c.once.Do(func() {
		c.at = time.Now().Add(c.d)
		time.AfterFunc(c.d, func() { close(c.done) })
	})
}

func (c *startedDeadline) Deadline() (time.Time, bool) { c.start(); return c.at, true }
func (c *startedDeadline) Done() <-chan struct{}       { c.start(); return c.done }

func (c *startedDeadline) Err() error {
	select {
	case <-c.done:
		return context.DeadlineExceeded
	default:
		return nil
	}
}

// TestDeadlineIsTimeLimit: a deadline that passes during a solve ends it
// with StatusTimeLimit and no error, HiGHS having stopped on its own at
// the deadline passed to it as its time limit. The backstop (an
// interruption some time after the deadline) would also end with
// StatusTimeLimit, but through a jump of HiGHS's clock past
// interruptLimit, which the run time then shows.
func TestDeadlineIsTimeLimit(t *testing.T) {
	forRuntimes(t, func(t *testing.T, rt string) {
		s := newTestSolver(t, rt, nil)
		if err := s.Load(endlessMIP()); err != nil {
			t.Fatal(err)
		}
		ctx := newStartedDeadline(200 * time.Millisecond)
		st, err := s.Solve(ctx)
		if st != solver.StatusTimeLimit || err != nil {
			t.Fatalf("status %v, err %v; want time_limit and no error", st, err)
		}
		r, err := s.call(fnGetRunTime, s.highs)
		if err != nil {
			t.Fatal(err)
		}
		if run := math.Float64frombits(r); run >= interruptLimit {
			t.Errorf("HiGHS's run clock reads %.3g s: the solve was stopped by the interruption backstop, not by the deadline as HiGHS's time limit", run)
		}
		mustSolve(t, s, tinyLP(), 1)
	})
}

// TestCancelInterrupts cancels the context from HiGHS's k-th log write of
// a solve, for k = 1..12 on the same Solver, so that the cancellation
// always arrives while HiGHS runs a MIP it could never finish, early in
// the solve (before presolve and the search start their clocks) as well as
// later. Each time HiGHS must stop through the interruption, which its run
// clock shows by the jump past interruptLimit; the time_limit option only
// keeps a broken interruption from hanging the test.
func TestCancelInterrupts(t *testing.T) {
	forRuntimes(t, func(t *testing.T, rt string) {
		s := newTestSolver(t, rt, nil)
		if err := s.SetDoubleOption("time_limit", 30); err != nil {
			t.Fatal(err)
		}
		for k := 1; k <= 12; k++ {
			if err := s.Load(endlessMIP()); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			writes := 0
			s.SetLog(writerFunc(func([]byte) {
				if writes++; writes == k {
					cancel()
				}
			}))
			st, err := s.Solve(ctx)
			cancel()
			if writes < k {
				t.Fatalf("HiGHS wrote %d log pieces during the solve, so cancelling at the %d-th never happened", writes, k)
			}
			if st != solver.StatusInterrupted || !errors.Is(err, context.Canceled) {
				t.Fatalf("cancelled at log write %d: status %v, err %v; want interrupted and context.Canceled", k, st, err)
			}
			r, err := s.call(fnGetRunTime, s.highs)
			if err != nil {
				t.Fatal(err)
			}
			if run := math.Float64frombits(r); run < interruptLimit {
				t.Fatalf("cancelled at log write %d: HiGHS's run clock reads %.3g s, so the interruption went unnoticed and the solve ran to its time limit", k, run)
			}
		}
		s.SetLog(nil)
		if err := s.SetDoubleOption("time_limit", math.Inf(1)); err != nil {
			t.Fatal(err)
		}
		mustSolve(t, s, tinyLP(), 1) // the solver stays usable
		mustSolve(t, s, tinyLP(), 1)
	})
}

type writerFunc func([]byte)

func (f writerFunc) Write(p []byte) (int, error) { f(p); return len(p), nil }

func TestLogAndOptions(t *testing.T) {
	forRuntimes(t, func(t *testing.T, rt string) {
		var log bytes.Buffer
		s := newTestSolver(t, rt, &log)
		mustSolve(t, s, tinyLP(), 1)
		if !strings.Contains(log.String(), "HiGHS") {
			t.Errorf("log has no HiGHS banner:\n%s", log.String())
		}
		if typ, err := s.OptionType("time_limit"); err != nil || typ != "double" {
			t.Errorf("OptionType(time_limit) = %q, %v", typ, err)
		}
		if err := s.SetIntOption("no_such_option", 1); !errors.Is(err, ErrOption) {
			t.Errorf("unknown option: %v", err)
		}
		if err := s.SetIntOption("time_limit", 1); !errors.Is(err, ErrOption) {
			t.Errorf("int value for a double option: %v", err)
		}
		if v, err := s.HiGHSVersion(); err != nil || v != Version {
			t.Errorf("version %q, %v; want %s", v, err, Version)
		}
		lp := hardMIP()
		lp.Type = nil
		if err := s.Load(lp); err != nil {
			t.Fatal(err)
		}
		s.Solve(context.Background())
		if n, err := s.SimplexIterations(); err != nil || n < 1 {
			t.Errorf("simplex iterations %d, %v", n, err)
		}
	})
}

func TestModuleMissingOrCorrupt(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(EnvWasm, filepath.Join(dir, "highs.wasm"))
	_, err := readModule()
	if !errors.Is(err, ErrModuleMissing) || !strings.Contains(err.Error(), "make highs") {
		t.Errorf("missing module: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "highs.wasm"), []byte("\x00asm not really"), 0o644)
	_, err = readModule()
	if !errors.Is(err, ErrModuleCorrupt) {
		t.Errorf("corrupt module: %v", err)
	}
}

func TestParseGlue(t *testing.T) {
	js := `var wasmImports={a:___cxa_throw,b:_fd_write};wasmMemory=wasmExports["u"];wasmExports["v"]();`
	for _, c := range cNames {
		js += "var _" + c + `=Module["_` + c + `"]=wasmExports["` + c + `x"];`
	}
	a, err := parseGlue([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	if a.memory != "u" || a.ctors != "v" || a.imports["a"] != "cxa_throw" || a.imports["b"] != "fd_write" || a.exports["Highs_run"] != "Highs_runx" {
		t.Errorf("parsed %+v", a)
	}
	if _, err := parseGlue([]byte(js[:len(js)/2])); err == nil {
		t.Error("a truncated glue file parsed")
	}
}

func TestDefaultRuntime(t *testing.T) {
	t.Setenv(EnvRuntime, "")
	want := "wazero"
	for _, rt := range Runtimes() {
		if rt == "wasmtime" {
			want = "wasmtime" // compiled in whenever cgo is
		}
	}
	if got := DefaultRuntime(); got != want {
		t.Errorf("default runtime %q with %v compiled in, want %q", got, Runtimes(), want)
	}
	t.Setenv(EnvRuntime, "wazero")
	if got := DefaultRuntime(); got != "wazero" {
		t.Errorf("%s=wazero gives %q", EnvRuntime, got)
	}
	if _, err := New(Config{Runtime: "nope"}); !errors.Is(err, ErrRuntime) {
		t.Errorf("unknown runtime: %v", err)
	}
}

// TestTimeLimitIsPerSolve: HiGHS's own clocks accumulate over the runs of
// an instance; the time_limit option must still bound each solve, not
// their sum. An interrupted solve leaves those clocks far past any limit
// (the interruption's jump), which a solve after it must not inherit.
func TestTimeLimitIsPerSolve(t *testing.T) {
	forRuntimes(t, func(t *testing.T, rt string) {
		s := newTestSolver(t, rt, nil)
		if err := s.SetDoubleOption("time_limit", 60); err != nil {
			t.Fatal(err)
		}
		if err := s.Load(endlessMIP()); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		s.SetLog(writerFunc(func([]byte) { cancel() }))
		if st, err := s.Solve(ctx); st != solver.StatusInterrupted {
			t.Fatalf("cancelled solve: %v, %v", st, err)
		}
		s.SetLog(nil)
		r, _ := s.call(fnGetRunTime, s.highs)
		if run := math.Float64frombits(r); run < 60 {
			t.Fatalf("HiGHS's run clock reads %.3g s after the interruption, not past the time limit: the test proves nothing", run)
		}
		for range 3 {
			mustSolve(t, s, tinyLP(), 1) // optimal, not time_limit
		}
	})
}
