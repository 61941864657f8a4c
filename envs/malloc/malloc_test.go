package malloc_test

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/corl-go/corl/internal/highstest"

	"github.com/corl-go/corl/envs"
	"github.com/corl-go/corl/envs/envtest"
	"github.com/corl-go/corl/envs/malloc"
)

func needHiGHS(t testing.TB) { highstest.Need(t) }

// randomInstance draws n buffers over a horizon with sizes up to maxSize.
func randomInstance(rng *rand.Rand, n int, horizon, maxSize, capacity int64) *malloc.Instance {
	in := &malloc.Instance{Name: "random", Capacity: capacity, Alignment: 1}
	for i := range n {
		s := rng.Int64N(horizon - 1)
		e := s + 1 + rng.Int64N(horizon-s)
		size := 1 + rng.Int64N(maxSize)
		uses := 2 + rng.IntN(4)
		in.Buffers = append(in.Buffers, malloc.Buffer{ID: i, Start: s, End: e, Size: size, Uses: uses,
			Benefit: malloc.DefaultModel.Benefit(size, uses)})
	}
	return in
}

func TestConformance(t *testing.T) {
	in := randomInstance(rand.New(rand.NewPCG(1, 1)), 30, 20, 8, 16)
	envtest.Run(t, envtest.Config[malloc.Obs, int]{
		New: func() envs.Env[malloc.Obs, int] {
			g, err := malloc.New(in, malloc.Config{})
			if err != nil {
				t.Fatal(err)
			}
			return g
		},
		Illegal: func(o malloc.Obs, _ []int) (int, bool) {
			if len(o.Offsets) < malloc.MaxCandidates {
				return len(o.Offsets), true
			}
			return 0, false
		},
		DeterministicReward: true,
	})
}

// FuzzPlacement plays random legal actions on random instances: placed
// buffers live at the same time never overlap in address or exceed capacity.
func FuzzPlacement(f *testing.F) {
	f.Add(uint64(1), uint8(20), uint8(8), uint8(16))
	f.Add(uint64(7), uint8(60), uint8(30), uint8(40))
	f.Fuzz(func(t *testing.T, seed uint64, n, maxSize, capacity uint8) {
		if n == 0 || maxSize == 0 || capacity == 0 {
			return
		}
		rng := rand.New(rand.NewPCG(seed, 3))
		in := randomInstance(rng, int(n), 30, int64(maxSize), int64(capacity))
		in.Alignment = int64(1 + seed%4)
		g, err := malloc.New(in, malloc.Config{Order: malloc.Order(seed % 2)})
		if err != nil {
			t.Fatal(err)
		}
		g.Reset(seed)
		sum := 0.0
		for !g.Done() {
			st, err := g.Step(g.RandomLegal(rng))
			if err != nil {
				t.Fatal(err)
			}
			sum += st.Reward
			for _, off := range st.Obs.Offsets {
				if off%in.Alignment != 0 {
					t.Fatalf("candidate offset %d not aligned to %d", off, in.Alignment)
				}
			}
		}
		if err := in.CheckPlacement(g.Offsets()); err != nil {
			t.Fatal(err)
		}
		if math.Abs(sum-g.Metric()) > 1e-9 {
			t.Fatalf("rewards sum to %v, metric %v", sum, g.Metric())
		}
	})
}

// bruteForce tries every integer offset (or slow memory) for each buffer.
func bruteForce(in *malloc.Instance) float64 {
	n := len(in.Buffers)
	off := make([]int64, n)
	best := 0.0
	var rec func(i int, val float64)
	rec = func(i int, val float64) {
		if i == n {
			best = math.Max(best, val)
			return
		}
		rest := 0.0
		for k := i; k < n; k++ {
			rest += in.Buffers[k].Benefit
		}
		if val+rest <= best {
			return
		}
		b := in.Buffers[i]
		for o := int64(0); o+b.Size <= in.Capacity; o++ {
			ok := true
			for k := range i {
				c := in.Buffers[k]
				if off[k] >= 0 && b.Overlaps(c) && o < off[k]+c.Size && off[k] < o+b.Size {
					ok = false
					break
				}
			}
			if ok {
				off[i] = o
				rec(i+1, val+b.Benefit)
			}
		}
		off[i] = -1
		rec(i+1, val)
	}
	rec(0, 0)
	return best
}

func TestMIPMatchesBruteForceAndBeatsHeuristics(t *testing.T) {
	needHiGHS(t)
	rng := rand.New(rand.NewPCG(5, 5))
	for k := range 20 {
		in := randomInstance(rng, 7, 8, 5, 8)
		if k%2 == 1 { // some buffers larger than the fast memory
			in = randomInstance(rng, 7, 8, 24, 8)
		}
		want := bruteForce(in)
		mip, err := malloc.SolveMIP(context.Background(), in, malloc.MIPConfig{})
		if err != nil {
			t.Fatal(err)
		}
		if !mip.Optimal || math.Abs(mip.Benefit-want) > 1e-9*want {
			t.Fatalf("instance %d: MIP %v (optimal %v), brute force %v", k, mip.Benefit, mip.Optimal, want)
		}
		for _, name := range []string{"xla", "firstfit", "random"} {
			r, err := malloc.RunBaseline(context.Background(), in, name, uint64(k), malloc.MIPConfig{})
			if err != nil {
				t.Fatal(err)
			}
			if r.Benefit > mip.Benefit*(1+1e-9) {
				t.Fatalf("instance %d: %s saves %v, more than the optimum %v", k, name, r.Benefit, mip.Benefit)
			}
		}
	}
}

// TestMIPStartsFromBestHeuristic stops the MIP after one node, where it has
// not yet found much on its own: started from the better of the xla and
// firstfit placements, it still ends at least as good as both, with a
// valid placement.
func TestMIPStartsFromBestHeuristic(t *testing.T) {
	needHiGHS(t)
	rng := rand.New(rand.NewPCG(8, 8))
	for k := range 4 {
		in := randomInstance(rng, 30, 20, 16, 40)
		mip, err := malloc.SolveMIP(t.Context(), in, malloc.MIPConfig{NodeLimit: 1})
		if err != nil {
			t.Fatal(err)
		}
		best := 0.0
		for _, name := range []string{"xla", "firstfit"} {
			r, err := malloc.RunBaseline(t.Context(), in, name, 0, malloc.MIPConfig{})
			if err != nil {
				t.Fatal(err)
			}
			best = max(best, r.Fraction)
		}
		if mip.Fraction < best-1e-12 {
			t.Errorf("instance %d: mip ends at %.4f of the benefit, below the heuristics' %.4f", k, mip.Fraction, best)
		}
		if err := in.CheckPlacement(mip.Offsets); err != nil {
			t.Errorf("instance %d: %v", k, err)
		}
		t.Logf("instance %d: mip %.4f (optimal %v, bound %.4f), best heuristic %.4f", k, mip.Fraction, mip.Optimal, mip.Bound, best)
	}
}

// gameState is everything a caller can see of a game.
type gameState struct {
	Current    int
	Offsets    []int64
	Candidates []int64
	Legal      []int
	TimeSaved  float64
	Done       bool
}

func stateOf(g *malloc.Env) gameState {
	return gameState{g.Current(), g.Offsets(), slices.Clone(g.Candidates()), g.Legal(), g.TimeSaved(), g.Done()}
}

// newGameAfter returns a game on in after the given actions.
func newGameAfter(t *testing.T, in *malloc.Instance, actions []int) *malloc.Env {
	t.Helper()
	g, err := malloc.New(in, malloc.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Reset(0); err != nil {
		t.Fatal(err)
	}
	for _, a := range actions {
		if _, err := g.Step(a); err != nil {
			t.Fatal(err)
		}
	}
	return g
}

// TestCloneIsIndependent plays a game and its clone with different moves,
// interleaved, and checks after every move that each shows what a game
// that never had a clone shows after the same moves.
func TestCloneIsIndependent(t *testing.T) {
	in := randomInstance(rand.New(rand.NewPCG(2, 2)), 12, 10, 4, 12)
	// Three buffers placed (so the internal lists have room to grow in
	// place, where a shared backing array would show) and one in slow memory.
	prefix := []int{0, 0, 0, malloc.SlowAction}
	g := newGameAfter(t, in, prefix)
	c := g.Clone()
	if got, want := stateOf(c), stateOf(g); !reflect.DeepEqual(got, want) {
		t.Fatalf("clone %+v, original %+v", got, want)
	}
	// The clone places its first buffer and no other; the original places
	// every buffer but its first. A list the two shared would hold the
	// original's second buffer where the clone's first should be.
	place := func(g *malloc.Env) int { return g.Legal()[0] } // the lowest offset, else slow
	cloneMove := func(g *malloc.Env, step int) int {
		if step == 0 {
			return place(g)
		}
		return malloc.SlowAction
	}
	originalMove := func(g *malloc.Env, step int) int {
		if step == 0 {
			return malloc.SlowAction
		}
		return place(g)
	}
	players := []struct {
		name       string
		game, want *malloc.Env
		move       func(g *malloc.Env, step int) int
	}{
		{"clone", c, newGameAfter(t, in, prefix), cloneMove},
		{"original", g, newGameAfter(t, in, prefix), originalMove},
	}
	for step := 0; !players[0].want.Done() || !players[1].want.Done(); step++ {
		for _, p := range players {
			if p.want.Done() {
				continue
			}
			a := p.move(p.want, step)
			if _, err := p.game.Step(a); err != nil {
				t.Fatalf("step %d of the %s: %v", step, p.name, err)
			}
			if _, err := p.want.Step(a); err != nil {
				t.Fatal(err)
			}
			for _, q := range players {
				if got, want := stateOf(q.game), stateOf(q.want); !reflect.DeepEqual(got, want) {
					t.Fatalf("after step %d of the %s, the %s shows\n%+v\nwant\n%+v", step, p.name, q.name, got, want)
				}
			}
		}
	}
	if slices.Equal(g.Offsets(), c.Offsets()) {
		t.Fatal("the clone and the original ended with the same offsets, so the test proves nothing; pick other moves")
	}
}

func TestIllegalChangesNothing(t *testing.T) {
	in := randomInstance(rand.New(rand.NewPCG(3, 3)), 10, 10, 4, 8)
	g, _ := malloc.New(in, malloc.Config{})
	obs, _ := g.Reset(0)
	_, err := g.Step(len(obs.Offsets) + 100)
	if !errors.Is(err, envs.ErrIllegalAction) {
		t.Fatalf("out-of-range action: %v", err)
	}
	if g.Current() != obs.Buffer {
		t.Errorf("the refused action moved the game")
	}
}

// TestAdvanceIsStep: Advance reaches the state Step does (offsets, time
// saved, candidates), move for move, and refuses what Step refuses.
func TestAdvanceIsStep(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for range 20 {
		in := randomInstance(rng, 12, 10, 6, 12)
		a, _ := malloc.New(in, malloc.Config{})
		b, _ := malloc.New(in, malloc.Config{})
		if err := b.Advance(0); !errors.Is(err, envs.ErrNotReset) {
			t.Fatalf("Advance before Reset: %v", err)
		}
		a.Reset(0)
		b.Reset(0)
		for !a.Done() {
			act := a.RandomLegal(rng)
			if _, err := a.Step(act); err != nil {
				t.Fatal(err)
			}
			if err := b.Advance(act); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(a.Offsets(), b.Offsets()) || a.TimeSaved() != b.TimeSaved() || !slices.Equal(a.Candidates(), b.Candidates()) {
				t.Fatalf("after %d: Step %v %v, Advance %v %v", act, a.Offsets(), a.TimeSaved(), b.Offsets(), b.TimeSaved())
			}
		}
		if err := b.Advance(malloc.SlowAction); !errors.Is(err, envs.ErrEpisodeOver) {
			t.Fatalf("Advance after the end: %v", err)
		}
	}
}
