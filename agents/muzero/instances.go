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
	return WorkloadInstances(datasets.WorkloadProgram, seed, n, ops, frac, 0)
}

// MixedFraction is the capacity fraction of the i-th of a run's
// instances: frac, or mix (when above 0) on every odd-numbered one.
func MixedFraction(i int, frac, mix float64) float64 {
	if mix > 0 && i%2 == 1 {
		return mix
	}
	return frac
}

// WorkloadInstances is SyntheticInstances for workloads of any kind
// (datasets.Workload; the empty kind is the program kind, whose instances
// are SyntheticInstances'). With mix > 0 every odd-numbered instance gets a
// fast memory of mix times its peak live size instead of frac, so one
// network learns both capacities.
func WorkloadInstances(kind string, seed uint64, n, ops int, frac, mix float64) ([]*malloc.Instance, error) {
	if !(frac > 0 && frac <= 1) {
		return nil, &ConfigError{"capacity fraction", frac, "in (0, 1]"}
	}
	if !(mix >= 0 && mix <= 1) {
		return nil, &ConfigError{"capacity mix", mix, "0 (none) or in (0, 1]"}
	}
	if ops < 1 {
		return nil, &ConfigError{"ops", ops, ">= 1"}
	}
	prefix := "synthetic"
	if kind != "" && kind != datasets.WorkloadProgram {
		prefix = kind
	}
	out := make([]*malloc.Instance, n)
	for i := range n {
		bufs, err := datasets.Workload(kind, rand.New(rand.NewPCG(seed, uint64(i))), ops)
		if err != nil {
			return nil, &ConfigError{"workload", kind, "program or intervals"}
		}
		for k := range bufs {
			bufs[k].Benefit = malloc.DefaultModel.Benefit(bufs[k].Size, bufs[k].Uses)
		}
		in := &malloc.Instance{Name: fmt.Sprintf("%s-%d-%d", prefix, seed, i), Buffers: bufs}
		in.Capacity = max(1, int64(MixedFraction(i, frac, mix)*float64(in.PeakLive())))
		if err := in.Validate(); err != nil {
			return nil, err
		}
		out[i] = in
	}
	return out, nil
}
