package muzero

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/corl-go/corl/nn"
)

// Arch is the architecture name muzero checkpoints carry.
const Arch = "corl.muzero.v1"

// valueEps is the eps of MuZero's h(x) = sign(x)(sqrt(|x|+1) - 1) + eps x.
const valueEps = 0.001

// NetConfig sizes the networks. The zero value of each size means its
// default; Obs and Actions are required.
type NetConfig struct {
	Obs     int `json:"obs"`
	Actions int `json:"actions"`
	Latent  int `json:"latent,omitempty"` // latent state size (0: 64)
	Hidden  int `json:"hidden,omitempty"` // hidden layer width (0: 128)
	Layers  int `json:"layers,omitempty"` // hidden layers per function (0: 2)
	// Support: values and rewards are distributions over the integers
	// -Support..Support (0: 20) of h(Scale * x); Scale (0: 100) spreads the
	// game's returns, fractions in [0, 1], over the support.
	Support int     `json:"support,omitempty"`
	Scale   float64 `json:"scale,omitempty"`
}

// WithDefaults fills in the zero sizes.
func (c NetConfig) WithDefaults() NetConfig {
	if c.Latent == 0 {
		c.Latent = 64
	}
	if c.Hidden == 0 {
		c.Hidden = 128
	}
	if c.Layers == 0 {
		c.Layers = 2
	}
	if c.Support == 0 {
		c.Support = 20
	}
	if c.Scale == 0 {
		c.Scale = 100
	}
	return c
}

// Validate checks the sizes; errors name the field.
func (c NetConfig) Validate() error {
	for _, f := range []struct {
		name string
		v    int
		min  int
	}{{"Obs", c.Obs, 1}, {"Actions", c.Actions, 1}, {"Latent", c.Latent, 0}, {"Hidden", c.Hidden, 0}, {"Layers", c.Layers, 0}, {"Support", c.Support, 0}} {
		if f.v < f.min {
			return &ConfigError{"NetConfig." + f.name, f.v, fmt.Sprintf(">= %d", f.min)}
		}
	}
	if !(c.Scale >= 0) || math.IsInf(c.Scale, 1) {
		return &ConfigError{"NetConfig.Scale", c.Scale, "a positive number (0: 100)"}
	}
	return nil
}

// trunk is a stack of Linear -> LayerNorm -> ReLU layers.
type trunk struct {
	lin []*nn.Linear
	ln  []*nn.LayerNorm
}

func newTrunk(b nn.Backend, rng *rand.Rand, in, hidden, layers int) *trunk {
	t := &trunk{}
	for range layers {
		t.lin = append(t.lin, nn.NewLinear(b, rng, in, hidden, true))
		t.ln = append(t.ln, nn.NewLayerNorm(b, hidden))
		in = hidden
	}
	return t
}

func (t *trunk) forward(x *nn.Tensor) *nn.Tensor {
	for i := range t.lin {
		x = nn.ReLU(t.ln[i].Forward(t.lin[i].Forward(x)))
	}
	return x
}

func (t *trunk) params(prefix string) []nn.Param {
	var ps []nn.Param
	for i := range t.lin {
		for _, p := range t.lin[i].Params() {
			ps = append(ps, nn.Param{Name: fmt.Sprintf("%s.%d.linear.%s", prefix, i, p.Name), Value: p.Value})
		}
		for _, p := range t.ln[i].Params() {
			ps = append(ps, nn.Param{Name: fmt.Sprintf("%s.%d.norm.%s", prefix, i, p.Name), Value: p.Value})
		}
	}
	return ps
}

// Network is MuZero's three functions: the representation h(obs) -> s,
// the dynamics g(s, a) -> (s', reward) and the prediction f(s) ->
// (policy logits, value); latent states are min-max scaled to [0, 1] per
// state, and rewards and values come as logits over the support.
type Network struct {
	Config NetConfig
	be     nn.Backend

	repr, dyn, pred           *trunk
	reprOut, dynOut           *nn.Linear
	rewardOut, policy, valueO *nn.Linear
}

// NewNetwork initialises a network from rng.
func NewNetwork(b nn.Backend, rng *rand.Rand, c NetConfig) (*Network, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	c = c.WithDefaults()
	n, h, sup := &Network{Config: c, be: b}, c.Hidden, 2*c.Support+1
	n.repr = newTrunk(b, rng, c.Obs, h, c.Layers)
	n.reprOut = nn.NewLinear(b, rng, h, c.Latent, true)
	n.dyn = newTrunk(b, rng, c.Latent+c.Actions, h, c.Layers)
	n.dynOut = nn.NewLinear(b, rng, h, c.Latent, true)
	n.rewardOut = nn.NewLinear(b, rng, h, sup, true)
	n.pred = newTrunk(b, rng, c.Latent, h, c.Layers)
	n.policy = nn.NewLinear(b, rng, h, c.Actions, true)
	n.valueO = nn.NewLinear(b, rng, h, sup, true)
	return n, nil
}

// Params lists the weights under stable names.
func (n *Network) Params() []nn.Param {
	ps := n.repr.params("repr")
	ps = append(ps, prefixed("repr.out", n.reprOut)...)
	ps = append(ps, n.dyn.params("dyn")...)
	ps = append(ps, prefixed("dyn.out", n.dynOut)...)
	ps = append(ps, prefixed("dyn.reward", n.rewardOut)...)
	ps = append(ps, n.pred.params("pred")...)
	ps = append(ps, prefixed("pred.policy", n.policy)...)
	return append(ps, prefixed("pred.value", n.valueO)...)
}

func prefixed(prefix string, l *nn.Linear) []nn.Param {
	var ps []nn.Param
	for _, p := range l.Params() {
		ps = append(ps, nn.Param{Name: prefix + "." + p.Name, Value: p.Value})
	}
	return ps
}

// scaleLatent maps each row of x to [0, 1] by its own minimum and maximum
// (taken as constants: the gradient flows through the affine map only).
func scaleLatent(x *nn.Tensor) *nn.Tensor {
	rows, cols := x.Dim(0), x.Dim(1)
	d := x.Data()
	lo, inv := make([]float32, rows), make([]float32, rows)
	for r := range rows {
		mn, mx := float32(math.Inf(1)), float32(math.Inf(-1))
		for _, v := range d[r*cols : (r+1)*cols] {
			mn, mx = min(mn, v), max(mx, v)
		}
		lo[r], inv[r] = mn, 1/max(mx-mn, 1e-5)
	}
	b := x.Backend()
	return nn.Mul(nn.Sub(x, nn.From(b, lo, rows, 1)), nn.From(b, inv, rows, 1))
}

// Represent is h: observations [B, Obs] to latent states [B, Latent].
func (n *Network) Represent(obs *nn.Tensor) *nn.Tensor {
	return scaleLatent(n.reprOut.Forward(n.repr.forward(obs)))
}

// Dynamics is g: latent states [B, Latent] and one action each to the next
// states [B, Latent] and reward logits [B, 2 Support + 1].
func (n *Network) Dynamics(s *nn.Tensor, actions []int) (next, reward *nn.Tensor) {
	x := n.dyn.forward(nn.Concat(1, s, nn.OneHot(n.be, actions, n.Config.Actions)))
	return scaleLatent(n.dynOut.Forward(x)), n.rewardOut.Forward(x)
}

// Predict is f: latent states to policy logits [B, Actions] and value
// logits [B, 2 Support + 1].
func (n *Network) Predict(s *nn.Tensor) (policy, value *nn.Tensor) {
	x := n.pred.forward(s)
	return n.policy.Forward(x), n.valueO.Forward(x)
}

// Scalars turns support logits [B, 2 Support + 1] into the values they
// encode: h^-1 of the expected support point, over Scale.
func (n *Network) Scalars(logits *nn.Tensor, dst []float32) {
	c := n.Config
	v := nn.InverseValueTransform(nn.SupportExpectation(logits, -c.Support, c.Support), valueEps).Data()
	for i := range dst {
		dst[i] = v[i] / float32(c.Scale)
	}
}

// Targets encodes values as two-hot distributions over the support of
// h(Scale * v).
func (n *Network) Targets(values []float32) *nn.Tensor {
	c := n.Config
	h := make([]float32, len(values))
	for i, v := range values {
		x := c.Scale * float64(v)
		s := 1.0
		if x < 0 {
			s = -1
		}
		h[i] = float32(s*(math.Sqrt(math.Abs(x)+1)-1) + valueEps*x)
	}
	return nn.TwoHot(n.be, h, -c.Support, c.Support)
}
