package nn

import (
	"fmt"
	"math/rand/v2"
)

// Bipartite is a bipartite graph with features: Vars [nv, fv] (variables),
// Cons [nc, fc] (constraints) and Edges [ne, fe], edge k joining
// constraint ConsIdx[k] and variable VarIdx[k]. It is the NodeBipartite
// observation of a MILP node in tensor form.
type Bipartite struct {
	Vars, Cons, Edges *Tensor
	ConsIdx, VarIdx   *Index
}

// Validate checks that the parts agree.
func (g *Bipartite) Validate() error {
	ne := g.Edges.Dim(0)
	switch {
	case g.Vars.Rank() != 2 || g.Cons.Rank() != 2 || g.Edges.Rank() != 2:
		return fmt.Errorf("nn: Bipartite: features must be 2-D, have %v %v %v", g.Vars.shape, g.Cons.shape, g.Edges.shape)
	case g.ConsIdx.Len() != ne || g.VarIdx.Len() != ne:
		return fmt.Errorf("nn: Bipartite: %d edges but %d constraint and %d variable indices", ne, g.ConsIdx.Len(), g.VarIdx.Len())
	}
	for k, c := range g.ConsIdx.host {
		if c < 0 || int(c) >= g.Cons.Dim(0) {
			return fmt.Errorf("nn: Bipartite: edge %d: constraint %d outside [0,%d)", k, c, g.Cons.Dim(0))
		}
	}
	for k, v := range g.VarIdx.host {
		if v < 0 || int(v) >= g.Vars.Dim(0) {
			return fmt.Errorf("nn: Bipartite: edge %d: variable %d outside [0,%d)", k, v, g.Vars.Dim(0))
		}
	}
	return nil
}

// BipartiteConv is one half-convolution of Gasse et al. (2019), passing
// messages from source nodes to target nodes along edges:
//
//	m_k   = Final(ReLU(Target(x_t[dst_k]) + Edge(e_k) + Source(x_s[src_k])))
//	agg_t = Σ_{k: dst_k = t} m_k
//	out_t = Output(concat(Norm(agg_t), x_t))
//
// Target, Source and Final are Linear(dim, dim) (Source without bias),
// Edge is Linear(edgeDim, dim) without bias, Norm a LayerNorm and Output a
// two-layer MLP from 2·dim to dim. Target and Source are applied per node
// before the gather. Final is affine, so it commutes with the sum and is
// applied after it:
//
//	agg_t = W_final·Σ_{k: dst_k = t} ReLU(...) + deg_t·b_final
//
// with deg_t the number of edges into t. This is the same function (up to
// rounding) for one product per target instead of one per edge, so no
// per-edge product remains; the parameters are those of the formula above.
type BipartiteConv struct {
	Target, Source, Edge, Final *Linear
	Norm                        *LayerNorm
	Output                      *MLP
}

// NewBipartiteConv returns a convolution over embeddings of size dim with
// edgeDim edge features.
func NewBipartiteConv(b Backend, rng *rand.Rand, dim, edgeDim int) *BipartiteConv {
	out, _ := NewMLP(b, rng, MLPConfig{Sizes: []int{2 * dim, dim, dim}})
	return &BipartiteConv{
		Target: NewLinear(b, rng, dim, dim, true),
		Source: NewLinear(b, rng, dim, dim, false),
		Edge:   NewLinear(b, rng, edgeDim, dim, false),
		Final:  NewLinear(b, rng, dim, dim, true),
		Norm:   NewLayerNorm(b, dim),
		Output: out,
	}
}

// Params returns the parameters of every part.
func (c *BipartiteConv) Params() []Param {
	var ps []Param
	ps = append(ps, prefixed("target", c.Target)...)
	ps = append(ps, prefixed("source", c.Source)...)
	ps = append(ps, prefixed("edge", c.Edge)...)
	ps = append(ps, prefixed("final", c.Final)...)
	ps = append(ps, prefixed("norm", c.Norm)...)
	return append(ps, prefixed("output", c.Output)...)
}

// Forward passes messages from source [ns, dim] to target [nt, dim] along
// edges (features [ne, edgeDim]) from src[k] to dst[k].
func (c *BipartiteConv) Forward(source, target, edges *Tensor, src, dst *Index) *Tensor {
	t, s := c.Target.Forward(target), c.Source.Forward(source)
	agg := convMessages(t, s, dst, src, edges, c.Edge.Weight, c.Final.Weight, c.Final.Bias)
	if agg == nil { // no fused kernels, or edge features that need a gradient
		agg = messageSum(edgeMessages(t, s, dst, src, edges, c.Edge.Weight), dst, target.Dim(0), c.Final.Weight, c.Final.Bias)
	}
	return c.Output.Forward(Concat(-1, c.Norm.Forward(agg), target))
}

// GCNNConfig describes the branching network of Gasse et al. (2019).
// The zero values of Dim (64) mean the paper's size.
type GCNNConfig struct {
	VarFeatures  int `json:"var_features"`
	ConsFeatures int `json:"cons_features"`
	EdgeFeatures int `json:"edge_features"`
	Dim          int `json:"dim,omitempty"`
}

// Validate checks the feature counts.
func (c GCNNConfig) Validate() error {
	switch {
	case c.VarFeatures <= 0:
		return fmt.Errorf("nn: GCNNConfig.VarFeatures = %d, want > 0", c.VarFeatures)
	case c.ConsFeatures <= 0:
		return fmt.Errorf("nn: GCNNConfig.ConsFeatures = %d, want > 0", c.ConsFeatures)
	case c.EdgeFeatures <= 0:
		return fmt.Errorf("nn: GCNNConfig.EdgeFeatures = %d, want > 0", c.EdgeFeatures)
	case c.Dim < 0:
		return fmt.Errorf("nn: GCNNConfig.Dim = %d, want >= 0", c.Dim)
	}
	return nil
}

// GCNN scores the variables of a bipartite graph: variable and constraint
// features are embedded (two ReLU layers), a convolution
// from variables to constraints and one back, then an MLP gives one
// logit per variable.
//
// Features are used as given. Gasse et al. normalise the variable,
// constraint and edge features with a fixed shift and scale fitted to the
// training data before training; here that is the observation's job, so
// the network has no such layer and its checkpoints hold only the
// parameters Params lists.
//
// Forward records the autodiff graph for training; Inference runs the
// same network for decisions, recording nothing and reusing its buffers.
type GCNN struct {
	Config          GCNNConfig
	VarEmb, ConsEmb *MLP
	ToCons, ToVars  *BipartiteConv
	Head            *MLP
}

// NewGCNN builds the network; it returns the config's validation error.
func NewGCNN(b Backend, rng *rand.Rand, c GCNNConfig) (*GCNN, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if c.Dim == 0 {
		c.Dim = 64
	}
	d := c.Dim
	ve, _ := NewMLP(b, rng, MLPConfig{Sizes: []int{c.VarFeatures, d, d}, Output: ActReLU})
	ce, _ := NewMLP(b, rng, MLPConfig{Sizes: []int{c.ConsFeatures, d, d}, Output: ActReLU})
	head, _ := NewMLP(b, rng, MLPConfig{Sizes: []int{d, d, 1}})
	return &GCNN{
		Config: c, VarEmb: ve, ConsEmb: ce,
		ToCons: NewBipartiteConv(b, rng, d, c.EdgeFeatures),
		ToVars: NewBipartiteConv(b, rng, d, c.EdgeFeatures),
		Head:   head,
	}, nil
}

// Params returns every parameter under its part's name.
func (g *GCNN) Params() []Param {
	var ps []Param
	ps = append(ps, prefixed("var_emb", g.VarEmb)...)
	ps = append(ps, prefixed("cons_emb", g.ConsEmb)...)
	ps = append(ps, prefixed("to_cons", g.ToCons)...)
	ps = append(ps, prefixed("to_vars", g.ToVars)...)
	return append(ps, prefixed("head", g.Head)...)
}

// Forward returns one logit per variable, shape [nv].
func (g *GCNN) Forward(x *Bipartite) *Tensor {
	v := g.VarEmb.Forward(x.Vars)
	c := g.ConsEmb.Forward(x.Cons)
	e := x.Edges
	c = g.ToCons.Forward(v, c, e, x.VarIdx, x.ConsIdx)
	v = g.ToVars.Forward(c, v, e, x.ConsIdx, x.VarIdx)
	return Reshape(g.Head.Forward(v), -1)
}
