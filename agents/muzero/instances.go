package muzero

import (
	"fmt"
	"math/rand/v2"

	"github.com/corl-go/corl/datasets"
	"github.com/corl-go/corl/envs/malloc"
)

// SyntheticInstances generates n program-like workloads of ops operations
// (datasets.SyntheticWorkload) from seed, with benefits under
// malloc.DefaultModel and a fast memory of frac times each one's peak live
// size. Distinct seeds give the training and held-out sets.
func SyntheticInstances(seed uint64, n, ops int, frac float64) ([]*malloc.Instance, error) {
	if !(frac > 0 && frac <= 1) {
		return nil, &ConfigError{"capacity fraction", frac, "in (0, 1]"}
	}
	if ops < 1 {
		return nil, &ConfigError{"ops", ops, ">= 1"}
	}
	out := make([]*malloc.Instance, n)
	for i := range n {
		bufs := datasets.SyntheticWorkload(rand.New(rand.NewPCG(seed, uint64(i))), ops)
		for k := range bufs {
			bufs[k].Benefit = malloc.DefaultModel.Benefit(bufs[k].Size, bufs[k].Uses)
		}
		in := &malloc.Instance{Name: fmt.Sprintf("synthetic-%d-%d", seed, i), Buffers: bufs}
		in.Capacity = max(1, int64(frac*float64(in.PeakLive())))
		if err := in.Validate(); err != nil {
			return nil, err
		}
		out[i] = in
	}
	return out, nil
}
