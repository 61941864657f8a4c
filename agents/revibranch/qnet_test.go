package revibranch

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/corl-go/corl/envs/milp"
	"github.com/corl-go/corl/nn"
)

// randomPathEpisode returns an episode whose steps form one root-to-leaf
// chain of n decisions on a random 6x4 graph, with random features.
func randomPathEpisode(rng *rand.Rand, n int) *Episode {
	g := &Graph{NumCols: 6, NumRows: 4}
	for r := range 4 {
		for c := range 6 {
			if rng.IntN(2) == 0 {
				g.EdgeRow, g.EdgeCol = append(g.EdgeRow, int32(r)), append(g.EdgeCol, int32(c))
				g.EdgeValue = append(g.EdgeValue, float32(rng.NormFloat64()))
			}
		}
	}
	ep := &Episode{Graph: g}
	for k := range n {
		ep.Steps = append(ep.Steps, randomStep(rng, g, int64(k), int64(k)-1))
	}
	return ep
}

func randomStep(rng *rand.Rand, g *Graph, node, parent int64) Step {
	s := Step{Node: node, Parent: parent, ColFeat: make([]float32, g.NumCols*milp.NumColFeatures), RowFeat: make([]float32, g.NumRows*milp.NumRowFeatures)}
	for i := range s.ColFeat {
		s.ColFeat[i] = float32(rng.NormFloat64())
	}
	for i := range s.RowFeat {
		s.RowFeat[i] = float32(rng.NormFloat64())
	}
	for c := range g.NumCols {
		if rng.IntN(2) == 0 || c == g.NumCols-1 && len(s.Candidates) == 0 {
			s.Candidates = append(s.Candidates, int32(c))
		}
	}
	s.Action = int32(rng.IntN(len(s.Candidates)))
	return s
}

func newTestQNet(t *testing.T, noHistory bool) *QNet {
	t.Helper()
	q, err := NewQNet(nn.CPU(), rand.New(rand.NewPCG(1, 1)), QConfig{Policy: DefaultPolicyConfig(8), NoHistory: noHistory}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return withContext(q, 1)
}

// withContext gives q's head random weights on the sequence model's
// output, as training does, so that tests of the history see it (a new
// network's are zero: see QNet.zeroContext).
func withContext(q *QNet, seed uint64) *QNet {
	rng := rand.New(rand.NewPCG(seed, 0x637478))
	d := q.Config.Policy.Dim
	w := q.Head.Layers[0].Weight
	v := w.Data()
	in := w.Dim(1)
	for i := range w.Dim(0) {
		for j := d; j < in; j++ {
			v[i*in+j] = float32(rng.Float64()*2-1) / float32(math.Sqrt(float64(in)))
		}
	}
	w.Set(v)
	return q
}

// A new Q-network's context does not move its values: with history and
// without, from the same draws, its Q-values are the same at every step
// of a path. From an imitation policy, every variant's Q-values are the
// policy's logits negated, so it branches where the policy does.
func TestQNetStartsAtItsInit(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	ep := randomPathEpisode(rng, 6)
	pol, err := NewPolicy(nn.CPU(), rand.New(rand.NewPCG(5, 5)), DefaultPolicyConfig(8))
	if err != nil {
		t.Fatal(err)
	}
	for _, init := range []*Policy{nil, pol} {
		var vals [2][][]float32
		for h, noHistory := range []bool{false, true} {
			q, err := NewQNet(nn.CPU(), rand.New(rand.NewPCG(1, 1)), QConfig{Policy: DefaultPolicyConfig(8), NoHistory: noHistory}, init)
			if err != nil {
				t.Fatal(err)
			}
			ch := newChooser(q)
			for _, s := range ep.Steps {
				o := observationOf(&Sample{Graph: ep.Graph, ColFeat: s.ColFeat, RowFeat: s.RowFeat, Candidates: s.Candidates})
				v := ch.values(s.Node, s.Parent, o)
				vals[h] = append(vals[h], v)
				ch.commit(int(s.Candidates[s.Action]))
				if init == nil {
					continue
				}
				logits := pol.logits(o)
				for i, j := range s.Candidates {
					if want := -logits[j]; math.Abs(float64(v[i]-want)) > 1e-4*math.Max(1, math.Abs(float64(want))) {
						t.Fatalf("noHistory %v, node %d, candidate %d: Q %v, the policy's negated logit %v", noHistory, s.Node, j, v[i], want)
					}
				}
			}
		}
		for k := range vals[0] {
			for i := range vals[0][k] {
				if vals[0][k][i] != vals[1][k][i] {
					t.Fatalf("init %v, step %d, candidate %d: Q %v with history, %v without", init != nil, k, i, vals[0][k][i], vals[1][k][i])
				}
			}
		}
	}
}

// pathQ returns the Q-values of every candidate of every step of the
// episode's single path, per step.
func pathQ(q *QNet, ep *Episode) [][]float32 {
	paths, err := Paths(ep)
	if err != nil {
		panic(err)
	}
	p := &paths[len(paths)-1] // the path through every step
	bt := q.makeQBatch([]*Path{p})
	sc := nn.NoGrad()
	defer sc.Release()
	all := q.forward(bt, sc).Data()
	out := make([][]float32, p.Len())
	for s := range out {
		out[s] = append([]float32(nil), all[bt.candStart[s]:bt.candStart[s+1]]...)
	}
	return out
}

// The sequence model is causal: a decision's Q-values do not change when
// the decisions after it on the path change (features, candidates,
// actions); with history they do change when earlier ones change.
func TestQNetIgnoresLaterSteps(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for _, noHistory := range []bool{false, true} {
		q := newTestQNet(t, noHistory)
		for trial := range 10 {
			n := 3 + rng.IntN(6)
			ep := randomPathEpisode(rng, n)
			before := pathQ(q, ep)
			at := rng.IntN(n - 1)
			for k := at + 1; k < n; k++ {
				ep.Steps[k] = randomStep(rng, ep.Graph, int64(k), int64(k)-1)
			}
			after := pathQ(q, ep)
			for k := 0; k <= at; k++ {
				for i := range before[k] {
					// Equal up to rounding: a batch of other sizes (more
					// candidates) may take its products in another order.
					if math.Abs(float64(before[k][i]-after[k][i])) > 1e-6*math.Max(1, math.Abs(float64(before[k][i]))) {
						t.Fatalf("noHistory %v, trial %d: Q at step %d changed (%v to %v) when steps after %d changed", noHistory, trial, k, before[k][i], after[k][i], at)
					}
				}
			}
			// Earlier steps: with history they matter, without they do not.
			if at == 0 {
				continue
			}
			ep.Steps[0] = randomStep(rng, ep.Graph, 0, -1)
			ep.Steps[1].Parent = 0
			changed := pathQ(q, ep)
			diff := 0.0
			for i := range changed[at] {
				diff = max(diff, math.Abs(float64(changed[at][i]-after[at][i])))
			}
			if differs := diff > 1e-6; differs == noHistory {
				t.Fatalf("noHistory %v, trial %d: changing the root changed Q at step %d by %g", noHistory, trial, at, diff)
			}
		}
	}
}

// The chooser, which branches in a search, computes what the training
// forward pass computes on the path of the same decisions.
func TestChooserMatchesTrainingForward(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	for _, noHistory := range []bool{false, true} {
		q := newTestQNet(t, noHistory)
		ep := randomPathEpisode(rng, 7)
		want := pathQ(q, ep)
		ch := newChooser(q)
		for k, s := range ep.Steps {
			o := observationOf(&Sample{Graph: ep.Graph, ColFeat: s.ColFeat, RowFeat: s.RowFeat, Candidates: s.Candidates})
			got := ch.values(s.Node, s.Parent, o)
			for i := range got {
				if math.Abs(float64(got[i]-want[k][i])) > 1e-4*math.Max(1, math.Abs(float64(want[k][i]))) {
					t.Fatalf("noHistory %v, step %d, candidate %d: chooser %v, training forward %v", noHistory, k, i, got[i], want[k][i])
				}
			}
			ch.commit(int(s.Candidates[s.Action]))
		}
	}
}

// randomFeatureTree is randomTree's tree with random features on a
// random graph, its steps in an order where parents come first.
func randomFeatureTree(rng *rand.Rand, n int) *Episode {
	ep := randomPathEpisode(rng, 0)
	tree, _ := randomTree(rng, n)
	for _, s := range tree.Steps {
		ep.Steps = append(ep.Steps, randomStep(rng, ep.Graph, s.Node, s.Parent))
	}
	return ep
}

// The chooser's cached sequence model gives the Q-values of a rerun over
// each decision's history, to 1e-6, on random trees whose decisions come
// in any parents-first order, with history and without, and past MaxLen
// (where it reruns over the last MaxLen).
func TestCachedChooserMatchesRerun(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 1))
	for _, c := range []QConfig{{}, {NoHistory: true}, {MaxLen: 3}} {
		c.Policy = DefaultPolicyConfig(8)
		q, err := NewQNet(nn.CPU(), rand.New(rand.NewPCG(1, 1)), c, nil)
		if err != nil {
			t.Fatal(err)
		}
		withContext(q, 1)
		for trial := range 10 {
			ep := randomFeatureTree(rng, 5+rng.IntN(30))
			if trial%3 == 0 {
				ep = randomPathEpisode(rng, 12) // deep
			}
			cached, rerun := newChooser(q), newChooser(q)
			rerun.noCache = true
			worst := 0.0
			for k, s := range ep.Steps {
				o := observationOf(&Sample{Graph: ep.Graph, ColFeat: s.ColFeat, RowFeat: s.RowFeat, Candidates: s.Candidates})
				got, want := cached.values(s.Node, s.Parent, o), rerun.values(s.Node, s.Parent, o)
				for i := range got {
					worst = max(worst, math.Abs(float64(got[i]-want[i])))
					if math.Abs(float64(got[i]-want[i])) > 1e-6 {
						t.Fatalf("%+v, trial %d, step %d (node %d), candidate %d: cached %v, rerun %v", c, trial, k, s.Node, i, got[i], want[i])
					}
				}
				cached.commit(int(s.Candidates[s.Action]))
				rerun.commit(int(s.Candidates[s.Action]))
			}
			if trial == 0 {
				t.Logf("%+v: largest difference %.2g", c, worst)
			}
		}
	}
}
