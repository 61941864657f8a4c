package nn

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// SequenceConfig describes SequenceModel, a small causal transformer over
// sequences of In-dimensional vectors (for example a path's graph
// encodings and action embeddings). Zero values mean Dim 64, Heads 4,
// Layers 2, MaxLen 512.
type SequenceConfig struct {
	In     int `json:"in"`
	Dim    int `json:"dim,omitempty"`
	Heads  int `json:"heads,omitempty"`
	Layers int `json:"layers,omitempty"`
	MaxLen int `json:"max_len,omitempty"`
}

func (c SequenceConfig) withDefaults() SequenceConfig {
	if c.Dim == 0 {
		c.Dim = 64
	}
	if c.Heads == 0 {
		c.Heads = 4
	}
	if c.Layers == 0 {
		c.Layers = 2
	}
	if c.MaxLen == 0 {
		c.MaxLen = 512
	}
	return c
}

// Validate checks the sizes.
func (c SequenceConfig) Validate() error {
	d := c.withDefaults()
	switch {
	case c.In <= 0:
		return fmt.Errorf("nn: SequenceConfig.In = %d, want > 0", c.In)
	case c.Dim < 0 || c.Heads < 0 || c.Layers < 0 || c.MaxLen < 0:
		return fmt.Errorf("nn: SequenceConfig: negative size in %+v", c)
	case d.Dim%d.Heads != 0:
		return fmt.Errorf("nn: SequenceConfig.Dim = %d is not a multiple of Heads = %d", d.Dim, d.Heads)
	}
	return nil
}

// CausalSelfAttention is multi-head scaled dot-product attention where
// position t attends to positions ≤ t.
type CausalSelfAttention struct {
	Heads      int
	Q, K, V, O *Linear
}

// NewCausalSelfAttention returns attention over dim features in heads heads.
func NewCausalSelfAttention(b Backend, rng *rand.Rand, dim, heads int) *CausalSelfAttention {
	return &CausalSelfAttention{
		Heads: heads,
		Q:     NewLinear(b, rng, dim, dim, true),
		K:     NewLinear(b, rng, dim, dim, true),
		V:     NewLinear(b, rng, dim, dim, true),
		O:     NewLinear(b, rng, dim, dim, true),
	}
}

// Params returns the four projections.
func (a *CausalSelfAttention) Params() []Param {
	var ps []Param
	ps = append(ps, prefixed("q", a.Q)...)
	ps = append(ps, prefixed("k", a.K)...)
	ps = append(ps, prefixed("v", a.V)...)
	return append(ps, prefixed("o", a.O)...)
}

// CausalMask returns the [n, n] mask with ones on and below the diagonal.
func CausalMask(b Backend, n int) *Tensor {
	return constant(b, []int{n, n}, func(i int) float64 {
		if i%n <= i/n {
			return 1
		}
		return 0
	})
}

// Forward attends over x of shape [batch, T, dim].
func (a *CausalSelfAttention) Forward(x *Tensor) *Tensor {
	mustShape("CausalSelfAttention", x.Rank() == 3, x)
	t, dim := x.Dim(1), x.Dim(2)
	dh := dim / a.Heads
	q, k, v := a.Q.Forward(x), a.K.Forward(x), a.V.Forward(x)
	mask := CausalMask(x.be, t)
	scale := float32(1 / math.Sqrt(float64(dh)))
	heads := make([]*Tensor, a.Heads)
	for h := range a.Heads {
		qh := Slice(q, 2, h*dh, (h+1)*dh)
		kh := Slice(k, 2, h*dh, (h+1)*dh)
		vh := Slice(v, 2, h*dh, (h+1)*dh)
		att := Softmax(Scale(BatchMatMul(qh, kh, false, true), scale), mask)
		heads[h] = BatchMatMul(att, vh, false, false)
	}
	return a.O.Forward(Concat(2, heads...))
}

// Block is a pre-norm transformer block:
// x + Attn(LN1(x)), then + MLP(LN2(x)) with a 4·dim hidden layer.
type Block struct {
	LN1, LN2 *LayerNorm
	Attn     *CausalSelfAttention
	MLP      *MLP
}

// Params returns the block's parameters.
func (b *Block) Params() []Param {
	var ps []Param
	ps = append(ps, prefixed("ln1", b.LN1)...)
	ps = append(ps, prefixed("attn", b.Attn)...)
	ps = append(ps, prefixed("ln2", b.LN2)...)
	return append(ps, prefixed("mlp", b.MLP)...)
}

// Forward applies the block to x [batch, T, dim].
func (b *Block) Forward(x *Tensor) *Tensor {
	x = Add(x, b.Attn.Forward(b.LN1.Forward(x)))
	return Add(x, b.MLP.Forward(b.LN2.Forward(x)))
}

// SequenceModel maps a sequence [batch, T, In] to [batch, T, Dim]: an input
// projection plus sinusoidal positions, causal transformer blocks, and a
// final LayerNorm. Output t depends only on inputs 0..t.
type SequenceModel struct {
	Config SequenceConfig
	In     *Linear
	Blocks []*Block
	Norm   *LayerNorm
	pos    *Tensor
}

// NewSequenceModel builds the model; it returns the config's validation error.
func NewSequenceModel(b Backend, rng *rand.Rand, c SequenceConfig) (*SequenceModel, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	c = c.withDefaults()
	m := &SequenceModel{
		Config: c,
		In:     NewLinear(b, rng, c.In, c.Dim, true),
		Norm:   NewLayerNorm(b, c.Dim),
		pos:    SinusoidalPositions(b, c.MaxLen, c.Dim),
	}
	for range c.Layers {
		mlp, _ := NewMLP(b, rng, MLPConfig{Sizes: []int{c.Dim, 4 * c.Dim, c.Dim}})
		m.Blocks = append(m.Blocks, &Block{
			LN1: NewLayerNorm(b, c.Dim), LN2: NewLayerNorm(b, c.Dim),
			Attn: NewCausalSelfAttention(b, rng, c.Dim, c.Heads), MLP: mlp,
		})
	}
	return m, nil
}

// Params returns every parameter.
func (m *SequenceModel) Params() []Param {
	ps := prefixed("in", m.In)
	for i, b := range m.Blocks {
		ps = append(ps, prefixed(fmt.Sprintf("blocks.%d", i), b)...)
	}
	return append(ps, prefixed("norm", m.Norm)...)
}

// Forward encodes x of shape [batch, T, In] with T ≤ MaxLen.
func (m *SequenceModel) Forward(x *Tensor) *Tensor {
	mustShape("SequenceModel", x.Rank() == 3 && x.Dim(2) == m.Config.In && x.Dim(1) <= m.Config.MaxLen, x)
	h := Add(m.In.Forward(x), Slice(m.pos, 0, 0, x.Dim(1)))
	for _, b := range m.Blocks {
		h = b.Forward(h)
	}
	return m.Norm.Forward(h)
}
