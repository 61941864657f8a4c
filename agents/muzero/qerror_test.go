package muzero

import (
	"context"
	"flag"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/corl-go/corl/datasets"
	"github.com/corl-go/corl/envs/malloc"
	"github.com/corl-go/corl/nn"
)

// The root-Q diagnostic of RATIONALE's "Values relative to best fit"
// tables, for a trained network on a set of workloads:
//
//	go test ./agents/muzero -run TestRootQError -v -args -qerror.net RUN/policy.safetensors -qerror.set DIR -qerror.fraction 0.5
var (
	qerrNet  = flag.String("qerror.net", "", "TestRootQError: a muzero checkpoint (default: a fresh network)")
	qerrSet  = flag.String("qerror.set", "", "TestRootQError: a directory of allocation CSVs (default: 4 synthetic workloads)")
	qerrFrac = flag.Float64("qerror.fraction", 0.5, "TestRootQError: the capacity fraction of -qerror.set")
)

// rootQError sums, over the states met following best fit with two or
// more legal moves, the learned model's root Q(s, a) = r + v (plus B(s)
// for a network relative to best fit) against the truth, the move's
// reward plus the better of a best-fit and a first-fit rollout.
type rootQError struct {
	States, Actions int
	Abs, Centred    float64 // sums over the actions of |Q - Q_true|, each side less its mean over the state's moves
	Spread          float64 // sum over the states of the true Q's range
	Argmax          int     // states where the learned argmax is among the truly best moves
	PriorBestFit    int     // states where the prior's argmax is best fit's move
	PriorBest       int     // states where the prior's argmax is among the truly best moves
	Rare, RareHit   int     // states where best fit's move is not among the truly best; of those, where the prior's argmax is
}

func (q *rootQError) add(net *Network, in *malloc.Instance) error {
	ctx, A := context.Background(), malloc.NumActions
	g, err := malloc.New(in, malloc.Config{})
	if err != nil {
		return err
	}
	o, err := g.Reset(0)
	if err != nil {
		return err
	}
	for !g.Done() {
		legal, bf := g.Legal(), malloc.BestFit(g)
		if len(legal) >= 2 {
			var obs []float32
			var mask []bool
			for range legal {
				obs = appendFeatures(obs, o)
				mask = append(mask, o.Mask[:A]...)
			}
			m := NewLearned(net)
			if err := m.SetRoots(obs, mask); err != nil {
				return err
			}
			var root, ev Eval
			root.Resize(len(legal), A)
			if err := m.Root(ctx, &root); err != nil {
				return err
			}
			req := make([]Expansion, len(legal))
			for i, a := range legal {
				req[i] = Expansion{Game: int32(i), Parent: 0, Action: int32(a), Node: 1}
			}
			ev.Resize(len(legal), A)
			if err := m.Recurrent(ctx, req, &ev); err != nil {
				return err
			}
			b := float32(0)
			if net.relative() {
				if b, err = bestFitReturn(g); err != nil {
					return err
				}
			}
			ql, qt := make([]float64, len(legal)), make([]float64, len(legal))
			for i, a := range legal {
				ql[i] = float64(ev.Reward[i]) + float64(ev.Value[i]) + float64(b)
				c := g.Clone()
				st, err := c.Step(a)
				if err != nil {
					return err
				}
				r, v := BestFitRollout{FirstFit: true}, []float32{0}
				if err := r.Evaluate(ctx, []*malloc.Env{c}, nil, nil, v); err != nil {
					return err
				}
				qt[i] = st.Reward + float64(v[0])
			}
			ml, mt := meanOf(ql), meanOf(qt)
			lo, hi, il := math.Inf(1), math.Inf(-1), 0
			for i := range ql {
				q.Abs += math.Abs(ql[i] - qt[i])
				q.Centred += math.Abs((ql[i] - ml) - (qt[i] - mt))
				lo, hi = min(lo, qt[i]), max(hi, qt[i])
				if ql[i] > ql[il] {
					il = i
				}
			}
			if qt[il] >= hi-1e-9 {
				q.Argmax++
			}
			pa := legal[0]
			for _, a := range legal {
				if root.Logits[a] > root.Logits[pa] {
					pa = a
				}
			}
			if pa == bf {
				q.PriorBestFit++
			}
			for i, a := range legal {
				if a == pa && qt[i] >= hi-1e-9 {
					q.PriorBest++
				}
				if a == bf && qt[i] < hi-1e-9 {
					q.Rare++
					if pa != bf && qt[slices.Index(legal, pa)] >= hi-1e-9 {
						q.RareHit++
					}
				}
			}
			q.Spread += hi - lo
			q.States++
			q.Actions += len(legal)
		}
		st, err := g.Step(bf)
		if err != nil {
			return err
		}
		o = st.Obs
	}
	return nil
}

func meanOf(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// TestRootQError prints the root-Q diagnostic (see the flags above) and
// checks its bounds: the centred error is at most twice the uncentred one,
// and the counts at most the states.
func TestRootQError(t *testing.T) {
	var net *Network
	var err error
	if *qerrNet != "" {
		net, err = LoadNetwork(*qerrNet)
	} else {
		net, err = NewNetwork(nn.CPU(), rand.New(rand.NewPCG(1, 2)), mallocNet(NetConfig{Hidden: 16, Latent: 8, Baseline: BaselineBestFit}))
	}
	if err != nil {
		t.Fatal(err)
	}
	var insts []*malloc.Instance
	if *qerrSet != "" {
		files, err := datasets.AllocationFiles(*qerrSet)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			in, err := datasets.ReadAllocationCSV(f, *qerrFrac, malloc.DefaultModel)
			if err != nil {
				t.Fatal(err)
			}
			insts = append(insts, in)
		}
	} else if insts, err = SyntheticInstances(101, 4, 12, 0.5); err != nil {
		t.Fatal(err)
	}
	var q rootQError
	for _, in := range insts {
		if err := q.add(net, in); err != nil {
			t.Fatal(err)
		}
	}
	if q.States == 0 {
		t.Fatal("no state with two legal moves")
	}
	n := float64(q.Actions)
	t.Logf("states %d actions %d | mean |Q - Q_true| %.4f | centred %.4f | true spread %.4f | learned argmax among the true best %d/%d | prior = best fit %d/%d | prior among the true best %d/%d | best fit not among them %d, the prior is %d",
		q.States, q.Actions, q.Abs/n, q.Centred/n, q.Spread/float64(q.States), q.Argmax, q.States, q.PriorBestFit, q.States, q.PriorBest, q.States, q.Rare, q.RareHit)
	if q.Centred > 2*q.Abs+1e-9 || q.Argmax > q.States || q.PriorBestFit > q.States || q.PriorBest > q.States || q.RareHit > q.Rare || math.IsNaN(q.Abs) {
		t.Errorf("out of bounds: %+v", q)
	}
}
