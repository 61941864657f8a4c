package plot

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/corl-go/corl/trace"
)

// Curve is one line of a chart: points (X[i], Y[i]) with X increasing.
// The curves of SolvedOverTime and PerformanceProfile are step
// functions: Y[i] holds from X[i] up to X[i+1], 0 before X[0] and Y[last]
// after the last point.
type Curve struct {
	Name string
	X, Y []float64
}

// Measure is a cost of a run that a performance profile compares; lower
// is better.
type Measure struct {
	Name  string                     // for titles and file names: "nodes", "time"
	Value func(trace.Result) float64 // NaN or infinite counts as unsolved
	// Min is the least cost: smaller costs count as Min, so a run of zero
	// nodes or seconds keeps every ratio finite, and timer noise below
	// Min does not make one policy many times faster than another.
	Min float64
}

// The measures EvalPlots profiles.
var (
	Nodes = Measure{Name: "nodes", Value: func(r trace.Result) float64 { return float64(r.Nodes) }, Min: 1}
	Time  = Measure{Name: "time", Value: func(r trace.Result) float64 { return r.Seconds }, Min: 0.01}
)

// instance identifies an instance of an evaluation.
type instance struct {
	name string
	seed int64
}

// table indexes results by policy (in order of first appearance) and
// instance.
type table struct {
	policies  []string
	instances []instance
	runs      map[string]map[instance]trace.Result
}

func newTable(rows []trace.Result) (*table, error) {
	if len(rows) == 0 {
		return nil, ErrNoRows
	}
	t := &table{runs: map[string]map[instance]trace.Result{}}
	seen := map[instance]bool{}
	for _, r := range rows {
		k := instance{r.Instance, r.Seed}
		if !seen[k] {
			seen[k] = true
			t.instances = append(t.instances, k)
		}
		byInst, ok := t.runs[r.Policy]
		if !ok {
			byInst = map[instance]trace.Result{}
			t.runs[r.Policy] = byInst
			t.policies = append(t.policies, r.Policy)
		}
		if _, dup := byInst[k]; dup {
			return nil, fmt.Errorf("%w: policy %q has two rows for instance %q, seed %d (plot one evaluation at a time)",
				ErrDuplicate, r.Policy, r.Instance, r.Seed)
		}
		byInst[k] = r
	}
	return t, nil
}

// SolvedOverTime returns, per policy in order of first appearance, the
// share of instances it solved within t seconds (a run whose Seconds is
// NaN or infinite counts as unsolved): X holds the distinct
// solving times in increasing order and Y the shares. It fails with
// ErrNoRows without rows and ErrDuplicate when a policy has two rows for
// one instance and seed.
func SolvedOverTime(rows []trace.Result) ([]Curve, error) {
	t, err := newTable(rows)
	if err != nil {
		return nil, err
	}
	n := float64(len(t.instances))
	curves := make([]Curve, len(t.policies))
	for i, p := range t.policies {
		var times []float64
		for _, r := range t.runs[p] {
			if r.Solved() && finite(r.Seconds) {
				times = append(times, r.Seconds)
			}
		}
		curves[i] = cumulative(p, times, n)
	}
	return curves, nil
}

// PerformanceProfile returns Dolan and Moré's performance profile of m,
// per policy in order of first appearance: X holds the distinct ratios
// tau >= 1 of the policy's cost to the best policy's cost on each
// instance it solved, in increasing order, and Y the shares of all
// instances whose ratio is at most tau. It fails like SolvedOverTime.
func PerformanceProfile(rows []trace.Result, m Measure) ([]Curve, error) {
	t, err := newTable(rows)
	if err != nil {
		return nil, err
	}
	cost := func(r trace.Result) (float64, bool) {
		v := m.Value(r)
		if !r.Solved() || !finite(v) {
			return 0, false
		}
		return max(v, m.Min), true
	}
	best := make(map[instance]float64, len(t.instances))
	for _, k := range t.instances {
		b := math.Inf(1)
		for _, p := range t.policies {
			if c, ok := cost(t.runs[p][k]); ok {
				b = min(b, c)
			}
		}
		best[k] = b
	}
	n := float64(len(t.instances))
	curves := make([]Curve, len(t.policies))
	for i, p := range t.policies {
		var ratios []float64
		for k, r := range t.runs[p] {
			if c, ok := cost(r); ok {
				ratios = append(ratios, c/best[k])
			}
		}
		curves[i] = cumulative(p, ratios, n)
	}
	return curves, nil
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// cumulative returns the empirical distribution of xs scaled by 1/n:
// the distinct values and, for each, the count of xs at most it over n.
func cumulative(name string, xs []float64, n float64) Curve {
	slices.Sort(xs)
	c := Curve{Name: name}
	for i, x := range xs {
		if i+1 < len(xs) && xs[i+1] == x {
			continue
		}
		c.X = append(c.X, x)
		c.Y = append(c.Y, float64(i+1)/n)
	}
	return c
}

// trainKey identifies one line of a training chart.
type trainKey struct{ run, phase string }

// rowKey identifies a row of a training trace; a resumed run may repeat one.
type rowKey struct {
	trainKey
	epoch, step int64
}

// byStep reports whether training charts plot against the optimizer step
// rather than the epoch: whether some run and phase have rows of one epoch
// at different steps.
func byStep(rows []trace.Train) bool {
	steps := map[rowKey]int64{} // step of the first row of each (run, phase, epoch)
	for _, r := range rows {
		k := rowKey{trainKey{r.Run, r.Phase}, r.Epoch, 0}
		if s, ok := steps[k]; !ok {
			steps[k] = r.Step
		} else if s != r.Step {
			return true
		}
	}
	return false
}

// trainCurves returns one curve per (run, phase) of value against the
// epoch, or against the step if byStep; rows where value is not present,
// NaN or infinite are left out, and of rows repeated at the same (run, phase,
// epoch, step) the last counts. Curves come in order of first appearance,
// named by phase, or "run/phase" when rows hold several runs.
func trainCurves(rows []trace.Train, byStep bool, value func(trace.Train) (float64, bool)) []Curve {
	var order []trainKey
	last := map[rowKey]int{} // index of the last row of each key
	runs := map[string]bool{}
	for i, r := range rows {
		tk := trainKey{r.Run, r.Phase}
		runs[r.Run] = true
		if v, ok := value(r); !ok || !finite(v) {
			continue
		}
		if !slices.Contains(order, tk) {
			order = append(order, tk)
		}
		last[rowKey{tk, r.Epoch, r.Step}] = i
	}
	keys := map[trainKey][]rowKey{}
	for k := range last {
		keys[k.trainKey] = append(keys[k.trainKey], k)
	}
	var curves []Curve
	for _, tk := range order {
		ks := keys[tk]
		slices.SortFunc(ks, func(a, b rowKey) int {
			if byStep {
				return cmp.Or(cmp.Compare(a.step, b.step), cmp.Compare(a.epoch, b.epoch))
			}
			return cmp.Or(cmp.Compare(a.epoch, b.epoch), cmp.Compare(a.step, b.step))
		})
		c := Curve{Name: tk.phase}
		if len(runs) > 1 {
			c.Name = tk.run + "/" + tk.phase
		}
		for _, k := range ks {
			x := float64(k.epoch)
			if byStep {
				x = float64(k.step)
			}
			y, _ := value(rows[last[k]])
			c.X = append(c.X, x)
			c.Y = append(c.Y, y)
		}
		curves = append(curves, c)
	}
	return curves
}
