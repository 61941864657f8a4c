// Package fragref keeps the bandit families' first MIP fragments (per-worker
// assignment for capacity, per-worker-slot assignment for scheduling; the
// path family's is unchanged) as a second implementation: tests check
// that the current fragments accept the same actions, and benchmarks time
// the current fragments against these, side by side. Nothing in the corl
// binary imports it.
package fragref

import (
	"math"
	"slices"
	"strconv"

	"github.com/corl-go/corl/envs/bandits"
	"github.com/corl-go/corl/solver"
)

// Append adds in's family constraints on the action to b in the first
// formulation and returns the action columns, as
// bandits.Instance.AppendFragment does.
func Append(in *bandits.Instance, b *solver.Builder) []int {
	if in.Family == bandits.Path { // unchanged
		return in.AppendFragment(b)
	}
	nv := in.NumVars()
	act := make([]int, nv)
	for i := range nv {
		act[i] = b.AddCol("a"+strconv.Itoa(i), 0, 0, 1, solver.Integer)
	}
	ninf := math.Inf(-1)
	switch in.Family {
	case bandits.Interventions:
		b.AddRow("budget", float64(in.B), float64(in.B), act, slices.Repeat([]float64{1}, nv))
	case bandits.Scheduling:
		bySlot := map[[2]int][]int{}
		for j := range in.J {
			cols := []int{act[j]}
			vals := []float64{-2}
			for w := range in.WorkerSlots {
				for t := range bandits.Slots {
					if in.ArmSlots[j][t] && in.WorkerSlots[w][t] {
						y := b.AddCol("y"+strconv.Itoa(j)+"_"+strconv.Itoa(w)+"_"+strconv.Itoa(t), 0, 0, 1, solver.Integer)
						cols = append(cols, y)
						vals = append(vals, 1)
						bySlot[[2]int{w, t}] = append(bySlot[[2]int{w, t}], y)
					}
				}
			}
			b.AddRow("two_slots"+strconv.Itoa(j), 0, 0, cols, vals) // sum y = 2 x
		}
		for w := range in.WorkerSlots {
			for t := range bandits.Slots {
				if ys := bySlot[[2]int{w, t}]; len(ys) > 0 {
					b.AddRow("slot"+strconv.Itoa(w)+"_"+strconv.Itoa(t), ninf, 1, ys, slices.Repeat([]float64{1}, len(ys)))
				}
			}
		}
	case bandits.Capacity:
		byWorker := make([][]int, len(in.WorkerCap))
		costs := make([][]float64, len(in.WorkerCap))
		for j := range in.J {
			cols, vals := []int{act[j]}, []float64{-1}
			for w := range in.WorkerCap {
				y := b.AddCol("y"+strconv.Itoa(j)+"_"+strconv.Itoa(w), 0, 0, 1, solver.Integer)
				cols, vals = append(cols, y), append(vals, 1)
				byWorker[w] = append(byWorker[w], y)
				costs[w] = append(costs[w], float64(in.ArmCost[j]))
			}
			b.AddRow("assign"+strconv.Itoa(j), 0, 0, cols, vals) // sum_w y = x
		}
		for w, c := range in.WorkerCap {
			b.AddRow("cap"+strconv.Itoa(w), ninf, float64(c), byWorker[w], costs[w])
		}
	}
	return act
}
