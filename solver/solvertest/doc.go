// Package solvertest is the conformance suite every LP/MIP engine of corl
// runs (the HiGHS WebAssembly engine under wasmtime and wazero, and native
// libhighs): known optima of the shared Netlib and MIPLIB instances, LP
// duality, reduced-cost signs against the basis, warm starts after a bound
// change, infeasible and unbounded models, bad input and rejected models.
//
// It also holds SetCover, the seeded set-cover generator the engine
// benchmarks use.
package solvertest
