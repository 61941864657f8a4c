package muzero

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/corl-go/corl/envs/malloc"
	"github.com/corl-go/corl/nn"
	"github.com/corl-go/corl/nn/backendtest"
)

// featConfig is headConfig with the action features on the dynamics
// (3 candidates of 2 features at 3, 4 actions).
func featConfig(head string) NetConfig {
	c := headConfig()
	c.Head, c.ActionFeatures = head, true
	return c
}

// featObs: two observations of 9 values.
var featObs = []float32{9, 9, 9, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 8, 8, 8, -0.1, -0.2, -0.3, -0.4, -0.5, -0.6}

// dynRewardOracle is the reward logits of a one-layer dynamics written
// out in float64: u = [s, onehot(a), c_a] (c_a zero past the candidates
// or without observations), x = ReLU(LayerNorm(W u + b)), Wr x + br.
func dynRewardOracle(c NetConfig, s []float64, acts []int, obs []float32, p map[string][]float64) []float64 {
	l, h, sup := c.Cands, c.Hidden, 2*c.Support+1
	var out []float64
	for r, a := range acts {
		u := append([]float64(nil), s[r*c.Latent:(r+1)*c.Latent]...)
		for k := range c.Actions {
			u = append(u, map[bool]float64{true: 1, false: 0}[k == a])
		}
		for f := range l.Features {
			v := 0.0
			if obs != nil && a < l.N {
				v = float64(obs[r*c.Obs+l.At+a*l.Features+f])
			}
			u = append(u, v)
		}
		z := make([]float64, h)
		mean := 0.0
		for j := range h {
			z[j] = p["b"][j]
			for i := range u {
				z[j] += p["w"][j*len(u)+i] * u[i]
			}
			mean += z[j] / float64(h)
		}
		vr := 0.0
		for j := range h {
			vr += (z[j] - mean) * (z[j] - mean) / float64(h)
		}
		x := make([]float64, h)
		for j := range h {
			x[j] = max(0, (z[j]-mean)/math.Sqrt(vr+1e-5)*p["g"][j]+p["beta"][j])
		}
		for o := range sup {
			v := p["br"][o]
			for j := range h {
				v += p["wr"][o*h+j] * x[j]
			}
			out = append(out, v)
		}
	}
	return out
}

// TestActionFeaturesGradients: the dynamics' reward logits with the
// action's candidate features against the float64 oracle, and their
// gradients (dynamics weights, reward head, latent state) against central
// finite differences, from observed states and below the root.
func TestActionFeaturesGradients(t *testing.T) {
	c := featConfig("").WithDefaults()
	c.Support = 2
	acts := []int{1, 3} // a candidate, and the action past them (no features)
	for _, obs := range [][]float32{featObs, nil} {
		backendtest.Check(t, nn.CPU(), backendtest.Case{
			Name:   "dynamics with action features",
			Inputs: []backendtest.Input{{Shape: []int{2, c.Latent}}},
			Build: func(b nn.Backend, in []*nn.Tensor) (func() *nn.Tensor, []nn.Param) {
				n, err := NewNetwork(b, rand.New(rand.NewPCG(4, 2)), c)
				if err != nil {
					t.Fatal(err)
				}
				var o *nn.Tensor
				if obs != nil {
					o = nn.From(b, obs, 2, c.Obs)
				}
				ps := []nn.Param{{Name: "w", Value: n.dyn.lin[0].Weight}, {Name: "b", Value: n.dyn.lin[0].Bias},
					{Name: "g", Value: n.dyn.ln[0].Weight}, {Name: "beta", Value: n.dyn.ln[0].Bias},
					{Name: "wr", Value: n.rewardOut.Weight}, {Name: "br", Value: n.rewardOut.Bias}}
				return func() *nn.Tensor { _, r := n.Dynamics(in[0], acts, o); return r }, ps
			},
			Want: func(in [][]float64, p map[string][]float64) []float64 { return dynRewardOracle(c, in[0], acts, obs, p) },
		})
	}
}

// TestActionFeaturesLearned: the learned model gives the dynamics the
// root's candidate features for expansions of a root and zeros below,
// as the network called with autodiff does, bit for bit; a network
// without the option ignores the observation.
func TestActionFeaturesLearned(t *testing.T) {
	n, err := NewNetwork(nn.CPU(), rand.New(rand.NewPCG(4, 2)), featConfig(HeadCandidates))
	if err != nil {
		t.Fatal(err)
	}
	c := n.Config
	m := NewLearned(n)
	if err := m.SetRoots(featObs, make([]bool, 2*c.Actions)); err != nil {
		t.Fatal(err)
	}
	var got Eval
	got.Resize(2, c.Actions)
	if err := m.Root(context.Background(), &got); err != nil {
		t.Fatal(err)
	}
	obs := nn.From(nn.CPU(), featObs, 2, c.Obs)
	s := n.Represent(obs)
	// game 0 expands its root by candidate 2; game 1 its root by candidate 0
	got.Resize(2, c.Actions)
	if err := m.Recurrent(context.Background(), []Expansion{{Game: 0, Parent: 0, Action: 2, Node: 1}, {Game: 1, Parent: 0, Action: 0, Node: 1}}, &got); err != nil {
		t.Fatal(err)
	}
	s1, r := n.Dynamics(s, []int{2, 0}, obs)
	want := make([]float32, 2)
	n.Scalars(r, want)
	if got.Reward[0] != want[0] || got.Reward[1] != want[1] {
		t.Fatalf("root expansions: rewards %v, want %v", got.Reward[:2], want)
	}
	// node 1 of game 0 expanded by candidate 1: below the root, no features
	got.Resize(1, c.Actions)
	if err := m.Recurrent(context.Background(), []Expansion{{Game: 0, Parent: 1, Action: 1, Node: 2}}, &got); err != nil {
		t.Fatal(err)
	}
	_, r = n.Dynamics(nn.Slice(s1, 0, 0, 1), []int{1}, nil)
	n.Scalars(r, want[:1])
	if got.Reward[0] != want[0] {
		t.Fatalf("below the root: reward %v, want %v", got.Reward[0], want[0])
	}
	// the features matter: another observation changes the reward
	_, r2 := n.Dynamics(s, []int{2, 0}, nn.From(nn.CPU(), make([]float32, 2*c.Obs), 2, c.Obs))
	_, r1 := n.Dynamics(s, []int{2, 0}, obs)
	if same(r1.Data(), r2.Data()) {
		t.Error("the reward logits do not depend on the action's features")
	}
	plain, _ := NewNetwork(nn.CPU(), rand.New(rand.NewPCG(4, 2)), headConfig())
	sp := plain.Represent(obs)
	_, a := plain.Dynamics(sp, []int{2, 0}, obs)
	_, b := plain.Dynamics(sp, []int{2, 0}, nil)
	if !same(a.Data(), b.Data()) {
		t.Error("a network without action features reads the observation")
	}
}

func same(a, b []float32) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}

// TestActionFeaturesConfig: the option needs a candidate layout that
// fits (refused naming the field); the game's layout is filled in for it
// with either head; a checkpoint records it, and one written without it
// loads without it. The candidate layer's width is set for the candidate
// head only, and a linear-head checkpoint that records one (as written
// before) still loads.
func TestActionFeaturesConfig(t *testing.T) {
	for head, want := range map[string]int{HeadLinear: 0, HeadCandidates: 64} {
		c := featConfig(head)
		c.Cands.Hidden = 0
		if h := c.WithDefaults().Cands.Hidden; h != want {
			t.Errorf("head %s with action features: candidate width %d, want %d", head, h, want)
		}
	}
	old := mallocNet(NetConfig{Hidden: 16, Latent: 8, ActionFeatures: true})
	old.Cands.Hidden = 64
	on, err := NewNetwork(nn.CPU(), rand.New(rand.NewPCG(1, 2)), old)
	if err != nil {
		t.Fatal(err)
	}
	oldPath := filepath.Join(t.TempDir(), "old.safetensors")
	if err := nn.Save(oldPath, on.Params(), Arch, on.Config); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadNetwork(oldPath); err != nil {
		t.Errorf("a checkpoint recording the candidate width: %v", err)
	}

	c := featConfig("")
	c.Cands.At = 4
	var ce *ConfigError
	if err := c.Validate(); !errors.As(err, &ce) || ce.Field != "NetConfig.Cands.At" {
		t.Errorf("a layout past the observation: %v", err)
	}
	dir := t.TempDir()
	for _, on := range []bool{false, true} {
		cfg := mallocNet(NetConfig{Hidden: 16, Latent: 8, ActionFeatures: on})
		if on && (cfg.Cands.N != malloc.MaxCandidates || cfg.Cands.At != malloc.CandidatesAt) {
			t.Fatalf("layout %+v", cfg.Cands)
		}
		n, err := NewNetwork(nn.CPU(), rand.New(rand.NewPCG(1, 2)), cfg)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, map[bool]string{false: "off", true: "on"}[on]+".safetensors")
		if err := nn.Save(path, n.Params(), Arch, n.Config); err != nil {
			t.Fatal(err)
		}
		got, err := LoadNetwork(path)
		if err != nil {
			t.Fatal(err)
		}
		if got.Config.ActionFeatures != on {
			t.Errorf("action features %v load as %v", on, got.Config.ActionFeatures)
		}
	}
}
