package bandits

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
)

// UpProbs writes each arm's probability of moving up under the action.
func (in *Instance) UpProbs(a Action, dst []float64) []float64 {
	if dst == nil {
		dst = make([]float64, in.J)
	}
	for j, arm := range in.Arms {
		if in.Family == Interventions {
			on := 0
			for _, k := range in.Links[j] {
				if a.Has(k) {
					on++
				}
			}
			dst[j] = interventionProb(arm, float64(on)/float64(len(in.Links[j])))
		} else if a.Has(j) {
			dst[j] = arm.PActive
		} else {
			dst[j] = arm.PPassive
		}
	}
	return dst
}

// interventionProb is sigmoid(a x + b) with b = logit(PPassive) and
// a = logit(PActive) - b: x = 0 gives PPassive, x = 1 PActive.
func interventionProb(arm Arm, x float64) float64 {
	b := logit(arm.PPassive)
	return sigmoid((logit(arm.PActive)-b)*x + b)
}

// ExpectedReward is the expected reward of the next states: SEQUOIA's
// evaluation metric.
func (in *Instance) ExpectedReward(states []int, a Action) float64 {
	p := in.UpProbs(a, nil)
	e := 0.0
	for j, arm := range in.Arms {
		e += arm.Expected(states[j], p[j])
	}
	return e
}

// ErrUndecided: the route search of the path family ran out of its
// budget before deciding an action; FeasibleMIP decides it.
var ErrUndecided = errors.New("bandits: route search budget exhausted before deciding feasibility")

// Feasible reports whether the action satisfies the family's constraints.
// The empty action ("no action") is always feasible. For the path family
// the route search has a budget; past it Feasible returns ErrUndecided
// (wrapped), and FeasibleMIP gives the answer.
func (in *Instance) Feasible(a Action) (bool, error) {
	ok, decided := in.feasible(a)
	if !decided {
		return false, fmt.Errorf("action %v: %w", a, ErrUndecided)
	}
	return ok, nil
}

// feasible is Feasible without the error: decided is false only for a
// path action the route search could not settle.
func (in *Instance) feasible(a Action) (ok, decided bool) {
	if a == (Action{}) {
		return true, true
	}
	m := a.Members()
	if m[len(m)-1] >= in.NumVars() {
		return false, true
	}
	switch in.Family {
	case Interventions:
		return len(m) == in.B, true
	case Scheduling:
		return in.schedulable(m), true
	case Capacity:
		return in.packable(m), true
	case Path:
		if len(m) > in.B {
			return false, true
		}
		return in.onRoute(m)
	}
	return false, true
}

// schedulable finds two compatible worker-slots for each pulled arm, each
// worker-slot used once (augmenting paths on the bipartite graph).
func (in *Instance) schedulable(arms []int) bool {
	if 2*len(arms) > len(in.WorkerSlots)*Slots {
		return false
	}
	owner := map[[2]int]int{} // worker-slot -> index into demand
	var demand []int          // one unit per needed worker-slot: the arm
	for _, j := range arms {
		demand = append(demand, j, j)
	}
	var try func(u int, seen map[[2]int]bool) bool
	try = func(u int, seen map[[2]int]bool) bool {
		j := demand[u]
		for w := range in.WorkerSlots {
			for t := range Slots {
				ws := [2]int{w, t}
				if !in.ArmSlots[j][t] || !in.WorkerSlots[w][t] || seen[ws] {
					continue
				}
				seen[ws] = true
				if o, ok := owner[ws]; !ok || try(o, seen) {
					owner[ws] = u
					return true
				}
			}
		}
		return false
	}
	for u := range demand {
		if !try(u, map[[2]int]bool{}) {
			return false
		}
	}
	return true
}

// packable assigns the pulled arms to workers within their capacities
// (depth-first, largest cost first).
func (in *Instance) packable(arms []int) bool {
	cost := make([]int, len(arms))
	total, room := 0, 0
	for k, j := range arms {
		cost[k] = in.ArmCost[j]
		total += cost[k]
	}
	left := slices.Clone(in.WorkerCap)
	for _, c := range left {
		room += c
	}
	if total > room {
		return false
	}
	slices.SortFunc(cost, func(a, b int) int { return b - a })
	rest := make([]int, len(cost)+1) // rest[k]: total cost of items k..
	for k := len(cost) - 1; k >= 0; k-- {
		rest[k] = rest[k+1] + cost[k]
	}
	var place func(k int) bool
	place = func(k int) bool {
		if k == len(cost) {
			return true
		}
		// Room too small for the smallest remaining item is wasted.
		usable, smallest := 0, cost[len(cost)-1]
		for _, l := range left {
			if l >= smallest {
				usable += l
			}
		}
		if usable < rest[k] {
			return false
		}
		tried := map[int]bool{}
		for w := range left {
			if left[w] >= cost[k] && !tried[left[w]] {
				tried[left[w]] = true // workers with equal room are interchangeable
				left[w] -= cost[k]
				if place(k + 1) {
					return true
				}
				left[w] += cost[k]
			}
		}
		return false
	}
	return place(0)
}

// onRoute reports whether one simple path from the source with at most
// MaxLen edges visits every node in nodes (depth-first search, pruned by
// the distance to the nearest node still unvisited); decided is false when
// the search ran out of its budget.
func (in *Instance) onRoute(nodes []int) (ok, decided bool) {
	g := in.Graph
	n := len(g.Adj)
	need := make([]bool, n)
	left := 0
	for _, v := range nodes {
		if v != in.Source {
			need[v] = true
			left++
		}
	}
	if left == 0 {
		return true, true
	}
	distTo := map[int][]int{} // BFS distances from each needed node
	for _, v := range nodes {
		distTo[v] = bfs(g, v)
	}
	visited := make([]bool, n)
	budget := 200000 // expansions before handing the question to the MIP
	var walk func(v, length, left int) bool
	walk = func(v, length, left int) bool {
		if left == 0 {
			return true
		}
		if budget--; budget < 0 {
			return false
		}
		// every node still needed must be reachable within the remaining length
		for _, u := range nodes {
			if need[u] && !visited[u] && distTo[u][v] > in.MaxLen-length {
				return false
			}
		}
		for _, u := range g.Adj[v] {
			if visited[u] {
				continue
			}
			visited[u] = true
			l := left
			if need[u] {
				l--
			}
			if walk(u, length+1, l) {
				visited[u] = false
				return true
			}
			visited[u] = false
		}
		return false
	}
	visited[in.Source] = true
	if walk(in.Source, 0, left) {
		return true, true
	}
	return false, budget >= 0 // false and decided when the search was exhaustive
}

func bfs(g *Graph, s int) []int {
	d := make([]int, len(g.Adj))
	for i := range d {
		d[i] = 1 << 30
	}
	d[s] = 0
	q := []int{s}
	for len(q) > 0 {
		v := q[0]
		q = q[1:]
		for _, u := range g.Adj[v] {
			if d[u] > d[v]+1 {
				d[u] = d[v] + 1
				q = append(q, u)
			}
		}
	}
	return d
}

// Sample draws a random feasible action.
func (in *Instance) Sample(rng *rand.Rand) Action {
	switch in.Family {
	case Interventions:
		return ActionOf(rng.Perm(in.N)[:in.B]...)
	case Path:
		// a random simple walk from the source, then a random subset of it
		route := []int{in.Source}
		on := map[int]bool{in.Source: true}
		steps := rng.IntN(in.MaxLen + 1)
		for v := in.Source; len(route) <= steps; {
			var next []int
			for _, u := range in.Graph.Adj[v] {
				if !on[u] {
					next = append(next, u)
				}
			}
			if len(next) == 0 {
				break
			}
			v = next[rng.IntN(len(next))]
			on[v] = true
			route = append(route, v)
		}
		k := 1 + rng.IntN(min(in.B, len(route)))
		rng.Shuffle(len(route), func(a, b int) { route[a], route[b] = route[b], route[a] })
		return ActionOf(route[:k]...)
	}
	// scheduling and capacity: random order, add while feasible, up to a random size
	target := 1 + rng.IntN(in.J)
	var a Action
	for _, j := range rng.Perm(in.J) {
		if a.Len() >= target {
			break
		}
		if b := a.Set(j); in.packableOrSchedulable(b) {
			a = b
		}
	}
	return a
}

// packableOrSchedulable is the scheduling and capacity check, which is
// always decided.
func (in *Instance) packableOrSchedulable(a Action) bool {
	ok, _ := in.feasible(a)
	return ok
}
