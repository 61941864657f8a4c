package bandits

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
)

// Family names.
const (
	Interventions = "interventions"
	Scheduling    = "scheduling"
	Capacity      = "capacity"
	Path          = "path"
)

// Families returns the family names.
func Families() []string { return []string{Interventions, Scheduling, Capacity, Path} }

// Slots is the number of time slots of the scheduling family.
const Slots = 5

// Instance is one coupled bandit: the arms and the family's constraint data.
type Instance struct {
	Family string
	J, B   int
	Arms   []Arm

	// interventions
	N     int     // number of interventions
	Links [][]int // per arm, its linked interventions

	// scheduling: availability per worker and per arm, by slot
	WorkerSlots [][Slots]bool
	ArmSlots    [][Slots]bool

	// capacity
	WorkerCap []int
	ArmCost   []int

	// path
	Graph  *Graph
	Source int
	MaxLen int // route length bound, 2B
}

// NumVars is the number of action variables: interventions or arms.
func (in *Instance) NumVars() int {
	if in.Family == Interventions {
		return in.N
	}
	return in.J
}

// Graph is an undirected graph on nodes 0..n-1.
type Graph struct {
	Adj   [][]int
	Names []string // optional
}

// NumEdges counts the undirected edges.
func (g *Graph) NumEdges() int {
	n := 0
	for _, a := range g.Adj {
		n += len(a)
	}
	return n / 2
}

// Config describes an instance to generate.
type Config struct {
	Family string
	J, B   int
	// Network, when set, is the graph the path family draws connected
	// subgraphs from (the London Underground); nil: random geometric graphs.
	Network *Graph
}

// Validate checks the configuration.
func (c Config) Validate() error {
	if !slices.Contains(Families(), c.Family) {
		return fmt.Errorf("bandits: unknown family %q (want one of %s)", c.Family, strings.Join(Families(), ", "))
	}
	switch {
	case c.J < 2 || c.J > MaxVars:
		return fmt.Errorf("bandits: J = %d arms: want 2..%d", c.J, MaxVars)
	case c.B < 1 || c.B >= c.J:
		return fmt.Errorf("bandits: budget B = %d: want 1..J-1", c.B)
	case c.Family == Path && c.Network != nil && len(c.Network.Adj) < c.J:
		return fmt.Errorf("bandits: the network has %d nodes, fewer than J = %d", len(c.Network.Adj), c.J)
	}
	return nil
}

// Generate draws an instance.
func Generate(cfg Config, rng *rand.Rand) (*Instance, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	in := &Instance{Family: cfg.Family, J: cfg.J, B: cfg.B}
	good := rng.Perm(cfg.J)[:cfg.B]
	for j := range cfg.J {
		in.Arms = append(in.Arms, newArm(rng, slices.Contains(good, j)))
	}
	switch cfg.Family {
	case Interventions:
		in.N = max(cfg.B+1, cfg.J/2)
		for range cfg.J {
			k := 1 + rng.IntN(3)
			in.Links = append(in.Links, sortedSample(rng, in.N, k))
		}
	case Scheduling:
		in.WorkerSlots = make([][Slots]bool, cfg.B)
		for w := range in.WorkerSlots {
			for t := range Slots {
				in.WorkerSlots[w][t] = rng.Float64() < 0.8
			}
		}
		in.ArmSlots = make([][Slots]bool, cfg.J)
		for j := range in.ArmSlots {
			for t := range Slots {
				in.ArmSlots[j][t] = rng.Float64() < 0.4
			}
		}
	case Capacity:
		for range cfg.B {
			in.WorkerCap = append(in.WorkerCap, 2+rng.IntN(6))
		}
		for range cfg.J {
			in.ArmCost = append(in.ArmCost, 2+rng.IntN(5))
		}
	case Path:
		if cfg.Network != nil {
			in.Graph = connectedSubgraph(cfg.Network, cfg.J, rng)
		} else {
			in.Graph = geometricGraph(cfg.J, rng)
		}
		in.Source = rng.IntN(cfg.J)
		in.MaxLen = 2 * cfg.B
	}
	return in, nil
}

func sortedSample(rng *rand.Rand, n, k int) []int {
	s := rng.Perm(n)[:k]
	slices.Sort(s)
	return s
}

// connectedSubgraph grows a connected set of n nodes from a random node by
// random breadth-first expansion and returns the induced subgraph.
func connectedSubgraph(g *Graph, n int, rng *rand.Rand) *Graph {
	for {
		start := rng.IntN(len(g.Adj))
		picked := []int{start}
		in := map[int]int{start: 0}
		frontier := slices.Clone(g.Adj[start])
		for len(picked) < n && len(frontier) > 0 {
			k := rng.IntN(len(frontier))
			v := frontier[k]
			frontier = slices.Delete(frontier, k, k+1)
			if _, ok := in[v]; ok {
				continue
			}
			in[v] = len(picked)
			picked = append(picked, v)
			frontier = append(frontier, g.Adj[v]...)
		}
		if len(picked) < n {
			continue // the component was too small: try elsewhere
		}
		sub := &Graph{Adj: make([][]int, n)}
		for i, v := range picked {
			for _, u := range g.Adj[v] {
				if k, ok := in[u]; ok {
					sub.Adj[i] = append(sub.Adj[i], k)
				}
			}
			slices.Sort(sub.Adj[i])
			if g.Names != nil {
				sub.Names = append(sub.Names, g.Names[v])
			}
		}
		return sub
	}
}

// geometricGraph places n points in the unit square and joins pairs closer
// than a radius giving a mean degree near the London network's (about
// 2.7), then joins components by their closest pairs so it is connected.
func geometricGraph(n int, rng *rand.Rand) *Graph {
	x, y := make([]float64, n), make([]float64, n)
	for i := range n {
		x[i], y[i] = rng.Float64(), rng.Float64()
	}
	r := math.Sqrt(2.7 / (math.Pi * float64(n)))
	g := &Graph{Adj: make([][]int, n)}
	link := func(a, b int) {
		if !slices.Contains(g.Adj[a], b) {
			g.Adj[a] = append(g.Adj[a], b)
			g.Adj[b] = append(g.Adj[b], a)
		}
	}
	for i := range n {
		for j := i + 1; j < n; j++ {
			if math.Hypot(x[i]-x[j], y[i]-y[j]) < r {
				link(i, j)
			}
		}
	}
	for {
		comp := components(g)
		if comp.count == 1 {
			break
		}
		// join component 0 to its nearest node outside
		best, bi, bj := math.Inf(1), -1, -1
		for i := range n {
			if comp.of[i] != 0 {
				continue
			}
			for j := range n {
				if comp.of[j] != 0 {
					if d := math.Hypot(x[i]-x[j], y[i]-y[j]); d < best {
						best, bi, bj = d, i, j
					}
				}
			}
		}
		link(bi, bj)
	}
	for i := range g.Adj {
		slices.Sort(g.Adj[i])
	}
	return g
}

type comps struct {
	of    []int
	count int
}

func components(g *Graph) comps {
	of := make([]int, len(g.Adj))
	for i := range of {
		of[i] = -1
	}
	c := 0
	for s := range g.Adj {
		if of[s] >= 0 {
			continue
		}
		stack := []int{s}
		of[s] = c
		for len(stack) > 0 {
			v := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for _, u := range g.Adj[v] {
				if of[u] < 0 {
					of[u] = c
					stack = append(stack, u)
				}
			}
		}
		c++
	}
	return comps{of, c}
}

// ErrNetwork reports a malformed network file.
var ErrNetwork = errors.New("bandits: bad network file")
