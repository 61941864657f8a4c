package revibranch

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/corl-go/corl/agents/train"
	"github.com/corl-go/corl/envs/milp"
	"github.com/corl-go/corl/nn"
	"github.com/corl-go/corl/solver/bnb"
)

// QArch is the architecture name Q-network checkpoints record.
const QArch = "corl.milp.revibranch"

// QConfig describes a Q-network: its GCNN state encoder (and the
// observation it reads) and the sequence model over a path.
type QConfig struct {
	Policy PolicyConfig `json:"policy"`
	// SeqDim is the sequence model's width (0: Policy.Dim); Heads and
	// Layers its attention heads and blocks (0: 2 and 1); MaxLen the
	// longest history it sees (0: 256 decisions; deeper nodes see the
	// last MaxLen).
	SeqDim int `json:"seq_dim"`
	Heads  int `json:"heads"`
	Layers int `json:"layers"`
	MaxLen int `json:"max_len"`
	// NoHistory feeds each decision to the sequence model alone, without
	// the path before it (the ablation "state alone").
	NoHistory bool `json:"no_history"`
}

func (c QConfig) withDefaults() QConfig {
	train.Default(&c.SeqDim, c.Policy.Dim)
	train.Default(&c.Heads, 2)
	train.Default(&c.Layers, 1)
	train.Default(&c.MaxLen, 256)
	return c
}

// Validate checks the config against this build's observation.
func (c QConfig) Validate() error {
	if err := c.Policy.Validate(); err != nil {
		return err
	}
	if c.SeqDim < 0 || c.Heads < 0 || c.Layers < 0 || c.MaxLen < 0 || c.SeqDim > 4096 || c.MaxLen > 65536 {
		return fmt.Errorf("sequence sizes out of range (seq_dim %d, heads %d, layers %d, max_len %d)", c.SeqDim, c.Heads, c.Layers, c.MaxLen)
	}
	return c.seqConfig().Validate()
}

func (c QConfig) seqConfig() nn.SequenceConfig {
	d := c.withDefaults()
	return nn.SequenceConfig{In: 2 * d.Policy.Dim, Dim: d.SeqDim, Heads: d.Heads, Layers: d.Layers, MaxLen: d.MaxLen}
}

// QNet estimates, for each candidate of a decision on a path, the cost
// of branching on it: the decision's own return under the run's Reward,
// log(1 + its subtree's size) + log(1 + its subtree's LP iterations) by
// default (see PathRewards). The GCNN (without its output layer)
// embeds the node's columns; a decision's token is the mean column
// embedding (the state's summary) next to the embedding of the column
// branched on at the parent (zero at the root), and the causal sequence
// model over the tokens of the path, root first, gives the decision's
// context; an MLP maps each candidate's embedding and the context to its
// Q-value. The output at a decision sees only the decisions before it,
// which are the node's ancestors, so it does not depend on the path the
// node is seen on.
type QNet struct {
	Config QConfig
	Enc    *Policy // the GCNN's layers but its head, and the input standardisation
	Seq    *nn.SequenceModel
	Head   *nn.MLP
	be     nn.Backend
}

// NewQNet returns a Q-network with random weights; with init, it starts
// at that imitation policy's play: its encoder is the policy's GCNN and
// standardisation, and its head's candidate part the policy's logit
// layers negated (the config's Policy must then be init's). Either way
// the head's weights on the sequence model's output start at zero, so a
// new network's Q-values do not depend on the history (see zeroContext).
func NewQNet(be nn.Backend, rng *rand.Rand, c QConfig, init *Policy) (*QNet, error) {
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("revibranch: %w", err)
	}
	c = c.withDefaults()
	enc, err := NewPolicy(be, rng, c.Policy)
	if err != nil {
		return nil, err
	}
	seq, err := nn.NewSequenceModel(be, rng, c.seqConfig())
	if err != nil {
		return nil, err
	}
	d := c.Policy.Dim
	head, err := nn.NewMLP(be, rng, nn.MLPConfig{Sizes: []int{d + c.SeqDim, d, 1}})
	if err != nil {
		return nil, err
	}
	q := &QNet{Config: c, Enc: enc, Seq: seq, Head: head, be: be}
	if init != nil {
		if init.Config != c.Policy {
			return nil, fmt.Errorf("revibranch: the initial policy's config %+v differs from the Q-network's %+v", init.Config, c.Policy)
		}
		copyParams(enc.Params(), init.Params())
		enc.ColShift, enc.ColScale = slices.Clone(init.ColShift), slices.Clone(init.ColScale)
		enc.RowShift, enc.RowScale = slices.Clone(init.RowShift), slices.Clone(init.RowScale)
		q.headFromPolicy(init)
	}
	q.zeroContext()
	return q, nil
}

// zeroContext sets the head's weights on the sequence model's output to
// zero, so that the context adds to a Q-value only what training gives
// it: a new network plays as its candidate part alone, with history or
// without, and the sequence path grows from there as a residual.
// Gradients still reach those weights (their inputs are not zero), and
// through them the sequence model once they move.
func (q *QNet) zeroContext() {
	d := q.Config.Policy.Dim
	w := q.Head.Layers[0].Weight
	v := w.Data()
	in := w.Dim(1)
	for i := range w.Dim(0) {
		clear(v[i*in+d : (i+1)*in])
	}
	w.Set(v)
}

// headFromPolicy makes the head's candidate part the imitation policy's
// logit layers, negated: Q = -logit, so the lowest Q-value is the
// policy's choice and a network initialised from it starts at its play.
// The policy's head and the Q-network's hidden layer have the same
// width (Policy.Dim).
func (q *QNet) headFromPolicy(p *Policy) {
	d := q.Config.Policy.Dim
	src, dst := p.Net.Head.Layers, q.Head.Layers
	w0, sw0 := dst[0].Weight.Data(), src[0].Weight.Data()
	in := dst[0].Weight.Dim(1)
	for i := range d {
		copy(w0[i*in:i*in+d], sw0[i*d:(i+1)*d])
	}
	dst[0].Weight.Set(w0)
	dst[0].Bias.Set(src[0].Bias.Data())
	neg := func(x []float32) []float32 {
		out := make([]float32, len(x))
		for i, v := range x {
			out[i] = -v
		}
		return out
	}
	dst[1].Weight.Set(neg(src[1].Weight.Data()))
	dst[1].Bias.Set(neg(src[1].Bias.Data()))
}

func copyParams(dst, src []nn.Param) {
	for i := range dst {
		dst[i].Value.Set(src[i].Value.Data())
	}
}

// Params are the trainable parameters: the encoder's ("enc."), the
// sequence model's ("seq.") and the head's ("head.").
func (q *QNet) Params() []nn.Param {
	var ps []nn.Param
	for _, p := range q.Enc.Net.Params() {
		if !strings.HasPrefix(p.Name, "head.") { // the imitation logit layer is not used
			ps = append(ps, nn.Param{Name: "enc." + p.Name, Value: p.Value})
		}
	}
	for _, p := range q.Seq.Params() {
		ps = append(ps, nn.Param{Name: "seq." + p.Name, Value: p.Value})
	}
	for _, p := range q.Head.Params() {
		ps = append(ps, nn.Param{Name: "head." + p.Name, Value: p.Value})
	}
	return ps
}

// allParams adds the standardisation vectors, which checkpoints hold too.
func (q *QNet) allParams() []nn.Param {
	all := q.Enc.allParams()
	return append(q.Params(), all[len(all)-4:]...)
}

// CopyFrom sets q's weights and standardisation to o's (same config).
func (q *QNet) CopyFrom(o *QNet) {
	copyParams(q.Params(), o.Params())
	e, f := q.Enc, o.Enc
	e.ColShift, e.ColScale = slices.Clone(f.ColShift), slices.Clone(f.ColScale)
	e.RowShift, e.RowScale = slices.Clone(f.RowShift), slices.Clone(f.RowScale)
}

// Save writes the Q-network as a safetensors checkpoint (atomically).
func (q *QNet) Save(path string) error { return nn.Save(path, q.allParams(), QArch, q.Config) }

// LoadQNet reads a Q-network checkpoint onto backend be (nil: the CPU
// backend). A checkpoint of another architecture, or for another
// observation, is refused with an error naming the file and the mismatch.
func LoadQNet(path string, be nn.Backend) (*QNet, error) {
	ck, err := nn.ReadCheckpoint(path)
	if err != nil {
		return nil, err
	}
	if be == nil {
		be = nn.CPU()
	}
	if ck.Arch() != QArch {
		return nil, &nn.CheckpointError{File: ck.File, Field: nn.MetaArch,
			Err: fmt.Errorf("%w: architecture %q, a ReviBranch Q-network is %q", nn.ErrMismatch, ck.Arch(), QArch)}
	}
	var c QConfig
	if err := ck.Config(&c); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, &nn.CheckpointError{File: ck.File, Field: nn.MetaConfig, Err: fmt.Errorf("%w: %v", nn.ErrMismatch, err)}
	}
	q, err := NewQNet(be, rand.New(rand.NewPCG(0, 0)), c, nil)
	if err != nil {
		return nil, err
	}
	ps := q.allParams()
	if err := ck.LoadInto(ps); err != nil {
		return nil, err
	}
	q.Enc.readNorm(ps)
	return q, nil
}

// embed returns the GCNN's column embeddings [cols, dim] (its layers up
// to the last convolution).
func (q *QNet) embed(g *nn.Bipartite) *nn.Tensor {
	n := q.Enc.Net
	v := n.VarEmb.Forward(g.Vars)
	c := n.ConsEmb.Forward(g.Cons)
	c = n.ToCons.Forward(v, c, g.Edges, g.VarIdx, g.ConsIdx)
	return n.ToVars.Forward(c, v, g.Edges, g.ConsIdx, g.VarIdx)
}

// qBatch is a batch of paths in tensor form: every step of every path as
// one graph of a disjoint union, and the index maps the forward pass needs.
type qBatch struct {
	graph     *nn.Bipartite
	colState  *nn.Index  // [cols] the state of each column
	invCols   *nn.Tensor // [S, 1] 1/columns of each state
	action    *nn.Index  // [S] global column branched on at each state
	prev      *nn.Index  // [S] the previous state on its path, S at a path's start
	pad       *nn.Index  // [B*T] state at each padded position, S for padding
	unpad     *nn.Index  // [S] padded position of each state
	candCol   *nn.Index  // [K] global column of each candidate
	candState *nn.Index  // [K] its state
	candStart []int      // [S+1] each state's candidates in the K axis
	chosen    []int      // [S] the action's index in the K axis
	paths     [][]int    // each path's states
	b, t      int
}

// makeQBatch lays out the steps of the paths (each truncated to MaxLen).
func (q *QNet) makeQBatch(paths []*Path) *qBatch {
	maxLen := q.Config.withDefaults().MaxLen
	var nc, nr, ne, ns, nk, tmax int
	for _, p := range paths {
		n := min(p.Len(), maxLen)
		tmax = max(tmax, n)
		g := p.Episode.Graph
		for k := range n {
			nc += g.NumCols
			nr += g.NumRows
			ne += len(g.EdgeRow)
			nk += len(p.Step(k).Candidates)
		}
		ns += n
	}
	cf, rf := q.Config.Policy.ColFeatures, q.Config.Policy.RowFeatures
	cols, rows, edges := make([]float32, nc*cf), make([]float32, nr*rf), make([]float32, ne)
	eRow, eCol := make([]int32, ne), make([]int32, ne)
	colState, inv := make([]int32, nc), make([]float32, ns)
	action, prev := make([]int32, ns), make([]int32, ns)
	pad, unpad := make([]int32, len(paths)*tmax), make([]int32, ns)
	candCol, candState := make([]int32, 0, nk), make([]int32, 0, nk)
	bt := &qBatch{candStart: make([]int, 0, ns+1), chosen: make([]int, ns), b: len(paths), t: tmax}
	var oc, or, oe, s int
	for b, p := range paths {
		g := p.Episode.Graph
		n := min(p.Len(), maxLen)
		var states []int
		for k := range n {
			st := p.Step(k)
			standardise(cols[oc*cf:], st.ColFeat, q.Enc.ColShift, q.Enc.ColScale)
			standardise(rows[or*rf:], st.RowFeat, q.Enc.RowShift, q.Enc.RowScale)
			copy(edges[oe:], g.EdgeValue)
			for e := range g.EdgeRow {
				eRow[oe+e] = g.EdgeRow[e] + int32(or)
				eCol[oe+e] = g.EdgeCol[e] + int32(oc)
			}
			for j := range g.NumCols {
				colState[oc+j] = int32(s)
			}
			inv[s] = 1 / float32(max(g.NumCols, 1))
			action[s] = int32(oc) + st.Candidates[st.Action]
			prev[s] = int32(s - 1)
			if k == 0 || q.Config.NoHistory {
				prev[s] = -1 // set to S below
			}
			pad[b*tmax+k] = int32(s)
			unpad[s] = int32(b*tmax + k)
			bt.candStart = append(bt.candStart, len(candCol))
			bt.chosen[s] = len(candCol) + int(st.Action)
			for _, c := range st.Candidates {
				candCol = append(candCol, int32(oc)+c)
				candState = append(candState, int32(s))
			}
			states = append(states, s)
			oc, or, oe, s = oc+g.NumCols, or+g.NumRows, oe+len(g.EdgeRow), s+1
		}
		for k := n; k < tmax; k++ {
			pad[b*tmax+k] = int32(ns)
		}
		bt.paths = append(bt.paths, states)
	}
	bt.candStart = append(bt.candStart, len(candCol))
	for i := range prev {
		if prev[i] < 0 {
			prev[i] = int32(ns)
		}
	}
	be := q.be
	bt.graph = &nn.Bipartite{
		Vars: nn.From(be, cols, nc, cf), Cons: nn.From(be, rows, nr, rf), Edges: nn.From(be, edges, ne, 1),
		ConsIdx: nn.NewIndex(be, eRow), VarIdx: nn.NewIndex(be, eCol),
	}
	bt.colState, bt.invCols = nn.NewIndex(be, colState), nn.From(be, inv, ns, 1)
	bt.action, bt.prev = nn.NewIndex(be, action), nn.NewIndex(be, prev)
	bt.pad, bt.unpad = nn.NewIndex(be, pad), nn.NewIndex(be, unpad)
	bt.candCol, bt.candState = nn.NewIndex(be, candCol), nn.NewIndex(be, candState)
	return bt
}

// forward returns the Q-value of every candidate of every state of the
// batch, [K]. sc marks the inputs (a NoGrad scope for targets).
func (q *QNet) forward(bt *qBatch, sc *nn.Scope) *nn.Tensor {
	g := sc.InGraph(bt.graph)
	v := q.embed(g) // [cols, d]
	ns := bt.invCols.Dim(0)
	d := q.Config.Policy.Dim
	summary := nn.Mul(nn.ScatterAdd(v, bt.colState, ns), sc.In(bt.invCols)) // [S, d]
	act := nn.Gather(v, bt.action)                                          // [S, d]
	zero := sc.In(nn.New(q.be, 1, d))
	prevAct := nn.Gather(nn.Concat(0, act, zero), bt.prev)
	tokens := nn.Concat(1, summary, prevAct) // [S, 2d]
	var ctx *nn.Tensor
	if q.Config.NoHistory {
		ctx = nn.Reshape(q.Seq.Forward(nn.Reshape(tokens, ns, 1, 2*d)), ns, -1)
	} else {
		padded := nn.Gather(nn.Concat(0, tokens, sc.In(nn.New(q.be, 1, 2*d))), bt.pad)
		out := q.Seq.Forward(nn.Reshape(padded, bt.b, bt.t, 2*d))
		ctx = nn.Gather(nn.Reshape(out, bt.b*bt.t, -1), bt.unpad)
	}
	in := nn.Concat(1, nn.Gather(v, bt.candCol), nn.Gather(ctx, bt.candState))
	return nn.Reshape(q.Head.Forward(in), -1)
}

// nodeToken is what a decision leaves for its descendants' histories:
// its token's parts and the sequence model's cache of the path up to it.
type nodeToken struct {
	parent          int64
	summary, action []float32
	cache           *nn.SequenceCache // nil when it was not cached
}

// chooser evaluates a Q-network at the decisions of one search, keeping
// each decision's token for the histories of the nodes below it. With
// history, a decision extends its parent's sequence cache by its own
// token (nn.SequenceModel.Extend), so its cost does not grow with its
// depth but for the attention over the ancestors' keys; past MaxLen, or
// with noCache, the sequence model reruns over the whole history.
type chooser struct {
	q       *QNet
	tokens  map[int64]nodeToken
	noCache bool
	// the last evaluation, until commit
	node, parent int64
	summary      []float32
	v            []float32 // column embeddings [cols, d]
	cache        *nn.SequenceCache
}

func newChooser(q *QNet) *chooser { return &chooser{q: q, tokens: map[int64]nodeToken{}} }

// values returns the Q-value of each candidate of o at node (whose parent
// is parent), in the order of o.Candidates.
func (c *chooser) values(node, parent int64, o milp.NodeBipartite) []float32 {
	q := c.q
	sc := nn.NoGrad()
	defer sc.Release()
	e := graphOf(o)
	cf, rf := q.Config.Policy.ColFeatures, q.Config.Policy.RowFeatures
	nc, nr := o.NumCols(), o.NumRows()
	cols, rows := make([]float32, nc*cf), make([]float32, nr*rf)
	standardise(cols, o.ColFeatures, q.Enc.ColShift, q.Enc.ColScale)
	standardise(rows, o.RowFeatures, q.Enc.RowShift, q.Enc.RowScale)
	g := &nn.Bipartite{Vars: nn.From(q.be, cols, nc, cf), Cons: nn.From(q.be, rows, nr, rf), Edges: nn.From(q.be, e.EdgeValue, len(e.EdgeValue), 1),
		ConsIdx: nn.NewIndex(q.be, e.EdgeRow), VarIdx: nn.NewIndex(q.be, e.EdgeCol)}
	v := q.embed(sc.InGraph(g))
	c.v = v.Data()
	c.summary = nn.Scale(nn.SumAxis(v, 0), 1/float32(max(nc, 1))).Data()
	c.node, c.parent, c.cache = node, parent, nil
	ctx := c.context(parent, sc)
	cand := make([]int32, len(o.Candidates))
	zeros := make([]int32, len(o.Candidates))
	for i, j := range o.Candidates {
		cand[i] = int32(j)
	}
	in := nn.Concat(1, nn.Gather(v, nn.NewIndex(q.be, cand)), nn.Gather(ctx, nn.NewIndex(q.be, zeros)))
	return nn.Reshape(q.Head.Forward(in), -1).Data()
}

// context returns the sequence model's output [1, SeqDim] at the
// decision whose summary c.summary holds, below parent: from the parent's
// cache when it has one (c.cache is then the decision's own), else by a
// run over the history.
func (c *chooser) context(parent int64, sc *nn.Scope) *nn.Tensor {
	q := c.q
	d := q.Config.Policy.Dim
	if q.Config.NoHistory {
		out, _ := q.Seq.Extend(nil, append(slices.Clone(c.summary), make([]float32, d)...))
		return sc.In(nn.From(q.be, out, 1, len(out)))
	}
	pt, ok := c.tokens[parent]
	if !c.noCache && (!ok || pt.cache != nil) && pt.cache.Len() < q.Config.withDefaults().MaxLen {
		action := pt.action
		if !ok {
			action = make([]float32, d) // the root, or a node whose parent was not seen
		}
		out, cache := q.Seq.Extend(pt.cache, append(slices.Clone(c.summary), action...))
		c.cache = cache
		return sc.In(nn.From(q.be, out, 1, len(out)))
	}
	return c.rerun(parent, sc)
}

// rerun runs the sequence model over the decision's history, its
// ancestors' tokens root first (the last MaxLen), and returns its output
// at the decision.
func (c *chooser) rerun(parent int64, sc *nn.Scope) *nn.Tensor {
	q := c.q
	d := q.Config.Policy.Dim
	var chain []nodeToken
	for p := parent; ; {
		t, ok := c.tokens[p]
		if !ok {
			break
		}
		chain = append(chain, t)
		p = t.parent
	}
	slices.Reverse(chain)
	chain = append(chain, nodeToken{parent: parent, summary: c.summary})
	if maxLen := q.Config.withDefaults().MaxLen; len(chain) > maxLen {
		chain = chain[len(chain)-maxLen:]
	}
	seq := make([]float32, 0, len(chain)*2*d)
	zero := make([]float32, d)
	for i, t := range chain {
		seq = append(seq, t.summary...)
		if i > 0 {
			seq = append(seq, chain[i-1].action...)
		} else if pt, ok := c.tokens[t.parent]; ok {
			seq = append(seq, pt.action...) // a history cut to MaxLen starts after a parent's action
		} else {
			seq = append(seq, zero...) // the root has no parent action
		}
	}
	out := q.Seq.Forward(sc.In(nn.From(q.be, seq, 1, len(chain), 2*d)))
	return nn.Slice(nn.Reshape(out, len(chain), -1), 0, len(chain)-1, len(chain))
}

// commit records that the last evaluated decision branched on column col.
func (c *chooser) commit(col int) {
	d := c.q.Config.Policy.Dim
	c.tokens[c.node] = nodeToken{parent: c.parent, summary: c.summary, action: slices.Clone(c.v[col*d : (col+1)*d]), cache: c.cache}
}

// argmin returns the index of the lowest value (the first on ties).
func argmin(v []float32) int {
	best := 0
	for i, x := range v {
		if x < v[best] {
			best = i
		}
	}
	return best
}

// Brancher returns a branching rule that branches on the candidate of
// lowest Q-value. One Brancher serves one search at a time; make one per
// goroutine.
func (q *QNet) Brancher() *QBrancher { return &QBrancher{q: q} }

// QBrancher is a bnb.Brancher following a Q-network.
type QBrancher struct {
	q       *QNet
	so      searchObserver
	ch      *chooser
	noCache bool // tests: rerun the sequence model at every decision
}

var _ bnb.Brancher = (*QBrancher)(nil)

// Select implements bnb.Brancher.
func (b *QBrancher) Select(ctx context.Context, d *bnb.Decision) (int, error) {
	o, newSearch, err := b.so.observe(ctx, d)
	if err != nil {
		return 0, err
	}
	if newSearch {
		b.ch = newChooser(b.q)
		b.ch.noCache = b.noCache
	}
	col := o.Candidates[argmin(b.ch.values(d.Node.ID, d.Node.ParentID, o))]
	b.ch.commit(col)
	return col, nil
}
