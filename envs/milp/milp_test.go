package milp_test

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/corl-go/corl/internal/highstest"

	"github.com/corl-go/corl/envs"
	"github.com/corl-go/corl/envs/envtest"
	"github.com/corl-go/corl/envs/milp"
	"github.com/corl-go/corl/solver"
	"github.com/corl-go/corl/solver/bnb"
	"github.com/corl-go/corl/solver/highs"
)

func needHiGHS(t testing.TB) { highstest.Need(t) }

// instances draws knapsack-like binary programs that need a few dozen nodes.
func instances(rng *rand.Rand) (*solver.Model, error) {
	var b solver.Builder
	b.SetSense(solver.Maximize)
	n := 25
	for range n {
		b.AddCol("", float64(5+rng.IntN(20)), 0, 1, solver.Integer)
	}
	for range 3 {
		idx := make([]int, n)
		val := make([]float64, n)
		sum := 0.0
		for j := range n {
			idx[j], val[j] = j, float64(3+rng.IntN(17))
			sum += val[j]
		}
		b.AddRow("", math.Inf(-1), math.Floor(sum/3), idx, val)
	}
	return b.Build()
}

func newEnv[O any](t *testing.T, obs milp.ObservationFunc[O], reward milp.RewardFunc) *milp.Env[O] {
	t.Helper()
	env, err := milp.New(milp.Config{Instances: instances}, obs, reward)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.Close() })
	return env
}

func TestEnvConformance(t *testing.T) {
	needHiGHS(t)
	envtest.Run(t, envtest.Config[milp.NodeBipartite, int]{
		New: func() envs.Env[milp.NodeBipartite, int] {
			return newEnv(t, &milp.NodeBipartiteFunc{}, milp.NNodes)
		},
		Illegal: func(obs milp.NodeBipartite, legal []int) (int, bool) {
			in := map[int]bool{}
			for _, j := range legal {
				in[j] = true
			}
			for j := range obs.NumCols() {
				if !in[j] {
					return j, true
				}
			}
			return 0, false
		},
		DeterministicReward: true,
	})
}

func TestRewardsSumToMetric(t *testing.T) {
	needHiGHS(t)
	for _, r := range milp.Rewards() {
		t.Run(r.Name(), func(t *testing.T) {
			env := newEnv[[]float64](t, milp.Pseudocosts{}, r)
			for seed := uint64(1); seed <= 3; seed++ {
				if _, err := env.Reset(seed); err != nil {
					t.Fatal(err)
				}
				sum, steps := env.RewardOffset(), 0
				rng := rand.New(rand.NewPCG(seed, 1))
				for !env.Done() {
					legal := env.Legal()
					st, err := env.Step(legal[rng.IntN(len(legal))])
					if err != nil {
						t.Fatal(err)
					}
					sum += st.Reward
					steps++
				}
				stats := env.Search().Stats()
				var final float64
				switch r {
				case milp.NNodes:
					final = float64(stats.Nodes)
				case milp.LPIterations:
					final = float64(stats.LPIterations)
				case milp.SolvingTime:
					final = stats.Time.Seconds()
				case milp.DualIntegral:
					final = stats.DualIntegral
				case milp.PrimalIntegral:
					final = stats.PrimalIntegral
				case milp.PrimalDualIntegral:
					final = stats.PrimalDualIntegral
				}
				if steps == 0 {
					t.Errorf("seed %d: the episode ended at Reset", seed)
				}
				if math.Abs(sum-final) > 1e-9*math.Max(1, math.Abs(final)) || math.Abs(env.Metric()-final) > 1e-12*math.Max(1, math.Abs(final)) {
					t.Errorf("seed %d: rewards sum to %v over %d steps, final metric %v", seed, sum, steps, final)
				}
			}
		})
	}
}

// integralsByHand integrates the bound history (minimisation form) from 0
// to end, piecewise constant from each event to the next: no primal bound
// counts as p0, and the dual bound is clipped to [d0, p0].
func integralsByHand(history []bnb.BoundEvent, end, d0, p0 float64) (primal, dual, primalDual float64) {
	t, p, d := 0.0, math.Inf(1), math.Inf(-1)
	until := func(next float64) {
		dt := next - t
		pp, dd := math.Min(p, p0), math.Min(math.Max(d, d0), p0)
		primal += (pp - d0) * dt
		dual += (p0 - dd) * dt
		primalDual += (pp - dd) * dt
		t = next
	}
	for _, e := range history {
		until(e.Seconds)
		p, d = e.Primal, e.Dual
	}
	until(end)
	return primal, dual, primalDual
}

// TestIntegralsByHand plays whole episodes with each integral reward and
// checks the environment's cumulative metric against the integrals worked
// out from the search's recorded bound history.
func TestIntegralsByHand(t *testing.T) {
	needHiGHS(t)
	for _, r := range []milp.RewardFunc{milp.PrimalIntegral, milp.DualIntegral, milp.PrimalDualIntegral} {
		t.Run(r.Name(), func(t *testing.T) {
			env := newEnv[[]float64](t, milp.Pseudocosts{}, r)
			for seed := uint64(1); seed <= 3; seed++ {
				if _, err := env.Reset(seed); err != nil {
					t.Fatal(err)
				}
				rng := rand.New(rand.NewPCG(seed, 2))
				for !env.Done() {
					legal := env.Legal()
					if _, err := env.Step(legal[rng.IntN(len(legal))]); err != nil {
						t.Fatal(err)
					}
				}
				stats := env.Search().Stats()
				if len(stats.History) < 3 {
					t.Fatalf("seed %d: %d bound changes; the test needs a tree that moves both bounds", seed, len(stats.History))
				}
				// The instances maximise Σ c·x over binaries with c > 0: in
				// minimisation form the trivial bounds are −Σc and 0.
				m := env.Search().Model()
				d0, p0 := 0.0, 0.0
				for _, c := range m.Cost {
					d0 -= c
				}
				primal, dual, primalDual := integralsByHand(stats.History, stats.Time.Seconds(), d0, p0)
				want := map[milp.RewardFunc]float64{milp.PrimalIntegral: primal, milp.DualIntegral: dual, milp.PrimalDualIntegral: primalDual}[r]
				if got := env.Metric(); math.Abs(got-want) > 1e-9*math.Abs(want) || want <= 0 {
					t.Errorf("seed %d: %s %v, by hand %v (history %v, end %v)", seed, r.Name(), got, want, stats.History, stats.Time.Seconds())
				}
			}
		})
	}
}

// TestSameTreeAsSolve drives the environment with each rule and compares
// the tree with bnb.Solve's.
func TestSameTreeAsSolve(t *testing.T) {
	needHiGHS(t)
	for _, name := range []string{"mostfrac", "pscost", "relpscost", "random"} {
		for seed := uint64(1); seed <= 2; seed++ {
			m, _ := instances(rand.New(rand.NewPCG(seed, 0x4d494c50)))
			rule, _ := bnb.NewRule(name, seed)
			lp, _ := highs.New(highs.Config{})
			want, err := bnb.Solve(context.Background(), lp, m, rule, bnb.Config{})
			lp.Close()
			if err != nil {
				t.Fatal(err)
			}
			env := newEnv(t, &milp.NodeBipartiteFunc{}, milp.NNodes)
			if _, err := env.Reset(seed); err != nil {
				t.Fatal(err)
			}
			rule, _ = bnb.NewRule(name, seed)
			for !env.Done() {
				col, err := rule.Select(context.Background(), env.Decision())
				if err != nil {
					t.Fatal(err)
				}
				if _, err := env.Step(col); err != nil {
					t.Fatal(err)
				}
			}
			got := env.Search().Stats()
			_, obj := env.Search().Incumbent()
			if got.Nodes != want.Stats.Nodes || got.LPIterations != want.Stats.LPIterations || got.Branchings != want.Stats.Branchings || obj != want.Objective {
				t.Errorf("%s seed %d: env %d nodes, %d iterations, %d branchings, objective %v; Solve %d, %d, %d, %v",
					name, seed, got.Nodes, got.LPIterations, got.Branchings, obj,
					want.Stats.Nodes, want.Stats.LPIterations, want.Stats.Branchings, want.Objective)
			}
		}
	}
}

// byHandModel is min x + 2y  s.t.  r0: x + y >= 1.5,  r1: x - y <= 0.5,
// x, y integer in [0, 3]; it returns the model and the columns x and y.
func byHandModel() (*solver.Model, int, int) {
	var b solver.Builder
	x := b.AddCol("x", 1, 0, 3, solver.Integer)
	y := b.AddCol("y", 2, 0, 3, solver.Integer)
	b.AddRow("r0", 1.5, solver.Inf, []int{x, y}, []float64{1, 1})
	b.AddRow("r1", math.Inf(-1), 0.5, []int{x, y}, []float64{1, -1})
	m, _ := b.Build()
	return m, x, y
}

// TestNodeBipartiteByHand checks every feature on
//
//	min x + 2y  s.t.  r0: x + y >= 1.5,  r1: x - y <= 0.5,  x, y integer in [0, 3]
//
// whose LP optimum is x = 1, y = 0.5 (both rows tight, duals 1.5 and -0.5);
// simple rounding rounds y up to the incumbent x = 1, y = 1.
func TestNodeBipartiteByHand(t *testing.T) {
	needHiGHS(t)
	m, _, y := byHandModel()
	env, err := milp.New(milp.Config{Instances: milp.Fixed(m)}, &milp.NodeBipartiteFunc{}, milp.NNodes)
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	obs, err := env.Reset(1)
	if err != nil || env.Done() {
		t.Fatalf("reset: %v, done %v", err, env.Done())
	}
	s5, s2, s10 := math.Sqrt(5), math.Sqrt(2), math.Sqrt(10)
	wantCols := [][milp.NumColFeatures]float64{
		// obj, bin, int, impl, cont, hasLB, hasUB, rc, val, frac, atLB, atUB, age, inc, avgInc, lower, basic, upper, zero
		{1 / s5, 0, 1, 0, 0, 1, 1, 0, 1, 0, 0, 0, 0, 1, 1, 0, 1, 0, 0},
		{2 / s5, 0, 1, 0, 0, 1, 1, 0, 0.5, 0.5, 0, 0, 0, 1, 1, 0, 1, 0, 0},
	}
	for j, want := range wantCols {
		got := obs.ColFeatures[j*milp.NumColFeatures : (j+1)*milp.NumColFeatures]
		for k := range want {
			if math.Abs(got[k]-want[k]) > 1e-9 {
				t.Errorf("column %d feature %d: %v, want %v", j, k, got[k], want[k])
			}
		}
	}
	// Split rows: r0 has only a lower side (negated), r1 only an upper side.
	wantRows := [][milp.NumRowFeatures]float64{
		{-1.5 / s2, -3 / s10, 1, -1.5 / s10, 0},
		{0.5 / s2, -1 / s10, 1, -0.5 / s10, 0},
	}
	if obs.NumRows() != 2 || !obs.RowNegated[0] || obs.RowNegated[1] {
		t.Fatalf("split rows %v negated %v", obs.RowOrigin, obs.RowNegated)
	}
	for i, want := range wantRows {
		got := obs.RowFeatures[i*milp.NumRowFeatures : (i+1)*milp.NumRowFeatures]
		for k := range want {
			if math.Abs(got[k]-want[k]) > 1e-9 {
				t.Errorf("row %d feature %d: %v, want %v", i, k, got[k], want[k])
			}
		}
	}
	wantEdges := []struct {
		row, col int
		val      float64
	}{{0, 0, -1 / s2}, {1, 0, 1 / s2}, {0, 1, -1 / s2}, {1, 1, -1 / s2}}
	if len(obs.EdgeRow) != len(wantEdges) {
		t.Fatalf("%d edges, want 4", len(obs.EdgeRow))
	}
	for k, w := range wantEdges {
		if obs.EdgeRow[k] != w.row || obs.EdgeCol[k] != w.col || math.Abs(obs.EdgeValue[k]-w.val) > 1e-12 {
			t.Errorf("edge %d: (%d, %d, %v), want %+v", k, obs.EdgeRow[k], obs.EdgeCol[k], obs.EdgeValue[k], w)
		}
	}
	if len(obs.Candidates) != 1 || obs.Candidates[0] != y {
		t.Errorf("candidates %v, want [y]", obs.Candidates)
	}
}

// TestKhalilByHand checks every Khalil2016 feature at the root of
//
//	min x + 2y  s.t.  r0: x + y >= 1.3,  r1: 2x - y <= 0.5,  x, y integer in [0, 3]
//
// whose LP optimum is x = 0.6, y = 0.7 (both rows tight, duals 5/3 and
// -1/3), so both columns are candidates; no pseudocost is known yet (1).
func TestKhalilByHand(t *testing.T) {
	needHiGHS(t)
	var b solver.Builder
	x := b.AddCol("x", 1, 0, 3, solver.Integer)
	y := b.AddCol("y", 2, 0, 3, solver.Integer)
	b.AddRow("r0", 1.3, solver.Inf, []int{x, y}, []float64{1, 1})
	b.AddRow("r1", math.Inf(-1), 0.5, []int{x, y}, []float64{2, -1})
	m, _ := b.Build()
	// The values by hand are the LP's without cuts (which close this model at the root).
	env, err := milp.New(milp.Config{Instances: milp.Fixed(m), Search: bnb.Config{NoCuts: true}}, &milp.Khalil2016Func{}, milp.NNodes)
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	obs, err := env.Reset(1)
	if err != nil || env.Done() {
		t.Fatalf("reset: %v, done %v", err, env.Done())
	}
	if st := env.Decision().State(); math.Abs(st.X[x]-0.6) > 1e-9 || math.Abs(st.X[y]-0.7) > 1e-9 ||
		math.Abs(st.Dual[0]-5./3) > 1e-9 || math.Abs(st.Dual[1]+1./3) > 1e-9 {
		t.Fatalf("root LP x %v, duals %v; the expected features assume x = (0.6, 0.7), duals (5/3, -1/3)", st.X, st.Dual)
	}
	if len(obs.Candidates) != 2 || obs.Candidates[0] != x || obs.Candidates[1] != y {
		t.Fatalf("candidates %v, want [x y]", obs.Candidates)
	}
	// Row sums: Σ|a| is 2 and 3, positive parts 2 and 2, negative 0 and -1;
	// both rows have 2 columns, none fixed.
	want := [2][milp.NumKhalilFeatures]float64{
		{ // x: 1 in r0, 2 in r1; fractionality 0.6
			1, 1, 0, 2, // obj_coef, its positive and negative parts, n_rows
			2, 0, 2, 2, // degrees of its rows: mean, std, min, max
			2, 1.5, 0.5, 1, 2, // positive coefficients: count, mean, std, min, max
			0, 0, 0, 0, 0, // negative coefficients
			0.4, 0.4, // slack, ceil_dist
			0.4, 0.6, 0.4 / 0.6, 1, 0.24, // ps_up = 1·0.4, ps_down = 1·0.6, ratio, sum, product
			0, 0, 0, 0, // infeasible children
			2, 0, 2, 2, 1, 1, 1, // unfixed degrees at the node, ratios to the root
			4, 1 / 1.3, 0, 0, // a/|rhs| over positive coefficients (2/0.5, 1/1.3), none negative
			1, 0.5, 2, 2, 0, 0, 0, 0, // one-to-all: a/posSum (1/2, 2/2), a/|negSum| (r1: 2/1)
			3, 1.5, 0.5, 2, 1, // active rows, |a|: sum, mean, std, max, min
			1./2 + 2./3, (1./2 + 2./3) / 2, 1. / 12, 2. / 3, 0.5, // |a| / Σ|a_i|: 1/2, 2/3
			1.5, 0.75, 0.25, 1, 0.5, // |a| / unfixed columns: 1/2, 2/2
			7. / 3, 7. / 6, 0.5, 5. / 3, 2. / 3, // |a|·|dual|: 5/3, 2/3
			2, 1, 2, 0, // active rows, their fraction, with a > 0, with a < 0
		},
		{ // y: 1 in r0, -1 in r1; fractionality 0.7
			2, 2, 0, 2,
			2, 0, 2, 2,
			1, 1, 0, 1, 1,
			1, -1, 0, -1, -1,
			0.3, 0.3,
			0.3, 0.7, 0.3 / 0.7, 1, 0.21,
			0, 0, 0, 0,
			2, 0, 2, 2, 1, 1, 1,
			1 / 1.3, 1 / 1.3, -2, -2, // r0: 1/1.3; r1: -1/0.5
			0.5, 0.5, 0, 0, -0.5, -0.5, -1, -1, // r0: 1/2 (no negatives); r1: -1/2 and -1/|-1|
			2, 1, 0, 1, 1,
			1./2 + 1./3, (1./2 + 1./3) / 2, 1. / 12, 0.5, 1. / 3, // 1/2, 1/3
			1, 0.5, 0, 0.5, 0.5,
			2, 1, 2. / 3, 5. / 3, 1. / 3, // 5/3, 1/3
			2, 1, 1, 1,
		},
	}
	for c := range want {
		got := obs.Features[c*milp.NumKhalilFeatures : (c+1)*milp.NumKhalilFeatures]
		for k, w := range want[c] {
			if math.Abs(got[k]-w) > 1e-9 {
				t.Errorf("candidate %d feature %d (%s): %v, want %v", c, k, milp.KhalilFeatureNames[k], got[k], w)
			}
		}
	}
}

// TestStrongBranchingScores: every candidate has a positive score, every
// other column NaN.
func TestStrongBranchingScores(t *testing.T) {
	needHiGHS(t)
	sb := newEnv[[]float64](t, milp.StrongBranchingScores{}, milp.NNodes)
	scores, err := sb.Reset(2)
	if err != nil {
		t.Fatal(err)
	}
	legal := map[int]bool{}
	for _, j := range sb.Legal() {
		legal[j] = true
	}
	for j, v := range scores {
		if legal[j] == math.IsNaN(v) || (legal[j] && v <= 0) {
			t.Errorf("column %d (candidate %v): score %v", j, legal[j], v)
		}
	}
}

// An episode started with ResetContext runs under that context: a
// cancelled one ends at once (an error naming the cancellation, or an
// episode already over), while the same instance under a live context
// branches.
func TestResetContextBoundsTheEpisode(t *testing.T) {
	needHiGHS(t)
	env := newEnv(t, &milp.NodeBipartiteFunc{}, milp.NNodes)
	if _, err := env.ResetContext(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	legal := env.Legal()
	if len(legal) == 0 {
		t.Fatal("the instance is solved at the root: the test needs one that branches")
	}
	if _, err := env.Step(legal[0]); err != nil {
		t.Fatalf("live episode: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := env.ResetContext(ctx, 1)
	if err == nil {
		_, err = env.Step(legal[0])
	}
	if !errors.Is(err, context.Canceled) && !errors.Is(err, envs.ErrEpisodeOver) {
		t.Fatalf("cancelled episode: %v, want it over or context.Canceled", err)
	}
}

// TestStepInfoTreeByHand branches, with heuristics and cuts off, on
//
//	min x + 2y  s.t.  x + y >= 1.5,  x - y <= 0.5,  x, y integer in [0, 3]
//
// Root 0 (x = 1, y = 0.5) branches on y: child 1 (y <= 0) is infeasible,
// child 2 (y >= 1: x = 0.5, value 2.5) branches on x. Its down child 3
// (x <= 0: y = 1.5, value 3), taken first, branches on y again: 5 (y <= 1)
// is infeasible, 6 (y = 2, value 4) integral; then 4 (x = 1, y = 1, value
// 3) is the optimum. So the decisions are nodes 0, 2 and 3 with children
// (1, 2), (3, 4) and (5, 6), and each child names its decision as parent.
func TestStepInfoTreeByHand(t *testing.T) {
	needHiGHS(t)
	m, x, y := byHandModel()
	env, err := milp.New(milp.Config{Instances: milp.Fixed(m), Search: bnb.Config{NoHeuristics: true, NoCuts: true}}, &milp.NodeBipartiteFunc{}, milp.NNodes)
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	if _, err := env.Reset(1); err != nil {
		t.Fatal(err)
	}
	var infos []milp.StepInfo
	for !env.Done() {
		st, err := env.Step(env.Legal()[0])
		if err != nil {
			t.Fatal(err)
		}
		infos = append(infos, st.Info.(milp.StepInfo))
	}
	want := []struct {
		node, parent int64
		children     [2]int64
		col          int
	}{{0, -1, [2]int64{1, 2}, y}, {2, 0, [2]int64{3, 4}, x}, {3, 2, [2]int64{5, 6}, y}}
	if len(infos) != len(want) {
		t.Fatalf("%d decisions, want %d: %+v", len(infos), len(want), infos)
	}
	for i, w := range want {
		if got := infos[i]; got.NodeID != w.node || got.ParentID != w.parent || got.Children != w.children {
			t.Errorf("step %d: node %d parent %d children %v, want %d, %d, %v", i, got.NodeID, got.ParentID, got.Children, w.node, w.parent, w.children)
		}
	}
	if _, obj := env.Search().Incumbent(); obj != 3 {
		t.Errorf("optimum %v, want 3", obj)
	}
	// Against the parents: every child listed names its decision.
	tree := env.Search().Tree()
	if len(tree) != 7 {
		t.Fatalf("%d nodes, want 7", len(tree))
	}
	sum := int64(0)
	for _, info := range infos {
		for _, c := range info.Children {
			if tree[c].ParentID != info.NodeID {
				t.Errorf("child %d of node %d has parent %d", c, info.NodeID, tree[c].ParentID)
			}
		}
		if info.LPIterations != tree[info.NodeID].LPIterations {
			t.Errorf("node %d: StepInfo says %d LP iterations, the tree %d", info.NodeID, info.LPIterations, tree[info.NodeID].LPIterations)
		}
	}
	for _, n := range tree {
		sum += n.LPIterations
	}
	if st := env.Search().Stats(); sum != st.LPIterations || st.Nodes != 7 {
		t.Errorf("nodes' LP iterations sum to %d, Stats %d; %d nodes solved, want 7", sum, st.LPIterations, st.Nodes)
	}
}
