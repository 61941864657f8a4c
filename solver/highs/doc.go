// Package highs drives HiGHS 1.15.1 from Go: load a solver.Model, solve it
// (simplex for an LP, branch-and-cut for a MIP), read primal and dual
// solutions, bases and statistics, and change the model between solves
// (column bounds, costs, rows) with warm starts.
//
// # Engines
//
// HiGHS runs as its official WebAssembly build (npm package "highs",
// pinned to 1.15.3, which compiles HiGHS 1.15.1), executed by one of two
// runtimes behind a small internal interface that shares all C API
// marshalling:
//
//   - wasmtime (github.com/bytecodealliance/wasmtime-go, cgo; the default
//     whenever cgo is available) compiles it to native code: LP and MIP
//     times within a few percent of native HiGHS.
//   - wazero (github.com/tetratelabs/wazero, pure Go; used when built with
//     CGO_ENABLED=0) at about twice wasmtime's time.
//
// CORL_HIGHS_RUNTIME=wasmtime|wazero forces one. Built with the tag
// highs_native, the package also offers "native": an installed libhighs
// found by pkg-config, behind the same API.
//
// # Getting the module
//
// Install (the `corl setup` command, or `make highs`) fetches the module
// with `npm pack`, checks SHA-256 sums and puts highs.wasm and its glue
// file highs.js in the user cache directory; CORL_HIGHS_WASM points at
// another copy. A missing module gives ErrModuleMissing, a modified one
// ErrModuleCorrupt, each saying how to get the right one. The module's
// import and export names are minified; they are read from highs.js at
// load time. The compiled module is cached on disk (keyed by the module's
// hash and the runtime's version), so a process's first Solver starts in
// about a millisecond under wasmtime.
//
// # Solvers
//
// Each Solver is its own module instance with its own memory: Solvers are
// independent and run in parallel, one per goroutine; one Solver is not safe
// for concurrent use. Model data always passes through Go (never through
// files inside the module). A trap inside HiGHS (an abort, an uncaught C++
// exception, an out-of-bounds access) returns a *TrapError and leaves that
// Solver refusing further calls with ErrBroken; other Solvers go on.
//
// # Time limits and cancellation
//
// Solve takes a context. Its deadline becomes HiGHS's time_limit, so the
// solve ends with solver.StatusTimeLimit. Cancellation works through the
// same mechanism: the instance's clocks jump forward, HiGHS stops at its
// next time check as if its time limit had passed, and Solve returns
// solver.StatusInterrupted with the context's error. The Solver stays
// usable. (The native engine cannot move libhighs's clock: there a
// cancellation takes effect when the running solve ends.)
//
// # Statuses
//
// Limits are statuses, not errors (see solver.Status). When presolve can
// only say "infeasible or unbounded", Solve re-runs without presolve to
// tell which.
package highs
