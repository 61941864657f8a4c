package solver

// Status is the outcome of a solve. Reaching a limit is a status, not an error.
type Status int

const (
	StatusUnknown Status = iota // not solved, or the solver could not tell
	StatusOptimal
	StatusInfeasible
	StatusUnbounded
	StatusInfeasibleOrUnbounded
	StatusTimeLimit
	StatusIterationLimit
	StatusNodeLimit
	StatusGapLimit
	StatusSolutionLimit
	StatusObjectiveBound // the objective bound (cutoff) was reached
	StatusInterrupted
	StatusModelEmpty
	StatusError // the solver failed; see the accompanying error
)

var statusNames = [...]string{
	StatusUnknown:               "unknown",
	StatusOptimal:               "optimal",
	StatusInfeasible:            "infeasible",
	StatusUnbounded:             "unbounded",
	StatusInfeasibleOrUnbounded: "infeasible_or_unbounded",
	StatusTimeLimit:             "time_limit",
	StatusIterationLimit:        "iteration_limit",
	StatusNodeLimit:             "node_limit",
	StatusGapLimit:              "gap_limit",
	StatusSolutionLimit:         "solution_limit",
	StatusObjectiveBound:        "objective_bound",
	StatusInterrupted:           "interrupted",
	StatusModelEmpty:            "model_empty",
	StatusError:                 "error",
}

// String returns the status as a lowercase snake_case word, as printed by
// the CLI's JSON output.
func (s Status) String() string {
	if s >= 0 && int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "status(" + itoa(int(s)) + ")"
}

// MarshalText implements encoding.TextMarshaler.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// IsLimit reports whether s means a limit stopped the solve early.
func (s Status) IsLimit() bool {
	switch s {
	case StatusTimeLimit, StatusIterationLimit, StatusNodeLimit, StatusGapLimit,
		StatusSolutionLimit, StatusObjectiveBound, StatusInterrupted:
		return true
	}
	return false
}
