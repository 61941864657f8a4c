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
	// Head is the policy head: "" (HeadLinear) or HeadCandidates.
	Head string `json:"head,omitempty"`
	// Cands lays out the candidates HeadCandidates scores; unused by the
	// linear head.
	Cands CandidateLayout `json:"candidates,omitzero"`
	// Offsets names the canonical offsets of the game the network was
	// trained in: "" (tops, as checkpoints from before the field read) or
	// edges; the network plays that game unless told otherwise.
	Offsets string `json:"offsets,omitempty"`
	// ActionFeatures gives the dynamics, next to the action's one-hot
	// code, the features of the candidate it places (Cands' layout, as the
	// candidate head reads them) where the state's observation is known:
	// from the root of a learned model's search and the first move of a
	// training unroll; zero below (and for actions past the candidates).
	ActionFeatures bool `json:"action_features,omitempty"`
	// Baseline is what the value and reward heads are relative to: ""
	// (BaselineNone: the game's own values and rewards) or
	// BaselineBestFit.
	Baseline string `json:"baseline,omitempty"`
}

// The baselines (NetConfig.Baseline).
const (
	// BaselineNone: the value head predicts the state's value V(s), the
	// reward head the move's reward r.
	BaselineNone = "none"
	// BaselineBestFit: both are relative to B(s), the return of
	// finishing the game by best fit from s (0 at the end): the value
	// head predicts V(s) - B(s), the gain over best fit, and the reward
	// head r + Discount B(s') - B(s), which is 0 for best fit's own move.
	// This is reward shaping by the potential B: every return from s
	// shifts by -B(s), so the ranking of a state's moves is unchanged,
	// but the values learned are the small differences the search has to
	// tell apart instead of returns of the order of the whole benefit.
	BaselineBestFit = "bestfit"
)

// The policy heads.
const (
	// HeadLinear maps the prediction's hidden layer to the Actions logits
	// by one linear layer: an output unit per action index.
	HeadLinear = "linear"
	// HeadCandidates scores each candidate action k < Cands.N by one
	// shared MLP s([x, c_k]) of the prediction's hidden layer x and the
	// candidate's features c_k from the observation; the other actions
	// get linear logits from x. Below the root, where the learned model
	// has no observation, every c_k is zero.
	HeadCandidates = "candidates"
)

// CandidateLayout says where the candidates' features lie in an
// observation: candidate k (action k, k < N) has the Features values
// starting at At + k Features.
type CandidateLayout struct {
	N        int `json:"n"`
	Features int `json:"features"`
	At       int `json:"at"`
	Hidden   int `json:"hidden,omitempty"` // width of the scorer's hidden layer (0: 64)
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
	if c.Baseline == BaselineNone {
		c.Baseline = ""
	}
	if c.Head == HeadCandidates && c.Cands.Hidden == 0 { // the linear head has no candidate layer
		c.Cands.Hidden = 64
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
	if c.Baseline != "" && c.Baseline != BaselineNone && c.Baseline != BaselineBestFit {
		return &ConfigError{"NetConfig.Baseline", c.Baseline, BaselineNone + " or " + BaselineBestFit}
	}
	switch c.Head {
	case "", HeadLinear:
		if !c.ActionFeatures {
			return nil
		}
	case HeadCandidates:
	default:
		return &ConfigError{"NetConfig.Head", c.Head, HeadLinear + " or " + HeadCandidates}
	}
	l := c.Cands
	switch {
	case l.N < 1 || l.N > c.Actions:
		return &ConfigError{"NetConfig.Cands.N", l.N, fmt.Sprintf("in [1, Actions = %d]", c.Actions)}
	case l.Features < 1:
		return &ConfigError{"NetConfig.Cands.Features", l.Features, ">= 1"}
	case l.At < 0 || l.At+l.N*l.Features > c.Obs:
		return &ConfigError{"NetConfig.Cands.At", l.At, fmt.Sprintf("in [0, Obs - N Features = %d]", c.Obs-l.N*l.Features)}
	case l.Hidden < 0:
		return &ConfigError{"NetConfig.Cands.Hidden", l.Hidden, ">= 1 (0: 64)"}
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
	// the candidate head's scorer: out(ReLU(fromX x + fromC c_k))
	fromX, fromC, scoreOut *nn.Linear
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
	dynIn := c.Latent + c.Actions
	if c.ActionFeatures {
		dynIn += c.Cands.Features
	}
	n.dyn = newTrunk(b, rng, dynIn, h, c.Layers)
	n.dynOut = nn.NewLinear(b, rng, h, c.Latent, true)
	n.rewardOut = nn.NewLinear(b, rng, h, sup, true)
	n.pred = newTrunk(b, rng, c.Latent, h, c.Layers)
	n.valueO = nn.NewLinear(b, rng, h, sup, true)
	if c.Head != HeadCandidates {
		n.policy = nn.NewLinear(b, rng, h, c.Actions, true)
		return n, nil
	}
	l := c.Cands
	if l.N < c.Actions {
		n.policy = nn.NewLinear(b, rng, h, c.Actions-l.N, true)
	}
	n.fromX = nn.NewLinear(b, rng, h, l.Hidden, true)
	n.fromC = nn.NewLinear(b, rng, l.Features, l.Hidden, false)
	n.scoreOut = nn.NewLinear(b, rng, l.Hidden, 1, true)
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
	if n.policy != nil {
		ps = append(ps, prefixed("pred.policy", n.policy)...)
	}
	if n.fromX != nil {
		ps = append(ps, prefixed("pred.score.latent", n.fromX)...)
		ps = append(ps, prefixed("pred.score.candidate", n.fromC)...)
		ps = append(ps, prefixed("pred.score.out", n.scoreOut)...)
	}
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
// states [B, Latent] and reward logits [B, 2 Support + 1]. obs are the
// states' observations [B, Obs], from which NetConfig.ActionFeatures takes
// each action's candidate features; nil where there are none (below the
// root): the features are then zero. Other networks ignore obs.
func (n *Network) Dynamics(s *nn.Tensor, actions []int, obs *nn.Tensor) (next, reward *nn.Tensor) {
	in := nn.Concat(1, s, nn.OneHot(n.be, actions, n.Config.Actions))
	if n.Config.ActionFeatures {
		in = nn.Concat(1, in, nn.From(n.be, n.actionFeatures(actions, obs), len(actions), n.Config.Cands.Features))
	}
	x := n.dyn.forward(in)
	return scaleLatent(n.dynOut.Forward(x)), n.rewardOut.Forward(x)
}

// actionFeatures are the features of each row's action's candidate in
// obs (rows x Cands.Features): zero for actions past the candidates and
// for every row when obs is nil. They are inputs, not differentiated.
func (n *Network) actionFeatures(actions []int, obs *nn.Tensor) []float32 {
	l := n.Config.Cands
	out := make([]float32, len(actions)*l.Features)
	if obs == nil {
		return out
	}
	d, cols := obs.Data(), n.Config.Obs
	for r, a := range actions {
		if a < l.N {
			at := r*cols + l.At + a*l.Features
			copy(out[r*l.Features:(r+1)*l.Features], d[at:at+l.Features])
		}
	}
	return out
}

// Predict is f: latent states to policy logits [B, Actions] and value
// logits [B, 2 Support + 1]. obs are the states' observations [B, Obs],
// from which the candidate head takes its candidates' features; nil where
// there are none (below the root of a learned model's search): the
// candidates' features are then zero. The linear head ignores obs.
func (n *Network) Predict(s, obs *nn.Tensor) (policy, value *nn.Tensor) {
	x := n.pred.forward(s)
	if n.fromX == nil {
		return n.policy.Forward(x), n.valueO.Forward(x)
	}
	return n.scoreCandidates(x, obs), n.valueO.Forward(x)
}

// scoreCandidates is the candidate head on the prediction's hidden layer
// x [B, Hidden]: logit_k = out(ReLU(W_x x + W_c c_k + b)) for k < N, the
// scorer's first layer applied to the concatenation [x, c_k] as the sum
// of its two blocks, then the other actions' linear logits.
func (n *Network) scoreCandidates(x, obs *nn.Tensor) *nn.Tensor {
	l, rows := n.Config.Cands, x.Dim(0)
	hx := n.fromX.Forward(x)
	var logits *nn.Tensor
	if obs == nil { // every c_k zero: one score, the same for every candidate
		logits = nn.Add(n.scoreOut.Forward(nn.ReLU(hx)), nn.New(n.be, 1, l.N))
	} else {
		c := nn.Reshape(nn.Slice(obs, 1, l.At, l.At+l.N*l.Features), rows, l.N, l.Features)
		z := nn.Add(n.fromC.Forward(c), nn.Reshape(hx, rows, 1, l.Hidden))
		logits = nn.Reshape(n.scoreOut.Forward(nn.ReLU(z)), rows, l.N)
	}
	if n.policy == nil {
		return logits
	}
	return nn.Concat(1, logits, n.policy.Forward(x))
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

// relative reports whether the value and reward heads are relative to
// best fit's return (NetConfig.Baseline).
func (n *Network) relative() bool { return n.Config.Baseline == BaselineBestFit }

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
