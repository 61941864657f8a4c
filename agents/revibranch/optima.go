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

// Optima caches the optimal values of MILPs by their content and the
// solver build that found them, so that the cutoffs of training episodes
// are solved once per instance: by the first run that needs them, and
// then read by every other variant, seed and resume that trains on the
// same instance with the same build. A value is HiGHS's, within its
// tolerances, so it may differ in its last digits between HiGHS versions
// or runtimes: an entry is a small JSON file named by the SHA-256 of a
// schema tag, the build (HiGHS's version and runtime) and the model's MPS
// text with its name left out (a renamed copy of an instance hits; a
// changed coefficient, another HiGHS version or runtime misses). An engine
// that does not name its build is not cached. A file that does not read,
// or names another build, is solved again and rewritten. Runs in parallel
// may share the directory: entries are written atomically, and two
// writers of one entry write the same value. The cache never stops a run:
// when it cannot be read or written, Warn hears of it once and the values
// are solved.
//
// An Optima serves one engine maker (the build is asked of its first
// engine).
type Optima struct {
	// Dir holds the entries; "" caches nothing.
	Dir string
	// Warn, if not nil, is told of the first failure of the cache
	// (hashing a model, making Dir, writing an entry); from then on this
	// value caches nothing.
	Warn func(error)
	// Solved counts the models this value solved (cache misses).
	Solved int

	build  string // the engines' build, "" until asked
	asked  bool
	broken bool
}

// optimaSchema tags the entries' format and key; a change of either
// changes it, so old entries miss.
const optimaSchema = "corl-optima/2"

// optimumEntry is an entry's file. Objective is absent when HiGHS proved
// no optimum (an infeasible or unbounded model).
type optimumEntry struct {
	Solver    string   `json:"solver"`
	Status    string   `json:"status"`
	Objective *float64 `json:"objective,omitempty"`
}

// ModelHash returns the hex SHA-256 of m's MPS text, m's name left out.
func ModelHash(m *solver.Model) (string, error) {
	return hashModel(m, "")
}

// hashModel is the hex SHA-256 of prefix followed by m's MPS text, m's
// name left out.
func hashModel(m *solver.Model, prefix string) (string, error) {
	c := *m
	c.Name = ""
	h := sha256.New()
	h.Write([]byte(prefix))
	if err := solver.WriteMPS(h, &c); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// SolverBuild names the build of e's solver, "" when e does not tell it:
// for HiGHS its version and runtime, as "highs 1.15.1 wazero".
func SolverBuild(e solver.Engine) string {
	h, ok := e.(interface {
		HiGHSVersion() (string, error)
		Runtime() string
	})
	if !ok {
		return ""
	}
	v, err := h.HiGHSVersion()
	if err != nil || v == "" {
		return ""
	}
	return "highs " + v + " " + h.Runtime()
}

// entryPath is the file of m's entry, "" when nothing is cached for m.
func (o *Optima) entryPath(newEngine func() (solver.Engine, error), m *solver.Model) string {
	if o.Dir == "" || o.broken {
		return ""
	}
	if !o.asked {
		e, err := newEngine()
		if err != nil {
			return "" // solving will say why
		}
		o.build, o.asked = SolverBuild(e), true
		e.Close()
	}
	if o.build == "" {
		return ""
	}
	key, err := hashModel(m, optimaSchema+"\n"+o.build+"\n")
	if err != nil {
		o.fail(fmt.Errorf("hashing %s: %w", m.Name, err))
		return ""
	}
	return filepath.Join(o.Dir, key+".json")
}

// fail turns the cache off, telling Warn why.
func (o *Optima) fail(err error) {
	o.broken = true
	if o.Warn != nil {
		o.Warn(fmt.Errorf("the optima cache %s: %w", o.Dir, err))
	}
}

// Value returns m's optimal value (NaN when HiGHS proves none) from the
// cache or, on a miss, by solving it with an engine of newEngine and
// recording the result.
func (o *Optima) Value(ctx context.Context, newEngine func() (solver.Engine, error), m *solver.Model) (float64, error) {
	path := o.entryPath(newEngine, m)
	if path != "" {
		if v, ok := readOptimum(path, o.build); ok {
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
	e := optimumEntry{Solver: o.build, Status: st.String()}
	if !math.IsNaN(v) {
		e.Objective = &v
	}
	b, err := json.Marshal(e)
	if err == nil {
		if err = os.MkdirAll(o.Dir, 0o755); err == nil {
			err = atomicfile.Write(path, append(b, '\n'))
		}
	}
	if err != nil {
		o.fail(err)
	}
	return v, nil
}

// readOptimum reads an entry of build; ok is false when it is missing,
// does not read or names another build (it is then solved again).
func readOptimum(path, build string) (float64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	var e optimumEntry
	if err := json.Unmarshal(b, &e); err != nil || e.Status == "" || e.Solver != build {
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
