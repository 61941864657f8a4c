package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"reflect"
	"runtime"
	"runtime/debug"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/sdf"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/rtrackers/offsetrange"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/corl-go/corl/agents/muzero"
	"github.com/corl-go/corl/agents/policy"
	"github.com/corl-go/corl/eval"
	"github.com/corl-go/corl/internal/evalcli"
	"github.com/corl-go/corl/solver"
	"github.com/corl-go/corl/trace"
)

func init() {
	beam.RegisterType(reflect.TypeOf((*runElem)(nil)).Elem())
	register.DoFn4x1[context.Context, *sdf.LockRTracker, runElem, func(int64), error](&evalFn{})
	register.Emitter1[int64]()
	register.Function1x0(discard)
}

// runElem is one element of an evaluation: one run, (instance, policy,
// seed), and its place in the evaluation's job list.
type runElem struct {
	Index    int64  // the job's index: the name of its part files
	File     string // the instance file, absolute
	Instance string // the Instance column
	Policy   string
	Seed     uint64
	Episode  int64 // the instance's index in its set
}

func (e runElem) job() eval.Job {
	return eval.Job{Instance: e.Instance, Policy: e.Policy, Seed: e.Seed, Episode: e.Episode}
}

// milpSpec is what a worker needs to rebuild the eval.MILP of the
// command line: eval.MILP holds functions, which do not travel, so the
// branch-and-bound flags travel as given and are parsed again by the same
// function.
type milpSpec struct {
	Engine    string
	TimeLimit float64
	GapLimit  float64
	// GapStopOnly: --gap-prune off (absent from a spec written before it:
	// false, the default's pruning).
	GapStopOnly bool
	BnB         evalcli.BnBFlags
	Steps       bool
}

func milpSpecOf(ev evalcli.MILPEval) milpSpec {
	return milpSpec{Engine: ev.Config.Engine, TimeLimit: ev.Config.TimeLimit, GapLimit: ev.Config.GapLimit, GapStopOnly: ev.Config.GapStopOnly, BnB: ev.BnB, Steps: ev.Config.Steps}
}

func (s milpSpec) config(run string) (eval.MILP, error) {
	b, err := s.BnB.Config()
	return eval.MILP{Engine: s.Engine, TimeLimit: s.TimeLimit, GapLimit: s.GapLimit, GapStopOnly: s.GapStopOnly, BnB: b, Resolve: evalcli.Brancher, Steps: s.Steps, Run: run}, err
}

// mallocSpec is what a worker needs to rebuild the eval.Malloc and read
// the instances as the command line does.
type mallocSpec struct {
	Fraction     float64
	Alignment    int64
	MIPTimeLimit float64
	Search       muzero.SearchConfig
	Model        string
	Rollout      float64
	Offsets      string // --offsets as given ("": each checkpoint's own game)
}

// evalFn runs one element with the eval package's functions and writes
// its part files. It is a splittable DoFn with a one-position restriction
// per element only so that runners which split work only in splittable
// stages (Prism) hand the elements of a bundle to parallel bundles.
type evalFn struct {
	Env    string // "milp" or "malloc"
	Parts  string // the directory of part files: a local path or a URL
	Run    string // the Run column
	MILP   milpSpec
	Malloc mallocSpec
	HiGHS  shippedModule // empty when the workers share this machine's cache

	play func(ctx context.Context, e runElem) (eval.Outcome, error)
	onePosition[runElem]
}

// Setup installs the shipped HiGHS module if the worker has none and
// builds the run function.
func (f *evalFn) Setup() error {
	if err := f.HiGHS.install(); err != nil {
		return err
	}
	switch f.Env {
	case "milp":
		cfg, err := f.MILP.config(f.Run)
		if err != nil {
			return err
		}
		f.play = func(ctx context.Context, e runElem) (eval.Outcome, error) {
			m, err := readMPS(ctx, e.File)
			if err != nil {
				return eval.Outcome{}, err
			}
			return cfg.Solve(ctx, m, e.job())
		}
	case "malloc":
		s := f.Malloc
		cfg := eval.Malloc{MIPTimeLimit: s.MIPTimeLimit, Run: f.Run, NewPolicy: policy.Malloc(s.Search, s.Model, s.Rollout, s.Offsets)}
		f.play = func(ctx context.Context, e runElem) (eval.Outcome, error) {
			in, err := evalcli.ReadAllocationIn(setFS{ctx}, e.File, s.Fraction, s.Alignment)
			if err != nil {
				return eval.Outcome{}, err
			}
			return cfg.Play(ctx, in, e.job())
		}
	default:
		return fmt.Errorf("corl-beam: unknown environment %q", f.Env)
	}
	return nil
}

// onePosition gives a DoFn over elements E a one-position restriction per
// element: nothing splits inside an element, but the DoFn is splittable,
// so Prism splits its bundles between elements.
type onePosition[E any] struct{}

func (onePosition[E]) CreateInitialRestriction(E) offsetrange.Restriction {
	return offsetrange.Restriction{Start: 0, End: 1}
}

func (onePosition[E]) SplitRestriction(_ E, r offsetrange.Restriction) []offsetrange.Restriction {
	return []offsetrange.Restriction{r}
}

func (onePosition[E]) RestrictionSize(_ E, r offsetrange.Restriction) float64 { return r.Size() }

func (onePosition[E]) CreateTracker(r offsetrange.Restriction) *sdf.LockRTracker {
	return sdf.NewLockRTracker(offsetrange.NewTracker(r))
}

// ProcessElement runs the element and writes its parts. A run that fails
// (a malformed instance, a HiGHS trap, a panic) becomes an error row; only
// a part that cannot be written, or a cancelled pipeline, fails the bundle.
func (f *evalFn) ProcessElement(ctx context.Context, rt *sdf.LockRTracker, e runElem, done func(int64)) error {
	if !rt.TryClaim(int64(0)) {
		return nil
	}
	defer done(e.Index)
	o, err := f.safePlay(ctx, e)
	if err != nil && ctx.Err() != nil {
		return ctx.Err() // cut short: not a result
	}
	if err != nil {
		o = eval.Outcome{Result: errorRow(f.Env, f.Run, e)}
	}
	return writePart(ctx, f.Parts, e.Index, o, err)
}

// slots bounds the runs at a time in one worker process to its cores
// (GOMAXPROCS): a runner may hand it more bundles at once (Prism runs up to
// eight), and more runs than cores only slow each other down.
var slots = make(chan struct{}, runtime.GOMAXPROCS(0))

func (f *evalFn) safePlay(ctx context.Context, e runElem) (o eval.Outcome, err error) {
	select {
	case slots <- struct{}{}:
		defer func() { <-slots }()
	case <-ctx.Done():
		return eval.Outcome{}, ctx.Err()
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	return f.play(ctx, e)
}

// discard consumes the indices of finished elements. The run DoFns emit
// them only because Prism (v2.77) busy-waits through every bundle of a
// stage without outputs, taking a core from the runs.
func discard(int64) {}

// runAll adds the stage that runs fn on every element of elems, after a
// reshuffle that lets the runner spread them.
func runAll[E any](s beam.Scope, fn any, elems []E) {
	beam.ParDo0(s, discard, beam.ParDo(s, fn, beam.Reshuffle(s, beam.CreateList(s, elems))))
}

// statusError is the Status of a run that failed.
const statusError = "error"

// errorRow is the result row of a run that failed.
func errorRow(env, run string, e runElem) trace.Result {
	return trace.Result{Run: run, Env: env, Instance: e.Instance, Policy: e.Policy, Seed: int64(e.Seed), Status: statusError,
		Objective: math.NaN(), DualBound: math.NaN(), Gap: math.NaN()}
}

// absFiles makes local paths absolute, so that workers find them
// whatever their working directory; URLs stay as they are.
func absFiles(files []string) ([]string, error) {
	out := make([]string, len(files))
	for i, f := range files {
		a, err := absPath(f)
		if err != nil {
			return nil, err
		}
		out[i] = a
	}
	return out, nil
}

// readMPS reads an MPS file, plain or gzipped, local or at a URL.
func readMPS(ctx context.Context, name string) (*solver.Model, error) {
	return readWith(ctx, name, func(r io.Reader, name string) (*solver.Model, error) {
		return solver.ReadMPS(r, name, solver.MPSAuto)
	})
}

// elements lists one element per job.
func elements(jobs []eval.Job, files []string) []runElem {
	out := make([]runElem, len(jobs))
	for i, j := range jobs {
		out[i] = runElem{Index: int64(i), File: files[j.Episode], Instance: j.Instance, Policy: j.Policy, Seed: j.Seed, Episode: j.Episode}
	}
	return out
}
