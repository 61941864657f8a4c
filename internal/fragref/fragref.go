// Package fragref keeps the bandit families' first MIP fragments (per-worker
// assignment for capacity, per-worker-slot assignment for scheduling, the
// flow with a constant big M for path) as a second implementation: tests check
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
	case bandits.Path:
		appendPath(in, b, act)
	}
	return act
}

// appendPath is the first path fragment: a simple route from the source: visited nodes v, arcs u
// (both directions of each edge), a single-commodity flow f from the
// source that rules out cycles detached from it, at most MaxLen arcs, and
// pulled arms (at most B) on visited nodes, with the flow bounded by
// f <= MaxLen u on every arc.
func appendPath(in *bandits.Instance, b *solver.Builder, act []int) {
	g := in.Graph
	n := len(g.Adj)
	L := float64(in.MaxLen)
	ninf := math.Inf(-1)
	v := make([]int, n)
	for i := range n {
		lo := 0.0
		if i == in.Source {
			lo = 1
		}
		v[i] = b.AddCol("v"+strconv.Itoa(i), 0, lo, 1, solver.Integer)
	}
	type arc struct{ from, to, u, f int }
	var arcs []arc
	for a := range n {
		for _, c := range g.Adj[a] {
			if c == in.Source {
				continue // nothing enters the source
			}
			name := strconv.Itoa(a) + "_" + strconv.Itoa(c)
			u := b.AddCol("u"+name, 0, 0, 1, solver.Integer)
			f := b.AddCol("f"+name, 0, 0, L, solver.Continuous)
			arcs = append(arcs, arc{a, c, u, f})
			b.AddRow("cap"+name, ninf, 0, []int{f, u}, []float64{1, -L}) // f <= L u
		}
	}
	in1, inV := make([][]int, n), make([][]float64, n)
	out1, outV := make([][]int, n), make([][]float64, n)
	flowC, flowV := make([][]int, n), make([][]float64, n)
	var all []int
	for _, a := range arcs {
		in1[a.to], inV[a.to] = append(in1[a.to], a.u), append(inV[a.to], 1)
		out1[a.from], outV[a.from] = append(out1[a.from], a.u), append(outV[a.from], 1)
		flowC[a.to], flowV[a.to] = append(flowC[a.to], a.f), append(flowV[a.to], 1)
		flowC[a.from], flowV[a.from] = append(flowC[a.from], a.f), append(flowV[a.from], -1)
		all = append(all, a.u)
	}
	for i := range n {
		s := strconv.Itoa(i)
		if i != in.Source {
			// one arc in exactly when visited; flow in minus out = v
			b.AddRow("in"+s, 0, 0, append(in1[i], v[i]), append(inV[i], -1))
			b.AddRow("flow"+s, 0, 0, append(flowC[i], v[i]), append(flowV[i], -1))
		}
		// at most one arc out, and only from a visited node
		b.AddRow("out"+s, ninf, 0, append(out1[i], v[i]), append(outV[i], -1))
		b.AddRow("pull"+s, ninf, 0, []int{act[i], v[i]}, []float64{1, -1})
	}
	b.AddRow("length", ninf, L, all, slices.Repeat([]float64{1}, len(all)))
	b.AddRow("budget", ninf, float64(in.B), act, slices.Repeat([]float64{1}, len(act)))
}
