package revibranch

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/corl-go/corl/nn"
	"github.com/corl-go/corl/trace"
)

// What keeps reinforcement learning near a good start: the initial
// network's choices as a supervised term (RLConfig.Imitation), a lower
// rate for the candidate part (RLConfig.CandidateLR), and the best
// validated network kept (RLConfig.Keep).

// Files of a run directory besides PolicyFile: the initial network, which
// the imitation term follows (written when the run starts, read when it
// resumes), and under KeepBest the best validated network, written at the
// end (during the run it is bestFile(the checkpoint's BestRound)).
const (
	InitFile = "init.safetensors"
	BestFile = "best.safetensors"
)

// bestFile is the network validated after round, kept while it is the
// best: a validation writes it, and a checkpoint removes the others, so
// the checkpoint's BestRound names a file whatever moment the run is
// killed at (a later round's, written after the checkpoint, is written
// again when the resumed run validates that round).
func bestFile(round int) string { return fmt.Sprintf("best-%d.safetensors", round) }

// CandidateFile is the network validated after round, written under
// RLConfig.KeepCandidates and never removed.
func CandidateFile(round int) string { return fmt.Sprintf("candidate-%d.safetensors", round) }

// pruneBest removes the best-round files but keep's (-1: all).
func (l *learner) pruneBest(keep int) error {
	files, err := filepath.Glob(l.dir.Join("best-*.safetensors"))
	if err != nil {
		return err
	}
	for _, f := range files {
		if filepath.Base(f) == bestFile(keep) {
			continue
		}
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// keptBest writes the best validated network to BestFile and returns it.
func (l *learner) keptBest() (*QNet, error) {
	q, err := LoadQNet(l.dir.Join(bestFile(l.st.BestRound)), l.q.be)
	if errors.Is(err, os.ErrNotExist) {
		// Finished before (the round's file is gone), or a run started
		// by a build that kept BestFile up to date.
		q, err = LoadQNet(l.dir.Join(BestFile), l.q.be)
	}
	if err != nil {
		return nil, err
	}
	if err := q.Save(l.dir.Join(BestFile)); err != nil {
		return nil, err
	}
	return q, nil
}

// imitationWeight is λ at the current episode.
func (l *learner) imitationWeight() float64 {
	c := l.cfg
	if c.Imitation == 0 {
		return 0
	}
	return max(0, c.Imitation*(1-float64(l.st.Episode)/(c.ImitationDecay*float64(c.Episodes))))
}

// lowest returns, for each state of the batch, the index among its
// candidates of the lowest of the values q, [K].
func lowest(bt *qBatch, q []float32) []int {
	out := make([]int, len(bt.chosen))
	for s := range out {
		out[s] = argmin(q[bt.candStart[s]:bt.candStart[s+1]])
	}
	return out
}

// imitationLoss is the mean over the batch's states of the cross-entropy
// of softmax(−Q) over each state's candidates towards labels (an index
// among the state's candidates).
func imitationLoss(be nn.Backend, q *nn.Tensor, bt *qBatch, labels []int, sc *nn.Scope) *nn.Tensor {
	ns := len(bt.chosen)
	maxC := 0
	for s := range ns {
		maxC = max(maxC, bt.candStart[s+1]-bt.candStart[s])
	}
	k := bt.candStart[ns]
	idx, mask := make([]int32, ns*maxC), make([]float32, ns*maxC)
	for s := range ns {
		lo, hi := bt.candStart[s], bt.candStart[s+1]
		for i := range maxC {
			idx[s*maxC+i] = int32(k) // the padding slot
			if lo+i < hi {
				idx[s*maxC+i], mask[s*maxC+i] = int32(lo+i), 1
			}
		}
	}
	padded := nn.Gather(nn.Concat(0, nn.Reshape(q, -1, 1), sc.In(nn.New(be, 1, 1))), nn.NewIndex(be, idx))
	logits := nn.Scale(nn.Reshape(padded, ns, maxC), -1)
	return nn.CrossEntropyLabels(logits, labels, sc.In(nn.From(be, mask, ns, maxC)))
}

// candidatePart returns, for each parameter of q.Params(), the range of
// its values that belongs to the candidate part: all of an encoder or
// head parameter, but of the head's first weight only each row's first
// Policy.Dim entries (its weights on the candidate's embedding), and none
// of the sequence model's. Ranges are [from, to) with a row stride: the
// parameter's entries i with from <= i%stride < to.
func (q *QNet) candidatePart() []partRange {
	d := q.Config.Policy.Dim
	first := q.Head.Layers[0].Weight
	var out []partRange
	for _, p := range q.Params() {
		switch {
		case strings.HasPrefix(p.Name, "seq."):
			out = append(out, partRange{})
		case p.Value == first:
			out = append(out, partRange{0, d, first.Dim(1)})
		default:
			out = append(out, partRange{0, p.Value.Len(), p.Value.Len()})
		}
	}
	return out
}

type partRange struct{ from, to, stride int }

// step takes the optimizer's step on q's parameters, the candidate part
// moved by CandidateLR/LR of Adam's step (Adam's step is proportional to
// its rate, so this is Adam at the candidate rate there).
func (l *learner) step(ps []nn.Param) {
	r := l.cfg.CandidateLR / l.cfg.LR
	if r == 1 {
		l.opt.Step(ps)
		return
	}
	parts := l.q.candidatePart()
	before := make([][]float32, len(ps))
	for i, p := range ps {
		if parts[i].to > 0 {
			before[i] = p.Value.Data()
		}
	}
	l.opt.Step(ps)
	for i, p := range ps {
		pr := parts[i]
		if pr.to == 0 {
			continue
		}
		v := p.Value.Data()
		for j := range v {
			if c := j % pr.stride; c >= pr.from && c < pr.to {
				v[j] = before[i][j] + float32(r)*(v[j]-before[i][j])
			}
		}
		p.Value.Set(v)
	}
}

// validate plays the validation instances greedily with the current
// network, searching as an evaluation does (no cutoff: the search's
// heuristics find the incumbents, so the score is what the policy will be
// measured by, not the tree-MDP's training condition) but under the
// training episodes' node limit (RLConfig.EpisodeNodeLimit), records the
// score and, under KeepBest, keeps the network when it is the best so far. The score is the mean of the episodes' returns
// at the root under the run's reward (with RewardNodes the log of the
// 1-shifted geometric mean of their tree sizes); lower is better.
func (l *learner) validate(ctx context.Context) (float64, error) {
	eps, err := l.play(ctx, l.env.Valid, l.validCutoffs, 0, len(l.env.Valid), 0)
	if err != nil {
		return 0, err
	}
	score, logNodes := 0.0, 0.0
	for _, ep := range eps {
		r, err := rootReturn(ep, l.cfg.Reward)
		if err != nil {
			return 0, fmt.Errorf("revibranch: validation episode on %s: %w", ep.Instance, err)
		}
		score += r
		logNodes += math.Log1p(float64(ep.Nodes))
	}
	n := float64(len(eps))
	score /= n
	l.rows = append(l.rows, trace.Train{Run: l.run, Agent: l.cfg.Variant(), Phase: "valid", Epoch: int64(l.st.Round), Step: int64(l.st.Updates),
		Samples: int64(l.st.Episode), Loss: score, LR: l.cfg.LR, Return: trace.Float(-(math.Exp(logNodes/n) - 1)), Seconds: l.seconds()})
	l.st.Validated = l.st.Round
	if l.cfg.KeepCandidates {
		if err := l.q.Save(l.dir.Join(CandidateFile(l.st.Round))); err != nil {
			return score, err
		}
	}
	if l.st.BestRound < 0 || score < l.st.Best {
		l.st.Best, l.st.BestRound = score, l.st.Round
		if err := l.q.Save(l.dir.Join(bestFile(l.st.Round))); err != nil {
			return score, err
		}
	}
	return score, nil
}

// rootReturn is an episode's return at its root under k: the whole
// tree's. An episode whose steps are no tree is an error, not a score.
func rootReturn(ep *Episode, k Reward) (float64, error) {
	paths, err := Paths(ep)
	if err != nil {
		return 0, err
	}
	if len(paths) == 0 {
		// Closed at the root: one node; its iterations are not recorded.
		return math.Log(2), nil
	}
	return k.Return(&paths[0], 0), nil
}

// startAnchor sets up the initial network that the imitation term
// follows and the diagnostics compare with: in a new run the network as
// built, written to InitFile; in a resumed run read back from there. A
// run resumed from a build that did not write it has none, which only the
// imitation term needs.
func (l *learner) startAnchor(resumed bool) error {
	path := l.dir.Join(InitFile)
	if !resumed {
		a, err := NewQNet(l.q.be, rand.New(rand.NewPCG(0, 0)), l.q.Config, nil)
		if err != nil {
			return err
		}
		a.CopyFrom(l.q)
		l.anchor = a
		return a.Save(path)
	}
	if _, err := os.Stat(path); err != nil && l.cfg.Imitation == 0 {
		return nil
	}
	a, err := LoadQNet(path, l.q.be)
	if err != nil {
		return fmt.Errorf("revibranch: the run's initial network, which the imitation term follows: %w", err)
	}
	if a.Config != l.q.Config {
		return fmt.Errorf("revibranch: %s is not this run's initial network", path)
	}
	l.anchor = a
	return nil
}
