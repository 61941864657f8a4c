package revibranch

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"

	"github.com/corl-go/corl/internal/atomicfile"
	"github.com/corl-go/corl/solver"
)

// Optima caches the optimal values of MILPs by their content, so that the
// cutoffs of training episodes are solved once per instance: by the first
// run that needs them, and then read by every other variant, seed and
// resume that trains on the same instance. An entry is a small JSON file
// named by the SHA-256 of the model's MPS text with its name left out (a
// renamed copy of an instance hits, a changed coefficient misses). A file
// that does not read is solved again and rewritten. Runs in parallel may
// share the directory: entries are written atomically, and two writers of
// one entry write the same value.
type Optima struct {
	// Dir holds the entries; "" caches nothing.
	Dir string
	// Solved counts the models this value solved (cache misses).
	Solved int
}

// optimumEntry is an entry's file. Objective is absent when HiGHS proved
// no optimum (an infeasible or unbounded model).
type optimumEntry struct {
	Status    string   `json:"status"`
	Objective *float64 `json:"objective,omitempty"`
}

// ModelHash returns the hex SHA-256 of m's MPS text, m's name left out.
func ModelHash(m *solver.Model) (string, error) {
	c := *m
	c.Name = ""
	h := sha256.New()
	if err := solver.WriteMPS(h, &c); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Value returns m's optimal value (NaN when HiGHS proves none) from the
// cache or, on a miss, by solving it with an engine of newEngine and
// recording the result.
func (o *Optima) Value(ctx context.Context, newEngine func() (solver.Engine, error), m *solver.Model) (float64, error) {
	var path string
	if o.Dir != "" {
		key, err := ModelHash(m)
		if err != nil {
			return 0, err
		}
		path = filepath.Join(o.Dir, key+".json")
		if v, ok := readOptimum(path); ok {
			return v, nil
		}
	}
	v, st, err := optimalValue(ctx, newEngine, m)
	if err != nil {
		return 0, err
	}
	o.Solved++
	if path == "" || !final(st) {
		return v, nil // a limit or an interruption is no answer to keep
	}
	e := optimumEntry{Status: st.String()}
	if !math.IsNaN(v) {
		e.Objective = &v
	}
	b, err := json.Marshal(e)
	if err != nil {
		return 0, err
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return 0, fmt.Errorf("revibranch: optima cache: %w", err)
	}
	if err := atomicfile.Write(path, append(b, '\n')); err != nil {
		return 0, fmt.Errorf("revibranch: optima cache: %w", err)
	}
	return v, nil
}

// readOptimum reads an entry; ok is false when it is missing or does not
// read (it is then solved again).
func readOptimum(path string) (float64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	var e optimumEntry
	if err := json.Unmarshal(b, &e); err != nil || e.Status == "" {
		return 0, false
	}
	if e.Objective == nil {
		return math.NaN(), true
	}
	return *e.Objective, true
}

// final tells the statuses that settle a model for good.
func final(st solver.Status) bool {
	switch st {
	case solver.StatusOptimal, solver.StatusInfeasible, solver.StatusUnbounded, solver.StatusInfeasibleOrUnbounded:
		return true
	}
	return false
}

// DefaultOptimaDir is the user's cache directory's corl/optima, where the
// command line keeps the optima of training instances ("" when the system
// has no cache directory).
func DefaultOptimaDir() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "corl", "optima")
}

// optimalValue is the MILP's optimum by HiGHS, NaN when HiGHS does not
// prove one, and the status it ended with.
func optimalValue(ctx context.Context, newEngine func() (solver.Engine, error), m *solver.Model) (float64, solver.Status, error) {
	e, err := newEngine()
	if err != nil {
		return 0, 0, err
	}
	defer e.Close()
	if err := e.Load(m); err != nil {
		return 0, 0, err
	}
	st, err := e.Solve(ctx)
	if err != nil {
		return 0, st, err
	}
	if st != solver.StatusOptimal {
		return math.NaN(), st, nil
	}
	v, err := e.Objective()
	return v, st, err
}
