package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Param is a named trainable tensor. Names are dotted paths
// ("conv1.edge.weight"), the names checkpoints store.
type Param struct {
	Name  string
	Value *Tensor
}

// Module is anything with parameters.
type Module interface {
	Params() []Param
}

// prefixed returns m's parameters with "prefix." in front of their names.
func prefixed(prefix string, m Module) []Param {
	ps := m.Params()
	out := make([]Param, len(ps))
	for i, p := range ps {
		out[i] = Param{Name: prefix + "." + p.Name, Value: p.Value}
	}
	return out
}

// ZeroGrad drops the gradients of every parameter.
func ZeroGrad(ps []Param) {
	for _, p := range ps {
		p.Value.ZeroGrad()
	}
}

// NumParams counts the scalar parameters.
func NumParams(ps []Param) int {
	n := 0
	for _, p := range ps {
		n += p.Value.Len()
	}
	return n
}

// uniform returns a parameter with values uniform in [−bound, bound].
func uniform(b Backend, rng *rand.Rand, bound float64, shape ...int) *Tensor {
	v := make([]float32, numel(shape))
	for i := range v {
		v[i] = float32((2*rng.Float64() - 1) * bound)
	}
	return From(b, v, shape...).RequiresGrad()
}

// Linear is y = x·Wᵀ + b over the last axis of x, with Weight of shape
// [out, in] and Bias [out] (nil without bias), PyTorch's layout.
type Linear struct {
	Weight, Bias *Tensor
}

// NewLinear initialises a Linear layer the way PyTorch does: weights and
// bias uniform in ±1/√in.
func NewLinear(b Backend, rng *rand.Rand, in, out int, bias bool) *Linear {
	bound := 1 / math.Sqrt(float64(max(in, 1)))
	l := &Linear{Weight: uniform(b, rng, bound, out, in)}
	if bias {
		l.Bias = uniform(b, rng, bound, out)
	}
	return l
}

// Params returns weight and, if present, bias.
func (l *Linear) Params() []Param {
	ps := []Param{{"weight", l.Weight}}
	if l.Bias != nil {
		ps = append(ps, Param{"bias", l.Bias})
	}
	return ps
}

// Forward applies the layer to x of shape [..., in].
func (l *Linear) Forward(x *Tensor) *Tensor { return l.forward(x, noAct) }

// forward applies the layer and then the activation act (see linear).
func (l *Linear) forward(x *Tensor, act MapOp) *Tensor {
	in, out := l.Weight.shape[1], l.Weight.shape[0]
	mustShape("Linear", x.Dim(-1) == in, x, l.Weight)
	if x.Rank() == 2 {
		return linear(x, l.Weight, l.Bias, act)
	}
	shape := slices.Clone(x.shape)
	shape[len(shape)-1] = out
	return Reshape(linear(Reshape(x, -1, in), l.Weight, l.Bias, act), shape...)
}

// ForwardAct applies the layer and then the activation a, as one node of
// the autodiff graph: the same values as a.Apply(l.Forward(x)), one buffer
// fewer and one pass fewer over it.
func (l *Linear) ForwardAct(x *Tensor, a Activation) *Tensor {
	op, ok := a.mapOp()
	if !ok {
		panic("nn: unknown activation " + string(a))
	}
	return l.forward(x, op)
}

// Activation names a pointwise non-linearity.
type Activation string

// Activations.
const (
	ActNone    Activation = "none"
	ActReLU    Activation = "relu"
	ActTanh    Activation = "tanh"
	ActSigmoid Activation = "sigmoid"
)

// Apply applies the activation; the empty name means none.
func (a Activation) Apply(x *Tensor) *Tensor {
	switch op, ok := a.mapOp(); {
	case !ok:
		panic("nn: unknown activation " + string(a))
	case op == noAct:
		return x
	default:
		return mapOp(op, x, 0, 0)
	}
}

// mapOp returns the elementwise op of the activation (noAct for none),
// and false for an unknown name.
func (a Activation) mapOp() (MapOp, bool) {
	switch a {
	case ActReLU:
		return MapReLU, true
	case ActTanh:
		return MapTanh, true
	case ActSigmoid:
		return MapSigmoid, true
	case ActNone, "":
		return noAct, true
	}
	return 0, false
}

// Validate reports an unknown activation name.
func (a Activation) Validate() error {
	switch a {
	case ActNone, ActReLU, ActTanh, ActSigmoid, "":
		return nil
	}
	return fmt.Errorf("nn: unknown activation %q (want relu, tanh, sigmoid or none)", string(a))
}

// MLPConfig describes a multi-layer perceptron: Sizes[0] inputs, then one
// Linear layer per following size, Hidden between layers and Output after
// the last. The zero Hidden is ReLU; the zero Output is none.
type MLPConfig struct {
	Sizes  []int      `json:"sizes"`
	Hidden Activation `json:"hidden,omitempty"`
	Output Activation `json:"output,omitempty"`
}

// Validate checks the sizes and activation names.
func (c MLPConfig) Validate() error {
	if len(c.Sizes) < 2 {
		return fmt.Errorf("nn: MLPConfig.Sizes needs at least 2 entries, has %d", len(c.Sizes))
	}
	for i, s := range c.Sizes {
		if s <= 0 {
			return fmt.Errorf("nn: MLPConfig.Sizes[%d] = %d, want > 0", i, s)
		}
	}
	if err := c.Hidden.Validate(); err != nil {
		return fmt.Errorf("MLPConfig.Hidden: %w", err)
	}
	if err := c.Output.Validate(); err != nil {
		return fmt.Errorf("MLPConfig.Output: %w", err)
	}
	return nil
}

// MLP is a stack of Linear layers.
type MLP struct {
	Config MLPConfig
	Layers []*Linear
}

// NewMLP builds an MLP; it returns the config's validation error.
func NewMLP(b Backend, rng *rand.Rand, c MLPConfig) (*MLP, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if c.Hidden == "" {
		c.Hidden = ActReLU
	}
	m := &MLP{Config: c}
	for i := 1; i < len(c.Sizes); i++ {
		m.Layers = append(m.Layers, NewLinear(b, rng, c.Sizes[i-1], c.Sizes[i], true))
	}
	return m, nil
}

// Params returns "layers.<i>.weight" and "layers.<i>.bias".
func (m *MLP) Params() []Param {
	var ps []Param
	for i, l := range m.Layers {
		ps = append(ps, prefixed(fmt.Sprintf("layers.%d", i), l)...)
	}
	return ps
}

// Forward applies the layers to x of shape [..., Sizes[0]].
func (m *MLP) Forward(x *Tensor) *Tensor {
	for i, l := range m.Layers {
		act := m.Config.Hidden
		if i == len(m.Layers)-1 {
			act = m.Config.Output
		}
		x = l.ForwardAct(x, act)
	}
	return x
}

// LayerNorm normalises the last axis and applies a learned gain (Weight,
// initially 1) and Bias (initially 0), each of shape [dim].
type LayerNorm struct {
	Weight, Bias *Tensor
	Eps          float32
}

// NewLayerNorm returns a LayerNorm over dim features with eps 1e-5.
func NewLayerNorm(b Backend, dim int) *LayerNorm {
	return &LayerNorm{Weight: Full(b, 1, dim).RequiresGrad(), Bias: New(b, dim).RequiresGrad(), Eps: 1e-5}
}

// Params returns weight and bias.
func (l *LayerNorm) Params() []Param { return []Param{{"weight", l.Weight}, {"bias", l.Bias}} }

// Forward normalises x of shape [..., dim].
func (l *LayerNorm) Forward(x *Tensor) *Tensor {
	return layerNorm(x, l.Weight, l.Bias, l.Eps)
}

// Embedding maps integer ids to learned vectors: Weight has shape [n, dim].
type Embedding struct {
	Weight *Tensor
}

// NewEmbedding returns n embeddings of size dim, initialised N(0,1)-like
// (uniform with unit variance).
func NewEmbedding(b Backend, rng *rand.Rand, n, dim int) *Embedding {
	return &Embedding{Weight: uniform(b, rng, math.Sqrt(3), n, dim)}
}

// Params returns the weight.
func (e *Embedding) Params() []Param { return []Param{{"weight", e.Weight}} }

// Forward returns the embeddings of ids, shape [len(ids), dim].
func (e *Embedding) Forward(ids *Index) *Tensor { return Gather(e.Weight, ids) }
