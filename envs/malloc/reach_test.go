package malloc_test

import (
	"slices"
	"testing"

	"github.com/corl-go/corl/envs/malloc"
)

// The helpers behind RATIONALE's "Edge offsets" reachability figures: how
// many buffers of a placement (e.g. the MIP's optimum) the tops game
// cannot put where the placement has them.

// gravityCompact pushes each placed buffer of offsets down, in increasing
// offset, onto 0 or the highest top of the buffers moved before it that
// are live at the same time; -1 (slow) stays. The result is a placement of
// the same buffers in which each rests on 0 or on a buffer below it.
func gravityCompact(in *malloc.Instance, offsets []int64) []int64 {
	out := slices.Clone(offsets)
	var idx []int
	for i, o := range offsets {
		if o >= 0 {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int { return int(offsets[a] - offsets[b]) })
	for k, i := range idx {
		out[i] = 0
		for _, j := range idx[:k] {
			if in.Buffers[j].Overlaps(in.Buffers[i]) {
				out[i] = max(out[i], out[j]+in.Buffers[j].Size)
			}
		}
	}
	return out
}

// gameOrder is the order in which the game of cfg presents in's buffers.
func gameOrder(t *testing.T, in *malloc.Instance, cfg malloc.Config) []int {
	g := newGame(t, in, cfg)
	var order []int
	for !g.Done() {
		order = append(order, g.Current())
		if err := g.Advance(malloc.SlowAction); err != nil {
			t.Fatal(err)
		}
	}
	return order
}

// offTops counts the placed buffers of offsets that sit neither at 0 nor
// on the top of a placed buffer live at the same time that comes earlier
// in order: where the tops game (alignment 1) never offers them a place.
func offTops(in *malloc.Instance, order []int, offsets []int64) int {
	n := 0
	for k, i := range order {
		o := offsets[i]
		if o <= 0 {
			continue
		}
		on := slices.ContainsFunc(order[:k], func(j int) bool {
			return offsets[j] >= 0 && offsets[j]+in.Buffers[j].Size == o && in.Buffers[j].Overlaps(in.Buffers[i])
		})
		if !on {
			n++
		}
	}
	return n
}

// TestReachabilityHelpers: by hand, capacity 10, A (size 2, [0, 4)), B (3,
// [0, 4)), C (2, [2, 6)), D slow; A at 5, B at 0, C at 7 compacts to B 0,
// A 3 (on B), C 5 (on A). Presented A, C, B, A at 3 rests on B, which
// comes later: one off the tops. Presented B, A, C, none, and the tops
// game plays the compacted placement move by move.
func TestReachabilityHelpers(t *testing.T) {
	in := &malloc.Instance{Name: "reach", Capacity: 10, Buffers: []malloc.Buffer{
		{ID: 0, Start: 0, End: 4, Size: 2, Benefit: 1},
		{ID: 1, Start: 0, End: 4, Size: 3, Benefit: 1},
		{ID: 2, Start: 2, End: 6, Size: 2, Benefit: 1},
		{ID: 3, Start: 0, End: 6, Size: 1, Benefit: 1},
	}}
	got := gravityCompact(in, []int64{5, 0, 7, -1})
	if want := []int64{3, 0, 5, -1}; !slices.Equal(got, want) {
		t.Fatalf("compacted %v, want %v", got, want)
	}
	if err := in.CheckPlacement(got); err != nil {
		t.Fatal(err)
	}
	if n := offTops(in, []int{0, 2, 1, 3}, got); n != 1 {
		t.Errorf("order A, C, B: %d off the tops, want 1", n)
	}
	if n := offTops(in, []int{1, 0, 2, 3}, got); n != 0 {
		t.Errorf("order B, A, C: %d off the tops, want 0", n)
	}
	// B first in the game's order (benefit per square root of size), then
	// A, C, D: the tops game reaches the compacted placement.
	in.Buffers[1].Benefit, in.Buffers[0].Benefit, in.Buffers[2].Benefit = 9, 2, 1.5
	order := gameOrder(t, in, malloc.Config{})
	if want := []int{1, 0, 2, 3}; !slices.Equal(order, want) {
		t.Fatalf("game order %v, want %v", order, want)
	}
	g := newGame(t, in, malloc.Config{})
	for _, i := range order {
		a := malloc.SlowAction
		if got[i] >= 0 {
			if a = slices.Index(g.Candidates(), got[i]); a < 0 {
				t.Fatalf("buffer %d: %d not among the candidates %v", i, got[i], g.Candidates())
			}
		}
		if err := g.Advance(a); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(g.Offsets(), got) {
		t.Fatalf("the game placed %v, want %v", g.Offsets(), got)
	}
}
