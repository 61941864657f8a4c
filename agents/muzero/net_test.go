package muzero

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/corl-go/corl/nn"
)

func testNet(t *testing.T) *Network {
	t.Helper()
	n, err := NewNetwork(nn.CPU(), rand.New(rand.NewPCG(1, 1)), NetConfig{Obs: 5, Actions: 3, Latent: 8, Hidden: 16})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestTargetsRoundTrip: decoding the two-hot target of a value gives the
// value back, through h, the support and h^-1.
func TestTargetsRoundTrip(t *testing.T) {
	n := testNet(t)
	vals := []float32{0, 0.013, 0.25, 0.5, 0.99, 1, -0.3}
	tg := n.Targets(vals).Data()
	// logits = log(target) make softmax(logits) = target
	lg := make([]float32, len(tg))
	for i, p := range tg {
		lg[i] = float32(math.Log(max(float64(p), 1e-30)))
	}
	got := make([]float32, len(vals))
	n.Scalars(nn.From(nn.CPU(), lg, len(vals), 2*n.Config.Support+1), got)
	for i := range vals {
		if math.Abs(float64(got[i]-vals[i])) > 1e-4 {
			t.Errorf("value %v decodes to %v", vals[i], got[i])
		}
	}
}

// TestLatentScaled: h and g give states in [0, 1] with 0 and 1 reached.
func TestLatentScaled(t *testing.T) {
	n := testNet(t)
	obs := make([]float32, 4*5)
	for i := range obs {
		obs[i] = float32(i%7) - 3
	}
	s := n.Represent(nn.From(nn.CPU(), obs, 4, 5))
	s2, _ := n.Dynamics(s, []int{0, 1, 2, 1}, nil)
	for _, x := range []*nn.Tensor{s, s2} {
		d := x.Data()
		for r := range 4 {
			mn, mx := float32(1), float32(0)
			for _, v := range d[r*8 : (r+1)*8] {
				mn, mx = min(mn, v), max(mx, v)
			}
			if math.Abs(float64(mn)) > 1e-5 || math.Abs(float64(mx-1)) > 1e-5 {
				t.Errorf("row %d spans [%v, %v], want [0, 1]", r, mn, mx)
			}
		}
	}
}

// TestLearnedSearch: the learned model drives both searches; targets are
// distributions over the root's legal actions.
func TestLearnedSearch(t *testing.T) {
	n := testNet(t)
	m := NewLearned(n)
	obs := []float32{1, 2, 3, 4, 5, -1, 0, 1, 0, 2}
	legal := []bool{true, false, true, false, true, true}
	if err := m.SetRoots(obs, legal); err != nil {
		t.Fatal(err)
	}
	searchLegal(t, m, legal, 2, 3, 12)
	if err := m.SetRoots(obs[:7], legal); err == nil {
		t.Error("a ragged observation batch was accepted")
	}
}

// searchLegal runs both searches on m's roots (games of actions actions)
// and checks that the targets are distributions over the legal actions,
// 0 on the others, and that the move played is legal.
func searchLegal(t *testing.T, m Model, legal []bool, games, actions, sims int) {
	t.Helper()
	for _, alg := range []Algorithm{Gumbel, PUCT} {
		s, err := NewSearch(SearchConfig{Algorithm: alg, Simulations: sims}, games, actions)
		if err != nil {
			t.Fatal(err)
		}
		var res Result
		if err := s.Run(context.Background(), m, nil, &res); err != nil {
			t.Fatal(err)
		}
		for g := range games {
			sum := float32(0)
			for a := range actions {
				if !legal[g*actions+a] && res.Policy[g*actions+a] != 0 {
					t.Errorf("%s game %d: illegal action %d has target %v", alg, g, a, res.Policy[g*actions+a])
				}
				sum += res.Policy[g*actions+a]
			}
			if math.Abs(float64(sum-1)) > 1e-5 || !legal[g*actions+res.Action[g]] {
				t.Errorf("%s game %d: targets sum to %v, action %d", alg, g, sum, res.Action[g])
			}
		}
	}
}

// TestLearnedMatchesTape: the learned model's root and recurrent
// evaluations (a NoGrad scope, buffers reused between calls) equal those of
// the networks called with autodiff, bit for bit.
func TestLearnedMatchesTape(t *testing.T) {
	n := testNet(t)
	m := NewLearned(n)
	obs := []float32{1, 2, 3, 4, 5, -1, 0, 1, 0, 2}
	if err := m.SetRoots(obs, []bool{true, true, true, true, true, true}); err != nil {
		t.Fatal(err)
	}
	var got Eval
	got.Resize(2, 3)
	if err := m.Root(context.Background(), &got); err != nil {
		t.Fatal(err)
	}
	s := n.Represent(nn.From(nn.CPU(), obs, 2, 5))
	p, v := n.Predict(s, nn.From(nn.CPU(), obs, 2, 5))
	wantV := make([]float32, 2)
	n.Scalars(v, wantV)
	same := func(what string, got, want []float32) {
		t.Helper()
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%s %d: %v without autodiff, %v with", what, i, got[i], want[i])
			}
		}
	}
	same("root logit", got.Logits, p.Data())
	same("root value", got.Value, wantV)
	req := []Expansion{{Game: 0, Parent: 0, Action: 2, Node: 1}, {Game: 1, Parent: 0, Action: 0, Node: 1}}
	got.Resize(2, 3)
	if err := m.Recurrent(context.Background(), req, &got); err != nil {
		t.Fatal(err)
	}
	next, r := n.Dynamics(s, []int{2, 0}, nil)
	p, v = n.Predict(next, nil)
	wantR := make([]float32, 2)
	n.Scalars(r, wantR)
	n.Scalars(v, wantV)
	same("recurrent logit", got.Logits, p.Data())
	same("recurrent value", got.Value, wantV)
	same("recurrent reward", got.Reward, wantR)
}
