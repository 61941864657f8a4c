package revibranch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/corl-go/corl/agents/train"
	"github.com/corl-go/corl/nn"
	"github.com/corl-go/corl/trace"
)

// TrainConfig configures imitation learning. Zero values mean defaults
// (Gasse et al.'s, scaled to small data: Adam at 1e-3, batches of 32,
// the rate divided by 5 after Patience epochs without a better validation
// loss, early stop after EarlyStop such epochs).
type TrainConfig struct {
	Epochs        int     `json:"epochs"`         // 0: 30
	BatchSize     int     `json:"batch_size"`     // 0: 32
	LR            float64 `json:"lr"`             // 0: 1e-3
	Patience      int     `json:"patience"`       // 0: 5
	EarlyStop     int     `json:"early_stop"`     // 0: 10
	ValidFraction float64 `json:"valid_fraction"` // 0: 0.1 of the samples, at least one
	Dim           int     `json:"dim"`            // GCNN embedding size, 0: 64
	Seed          uint64  `json:"seed"`
	// CheckpointEvery is the number of optimizer steps between checkpoints
	// inside an epoch (0: 100); one is also written at every epoch's end.
	CheckpointEvery int `json:"checkpoint_every"`
}

// Validate checks the configuration, naming the field at fault.
func (c TrainConfig) Validate() error {
	switch {
	case c.Epochs < 0:
		return fmt.Errorf("revibranch: TrainConfig.Epochs = %d, want >= 0", c.Epochs)
	case c.BatchSize < 0:
		return fmt.Errorf("revibranch: TrainConfig.BatchSize = %d, want >= 0", c.BatchSize)
	case c.LR < 0 || math.IsNaN(c.LR) || math.IsInf(c.LR, 0):
		return fmt.Errorf("revibranch: TrainConfig.LR = %v, want a positive rate", c.LR)
	case c.Patience < 0 || c.EarlyStop < 0 || c.CheckpointEvery < 0:
		return errors.New("revibranch: TrainConfig.Patience, EarlyStop and CheckpointEvery must not be negative")
	case c.ValidFraction < 0 || c.ValidFraction >= 1 || math.IsNaN(c.ValidFraction):
		return fmt.Errorf("revibranch: TrainConfig.ValidFraction = %v, want in [0,1)", c.ValidFraction)
	case c.Dim < 0 || c.Dim > 4096:
		return fmt.Errorf("revibranch: TrainConfig.Dim = %d, want 0..4096", c.Dim)
	}
	return nil
}

func (c TrainConfig) withDefaults() TrainConfig {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.Epochs, 30)
	def(&c.BatchSize, 32)
	def(&c.Patience, 5)
	def(&c.EarlyStop, 10)
	def(&c.CheckpointEvery, 100)
	def(&c.Dim, 64)
	if c.LR == 0 {
		c.LR = 1e-3
	}
	if c.ValidFraction == 0 {
		c.ValidFraction = 0.1
	}
	return c
}

// Progress receives training progress: batches done of the epoch's total.
type Progress interface {
	Epoch(epoch, batches int)
	Batch(done int, loss float64)
}

// TrainResult summarises a training run.
type TrainResult struct {
	Epochs     int     // epochs completed
	Steps      int     // optimizer steps
	BestEpoch  int     // epoch of the best validation loss (the policy kept)
	ValidLoss  float64 // its validation loss
	ValidTop1  float64
	ValidTop5  float64
	TrainCount int // samples trained on
	ValidCount int
	Resumed    bool // continued from a checkpoint
	Stopped    string
}

// agentState is what a checkpoint records of imitation learning itself.
type agentState struct {
	LR        float64 `json:"lr"`
	Best      float64 `json:"best_valid_loss"`
	BestEpoch int     `json:"best_epoch"`
	Bad       int     `json:"bad_epochs"`
	// The epoch's running sums, for its trace row.
	LossSum float64 `json:"loss_sum"`
	Hits1   int     `json:"hits1"`
	Hits5   int     `json:"hits5"`
	Seen    int     `json:"seen"`
	Done    bool    `json:"done"`
	Stopped string  `json:"stopped,omitempty"`
	// Seconds is the wall time of the run before this process, so the
	// trace's times run on across resumes.
	Seconds float64 `json:"seconds"`
}

// BestPolicyFile is the best policy's file name in a run directory.
const BestPolicyFile = "policy.safetensors"

// Train fits a policy to the samples by imitation: masked cross-entropy of
// the expert's choice over each node's candidates. The last
// ValidFraction of the samples (after a seeded shuffle) is held out for
// validation, which decides the learning-rate decay, early stopping and
// the policy kept (BestPolicyFile in the run directory).
//
// Train checkpoints into dir and resumes from its latest checkpoint if
// there is one: the result is then bit-identical to an uninterrupted run
// with the same samples and config. The context stops it between batches
// (the last checkpoint stays); init, if not nil, gives the starting
// weights of a new run.
func Train(ctx context.Context, samples []*Sample, cfg TrainConfig, dir *train.Dir, init *Policy, prog Progress) (*Policy, TrainResult, error) {
	if err := cfg.Validate(); err != nil {
		return nil, TrainResult{}, err
	}
	cfg = cfg.withDefaults()
	if len(samples) < 2 {
		return nil, TrainResult{}, fmt.Errorf("revibranch: %d samples, want at least 2 (one to train, one to validate)", len(samples))
	}
	be := nn.CPU()
	// Split: a seeded shuffle of the samples, the tail held out.
	split := rand.New(rand.NewPCG(cfg.Seed, 0x73706c6974))
	order := split.Perm(len(samples))
	nValid := min(max(int(math.Round(cfg.ValidFraction*float64(len(samples)))), 1), len(samples)-1)
	trainSet, validSet := make([]*Sample, 0, len(samples)-nValid), make([]*Sample, 0, nValid)
	for i, k := range order {
		if i < len(samples)-nValid {
			trainSet = append(trainSet, samples[k])
		} else {
			validSet = append(validSet, samples[k])
		}
	}
	pcfg := DefaultPolicyConfig(cfg.Dim)
	pol, err := NewPolicy(be, rand.New(rand.NewPCG(cfg.Seed, 0x696e6974)), pcfg)
	if err != nil {
		return nil, TrainResult{}, err
	}
	if init != nil {
		if init.Config != pcfg {
			return nil, TrainResult{}, fmt.Errorf("revibranch: the initial policy's config %+v differs from the training config %+v", init.Config, pcfg)
		}
		mine := pol.Params()
		for i, p := range init.Params() {
			mine[i].Value.Set(p.Value.Data())
		}
		pol.ColShift, pol.ColScale = slices.Clone(init.ColShift), slices.Clone(init.ColScale)
		pol.RowShift, pol.RowScale = slices.Clone(init.RowShift), slices.Clone(init.RowScale)
	} else {
		pol.SetStandardisation(trainSet)
	}
	opt := nn.NewAdam(cfg.LR)
	shuffle := rand.NewPCG(cfg.Seed, 0x73687566)
	st := agentState{LR: cfg.LR, Best: math.MaxFloat64, BestEpoch: -1} // MaxFloat64, not +Inf: JSON has no infinity
	var ck train.Checkpoint
	res := TrainResult{TrainCount: len(trainSet), ValidCount: len(validSet)}

	// Resume: weights with their standardisation, the optimizer, the
	// shuffle generator as it was at the epoch's start, the cursor.
	weights := pol.allParams()
	if prev, ok, err := dir.LatestCheckpoint(weights, opt); err != nil {
		return nil, res, err
	} else if ok {
		ck, res.Resumed = prev, true
		if err := json.Unmarshal(ck.Agent, &st); err != nil {
			return nil, res, fmt.Errorf("revibranch: checkpoint state: %w", err)
		}
		if nb := (len(trainSet) + cfg.BatchSize - 1) / cfg.BatchSize; ck.Cursor < 0 || ck.Cursor >= nb || ck.Epoch < 0 || !(st.LR > 0) || st.Seen < 0 {
			return nil, res, fmt.Errorf("revibranch: checkpoint state out of range (epoch %d, batch %d of %d, rate %v): not from this run's data", ck.Epoch, ck.Cursor, nb, st.LR)
		}
		if err := shuffle.UnmarshalBinary(ck.RNG["shuffle"]); err != nil {
			return nil, res, fmt.Errorf("revibranch: checkpoint RNG: %w", err)
		}
		pol.readNorm(weights)
	}
	opt.LR = nn.Constant(st.LR)
	rows, err := dir.ReadTrace()
	if err != nil {
		return nil, res, err
	}
	kept := rows[:0]
	for _, r := range rows {
		if r.Epoch < int64(ck.Epoch) {
			kept = append(kept, r)
		}
	}
	rows = kept
	runID := fmt.Sprintf("revibranch-il-%d", cfg.Seed)
	start := time.Now()
	before := st.Seconds
	checkpoint := func(epoch, cursor int, epochStart []byte) error {
		st.Seconds = before + time.Since(start).Seconds()
		a, err := json.Marshal(st)
		if err != nil {
			return err
		}
		ck = train.Checkpoint{Step: opt.Steps(), Epoch: epoch, Cursor: cursor, RNG: map[string][]byte{"shuffle": epochStart}, Agent: a}
		// Checkpoints of steps already saved (a resumed epoch end) are rewritten identically.
		return dir.SaveCheckpoint(ck, pol.allParams(), Arch, pol.Config, opt)
	}

	nb := (len(trainSet) + cfg.BatchSize - 1) / cfg.BatchSize
	for epoch := ck.Epoch; epoch < cfg.Epochs && !st.Done; epoch++ {
		epochStart, err := shuffle.MarshalBinary()
		if err != nil {
			return nil, res, err
		}
		perm := rand.New(shuffle).Perm(len(trainSet))
		cursor := 0
		if epoch == ck.Epoch {
			cursor = ck.Cursor
		}
		if cursor == 0 {
			st.LossSum, st.Hits1, st.Hits5, st.Seen = 0, 0, 0, 0
		}
		if prog != nil {
			prog.Epoch(epoch, nb)
		}
		t0 := time.Now()
		seen0 := st.Seen
		sc := nn.NewScope() // each step's activations go back to the pool for the next
		for b := cursor; b < nb; b++ {
			if err := ctx.Err(); err != nil {
				return nil, res, err
			}
			lo, hi := b*cfg.BatchSize, min((b+1)*cfg.BatchSize, len(trainSet))
			bs := make([]*Sample, 0, hi-lo)
			for _, k := range perm[lo:hi] {
				bs = append(bs, trainSet[k])
			}
			bt := pol.makeBatch(bs)
			bt.graph = sc.InGraph(bt.graph)
			loss, logits := pol.loss(bt)
			nn.ZeroGrad(pol.Params())
			nn.Backward(loss)
			opt.Step(pol.Params())
			l := float64(loss.Item())
			if math.IsNaN(l) || math.IsInf(l, 0) {
				return nil, res, fmt.Errorf("revibranch: epoch %d batch %d: loss is %v (lower --lr?)", epoch, b, l)
			}
			h1, h5 := hits(bs, logits.Data(), bt.maxC)
			sc.Release()
			st.LossSum += l * float64(len(bs))
			st.Hits1, st.Hits5, st.Seen = st.Hits1+h1, st.Hits5+h5, st.Seen+len(bs)
			if prog != nil {
				prog.Batch(b+1, l)
			}
			if (b+1)%cfg.CheckpointEvery == 0 && b+1 < nb {
				if err := checkpoint(epoch, b+1, epochStart); err != nil {
					return nil, res, err
				}
			}
		}
		rate := float64(st.Seen-seen0) / math.Max(time.Since(t0).Seconds(), 1e-9)
		vl, v1, v5 := pol.evaluate(validSet, cfg.BatchSize)
		seen := int64(epoch*len(trainSet) + st.Seen)
		elapsed := before + time.Since(start).Seconds()
		rows = append(rows,
			trace.Train{Run: runID, Agent: "revibranch-il", Phase: "train", Epoch: int64(epoch), Step: int64(opt.Steps()), Samples: seen,
				Loss: st.LossSum / float64(st.Seen), LR: st.LR, Top1: trace.Float(float64(st.Hits1) / float64(st.Seen)),
				Top5: trace.Float(float64(st.Hits5) / float64(st.Seen)), SamplesPerSecond: rate, Seconds: elapsed},
			trace.Train{Run: runID, Agent: "revibranch-il", Phase: "valid", Epoch: int64(epoch), Step: int64(opt.Steps()), Samples: seen,
				Loss: vl, LR: st.LR, Top1: trace.Float(v1), Top5: trace.Float(v5), SamplesPerSecond: rate, Seconds: elapsed})
		if vl < st.Best-1e-6 {
			st.Best, st.BestEpoch, st.Bad = vl, epoch, 0
			if err := pol.Save(dir.Join(BestPolicyFile)); err != nil {
				return nil, res, err
			}
		} else {
			st.Bad++
			if st.Bad%cfg.Patience == 0 {
				st.LR /= 5
				opt.LR = nn.Constant(st.LR)
			}
			if st.Bad >= cfg.EarlyStop {
				st.Done, st.Stopped = true, fmt.Sprintf("early stop: no better validation loss for %d epochs", st.Bad)
			}
		}
		if err := dir.WriteTrace(rows); err != nil {
			return nil, res, err
		}
		next, err := shuffle.MarshalBinary()
		if err != nil {
			return nil, res, err
		}
		if err := checkpoint(epoch+1, 0, next); err != nil {
			return nil, res, err
		}
	}
	if st.Stopped == "" {
		st.Stopped = fmt.Sprintf("%d epochs", cfg.Epochs)
	}
	best, err := LoadPolicy(dir.Join(BestPolicyFile), be)
	if err != nil {
		return nil, res, err
	}
	res.Epochs, res.Steps, res.Stopped = ck.Epoch, opt.Steps(), st.Stopped
	res.BestEpoch, res.ValidLoss = st.BestEpoch, st.Best
	_, res.ValidTop1, res.ValidTop5 = best.evaluate(validSet, cfg.BatchSize)
	return best, res, nil
}

// evaluate returns the mean loss and top-1 and top-5 accuracies over the
// samples.
func (p *Policy) evaluate(samples []*Sample, batch int) (loss, top1, top5 float64) {
	var h1, h5 int
	sc := nn.NoGrad()
	for lo := 0; lo < len(samples); lo += batch {
		bs := samples[lo:min(lo+batch, len(samples))]
		bt := p.makeBatch(bs)
		bt.graph = sc.InGraph(bt.graph)
		l, logits := p.loss(bt)
		loss += float64(l.Item()) * float64(len(bs))
		a, b := hits(bs, logits.Data(), bt.maxC)
		h1, h5 = h1+a, h5+b
		sc.Release()
	}
	n := float64(len(samples))
	return loss / n, float64(h1) / n, float64(h5) / n
}

// LoadSamples reads the first n samples of the shards, in order (all of
// them when n <= 0).
func LoadSamples(shards []string, n int) ([]*Sample, error) {
	var out []*Sample
	for _, path := range shards {
		sh, err := ReadShard(path)
		if err != nil {
			return nil, err
		}
		for i := range sh.Samples {
			if n > 0 && len(out) >= n {
				return out, nil
			}
			out = append(out, &sh.Samples[i])
		}
	}
	return out, nil
}
