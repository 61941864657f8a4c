package bandits

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/corl-go/corl/solver"
	"github.com/corl-go/corl/solver/highs"
)

// Policy chooses an action from an observation.
type Policy interface {
	Name() string
	Act(ctx context.Context, obs Obs, rng *rand.Rand) (Action, error)
}

// ErrUndefined: the policy is not defined for the family.
var ErrUndefined = errors.New("bandits: policy not defined for this family")

// PolicyNames returns the baselines' names.
func PolicyNames() []string {
	return []string{"null", "random", "sampling", "myopic", "iterative", "whittle"}
}

// PolicyConfig configures the baselines; the zero value uses HiGHS.
type PolicyConfig struct {
	// NewEngine creates the MIP engine of the policies that solve MIPs
	// (myopic, whittle, and iterative's hardest path checks); nil: HiGHS,
	// default engine.
	NewEngine func() (solver.Engine, error)
}

func (c PolicyConfig) newEngine() (solver.Engine, error) {
	if c.NewEngine == nil {
		return highs.New(highs.Config{})
	}
	return c.NewEngine()
}

// NewPolicy returns a baseline by name; Close it when done.
func NewPolicy(name string, cfg PolicyConfig) (Policy, error) {
	mip := mipPolicy{newEngine: cfg.newEngine}
	switch strings.ToLower(name) {
	case "null":
		return Null{}, nil
	case "random":
		return Random{}, nil
	case "sampling":
		return Sampling{K: 100}, nil
	case "myopic":
		return &Myopic{mip}, nil
	case "iterative":
		return Iterative{NewEngine: cfg.NewEngine}, nil
	case "whittle":
		return &Whittle{mipPolicy: mip}, nil
	}
	return nil, fmt.Errorf("bandits: unknown policy %q (want one of %s)", name, strings.Join(PolicyNames(), ", "))
}

// Null takes no action.
type Null struct{}

func (Null) Name() string                                         { return "null" }
func (Null) Act(context.Context, Obs, *rand.Rand) (Action, error) { return Action{}, nil }

// Random takes a random feasible action.
type Random struct{}

func (Random) Name() string { return "random" }
func (Random) Act(_ context.Context, o Obs, rng *rand.Rand) (Action, error) {
	return o.Inst.Sample(rng), nil
}

// Sampling takes the best of K random feasible actions by expected
// next-step reward.
type Sampling struct{ K int }

func (Sampling) Name() string { return "sampling" }
func (p Sampling) Act(_ context.Context, o Obs, rng *rand.Rand) (Action, error) {
	best, bestV := Action{}, o.Inst.ExpectedReward(o.States, Action{})
	for range max(p.K, 1) {
		a := o.Inst.Sample(rng)
		if v := o.Inst.ExpectedReward(o.States, a); v > bestV {
			best, bestV = a, v
		}
	}
	return best, nil
}

// Iterative is greedy myopic play: add the action variable with the
// largest gain in expected next-step reward while the action stays
// feasible and the gain positive (interventions: exactly B of them).
type Iterative struct {
	// NewEngine creates the MIP engine for the path checks the route
	// search leaves undecided (nil: HiGHS, default engine).
	NewEngine func() (solver.Engine, error)
}

func (Iterative) Name() string { return "iterative" }
func (p Iterative) Act(ctx context.Context, o Obs, _ *rand.Rand) (Action, error) {
	in := o.Inst
	var a Action
	cur := in.ExpectedReward(o.States, a)
	for {
		best, bestV := -1, cur
		if in.Family == Interventions {
			if a.Len() == in.B {
				break
			}
			bestV = -1e300 // interventions must reach B
		}
		for i := range in.NumVars() {
			if a.Has(i) {
				continue
			}
			b := a.Set(i)
			if in.Family != Interventions {
				ok, err := p.feasible(ctx, in, b)
				if err != nil {
					return Action{}, err
				}
				if !ok {
					continue
				}
			}
			if v := in.ExpectedReward(o.States, b); v > bestV {
				best, bestV = i, v
			}
		}
		if best < 0 {
			break
		}
		a, cur = a.Set(best), bestV
	}
	return a, nil
}

// feasible is Instance.Feasible, with the undecided cases settled by MIP.
func (p Iterative) feasible(ctx context.Context, in *Instance, a Action) (bool, error) {
	ok, err := in.Feasible(a)
	if !errors.Is(err, ErrUndecided) {
		return ok, err
	}
	e, err := PolicyConfig{NewEngine: p.NewEngine}.newEngine()
	if err != nil {
		return false, err
	}
	defer e.Close()
	return in.FeasibleMIP(ctx, e, a)
}

// mipPolicy solves "maximise the weights of the chosen action variables"
// over the family's fragment with HiGHS, keeping one warm solver per
// instance.
type mipPolicy struct {
	newEngine func() (solver.Engine, error)
	inst      *Instance
	s         solver.Engine
	m         *solver.Model // the loaded model, for engines that cannot change costs
	x         []float64     // the last solution, the next solve's MIP start
	started   bool          // x holds a solution of this instance's model
	act       []int
	lambda    [][]int // interventions: per arm, one binary per count of linked interventions on
	idx       []int
	cost      []float64
	Elapsed   time.Duration // total solve time
	Solves    int
}

func (p *mipPolicy) prepare(in *Instance) error {
	if p.inst == in {
		return nil
	}
	p.close()
	var b solver.Builder
	b.SetSense(solver.Maximize)
	p.act = in.AppendFragment(&b)
	p.lambda = nil
	if in.Family == Interventions {
		// Exact piecewise model of the sigmoid link: x_j only takes the
		// values m / |L_j|, so a binary per m selects the count and its
		// up-probability.
		for j, links := range in.Links {
			var lam []int
			cols, vals := []int{}, []float64{}
			for m := 0; m <= len(links); m++ {
				c := b.AddCol(fmt.Sprintf("lam%d_%d", j, m), 0, 0, 1, solver.Integer)
				lam = append(lam, c)
				cols, vals = append(cols, c), append(vals, float64(m))
			}
			b.AddRow(fmt.Sprintf("one%d", j), 1, 1, lam, slices.Repeat([]float64{1}, len(lam)))
			for _, k := range links {
				cols, vals = append(cols, p.act[k]), append(vals, -1)
			}
			b.AddRow(fmt.Sprintf("count%d", j), 0, 0, cols, vals)
			p.lambda = append(p.lambda, lam)
		}
	}
	m, err := b.Build()
	if err != nil {
		return err
	}
	newEngine := p.newEngine
	if newEngine == nil { // a zero Myopic or Whittle
		newEngine = PolicyConfig{}.newEngine
	}
	s, err := newEngine()
	if err != nil {
		return err
	}
	if err := s.Load(m); err != nil {
		s.Close()
		return err
	}
	if o, ok := s.(solver.OptionSetter); ok {
		for _, name := range []string{"mip_rel_gap", "mip_abs_gap"} {
			if err := o.SetDoubleOption(name, 1e-9); err != nil {
				s.Close()
				return err
			}
		}
	}
	p.s, p.inst, p.m, p.x, p.started = s, in, m, make([]float64, m.NumCols()), false
	return nil
}

// setCosts sets the objective coefficients p.cost on the columns p.idx.
func (p *mipPolicy) setCosts() error {
	if c, ok := p.s.(solver.CostSetter); ok {
		return c.SetColsCost(p.idx, p.cost)
	}
	for k, j := range p.idx {
		p.m.Cost[j] = p.cost[k]
	}
	return p.s.Load(p.m)
}

// solve maximises sum_i w[i] a_i (plus lambda weights) and returns the action.
func (p *mipPolicy) solve(ctx context.Context) (Action, error) {
	if err := p.setCosts(); err != nil {
		return Action{}, err
	}
	// The fragment's rows do not depend on the state, so the last step's
	// solution is feasible now: HiGHS starts from it.
	if ms, ok := p.s.(solver.MIPStarter); ok && p.started {
		if err := ms.SetSolution(p.x); err != nil {
			return Action{}, err
		}
	}
	start := time.Now()
	st, err := p.s.Solve(ctx)
	p.Elapsed += time.Since(start)
	p.Solves++
	if err != nil {
		return Action{}, err
	}
	if st != solver.StatusOptimal {
		return Action{}, fmt.Errorf("bandits: MIP ended %v", st)
	}
	x := p.x
	p.started = false
	if err := p.s.SolutionTo(x, nil, nil, nil); err != nil {
		return Action{}, err
	}
	p.started = true
	var a Action
	for i, c := range p.act {
		if x[c] > 0.5 {
			a = a.Set(i)
		}
	}
	return a, nil
}

func (p *mipPolicy) close() {
	if p.s != nil {
		p.s.Close()
		p.s, p.inst = nil, nil
	}
}

// MeanSolveTime is the average MIP solve time per step.
func (p *mipPolicy) MeanSolveTime() time.Duration {
	if p.Solves == 0 {
		return 0
	}
	return p.Elapsed / time.Duration(p.Solves)
}

// Close frees the policy's solver.
func (p *mipPolicy) Close() error { p.close(); return nil }

// Myopic maximises the expected next-step reward with a HiGHS MIP over the
// family's constraints (interventions: with the exact piecewise sigmoid).
type Myopic struct{ mipPolicy }

func (*Myopic) Name() string { return "myopic" }
func (p *Myopic) Act(ctx context.Context, o Obs, _ *rand.Rand) (Action, error) {
	in := o.Inst
	if err := p.prepare(in); err != nil {
		return Action{}, err
	}
	p.idx, p.cost = p.idx[:0], p.cost[:0]
	if in.Family == Interventions {
		for j, lam := range p.lambda {
			arm, L := in.Arms[j], float64(len(lam)-1)
			for m, c := range lam {
				p.idx = append(p.idx, c)
				p.cost = append(p.cost, arm.Expected(o.States[j], interventionProb(arm, float64(m)/L)))
			}
		}
	} else {
		for j, arm := range in.Arms {
			p.idx = append(p.idx, p.act[j])
			p.cost = append(p.cost, arm.Expected(o.States[j], arm.PActive)-arm.Expected(o.States[j], arm.PPassive))
		}
	}
	a, err := p.solve(ctx)
	if err != nil {
		return a, err
	}
	// The empty action is always allowed: keep it when nothing gains.
	if in.ExpectedReward(o.States, a) < in.ExpectedReward(o.States, Action{}) {
		return Action{}, nil
	}
	return a, nil
}

// Whittle computes each arm's Whittle index in its state and takes the
// feasible action with the largest sum of positive indices. It is defined
// for the arm families, not for interventions (an action there is not a
// set of arms).
type Whittle struct {
	mipPolicy
	indices [][NumStates]float64
	of      *Instance
}

func (*Whittle) Name() string { return "whittle" }
func (p *Whittle) Act(ctx context.Context, o Obs, _ *rand.Rand) (Action, error) {
	in := o.Inst
	if in.Family == Interventions {
		return Action{}, ErrUndefined
	}
	if p.of != in {
		p.indices = p.indices[:0]
		for _, arm := range in.Arms {
			p.indices = append(p.indices, WhittleIndex(arm, WhittleDiscount))
		}
		p.of = in
	}
	if err := p.prepare(in); err != nil {
		return Action{}, err
	}
	p.idx, p.cost = p.idx[:0], p.cost[:0]
	for j := range in.Arms {
		p.idx = append(p.idx, p.act[j])
		p.cost = append(p.cost, max(p.indices[j][o.States[j]], 0))
	}
	return p.solve(ctx)
}

// SolveStats reports a MIP policy's solves, if it is one.
func SolveStats(p Policy) (solves int, mean time.Duration, ok bool) {
	switch q := p.(type) {
	case *Myopic:
		return q.Solves, q.MeanSolveTime(), true
	case *Whittle:
		return q.Solves, q.MeanSolveTime(), true
	}
	return 0, 0, false
}

// ClosePolicy frees a policy's resources, if it holds any.
func ClosePolicy(p Policy) {
	if c, ok := p.(interface{ Close() error }); ok {
		c.Close()
	}
}
