package revibranch

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/corl-go/corl/envs/milp"
	"github.com/corl-go/corl/nn"
	"github.com/corl-go/corl/solver/bnb"
)

// Arch is the architecture name policy checkpoints record.
const Arch = "corl.milp.gnn"

// ObservationName is the observation a policy reads.
const ObservationName = "nodebipartite"

// PolicyConfig is what a policy checkpoint records about its network and
// the observation it reads; a checkpoint whose config differs from what
// this build extracts is refused.
type PolicyConfig struct {
	Observation  string `json:"observation"`
	ColFeatures  int    `json:"col_features"`
	RowFeatures  int    `json:"row_features"`
	EdgeFeatures int    `json:"edge_features"`
	Dim          int    `json:"dim"`
}

// DefaultPolicyConfig is the observation this build extracts with a GCNN
// of embedding size dim (0: 64, Gasse et al.'s).
func DefaultPolicyConfig(dim int) PolicyConfig {
	if dim == 0 {
		dim = 64
	}
	return PolicyConfig{Observation: ObservationName, ColFeatures: milp.NumColFeatures, RowFeatures: milp.NumRowFeatures, EdgeFeatures: 1, Dim: dim}
}

// Validate checks the config against this build's observation.
func (c PolicyConfig) Validate() error {
	want := DefaultPolicyConfig(c.Dim)
	switch {
	case c.Observation != want.Observation:
		return fmt.Errorf("observation %q, this build extracts %q", c.Observation, want.Observation)
	case c.ColFeatures != want.ColFeatures:
		return fmt.Errorf("%d column features, this build extracts %d", c.ColFeatures, want.ColFeatures)
	case c.RowFeatures != want.RowFeatures:
		return fmt.Errorf("%d row features, this build extracts %d", c.RowFeatures, want.RowFeatures)
	case c.EdgeFeatures != want.EdgeFeatures:
		return fmt.Errorf("%d edge features, this build extracts %d", c.EdgeFeatures, want.EdgeFeatures)
	case c.Dim <= 0 || c.Dim > 4096:
		return fmt.Errorf("embedding size %d, want 1..4096", c.Dim)
	}
	return nil
}

// Policy is a branching policy: the GCNN of Gasse et al. over the
// NodeBipartite observation, whose inputs are standardised by per-feature
// shifts and scales fixed from the training data (Gasse et al.'s
// pre-normalisation layers).
type Policy struct {
	Config PolicyConfig
	Net    *nn.GCNN
	// Shift and Scale standardise inputs: (x - shift) * scale.
	ColShift, ColScale, RowShift, RowScale []float32
	be                                     nn.Backend
}

// NewPolicy returns an untrained policy with identity standardisation.
func NewPolicy(be nn.Backend, rng *rand.Rand, c PolicyConfig) (*Policy, error) {
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("revibranch: %w", err)
	}
	net, err := nn.NewGCNN(be, rng, nn.GCNNConfig{VarFeatures: c.ColFeatures, ConsFeatures: c.RowFeatures, EdgeFeatures: c.EdgeFeatures, Dim: c.Dim})
	if err != nil {
		return nil, err
	}
	p := &Policy{Config: c, Net: net, be: be,
		ColShift: make([]float32, c.ColFeatures), ColScale: ones32(c.ColFeatures),
		RowShift: make([]float32, c.RowFeatures), RowScale: ones32(c.RowFeatures)}
	return p, nil
}

func ones32(n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = 1
	}
	return v
}

// Params are the trainable parameters.
func (p *Policy) Params() []nn.Param { return p.Net.Params() }

// allParams adds the standardisation vectors, which checkpoints hold too.
func (p *Policy) allParams() []nn.Param {
	t := func(v []float32) *nn.Tensor { return nn.From(p.be, v, len(v)) }
	return append(p.Net.Params(),
		nn.Param{Name: "norm.col_shift", Value: t(p.ColShift)}, nn.Param{Name: "norm.col_scale", Value: t(p.ColScale)},
		nn.Param{Name: "norm.row_shift", Value: t(p.RowShift)}, nn.Param{Name: "norm.row_scale", Value: t(p.RowScale)})
}

// readNorm takes the standardisation vectors from ps, a list made by
// allParams whose tensors were loaded since.
func (p *Policy) readNorm(ps []nn.Param) {
	n := len(ps)
	p.ColShift, p.ColScale = ps[n-4].Value.Data(), ps[n-3].Value.Data()
	p.RowShift, p.RowScale = ps[n-2].Value.Data(), ps[n-1].Value.Data()
}

// Save writes the policy as a safetensors checkpoint (atomically).
func (p *Policy) Save(path string) error { return nn.Save(path, p.allParams(), Arch, p.Config) }

// LoadPolicy reads a policy checkpoint onto backend be (nil: the CPU
// backend). A checkpoint of another architecture, or one trained on
// another observation, is refused with an error naming the file and the
// mismatch.
func LoadPolicy(path string, be nn.Backend) (*Policy, error) {
	ck, err := nn.ReadCheckpoint(path)
	if err != nil {
		return nil, err
	}
	return policyFrom(ck, be)
}

// ParsePolicy is LoadPolicy from the bytes of a checkpoint named name.
func ParsePolicy(name string, raw []byte, be nn.Backend) (*Policy, error) {
	ck, err := nn.ParseCheckpoint(name, raw)
	if err != nil {
		return nil, err
	}
	return policyFrom(ck, be)
}

func policyFrom(ck *nn.Checkpoint, be nn.Backend) (*Policy, error) {
	if be == nil {
		be = nn.CPU()
	}
	if ck.Arch() != Arch {
		return nil, &nn.CheckpointError{File: ck.File, Field: nn.MetaArch,
			Err: fmt.Errorf("%w: architecture %q, a branching policy is %q", nn.ErrMismatch, ck.Arch(), Arch)}
	}
	var c PolicyConfig
	if err := ck.Config(&c); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, &nn.CheckpointError{File: ck.File, Field: nn.MetaConfig, Err: fmt.Errorf("%w: %v", nn.ErrMismatch, err)}
	}
	p, err := NewPolicy(be, rand.New(rand.NewPCG(0, 0)), c)
	if err != nil {
		return nil, err
	}
	ps := p.allParams()
	if err := ck.LoadInto(ps); err != nil {
		return nil, err
	}
	p.readNorm(ps)
	return p, nil
}

// SetStandardisation fixes the input shifts and scales to the mean and
// 1/standard deviation of each feature over the samples (scale 1 for a
// constant feature).
func (p *Policy) SetStandardisation(samples []*Sample) {
	moments := func(nf int, feats func(*Sample) []float32) (shift, scale []float32) {
		sum, sq := make([]float64, nf), make([]float64, nf)
		n := 0.0
		for _, s := range samples {
			v := feats(s)
			for i := 0; i+nf <= len(v); i += nf {
				for f := range nf {
					x := float64(v[i+f])
					sum[f] += x
					sq[f] += x * x
				}
				n++
			}
		}
		shift, scale = make([]float32, nf), make([]float32, nf)
		for f := range nf {
			if n == 0 {
				scale[f] = 1
				continue
			}
			mean := sum[f] / n
			sd := math.Sqrt(max(sq[f]/n-mean*mean, 0))
			shift[f] = float32(mean)
			scale[f] = 1
			if sd > 1e-6 {
				scale[f] = float32(1 / sd)
			}
		}
		return shift, scale
	}
	p.ColShift, p.ColScale = moments(p.Config.ColFeatures, func(s *Sample) []float32 { return s.ColFeat })
	p.RowShift, p.RowScale = moments(p.Config.RowFeatures, func(s *Sample) []float32 { return s.RowFeat })
}

// standardise writes (src - shift) * scale into dst, feature by feature.
func standardise[T float32 | float64](dst []float32, src []T, shift, scale []float32) {
	nf := len(shift)
	for i := 0; i+nf <= len(src); i += nf {
		for f := range nf {
			dst[i+f] = (float32(src[i+f]) - shift[f]) * scale[f]
		}
	}
}

// batch is a disjoint union of sample graphs in tensor form, with the
// candidates of every sample padded to the largest candidate count.
type batch struct {
	graph  *nn.Bipartite
	cand   *nn.Index  // [B*maxC] global column of each (padded) candidate
	mask   *nn.Tensor // [B, maxC], 1 for a real candidate
	labels []int      // expert's index per sample
	maxC   int
}

func (p *Policy) makeBatch(samples []*Sample) *batch {
	var nc, nr, ne, maxC int
	for _, s := range samples {
		nc += s.Graph.NumCols
		nr += s.Graph.NumRows
		ne += len(s.Graph.EdgeRow)
		maxC = max(maxC, len(s.Candidates))
	}
	cf, rf := p.Config.ColFeatures, p.Config.RowFeatures
	cols, rows := make([]float32, nc*cf), make([]float32, nr*rf)
	edges := make([]float32, ne)
	eRow, eCol := make([]int32, ne), make([]int32, ne)
	cand := make([]int32, len(samples)*maxC)
	mask := make([]float32, len(samples)*maxC)
	labels := make([]int, len(samples))
	var oc, or, oe int
	for b, s := range samples {
		g := s.Graph
		standardise(cols[oc*cf:], s.ColFeat, p.ColShift, p.ColScale)
		standardise(rows[or*rf:], s.RowFeat, p.RowShift, p.RowScale)
		copy(edges[oe:], g.EdgeValue)
		for k := range g.EdgeRow {
			eRow[oe+k] = g.EdgeRow[k] + int32(or)
			eCol[oe+k] = g.EdgeCol[k] + int32(oc)
		}
		for i := range maxC {
			cand[b*maxC+i] = int32(oc)
			if i < len(s.Candidates) {
				cand[b*maxC+i] += s.Candidates[i]
				mask[b*maxC+i] = 1
			}
		}
		labels[b] = s.Expert
		oc, or, oe = oc+g.NumCols, or+g.NumRows, oe+len(g.EdgeRow)
	}
	be := p.be
	return &batch{
		graph: &nn.Bipartite{
			Vars: nn.From(be, cols, nc, cf), Cons: nn.From(be, rows, nr, rf), Edges: nn.From(be, edges, ne, 1),
			ConsIdx: nn.NewIndex(be, eRow), VarIdx: nn.NewIndex(be, eCol),
		},
		cand: nn.NewIndex(be, cand), mask: nn.From(be, mask, len(samples), maxC), labels: labels, maxC: maxC,
	}
}

// candidateLogits runs the network on a batch and returns the logits of
// each sample's candidates, [B, maxC] (padding entries are masked).
func (p *Policy) candidateLogits(bt *batch) *nn.Tensor {
	logits := p.Net.Forward(bt.graph)
	g := nn.Gather(nn.Reshape(logits, -1, 1), bt.cand)
	return nn.Reshape(g, len(bt.labels), bt.maxC)
}

// Loss is the mean cross-entropy of the expert's choices under the
// policy's softmax over each sample's candidates (masked: other columns
// get no probability), with the candidate logits for accuracy.
func (p *Policy) loss(bt *batch) (loss, logits *nn.Tensor) {
	logits = p.candidateLogits(bt)
	return nn.CrossEntropyLabels(logits, bt.labels, bt.mask), logits
}

// hits counts the samples whose expert-best candidate (any candidate with
// the expert's best score, as ties are common) is among the policy's k
// highest logits, for k = 1 and 5.
func hits(samples []*Sample, logits []float32, maxC int) (top1, top5 int) {
	for b, s := range samples {
		row := logits[b*maxC : b*maxC+len(s.Candidates)]
		best := s.Scores[s.Expert]
		// rank of the best-scoring expert candidate: count candidates with
		// a strictly higher logit than the highest-logit expert-best one.
		top := float32(math.Inf(-1))
		for i, sc := range s.Scores {
			if sc >= best && row[i] > top {
				top = row[i]
			}
		}
		higher := 0
		for _, l := range row {
			if l > top {
				higher++
			}
		}
		if higher < 1 {
			top1++
		}
		if higher < 5 {
			top5++
		}
	}
	return top1, top5
}

// Distribution returns the policy's probability of branching on each
// column of the observation (masked softmax: zero outside o.Candidates).
func (p *Policy) Distribution(o milp.NodeBipartite) []float64 {
	logits := p.logits(o)
	mask := make([]float32, len(logits))
	for _, j := range o.Candidates {
		mask[j] = 1
	}
	n := len(logits)
	pr := nn.Softmax(nn.From(p.be, logits, 1, n), nn.From(p.be, mask, 1, n)).Data()
	out := make([]float64, n)
	for i, v := range pr {
		out[i] = float64(v)
	}
	return out
}

// logits returns one logit per column of the observation.
func (p *Policy) logits(o milp.NodeBipartite) []float32 {
	var sc scorer
	return sc.logits(p, o, true)
}

// scorer runs the policy's network without autodiff, reusing its buffers
// and, between calls with static set, the graph's edges (which do not
// change within a search).
type scorer struct {
	inf        *nn.GCNNInference
	cols, rows []float32
	out        []float32
	g          nn.Bipartite
	nc, nr     int
}

func (sc *scorer) logits(p *Policy, o milp.NodeBipartite, newGraph bool) []float32 {
	if sc.inf == nil {
		sc.inf = p.Net.Inference()
	}
	nc, nr := o.NumCols(), o.NumRows()
	cf, rf := p.Config.ColFeatures, p.Config.RowFeatures
	if newGraph || sc.g.Edges == nil || nc != sc.nc || nr != sc.nr {
		e := graphOf(o)
		sc.g = nn.Bipartite{
			Vars: nn.New(p.be, nc, cf), Cons: nn.New(p.be, nr, rf), Edges: nn.From(p.be, e.EdgeValue, len(e.EdgeValue), 1),
			ConsIdx: nn.NewIndex(p.be, e.EdgeRow), VarIdx: nn.NewIndex(p.be, e.EdgeCol),
		}
		sc.nc, sc.nr = nc, nr
		sc.cols, sc.rows = make([]float32, nc*cf), make([]float32, nr*rf)
	}
	standardise(sc.cols, o.ColFeatures, p.ColShift, p.ColScale)
	standardise(sc.rows, o.RowFeatures, p.RowShift, p.RowScale)
	sc.g.Vars.Set(sc.cols)
	sc.g.Cons.Set(sc.rows)
	sc.out = sc.inf.ForwardTo(sc.out, &sc.g)
	return sc.out
}

// Choose returns the candidate column with the highest logit (the first
// on ties).
func (p *Policy) Choose(o milp.NodeBipartite) (int, error) {
	if len(o.Candidates) == 0 {
		return 0, errors.New("revibranch: no candidates")
	}
	return argmaxCand(p.logits(o), o.Candidates), nil
}

func argmaxCand(logits []float32, cands []int) int {
	best := cands[0]
	for _, j := range cands[1:] {
		if logits[j] > logits[best] {
			best = j
		}
	}
	return best
}

// Brancher returns a branching rule that follows the policy. One Brancher
// serves one search at a time (it keeps the search's observation state);
// make one per goroutine.
func (p *Policy) Brancher() *Brancher { return &Brancher{p: p} }

// Brancher is a bnb.Brancher that branches on the policy's choice.
type Brancher struct {
	p  *Policy
	so searchObserver
	sc scorer
}

var _ bnb.Brancher = (*Brancher)(nil)

// Select implements bnb.Brancher.
func (b *Brancher) Select(ctx context.Context, d *bnb.Decision) (int, error) {
	o, newSearch, err := b.so.observe(ctx, d)
	if err != nil {
		return 0, err
	}
	return argmaxCand(b.sc.logits(b.p, o, newSearch), o.Candidates), nil
}

// searchObserver extracts a brancher's observations, starting afresh at
// each new search.
type searchObserver struct {
	obs    milp.NodeBipartiteFunc
	search *bnb.Search
}

// observe returns the decision's observation and whether it is the first
// of a search; a decision without candidates is an error.
func (so *searchObserver) observe(ctx context.Context, d *bnb.Decision) (o milp.NodeBipartite, newSearch bool, err error) {
	if s := d.Search(); s != so.search {
		so.obs.Reset(s)
		so.search, newSearch = s, true
	}
	if o, err = so.obs.Extract(ctx, d); err == nil && len(o.Candidates) == 0 {
		err = errors.New("revibranch: no candidates")
	}
	return o, newSearch, err
}

// LoadBrancher reads a policy checkpoint and returns a branching rule
// following it, for bnb.Solve or bnb.Search.Run: the one call from a
// trained policy's file to a drop-in rule. Load the policy once with
// LoadPolicy to make several branchers (one per goroutine).
func LoadBrancher(path string) (*Brancher, error) {
	p, err := LoadPolicy(path, nil)
	if err != nil {
		return nil, err
	}
	return p.Brancher(), nil
}
