package revibranch

import (
	"bytes"
	"context"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/corl-go/corl/agents/train"
	"github.com/corl-go/corl/internal/highstest"
	"github.com/corl-go/corl/nn"
)

// The imitation term is the mean cross-entropy of softmax(−Q) towards the
// labels, computed here in float64 from the Q-values.
func TestImitationLossByHand(t *testing.T) {
	eps := randomTreeEpisodes(rand.New(rand.NewPCG(7, 7)), 4)
	l := testLearner(t, RLConfig{Episodes: 1, Batch: 4, Seed: 1, Q: QConfig{Policy: DefaultPolicyConfig(8)}}, eps)
	paths := []*Path{l.replay.At(0), l.replay.At(3), l.replay.At(5)}
	bt := l.q.makeQBatch(paths)
	sc := nn.NewScope()
	defer sc.Release()
	qt := l.q.forward(bt, sc)
	q := qt.Data()
	rng := rand.New(rand.NewPCG(1, 9))
	labels := make([]int, len(bt.chosen))
	want := 0.0
	for s := range labels {
		lo, hi := bt.candStart[s], bt.candStart[s+1]
		labels[s] = rng.IntN(hi - lo)
		m := math.Inf(1)
		for _, v := range q[lo:hi] {
			m = math.Min(m, float64(v))
		}
		z := 0.0
		for _, v := range q[lo:hi] {
			z += math.Exp(-(float64(v) - m))
		}
		want += float64(q[lo+labels[s]]) - m + math.Log(z)
	}
	want /= float64(len(labels))
	got := float64(imitationLoss(l.q.be, qt, bt, labels, sc).Item())
	if math.Abs(got-want) > 1e-4*math.Max(1, want) {
		t.Fatalf("imitation loss %v, by hand %v", got, want)
	}
}

// With CandidateLR at half of LR, an update moves the candidate part by
// half of what an update at LR moves it, and the sequence part (the
// sequence model and the head's weights on its output) alike.
func TestCandidateRate(t *testing.T) {
	eps := randomTreeEpisodes(rand.New(rand.NewPCG(8, 8)), 6)
	cfg := RLConfig{Episodes: 1, Batch: 6, LR: 1e-3, Seed: 1, Q: QConfig{Policy: DefaultPolicyConfig(8)}}
	full := testLearner(t, cfg, eps)
	cfg.CandidateLR = 5e-4
	half := testLearner(t, cfg, eps)
	// A context that reaches the head, so that the sequence part moves;
	// the first update's calibration of the level is taken as done.
	for _, l := range []*learner{full, half} {
		l.st.Updates = 1
		w := l.q.Head.Layers[0].Weight
		v := w.Data()
		for i := range v {
			v[i] += 0.01 * float32(i%7)
		}
		w.Set(v)
	}
	before := paramValues(full.q)
	for _, l := range []*learner{full, half} {
		if _, err := l.update(); err != nil {
			t.Fatal(err)
		}
	}
	fullV, halfV := paramValues(full.q), paramValues(half.q)
	parts := full.q.candidatePart()
	var moved [2]int
	for i, p := range full.q.Params() {
		pr := parts[i]
		for j := range before[i] {
			df, dh := fullV[i][j]-before[i][j], halfV[i][j]-before[i][j]
			cand := pr.to > 0 && j%pr.stride >= pr.from && j%pr.stride < pr.to
			want := df
			if cand {
				want = df / 2
			}
			if math.Abs(float64(dh-want)) > 1e-6+1e-3*math.Abs(float64(df)) {
				t.Fatalf("%s[%d] (candidate part %v): moved %g at half the candidate rate, %g at the full rate", p.Name, j, cand, dh, df)
			}
			if df != 0 {
				moved[btoi(cand)]++
			}
		}
	}
	if moved[0] == 0 || moved[1] == 0 {
		t.Fatalf("%d sequence-part and %d candidate-part entries moved: the test says nothing", moved[0], moved[1])
	}
	if !strings.HasPrefix(full.q.Params()[len(full.q.Params())-1].Name, "head.") {
		t.Fatal("parameter order changed")
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func paramValues(q *QNet) [][]float32 {
	var out [][]float32
	for _, p := range q.Params() {
		out = append(out, p.Value.Data())
	}
	return out
}

// Keep-best writes the network of the best validation, the initial one
// among the candidates; its score is what replaying it greedily on the
// validation instances gives; at the first update the network agrees
// with its initial self everywhere; and a run with every option, stopped
// and resumed, ends where an uninterrupted one does.
func TestKeepBestAndImitation(t *testing.T) {
	highstest.Need(t)
	insts := tinyKnapsacks(t, 3, 14, 1)
	valid := tinyKnapsacks(t, 2, 14, 77)
	init := initPolicy(t, 8)
	cfg := tinyRLConfig()
	cfg.Episodes, cfg.UpdatesPerRound = 8, 1
	cfg.Imitation, cfg.CandidateLR, cfg.Keep, cfg.ValidEvery = 0.5, 3e-4, KeepBest, 2
	var agree []float64
	run := func(stops []int) (*train.Dir, []byte) {
		dir, err := train.Create(t.TempDir(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		stopAfter(t, cfg, RLEnv{Instances: insts, Valid: valid, Init: init, Workers: 1}, dir, stops)
		if _, err := TrainRL(context.Background(), cfg, RLEnv{Instances: insts, Valid: valid, Init: init, Workers: 1, Progress: func(p RLProgress) {
			if stops == nil {
				agree = append(agree, p.Agree)
			}
		}}, dir); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(dir.Join(PolicyFile))
		if err != nil {
			t.Fatal(err)
		}
		return dir, b
	}
	dir, want := run(nil)
	if agree[0] != 1 {
		t.Errorf("agreement with the initial network at the first update: %v, want 1", agree[0])
	}
	best, err := os.ReadFile(dir.Join(BestFile))
	if err != nil || !bytes.Equal(best, want) {
		t.Fatalf("the policy is not the best validated network (%v)", err)
	}
	rows, err := dir.ReadTrace()
	if err != nil {
		t.Fatal(err)
	}
	var scores []float64
	var epochs []int64
	for _, r := range rows {
		if r.Phase == "valid" {
			scores, epochs = append(scores, r.Loss), append(epochs, r.Epoch)
		}
	}
	// Rounds 0 (the initial network), 2, 4 (the last).
	if !slices.Equal(epochs, []int64{0, 2, 4}) {
		t.Fatalf("validations after rounds %v, want 0, 2, 4", epochs)
	}
	q, err := LoadQNet(dir.Join(PolicyFile), nil)
	if err != nil {
		t.Fatal(err)
	}
	// Validation searches as evaluation does, without the cutoff.
	l := &learner{cfg: cfg.WithDefaults()}
	replay := 0.0
	for i, in := range valid {
		ep, err := PlayEpisode(context.Background(), q, in, EpisodeConfig{Index: i, Seed: cfg.Seed, Search: l.searchConfig(math.NaN())})
		if err != nil {
			t.Fatal(err)
		}
		replay += rootReturn(ep, l.cfg.Reward)
	}
	replay /= float64(len(valid))
	if min := slices.Min(scores); math.Abs(replay-min) > 1e-9 {
		t.Fatalf("validation scores %v: the kept network replays at %v, want the best, %v", scores, replay, min)
	}
	t.Logf("validation scores %v, agreement with the initial network by round %v", scores, agree)
	if _, got := run([]int{1, 3}); !bytes.Equal(got, want) {
		t.Fatal("stopped after rounds 1 and 3: the policy differs from the uninterrupted run's")
	}
}

// initPolicy returns an imitation policy of embedding size dim with
// random weights, standing in for a trained one.
func initPolicy(t *testing.T, dim int) *Policy {
	t.Helper()
	p, err := NewPolicy(nn.CPU(), rand.New(rand.NewPCG(5, 5)), DefaultPolicyConfig(dim))
	if err != nil {
		t.Fatal(err)
	}
	return p
}
