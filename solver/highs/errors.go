package highs

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors; test for them with errors.Is.
var (
	// ErrModuleMissing: the HiGHS WebAssembly module is not installed.
	ErrModuleMissing = errors.New("highs: WebAssembly module not found")
	// ErrModuleCorrupt: the module or its glue file does not match the pinned build.
	ErrModuleCorrupt = errors.New("highs: WebAssembly module corrupt or of the wrong version")
	// ErrBroken: an earlier call trapped or was interrupted, so the solver's
	// state is undefined and it refuses further calls. Create a new Solver.
	ErrBroken = errors.New("highs: solver unusable after a trap or interruption")
	// ErrClosed: the solver was closed.
	ErrClosed = errors.New("highs: solver closed")
	// ErrNoModel: a call needs a loaded model.
	ErrNoModel = errors.New("highs: no model loaded")
	// ErrRuntime: the requested WebAssembly runtime is not compiled in.
	ErrRuntime = errors.New("highs: runtime not available")
	// ErrOption: an unknown option name or a value of the wrong type.
	ErrOption = errors.New("highs: bad option")
)

// TrapError reports a trap inside the module (abort, an uncaught C++
// exception, an out-of-bounds access, or an interruption). The solver that
// trapped is unusable afterwards; others in the process are unaffected.
type TrapError struct {
	Op        string // the C API function that was running
	Msg       string // what trapped
	Backtrace string // the runtime's WebAssembly backtrace, if any
}

func (e *TrapError) Error() string {
	return fmt.Sprintf("highs: %s trapped: %s", e.Op, e.Msg)
}

func (e *TrapError) Unwrap() error { return ErrBroken }

// CallError reports a HiGHS C API call that returned kHighsStatusError.
// Log holds the last lines HiGHS logged, which usually say why.
type CallError struct {
	Op  string
	Log []string
}

func (e *CallError) Error() string {
	if len(e.Log) == 0 {
		return fmt.Sprintf("highs: %s failed", e.Op)
	}
	return fmt.Sprintf("highs: %s failed: %s", e.Op, strings.Join(e.Log, "; "))
}
