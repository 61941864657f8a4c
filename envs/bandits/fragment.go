package bandits

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/corl-go/corl/solver"
)

// AppendFragment adds the family's constraints on the action to b, as a
// linear MIP fragment: one binary column per action variable (returned, in
// action order, with zero cost for the caller to set) plus auxiliary
// columns and rows. The fragment's feasible points are exactly the
// feasible non-empty actions (and, except for interventions, the empty one).
// The auxiliary columns depend on the instance only, never on the arms'
// states, so a solution of one state's MIP stays a feasible start for the
// next. The formulations are chosen for a strong LP relaxation: see
// appendScheduling, appendCapacity and appendPath.
func (in *Instance) AppendFragment(b *solver.Builder) []int {
	nv := in.NumVars()
	act := make([]int, nv)
	for i := range nv {
		act[i] = b.AddCol("a"+strconv.Itoa(i), 0, 0, 1, solver.Integer)
	}
	switch in.Family {
	case Interventions:
		b.AddRow("budget", float64(in.B), float64(in.B), act, ones(nv))
	case Scheduling:
		in.appendScheduling(b, act)
	case Capacity:
		in.appendCapacity(b, act)
	case Path:
		in.appendPath(b, act)
	}
	return act
}

func ones(n int) []float64 { return slices.Repeat([]float64{1}, n) }

// appendScheduling writes Hall's condition for giving every pulled arm two
// worker-slots. Workers are interchangeable within a slot, so slot t offers
// K_t places (its available workers), arm j can use the slots A_j where it
// is available and K_t > 0, and the pulled arms fit exactly when, for
// every set S of slots, the arms whose slots all lie in S need no more
// places than S offers: 2 sum_{j: A_j ⊆ S} x_j <= K(S). The left side is
// even, so the row is divided by 2 and its bound rounded down, a cut the
// assignment formulation's LP lacks. There are 2^Slots sets; a row is kept
// only if it can bind and no other set bounds the same arms as tightly.
// No auxiliary columns.
func (in *Instance) appendScheduling(b *solver.Builder, act []int) {
	var places [Slots]int
	for _, w := range in.WorkerSlots {
		for t, ok := range w {
			if ok {
				places[t]++
			}
		}
	}
	avail := make([]int, in.J) // A_j as a bit set of slots
	for j, as := range in.ArmSlots {
		for t, ok := range as {
			if ok && places[t] > 0 {
				avail[j] |= 1 << t
			}
		}
	}
	type hall struct {
		arms Action
		set  int // S
		rhs  int
	}
	var rows []hall
	index := map[Action]int{}
	for set := range 1 << Slots {
		k := 0
		for t := range Slots {
			if set>>t&1 == 1 {
				k += places[t]
			}
		}
		var arms Action
		n := 0
		for j, a := range avail {
			if a&^set == 0 {
				arms, n = arms.Set(j), n+1
			}
		}
		if n <= k/2 {
			continue // cannot bind
		}
		if r, ok := index[arms]; ok {
			if k/2 < rows[r].rhs {
				rows[r].set, rows[r].rhs = set, k/2
			}
			continue
		}
		index[arms] = len(rows)
		rows = append(rows, hall{arms, set, k / 2})
	}
	for _, r := range rows {
		m := r.arms.Members()
		cols := make([]int, len(m))
		for i, j := range m {
			cols[i] = act[j]
		}
		b.AddRow("hall"+strconv.Itoa(r.set), math.Inf(-1), float64(r.rhs), cols, ones(len(cols)))
	}
}

// maxPatterns bounds the loads the capacity fragment enumerates; past it
// the fragment assigns arms to workers one by one.
const maxPatterns = 500

// appendCapacity models the assignment of pulled arms to workers by
// loads. A load is a multiset of arm costs that fits a worker's capacity;
// every load is part of a maximal one (no arm cost still available fits
// the room left), and workers of equal capacity are interchangeable. So
// the fragment counts, for each capacity C held by m_C workers, how many
// of them carry each maximal load p (integer z_{C,p}, sum_p z_{C,p} <=
// m_C), and the pulled arms of each cost c must fit in the places for
// cost c those loads offer: sum_{j: cost c} x_j <= sum_{C,p} p_c z_{C,p}.
// A pulled set fits exactly when such counts exist (fill each load's
// places with arms of its costs), and the LP relaxation is the pattern
// (Gilmore-Gomory) bound, with no symmetry between workers. Where the
// loads are too many to list (large capacities), appendAssignment.
func (in *Instance) appendCapacity(b *solver.Builder, act []int) {
	costs := slices.Clone(in.ArmCost)
	slices.Sort(costs)
	costs = slices.Compact(costs)
	avail := make([]int, len(costs)) // arms of each cost
	byCost := make([][]int, len(costs))
	for j, c := range in.ArmCost {
		k, _ := slices.BinarySearch(costs, c)
		avail[k]++
		byCost[k] = append(byCost[k], act[j])
	}
	caps := slices.Clone(in.WorkerCap)
	slices.Sort(caps)
	type load struct {
		capacity, workers int
		places            []int // per cost
	}
	var loads []load
	for i := 0; i < len(caps); {
		c, m := caps[i], 1
		for i+m < len(caps) && caps[i+m] == c {
			m++
		}
		i += m
		for _, p := range maximalLoads(costs, avail, c, maxPatterns-len(loads)) {
			loads = append(loads, load{c, m, p})
		}
		if len(loads) >= maxPatterns {
			in.appendAssignment(b, act)
			return
		}
	}
	vals := make([][]float64, len(costs))
	for k := range costs {
		vals[k] = ones(len(byCost[k]))
	}
	var perCap []int
	for i, l := range loads {
		z := b.AddCol("z"+strconv.Itoa(l.capacity)+"_"+strconv.Itoa(i), 0, 0, float64(l.workers), solver.Integer)
		for k, n := range l.places {
			if n > 0 {
				byCost[k], vals[k] = append(byCost[k], z), append(vals[k], -float64(n))
			}
		}
		perCap = append(perCap, z)
		if i+1 == len(loads) || loads[i+1].capacity != l.capacity {
			if len(perCap) > 1 { // one load: its column's bound says it
				b.AddRow("workers"+strconv.Itoa(l.capacity), math.Inf(-1), float64(l.workers), perCap, ones(len(perCap)))
			}
			perCap = perCap[:0]
		}
	}
	for k, c := range costs {
		b.AddRow("cost"+strconv.Itoa(c), math.Inf(-1), 0, byCost[k], vals[k])
	}
}

// maximalLoads lists the maximal loads of a worker of the given capacity:
// counts per cost (costs ascending, at most avail of each) whose total
// cost fits, to which no further available cost fits. Empty loads are
// left out. It stops after limit loads, returning limit of them.
func maximalLoads(costs, avail []int, capacity, limit int) [][]int {
	var out [][]int
	p := make([]int, len(costs))
	var fill func(k, room int)
	fill = func(k, room int) {
		if len(out) >= limit {
			return
		}
		if k == len(costs) {
			empty := true
			for i, c := range costs {
				if p[i] < avail[i] && c <= room {
					return // not maximal
				}
				empty = empty && p[i] == 0
			}
			if !empty {
				out = append(out, slices.Clone(p))
			}
			return
		}
		for n := min(avail[k], room/costs[k]); n >= 0; n-- {
			p[k] = n
			fill(k+1, room-n*costs[k])
		}
		p[k] = 0
	}
	fill(0, capacity)
	return out
}

// appendAssignment assigns each pulled arm to one worker with room
// (y_{jw}, only where arm j's cost fits worker w's capacity), and orders
// workers of equal capacity by load (nonincreasing), which removes their
// symmetry without removing any assignment up to renaming the workers.
func (in *Instance) appendAssignment(b *solver.Builder, act []int) {
	ninf := math.Inf(-1)
	loadCols := make([][]int, len(in.WorkerCap))
	loadVals := make([][]float64, len(in.WorkerCap))
	for j, c := range in.ArmCost {
		cols, vals := []int{act[j]}, []float64{-1}
		for w, room := range in.WorkerCap {
			if c > room {
				continue
			}
			y := b.AddCol("y"+strconv.Itoa(j)+"_"+strconv.Itoa(w), 0, 0, 1, solver.Integer)
			cols, vals = append(cols, y), append(vals, 1)
			loadCols[w] = append(loadCols[w], y)
			loadVals[w] = append(loadVals[w], float64(c))
		}
		b.AddRow("assign"+strconv.Itoa(j), 0, 0, cols, vals) // sum_w y = x
	}
	prev := map[int]int{} // capacity -> the last worker of it seen
	for w, room := range in.WorkerCap {
		b.AddRow("cap"+strconv.Itoa(w), ninf, float64(room), loadCols[w], loadVals[w])
		if v, ok := prev[room]; ok && len(loadCols[w]) > 0 {
			cols := append(slices.Clone(loadCols[v]), loadCols[w]...)
			vals := append(slices.Clone(loadVals[v]), negated(loadVals[w])...)
			b.AddRow("order"+strconv.Itoa(v)+"_"+strconv.Itoa(w), 0, math.Inf(1), cols, vals) // load v >= load w
		}
		prev[room] = w
	}
}

func negated(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = -x
	}
	return out
}

// appendPath models a simple route from the source: visited nodes v, arcs u
// (both directions of each edge), a single-commodity flow f from the
// source that rules out cycles detached from it, at most MaxLen arcs, and
// pulled arms (at most B) on visited nodes. The flow on a route's arc is
// the number of nodes from its head to the route's end, so with d the
// breadth-first distance from the source an arc out of node a carries
// between 1 and MaxLen - d(a): those are the flow's bounds, in place of a
// constant big M, and nodes farther than MaxLen (arcs out of nodes at
// MaxLen) are left out. An edge is used in one direction at most, and
// only at a visited end. These rows cut off no route, so the feasible
// actions are the same (RATIONALE: "Path's flow is bounded by distance,
// and 2-cycles are cut").
func (in *Instance) appendPath(b *solver.Builder, act []int) {
	g := in.Graph
	n := len(g.Adj)
	L := in.MaxLen
	d := bfs(g, in.Source)
	ninf := math.Inf(-1)
	v := make([]int, n)
	for i := range n {
		lo, hi := 0.0, 1.0
		if i == in.Source {
			lo = 1
		}
		if d[i] > L {
			hi = 0 // out of reach within MaxLen arcs
		}
		v[i] = b.AddCol("v"+strconv.Itoa(i), 0, lo, hi, solver.Integer)
	}
	type arc struct{ from, to, u, f int }
	var arcs []arc
	for a := range n {
		if d[a] >= L {
			continue // an arc out of a would be past the MaxLen-th
		}
		for _, c := range g.Adj[a] {
			if c == in.Source {
				continue // nothing enters the source
			}
			name := strconv.Itoa(a) + "_" + strconv.Itoa(c)
			M := float64(L - d[a])
			u := b.AddCol("u"+name, 0, 0, 1, solver.Integer)
			f := b.AddCol("f"+name, 0, 0, M, solver.Continuous)
			arcs = append(arcs, arc{a, c, u, f})
			b.AddRow("cap"+name, ninf, 0, []int{f, u}, []float64{1, -M})   // f <= (L - d(a)) u
			b.AddRow("least"+name, ninf, 0, []int{u, f}, []float64{1, -1}) // f >= u
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
	// no 2-cycle: an edge is used in one direction at most, and only at a
	// node on the route
	uOf := map[[2]int]int{}
	for _, a := range arcs {
		uOf[[2]int{a.from, a.to}] = a.u
	}
	for _, a := range arcs {
		if back, ok := uOf[[2]int{a.to, a.from}]; ok && a.from < a.to {
			name := strconv.Itoa(a.from) + "_" + strconv.Itoa(a.to)
			b.AddRow("edge"+name, ninf, 0, []int{a.u, back, v[a.from]}, []float64{1, 1, -1})
			b.AddRow("edge"+name+"'", ninf, 0, []int{a.u, back, v[a.to]}, []float64{1, 1, -1})
		}
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
	b.AddRow("length", ninf, float64(L), all, ones(len(all)))
	b.AddRow("budget", ninf, float64(in.B), act, ones(len(act)))
}

// FeasibleMIP decides with a MIP engine whether the action is feasible:
// the fragment with the action's variables fixed (pulled ones to 1, the
// others to 0) has a solution. The engine's model is replaced. A status
// other than optimal or infeasible (a limit, a failure) is an error.
func (in *Instance) FeasibleMIP(ctx context.Context, e solver.Engine, a Action) (bool, error) {
	var b solver.Builder
	act := in.AppendFragment(&b)
	m, err := b.Build()
	if err != nil {
		return false, err
	}
	for i, c := range act {
		if a.Has(i) {
			m.ColLower[c] = 1
		} else {
			m.ColUpper[c] = 0
		}
	}
	if err := e.Load(m); err != nil {
		return false, err
	}
	st, err := e.Solve(ctx)
	if err != nil {
		return false, err
	}
	switch st {
	case solver.StatusOptimal:
		return true, nil
	case solver.StatusInfeasible:
		return false, nil
	}
	return false, fmt.Errorf("bandits: feasibility of %v undecided: the MIP ended %v", a, st)
}
