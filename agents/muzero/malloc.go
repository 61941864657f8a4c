package muzero

import (
	"context"

	"github.com/corl-go/corl/envs/malloc"
)

// MallocTrue is the true model of the memory-mapping game.
type MallocTrue = True[malloc.Obs, *malloc.Env]

var (
	_ Model                              = (*MallocTrue)(nil)
	_ Rollout[*malloc.Env]               = (*BestFitRollout)(nil)
	_ Evaluator[malloc.Obs, *malloc.Env] = (*BestFitRollout)(nil)
	_ Rollout[*malloc.Env]               = (*mixedEvaluator)(nil)
	_ Evaluator[malloc.Obs, *malloc.Env] = (*mixedEvaluator)(nil)
)

// BestFitRollout values a memory-mapping state by the return of finishing
// the game with XLA's best-fit rule from it (a lower bound of the state's
// true value), with uniform priors: the true model's evaluator when no
// network is given. It is a Rollout: the true model keeps the best of its
// rollouts as a complete episode. With FirstFit it also finishes the game
// by first fit (the lowest offset) and keeps the better of the two: a
// value at least both rules reach, for twice the work. In a game with
// malloc.EdgeOffsets, best fit keeps to XLA's offsets (malloc.BestFit),
// and a third rollout plays best fit over every candidate
// (malloc.BestFitAny), which may rest a buffer under another. The zero
// value is ready to use; one value serves one model.
type BestFitRollout struct {
	FirstFit bool
	returns  []float64
	fits     []float64 // best fit's own returns, B(s), of the last Evaluate call
	rules    []func(*malloc.Env) int
}

// Evaluate plays best fit (and first fit, with FirstFit) to the end from a
// copy of each game.
func (r *BestFitRollout) Evaluate(ctx context.Context, games []*malloc.Env, _ []malloc.Obs, _, values []float32) error {
	r.returns, r.fits = resize(r.returns, len(games)), resize(r.fits, len(games))
	for i, g := range games {
		if err := ctx.Err(); err != nil {
			return err
		}
		_, ret, fit, err := r.finish(g, nil, false)
		if err != nil {
			return err
		}
		r.returns[i], r.fits[i] = ret, fit
		values[i] = float32(ret)
	}
	return nil
}

// best finishes g by each rule and returns the better return, appending
// its moves to dst with replay.
func (r *BestFitRollout) best(g *malloc.Env, dst []int, replay bool) ([]int, float64, error) {
	dst, ret, _, err := r.finish(g, dst, replay)
	return dst, ret, err
}

// after is the return from g of move a then the rollout to the end: by
// the better rule (best), and by best fit alone (fit).
func (r *BestFitRollout) after(g *malloc.Env, a int) (best, fit float64, err error) {
	c, before := g.Clone(), g.Metric()
	if err := c.Advance(a); err != nil {
		return 0, 0, err
	}
	_, best, fit, err = r.finish(c, nil, false)
	step := c.Metric() - before
	return step + best, step + fit, err
}

// finish is best, with best fit's own return too.
func (r *BestFitRollout) finish(g *malloc.Env, dst []int, replay bool) (_ []int, best, fit float64, err error) {
	rules := append(r.rules[:0], malloc.BestFit) // best fit first: its return is fit
	if r.FirstFit {
		rules = append(rules, malloc.FirstFit)
	}
	if g.Config().Offsets == malloc.EdgeOffsets {
		rules = append(rules, malloc.BestFitAny)
	}
	r.rules = rules
	bestRet, bestRule := 0.0, -1
	for k, rule := range rules {
		c, before := g.Clone(), g.Metric()
		for !c.Done() {
			if err := c.Advance(rule(c)); err != nil {
				return dst, 0, 0, err
			}
		}
		ret := c.Metric() - before
		if k == 0 {
			fit = ret
		}
		if bestRule < 0 || ret > bestRet {
			bestRet, bestRule = ret, k
		}
	}
	if !replay {
		return dst, bestRet, fit, nil
	}
	c := g.Clone()
	for !c.Done() {
		a := rules[bestRule](c)
		if err := c.Advance(a); err != nil {
			return dst, 0, 0, err
		}
		dst = append(dst, a)
	}
	return dst, bestRet, fit, nil
}

// Returns are the rollouts' returns of the last Evaluate call.
func (r *BestFitRollout) Returns() []float64 { return r.returns }

// Replay appends the moves of the better rollout from g to the end.
func (r *BestFitRollout) Replay(g *malloc.Env, dst []int) ([]int, error) {
	dst, _, err := r.best(g, dst, true)
	return dst, err
}

// mixedEvaluator is the network's priors with values mixed from the
// network's and best-fit rollouts': (1 - weight) v_net + weight v_rollout.
type mixedEvaluator struct {
	net    *netEvaluator
	roll   BestFitRollout
	weight float32
	rv     []float32
}

func (m *mixedEvaluator) Evaluate(ctx context.Context, games []*malloc.Env, obs []malloc.Obs, logits, values []float32) error {
	m.rv = resize(m.rv, len(games))
	if err := m.roll.Evaluate(ctx, games, obs, nil, m.rv); err != nil {
		return err
	}
	if err := m.net.evaluate(games, obs, logits, values, m.roll.fits); err != nil { // B(s) from the rollouts
		return err
	}
	for i := range values {
		values[i] = (1-m.weight)*values[i] + m.weight*m.rv[i]
	}
	return nil
}

func (m *mixedEvaluator) Returns() []float64 { return m.roll.Returns() }

func (m *mixedEvaluator) Replay(g *malloc.Env, dst []int) ([]int, error) {
	return m.roll.Replay(g, dst)
}
