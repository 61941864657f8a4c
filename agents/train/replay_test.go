package train

import "testing"

func TestReplayEvictsOldestWithinBudget(t *testing.T) {
	var r Replay[int]
	r.Budget = 10
	for i, size := range []int64{4, 4, 4, 9, 20, 1} {
		r.Add(i, size)
		if r.Bytes() > r.Budget && r.Len() > 1 {
			t.Fatalf("after item %d: %d bytes held over a budget of %d", i, r.Bytes(), r.Budget)
		}
		if r.At(r.Len()-1) != i {
			t.Fatalf("after item %d: the newest item is %d", i, r.At(r.Len()-1))
		}
		// Held items are the newest ones, numbered from First.
		for k := range r.Len() {
			if r.At(k) != r.First()+k {
				t.Fatalf("after item %d: slot %d holds %d, want %d", i, k, r.At(k), r.First()+k)
			}
		}
	}
	// Item 4 (20 bytes) alone exceeded the budget and was kept, then
	// evicted by item 5.
	if r.Len() != 1 || r.First() != 5 || r.Bytes() != 1 {
		t.Fatalf("holds %d items from %d in %d bytes, want 1 from 5 in 1", r.Len(), r.First(), r.Bytes())
	}
	var unbounded Replay[int]
	for i := range 100 {
		unbounded.Add(i, 1<<20)
	}
	if unbounded.Len() != 100 {
		t.Fatalf("no budget: %d items kept of 100", unbounded.Len())
	}
}

func TestAnneal(t *testing.T) {
	for _, c := range []struct{ t, over, want float64 }{{0, 10, 1}, {5, 10, 0.55}, {10, 10, 0.1}, {20, 10, 0.1}, {3, 0, 0.1}} {
		if got := Anneal(1, 0.1, c.t, c.over); got < c.want-1e-12 || got > c.want+1e-12 {
			t.Errorf("Anneal(1, 0.1, %v, %v) = %v, want %v", c.t, c.over, got, c.want)
		}
	}
}
