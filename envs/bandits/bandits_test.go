package bandits_test

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/corl-go/corl/internal/fragref"
	"github.com/corl-go/corl/internal/highstest"

	"github.com/corl-go/corl/envs"
	"github.com/corl-go/corl/envs/bandits"
	"github.com/corl-go/corl/envs/envtest"
	"github.com/corl-go/corl/internal/sharedtest"
	"github.com/corl-go/corl/solver"
)

func needHiGHS(t testing.TB) { highstest.Need(t) }

// feasible is Instance.Feasible for actions it must decide.
func feasible(t testing.TB, in *bandits.Instance, a bandits.Action) bool {
	t.Helper()
	ok, err := in.Feasible(a)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

// failingEngine is a HiGHS engine whose solves fail.
type failingEngine struct{ solver.Engine }

var errSolve = errors.New("solve failed")

func (failingEngine) Solve(context.Context) (solver.Status, error) {
	return solver.StatusError, errSolve
}

// TestFeasibleMIPSurfacesFailures: a failing solve is an error, never an
// infeasible action; a working engine agrees with Feasible.
func TestFeasibleMIPSurfacesFailures(t *testing.T) {
	needHiGHS(t)
	in := instance(t, bandits.Path, 8, 3, 2)
	a := in.Sample(rand.New(rand.NewPCG(3, 3)))
	ok, err := in.FeasibleMIP(t.Context(), failingEngine{highstest.New(t)}, a)
	if !errors.Is(err, errSolve) || ok {
		t.Fatalf("failing engine: %v, %v; want the solve's error", ok, err)
	}
	for _, b := range []bandits.Action{a, bandits.ActionOf(0, 1, 2, 3, 4, 5, 6)} {
		ok, err := in.FeasibleMIP(t.Context(), highstest.New(t), b)
		if err != nil || ok != feasible(t, in, b) {
			t.Fatalf("action %v: FeasibleMIP %v (%v), Feasible %v", b, ok, err, feasible(t, in, b))
		}
	}
}

func instance(t testing.TB, family string, j, b int, seed uint64) *bandits.Instance {
	t.Helper()
	in, err := bandits.Generate(bandits.Config{Family: family, J: j, B: b}, rand.New(rand.NewPCG(seed, 9)))
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func TestConformance(t *testing.T) {
	for _, fam := range bandits.Families() {
		t.Run(fam, func(t *testing.T) {
			in := instance(t, fam, 20, 5, 1)
			envtest.Run(t, envtest.Config[bandits.Obs, bandits.Action]{
				New: func() envs.Env[bandits.Obs, bandits.Action] {
					e, err := bandits.New(in, 20)
					if err != nil {
						t.Fatal(err)
					}
					return e
				},
				Policy: func(o bandits.Obs, _ []bandits.Action, rng *rand.Rand) bandits.Action { return o.Inst.Sample(rng) },
				Illegal: func(o bandits.Obs, _ []bandits.Action) (bandits.Action, bool) {
					var all bandits.Action
					for i := range o.Inst.NumVars() {
						all = all.Set(i)
					}
					ok, err := o.Inst.Feasible(all)
					return all, err == nil && !ok
				},
				DeterministicReward: true,
			})
		})
	}
}

// TestFragmentMatchesFeasible enumerates every action of small instances:
// the MIP fragment with the action fixed is feasible exactly when Feasible
// says so, and the sampler only draws feasible actions. Scheduling and
// capacity, whose fragments were reformulated, are also checked at J = 10
// and against their first formulation (fragref).
func TestFragmentMatchesFeasible(t *testing.T) {
	needHiGHS(t)
	for _, fam := range bandits.Families() {
		t.Run(fam, func(t *testing.T) {
			in := instance(t, fam, 8, 3, 2)
			nFeasible := checkFragment(t, in, in.AppendFragment)
			if nFeasible == 0 {
				t.Fatal("no feasible action at all")
			}
			rng := rand.New(rand.NewPCG(1, 1))
			for range 200 {
				if a := in.Sample(rng); !feasible(t, in, a) {
					t.Fatalf("sampler drew infeasible %v", a)
				}
			}
			t.Logf("%d feasible actions of %d", nFeasible, 1<<in.NumVars()-1)
			if fam == bandits.Interventions {
				return
			}
			checkFragment(t, in, func(b *solver.Builder) []int { return fragref.Append(in, b) })
			budget := 4
			if fam == bandits.Path {
				budget = 2 // routes of 4 arcs: some nodes out of reach, arcs dropped
			}
			for seed := uint64(3); seed <= 4; seed++ {
				in := instance(t, fam, 10, budget, seed)
				t.Logf("J = 10, seed %d: %d feasible actions", seed, checkFragment(t, in, in.AppendFragment))
			}
		})
	}
}

// checkFragment is bandits.CheckFragment against Feasible.
func checkFragment(t *testing.T, in *bandits.Instance, frag func(*solver.Builder) []int) int {
	t.Helper()
	return bandits.CheckFragment(t, in, frag, func(a bandits.Action) bool { return feasible(t, in, a) })
}

// TestMyopicMatchesBruteForce: the myopic MIP's action has the largest
// expected next-step reward of all feasible actions.
func TestMyopicMatchesBruteForce(t *testing.T) {
	needHiGHS(t)
	for _, fam := range bandits.Families() {
		t.Run(fam, func(t *testing.T) {
			for seed := uint64(1); seed <= 3; seed++ {
				in := instance(t, fam, 8, 3, seed)
				pol := &bandits.Myopic{}
				defer pol.Close()
				rng := rand.New(rand.NewPCG(seed, 2))
				states := make([]int, in.J)
				for trial := range 5 {
					for j := range states {
						states[j] = rng.IntN(bandits.NumStates)
					}
					best := math.Inf(-1)
					for mask := 0; mask < 1<<in.NumVars(); mask++ {
						var a bandits.Action
						for i := range in.NumVars() {
							if mask>>i&1 == 1 {
								a = a.Set(i)
							}
						}
						if feasible(t, in, a) {
							best = math.Max(best, in.ExpectedReward(states, a))
						}
					}
					a, err := pol.Act(context.Background(), bandits.Obs{States: states, Inst: in}, rng)
					if err != nil {
						t.Fatal(err)
					}
					if !feasible(t, in, a) {
						t.Fatalf("myopic chose infeasible %v", a)
					}
					if got := in.ExpectedReward(states, a); math.Abs(got-best) > 1e-7 {
						t.Fatalf("seed %d trial %d: myopic %v (%v), brute force %v", seed, trial, got, a, best)
					}
				}
			}
		})
	}
}

func TestBaselinesPlayFeasibly(t *testing.T) {
	needHiGHS(t)
	for _, fam := range bandits.Families() {
		in := instance(t, fam, 20, 5, 3)
		for _, name := range bandits.PolicyNames() {
			pol, err := bandits.NewPolicy(name, bandits.PolicyConfig{})
			if err != nil {
				t.Fatalf("%s/%s: %v", fam, name, err)
			}
			env, err := bandits.New(in, 5)
			if err != nil {
				t.Fatalf("%s/%s: %v", fam, name, err)
			}
			obs, err := env.Reset(1)
			if err != nil {
				t.Fatalf("%s/%s: %v", fam, name, err)
			}
			rng := rand.New(rand.NewPCG(4, 4))
			for range 5 {
				a, err := pol.Act(context.Background(), obs, rng)
				if errors.Is(err, bandits.ErrUndefined) {
					break
				}
				if err != nil {
					t.Fatalf("%s/%s: %v", fam, name, err)
				}
				st, err := env.Step(a) // refuses an infeasible action
				if err != nil {
					t.Fatalf("%s/%s: %v", fam, name, err)
				}
				obs = st.Obs
			}
			bandits.ClosePolicy(pol)
		}
	}
}

// TestWhittleIndex checks the indices three ways: with no effect of acting
// every index is 0; with a tiny discount the index is the one-step gain
// beta (pa - pp) (r(up) - r(down)); and at beta = 0.95 an exact policy
// evaluation (linear solves, not value iteration) prefers acting just
// below the index and resting just above it.
func TestWhittleIndex(t *testing.T) {
	arm := bandits.Arm{PActive: 0.8, PPassive: 0.1, Reward: [4]float64{0.2, 0.15, 0.1, 5}}
	same := arm
	same.PPassive = same.PActive
	for s, v := range bandits.WhittleIndex(same, 0.95) {
		if math.Abs(v) > 1e-9 {
			t.Errorf("no-effect arm, state %d: index %v, want 0", s, v)
		}
	}
	beta := 1e-4
	idx := bandits.WhittleIndex(arm, beta)
	for s := range 4 {
		up, dn := min(s+1, 3), max(s-1, 0)
		want := beta * (arm.PActive - arm.PPassive) * (arm.Reward[up] - arm.Reward[dn])
		if math.Abs(idx[s]-want) > 1e-7 {
			t.Errorf("beta %v, state %d: index %v, one-step gain %v", beta, s, idx[s], want)
		}
	}
	idx = bandits.WhittleIndex(arm, 0.95)
	for s := range 4 {
		for _, c := range []struct {
			lambda      float64
			actsAtState bool
		}{{idx[s] - 1e-4, true}, {idx[s] + 1e-4, false}} {
			if acts := exactPolicyActs(arm, 0.95, c.lambda, s); acts != c.actsAtState {
				t.Errorf("state %d, subsidy %v (index %v): optimal policy acts = %v", s, c.lambda, idx[s], acts)
			}
		}
	}
}

// exactPolicyActs runs policy iteration with exact evaluation and reports
// whether the optimal policy acts in state s.
func exactPolicyActs(a bandits.Arm, beta, lambda float64, s int) bool {
	act := [4]bool{}
	q := func(v [4]float64, x int, active bool) float64 {
		p, sub := a.PPassive, lambda
		if active {
			p, sub = a.PActive, 0
		}
		return a.Reward[x] + sub + beta*(p*v[min(x+1, 3)]+(1-p)*v[max(x-1, 0)])
	}
	var v [4]float64
	for range 100 {
		// Solve (I - beta P) v = r for the current policy.
		var m [4][5]float64
		for x := range 4 {
			p, sub := a.PPassive, lambda
			if act[x] {
				p, sub = a.PActive, 0
			}
			m[x][x] += 1
			m[x][min(x+1, 3)] -= beta * p
			m[x][max(x-1, 0)] -= beta * (1 - p)
			m[x][4] = a.Reward[x] + sub
		}
		for c := range 4 {
			piv := c
			for r := c + 1; r < 4; r++ {
				if math.Abs(m[r][c]) > math.Abs(m[piv][c]) {
					piv = r
				}
			}
			m[c], m[piv] = m[piv], m[c]
			for r := range 4 {
				if r != c {
					f := m[r][c] / m[c][c]
					for k := c; k < 5; k++ {
						m[r][k] -= f * m[c][k]
					}
				}
			}
		}
		for x := range 4 {
			v[x] = m[x][4] / m[x][x]
		}
		changed := false
		for x := range 4 {
			better := q(v, x, true) > q(v, x, false)
			if better != act[x] {
				act[x], changed = better, true
			}
		}
		if !changed {
			break
		}
	}
	return q(v, s, true) > q(v, s, false)
}

func TestLondonNetwork(t *testing.T) {
	path := filepath.Join(sharedtest.Dir(t), "bandits", "london_connections.csv")
	g, err := bandits.LoadNetwork(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Adj) < 250 || g.NumEdges() < 300 {
		t.Errorf("London network: %d stations, %d edges", len(g.Adj), g.NumEdges())
	}
	in, err := bandits.Generate(bandits.Config{Family: bandits.Path, J: 40, B: 10, Network: g}, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Graph.Adj) != 40 {
		t.Errorf("subgraph of %d nodes", len(in.Graph.Adj))
	}
	seen := map[int]bool{in.Source: true}
	stack := []int{in.Source}
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, u := range in.Graph.Adj[v] {
			if !seen[u] {
				seen[u] = true
				stack = append(stack, u)
			}
		}
	}
	if len(seen) != 40 {
		t.Errorf("subgraph not connected: %d of 40 reachable", len(seen))
	}
}

func TestNetworkErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "net.csv")
	os.WriteFile(bad, []byte("station1,station2\n1,2\n3,x\n"), 0o644)
	_, err := bandits.LoadNetwork(bad)
	var ne *bandits.NetworkError
	if !errors.As(err, &ne) || ne.Line != 3 || !errors.Is(err, bandits.ErrNetwork) {
		t.Errorf("bad id: %v", err)
	}
	os.WriteFile(bad, []byte("a,b\n1,2\n"), 0o644)
	if _, err := bandits.LoadNetwork(bad); !errors.As(err, &ne) || ne.Line != 1 {
		t.Errorf("bad header: %v", err)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []bandits.Config{
		{Family: "nope", J: 20, B: 5},
		{Family: bandits.Capacity, J: 1, B: 1},
		{Family: bandits.Capacity, J: 20, B: 20},
		{Family: bandits.Capacity, J: 200, B: 5},
	} {
		if _, err := bandits.Generate(c, rand.New(rand.NewPCG(1, 1))); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
}
