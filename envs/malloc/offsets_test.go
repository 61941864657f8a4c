package malloc_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/corl-go/corl/envs/malloc"
)

// gameBest is the best fraction of the total benefit over every sequence
// of the game's legal actions.
func gameBest(g *malloc.Env) float64 {
	if g.Done() {
		return g.Metric()
	}
	best := 0.0
	for _, a := range g.Legal() {
		c := g.Clone()
		if err := c.Advance(a); err != nil {
			panic(err)
		}
		best = math.Max(best, gameBest(c))
	}
	return best
}

func newGame(t *testing.T, in *malloc.Instance, cfg malloc.Config) *malloc.Env {
	t.Helper()
	g, err := malloc.New(in, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Reset(0); err != nil {
		t.Fatal(err)
	}
	return g
}

// TestEdgeOffsetsReachOptima: on tiny instances the edges game's best
// episode is never below the tops game's (its candidates are a superset)
// nor above the exact optimum (brute force over every integer offset),
// and on some instances it reaches the optimum where the tops game cannot.
func TestEdgeOffsetsReachOptima(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	reached := 0
	for i := range 300 {
		in := randomInstance(rng, 5+i%2, 6, 4, int64(4+rng.IntN(4)))
		opt := bruteForce(in) / in.TotalBenefit()
		tops := gameBest(newGame(t, in, malloc.Config{}))
		edges := gameBest(newGame(t, in, malloc.Config{Offsets: malloc.EdgeOffsets}))
		switch {
		case edges < tops-1e-12:
			t.Fatalf("instance %d: edges game %.6f below the tops game %.6f", i, edges, tops)
		case edges > opt+1e-12 || tops > opt+1e-12:
			t.Fatalf("instance %d: a game (%.6f, %.6f) above the exact optimum %.6f", i, tops, edges, opt)
		case tops < opt-1e-12 && edges > opt-1e-12:
			reached++
		}
	}
	if reached == 0 {
		t.Fatal("no instance where only the edges game reaches the optimum")
	}
	t.Logf("%d of 300 instances: only the edges game reaches the optimum", reached)
}

// TestEdgeOffsetsKeepHeuristics: BestFit (XLA's rule: best fit among 0 and
// the tops) and FirstFit play the same offsets in the edges game as in
// the tops game, so rollouts and the baselines mean the same in both.
func TestEdgeOffsetsKeepHeuristics(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range 50 {
		in := randomInstance(rng, 30, 20, 8, 16)
		in.Alignment = int64(1 + i%3)
		for _, rule := range []func(*malloc.Env) int{malloc.BestFit, malloc.FirstFit} {
			var got [2][]int64
			for k, off := range []malloc.Offsets{malloc.TopOffsets, malloc.EdgeOffsets} {
				r, err := malloc.Play(in, malloc.Config{Offsets: off}, "rule", rule)
				if err != nil {
					t.Fatal(err)
				}
				got[k] = r.Offsets
			}
			if !slices.Equal(got[0], got[1]) {
				t.Fatalf("instance %d: offsets differ between the games:\n%v\n%v", i, got[0], got[1])
			}
		}
	}
}

// TestEdgeOffsetsCandidates checks hand-computed candidates. Capacity 10;
// A (size 3) comes first: tops offers 0, edges 0 and 10-3 = 7. With A at
// 7, B (size 2, live with A) gets 0 under tops (A's top, 10, does not
// fit) and 0 and 7-2 = 5 under edges (10-2 = 8 overlaps A). BestFit keeps
// to XLA's offsets (0); BestFitAny takes 5, right under A.
func TestEdgeOffsetsCandidates(t *testing.T) {
	in := &malloc.Instance{Name: "hand", Capacity: 10, Buffers: []malloc.Buffer{
		{ID: 0, Start: 0, End: 4, Size: 3, Benefit: 9},
		{ID: 1, Start: 0, End: 4, Size: 2, Benefit: 1},
	}}
	tops := newGame(t, in, malloc.Config{})
	if got := tops.Candidates(); !slices.Equal(got, []int64{0}) {
		t.Fatalf("tops: A's candidates %v, want [0]", got)
	}
	edges := newGame(t, in, malloc.Config{Offsets: malloc.EdgeOffsets})
	if got := edges.Candidates(); !slices.Equal(got, []int64{0, 7}) {
		t.Fatalf("edges: A's candidates %v, want [0 7]", got)
	}
	if err := edges.Advance(1); err != nil {
		t.Fatal(err)
	}
	if got := edges.Candidates(); !slices.Equal(got, []int64{0, 5}) {
		t.Fatalf("edges: B's candidates with A at 7: %v, want [0 5]", got)
	}
	if a, b := malloc.BestFit(edges), malloc.BestFitAny(edges); a != 0 || b != 1 {
		t.Fatalf("BestFit %d, BestFitAny %d: want 0 and 1", a, b)
	}
	if err := tops.Advance(0); err != nil {
		t.Fatal(err)
	}
	if got := tops.Candidates(); !slices.Equal(got, []int64{3}) {
		t.Fatalf("tops: B's candidates with A at 0: %v, want [3]", got)
	}
}

func TestConfigValidate(t *testing.T) {
	in := randomInstance(rand.New(rand.NewPCG(1, 1)), 4, 5, 3, 6)
	for _, cfg := range []malloc.Config{{Offsets: 2}, {Offsets: -1}, {Order: 7}} {
		if _, err := malloc.New(in, cfg); err == nil || !strings.Contains(err.Error(), "Config.") {
			t.Errorf("%+v: error %v, want one naming the field", cfg, err)
		}
	}
	for _, s := range []string{"tops", "edges"} {
		o, err := malloc.ParseOffsets(s)
		if err != nil || o.String() != s {
			t.Errorf("ParseOffsets(%q) = %v, %v", s, o, err)
		}
	}
	if _, err := malloc.ParseOffsets("bottoms"); err == nil {
		t.Error("ParseOffsets(bottoms): no error")
	}
}

// capInstance stacks, from 0, 17 long buffers L0..L16 (size 1, live
// [0, 10)) with a spacer (size 3, live [0, 1)) under each even one, so
// L(2j) sits at 5j+3 and L(2j+1) at 5j+4, and then presents X (size 2,
// live [5, 10)), which sees the 17 longs live and the spacers gone.
// Capacity 50. Each buffer's benefit puts it next in XLA's order.
func capInstance() *malloc.Instance {
	in := &malloc.Instance{Name: "cap", Capacity: 50}
	add := func(size, start, end int64) {
		k := len(in.Buffers)
		in.Buffers = append(in.Buffers, malloc.Buffer{ID: k, Start: start, End: end, Size: size,
			Benefit: float64(1000-k) * math.Sqrt(float64(size))})
	}
	for i := range 17 {
		if i%2 == 0 {
			add(3, 0, 1)
		}
		add(1, 0, 10)
	}
	add(2, 5, 10)
	return in
}

// TestEdgeOffsetsFillToTheCap: with 17 live placed buffers, X's tops game
// offers 0 and the 9 free tops 5j+5 (j < 8) and 44; the edges game adds
// the edges 5j+1 (under each L(2j)) and 48 (the top of memory), 20 in all,
// so the cap keeps the 10 tops and the 6 lowest edges. BestFit and
// FirstFit pick the same offset in both games there.
func TestEdgeOffsetsFillToTheCap(t *testing.T) {
	in := capInstance()
	var games [2]*malloc.Env
	for k, off := range []malloc.Offsets{malloc.TopOffsets, malloc.EdgeOffsets} {
		g := newGame(t, in, malloc.Config{Offsets: off})
		var top int64
		for i := range len(in.Buffers) - 1 { // buffer i on the stack's top
			a := slices.Index(g.Candidates(), top)
			if a < 0 {
				t.Fatalf("%v: buffer %d: %d not among the candidates %v", off, i, top, g.Candidates())
			}
			if err := g.Advance(a); err != nil {
				t.Fatal(err)
			}
			top += in.Buffers[i].Size
		}
		if live := len(in.Buffers) - 1 - 9; live < malloc.MaxCandidates {
			t.Fatalf("%d live placed buffers at X, want at least %d", live, malloc.MaxCandidates)
		}
		games[k] = g
	}
	wantTops := []int64{0, 5, 10, 15, 20, 25, 30, 35, 40, 44}
	wantEdges := []int64{0, 1, 5, 6, 10, 11, 15, 16, 20, 21, 25, 26, 30, 35, 40, 44}
	if got := games[0].Candidates(); !slices.Equal(got, wantTops) {
		t.Fatalf("tops: X's candidates %v, want %v", got, wantTops)
	}
	if got := games[1].Candidates(); !slices.Equal(got, wantEdges) {
		t.Fatalf("edges: X's candidates %v, want %v", got, wantEdges)
	}
	for name, rule := range map[string]func(*malloc.Env) int{"BestFit": malloc.BestFit, "FirstFit": malloc.FirstFit} {
		a, b := rule(games[0]), rule(games[1])
		if oa, ob := games[0].Candidates()[a], games[1].Candidates()[b]; oa != ob {
			t.Errorf("%s: offset %d in the tops game, %d in the edges game", name, oa, ob)
		}
	}
}
