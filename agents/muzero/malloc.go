package muzero

import (
	"context"

	"github.com/corl-go/corl/envs/malloc"
)

// MallocTrue is the true model of the memory-mapping game.
type MallocTrue = True[malloc.Obs, *malloc.Env]

var _ Model = (*MallocTrue)(nil)

// BestFitRollout values a memory-mapping state by the return of finishing
// the game with XLA's best-fit rule from it (a lower bound of the state's
// true value), with uniform priors: the true model's evaluator when no
// network is given.
type BestFitRollout struct{}

// Evaluate plays best fit to the end from a copy of each game.
func (BestFitRollout) Evaluate(ctx context.Context, games []*malloc.Env, _ []malloc.Obs, _, values []float32) error {
	for i, g := range games {
		if err := ctx.Err(); err != nil {
			return err
		}
		c, before := g.Clone(), g.Metric()
		for !c.Done() {
			if _, err := c.Step(malloc.BestFit(c)); err != nil {
				return err
			}
		}
		values[i] = float32(c.Metric() - before)
	}
	return nil
}
