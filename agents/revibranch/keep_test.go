package revibranch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/corl-go/corl/agents/train"
	"github.com/corl-go/corl/internal/highstest"
	"github.com/corl-go/corl/nn"
	"github.com/corl-go/corl/trace"
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
		stopAfter(t, cfg, RLEnv{Instances: insts, Valid: valid, Init: init, Workers: 1, Search: tinySearch}, dir, stops)
		if _, err := TrainRL(context.Background(), cfg, RLEnv{Instances: insts, Valid: valid, Init: init, Workers: 1, Search: tinySearch, Progress: func(p RLProgress) {
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
	l := &learner{cfg: cfg.WithDefaults(), env: RLEnv{Search: tinySearch}}
	replay := validationScore(t, l, q, valid, cfg.Seed)
	if min := slices.Min(scores); math.Abs(replay-min) > 1e-9 {
		t.Fatalf("validation scores %v: the kept network replays at %v, want the best, %v", scores, replay, min)
	}
	t.Logf("validation scores %v, agreement with the initial network by round %v", scores, agree)
	// Stopped after a validation round (2) and after another (3): the
	// policy, the last checkpoint's weights and the trace are the
	// uninterrupted run's (a policy alone says nothing if round 0 wins).
	stopped, got := run([]int{2, 3})
	if !bytes.Equal(got, want) {
		t.Fatal("stopped after rounds 2 and 3: the policy differs from the uninterrupted run's")
	}
	last := func(d *train.Dir) []byte {
		t.Helper()
		b, err := os.ReadFile(d.WeightsPath(4))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if !bytes.Equal(last(stopped), last(dir)) {
		t.Fatal("stopped after rounds 2 and 3: the last checkpoint's weights differ from the uninterrupted run's")
	}
	sameTrace(t, stopped, rows)
}

// sameTrace fails unless d's trace has rows, but for their times.
func sameTrace(t *testing.T, d *train.Dir, rows []trace.Train) {
	t.Helper()
	got, err := d.ReadTrace()
	if err != nil {
		t.Fatal(err)
	}
	key := func(rs []trace.Train) []string {
		var out []string
		for _, r := range rs {
			r.Seconds, r.SamplesPerSecond = 0, 0
			ret := math.NaN()
			if r.Return != nil {
				ret = *r.Return
			}
			r.Return = nil
			out = append(out, fmt.Sprintf("%+v return %v", r, ret))
		}
		return out
	}
	if g, w := key(got), key(rows); !slices.Equal(g, w) {
		t.Fatalf("resumed run's trace:\n%s\nuninterrupted run's:\n%s", strings.Join(g, "\n"), strings.Join(w, "\n"))
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

// Keep-best without validation instances is refused before the run
// writes anything or solves its cutoffs.
func TestKeepBestNeedsValidation(t *testing.T) {
	highstest.Need(t)
	cfg := tinyRLConfig()
	cfg.Keep = KeepBest
	dir, err := train.Create(t.TempDir(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	optima := &Optima{}
	_, err = TrainRL(context.Background(), cfg, RLEnv{Instances: tinyKnapsacks(t, 1, 12, 1), Optima: optima}, dir)
	if err == nil || !strings.Contains(err.Error(), "Valid") {
		t.Fatalf("keep best without validation instances: %v, want an error naming them", err)
	}
	if _, err := os.Stat(dir.Join(InitFile)); err == nil || optima.Solved != 0 {
		t.Fatalf("refused after writing %s or solving %d cutoffs", InitFile, optima.Solved)
	}
}

// A round without updates has no diagnostics: NaN, not 0 (a gap of 0
// would say the candidates are tied).
func TestDiagnosticsWithoutUpdatesAreNaN(t *testing.T) {
	highstest.Need(t)
	cfg := tinyRLConfig()
	cfg.Episodes, cfg.Batch = 2, 1000 // the buffer never holds a batch
	dir, err := train.Create(t.TempDir(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var got []RLProgress
	if _, err := TrainRL(context.Background(), cfg, RLEnv{Instances: tinyKnapsacks(t, 2, 12, 1), Init: initPolicy(t, 8), Workers: 1,
		Progress: func(p RLProgress) { got = append(got, p) }}, dir); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("%d rounds reported, want 1", len(got))
	}
	if p := got[0]; !math.IsNaN(p.Loss) || !math.IsNaN(p.Agree) || !math.IsNaN(p.Gap) || !math.IsNaN(p.Residual) {
		t.Fatalf("a round without updates: loss %v, agreement %v, gap %v, residual %v, want NaN", p.Loss, p.Agree, p.Gap, p.Residual)
	}
}

// The kept network follows the checkpoint, not the files a killed run
// wrote after it: killed after round 3's validation, before the checkpoint
// of round 4, with another network where that validation (or an older
// build's) wrote the best, the resumed run ends with the uninterrupted
// run's policy, and leaves no round's file behind.
func TestKeepBestFollowsTheCheckpoint(t *testing.T) {
	highstest.Need(t)
	insts := tinyKnapsacks(t, 3, 14, 1)
	valid := tinyKnapsacks(t, 2, 14, 77)
	cfg := tinyRLConfig()
	cfg.Episodes, cfg.UpdatesPerRound = 8, 1
	cfg.Imitation, cfg.CandidateLR = 0.5, 3e-4
	cfg.Keep, cfg.ValidEvery, cfg.CheckpointEvery = KeepBest, 1, 2
	env := RLEnv{Instances: insts, Valid: valid, Init: initPolicy(t, 8), Workers: 1}
	run := func(stops []int) *train.Dir {
		dir, err := train.Create(t.TempDir(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		stopAfter(t, cfg, env, dir, stops)
		if len(stops) > 0 {
			// Another network where round 3's validation wrote the best.
			q, err := LoadQNet(dir.Join(InitFile), nil)
			if err != nil {
				t.Fatal(err)
			}
			b := q.Head.Layers[0].Weight
			v := b.Data()
			for i := range v {
				v[i] = -v[i]
			}
			b.Set(v)
			for _, f := range []string{BestFile, bestFile(3)} {
				if err := q.Save(dir.Join(f)); err != nil {
					t.Fatal(err)
				}
			}
		}
		if _, err := TrainRL(context.Background(), cfg, env, dir); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	policy := func(d *train.Dir) []byte {
		b, err := os.ReadFile(d.Join(PolicyFile))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var scores []float64
	env.Progress = func(p RLProgress) { scores = append(scores, p.Valid) }
	want := run(nil)
	// Only a strictly lower score replaces the best.
	if slices.Min(scores[2:]) < slices.Min(scores[:2]) {
		t.Fatalf("validation scores after rounds 1.. %v: rounds 3 or 4 improve, so the test says nothing", scores)
	}
	env.Progress = nil
	got := run([]int{3})
	if !bytes.Equal(policy(got), policy(want)) {
		t.Fatal("killed between a validation and its checkpoint: the policy differs from the uninterrupted run's")
	}
	if left, _ := filepath.Glob(got.Join("best-*")); len(left) > 0 {
		t.Fatalf("left behind: %v", left)
	}
}

// An episode whose steps are no tree has no return: an error, not the
// score of a one-node tree (which would be the best of any).
func TestRootReturnOfBrokenEpisode(t *testing.T) {
	ep := randomTreeEpisodes(rand.New(rand.NewPCG(3, 3)), 1)[0]
	if len(ep.Steps) < 2 {
		t.Fatal("the episode has fewer than 2 decisions")
	}
	if _, err := rootReturn(ep, RewardBoth); err != nil {
		t.Fatalf("a sound episode: %v", err)
	}
	ep.Steps[1].Parent = -1 // a second root
	var te *TreeError
	if v, err := rootReturn(ep, RewardBoth); !errors.As(err, &te) {
		t.Fatalf("a second root: return %v, error %v, want a *TreeError", v, err)
	}
}

// Without the imitation term the initial network's choices are asked at
// the round's first update only (the agreement diagnostic's sample); with
// it, at every update (they are the term's labels).
func TestAgreementSample(t *testing.T) {
	eps := randomTreeEpisodes(rand.New(rand.NewPCG(6, 6)), 4)
	for _, lam := range []float64{0, 0.5} {
		l := testLearner(t, RLConfig{Episodes: 1, Batch: 4, Seed: 1, Imitation: lam, Q: QConfig{Policy: DefaultPolicyConfig(8)}}, eps)
		l.anchor = testLearner(t, RLConfig{Episodes: 1, Q: QConfig{Policy: DefaultPolicyConfig(8)}}, nil).q
		if _, err := l.update(); err != nil {
			t.Fatal(err)
		}
		first := l.agreeStates
		for range 2 {
			if _, err := l.update(); err != nil {
				t.Fatal(err)
			}
		}
		if first == 0 || (lam == 0) != (l.agreeStates == first) {
			t.Fatalf("λ %v: %v states compared after the first update, %v after three", lam, first, l.agreeStates)
		}
	}
}

// Under KeepCandidates every validated network stays on disk, and each
// replays on the validation instances to the score the trace gives its
// round; the kept best is the candidate of the best round.
func TestKeepCandidates(t *testing.T) {
	highstest.Need(t)
	insts := tinyKnapsacks(t, 3, 14, 1)
	valid := tinyKnapsacks(t, 2, 14, 77)
	cfg := tinyRLConfig()
	cfg.Episodes, cfg.UpdatesPerRound = 8, 1
	cfg.Keep, cfg.ValidEvery, cfg.KeepCandidates = KeepBest, 2, true
	dir, err := train.Create(t.TempDir(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := TrainRL(context.Background(), cfg, RLEnv{Instances: insts, Valid: valid, Init: initPolicy(t, 8), Workers: 1}, dir); err != nil {
		t.Fatal(err)
	}
	rows, err := dir.ReadTrace()
	if err != nil {
		t.Fatal(err)
	}
	l := &learner{cfg: cfg.WithDefaults()}
	best, bestRound := math.Inf(1), int64(-1)
	n := 0
	for _, r := range rows {
		if r.Phase != "valid" {
			continue
		}
		n++
		q, err := LoadQNet(dir.Join(CandidateFile(int(r.Epoch))), nil)
		if err != nil {
			t.Fatalf("round %d's candidate: %v", r.Epoch, err)
		}
		score := validationScore(t, l, q, valid, cfg.Seed)
		if math.Abs(score-r.Loss) > 1e-9 {
			t.Errorf("round %d's candidate replays at %v, the trace says %v", r.Epoch, score, r.Loss)
		}
		if r.Loss < best {
			best, bestRound = r.Loss, r.Epoch
		}
	}
	if n != 3 {
		t.Fatalf("%d validations, want 3 (rounds 0, 2, 4)", n)
	}
	a, err := os.ReadFile(dir.Join(CandidateFile(int(bestRound))))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(dir.Join(BestFile))
	if err != nil || !bytes.Equal(a, b) {
		t.Fatalf("%s is not round %d's candidate, the best validated (%v)", BestFile, bestRound, err)
	}
}

// KeepCandidates needs KeepBest: there is nothing validated otherwise.
func TestKeepCandidatesNeedsKeepBest(t *testing.T) {
	cfg := tinyRLConfig()
	cfg.KeepCandidates = true
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "KeepCandidates") {
		t.Fatalf("KeepCandidates without KeepBest: %v, want an error naming it", err)
	}
}

// validationScore replays q greedily on the validation instances, as
// keep-best scores a network: the mean root return.
func validationScore(t *testing.T, l *learner, q *QNet, valid []Instance, seed uint64) float64 {
	t.Helper()
	score := 0.0
	for i, in := range valid {
		ep, err := PlayEpisode(context.Background(), q, in, EpisodeConfig{Index: i, Seed: seed, Search: l.searchConfig(math.NaN())})
		if err != nil {
			t.Fatal(err)
		}
		v, err := rootReturn(ep, l.cfg.Reward)
		if err != nil {
			t.Fatal(err)
		}
		score += v
	}
	return score / float64(len(valid))
}
