package milp_test

import (
	"context"
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
	for _, r := range milp.Rewards {
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

// TestNodeBipartiteByHand checks every feature on
//
//	min x + 2y  s.t.  r0: x + y >= 1.5,  r1: x - y <= 0.5,  x, y integer in [0, 3]
//
// whose LP optimum is x = 1, y = 0.5 (both rows tight, duals 1.5 and -0.5);
// simple rounding rounds y up to the incumbent x = 1, y = 1.
func TestNodeBipartiteByHand(t *testing.T) {
	needHiGHS(t)
	var b solver.Builder
	x := b.AddCol("x", 1, 0, 3, solver.Integer)
	y := b.AddCol("y", 2, 0, 3, solver.Integer)
	b.AddRow("r0", 1.5, solver.Inf, []int{x, y}, []float64{1, 1})
	b.AddRow("r1", math.Inf(-1), 0.5, []int{x, y}, []float64{1, -1})
	m, _ := b.Build()
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

func TestKhalilAndScores(t *testing.T) {
	needHiGHS(t)
	kh := newEnv(t, &milp.Khalil2016Func{}, milp.NNodes)
	obs, err := kh.Reset(2)
	if err != nil || kh.Done() {
		t.Fatal(err)
	}
	if len(obs.Features) != len(obs.Candidates)*milp.NumKhalilFeatures {
		t.Fatalf("%d features for %d candidates", len(obs.Features), len(obs.Candidates))
	}
	for k, v := range obs.Features {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Fatalf("feature %s of candidate %d is %v", milp.KhalilFeatureNames[k%milp.NumKhalilFeatures], k/milp.NumKhalilFeatures, v)
		}
	}
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
