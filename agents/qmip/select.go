package qmip

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"github.com/corl-go/corl/envs/bandits"
	"github.com/corl-go/corl/solver"
	"github.com/corl-go/corl/solver/highs"
)

// NumInputs is the network's input size on an instance: one input per
// action variable, then a one-hot of each arm's state.
func NumInputs(in *bandits.Instance) int { return in.NumVars() + bandits.NumStates*in.J }

// StateFeatures writes the one-hot state part of the input (the inputs
// that stay fixed while the MIP chooses the action).
func StateFeatures(in *bandits.Instance, states []int, dst []float64) []float64 {
	n := bandits.NumStates * in.J
	if cap(dst) < n {
		dst = make([]float64, n)
	}
	dst = dst[:n]
	clear(dst)
	for j, s := range states {
		dst[j*bandits.NumStates+s] = 1
	}
	return dst
}

// Input writes the whole input [action, state] of Q(state, a).
func Input(in *bandits.Instance, states []int, a bandits.Action, dst []float64) []float64 {
	nv := in.NumVars()
	n := NumInputs(in)
	if cap(dst) < n {
		dst = make([]float64, n)
	}
	dst = dst[:n]
	for i := range nv {
		dst[i] = 0
		if a.Has(i) {
			dst[i] = 1
		}
	}
	StateFeatures(in, states, dst[nv:])
	return dst
}

// MaxActionSize bounds the number of action variables a feasible action
// sets, from the family's data alone: B interventions, at most B arms on
// a path, as many of the cheapest arms as the total capacity holds, half
// the available worker-slots. Tighter than the box, it tightens every
// neuron's bounds.
func MaxActionSize(in *bandits.Instance) int {
	switch in.Family {
	case bandits.Interventions, bandits.Path:
		return in.B
	case bandits.Capacity:
		room := 0
		for _, c := range in.WorkerCap {
			room += c
		}
		costs := slices.Clone(in.ArmCost)
		slices.Sort(costs)
		k := 0
		for _, c := range costs {
			if room < c {
				break
			}
			room -= c
			k++
		}
		return k
	case bandits.Scheduling:
		free := 0
		for _, w := range in.WorkerSlots {
			for _, ok := range w {
				if ok {
					free++
				}
			}
		}
		return min(in.J, free/2)
	}
	return in.NumVars()
}

// SelectConfig sets how an action is chosen; the zero value means exact
// (relative gap 1e-6), no time limit, propagated bounds and a MIP start
// from the previous choice.
type SelectConfig struct {
	Runtime   string        // HiGHS engine ("": the default)
	Gap       float64       // relative MIP gap; 0 means 1e-6
	TimeLimit time.Duration // per choice; 0 means none
	// BigM, when positive, replaces every unstable neuron's bounds by ±BigM
	// and keeps a binary for every neuron (the published code's constant
	// M = 1e5), for comparison only: it is weaker and slower.
	BigM float64
	// Tighten says how the propagated bounds are tightened before the MIP
	// is built: TightenNone (the default, "") keeps them, TightenLP solves
	// two LPs per unstable neuron (Selector.Bounds).
	Tighten string
	// Start is the MIP start: StartPrevious (the default, "") gives HiGHS
	// the previous choice's fragment solution with the network's columns
	// filled in by a forward pass, StartNone gives none.
	Start string
}

// The values of SelectConfig.Tighten and SelectConfig.Start.
const (
	TightenNone   = "none"
	TightenLP     = "lp"
	StartPrevious = "previous"
	StartNone     = "none"
)

// Validate checks the options.
func (c SelectConfig) Validate() error {
	bad := func(field string, v any, want string) error { return &ConfigError{"Select." + field, v, want} }
	switch {
	case c.Gap < 0 || c.Gap >= 1 || math.IsNaN(c.Gap):
		return bad("Gap", c.Gap, "in [0, 1)")
	case c.TimeLimit < 0:
		return bad("TimeLimit", c.TimeLimit, ">= 0")
	case c.BigM < 0 || math.IsNaN(c.BigM):
		return bad("BigM", c.BigM, ">= 0")
	case c.Tighten != "" && c.Tighten != TightenNone && c.Tighten != TightenLP:
		return bad("Tighten", fmt.Sprintf("%q", c.Tighten), fmt.Sprintf("%q or %q", TightenNone, TightenLP))
	case c.Start != "" && c.Start != StartPrevious && c.Start != StartNone:
		return bad("Start", fmt.Sprintf("%q", c.Start), fmt.Sprintf("%q or %q", StartPrevious, StartNone))
	}
	return highs.Config{Runtime: c.Runtime}.Validate()
}

// Choice is the outcome of one action selection.
type Choice struct {
	Action bandits.Action
	Q      float64 // the network's value of Action (its own forward pass)
	Enc    Encoding
	Status solver.Status // the MIP's status: optimal, or a limit with an incumbent
	Solve  time.Duration // the MIP solve
	// LPs is the number of bound-tightening LPs solved and Tighten their
	// time (with the models' construction); Started says whether HiGHS was
	// given a MIP start.
	LPs     int
	Tighten time.Duration
	Started bool
}

// Selector chooses argmax_a Q(state, a) over an instance's feasible actions
// by solving the network's MIP encoding over the family's fragment with
// HiGHS. It holds one HiGHS instance and the previous choice's solution
// (the next MIP start): use one Selector per goroutine, and Reset it where
// a choice must not depend on the ones before.
type Selector struct {
	cfg  SelectConfig
	inst *bandits.Instance
	s    *highs.Solver
	x    []float64 // input scratch
	x0   []float64 // the empty action's input
	q    [2]float64
	buf  []float64 // ForwardRows' scratch
	prev []float64 // the last MIP solution's fragment columns (nil: none yet)
	col  []float64 // column scratch: the start, then the solution
	// fragment appends the family's constraints; nil means
	// Instance.AppendFragment (benchmarks set another formulation).
	fragment func(*bandits.Instance, *solver.Builder) []int
}

// NewSelector returns a Selector for an instance.
func NewSelector(inst *bandits.Instance, cfg SelectConfig) (*Selector, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s, err := highs.New(highs.Config{Runtime: cfg.Runtime})
	if err != nil {
		return nil, err
	}
	gap := cfg.Gap
	if gap == 0 {
		gap = 1e-6
	}
	opts := map[string]float64{"mip_rel_gap": gap, "mip_abs_gap": 1e-9}
	if cfg.TimeLimit > 0 {
		opts["time_limit"] = cfg.TimeLimit.Seconds()
	}
	for k, v := range opts {
		if err := s.SetDoubleOption(k, v); err != nil {
			s.Close()
			return nil, err
		}
	}
	return &Selector{cfg: cfg, inst: inst, s: s}, nil
}

// Close frees the HiGHS instance.
func (sel *Selector) Close() error { return sel.s.Close() }

// Reset forgets the previous choice, so the next one gets no MIP start.
func (sel *Selector) Reset() { sel.prev = nil }

// SetLog sends HiGHS's log to w (nil: discard it).
func (sel *Selector) SetLog(w io.Writer) { sel.s.SetLog(w) }

// Bounds returns the pre-activation bounds the MIP of states uses: the
// propagated ones (Net.Propagate over actions of at most MaxActionSize
// variables), tightened by LPs under TightenLP, and the number of LPs.
// They hold on every point of the family's fragment; BigM is not applied.
func (sel *Selector) Bounds(ctx context.Context, net Net, states []int) (Bounds, int, error) {
	net, err := plain(sel.inst, net, states)
	if err != nil {
		return Bounds{}, 0, err
	}
	fixed, err := sel.fixed(net, states)
	if err != nil {
		return Bounds{}, 0, err
	}
	return sel.bounds(ctx, net, fixed)
}

// fixed returns the network's state inputs in states, after checking that
// the network takes this instance's inputs.
func (sel *Selector) fixed(net Net, states []int) ([]float64, error) {
	if net.In() != NumInputs(sel.inst) {
		return nil, fmt.Errorf("qmip: network takes %d inputs, the instance gives %d", net.In(), NumInputs(sel.inst))
	}
	return StateFeatures(sel.inst, states, nil), nil
}

// bounds is Bounds for the state inputs fixed.
func (sel *Selector) bounds(ctx context.Context, net Net, fixed []float64) (Bounds, int, error) {
	card := MaxActionSize(sel.inst)
	bd := net.Propagate(sel.inst.NumVars(), fixed, card)
	if sel.cfg.Tighten == TightenLP && sel.cfg.BigM == 0 {
		return sel.tighten(ctx, net, fixed, card, bd)
	}
	return bd, 0, nil
}

// Model returns the MIP whose optimum is the best action in states, and the
// action columns. Bound tightening, if configured, runs uncancellable.
func (sel *Selector) Model(net Net, states []int) (*solver.Model, []int, Encoding, error) {
	net, err := plain(sel.inst, net, states)
	if err != nil {
		return nil, nil, Encoding{}, err
	}
	m, act, enc, _, _, err := sel.model(context.Background(), net, states)
	return m, act, enc, err
}

// model builds the MIP and also returns its unstable neurons and the
// number of tightening LPs.
func (sel *Selector) model(ctx context.Context, net Net, states []int) (*solver.Model, []int, Encoding, []relu, int, error) {
	fixed, err := sel.fixed(net, states)
	if err != nil {
		return nil, nil, Encoding{}, nil, 0, err
	}
	bd, lps, err := sel.bounds(ctx, net, fixed)
	if err != nil {
		return nil, nil, Encoding{}, nil, lps, err
	}
	if sel.cfg.BigM > 0 {
		for l := range bd.Lo {
			for i := range bd.Lo[l] {
				bd.Lo[l][i], bd.Hi[l][i] = -sel.cfg.BigM, sel.cfg.BigM
			}
		}
	}
	var b solver.Builder
	b.SetSense(solver.Maximize)
	act := sel.appendFragment(&b)
	enc, relus := net.encode(&b, act, fixed, bd)
	m, err := b.Build()
	return m, act, enc, relus, lps, err
}

// Best returns the feasible action with the largest Q in states (within
// the configured gap), comparing against the empty action, which is always
// allowed but not a point of every family's fragment. Unless Start is
// StartNone, the previous choice's solution is HiGHS's MIP start.
func (sel *Selector) Best(ctx context.Context, net Net, states []int) (Choice, error) {
	t0 := time.Now()
	net, err := plain(sel.inst, net, states)
	if err != nil {
		return Choice{}, err
	}
	m, act, enc, relus, lps, err := sel.model(ctx, net, states)
	c := Choice{Enc: enc, LPs: lps}
	if lps > 0 {
		c.Tighten = time.Since(t0)
	}
	if err != nil {
		return c, err
	}
	if err := sel.s.Load(m); err != nil {
		return c, err
	}
	nfrag := m.NumCols() - 2*enc.Binaries // the fragment's columns come first
	if sel.cfg.Start != StartNone && len(sel.prev) == nfrag {
		sel.col = slices.Grow(sel.col[:0], m.NumCols())[:m.NumCols()]
		copy(sel.col, sel.prev)
		startTo(sel.col, relus)
		if err := sel.s.SetSolution(sel.col); err != nil {
			return c, err
		}
		c.Started = true
	}
	start := time.Now()
	st, err := sel.s.Solve(ctx)
	c.Status, c.Solve = st, time.Since(start)
	if err != nil && !st.IsLimit() {
		return c, err
	}
	switch {
	case st == solver.StatusOptimal || st.IsLimit():
		x, err := sel.s.Primal()
		if err != nil && !st.IsLimit() {
			return c, err
		}
		if err == nil { // at a limit without an incumbent, the empty action stands
			for i, col := range act {
				if x[col] > 0.5 {
					c.Action = c.Action.Set(i)
				}
			}
			sel.remember(m, x[:nfrag])
		}
	default: // the fragment always has a point: anything else is a failure
		return c, fmt.Errorf("qmip: action MIP ended %v", st)
	}
	if ok, err := sel.inst.Feasible(c.Action); err == nil && !ok { // undecided: the fragment's word stands
		return c, fmt.Errorf("qmip: the MIP's action %v breaks the %s constraints", c.Action, sel.inst.Family)
	}
	if err := ctx.Err(); err != nil {
		return c, err
	}
	// Q of the MIP's action and of the empty action, in one pass.
	sel.x = Input(sel.inst, states, c.Action, sel.x)
	sel.x0 = Input(sel.inst, states, bandits.Action{}, sel.x0)
	sel.buf = net.ForwardRows(sel.q[:], [][]float64{sel.x, sel.x0}, sel.buf)
	c.Q = sel.q[0]
	if q0 := sel.q[1]; q0 > c.Q {
		c.Action, c.Q = bandits.Action{}, q0
	}
	return c, nil
}

// appendFragment appends the family's constraints on the action to b.
func (sel *Selector) appendFragment(b *solver.Builder) []int {
	if sel.fragment != nil {
		return sel.fragment(sel.inst, b)
	}
	return sel.inst.AppendFragment(b)
}

// remember keeps a MIP solution's fragment columns, integers rounded, as
// the next start.
func (sel *Selector) remember(m *solver.Model, frag []float64) {
	sel.prev = append(sel.prev[:0], frag...)
	for j, v := range sel.prev {
		if m.ColType(j) == solver.Integer {
			sel.prev[j] = math.Round(v)
		}
	}
}
