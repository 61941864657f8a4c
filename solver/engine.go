package solver

import "context"

// BasisStatus is a column's or row's status in a simplex basis. The values
// are HiGHS's (kHighsBasisStatus*), so bases pass through unchanged.
type BasisStatus int8

const (
	AtLower  BasisStatus = 0 // nonbasic at its lower bound
	Basic    BasisStatus = 1
	AtUpper  BasisStatus = 2 // nonbasic at its upper bound
	AtZero   BasisStatus = 3 // nonbasic free variable at zero
	Nonbasic BasisStatus = 4 // nonbasic, bound chosen by the solver
)

func (b BasisStatus) String() string {
	switch b {
	case AtLower:
		return "lower"
	case Basic:
		return "basic"
	case AtUpper:
		return "upper"
	case AtZero:
		return "zero"
	case Nonbasic:
		return "nonbasic"
	}
	return "basis(" + itoa(int(b)) + ")"
}

// Engine is what branch-and-bound and the MIP-embedding agents need from an
// LP/MIP engine holding one model: load, solve with warm starts after bound
// changes, read the solution and basis, and add or remove rows (cuts).
// The HiGHS engines in solver/highs implement it.
type Engine interface {
	Load(m *Model) error
	Solve(ctx context.Context) (Status, error)
	Objective() (float64, error)
	// SolutionTo writes primal values, reduced costs, row activities and row
	// duals; nil slices are skipped.
	SolutionTo(colValue, colDual, rowValue, rowDual []float64) error
	BasisTo(cols, rows []BasisStatus) error
	SetBasis(cols, rows []BasisStatus) error
	SetColBounds(j int, lower, upper float64) error
	SetColsBounds(idx []int, lower, upper []float64) error
	AddRows(lower, upper []float64, start, index []int, value []float64) error
	DeleteRows(idx []int) error
	SimplexIterations() (int, error)
	Close() error
}

// The optional abilities below are found by type assertion on an Engine,
// so a new engine starts with Engine alone. The HiGHS engines have them all.

// OptionSetter takes solver options by name (HiGHS's option names).
type OptionSetter interface {
	SetStringOption(name, v string) error
	SetIntOption(name string, v int) error
	SetDoubleOption(name string, v float64) error
}

// CostSetter changes objective coefficients of the loaded model.
type CostSetter interface {
	SetColsCost(idx []int, cost []float64) error
}

// MIPStarter takes a feasible assignment of every column as the start (the
// first incumbent) of the next MIP solve.
type MIPStarter interface {
	SetSolution(colValue []float64) error
}

// MIPReporter reports on the last MIP solve: the proven bound on the
// optimum and whether a feasible solution is held.
type MIPReporter interface {
	MIPDualBound() (float64, error)
	HasSolution() (bool, error)
}

// Spawner makes a new, independent engine of the same kind, holding no
// model (for a sub-MIP next to the engine's own model). The caller closes it.
type Spawner interface {
	Spawn() (Engine, error)
}

// Presolver reduces the loaded model (HiGHS's presolve) and maps a solution
// of the reduced model back to the loaded model's columns. The reduced
// model's columns are named after the loaded model's columns they come
// from, when the loaded model had names.
type Presolver interface {
	Presolve() (*Model, Status, error)
	PostsolveTo(dst, x []float64) error
}

// Tableau reads the simplex basis of the last LP solved to optimality, for
// cutting planes: which variable is basic in each basis position, and the
// rows of the basis inverse. Row i's variable is its activity a_i·x.
// Multiplying the rows of [A −I] by a row of the basis inverse gives that
// position's tableau row: 1 on its basic variable (−1 when that is a
// row's activity), 0 on the other basic ones. Both are valid only until the model, its bounds or the basis change.
type Tableau interface {
	// BasicVariablesTo writes the variable basic in each of the NumRows
	// positions: a column j as j, a row i as −1−i.
	BasicVariablesTo(dst []int) error
	// BasisInverseRowTo writes row r of the basis inverse (NumRows entries).
	BasisInverseRowTo(r int, dst []float64) error
}
