package highs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/corl-go/corl/solver"
)

// Config configures a Solver. The zero value is ready to use: the default
// runtime, no log.
type Config struct {
	// Runtime is "wasmtime", "wazero" or "native"; "" means DefaultRuntime().
	Runtime string
	// Log receives HiGHS's log; nil discards it. Either way the last lines
	// are kept for error messages.
	Log io.Writer
}

// Validate reports whether the configured runtime is compiled in.
func (c Config) Validate() error {
	if c.Runtime == "" {
		return nil
	}
	for _, r := range Runtimes() {
		if r == c.Runtime {
			return nil
		}
	}
	return fmt.Errorf("%w: %q is not compiled into this binary (have %v)", ErrRuntime, c.Runtime, Runtimes())
}

// Solver is one HiGHS instance with its own model. It is not safe for
// concurrent use; independent Solvers run in parallel, one per goroutine.
//
// After a trap (an abort or an uncaught C++ exception inside HiGHS) the
// Solver returns ErrBroken from every call; other Solvers are unaffected.
// An interruption by a cancelled context leaves it usable.
type Solver struct {
	rt     string
	inst   instance
	host   *host
	highs  uint64 // the Highs* handle
	broken error
	closed bool

	scratch    uint64 // malloc'd block for call arguments
	scratchCap int

	ncol, nrow int
	loaded     bool
	timeLimit  float64 // the user's time_limit option (per solve), +Inf when unset

	noPresolveRetry bool     // set while re-solving without presolve
	presolve        string   // the user's presolve option
	colNames        []string // the loaded model's, for Presolve
}

var (
	_ solver.Engine       = (*Solver)(nil)
	_ solver.OptionSetter = (*Solver)(nil)
	_ solver.CostSetter   = (*Solver)(nil)
	_ solver.MIPStarter   = (*Solver)(nil)
	_ solver.MIPReporter  = (*Solver)(nil)
	_ solver.Spawner      = (*Solver)(nil)
	_ solver.Presolver    = (*Solver)(nil)
)

// New creates a Solver. It fails with ErrModuleMissing (and how to get the
// module) when the WebAssembly module is not installed.
func New(cfg Config) (*Solver, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	rt, err := openRuntime(cfg.Runtime)
	if err != nil {
		return nil, err
	}
	var m *module
	if rt.name() != "native" {
		if m, err = loadModule(); err != nil {
			return nil, err
		}
	}
	h := newHost()
	h.log = cfg.Log
	inst, err := rt.newInstance(m, h)
	if err != nil {
		return nil, err
	}
	s := &Solver{rt: rt.name(), inst: inst, host: h, timeLimit: math.Inf(1), presolve: "choose"}
	if s.highs, err = s.call(fnCreate); err != nil {
		inst.close()
		return nil, err
	}
	return s, nil
}

// Runtime names the engine running this Solver.
func (s *Solver) Runtime() string { return s.rt }

// SetLog redirects HiGHS's log; nil discards it.
func (s *Solver) SetLog(w io.Writer) { s.host.log = w }

// call runs an export, refusing when the solver is closed or broken.
func (s *Solver) call(f fn, args ...uint64) (uint64, error) {
	if s.closed {
		return 0, ErrClosed
	}
	if s.broken != nil {
		return 0, fmt.Errorf("%w (earlier: %v)", ErrBroken, s.broken)
	}
	r, err := s.inst.call(f, args...)
	if err != nil {
		s.broken = err
		return 0, err
	}
	return r, nil
}

// status checks a HighsStatus return value.
func (s *Solver) status(op fn, r uint64, err error) error {
	if err != nil {
		return err
	}
	if int32(r) == statusError {
		return &CallError{Op: cNames[op], Log: s.host.logTail(3)}
	}
	return nil
}

// frame returns a scratch frame of at least size bytes.
func (s *Solver) frame(size int) (*frame, error) {
	if size > s.scratchCap {
		if s.scratch != 0 {
			if _, err := s.call(fnFree, s.scratch); err != nil {
				return nil, err
			}
			s.scratch, s.scratchCap = 0, 0
		}
		n := max(size, 2*s.scratchCap, 4096)
		p, err := s.call(fnMalloc, i32arg(n))
		if err != nil {
			return nil, err
		}
		if p == 0 {
			return nil, fmt.Errorf("highs: out of memory allocating %d bytes", n)
		}
		s.scratch, s.scratchCap = p&0xffffffff, n
	}
	return &frame{mem: s.inst.memory(), next: uint32(s.scratch), end: uint32(s.scratch) + uint32(s.scratchCap)}, nil
}

// Load passes m to HiGHS, replacing any earlier model. An invalid model is
// refused with the *solver.FieldError that Validate reports.
func (s *Solver) Load(m *solver.Model) error {
	if err := m.Validate(); err != nil {
		return err
	}
	return s.pass(m)
}

// pass hands m to HiGHS without validating it first.
func (s *Solver) pass(m *solver.Model) error {
	n, r, nz := m.NumCols(), m.NumRows(), m.NumNonzeros()
	fr, err := s.frame(frameSize([]int{n, n, n, r, r, nz}, []int{n + 1, nz, n}, 0))
	if err != nil {
		return err
	}
	sense := objMinimize
	if m.Sense == solver.Maximize {
		sense = objMaximize
	}
	integrality := make([]int, n)
	for j := range n {
		if m.ColType(j) == solver.Integer {
			integrality[j] = 1
		}
	}
	args := []uint64{
		s.highs, i32arg(n), i32arg(r), i32arg(nz), i32arg(matrixColwise), i32arg(sense), f64arg(m.Offset),
		fr.f64(m.Cost), fr.f64(m.ColLower), fr.f64(m.ColUpper), fr.f64(m.RowLower), fr.f64(m.RowUpper),
		fr.i32(m.Start), fr.i32(m.Index), fr.f64(m.Value), fr.i32(integrality),
	}
	s.host.clearTail()
	r0, err := s.call(fnPassMip, args...)
	if err := s.status(fnPassMip, r0, err); err != nil {
		s.loaded = false
		return err
	}
	s.ncol, s.nrow, s.loaded = n, r, true
	s.colNames = m.ColNames
	return nil
}

// interruptLimit is the time limit HiGHS runs under when the context can be
// cancelled and no smaller limit is set: about 11 days, less than the
// clocks' jump on interruption (clockJump).
const interruptLimit = 1e6

// Solve runs HiGHS on the loaded model (simplex, or branch-and-cut for a
// MIP) and returns the model status. Limits reached are statuses, not
// errors. A context deadline becomes HiGHS's time limit (the smaller of it
// and the time_limit option), so it ends with StatusTimeLimit. A cancelled
// context stops HiGHS at its next time check and Solve returns
// StatusInterrupted with the context's error; the Solver stays usable, with
// whatever solution HiGHS had.
func (s *Solver) Solve(ctx context.Context) (solver.Status, error) {
	if !s.loaded {
		return solver.StatusError, ErrNoModel
	}
	if err := ctx.Err(); err != nil {
		// A deadline already passed is a limit reached: a status only.
		if errors.Is(err, context.DeadlineExceeded) {
			return solver.StatusTimeLimit, nil
		}
		return solver.StatusInterrupted, err
	}
	limit := s.timeLimit
	if dl, ok := ctx.Deadline(); ok {
		limit = min(limit, max(time.Until(dl).Seconds(), 0))
	}
	if ctx.Done() != nil {
		// Interruption works through HiGHS's time-limit checks (see host),
		// which only run under a finite limit.
		limit = min(limit, interruptLimit)
	}
	// HiGHS compares time_limit with clocks that accumulate over every run
	// of this instance (its run clock, and an earlier interruption's jumps
	// in them), so each solve starts them from zero.
	if !math.IsInf(limit, 1) {
		r, err := s.call(fnZeroAllClocks, s.highs)
		if err := s.status(fnZeroAllClocks, r, err); err != nil {
			return solver.StatusError, err
		}
		if err := s.setDouble("time_limit", limit); err != nil {
			return solver.StatusError, err
		}
		defer s.setDouble("time_limit", math.Inf(1))
	}
	s.host.clearTail()
	var stop func()
	if ctx.Done() != nil {
		stop = watch(ctx, func() { s.host.interrupted.Store(true) })
	}
	r, err := s.call(fnRun, s.highs)
	if stop != nil {
		stop()
		s.host.resume()
	}
	if err != nil {
		return solver.StatusError, err
	}
	st, err := s.modelStatus()
	if err != nil {
		return solver.StatusError, err
	}
	if st == solver.StatusInfeasibleOrUnbounded && !s.noPresolveRetry {
		// Presolve may stop at "infeasible or unbounded"; the simplex
		// without presolve tells which.
		s.noPresolveRetry = true
		defer func() { s.noPresolveRetry = false }()
		if err := s.setString("presolve", "off"); err != nil {
			return solver.StatusError, err
		}
		defer s.setString("presolve", s.presolve)
		return s.Solve(ctx)
	}
	if st == solver.StatusTimeLimit || st == solver.StatusInterrupted {
		switch err := ctx.Err(); {
		case errors.Is(err, context.Canceled):
			return solver.StatusInterrupted, err
		case errors.Is(err, context.DeadlineExceeded):
			// the backstop interruption after a deadline: still a limit
			return solver.StatusTimeLimit, nil
		}
	}
	if int32(r) == statusError && st == solver.StatusError {
		return st, &CallError{Op: cNames[fnRun], Log: s.host.logTail(3)}
	}
	return st, nil
}

// Status returns the model status of the last solve.
func (s *Solver) Status() (solver.Status, error) { return s.modelStatus() }

func (s *Solver) modelStatus() (solver.Status, error) {
	r, err := s.call(fnGetModelStatus, s.highs)
	if err != nil {
		return solver.StatusError, err
	}
	switch int32(r) {
	case msOptimal, msModelEmpty:
		return solver.StatusOptimal, nil
	case msInfeasible:
		return solver.StatusInfeasible, nil
	case msUnbounded:
		return solver.StatusUnbounded, nil
	case msUnboundedOrInfeasible:
		return solver.StatusInfeasibleOrUnbounded, nil
	case msObjectiveBound, msObjectiveTarget:
		return solver.StatusObjectiveBound, nil
	case msTimeLimit:
		return solver.StatusTimeLimit, nil
	case msIterationLimit:
		return solver.StatusIterationLimit, nil
	case msSolutionLimit:
		return solver.StatusSolutionLimit, nil
	case msInterrupt:
		return solver.StatusInterrupted, nil
	case msNotset, msUnknown:
		return solver.StatusUnknown, nil
	}
	return solver.StatusError, nil
}

// Objective returns the objective value of the current solution (the
// incumbent for a MIP).
func (s *Solver) Objective() (float64, error) {
	r, err := s.call(fnGetObjectiveValue, s.highs)
	return math.Float64frombits(r), err
}

// NumCols and NumRows give the size of the loaded model (rows change with
// AddRows and DeleteRows).
func (s *Solver) NumCols() int { return s.ncol }
func (s *Solver) NumRows() int { return s.nrow }

// SolutionTo writes the primal values, reduced costs, row activities and
// row duals into the given slices; a nil slice is skipped, others must have
// NumCols() or NumRows() entries.
func (s *Solver) SolutionTo(colValue, colDual, rowValue, rowDual []float64) error {
	if err := s.checkLen("colValue", colValue, s.ncol, "colDual", colDual, s.ncol); err != nil {
		return err
	}
	if err := s.checkLen("rowValue", rowValue, s.nrow, "rowDual", rowDual, s.nrow); err != nil {
		return err
	}
	n, m := s.ncol, s.nrow
	fr, err := s.frame(frameSize([]int{n, n, m, m}, nil, 0))
	if err != nil {
		return err
	}
	// HiGHS writes every array, so all four get space.
	pcv, pcd, prv, prd := fr.out(8*n), fr.out(8*n), fr.out(8*m), fr.out(8*m)
	r, err := s.call(fnGetSolution, s.highs, pcv, pcd, prv, prd)
	if err := s.status(fnGetSolution, r, err); err != nil {
		return err
	}
	mem := s.inst.memory()
	for _, o := range []struct {
		dst []float64
		p   uint64
	}{{colValue, pcv}, {colDual, pcd}, {rowValue, prv}, {rowDual, prd}} {
		if o.dst != nil {
			readF64(o.dst, mem, o.p)
		}
	}
	return nil
}

// Primal returns the column values of the current solution.
func (s *Solver) Primal() ([]float64, error) {
	x := make([]float64, s.ncol)
	return x, s.SolutionTo(x, nil, nil, nil)
}

func (s *Solver) checkLen(n1 string, a []float64, want1 int, n2 string, b []float64, want2 int) error {
	if a != nil && len(a) != want1 {
		return fmt.Errorf("highs: %s has %d entries, want %d", n1, len(a), want1)
	}
	if b != nil && len(b) != want2 {
		return fmt.Errorf("highs: %s has %d entries, want %d", n2, len(b), want2)
	}
	return nil
}

// BasisTo writes the basis status of every column and row.
func (s *Solver) BasisTo(cols, rows []solver.BasisStatus) error {
	if len(cols) != s.ncol || len(rows) != s.nrow {
		return fmt.Errorf("highs: basis has %d columns and %d rows, want %d and %d", len(cols), len(rows), s.ncol, s.nrow)
	}
	fr, err := s.frame(frameSize(nil, []int{s.ncol, s.nrow}, 0))
	if err != nil {
		return err
	}
	pc, pr := fr.out(4*s.ncol), fr.out(4*s.nrow)
	r, err := s.call(fnGetBasis, s.highs, pc, pr)
	if err := s.status(fnGetBasis, r, err); err != nil {
		return err
	}
	mem := s.inst.memory()
	for j := range cols {
		cols[j] = solver.BasisStatus(int32(leU32(mem, pc+4*uint64(j))))
	}
	for i := range rows {
		rows[i] = solver.BasisStatus(int32(leU32(mem, pr+4*uint64(i))))
	}
	return nil
}

// SetBasis installs a basis; the next Solve starts from it.
func (s *Solver) SetBasis(cols, rows []solver.BasisStatus) error {
	if len(cols) != s.ncol || len(rows) != s.nrow {
		return fmt.Errorf("highs: basis has %d columns and %d rows, want %d and %d", len(cols), len(rows), s.ncol, s.nrow)
	}
	fr, err := s.frame(frameSize(nil, []int{s.ncol, s.nrow}, 0))
	if err != nil {
		return err
	}
	c := make([]int, len(cols))
	for j, b := range cols {
		c[j] = int(b)
	}
	rr := make([]int, len(rows))
	for i, b := range rows {
		rr[i] = int(b)
	}
	r, err := s.call(fnSetBasis, s.highs, fr.i32(c), fr.i32(rr))
	return s.status(fnSetBasis, r, err)
}

func leU32(mem []byte, p uint64) uint32 {
	return uint32(mem[p]) | uint32(mem[p+1])<<8 | uint32(mem[p+2])<<16 | uint32(mem[p+3])<<24
}

// SetColBounds changes one column's bounds; the next Solve warm-starts.
func (s *Solver) SetColBounds(j int, lower, upper float64) error {
	if j < 0 || j >= s.ncol {
		return fmt.Errorf("highs: column %d out of range [0,%d)", j, s.ncol)
	}
	r, err := s.call(fnChangeColBounds, s.highs, i32arg(j), f64arg(lower), f64arg(upper))
	return s.status(fnChangeColBounds, r, err)
}

// SetColsBounds changes the bounds of the columns in idx in one call.
func (s *Solver) SetColsBounds(idx []int, lower, upper []float64) error {
	if len(lower) != len(idx) || len(upper) != len(idx) {
		return fmt.Errorf("highs: %d columns but %d lower and %d upper bounds", len(idx), len(lower), len(upper))
	}
	if err := s.checkIndices("column", idx, s.ncol); err != nil {
		return err
	}
	fr, err := s.frame(frameSize([]int{len(idx), len(idx)}, []int{len(idx)}, 0))
	if err != nil {
		return err
	}
	r, err := s.call(fnChangeColsBoundsBySet, s.highs, i32arg(len(idx)), fr.i32(idx), fr.f64(lower), fr.f64(upper))
	return s.status(fnChangeColsBoundsBySet, r, err)
}

// SetSolution gives HiGHS a value for every column, kept as the first
// incumbent of the next MIP solve when it is feasible (HiGHS checks it).
func (s *Solver) SetSolution(colValue []float64) error {
	if len(colValue) != s.ncol {
		return fmt.Errorf("highs: solution has %d values, want %d", len(colValue), s.ncol)
	}
	fr, err := s.frame(frameSize([]int{len(colValue)}, nil, 0))
	if err != nil {
		return err
	}
	r, err := s.call(fnSetSolution, s.highs, fr.f64(colValue), 0, 0, 0)
	return s.status(fnSetSolution, r, err)
}

// SetColsCost changes the objective coefficients of the columns in idx.
func (s *Solver) SetColsCost(idx []int, cost []float64) error {
	if len(cost) != len(idx) {
		return fmt.Errorf("highs: %d columns but %d costs", len(idx), len(cost))
	}
	if err := s.checkIndices("column", idx, s.ncol); err != nil {
		return err
	}
	fr, err := s.frame(frameSize([]int{len(idx)}, []int{len(idx)}, 0))
	if err != nil {
		return err
	}
	r, err := s.call(fnChangeColsCostBySet, s.highs, i32arg(len(idx)), fr.i32(idx), fr.f64(cost))
	return s.status(fnChangeColsCostBySet, r, err)
}

func (s *Solver) checkIndices(what string, idx []int, n int) error {
	for k, j := range idx {
		if j < 0 || j >= n {
			return fmt.Errorf("highs: %s index %d (entry %d) out of range [0,%d)", what, j, k, n)
		}
	}
	return nil
}

// AddRows appends rows given row-wise: row k has bounds [lower[k], upper[k]]
// and entries index[start[k]:start[k+1]], value[...] (start has one entry per
// row; the last row ends at len(index)). Used for cuts.
func (s *Solver) AddRows(lower, upper []float64, start, index []int, value []float64) error {
	nr, nz := len(lower), len(index)
	if len(upper) != nr || len(start) != nr || len(value) != nz {
		return fmt.Errorf("highs: AddRows: %d lower, %d upper, %d starts, %d indices, %d values", nr, len(upper), len(start), nz, len(value))
	}
	if err := s.checkIndices("column", index, s.ncol); err != nil {
		return err
	}
	for k, st := range start {
		if st < 0 || st > nz || (k > 0 && st < start[k-1]) {
			return fmt.Errorf("highs: AddRows: start[%d] = %d is not a non-decreasing offset into %d entries", k, st, nz)
		}
	}
	fr, err := s.frame(frameSize([]int{nr, nr, nz}, []int{nr, nz}, 0))
	if err != nil {
		return err
	}
	r, err := s.call(fnAddRows, s.highs, i32arg(nr), fr.f64(lower), fr.f64(upper), i32arg(nz), fr.i32(start), fr.i32(index), fr.f64(value))
	if err := s.status(fnAddRows, r, err); err != nil {
		return err
	}
	s.nrow += nr
	return nil
}

// DeleteRows removes the rows in idx; the remaining rows keep their order.
func (s *Solver) DeleteRows(idx []int) error {
	if err := s.checkIndices("row", idx, s.nrow); err != nil {
		return err
	}
	fr, err := s.frame(frameSize(nil, []int{len(idx)}, 0))
	if err != nil {
		return err
	}
	r, err := s.call(fnDeleteRowsBySet, s.highs, i32arg(len(idx)), fr.i32(idx))
	if err := s.status(fnDeleteRowsBySet, r, err); err != nil {
		return err
	}
	n, err := s.call(fnGetNumRow, s.highs)
	if err != nil {
		return err
	}
	s.nrow = int(int32(n))
	return nil
}

// IntInfo, Int64Info and DoubleInfo read HiGHS info values by name (for
// example "simplex_iteration_count", "mip_node_count", "mip_dual_bound").
func (s *Solver) IntInfo(name string) (int, error) {
	v, err := s.info(fnGetIntInfoValue, name)
	return int(int32(v)), err
}

func (s *Solver) Int64Info(name string) (int64, error) {
	v, err := s.info(fnGetInt64InfoValue, name)
	return int64(v), err
}

func (s *Solver) DoubleInfo(name string) (float64, error) {
	v, err := s.info(fnGetDoubleInfoValue, name)
	return math.Float64frombits(v), err
}

func (s *Solver) info(f fn, name string) (uint64, error) {
	fr, err := s.frame(frameSize(nil, nil, len(name)+16))
	if err != nil {
		return 0, err
	}
	pn, pv := fr.cstr(name), fr.out(8)
	r, err := s.call(f, s.highs, pn, pv)
	if err := s.status(f, r, err); err != nil {
		return 0, fmt.Errorf("%w: info %q", err, name)
	}
	mem := s.inst.memory()
	return uint64(leU32(mem, pv)) | uint64(leU32(mem, pv+4))<<32, nil
}

// HasSolution reports whether HiGHS holds a feasible primal solution (for
// a MIP: an incumbent, found or given by SetSolution).
func (s *Solver) HasSolution() (bool, error) {
	st, err := s.IntInfo("primal_solution_status")
	return st == solutionStatusFeasible, err
}

// SimplexIterations returns the simplex iterations of the last solve.
func (s *Solver) SimplexIterations() (int, error) { return s.IntInfo("simplex_iteration_count") }

// MIPNodes returns the branch-and-bound nodes of the last MIP solve.
func (s *Solver) MIPNodes() (int64, error) { return s.Int64Info("mip_node_count") }

// MIPDualBound returns the dual bound of the last MIP solve.
func (s *Solver) MIPDualBound() (float64, error) { return s.DoubleInfo("mip_dual_bound") }

// MIPGap returns the relative gap of the last MIP solve.
func (s *Solver) MIPGap() (float64, error) { return s.DoubleInfo("mip_gap") }

// SetBoolOption, SetIntOption, SetDoubleOption and SetStringOption set a
// HiGHS option by name; an unknown name or a wrongly typed value is an
// error wrapping ErrOption.
func (s *Solver) SetBoolOption(name string, v bool) error {
	if err := s.checkType(name, "bool"); err != nil {
		return err
	}
	b := 0
	if v {
		b = 1
	}
	return s.setOption(fnSetBoolOptionValue, name, i32arg(b))
}

func (s *Solver) SetIntOption(name string, v int) error {
	if err := s.checkType(name, "int"); err != nil {
		return err
	}
	return s.setOption(fnSetIntOptionValue, name, i32arg(v))
}

func (s *Solver) SetDoubleOption(name string, v float64) error {
	if err := s.checkType(name, "double"); err != nil {
		return err
	}
	if name == "time_limit" { // applied per solve by Solve
		if math.IsNaN(v) || v < 0 {
			return fmt.Errorf("%w: time_limit must be a non-negative number of seconds", ErrOption)
		}
		s.timeLimit = v
		return nil
	}
	return s.setDouble(name, v)
}

func (s *Solver) setDouble(name string, v float64) error {
	return s.setOption(fnSetDoubleOptionValue, name, f64arg(v))
}

func (s *Solver) SetStringOption(name, v string) error {
	if err := s.checkType(name, "string"); err != nil {
		return err
	}
	if err := s.setString(name, v); err != nil {
		return err
	}
	if name == "presolve" {
		s.presolve = v
	}
	return nil
}

func (s *Solver) setString(name, v string) error {
	fr, err := s.frame(frameSize(nil, nil, len(name)+len(v)+16))
	if err != nil {
		return err
	}
	r, err := s.call(fnSetStringOptionValue, s.highs, fr.cstr(name), fr.cstr(v))
	if err != nil {
		return err
	}
	if int32(r) == statusError {
		return fmt.Errorf("%w: %s = %q: %v", ErrOption, name, v, s.host.logTail(1))
	}
	return nil
}

func (s *Solver) setOption(f fn, name string, v uint64) error {
	fr, err := s.frame(frameSize(nil, nil, len(name)+8))
	if err != nil {
		return err
	}
	s.host.clearTail()
	r, err := s.call(f, s.highs, fr.cstr(name), v)
	if err != nil {
		return err
	}
	if int32(r) == statusError {
		return fmt.Errorf("%w: %s: %v", ErrOption, name, s.host.logTail(1))
	}
	return nil
}

func (s *Solver) checkType(name, want string) error {
	got, err := s.OptionType(name)
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("%w: %s is a %s option, not %s", ErrOption, name, got, want)
	}
	return nil
}

// SetOption sets an option from its text form, parsed by the option's
// type (as the CLI and configuration files give it).
func (s *Solver) SetOption(name, value string) error {
	typ, err := s.OptionType(name)
	if err != nil {
		return err
	}
	switch typ {
	case "bool":
		b, err := strconv.ParseBool(value)
		if err != nil {
			return fmt.Errorf("%w: %s wants true or false, got %q", ErrOption, name, value)
		}
		return s.SetBoolOption(name, b)
	case "int":
		i, err := strconv.Atoi(value)
		if err != nil {
			return fmt.Errorf("%w: %s wants an integer, got %q", ErrOption, name, value)
		}
		return s.SetIntOption(name, i)
	case "double":
		f, err := strconv.ParseFloat(value, 64)
		if err != nil {
			return fmt.Errorf("%w: %s wants a number, got %q", ErrOption, name, value)
		}
		return s.SetDoubleOption(name, f)
	}
	return s.SetStringOption(name, value)
}

// OptionType returns "bool", "int", "double" or "string" for a HiGHS option.
func (s *Solver) OptionType(name string) (string, error) {
	fr, err := s.frame(frameSize(nil, nil, len(name)+16))
	if err != nil {
		return "", err
	}
	pn, pt := fr.cstr(name), fr.out(4)
	r, err := s.call(fnGetOptionType, s.highs, pn, pt)
	if err != nil {
		return "", err
	}
	if int32(r) == statusError {
		return "", fmt.Errorf("%w: unknown option %q", ErrOption, name)
	}
	switch int32(leU32(s.inst.memory(), pt)) {
	case optionBool:
		return "bool", nil
	case optionInt:
		return "int", nil
	case optionDouble:
		return "double", nil
	}
	return "string", nil
}

// Spawn creates a new Solver on the same runtime, without a log.
func (s *Solver) Spawn() (solver.Engine, error) { return New(Config{Runtime: s.rt}) }

// HiGHSVersion returns the version string HiGHS reports, e.g. "1.15.1".
func (s *Solver) HiGHSVersion() (string, error) {
	p, err := s.call(fnVersion)
	if err != nil {
		return "", err
	}
	return readCString(s.inst.memory(), p&0xffffffff), nil
}

// Close frees the HiGHS instance. It is safe to call more than once.
func (s *Solver) Close() error {
	if s.closed {
		return nil
	}
	if s.broken == nil {
		s.inst.call(fnDestroy, s.highs)
	}
	s.inst.close()
	s.closed = true
	return nil
}
