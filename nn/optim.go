package nn

import (
	"fmt"
	"math"
	"slices"
)

// Optimizer updates parameters from their gradients. Parameters without a
// gradient (unused in the loss) are left alone.
type Optimizer interface {
	Step(ps []Param)
}

// Schedule gives the learning rate of step t (counted from 0).
type Schedule interface {
	Rate(t int) float64
}

// Constant is a fixed learning rate.
type Constant float64

// Rate returns the constant.
func (c Constant) Rate(int) float64 { return float64(c) }

// StepDecay multiplies Base by Gamma every Every steps.
type StepDecay struct {
	Base, Gamma float64
	Every       int
}

// Rate returns Base·Gamma^⌊t/Every⌋.
func (s StepDecay) Rate(t int) float64 {
	if s.Every <= 0 {
		return s.Base
	}
	return s.Base * math.Pow(s.Gamma, float64(t/s.Every))
}

// Cosine warms up linearly from 0 to Base over Warmup steps, then follows
// a half cosine from Base down to Min at step Total, and stays at Min.
type Cosine struct {
	Base, Min     float64
	Warmup, Total int
}

// Rate returns the scheduled rate.
func (c Cosine) Rate(t int) float64 {
	if t < c.Warmup {
		return c.Base * float64(t+1) / float64(c.Warmup)
	}
	if t >= c.Total || c.Total <= c.Warmup {
		return c.Min
	}
	f := float64(t-c.Warmup) / float64(c.Total-c.Warmup)
	return c.Min + 0.5*(c.Base-c.Min)*(1+math.Cos(math.Pi*f))
}

// rate returns s's rate at step t, or def when s is nil.
func rate(s Schedule, t int, def float64) float64 {
	if s == nil {
		return def
	}
	return s.Rate(t)
}

// SGD is stochastic gradient descent with optional momentum and L2 weight
// decay: g += WeightDecay·p; v = Momentum·v + g; p −= lr·v. A nil LR
// means Constant(0.01).
type SGD struct {
	LR          Schedule
	Momentum    float64
	WeightDecay float64

	t   int
	vel map[*Tensor]Storage
}

// Step applies one update and advances the schedule.
func (o *SGD) Step(ps []Param) {
	lr := float32(rate(o.LR, o.t, 0.01))
	o.t++
	if o.vel == nil {
		o.vel = map[*Tensor]Storage{}
	}
	for _, p := range ps {
		x, g := p.Value, p.Value.grad
		if g == nil {
			continue
		}
		be, n := x.be, x.Len()
		if o.WeightDecay != 0 {
			be.Axpy(g.data, float32(o.WeightDecay), x.data, n)
		}
		step := g.data
		if o.Momentum != 0 {
			v, ok := o.vel[x]
			if !ok {
				v = be.Alloc(n)
				o.vel[x] = v
			}
			be.Map(MapScale, v, v, n, float32(o.Momentum), 0)
			be.Axpy(v, 1, g.data, n)
			step = v
		}
		be.Axpy(x.data, -lr, step, n)
	}
}

// Adam is the Adam optimizer (Kingma and Ba), and AdamW (Loshchilov and
// Hutter) when WeightDecay is set: the decay is decoupled, p −= lr·wd·p,
// not added to the gradient. Zero B1, B2, Eps mean 0.9, 0.999, 1e-8; a
// nil LR means Constant(1e-3).
type Adam struct {
	LR          Schedule
	B1, B2, Eps float64
	WeightDecay float64

	t     int
	state map[*Tensor][2]Storage
}

// NewAdam returns Adam with the usual defaults and rate lr.
func NewAdam(lr float64) *Adam { return &Adam{LR: Constant(lr)} }

// NewAdamW returns AdamW with decoupled weight decay wd.
func NewAdamW(lr, wd float64) *Adam { return &Adam{LR: Constant(lr), WeightDecay: wd} }

// Steps is the number of updates made.
func (o *Adam) Steps() int { return o.t }

// Step applies one update and advances the schedule.
func (o *Adam) Step(ps []Param) {
	b1, b2, eps := o.B1, o.B2, o.Eps
	if b1 == 0 {
		b1 = 0.9
	}
	if b2 == 0 {
		b2 = 0.999
	}
	if eps == 0 {
		eps = 1e-8
	}
	lr := rate(o.LR, o.t, 1e-3)
	o.t++
	h := AdamStep{
		LR: float32(lr), B1: float32(b1), B2: float32(b2), Eps: float32(eps), WD: float32(o.WeightDecay),
		C1: float32(1 - math.Pow(b1, float64(o.t))), C2: float32(1 - math.Pow(b2, float64(o.t))),
	}
	if o.state == nil {
		o.state = map[*Tensor][2]Storage{}
	}
	for _, p := range ps {
		x, g := p.Value, p.Value.grad
		if g == nil {
			continue
		}
		st, ok := o.state[x]
		if !ok {
			st = [2]Storage{x.be.Alloc(x.Len()), x.be.Alloc(x.Len())}
			o.state[x] = st
		}
		x.be.Adam(x.data, g.data, st[0], st[1], x.Len(), h)
	}
}

// ClipGradNorm scales all gradients together so that their joint L2 norm
// is at most maxNorm, and returns the norm before clipping.
func ClipGradNorm(ps []Param, maxNorm float64) float64 {
	var ss float64
	for _, p := range ps {
		if g := p.Value.grad; g != nil {
			ss += g.be.SumSquares(g.data, g.Len())
		}
	}
	norm := math.Sqrt(ss)
	if norm > maxNorm && norm > 0 {
		s := float32(maxNorm / norm)
		for _, p := range ps {
			if g := p.Value.grad; g != nil {
				g.be.Map(MapScale, g.data, g.data, g.Len(), s, 0)
			}
		}
	}
	return norm
}

// ClipGradValue limits every gradient entry to [−v, v].
func ClipGradValue(ps []Param, v float64) {
	if v < 0 {
		panic(fmt.Sprintf("nn: ClipGradValue(%g)", v))
	}
	for _, p := range ps {
		if g := p.Value.grad; g != nil {
			g.be.Map(MapClamp, g.data, g.data, g.Len(), float32(-v), float32(v))
		}
	}
}

// AdamState is an Adam optimizer's state for checkpoints: its step count
// and, for every parameter that has been updated, the first and second
// moment estimates under the parameter's name.
type AdamState struct {
	Steps int
	M, V  []Param
}

// State returns the optimizer's state for the parameters ps (copies).
func (o *Adam) State(ps []Param) AdamState {
	st := AdamState{Steps: o.t}
	for _, p := range ps {
		s, ok := o.state[p.Value]
		if !ok {
			continue
		}
		m, v := New(p.Value.be, p.Value.shape...), New(p.Value.be, p.Value.shape...)
		p.Value.be.Copy2D(m.data, 0, 0, s[0], 0, 0, 1, p.Value.Len(), false)
		p.Value.be.Copy2D(v.data, 0, 0, s[1], 0, 0, 1, p.Value.Len(), false)
		st.M = append(st.M, Param{Name: p.Name, Value: m})
		st.V = append(st.V, Param{Name: p.Name, Value: v})
	}
	return st
}

// SetState restores a state from State onto the parameters ps, matched by
// name. A moment whose parameter is missing or has another shape is an
// error, and the optimizer is then left unchanged.
func (o *Adam) SetState(ps []Param, st AdamState) error {
	if len(st.M) != len(st.V) {
		return fmt.Errorf("nn: Adam state: %d first moments but %d second moments", len(st.M), len(st.V))
	}
	byName := make(map[string]*Tensor, len(ps))
	for _, p := range ps {
		byName[p.Name] = p.Value
	}
	state := make(map[*Tensor][2]Storage, len(st.M))
	for i, m := range st.M {
		v := st.V[i]
		x, ok := byName[m.Name]
		switch {
		case !ok:
			return fmt.Errorf("nn: Adam state: no parameter %q", m.Name)
		case v.Name != m.Name:
			return fmt.Errorf("nn: Adam state: moments %q and %q out of order", m.Name, v.Name)
		case !slices.Equal(x.shape, m.Value.shape) || !slices.Equal(x.shape, v.Value.shape):
			return fmt.Errorf("nn: Adam state: %q has shape %v, moments %v and %v", m.Name, x.shape, m.Value.shape, v.Value.shape)
		}
		sm, sv := x.be.Alloc(x.Len()), x.be.Alloc(x.Len())
		x.be.Upload(sm, m.Value.Data())
		x.be.Upload(sv, v.Value.Data())
		state[x] = [2]Storage{sm, sv}
	}
	o.t, o.state = st.Steps, state
	return nil
}
