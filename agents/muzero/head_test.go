package muzero

import (
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/corl-go/corl/envs/malloc"
	"github.com/corl-go/corl/nn"
	"github.com/corl-go/corl/nn/backendtest"
)

// headConfig: 3 candidates of 2 features at observation index 3 (of 9),
// and one more action (the slow memory of the game).
func headConfig() NetConfig {
	return NetConfig{Obs: 9, Actions: 4, Latent: 4, Hidden: 6, Layers: 1, Head: HeadCandidates,
		Cands: CandidateLayout{N: 3, Features: 2, At: 3, Hidden: 5}}
}

func headNet(t *testing.T, b nn.Backend) *Network {
	t.Helper()
	n, err := NewNetwork(b, rand.New(rand.NewPCG(4, 2)), headConfig())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// headOracle is the candidate head written out in float64 from its
// definition: logit_k = out . ReLU(Wx x + bx + Wc c_k) + bo for k < N,
// then the linear logits of the other actions.
func headOracle(c NetConfig, x, obs []float64, p map[string][]float64) []float64 {
	l, h := c.Cands, c.Hidden
	rows := len(x) / h
	var out []float64
	for r := range rows {
		xr := x[r*h : (r+1)*h]
		for k := range l.N {
			logit := p["bo"][0]
			for j := range l.Hidden {
				z := p["bx"][j]
				for i := range h {
					z += p["wx"][j*h+i] * xr[i]
				}
				if obs != nil {
					for f := range l.Features {
						z += p["wc"][j*l.Features+f] * obs[r*c.Obs+l.At+k*l.Features+f]
					}
				}
				logit += p["wo"][j] * max(z, 0)
			}
			out = append(out, logit)
		}
		for a := range c.Actions - l.N {
			v := p["bp"][a]
			for i := range h {
				v += p["wp"][a*h+i] * xr[i]
			}
			out = append(out, v)
		}
	}
	return out
}

func headParams(n *Network) []nn.Param {
	return []nn.Param{{Name: "wx", Value: n.fromX.Weight}, {Name: "bx", Value: n.fromX.Bias}, {Name: "wc", Value: n.fromC.Weight},
		{Name: "wo", Value: n.scoreOut.Weight}, {Name: "bo", Value: n.scoreOut.Bias}, {Name: "wp", Value: n.policy.Weight}, {Name: "bp", Value: n.policy.Bias}}
}

// TestCandidateHeadGradients: the candidate head's logits against the
// float64 oracle, and its gradients (weights, hidden layer, candidate
// features) against central finite differences, with and without
// candidate features.
func TestCandidateHeadGradients(t *testing.T) {
	c := headConfig()
	backendtest.Check(t, nn.CPU(), backendtest.Case{
		Name:   "candidate head",
		Inputs: []backendtest.Input{{Shape: []int{2, c.Hidden}}, {Shape: []int{2, c.Obs}}},
		Build: func(b nn.Backend, in []*nn.Tensor) (func() *nn.Tensor, []nn.Param) {
			n := headNet(t, b)
			return func() *nn.Tensor { return n.scoreCandidates(in[0], in[1]) }, headParams(n)
		},
		Want: func(in [][]float64, p map[string][]float64) []float64 { return headOracle(c, in[0], in[1], p) },
	})
	backendtest.Check(t, nn.CPU(), backendtest.Case{
		Name:   "candidate head below the root",
		Inputs: []backendtest.Input{{Shape: []int{3, c.Hidden}}},
		Build: func(b nn.Backend, in []*nn.Tensor) (func() *nn.Tensor, []nn.Param) {
			n := headNet(t, b)
			return func() *nn.Tensor { return n.scoreCandidates(in[0], nil) }, headParams(n)
		},
		Want: func(in [][]float64, p map[string][]float64) []float64 { return headOracle(c, in[0], nil, p) },
	})
}

func randomRows(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(2*rng.Float64() - 1)
	}
	return v
}

// TestCandidateHeadEquivariant: for a fixed latent state, permuting the
// candidates' feature rows permutes their logits the same way and leaves
// the other actions' logits and the value as they were.
func TestCandidateHeadEquivariant(t *testing.T) {
	n := headNet(t, nn.CPU())
	c, l := n.Config, n.Config.Cands
	rng := rand.New(rand.NewPCG(8, 8))
	for trial := range 20 {
		s := nn.From(nn.CPU(), randomRows(rng, c.Latent), 1, c.Latent)
		obs := randomRows(rng, c.Obs)
		perm := rng.Perm(l.N)
		pobs := append([]float32(nil), obs...)
		for k, from := range perm { // candidate k of pobs is candidate perm[k] of obs
			copy(pobs[l.At+k*l.Features:l.At+(k+1)*l.Features], obs[l.At+from*l.Features:l.At+(from+1)*l.Features])
		}
		p, v := n.Predict(s, nn.From(nn.CPU(), obs, 1, c.Obs))
		pp, pv := n.Predict(s, nn.From(nn.CPU(), pobs, 1, c.Obs))
		want, got := p.Data(), pp.Data()
		for k, from := range perm {
			if math.Abs(float64(got[k]-want[from])) > 1e-6 {
				t.Fatalf("trial %d, permutation %v: logit %d is %v, want candidate %d's %v", trial, perm, k, got[k], from, want[from])
			}
		}
		for a := l.N; a < c.Actions; a++ {
			if got[a] != want[a] {
				t.Fatalf("trial %d: action %d (no candidate) moved from %v to %v", trial, a, want[a], got[a])
			}
		}
		for i, x := range v.Data() {
			if pv.Data()[i] != x {
				t.Fatalf("trial %d: the value moved", trial)
			}
		}
	}
}

// TestCandidateHeadMasked: a candidate's logit depends on its own
// features only, so what fills the masked (padded) candidates changes no
// legal logit; the search gives the masked actions no target and never
// plays them; below the root every candidate gets the same logit.
func TestCandidateHeadMasked(t *testing.T) {
	n := headNet(t, nn.CPU())
	c, l := n.Config, n.Config.Cands
	rng := rand.New(rand.NewPCG(3, 9))
	s := nn.From(nn.CPU(), randomRows(rng, c.Latent), 1, c.Latent)
	obs := randomRows(rng, c.Obs)
	junk := append([]float32(nil), obs...)
	for i := l.At + 1*l.Features; i < l.At+l.N*l.Features; i++ { // candidates 1 and 2 masked
		junk[i] = 100 * float32(rng.NormFloat64())
	}
	p, _ := n.Predict(s, nn.From(nn.CPU(), obs, 1, c.Obs))
	pj, _ := n.Predict(s, nn.From(nn.CPU(), junk, 1, c.Obs))
	for _, a := range []int{0, 3} {
		if p.Data()[a] != pj.Data()[a] {
			t.Errorf("legal action %d: logit %v, %v with other padding", a, p.Data()[a], pj.Data()[a])
		}
	}
	below, _ := n.Predict(s, nil)
	for k := 1; k < l.N; k++ {
		if below.Data()[k] != below.Data()[0] {
			t.Errorf("below the root, candidate %d's logit %v differs from candidate 0's %v", k, below.Data()[k], below.Data()[0])
		}
	}

	m := NewLearned(n)
	legal := []bool{true, false, false, true, false, true, true, false}
	if err := m.SetRoots(append(junk, obs...), legal); err != nil {
		t.Fatal(err)
	}
	searchLegal(t, m, legal, 2, c.Actions, 8)
}

// TestCheckpointRecordsHead: a game-sized network saves and loads with
// its head (a checkpoint without one is the linear head, as before the
// candidate head existed) and gives the same logits; a candidate layout
// that is not the game's is refused.
func TestCheckpointRecordsHead(t *testing.T) {
	dir := t.TempDir()
	obs := make([]float32, malloc.ObsSize)
	for i := range obs {
		obs[i] = float32(i%5) / 5
	}
	for _, head := range []string{"", HeadCandidates} {
		cfg := mallocNet(NetConfig{Latent: 8, Hidden: 16, Head: head})
		n, err := NewNetwork(nn.CPU(), rand.New(rand.NewPCG(1, 2)), cfg)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, "head"+head+".safetensors")
		if err := nn.Save(path, n.Params(), Arch, n.Config); err != nil {
			t.Fatal(err)
		}
		got, err := LoadNetwork(path)
		if err != nil {
			t.Fatal(err)
		}
		if got.Config.Head != head || (head == "") != (got.fromX == nil) {
			t.Errorf("head %q loads as %q", head, got.Config.Head)
		}
		x := nn.From(nn.CPU(), obs, 1, malloc.ObsSize)
		want, _ := n.Predict(n.Represent(x), x)
		have, _ := got.Predict(got.Represent(x), x)
		for i, v := range want.Data() {
			if have.Data()[i] != v {
				t.Fatalf("head %q: logit %d is %v after loading, %v before", head, i, have.Data()[i], v)
			}
		}
	}
	cfg := mallocNet(NetConfig{Latent: 8, Hidden: 16, Head: HeadCandidates})
	cfg.Cands.At--
	n, err := NewNetwork(nn.CPU(), rand.New(rand.NewPCG(1, 2)), cfg)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "shifted.safetensors")
	if err := nn.Save(path, n.Params(), Arch, n.Config); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadNetwork(path); !errors.Is(err, ErrCheckpoint) {
		t.Errorf("a candidate layout not the game's: %v", err)
	}
}

// TestCandidateHeadConfig: layouts that do not fit the observation or the
// actions are refused, naming the field.
func TestCandidateHeadConfig(t *testing.T) {
	for field, mod := range map[string]func(*NetConfig){
		"NetConfig.Head":           func(c *NetConfig) { c.Head = "attention" },
		"NetConfig.Cands.N":        func(c *NetConfig) { c.Cands.N = 5 },
		"NetConfig.Cands.Features": func(c *NetConfig) { c.Cands.Features = 0 },
		"NetConfig.Cands.At":       func(c *NetConfig) { c.Cands.At = 4 },
	} {
		c := headConfig()
		mod(&c)
		var ce *ConfigError
		if err := c.Validate(); !errors.As(err, &ce) || ce.Field != field {
			t.Errorf("%s: %v", field, err)
		}
	}
}
